/* Unit tests for lib/lmtp: DATA (exact bytes, dot-unstuffing, SMTP
 * smuggling, the size limit), replies per recipient, pipelining and
 * XFORWARD.  Each dialogue is checked whole, byte by byte and in chunks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lmtp-dialogue.h"
#include "lmtp-replies.h"

#define RAW_CONTENT "Subject: x\r\n\r\nA\0B\rC\nD\xff\tE\r\n\r\n"
#define ENVELOPE_PLAIN(to) "from=<a@example.com> rcpt=<" to "> name=- addr=- helo=- proto=- " \
	"lhlo=mx.test size=-1 8bit=0"

static const Dialogue data_dialogues[] = {
	{ "data: exact bytes", 0,
	  BYTES(LHLO TXN("a@example.com", "b@example.com") RAW_CONTENT ".\r\n"),
	  LHLO_REPLY TXN_REPLY DELIVERED("b@example.com"), 1, BYTES(RAW_CONTENT),
	  ENVELOPE_PLAIN("b@example.com") },
	{ "data: empty message", 0, LHLO TXN("a@example.com", "b@example.com") ".\r\n", 0,
	  LHLO_REPLY TXN_REPLY DELIVERED("b@example.com"), 1, "", 0, NULL },
	{ "data: dot-unstuffing", 0,
	  LHLO TXN("a@example.com", "b@example.com")
	  "..first\r\n..leading\r\n.x\r\n...\r\na.b\r\n..\r\n. \r\n.\r\r\n.\n..\r.\r\n.\r\n", 0,
	  LHLO_REPLY TXN_REPLY DELIVERED("b@example.com"), 1,
	  ".first\r\n.leading\r\nx\r\n..\r\na.b\r\n.\r\n \r\n\r\r\n\n..\r.\r\n", 0, NULL },
	{ "data: replies in RCPT order, missing reply is 451", 0,
	  LHLO "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
	  "RCPT TO:<unknown@example.com>\r\nRCPT TO:<fail@example.com>\r\n"
	  "RCPT TO:<defer@example.com>\r\nDATA\r\nhi\r\n.\r\n", 0,
	  LHLO_REPLY MAIL_OK RCPT_OK "550 5.1.1 <unknown@example.com>: User unknown\r\n"
	  RCPT_OK RCPT_OK GO DELIVERED("b@example.com") INTERNAL "451 4.3.0 Try again later\r\n",
	  1, "hi\r\n", 0,
	  "from=<a@example.com> rcpt=<b@example.com>,<fail@example.com>,<defer@example.com>"
	  " name=- addr=- helo=- proto=- lhlo=mx.test size=-1 8bit=0" },
	{ "data: pipelined, transaction resets after DATA", 0,
	  LHLO TXN("a@example.com", "b@example.com") "one\r\n.\r\n"
	  "RCPT TO:<c@example.com>\r\n" TXN("", "c@example.com") "two\r\n.\r\nQUIT\r\nNOOP\r\n", 0,
	  LHLO_REPLY TXN_REPLY DELIVERED("b@example.com") NEED_MAIL TXN_REPLY
	  DELIVERED("c@example.com") BYE, 2, "one\r\n", 0, NULL },
	{ "data: bytes after 354 in the same buffer are content", 0,
	  LHLO TXN("a@example.com", "b@example.com") "QUIT\r\nRSET\r\n.\r\nNOOP\r\n", 0,
	  LHLO_REPLY TXN_REPLY DELIVERED("b@example.com") OK, 1, "QUIT\r\nRSET\r\n", 0, NULL },
};

/* Every way a peer may try to end DATA early (CVE-2023-51764): the
 * fake end and the commands after it must be content. */
static void
test_smuggling(void **state)
{
	static const struct {
		const char *fake, *content;
	} variants[] = {
		{ "\n.\n", "\n.\n" },
		{ "\r\n.\n", "\r\n\n" },
		{ "\n.\r\n", "\n.\r\n" },
		{ "\r.\r", "\r.\r" },
		{ "\r.\r\n", "\r.\r\n" },
		{ "\n.\r", "\n.\r" },
		{ "\r\n.\r", "\r\n\r" },
		{ "\r\n.\r\r\n", "\r\n\r\r\n" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(variants); i++) {
		g_autofree char *in = g_strconcat(LHLO, TXN("a@example.com", "b@example.com"),
						  "Subject: s\r\n\r\nbody", variants[i].fake,
						  "MAIL FROM:<evil@example.com>\r\nRCPT TO:<c@example.com>\r\n"
						  "DATA\r\nsmuggled\r\n.\r\n", NULL);
		g_autofree char *want = g_strconcat("Subject: s\r\n\r\nbody", variants[i].content,
						    "MAIL FROM:<evil@example.com>\r\nRCPT TO:<c@example.com>\r\n"
						    "DATA\r\nsmuggled\r\n", NULL);
		g_autofree char *name = g_strdup_printf("smuggling variant %u", i);
		Dialogue d = { name, 0, in, 0, LHLO_REPLY TXN_REPLY DELIVERED("b@example.com"), 1,
			       want, 0, ENVELOPE_PLAIN("b@example.com") };

		dialogue_check(&d);
	}
}

/* Over max_message_size: read to the real end, 552 for every recipient,
 * no data() call, and the session goes on. */
static void
test_size_limit(void **state)
{
	g_autofree char *fits = g_strnfill(MAX_MESSAGE - 2, 'x');
	g_autofree char *over = g_strnfill(MAX_MESSAGE - 1, 'x');
	g_autofree char *in = NULL, *in2 = NULL, *in3 = NULL;
	GString *wire = g_string_new(NULL), *content = g_string_new(NULL);

	/* Exactly MAX_MESSAGE bytes (with the CRLF): delivered. */
	in = g_strconcat(LHLO, TXN("a@example.com", "b@example.com"), fits, "\r\n.\r\n", NULL);
	{
		g_autofree char *want = g_strconcat(fits, "\r\n", NULL);
		Dialogue d = { "size: at the limit", 0, in, 0,
			       LHLO_REPLY TXN_REPLY DELIVERED("b@example.com"), 1, want, 0, NULL };

		dialogue_check(&d);
	}
	/* One more: 552 for both recipients, then a pipelined transaction works. */
	in2 = g_strconcat(LHLO, "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
			  "RCPT TO:<c@example.com>\r\nDATA\r\n", over, "\r\n", over, "\r\n.\r\n",
			  TXN("a@example.com", "d@example.com"), "small\r\n.\r\n", NULL);
	{
		Dialogue d = { "size: over the limit", 0, in2, 0,
			       LHLO_REPLY MAIL_OK RCPT_OK RCPT_OK GO TOO_BIG TOO_BIG TXN_REPLY
			       DELIVERED("d@example.com"), 1, "small\r\n", 0,
			       ENVELOPE_PLAIN("d@example.com") };

		dialogue_check(&d);
	}
	/* The limit counts bytes after unstuffing: 264 on the wire, 198 kept. */
	for (guint i = 0; i < 66; i++) {
		g_string_append(wire, "..\r\n");
		g_string_append(content, ".\r\n");
	}
	in3 = g_strconcat(LHLO, TXN("a@example.com", "b@example.com"), wire->str, ".\r\n", NULL);
	{
		Dialogue d = { "size: counted after unstuffing", 0, in3, 0,
			       LHLO_REPLY TXN_REPLY DELIVERED("b@example.com"), 1, content->str, 0,
			       NULL };

		dialogue_check(&d);
	}
	g_string_free(wire, TRUE);
	g_string_free(content, TRUE);
}

#define XF "XFORWARD NAME=mail.example.org ADDR=IPv6:2001:DB8::1 PROTO=ESMTP HELO=[UNAVAILABLE]\r\n"
#define XF_SEEN "name=mail.example.org addr=2001:DB8::1 helo=- proto=ESMTP"
#define XF_TXN TXN("a@example.com", "b@example.com") ".\r\n"
#define XF_TXN_REPLY TXN_REPLY DELIVERED("b@example.com")

static const Dialogue xforward_dialogues[] = {
	{ "xforward: Postfix's two commands", 0,
	  LHLO XF "XFORWARD PORT=25 IDENT=abc SOURCE=REMOTE\r\n" XF_TXN, 0,
	  LHLO_REPLY OK OK XF_TXN_REPLY, 1, NULL, 0,
	  "from=<a@example.com> rcpt=<b@example.com> " XF_SEEN " lhlo=mx.test size=-1 8bit=0" },
	{ "xforward: xtext, unknown values, case", 0,
	  LHLO "xforward name=a+2Bb+3dc helo=h+C3+A9lo Addr=[TEMPUNAVAIL] PROTO=a+0Ab\r\n" XF_TXN, 0,
	  LHLO_REPLY OK XF_TXN_REPLY, 1, NULL, 0,
	  "from=<a@example.com> rcpt=<b@example.com> name=a+b=c addr=- helo=h\xc3\xa9lo proto=a?b"
	  " lhlo=mx.test size=-1 8bit=0" },
	{ "xforward: errors", 0,
	  LHLO "XFORWARD\r\nXFORWARD NAME\r\nXFORWARD NAME=\r\nXFORWARD FOO=bar\r\n"
	  "XFORWARD NAME=a+zz\r\nXFORWARD NAME=a+00\r\nXFORWARD NAME=a+FF\r\nXFORWARD NAME=\x80\r\n"
	  "XFORWARD NAME=a+4\r\n", 0,
	  LHLO_REPLY "501 5.5.4 Syntax: XFORWARD attribute=value...\r\n"
	  "501 5.5.4 Error: attribute=value expected\r\n"
	  "501 5.5.4 Error: attribute=value expected\r\n"
	  "501 5.5.4 Bad XFORWARD attribute name: FOO\r\n"
	  "501 5.5.4 Error: malformed value for attribute NAME\r\n"
	  "501 5.5.4 Error: malformed value for attribute NAME\r\n"
	  "501 5.5.4 Error: malformed value for attribute NAME\r\n"
	  "501 5.5.4 Error: malformed value for attribute NAME\r\n"
	  "501 5.5.4 Error: malformed value for attribute NAME\r\n", 0 },
	{ "xforward: a bad command changes nothing", 0,
	  LHLO "XFORWARD NAME=good ADDR=192.0.2.1\r\nXFORWARD NAME=bad ADDR=+zz\r\n" XF_TXN, 0,
	  LHLO_REPLY OK "501 5.5.4 Error: malformed value for attribute ADDR\r\n" XF_TXN_REPLY, 1,
	  NULL, 0, "from=<a@example.com> rcpt=<b@example.com> name=good addr=192.0.2.1 helo=- "
	  "proto=- lhlo=mx.test size=-1 8bit=0" },
	{ "xforward: not in a transaction", 0,
	  LHLO "MAIL FROM:<a@example.com>\r\nXFORWARD NAME=x\r\n", 0,
	  LHLO_REPLY MAIL_OK "503 5.5.1 Error: MAIL transaction in progress\r\n", 0 },
	{ "xforward: not allowed", F_NO_XFORWARD, LHLO "XFORWARD\r\nXFORWARD NAME=x\r\n", 0,
	  LHLO_REPLY_NO_XFORWARD "501 5.5.4 Syntax: XFORWARD attribute=value...\r\n"
	  "550 5.7.0 Error: insufficient authorization\r\n", 0 },
};

/* XFORWARD data lasts one transaction: the end of DATA and RSET clear it. */
static void
test_xforward_reset(void **state)
{
	Dialogue d = { "xforward reset", 0,
		       LHLO XF XF_TXN XF_TXN XF "RSET\r\n" XF_TXN XF XF_TXN, 0,
		       LHLO_REPLY OK XF_TXN_REPLY XF_TXN_REPLY OK OK XF_TXN_REPLY OK XF_TXN_REPLY, 4 };
	DialogueResult r;
	static const char *const seen[] = { XF_SEEN, "name=- addr=- helo=- proto=-",
					    "name=- addr=- helo=- proto=-", XF_SEEN };

	dialogue_check(&d);
	dialogue_run(&d, 0, &r);
	for (guint i = 0; i < G_N_ELEMENTS(seen); i++)
		assert_non_null(strstr(r.envelopes->pdata[i], seen[i]));
	dialogue_result_clear(&r);
}

static void
test_xforward_value_length(void **state)
{
	g_autofree char *v255 = g_strnfill(255, 'n'), *v256 = g_strnfill(256, 'n');
	g_autofree char *in = g_strconcat(LHLO "XFORWARD NAME=", v256, "\r\nXFORWARD NAME=", v255,
					  "\r\n", NULL);
	Dialogue d = { "xforward value length", 0, in, 0,
		       LHLO_REPLY "501 5.5.4 Error: attribute value too long\r\n" OK, 0 };

	dialogue_check(&d);
}

/* A long pipelined session cut at random points answers the same bytes. */
/* What completes a record (pd_lmtp_session_records), byte by byte: the
 * per-record deadline of pd-session.c starts again only then. */
static void
test_records(void **state)
{
	static const struct {
		const char *input;
		guint64 records;	/* after the input */
	} steps[] = {
		{ "LHLO mx.te", 0 }, { "st\r", 0 }, { "\n", 1 },	/* a command line */
		{ "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDA", 3 },
		{ "TA\r\n", 4 },
		{ "Subject: x\r\n\r\nbody", 4 }, { "\r\n.", 4 },	/* content: nothing */
		{ "\r\n", 5 },					/* the message */
		{ "NOOP", 5 }, { "\n", 6 },				/* a bare LF ends one */
	};
	const PdLmtpSettings settings = { .hostname = "h.test" };
	g_autoptr(PdLmtpSession) session = pd_lmtp_session_new(&settings, NULL, NULL);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(PdLmtpSession) longer = NULL;
	const PdLmtpSettings small = { .hostname = "h.test", .max_line_length = 16 };
	g_autofree char *junk = g_strnfill(100, 'x');

	for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
		pd_lmtp_session_input(session, steps[i].input, strlen(steps[i].input), out);
		if (pd_lmtp_session_records(session) != steps[i].records)
			fail_msg("after step %u: %" G_GUINT64_FORMAT " records", i,
				 pd_lmtp_session_records(session));
	}
	/* a line too long is discarded: it ends a record only at its LF */
	longer = pd_lmtp_session_new(&small, NULL, NULL);
	pd_lmtp_session_input(longer, junk, 100, out);
	assert_int_equal(pd_lmtp_session_records(longer), 0);
	pd_lmtp_session_input(longer, "\r\n", 2, out);
	assert_int_equal(pd_lmtp_session_records(longer), 1);
}

static void
test_random_chunks(void **state)
{
	GString *in = g_string_new(LHLO);
	g_autoptr(GRand) rand = g_rand_new_with_seed(2033);
	DialogueResult whole;
	Dialogue d = { "random chunks", 0, NULL, 0, NULL, -1 };

	for (guint i = 0; i < 30; i++)
		g_string_append_printf(in, XF "MAIL FROM:<a%u@example.com>\r\nRCPT TO:<b@example.com>\r\n"
				       "RCPT TO:<unknown@example.com>\r\nDATA\r\n..%u\r\nx\n.\r\r\n.\r\n"
				       "NOOP\r\n", i, i);
	d.input = in->str;
	dialogue_run(&d, 0, &whole);
	assert_int_equal(whole.messages->len, 30);
	for (guint round = 0; round < 50; round++) {
		GString *out = g_string_new(NULL);
		PdLmtpSettings settings = dialogue_settings(0);
		DialogueResult r = { .out = out };
		PdLmtpSession *s;

		r.messages = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
		r.envelopes = g_ptr_array_new_with_free_func(g_free);
		s = pd_lmtp_session_new(&settings, dialogue_callbacks(), &r);
		for (gsize off = 0; off < in->len;) {
			gsize want = (gsize)g_rand_int_range(rand, 1, 40);	/* MIN() evaluates twice */
			gsize n = MIN(want, in->len - off);
			/* An exact-size copy, so a sanitizer sees any over-read. */
			g_autofree char *chunk = g_memdup2(in->str + off, n);

			pd_lmtp_session_input(s, chunk, n, out);
			off += n;
		}
		assert_string_equal(out->str, whole.out->str);
		assert_int_equal(r.messages->len, 30);
		for (guint i = 0; i < 30; i++)
			assert_true(g_bytes_equal(r.messages->pdata[i], whole.messages->pdata[i]));
		r.session = s;
		dialogue_result_clear(&r);
	}
	dialogue_result_clear(&whole);
	g_string_free(in, TRUE);
}

#define TABLE_TEST(table) \
	static void test_##table(void **state) { dialogue_check_table(table, G_N_ELEMENTS(table)); }
TABLE_TEST(data_dialogues)
TABLE_TEST(xforward_dialogues)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_dialogues),
		cmocka_unit_test(test_smuggling),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_xforward_dialogues),
		cmocka_unit_test(test_xforward_reset),
		cmocka_unit_test(test_xforward_value_length),
		cmocka_unit_test(test_random_chunks),
		cmocka_unit_test(test_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
