/* store-fixture: what the store's unit tests share.
 *
 * A throwaway database on the test PostgreSQL (PD_TEST_PGHOST, as set by
 * tests/run; the tests skip with 77 without one), hand-built PdMail values
 * (the store needs no parser), and row counting over a separate admin
 * connection so assertions never go through the code under test.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <glib.h>
#include <libpq-fe.h>
#include "store/pd-store.h"

typedef struct {
	char *host;
	char *dbname;
	char *conninfo;
	PGconn *admin;		/* connected to dbname */
} Fixture;

/* NULL if there is no test PostgreSQL (caller skips). */
Fixture *fixture_new(const char *host, const char *tag, gboolean migrate);
void fixture_free(Fixture *f);

/* main() of a test file whose tests share one fixture *fx_r on the test
 * PostgreSQL (named after tag): runs them, or returns 77 (skip) without
 * PD_TEST_PGHOST and PD_SOURCE_DIR.  Needs <cmocka.h> first. */
struct CMUnitTest;
int fixture_run_tests(const char *tag, const struct CMUnitTest *tests, size_t count,
		      Fixture **fx_r);

/* Run SQL on the admin connection; aborts the test on error. */
void fixture_exec(Fixture *f, const char *sql);
gint64 fixture_count(Fixture *f, const char *sql);
char *fixture_text(Fixture *f, const char *sql);

/* A mail built by hand, owned by the test. */
typedef struct {
	PdMail mail;
	GBytes *raw;
	char *key;
	GPtrArray *candidates;
	PdEnvelope *envelope;
	PdDelivery delivery;
} TestMail;

TestMail *test_mail_new(const char *message_id, const char *in_reply_to,
			const char *const *references, const char *subject, const char *body);
void test_mail_attach(TestMail *t, const char *filename, const char *content_type,
		      const char *content);
void test_mail_free(TestMail *t);

#endif
