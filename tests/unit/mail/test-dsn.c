/* test-dsn: the hard-or-soft rule (mail/pd-dsn-class.c) as a table, and
 * pd_dsn_parse on small reports of each kind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <gmime/gmime.h>

#include "mail/pd-dsn.h"

static const struct {
	const char *action, *status;
	int reply_code;
	const char *text;
	PdDsnKind want;
	const char *why;
} cases[] = {
	{ "failed", "5.1.1", 550, "550 5.1.1 <a@b>: Recipient address rejected: User unknown", PD_DSN_HARD, "no such mailbox" },
	{ "failed", "5.1.2", 550, "Host or domain name not found", PD_DSN_HARD, "no such domain" },
	{ "failed", "5.1.6", 550, "mailbox has moved", PD_DSN_HARD, "moved, no forwarding" },
	{ "failed", "5.1.10", 556, "domain does not accept mail (null MX)", PD_DSN_HARD, "null MX, RFC 7505" },
	{ "failed", "5.4.4", 0, "unable to route", PD_DSN_HARD, "no route to the domain" },
	{ "failed", "5.1.1", 552, "mailbox full, quota exceeded", PD_DSN_SOFT, "a full mailbox under a 5.1.1 is full, not gone" },
	{ "failed", "5.2.2", 552, "Mailbox full", PD_DSN_SOFT, "full mailbox" },
	{ "failed", "5.7.1", 550, "Message rejected as spam", PD_DSN_SOFT, "content, the address exists" },
	{ "failed", "5.7.1", 554, "user unknown", PD_DSN_SOFT, "a policy status (X.7.x) decides alone" },
	{ "failed", "5.2.1", 550, "550 5.2.1 <a@b>... User Unknown", PD_DSN_SOFT, "X.2.x: the mailbox exists (disabled, a carrier's filter)" },
	{ "failed", "5.5.0", 550, "550 Unknown user a@b", PD_DSN_HARD, "X.5.0 is generic: the words decide" },
	{ "failed", "5.3.0", 553, "553 5.3.0 <a@b>... No such user here", PD_DSN_HARD, "X.3.0 is generic: the words decide" },
	{ "failed", "5.6.0", 550, "Recipient address rejected: Media error", PD_DSN_SOFT, "generic status, but no word says the address is gone" },
	{ "failed", "5.0.0", 550, "550 <a@b>: Recipient address rejected.", PD_DSN_HARD, "refused as an address, no other reason given" },
	{ "failed", "5.1.1", 550, "550 5.7.1 IP address blacklisted by recipient", PD_DSN_SOFT, "words that say the address exists win over an address status" },
	{ "failed", "5.1.1", 550, "has sent to too many recipients this hour", PD_DSN_SOFT, "a rate limit under 5.1.1: the address exists" },
	{ "failed", "5.1.8", 553, "Domain of sender address a@b does not exist", PD_DSN_SOFT, "X.1.8 is about our sender, not the recipient" },
	{ "failed", "5.1.7", 550, "No such domain neko.example.com", PD_DSN_SOFT, "X.1.7 is about our sender, not the recipient" },
	{ NULL, NULL, 0, "User some.name (a@b) not listed in Domino Directory", PD_DSN_HARD, "Lotus Domino's words, no status" },
	{ "failed", "5.1.0", 553, "SMTP error from remote mail server after MAIL FROM:<us@x> SIZE=1022: 553 5.1.0 us@x does not exist", PD_DSN_SOFT, "refused at MAIL FROM: our sender, not the recipient" },
	{ NULL, NULL, 550, "SMTP error from remote mail server after end of data: 550 : User unknown", PD_DSN_SOFT, "unknown only after DATA: a content filter, the address took RCPT" },
	{ NULL, NULL, 550, "Requested action not taken: mailbox unavailable", PD_DSN_HARD, "RFC 5321's 550 text, no status" },
	{ "failed", "5.0.0", 550, "** Address not found ** ... because the address couldn't be found. Check for typos or unnecessary spaces and try again.", PD_DSN_HARD, "Gmail's advice to try again is no temporary failure" },
	{ "failed", "5.0.0", 550, "no such user; try again later", PD_DSN_SOFT, "\"try again later\" is" },
	{ "failed", "5.0.0", 550, "No such user here", PD_DSN_HARD, "generic status: the words decide" },
	{ "failed", "5.0.0", 550, "blocked by policy", PD_DSN_SOFT, "generic status, policy words" },
	{ "failed", NULL, 550, "sorry, no mailbox here by that name", PD_DSN_HARD, "no status, qmail's words" },
	{ "failed", NULL, 554, "delivery failed", PD_DSN_SOFT, "nothing says the address is gone" },
	{ "failed", "4.2.2", 452, "mailbox full", PD_DSN_SOFT, "temporary" },
	{ "failed", "4.1.1", 450, "user unknown", PD_DSN_SOFT, "a 4xx is never hard" },
	{ "failed", NULL, 421, "try later", PD_DSN_SOFT, "4xx reply code, no status" },
	{ "delayed", "4.4.7", 0, "still trying", PD_DSN_SOFT, "delayed" },
	{ "delivered", "2.0.0", 250, "ok", PD_DSN_DELIVERED, "success DSN" },
	{ "relayed", "2.0.0", 0, NULL, PD_DSN_DELIVERED, "relayed to a non-DSN system" },
	{ NULL, "2.6.0", 250, NULL, PD_DSN_DELIVERED, "success status, no action" },
	{ NULL, NULL, 0, NULL, PD_DSN_SOFT, "nothing known: never hard" },
};

static void
test_table(void **state)
{
	(void)state;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdDsnKind got = pd_dsn_classify(cases[i].action, cases[i].status, cases[i].reply_code,
						cases[i].text);

		if (got != cases[i].want)
			fail_msg("case %u (%s): %s, want %s", (guint)i, cases[i].why,
				 pd_dsn_kind_name(got), pd_dsn_kind_name(cases[i].want));
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule dsn-hard-soft: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

static PdDsn *
parse(const char *raw)
{
	return pd_dsn_parse(raw, strlen(raw));
}

static void
test_rfc3464(void **state)
{
	g_autoptr(PdDsn) dsn = parse(
		"From: MAILER-DAEMON@mx.example.org\r\n"
		"To: bounce+b-abc@example.com\r\n"
		"Subject: Undelivered Mail Returned to Sender\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
		"\r\n--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n"
		"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
		"Reporting-MTA: dns; mx.example.org\r\n\r\n"
		"Final-Recipient: rfc822; Nobody@Example.org\r\n"
		"Original-Recipient: rfc822;nobody@example.org\r\n"
		"Action: failed\r\nStatus: 5.1.1\r\n"
		"Remote-MTA: dns; mail.example.org\r\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>:\r\n"
		"    Recipient address rejected: User unknown\r\n\r\n"
		"Final-Recipient: rfc822; later@example.org\r\n"
		"Action: delayed\r\nStatus: 4.4.1\r\n\r\n"
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
		"Message-ID: <t.1.abc@example.com>\r\nSubject: Re: [#7]\r\n\r\n--B--\r\n");
	PdDsnRecipient *r;

	(void)state;
	assert_non_null(dsn);
	assert_int_equal(dsn->kind, PD_DSN_HARD);
	assert_true(dsn->standard);
	assert_string_equal(dsn->returned_message_id, "t.1.abc@example.com");
	assert_int_equal(dsn->recipients->len, 2);
	r = dsn->recipients->pdata[0];
	assert_string_equal(r->address, "nobody@example.org");
	assert_string_equal(r->original, "nobody@example.org");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.1.1");
	assert_int_equal(r->reply_code, 550);
	assert_string_equal(r->remote_mta, "mail.example.org");
	assert_string_equal(r->diagnostic,
			    "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown");
	r = dsn->recipients->pdata[1];
	assert_int_equal(r->kind, PD_DSN_SOFT);
}

/* Postfix writes the SMTP stage in the text part, folded anywhere: an
 * unknown user answered only after DATA is a content filter (soft). */
static void
test_after_data(void **state)
{
	g_autoptr(PdDsn) dsn = parse(
		"From: MAILER-DAEMON@mx.example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
		"\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
		"<a@docomo.example>: host mx[192.0.2.1] said:\r\n"
		"    550 Unknown user a@docomo.example (in reply to end of DATA\r\n    command)\r\n"
		"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
		"Reporting-MTA: dns; mx.example.org\r\n\r\n"
		"Final-Recipient: rfc822; a@docomo.example\r\nAction: failed\r\nStatus: 5.0.0\r\n"
		"Diagnostic-Code: smtp; 550 Unknown user a@docomo.example\r\n\r\n--B--\r\n");

	(void)state;
	assert_non_null(dsn);
	assert_int_equal(dsn->kind, PD_DSN_SOFT);
}

static void
test_arf_autoreply_plain(void **state)
{
	g_autoptr(PdDsn) arf = parse(
		"From: abuse@isp.example\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"B\"\r\n\r\n"
		"--B\r\nContent-Type: text/plain\r\n\r\nA complaint.\r\n"
		"--B\r\nContent-Type: message/feedback-report\r\n\r\n"
		"Feedback-Type: abuse\r\nVersion: 1\r\nOriginal-Rcpt-To: <u@isp.example>\r\n\r\n--B--\r\n");
	g_autoptr(PdDsn) vacation = parse(
		"From: someone@example.org\r\nSubject: Out of office\r\n"
		"Auto-Submitted: auto-replied\r\n\r\nBack on Monday.\r\n");
	g_autoptr(PdDsn) plain = parse(
		"From: someone@example.org\r\nSubject: my printer\r\n\r\nIt fails with 5.1.1 550.\r\n");
	g_autoptr(PdDsn) qmail = parse(
		"From: MAILER-DAEMON@mx.example.org\r\nSubject: failure notice\r\n\r\n"
		"Hi. This is the qmail-send program at mx.example.org.\r\n"
		"<nobody@example.org>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n");

	(void)state;
	assert_non_null(arf);
	assert_int_equal(arf->kind, PD_DSN_FEEDBACK);
	assert_string_equal(arf->feedback_type, "abuse");
	assert_non_null(vacation);
	assert_int_equal(vacation->kind, PD_DSN_AUTO_REPLY);
	assert_null(plain);
	assert_non_null(qmail);
	assert_int_equal(qmail->kind, PD_DSN_HARD);
	assert_string_equal(((PdDsnRecipient *)qmail->recipients->pdata[0])->address,
			    "nobody@example.org");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_rfc3464),
		cmocka_unit_test(test_after_data),
		cmocka_unit_test(test_arf_autoreply_plain),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
