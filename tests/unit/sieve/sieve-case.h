/* The table row every tests/unit/sieve test uses: a script, the facts of
 * a message, and what must come out (the actions, or the exact errors).
 */
#ifndef SIEVE_CASE_H
#define SIEVE_CASE_H

#include <glib.h>

#include "sieve/pd-sieve.h"

/* Rows name only the fields they need; the rest are the defaults below. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct {
	const char *name;	/* what the row shows */
	const char *script;
	/* what must come out:
	 *   the actions, one a line, as pd_sieve_result_to_string writes them;
	 *   "compile: E" with E the compile errors, one a line;
	 *   "run: E" with E the run's errors (the actions then are the implicit keep). */
	const char *expect;
	const char *headers;	/* NULL: SIEVE_HEADERS below */
	const char *from;	/* envelope; NULL: "bob@customer.test"; "-": not known */
	const char *to;		/* NULL: "support+urgent@desk.test"; "-": not known */
	guint64 size;		/* 0: 2048 */
	const char *body;	/* NULL: no body known */
	const char *spam, *spam_percent;	/* spamtest's values; NULL: not tested */
} SieveCase;

#define SIEVE_HEADERS \
	"From: \"Bob Smith\" <bob+billing@customer.test>\r\n" \
	"To: support@desk.test, Alice (agent) <alice@Desk.TEST>\r\n" \
	"Cc: carol@other.test\r\n" \
	"Subject: Invoice 42 overdue\r\n" \
	"X-Spam-Score: 7\r\n" \
	"Received: from a.test\r\n" \
	"Received: from b.test\r\n" \
	"Message-ID: <m1@customer.test>\r\n"

/* Runs one row; every mismatch fails with the row's name. */
void sieve_case_check(const SieveCase *row, const PdSieveLimits *limits);
/* Runs every row; cmocka fails after printing all the rows that failed. */
void sieve_cases_check(const SieveCase *rows, gsize n, const PdSieveLimits *limits);

/* ../shared/corpora/sieve-pigeonhole (PD_CORPORA), newly allocated; when
 * it is absent the test exits 77 (skipped). */
char *sieve_pigeonhole_root(void);

/* The main() of a test that is one table (cmocka's headers first). */
#define SIEVE_TABLE_MAIN(table) \
	static void test_table(void **state) \
	{ \
		sieve_cases_check(table, G_N_ELEMENTS(table), NULL); \
	} \
	int main(void) \
	{ \
		const struct CMUnitTest unit_tests[] = { cmocka_unit_test(test_table) }; \
		return cmocka_run_group_tests(unit_tests, NULL, NULL); \
	}

#endif
