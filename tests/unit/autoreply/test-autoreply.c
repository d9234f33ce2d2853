/* pd_autoreply_decide, table-driven: every no-auto-reply case of DESIGN
 * invariant 3 (and issue 4 item 8) with its reason, the cases that must
 * still be answered, and our own mail recognized by its signed Message-ID
 * while a forged or foreign one is not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/pd-error.h"
#include "mail/pd-mail.h"
#include "ticket/pd-autoreply.h"

#define KEY "unit-autoreply-key-0123456789"

typedef struct {
	const char *name;
	const char *envelope;		/* MAIL FROM */
	const char *from;		/* From: header */
	const char *headers;		/* extra header lines, CRLF each */
	const char *subject;
	gboolean auth_known, authenticated, dmarc_reject, spam;
	const char *reason;		/* NULL: answered */
} Case;

static const Case cases[] = {
	{ "plain customer mail", "bob@customer.test", "Bob <bob@customer.test>", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, NULL },
	{ "Auto-Submitted: no is a person", "bob@customer.test", "bob@customer.test",
	  "Auto-Submitted: no\r\n", "Help", FALSE, FALSE, FALSE, FALSE, NULL },
	{ "Precedence: first-class", "bob@customer.test", "bob@customer.test",
	  "Precedence: first-class\r\n", "Help", FALSE, FALSE, FALSE, FALSE, NULL },
	{ "a person forwarding a bounce", "bob@customer.test", "bob@customer.test", "",
	  "Fwd: Returned mail: see transcript", FALSE, FALSE, FALSE, FALSE, NULL },
	{ "an administrator", "bob@customer.test", "admin@customer.test", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, NULL },
	{ "subject merely mentions vacation", "bob@customer.test", "bob@customer.test", "",
	  "My vacation booking is wrong", FALSE, FALSE, FALSE, FALSE, NULL },
	{ "dmarc reject but authenticated", "bob@customer.test", "bob@customer.test", "", "Help",
	  TRUE, TRUE, TRUE, FALSE, NULL },
	{ "dmarc reject, auth facts unknown", "bob@customer.test", "bob@customer.test", "", "Help",
	  FALSE, FALSE, TRUE, FALSE, NULL },
	/* our own header names from outside prove nothing (a stranger writes
	 * them, RT's CVE-2023-41259): our mail is known by its signed Message-ID */
	{ "a stranger's X-Postdesk-Ticket", "bob@customer.test", "bob@customer.test",
	  "X-Postdesk-Ticket: 10001\r\n", "Help", FALSE, FALSE, FALSE, FALSE, NULL },
	{ "a stranger's X-Postdesk-Ticket, twice", "bob@customer.test", "bob@customer.test",
	  "X-Postdesk-Ticket: 10001\r\nx-postdesk-ticket: 10002\r\n", "Help", FALSE, FALSE,
	  FALSE, FALSE, NULL },
	{ "another X-Postdesk- name", "bob@customer.test", "bob@customer.test",
	  "X-Postdesk-Loop: yes\r\n", "Help", FALSE, FALSE, FALSE, FALSE, NULL },

	{ "null sender", "", "bob@customer.test", "", "Help", FALSE, FALSE, FALSE, FALSE,
	  "null sender" },
	{ "null sender <>", "<>", "bob@customer.test", "", "Help", FALSE, FALSE, FALSE, FALSE,
	  "null sender" },
	{ "auto-replied", "bob@customer.test", "bob@customer.test",
	  "Auto-Submitted: auto-replied\r\n", "Help", FALSE, FALSE, FALSE, FALSE, "auto-submitted" },
	{ "auto-generated", "bob@customer.test", "bob@customer.test",
	  "Auto-Submitted: auto-generated\r\n", "Help", FALSE, FALSE, FALSE, FALSE,
	  "auto-submitted" },
	{ "auto-notified", "bob@customer.test", "bob@customer.test",
	  "Auto-Submitted: auto-notified; owner-email=x@y.test\r\n", "Help", FALSE, FALSE, FALSE,
	  FALSE, "auto-submitted" },
	{ "precedence bulk", "bob@customer.test", "bob@customer.test", "Precedence: bulk\r\n",
	  "Help", FALSE, FALSE, FALSE, FALSE, "precedence" },
	{ "precedence junk", "bob@customer.test", "bob@customer.test", "Precedence: junk\r\n",
	  "Help", FALSE, FALSE, FALSE, FALSE, "precedence" },
	{ "precedence list", "bob@customer.test", "bob@customer.test", "Precedence: list\r\n",
	  "Help", FALSE, FALSE, FALSE, FALSE, "precedence" },
	{ "precedence auto_reply", "bob@customer.test", "bob@customer.test",
	  "Precedence: auto_reply\r\n", "Help", FALSE, FALSE, FALSE, FALSE, "precedence" },
	{ "list-id", "bob@customer.test", "bob@customer.test", "List-Id: <a.b.test>\r\n", "Help",
	  FALSE, FALSE, FALSE, FALSE, "mailing list" },
	{ "list-unsubscribe", "bob@customer.test", "bob@customer.test",
	  "List-Unsubscribe: <mailto:u@b.test>\r\n", "Help", FALSE, FALSE, FALSE, FALSE,
	  "mailing list" },
	{ "x-auto-response-suppress all", "bob@customer.test", "bob@customer.test",
	  "X-Auto-Response-Suppress: All\r\n", "Help", FALSE, FALSE, FALSE, FALSE,
	  "x-auto-response-suppress" },
	{ "x-auto-response-suppress oof", "bob@customer.test", "bob@customer.test",
	  "X-Auto-Response-Suppress: DR, OOF\r\n", "Help", FALSE, FALSE, FALSE, FALSE,
	  "x-auto-response-suppress" },
	{ "report", "bob@customer.test", "bob@customer.test",
	  "Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n", "Help",
	  FALSE, FALSE, FALSE, FALSE, "report" },
	{ "x-autoreply", "bob@customer.test", "bob@customer.test", "X-Autoreply: yes\r\n", "Help",
	  FALSE, FALSE, FALSE, FALSE, "autoresponder header" },
	{ "apple vacation", "bob@customer.test", "bob@customer.test",
	  "X-Apple-Action: VACATION\r\n", "Hi", FALSE, FALSE, FALSE, FALSE,
	  "autoresponder header" },
	{ "out of office subject", "bob@customer.test", "bob@customer.test", "",
	  "Out of Office: Re: Help", FALSE, FALSE, FALSE, FALSE, "automatic subject" },
	{ "automatic reply subject", "bob@customer.test", "bob@customer.test", "",
	  "Automatic reply: Help", FALSE, FALSE, FALSE, FALSE, "automatic subject" },
	{ "german subject", "bob@customer.test", "bob@customer.test", "",
	  "Abwesenheitsnotiz: Hilfe", FALSE, FALSE, FALSE, FALSE, "automatic subject" },
	{ "mailer-daemon from", "bob@customer.test", "MAILER-DAEMON@customer.test", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, "robot address" },
	{ "postmaster from", "bob@customer.test", "postmaster@customer.test", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, "robot address" },
	{ "noreply from", "bob@customer.test", "No Reply <noreply@customer.test>", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, "robot address" },
	{ "no-reply envelope", "no-reply@customer.test", "Shop <shop@customer.test>", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, "robot address" },
	{ "our own address", "bob@customer.test", "Support <Support@Example.com>", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, "own address" },
	{ "our own address as envelope", "support+x@example.com", "bob@customer.test", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, "own address" },
	{ "dmarc reject, unauthenticated", "bob@customer.test", "bob@customer.test", "", "Help",
	  TRUE, FALSE, TRUE, FALSE, "unauthenticated, dmarc reject" },
	{ "spam", "bob@customer.test", "bob@customer.test", "", "Help", FALSE, FALSE, FALSE, TRUE,
	  "spam" },
	{ "bounce subject", "bob@customer.test", "bob@customer.test", "",
	  "Undeliverable: Help", FALSE, FALSE, FALSE, FALSE, "report" },
	{ "list admin", "bob@customer.test", "neko-admin@lists.customer.test", "", "Help",
	  FALSE, FALSE, FALSE, FALSE, "robot address" },
	{ "fml list server", "bob@customer.test", "bob@customer.test",
	  "X-MLServer: fml [fml 4.0.3]\r\n", "Help", FALSE, FALSE, FALSE, FALSE, "mailing list" },
	{ "no from", "bob@customer.test", NULL, "", "Help", FALSE, FALSE, FALSE, FALSE,
	  "no from address" },
};

static PdMail *
parse(const char *from, const char *headers, const char *subject, const char *message_id)
{
	g_autoptr(GString) text = g_string_new("");
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GError) error = NULL;
	PdMail *mail;

	if (from != NULL)
		g_string_append_printf(text, "From: %s\r\n", from);
	g_string_append_printf(text, "To: support@example.com\r\nSubject: %s\r\n"
			       "Message-ID: <%s>\r\n%s\r\nHello.\r\n", subject,
			       message_id != NULL ? message_id : "m1@customer.test", headers);
	raw = g_bytes_new(text->str, text->len);
	mail = pd_mail_parse(raw, NULL, &error);
	assert_non_null(mail);
	return mail;
}

static const char *const own[] = { "support@example.com", "billing@example.com", NULL };

static void
test_table(void **state)
{
	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const Case *c = &cases[i];
		g_autoptr(PdMail) mail = parse(c->from, c->headers, c->subject, NULL);
		PdAutoreplyFacts facts = {
			.envelope_sender = c->envelope, .mail = mail, .own_addresses = own,
			.delimiter = "+", .auth_known = c->auth_known,
			.from_authenticated = c->authenticated, .dmarc_reject = c->dmarc_reject,
			.spam = c->spam,
		};
		PdAutoreplyDecision d;

		pd_autoreply_decide(&facts, &d);
		if (c->reason == NULL) {
			if (!d.send)
				fail_msg("%s: suppressed (%s), should be answered", c->name, d.reason);
			assert_non_null(d.recipient);
		} else {
			if (d.send || strcmp(d.reason, c->reason) != 0)
				fail_msg("%s: got %s (%s), want suppressed (%s)", c->name,
					 d.send ? "send" : "suppressed", d.reason, c->reason);
			assert_null(d.recipient);
		}
		pd_autoreply_decision_clear(&d);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule autoreply-loop: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

static void
test_recipient(void **state)
{
	g_autoptr(PdMail) mail = parse("Bob Example <Bob@Customer.TEST>", "", "Help", NULL);
	PdAutoreplyFacts facts = { .envelope_sender = "bounce-123@mailer.customer.test",
				   .mail = mail };
	PdAutoreplyDecision d;

	(void)state;
	pd_autoreply_decide(&facts, &d);
	assert_true(d.send);
	assert_string_equal(d.reason, "ok");
	assert_string_equal(d.recipient, "Bob@Customer.TEST");	/* as written */
	assert_string_equal(d.recipient_name, "Bob Example");
	pd_autoreply_decision_clear(&d);
}

/* Our own Message-ID (any recipient) is ours; the same shape under
 * another key is a stranger's, our marker header beside it or not, and so
 * is our reply-address token (which every recipient has) as a Message-ID. */
static void
test_own_message_id(void **state)
{
	const char *mine[] = { KEY, NULL };
	const char *theirs[] = { "another-installation-key-99999", NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(mine, NULL);
	g_autoptr(PdTokenKeys) other = pd_token_keys_new(theirs, NULL);
	g_autofree char *ours = pd_token_message_id(keys, 42, 7, "carol@customer.test",
						    "desk.test", NULL);
	g_autofree char *foreign = pd_token_message_id(other, 42, 7, "carol@customer.test",
						       "desk.test", NULL);
	g_autoptr(PdMail) looped = parse("carol@customer.test", "X-Postdesk-Ticket: 10042\r\n",
					 "Help", ours);
	g_autoptr(PdMail) stranger = parse("carol@customer.test", "X-Postdesk-Ticket: 10042\r\n",
					   "Help", foreign);
	g_autofree char *address = pd_token_reply_address(keys, "support@example.com", 42,
							  "carol@customer.test", NULL);
	g_autofree char *as_id = g_strdup_printf("pd.%.*s@desk.test",
						 (int)(strchr(address, '@') - address - 10),
						 address + 10);	/* "support+t-" */
	g_autoptr(PdMail) reply_token = parse("carol@customer.test", "", "Help", as_id);
	PdAutoreplyFacts facts = { .envelope_sender = "bob@customer.test", .keys = keys };
	PdAutoreplyDecision d;

	(void)state;
	assert_non_null(ours);
	facts.mail = looped;
	pd_autoreply_decide(&facts, &d);
	assert_false(d.send);
	assert_string_equal(d.reason, "own mail (Message-ID)");
	pd_autoreply_decision_clear(&d);

	facts.mail = stranger;
	pd_autoreply_decide(&facts, &d);
	assert_true(d.send);
	pd_autoreply_decision_clear(&d);

	facts.mail = reply_token;
	pd_autoreply_decide(&facts, &d);
	if (!d.send)
		fail_msg("a reply-address token as Message-ID: suppressed (%s)", d.reason);
	pd_autoreply_decision_clear(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_recipient),
		cmocka_unit_test(test_own_message_id),
	};

	pd_mail_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
