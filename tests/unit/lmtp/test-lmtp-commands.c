/* Unit tests for lib/lmtp: commands, replies, sequence, limits on lines
 * and errors.  Each dialogue is checked whole, byte by byte and in chunks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lmtp-dialogue.h"
#include "lmtp-replies.h"

static const Dialogue greeting_and_lhlo[] = {
	{ "lhlo", 0, LHLO, 0, LHLO_REPLY, 0 },
	{ "lhlo without XFORWARD", F_NO_XFORWARD, LHLO, 0, LHLO_REPLY_NO_XFORWARD, 0 },
	{ "lhlo lower case", 0, "lhlo mx.test\r\n", 0, LHLO_REPLY, 0 },
	{ "lhlo without name", 0, "LHLO\r\nLHLO \r\n", 0,
	  "501 5.5.4 Syntax: LHLO hostname\r\n501 5.5.4 Syntax: LHLO hostname\r\n", 0 },
	{ "lhlo two names", 0, "LHLO a b\r\n", 0, "501 5.5.4 Syntax: LHLO hostname\r\n", 0 },
	{ "helo and ehlo are not LMTP", 0, "HELO mx.test\r\nehlo mx.test\r\n", 0,
	  "500 5.5.1 Error: this is LMTP, send LHLO\r\n"
	  "500 5.5.1 Error: this is LMTP, send LHLO\r\n", 0 },
	{ "transaction commands need LHLO", 0,
	  "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
	  "XFORWARD NAME=x\r\n", 0,
	  NEED_LHLO NEED_LHLO NEED_LHLO NEED_LHLO, 0 },
	{ "noop rset vrfy quit before LHLO", 0,
	  "NOOP\r\nRSET\r\nVRFY bob\r\nQUIT\r\nNOOP\r\n", 0,
	  OK OK "252 2.5.0 Cannot VRFY user; try RCPT to attempt delivery\r\n" BYE, 0 },
	{ "bare LF ends a command line", 0,
	  "LHLO mx.test\nMAIL FROM:<a@example.com>\nRCPT TO:<b@example.com>\r\nRSET\n", 0,
	  LHLO_REPLY MAIL_OK RCPT_OK OK, 0 },
	{ "second LHLO resets the transaction", 0,
	  LHLO "MAIL FROM:<a@example.com>\r\n" LHLO "RCPT TO:<b@example.com>\r\n", 0,
	  LHLO_REPLY MAIL_OK LHLO_REPLY NEED_MAIL, 0 },
};

static const Dialogue mail_commands[] = {
	{ "mail ok and null sender", 0,
	  LHLO "MAIL FROM:<a@example.com>\r\nRSET\r\nMAIL FROM:<>\r\n", 0,
	  LHLO_REPLY MAIL_OK OK MAIL_OK, 0 },
	{ "mail case-insensitive with parameters", 0,
	  LHLO "mail from:<Alice@Example.COM> size=120 body=8bitmime\r\n"
	  "rcpt to:<Bob@example.com>\r\ndata\r\n.\r\n", 0,
	  LHLO_REPLY MAIL_OK RCPT_OK GO DELIVERED("Bob@example.com"), 1, "", 0,
	  "from=<Alice@Example.COM> rcpt=<Bob@example.com> name=- addr=- helo=- proto=- "
	  "lhlo=mx.test size=120 8bit=1" },
	{ "mail space after colon, BODY=7BIT", 0,
	  LHLO "MAIL FROM: <a@example.com> BODY=7BIT\r\n", 0, LHLO_REPLY MAIL_OK, 0 },
	{ "mail syntax errors", 0,
	  LHLO "MAIL\r\nMAIL FROM\r\nMAIL TO:<a@example.com>\r\nMAIL FROM:a@example.com\r\n"
	  "MAIL FROM:<a@example.com\r\nMAIL FROM:<a@example.com>x\r\n"
	  "MAIL FROM:<a b@example.com>\r\n", 0,
	  LHLO_REPLY MAIL_SYNTAX MAIL_SYNTAX MAIL_SYNTAX MAIL_SYNTAX MAIL_SYNTAX MAIL_SYNTAX
	  MAIL_SYNTAX, 0 },
	{ "mail bad paths", 0,
	  LHLO "MAIL FROM:<a@>\r\nMAIL FROM:<@example.com>\r\nMAIL FROM:<a@b..c>\r\n"
	  "MAIL FROM:<a@.b>\r\nMAIL FROM:<postmaster>\r\nMAIL FROM:<a(b)@c>\r\n"
	  "MAIL FROM:<\"\"@c>\r\nMAIL FROM:<a@b@c>\r\nMAIL FROM:<a@[1.2.3.4>\r\n"
	  "MAIL FROM:<\xff@c>\r\nMAIL FROM:<a\x01@c>\r\n", 0,
	  LHLO_REPLY BAD_SENDER BAD_SENDER BAD_SENDER BAD_SENDER BAD_SENDER BAD_SENDER
	  BAD_SENDER BAD_SENDER BAD_SENDER BAD_SENDER MAIL_SYNTAX, 0 },
	{ "mail good unusual paths", 0,
	  LHLO "MAIL FROM:<\"john smith\"@example.com>\r\nRCPT TO:<x@[192.0.2.1]>\r\n"
	  "RCPT TO:<@relay.example,@b.example:y@example.com>\r\nRCPT TO:<Postmaster>\r\n"
	  "DATA\r\n.\r\n", 0,
	  LHLO_REPLY MAIL_OK RCPT_OK RCPT_OK RCPT_OK GO DELIVERED("x@[192.0.2.1]")
	  DELIVERED("y@example.com") DELIVERED("Postmaster"), 1, NULL, 0,
	  "from=<\"john smith\"@example.com> rcpt=<x@[192.0.2.1]>,<y@example.com>,<Postmaster>"
	  " name=- addr=- helo=- proto=- lhlo=mx.test size=-1 8bit=0" },
	{ "mail UTF-8 path", 0,
	  LHLO "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc" "cher.example>\r\n", 0, LHLO_REPLY MAIL_OK, 0 },
	{ "mail parameters", 0,
	  LHLO "MAIL FROM:<a@example.com> FOO=1\r\nMAIL FROM:<a@example.com> SIZE=abc\r\n"
	  "MAIL FROM:<a@example.com> SIZE=\r\nMAIL FROM:<a@example.com> BODY=BINARYMIME\r\n"
	  "MAIL FROM:<a@example.com> SIZE=201\r\n"
	  "MAIL FROM:<a@example.com> SIZE=99999999999999999999999999\r\n"
	  "MAIL FROM:<a@example.com> SIZE=200\r\n", 0,
	  LHLO_REPLY "555 5.5.4 Unsupported option: FOO\r\n"
	  "501 5.5.4 Bad message size syntax\r\n501 5.5.4 Bad message size syntax\r\n"
	  "501 5.5.4 Bad BODY parameter syntax\r\n" SIZE_LIMIT SIZE_LIMIT MAIL_OK, 0 },
	{ "nested mail", 0,
	  LHLO "MAIL FROM:<a@example.com>\r\nMAIL FROM:<b@example.com>\r\n", 0,
	  LHLO_REPLY MAIL_OK NESTED, 0 },
	{ "mail refused by the callback", 0,
	  LHLO "MAIL FROM:<blocked@example.com>\r\nRCPT TO:<b@example.com>\r\n"
	  "MAIL FROM:<a@example.com>\r\n", 0,
	  LHLO_REPLY "550 5.7.1 Sender blocked@example.com blocked\r\n" NEED_MAIL MAIL_OK, 0 },
};

static const Dialogue rcpt_commands[] = {
	{ "rcpt before mail", 0, LHLO "RCPT TO:<b@example.com>\r\n", 0, LHLO_REPLY NEED_MAIL, 0 },
	{ "rcpt syntax and paths", 0,
	  LHLO "MAIL FROM:<>\r\nRCPT TO:<>\r\nRCPT FROM:<b@example.com>\r\nRCPT TO:b@example.com\r\n"
	  "RCPT TO:<b@>\r\nRCPT TO:<b@example.com> NOTIFY=NEVER\r\n", 0,
	  LHLO_REPLY MAIL_OK BAD_RCPT RCPT_SYNTAX RCPT_SYNTAX BAD_RCPT
	  "555 5.5.4 Unsupported option: NOTIFY\r\n", 0 },
	{ "rcpt unknown, broken callback, too many", 0,
	  LHLO "MAIL FROM:<a@example.com>\r\nRCPT TO:<unknown@example.com>\r\n"
	  "RCPT TO:<broken@example.com>\r\nRCPT TO:<b1@example.com>\r\nRCPT TO:<b2@example.com>\r\n"
	  "RCPT TO:<b3@example.com>\r\nRCPT TO:<b4@example.com>\r\nRCPT TO:<unknown@example.com>\r\n", 0,
	  LHLO_REPLY MAIL_OK "550 5.1.1 <unknown@example.com>: User unknown\r\n" INTERNAL
	  RCPT_OK RCPT_OK RCPT_OK TOO_MANY_RCPT TOO_MANY_RCPT, 0 },
	{ "data without recipients", 0,
	  LHLO "DATA\r\nMAIL FROM:<a@example.com>\r\nDATA\r\nRCPT TO:<unknown@example.com>\r\n"
	  "DATA\r\nRCPT TO:<b@example.com>\r\nDATA x\r\n", 0,
	  LHLO_REPLY NEED_RCPT MAIL_OK NEED_RCPT "550 5.1.1 <unknown@example.com>: User unknown\r\n"
	  NEED_RCPT RCPT_OK "501 5.5.4 Syntax: DATA\r\n", 0 },
};

static const Dialogue other_commands[] = {
	{ "rset noop vrfy quit", 0,
	  LHLO "RSET\r\nRSET now\r\nNOOP\r\nNOOP whatever\r\nVRFY\r\nVRFY bob\r\nQUIT\r\n"
	  "NOOP\r\n", 0,
	  LHLO_REPLY OK "501 5.5.4 Syntax: RSET\r\n" OK OK "501 5.5.4 Syntax: VRFY address\r\n"
	  "252 2.5.0 Cannot VRFY user; try RCPT to attempt delivery\r\n" BYE, 0 },
	{ "rset ends the transaction", 0,
	  LHLO "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRSET\r\nDATA\r\n"
	  "RCPT TO:<b@example.com>\r\n", 0,
	  LHLO_REPLY MAIL_OK RCPT_OK OK NEED_RCPT NEED_MAIL, 0 },
	{ "unknown commands, empty lines, NUL", 0,
	  BYTES("BDAT 10\r\nSTARTTLS\r\n\r\n   \r\nNO\0OP\r\n"),
	  UNKNOWN_CMD UNKNOWN_CMD BAD_SYNTAX BAD_SYNTAX BAD_SYNTAX, 0 },
	{ "blanks around the command", 0, "  NOOP  \r\n\tnoop\t\r\n", 0, OK OK, 0 },
	{ "reply text is made printable", 0, LHLO "MAIL FROM:<a@example.com> X\rY=\x80\r\n", 0,
	  LHLO_REPLY "555 5.5.4 Unsupported option: X?Y\r\n", 0 },
	{ "line too long", F_SMALL_LINES,
	  "NOOP 4567890123456789012345678\r\n"	/* 32 bytes: the limit */
	  "NOOP 45678901234567890123456789\r\n"	/* 33 */
	  "NOOP 45678901234567890123456789\n"	/* 32 with a bare LF */
	  "NOOP 45678901234567890123456789012345678901234567890123456789012345678901234\r\n"
	  "NOOP\r\n", 0,
	  OK TOO_LONG OK TOO_LONG OK, 0 },
	{ "line too long at LF only", F_SMALL_LINES,
	  "NOOP 45678901234567890123456789" "x", 0, "", 0 },
};

/* Append n times one command and its reply. */
static void
repeat(GString *in, GString *want, guint n, const char *command, const char *reply)
{
	for (guint i = 0; i < n; i++) {
		g_string_append(in, command);
		g_string_append(want, reply);
	}
}

/* Check a dialogue built in two GStrings, and free them. */
static void
check_built(const char *name, GString *in, GString *want)
{
	Dialogue d = { name, 0, in->str, 0, want->str, -1 };

	dialogue_check(&d);
	g_string_free(in, TRUE);
	g_string_free(want, TRUE);
}

/* 19 errors and a NOOP: no 421; the 20th error: 421 and nothing more. */
static void
test_error_limit(void **state)
{
	GString *in = g_string_new(NULL), *want = g_string_new(NULL);
	Dialogue d = { "error limit", 0, NULL, 0, NULL, 0 };

	for (guint i = 0; i < PD_LMTP_ERROR_LIMIT - 1; i++) {
		g_string_append(in, i % 2 ? "FOO\r\n" : "RCPT TO:<a@example.com>\r\n");
		g_string_append(want, i % 2 ? UNKNOWN_CMD : NEED_LHLO);
	}
	g_string_append(in, "NOOP\r\nHELO x\r\nNOOP\r\nQUIT\r\n");
	g_string_append(want, OK "500 5.5.1 Error: this is LMTP, send LHLO\r\n" TOO_MANY_ERRORS);
	d.input = in->str;
	d.output = want->str;
	dialogue_check(&d);
	{
		DialogueResult r;

		dialogue_run(&d, 0, &r);
		assert_int_equal(r.status, PD_LMTP_CLOSE);
		assert_true(pd_lmtp_session_closed(r.session));
		dialogue_result_clear(&r);
	}
	g_string_free(in, TRUE);
	g_string_free(want, TRUE);
}

/* A delivered message forgives earlier errors, as smtpd does. */
static void
test_error_limit_forgiven(void **state)
{
	GString *in = g_string_new(LHLO), *want = g_string_new(LHLO_REPLY);

	for (guint round = 0; round < 2; round++) {
		repeat(in, want, PD_LMTP_ERROR_LIMIT - 1, "FOO\r\n", UNKNOWN_CMD);
		g_string_append(in, TXN("a@example.com", "b@example.com") "hi\r\n.\r\n");
		g_string_append(want, TXN_REPLY DELIVERED("b@example.com"));
	}
	/* A transaction that delivers nothing forgives nothing. */
	repeat(in, want, PD_LMTP_ERROR_LIMIT - 1, "FOO\r\n", UNKNOWN_CMD);
	g_string_append(in, TXN("a@example.com", "defer@example.com") "hi\r\n.\r\nFOO\r\nNOOP\r\n");
	g_string_append(want, TXN_REPLY "451 4.3.0 Try again later\r\n" UNKNOWN_CMD TOO_MANY_ERRORS);
	check_built("errors forgiven", in, want);
}

/* NOOP, RSET, VRFY, LHLO beyond PD_LMTP_JUNK_LIMIT count as errors. */
static void
test_junk_limit(void **state)
{
	guint n = PD_LMTP_JUNK_LIMIT + PD_LMTP_ERROR_LIMIT + 1;
	GString *in = g_string_new(NULL), *want = g_string_new(NULL);

	repeat(in, want, n, "NOOP\r\n", OK);
	g_string_append(in, "NOOP\r\n");
	g_string_append(want, TOO_MANY_ERRORS);
	check_built("junk limit", in, want);
	/* One fewer: still open. */
	in = g_string_new(NULL);
	want = g_string_new(NULL);
	repeat(in, want, n - 1, "NOOP\r\n", OK);
	check_built("junk limit minus one", in, want);
}

/* A 100 kB line is refused and never buffered. */
static void
test_line_never_buffered(void **state)
{
	PdLmtpSettings settings = dialogue_settings(0);
	g_autoptr(PdLmtpSession) session = pd_lmtp_session_new(&settings, NULL, NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree char *junk = g_strnfill(100000, 'x');

	for (guint i = 0; i < 10; i++)
		assert_int_equal(pd_lmtp_session_input(session, junk, 100000, out), PD_LMTP_CONTINUE);
	assert_string_equal(out->str, "");
	assert_int_equal(pd_lmtp_session_input(session, "\r\nNOOP\r\n", 8, out), PD_LMTP_CONTINUE);
	assert_string_equal(out->str, TOO_LONG OK);
}

static void
test_quit_and_abort(void **state)
{
	PdLmtpSettings settings = dialogue_settings(0);
	g_autoptr(PdLmtpSession) a = pd_lmtp_session_new(&settings, NULL, NULL);
	g_autoptr(PdLmtpSession) b = pd_lmtp_session_new(&settings, NULL, NULL);
	g_autoptr(PdLmtpSession) c = pd_lmtp_session_new(&settings, NULL, NULL);
	g_autoptr(GString) out = g_string_new(NULL);

	assert_int_equal(pd_lmtp_session_input(a, "QUIT\r\nNOOP\r\n", 12, out), PD_LMTP_CLOSE);
	assert_string_equal(out->str, BYE);
	assert_int_equal(pd_lmtp_session_input(a, "NOOP\r\n", 6, out), PD_LMTP_CLOSE);
	pd_lmtp_session_abort(a, 421, NULL, out);
	assert_string_equal(out->str, BYE);

	g_string_truncate(out, 0);
	assert_int_equal(pd_lmtp_session_input(b, BYTES(LHLO "MAIL FROM:<a@b.example>\r\n"), out),
			 PD_LMTP_CONTINUE);
	g_string_truncate(out, 0);
	pd_lmtp_session_abort(b, 421, NULL, out);
	assert_string_equal(out->str, "421 4.4.2 " HOST " Error: timeout exceeded\r\n");
	assert_true(pd_lmtp_session_closed(b));
	assert_int_equal(pd_lmtp_session_input(b, "NOOP\r\n", 6, out), PD_LMTP_CLOSE);

	g_string_truncate(out, 0);
	pd_lmtp_session_abort(c, 0, "4.3.2 " HOST " Service shutting down\r\n", out);
	assert_string_equal(out->str, "421 4.3.2 " HOST " Service shutting down??\r\n");
}

static void
test_reply_helpers(void **state)
{
	static const struct {
		const char *line;
		guint code;
		const char *text;
	} cases[] = {
		{ "451 4.3.0 Database unavailable", 451, "4.3.0 Database unavailable" },
		{ "550 5.1.1 x", 550, "5.1.1 x" },
		{ "250", 250, NULL },
		{ "25", 451, "4.3.0 Internal error" },
		{ "650 6.0.0 x", 451, "4.3.0 Internal error" },
		{ "hello", 451, "4.3.0 Internal error" },
		{ "", 451, "4.3.0 Internal error" },
	};
	PdLmtpReply reply = { 0, NULL };

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		pd_lmtp_reply_set_line(&reply, cases[i].line);
		assert_int_equal(reply.code, cases[i].code);
		if (cases[i].text == NULL)
			assert_null(reply.text);
		else
			assert_string_equal(reply.text, cases[i].text);
	}
	pd_lmtp_reply_set(&reply, 250, "2.0.0 Ok %d", 7);
	assert_int_equal(reply.code, 250);
	assert_string_equal(reply.text, "2.0.0 Ok 7");
	pd_lmtp_reply_clear(&reply);
	assert_int_equal(reply.code, 0);
	assert_null(reply.text);
}

/* Defaults for settings left 0; without callbacks MAIL and RCPT are
 * accepted and, with no data callback, every recipient gets 451. */
static void
test_defaults(void **state)
{
	PdLmtpSettings settings = { .hostname = HOST };
	g_autoptr(PdLmtpSession) s = pd_lmtp_session_new(&settings, NULL, NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	const char *in = LHLO TXN("a@example.com", "b@example.com") "x\r\n.\r\n";

	pd_lmtp_session_input(s, in, strlen(in), out);
	assert_string_equal(out->str, "250-" HOST "\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
			    "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n" TXN_REPLY INTERNAL);
	assert_false(pd_lmtp_session_in_data(s));
}

#define TABLE_TEST(table) \
	static void test_##table(void **state) { dialogue_check_table(table, G_N_ELEMENTS(table)); }
TABLE_TEST(greeting_and_lhlo)
TABLE_TEST(mail_commands)
TABLE_TEST(rcpt_commands)
TABLE_TEST(other_commands)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting_and_lhlo),
		cmocka_unit_test(test_mail_commands),
		cmocka_unit_test(test_rcpt_commands),
		cmocka_unit_test(test_other_commands),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_error_limit_forgiven),
		cmocka_unit_test(test_junk_limit),
		cmocka_unit_test(test_line_never_buffered),
		cmocka_unit_test(test_quit_and_abort),
		cmocka_unit_test(test_reply_helpers),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
