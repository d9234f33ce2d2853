/* test-imap-ack: what the IMAP fetcher does with a message after delivery
 * (imap/pd-imap-ack.c), as a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "imap/pd-imap-ack.h"

#define D PD_IMAP_OUTCOME_DELIVERED
#define T PD_IMAP_OUTCOME_TRANSIENT
#define P PD_IMAP_OUTCOME_PERMANENT

static const struct {
	PdImapOutcome outcome;
	bool move, uidplus;
	const char *target;
	PdImapAction want;
	const char *why;
} cases[] = {
	{ D, true, true, "Processed", PD_IMAP_MOVE, "MOVE offered: UID MOVE" },
	{ D, true, false, "Processed", PD_IMAP_MOVE, "MOVE without UIDPLUS is still MOVE" },
	{ D, false, true, "Processed", PD_IMAP_COPY_EXPUNGE, "MOVE hidden: UIDPLUS path" },
	{ D, false, false, "Processed", PD_IMAP_SEEN, "neither: \\Seen and the last UID" },
	{ D, true, true, NULL, PD_IMAP_SEEN, "no processed folder: flag only" },
	{ D, true, true, "", PD_IMAP_SEEN, "empty processed folder is none" },
	{ T, true, true, "Processed", PD_IMAP_LEAVE, "database down: the mail stays" },
	{ T, false, false, NULL, PD_IMAP_LEAVE, "timeout without any capability: stays" },
	{ P, true, true, "Failed", PD_IMAP_MOVE, "over the limit: to the failed folder" },
	{ P, false, true, "Failed", PD_IMAP_COPY_EXPUNGE, "rejected, no MOVE: UIDPLUS to failed" },
	{ P, false, false, "Failed", PD_IMAP_SEEN, "rejected, no MOVE/UIDPLUS: flag only" },
	{ P, true, true, NULL, PD_IMAP_SEEN, "no failed folder: flag only, never re-fetched" },
};

static void
test_table(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		PdImapCaps caps = { .move = cases[i].move, .uidplus = cases[i].uidplus };
		const char *folder = (const char *)1;
		PdImapAction got = pd_imap_ack_decide(cases[i].outcome, caps, cases[i].target, &folder);
		bool folder_ok = (got == PD_IMAP_MOVE || got == PD_IMAP_COPY_EXPUNGE)
			? folder == cases[i].target : folder == NULL;
		if (got != cases[i].want || !folder_ok) {
			printf("case %zu (%s): got %s, want %s\n", i, cases[i].why,
			       pd_imap_action_name(got), pd_imap_action_name(cases[i].want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule imap-ack: %zu cases\n", sizeof cases / sizeof cases[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
