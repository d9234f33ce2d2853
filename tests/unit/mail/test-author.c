/* Unit tests for mail/pd-mail-author.c: is the author read one way?  One
 * row per case of the rule: the headers, the identity GMime gives
 * (mail->from), and the doubt (NULL: the mail may be authenticated).
 * Also: the other headers a decision reads (Auto-Submitted, Precedence)
 * count under every spelling and in every field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>

#include "mail/pd-mail.h"

static void
test_author_table(void **state)
{
	static const struct {
		const char *head;	/* header lines, "\n" separated */
		const char *from;	/* mail->from.address, NULL: none */
		const char *doubt;	/* a substring of author_doubt, NULL: none */
	} cases[] = {
		{ "From: Bill <bill@acme.test>", "bill@acme.test", NULL },
		/* one From, any spelling GMime accepts: read one way */
		{ "From : Bill <bill@acme.test>", "bill@acme.test", NULL },
		{ "FROM\t: bill@acme.test", "bill@acme.test", NULL },
		{ "From: bill@acme.test\nSender: a@acme.test\nReply-To: b@x.test, c@y.test",
		  "bill@acme.test", NULL },
		/* the attack of issue 8: GMime's first From is not the `From:` one */
		{ "From : Bill <bill@acme.test>\nFrom: eve@evil.test", "bill@acme.test",
		  "2 From fields" },
		{ "From: eve@evil.test\nFROM  : bill@acme.test", "eve@evil.test", "2 From fields" },
		/* a From GMime drops but another reader might take */
		{ "From: bill@acme.test\nFrom\x01: eve@evil.test", "bill@acme.test",
		  "2 From fields" },
		/* a From behind an invalid line: GMime reads it, so do we */
		{ "Subject: x\nnot a header\nFrom: bill@acme.test", "bill@acme.test", NULL },
		{ "From : bill@acme.test\nnot a header\nFrom: eve@evil.test", "bill@acme.test",
		  "2 From fields" },
		/* no From, an empty one, an unparsable one, several mailboxes */
		{ "Subject: none", NULL, "no From field" },
		{ "From:", NULL, "no mailbox" },
		{ "From: <>", NULL, "no mailbox" },
		{ "From: undisclosed-recipients:;", NULL, "no mailbox" },
		{ "From: bill@acme.test, eve@evil.test", "bill@acme.test", "2 mailboxes" },
		{ "From: bill", "bill", "without a domain" },
		/* a fold inside a quoted local part: GMime keeps it, an
		 * unfolding reader does not (fuzz-from, issue 11) */
		{ "From: \"bill\n @x.test\" <bill@acme.test>", "bill@acme.test", NULL },
		{ "From: \"bill\n x\"@acme.test", "\"bill\n x\"@acme.test", "line break" },
		/* Sender and Reply-To: at most one each, read alike */
		{ "From: bill@acme.test\nSender : eve@evil.test\nSender: bill@acme.test",
		  "bill@acme.test", "2 Sender fields" },
		{ "From: bill@acme.test\nReply-To: a@x.test\nreply-to\t: b@y.test",
		  "bill@acme.test", "2 Reply-To fields" },
		{ "From: bill@acme.test\nSender\x01: eve@evil.test", "bill@acme.test",
		  "Sender field that GMime and the raw header scan read differently" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("%s\nTo: support@example.com\n\nHello\n",
							cases[i].head);
		g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
		g_autoptr(PdMail) m = pd_mail_parse(raw, NULL, NULL);
		gboolean warned = FALSE;

		assert_non_null(m);
		if (g_strcmp0(m->from.address, cases[i].from) != 0)
			fail_msg("case %u: from %s, want %s", i, m->from.address, cases[i].from);
		if (cases[i].doubt == NULL ? m->author_doubt != NULL
		    : m->author_doubt == NULL || strstr(m->author_doubt, cases[i].doubt) == NULL)
			fail_msg("case %u: doubt \"%s\", want \"%s\"", i, m->author_doubt,
				 cases[i].doubt);
		for (guint j = 0; j < m->warnings->len; j++)
			warned |= g_str_has_prefix(m->warnings->pdata[j], "author: ");
		if (warned != (cases[i].doubt != NULL))
			fail_msg("case %u: a parse warning only with a doubt", i);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule author: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

/* A hostile header block rewritten before GMime reads it (a NUL): GMime's
 * From is not the raw bytes' From, so the author is in doubt. */
static void
test_author_guarded(void **state)
{
	static const char text[] = "From: bill@acme.test\0x\nTo: s@example.com\n\nHello\n";
	g_autoptr(GBytes) raw = g_bytes_new(text, sizeof(text) - 1);
	g_autoptr(PdMail) m = pd_mail_parse(raw, NULL, NULL);

	assert_non_null(m->author_doubt);
	assert_non_null(strstr(m->author_doubt, "read differently"));
}

static void
test_decision_headers(void **state)
{
	static const struct {
		const char *head;
		gboolean auto_submitted, bulk;
	} cases[] = {
		{ "Auto-Submitted: auto-replied", TRUE, FALSE },
		{ "Auto-Submitted : auto-replied", TRUE, FALSE },
		{ "AUTO-SUBMITTED\t: auto-generated", TRUE, FALSE },
		{ "Auto-Submitted: no", FALSE, FALSE },
		{ "Auto-Submitted: no\nAuto-Submitted : auto-replied", TRUE, FALSE },
		{ "Subject: x\nnot a header\nAuto-Submitted: auto-replied", TRUE, FALSE },
		{ "Precedence: first-class\nPrecedence : bulk", FALSE, TRUE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("From: a@b.test\n%s\n\nHello\n",
							cases[i].head);
		g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
		g_autoptr(PdMail) m = pd_mail_parse(raw, NULL, NULL);

		if (m->class.auto_submitted != cases[i].auto_submitted || m->class.bulk != cases[i].bulk)
			fail_msg("case %u: auto_submitted %d bulk %d", i, m->class.auto_submitted,
				 m->class.bulk);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_author_table),
		cmocka_unit_test(test_decision_headers),
		cmocka_unit_test(test_author_guarded),
	};

	pd_mail_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
