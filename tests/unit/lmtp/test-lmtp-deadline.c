/* Unit tests for lib/lmtp/pd-lmtp-deadline: a table of clients, each a
 * series of reads (at a time, with message bytes), and when the record
 * must be complete, normally and under stress. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lmtp/pd-lmtp-deadline.h"

#define S G_USEC_PER_SEC

typedef struct {
	gint64 at;		/* seconds after the record started */
	gsize bytes;		/* message bytes in that read */
} Read;

static const struct {
	const char *what;
	PdLmtpDeadlineSettings settings;
	Read reads[4];
	guint n_reads;
	gint64 normal, stress;	/* due, milliseconds after the start */
} cases[] = {
	{ "idle: the whole timeout", { 300, 10, 500 }, { { 0, 0 } }, 0, 300000, 10000 },
	{ "a command line dripped: reads earn nothing", { 300, 10, 500 },
	  { { 5, 0 }, { 100, 0 }, { 250, 0 } }, 3, 300000, 10000 },
	{ "message bytes dripped: 1 byte earns 2 ms", { 300, 10, 500 },
	  { { 5, 1 }, { 9, 1 } }, 2, 300004, 10004 },
	{ "500 bytes at 500 B/s earn a second", { 300, 10, 500 },
	  { { 1, 500 } }, 1, 301000, 11000 },
	{ "never further than timeout from the read", { 300, 10, 500 },
	  { { 1, 65536 }, { 2, 65536 } }, 2, 302000, 12000 },
	{ "a fast big mail keeps going", { 300, 10, 500 },
	  { { 5, 65536 }, { 10, 65536 }, { 15, 65536 } }, 3, 315000, 25000 },
	{ "min_data_rate 0: content earns nothing", { 300, 10, 0 },
	  { { 1, 65536 } }, 1, 300000, 10000 },
	{ "stress_timeout above timeout: timeout", { 30, 60, 500 }, { { 0, 0 } }, 0, 30000, 30000 },
};

static void
test_deadline_table(void **state)
{
	const gint64 t0 = 1000 * S;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdLmtpDeadline d;

		pd_lmtp_deadline_start(&d, &cases[i].settings, t0);
		for (guint j = 0; j < cases[i].n_reads; j++)
			pd_lmtp_deadline_content(&d, &cases[i].settings,
						 t0 + cases[i].reads[j].at * S,
						 cases[i].reads[j].bytes);
		if (pd_lmtp_deadline_due(&d, FALSE) != t0 + cases[i].normal * 1000 ||
		    pd_lmtp_deadline_due(&d, TRUE) != t0 + cases[i].stress * 1000)
			fail_msg("%s: due %" G_GINT64_FORMAT " us / %" G_GINT64_FORMAT
				 " us after the start", cases[i].what,
				 pd_lmtp_deadline_due(&d, FALSE) - t0,
				 pd_lmtp_deadline_due(&d, TRUE) - t0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
