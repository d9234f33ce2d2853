/* pd_approval_answer_parse, table-driven: what a holder's mail client puts
 * on the first line of a reply, and what is no answer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ticket/pd-authorization.h"

typedef struct {
	const char *text;
	PdApprovalAnswer want;
} Case;

static const Case cases[] = {
	{ "APPROVE", PD_APPROVAL_APPROVE },
	{ "APPROVE\n", PD_APPROVAL_APPROVE },
	{ "approve\r\n\r\nOn Monday, support wrote:\n> To approve, reply APPROVE\n",
	  PD_APPROVAL_APPROVE },
	{ "Approve.\n", PD_APPROVAL_APPROVE },
	{ "  APPROVE  \t\n", PD_APPROVAL_APPROVE },
	{ "\n\n \r\nAPPROVE!\n", PD_APPROVAL_APPROVE },
	{ "REFUSE", PD_APPROVAL_REFUSE },
	{ "refuse\nno, Sam may not see invoices\n", PD_APPROVAL_REFUSE },
	{ "Refuse.", PD_APPROVAL_REFUSE },

	{ NULL, PD_APPROVAL_NONE },
	{ "", PD_APPROVAL_NONE },
	{ "\n\n\n", PD_APPROVAL_NONE },
	{ "APPROVE it\n", PD_APPROVAL_NONE },
	{ "I approve\n", PD_APPROVAL_NONE },
	{ "> APPROVE\n", PD_APPROVAL_NONE },
	{ "APPROVED\n", PD_APPROVAL_NONE },
	{ "APPROV\n", PD_APPROVAL_NONE },
	{ "APPROVE..\n", PD_APPROVAL_NONE },
	{ "REFUSE APPROVE\n", PD_APPROVAL_NONE },
	{ "Thanks!\nAPPROVE\n", PD_APPROVAL_NONE },
	{ ".", PD_APPROVAL_NONE },
	{ "!", PD_APPROVAL_NONE },
	{ "APPR\xc3\x96VE\n", PD_APPROVAL_NONE },
	{ "\xef\xbb\xbf" "APPROVE\n", PD_APPROVAL_NONE },	/* a BOM is not blank */
};

static void
test_table(void **state)
{
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdApprovalAnswer got = pd_approval_answer_parse(cases[i].text);

		if (got != cases[i].want)
			fail_msg("case %zu %s: got %d, want %d", i,
				 cases[i].text != NULL ? cases[i].text : "(null)", got,
				 cases[i].want);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule approval-word: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

/* Only the first PD_APPROVAL_SCAN_MAX bytes are read: blank lines before
 * the word, or a first line, longer than that are no answer. */
static void
test_scan_limit(void **state)
{
	g_autofree char *blanks = g_strnfill(PD_APPROVAL_SCAN_MAX, '\n');
	g_autofree char *late = g_strconcat(blanks, "APPROVE\n", NULL);
	g_autofree char *spaces = g_strnfill(PD_APPROVAL_SCAN_MAX - 10, ' ');
	g_autofree char *early = g_strconcat(spaces, "APPROVE\n", NULL);
	g_autofree char *tail = g_strnfill(PD_APPROVAL_SCAN_MAX, ' ');
	g_autofree char *long_line = g_strconcat("APPROVE", tail, "x\n", NULL);

	(void)state;
	assert_int_equal(pd_approval_answer_parse(late), PD_APPROVAL_NONE);
	assert_int_equal(pd_approval_answer_parse(early), PD_APPROVAL_APPROVE);
	assert_int_equal(pd_approval_answer_parse(long_line), PD_APPROVAL_NONE);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(pd_approval_answer_name(PD_APPROVAL_APPROVE), "approve");
	assert_string_equal(pd_approval_answer_name(PD_APPROVAL_REFUSE), "refuse");
	assert_null(pd_approval_answer_name(PD_APPROVAL_NONE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_scan_limit),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
