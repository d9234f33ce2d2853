/* Unit tests for mail/pd-mail-reply.c: the new text of a reply.  One row
 * per case: the text, the extra separators, the new text expected, and
 * why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>

#include "mail/pd-mail-reply.h"

static void
test_reply_table(void **state)
{
	static const char *const operator[] = { "=== answer above ===", NULL };
	static const struct {
		const char *text;
		const char *const *separators;
		const char *want;
		const char *why;
	} cases[] = {
		{ "Hello", NULL, "Hello", "nothing to cut" },
		{ "Thanks!\n\n##- Reply above this line -##\nTicket 12: ...", NULL, "Thanks!",
		  "our own marker and below" },
		{ "Thanks!\r\n\r\n> ##- Reply above this line -##\r\n> old", NULL, "Thanks!",
		  "our marker quoted, CRLF" },
		{ "Fixed now.\n\nOn Mon, 1 Jan 2024 at 10:00, Bill <b@x.test> wrote:\n> broken?",
		  NULL, "Fixed now.", "attribution and quote" },
		{ "Fixed.\n\nOn Mon, 1 Jan 2024 at 10:00, Bill\n<b@x.test> wrote:\n\n> broken?",
		  NULL, "Fixed.", "an attribution wrapped over two lines" },
		{ "Danke.\n\nAm 01.01.2024 um 10:00 schrieb Bill <b@x.test>:\n> kaputt?", NULL,
		  "Danke.", "German attribution" },
		{ "Merci.\n\nLe lun. 1 janv. 2024 à 10:00, Bill <b@x.test> a écrit :\n> cassé ?",
		  NULL, "Merci.", "French attribution" },
		{ "Gracias.\n\nEl lun, 1 ene 2024 a las 10:00, Bill escribió:\n> roto", NULL,
		  "Gracias.", "Spanish attribution" },
		{ "OK\n\n-----Original Message-----\nFrom: Bill\nSent: Monday\n\nold", NULL, "OK",
		  "Outlook Original Message" },
		{ "OK\n\n________________________________\nFrom: Bill <b@x.test>\nSent: Monday\n"
		  "To: support\nSubject: x\n\nold", NULL, "OK", "Outlook header block under a rule" },
		{ "OK\n\n*From:* Bill\n*Sent:* 2016-01-27\n*To:* x\n\nold", NULL, "OK",
		  "Outlook header block in bold" },
		{ "Von: Bill\nGesendet: Montag\nAn: x\n", NULL, "Von: Bill\nGesendet: Montag\nAn: x\n",
		  "a header block only: never cut to empty" },
		{ "From: a customer's sentence\nwith no header after it", NULL,
		  "From: a customer's sentence\nwith no header after it", "From: alone is text" },
		{ "See below\n\n---------- Forwarded message ---------\nFrom: x\n", NULL,
		  "See below", "forwarded block" },
		{ "Hi\n\nBegin forwarded message:\n\nFrom: x", NULL, "Hi", "Apple forward" },
		{ "Works.\n\n-- \nBill\nACME", NULL, "Works.", "signature separator" },
		{ "Works.\n\nSent from my iPhone", NULL, "Works.", "mobile signature" },
		{ "Works.\n\nVon meinem iPhone gesendet", NULL, "Works.", "German mobile signature" },
		{ "> question one\nanswer one\n> question two\nanswer two", NULL,
		  "> question one\nanswer one\n> question two\nanswer two",
		  "interleaved answers stay" },
		{ "answer\n> question\n>\n> more\n", NULL, "answer", "a trailing quote block" },
		{ "> only a quote\n> here", NULL, "> only a quote\n> here",
		  "quote only: never empty" },
		{ "New text\n=== answer above ===\nold", operator, "New text",
		  "an operator's separator" },
		{ "New text\n=== answer above ===\nold", NULL,
		  "New text\n=== answer above ===\nold", "no separator configured" },
		{ "", NULL, "", "empty stays empty" },
		{ "   \n\n", NULL, "   \n\n", "blank: the full text stays" },
	};

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = pd_mail_reply_trim(cases[i].text, cases[i].separators);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %u (%s): got \"%s\", want \"%s\"", i, cases[i].why, got,
				 cases[i].want);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule reply-trim: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
