/* Unit tests for lib/smtp: the SMTP reply parser (table-driven, any
 * chunking, limits) and the [outbound] configuration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "settings/pd-settings.h"
#include "core/pd-error.h"
#include "smtp/pd-outbound.h"
#include "smtp/pd-smtp-reply.h"
#include "smtp/pd-smtp.h"

typedef struct {
	const char *input;
	guint n;		/* replies expected */
	guint code;		/* of the last one */
	const char *enhanced;	/* of the last one, or NULL */
	const char *formatted;	/* pd_smtp_reply_format of the last one */
} ReplyCase;

static const ReplyCase reply_cases[] = {
	{ "220 smtp-sink ESMTP\r\n", 1, 220, NULL, "220 smtp-sink ESMTP" },
	{ "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 1, 250, NULL,
	  "250 mx.example / PIPELINING / 8BITMIME" },
	{ "550 5.1.1 <bob@example.com>: Recipient address rejected\r\n", 1, 550, "5.1.1",
	  "550 5.1.1 <bob@example.com>: Recipient address rejected" },
	{ "451-4.7.1 Greylisted,\r\n451-4.7.1 please try\r\n451 4.7.1 again later\r\n", 1, 451,
	  "4.7.1", "451 4.7.1 Greylisted, / please try / again later" },
	{ "250 2.0.0 Ok: queued as 4Xyz\n", 1, 250, "2.0.0", "250 2.0.0 Ok: queued as 4Xyz" },
	{ "250\r\n", 1, 250, NULL, "250" },
	/* an enhanced code of the wrong class is text */
	{ "550 2.0.0 odd\r\n", 1, 550, NULL, "550 2.0.0 odd" },
	{ "354 End data with <CR><LF>.<CR><LF>\r\n", 1, 354, NULL,
	  "354 End data with <CR><LF>.<CR><LF>" },
	/* junk is a reply with code 0, never a success */
	{ "hello there\r\n", 1, 0, NULL, "hello there" },
	{ "25\r\n", 1, 0, NULL, "25" },
	{ "2500 x\r\n", 1, 0, NULL, "2500 x" },
	{ "650 out of range\r\n", 1, 0, NULL, "650 out of range" },
	{ "250-open\r\nnonsense\r\n", 2, 0, NULL, "nonsense" },
	{ "220 a\r\n250 b\r\n", 2, 250, NULL, "250 b" },
	{ "421 4.4.2 bye\x01\x7f\r\n", 1, 421, "4.4.2", "421 4.4.2 bye  " },
	{ "", 0, 0, NULL, NULL },
	{ "250 incomplete", 0, 0, NULL, NULL },
};

static void
check_case(const ReplyCase *c, gsize chunk)
{
	g_autoptr(PdSmtpReplyParser) parser = pd_smtp_reply_parser_new();
	gsize len = strlen(c->input);
	PdSmtpReply reply = { 0 }, last = { 0 };
	guint n = 0;

	for (gsize off = 0; off < len; off += chunk)
		pd_smtp_reply_parser_feed(parser, c->input + off, MIN(chunk, len - off));
	while (pd_smtp_reply_parser_next(parser, &reply)) {
		n++;
		pd_smtp_reply_clear(&last);
		last = reply;
		memset(&reply, 0, sizeof(reply));
	}
	if (n != c->n)
		fail_msg("%s: %u replies, want %u", c->input, n, c->n);
	if (n > 0) {
		g_autofree char *f = pd_smtp_reply_format(&last);

		assert_int_equal(last.code, c->code);
		if (c->enhanced == NULL)
			assert_null(last.enhanced);
		else
			assert_string_equal(last.enhanced, c->enhanced);
		assert_string_equal(f, c->formatted);
	}
	pd_smtp_reply_clear(&last);
}

static void
test_reply_table(void **state)
{
	/* whole, byte by byte, and in odd chunks: the same replies */
	for (guint i = 0; i < G_N_ELEMENTS(reply_cases); i++) {
		check_case(&reply_cases[i], 1 << 20);
		check_case(&reply_cases[i], 1);
		check_case(&reply_cases[i], 3);
	}
}

static void
test_reply_finish(void **state)
{
	g_autoptr(PdSmtpReplyParser) parser = pd_smtp_reply_parser_new();
	PdSmtpReply reply = { 0 };

	pd_smtp_reply_parser_feed(parser, "250 2.0.0 no newline", 20);
	assert_false(pd_smtp_reply_parser_next(parser, &reply));
	pd_smtp_reply_parser_finish(parser);
	assert_true(pd_smtp_reply_parser_next(parser, &reply));
	assert_int_equal(reply.code, 250);
	pd_smtp_reply_clear(&reply);
	/* nothing pending: finish adds nothing */
	pd_smtp_reply_parser_finish(parser);
	assert_false(pd_smtp_reply_parser_next(parser, &reply));
}

static void
test_reply_limits(void **state)
{
	g_autoptr(PdSmtpReplyParser) parser = pd_smtp_reply_parser_new();
	g_autoptr(GString) big = g_string_new("550 5.7.1 ");
	PdSmtpReply reply = { 0 };
	guint n = 0;

	/* an endless line is cut, not stored */
	for (guint i = 0; i < 100000; i++)
		g_string_append_c(big, 'x');
	g_string_append(big, "\r\n");
	pd_smtp_reply_parser_feed(parser, big->str, big->len);
	assert_true(pd_smtp_reply_parser_next(parser, &reply));
	assert_int_equal(reply.code, 550);
	assert_true(reply.truncated);
	assert_true(strlen(reply.text) <= PD_SMTP_REPLY_MAX_TEXT);
	pd_smtp_reply_clear(&reply);

	/* endless continuation lines are bounded too */
	for (guint i = 0; i < 10000; i++)
		pd_smtp_reply_parser_feed(parser, "250-more text here\r\n", 20);
	pd_smtp_reply_parser_feed(parser, "250 end\r\n", 9);
	assert_true(pd_smtp_reply_parser_next(parser, &reply));
	assert_true(reply.truncated);
	assert_true(strlen(reply.text) <= PD_SMTP_REPLY_MAX_TEXT);
	pd_smtp_reply_clear(&reply);

	/* a flood of replies nobody takes keeps only the newest */
	for (guint i = 0; i < 1000; i++)
		pd_smtp_reply_parser_feed(parser, "250 ok\r\n", 8);
	while (pd_smtp_reply_parser_next(parser, &reply)) {
		n++;
		pd_smtp_reply_clear(&reply);
	}
	assert_int_equal(n, PD_SMTP_REPLY_MAX_QUEUE);

	/* NUL bytes do not end the text early */
	pd_smtp_reply_parser_reset(parser);
	pd_smtp_reply_parser_feed(parser, "451 a\0b\r\n", 9);
	assert_true(pd_smtp_reply_parser_next(parser, &reply));
	assert_string_equal(reply.text, "a b");
	pd_smtp_reply_clear(&reply);
}

/* A configuration with [outbound] text, hostname h (the default EHLO). */
static PdConfig *
outbound_try(const char *text, const char *hostname, GError **error)
{
	g_autofree char *full = g_strdup_printf("[postdesk]\nconfig_version = 1\nhostname = %s\n"
						"[queue support]\naddresses = desk@example.com\n%s",
						hostname, text);

	return pd_config_load_data(full, pd_settings_tables, error);
}

static void
test_outbound_config(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = outbound_try(
		"[outbound]\n"
		"relay = smtp://127.0.0.1:2525\n"
		"from = \"Example Support\" <Support@Example.com>\n"
		"bounce_address = bounces@example.com\n"
		"token_keys = aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb\n"
		"starttls = required\n"
		"reply_timeout = 20\n"
		"templates = /etc/postdesk/templates\n", "desk.example.com", &error);
	const PdOutboundConfig *c;

	if (config == NULL)
		fail_msg("%s", error->message);
	c = pd_outbound_config(config);
	assert_string_equal(c->relay.url, "smtp://127.0.0.1:2525");
	assert_string_equal(c->relay.helo, "desk.example.com");
	assert_int_equal(c->relay.tls, PD_SMTP_TLS_REQUIRED);
	assert_true(c->relay.tls_verify);
	assert_int_equal(c->relay.reply_timeout, 20);
	assert_int_equal(c->relay.connect_timeout, 30);
	assert_string_equal(c->from_name, "Example Support");
	assert_string_equal(c->from_address, "support@example.com");
	assert_string_equal(c->reply_address, "support@example.com");
	assert_string_equal(c->templates_dir, "/etc/postdesk/templates");
	/* RFC 3834: auto-replies from the null sender */
	assert_string_equal(pd_outbound_envelope_from(c, TRUE), "");
	assert_string_equal(pd_outbound_envelope_from(c, FALSE), "bounces@example.com");
}

static void
test_outbound_config_errors(void **state)
{
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "[outbound]\nfrom = a@b.c\n", "token_keys" },
		{ "[outbound]\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "from" },
		{ "[outbound]\nfrom = a@b.c\ntoken_keys = short\n", "at least 16" },
		{ "[outbound]\nrelay = http://x\nfrom = a@b.c\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "relay" },
		{ "[outbound]\nstarttls = maybe\nfrom = a@b.c\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "starttls" },
		{ "[outbound]\nreply_timeout = 0\nfrom = a@b.c\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "reply_timeout" },
		{ "[outbound]\nfrom = Support <nobody>\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "from" },
		{ "[outbound]\nfrom = a@b.c\nreply_address = a+x@b.c\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "reply_address" },
		{ "[outbound]\nfrom = a@b.c\nbounce_address = b+x@b.c\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "bounce_address" },
		{ "[outbound]\nfrom = a@b.c\nhelo = a b\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "helo" },
		{ "[outbound]\nfrom = a@b.c\npassword_file = /nonexistent/x\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n", "password_file" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		assert_null(outbound_try(bad[i].text, "h", &error));
		assert_int_equal(error->code, PD_ERROR_USAGE);
		if (strstr(error->message, bad[i].needle) == NULL)
			fail_msg("case %u: \"%s\" lacks \"%s\"", i, error->message, bad[i].needle);
	}
}

static void
test_outbound_no_bounce(void **state)
{
	g_autoptr(PdConfig) config = outbound_try("[outbound]\nfrom = support@example.com\n"
						  "token_keys = aaaaaaaaaaaaaaaaaaaa\n", "h", NULL);
	const PdOutboundConfig *c = config != NULL ? pd_outbound_config(config) : NULL;

	assert_non_null(c);
	assert_null(c->from_name);
	assert_string_equal(c->relay.url, "smtp://127.0.0.1:25");
	assert_int_equal(c->relay.tls, PD_SMTP_TLS_NONE);
	assert_string_equal(pd_outbound_envelope_from(c, FALSE), "");
}

static PdConfig *
config_of(const char *text)
{
	g_autofree char *full = g_strdup_printf("[postdesk]\nconfig_version = 1\n"
						"[queue support]\naddresses = support@example.com\n"
						"[queue billing]\naddresses = billing@example.com\n"
						"permission = billing\n%s", text);
	g_autoptr(GError) error = NULL;
	PdConfig *config = pd_config_load_data(full, pd_settings_tables, &error);

	assert_non_null(config);
	return config;
}

static void
test_outbound_check(void **state)
{
	const char *src = g_getenv("PD_SOURCE_DIR");
	g_autofree char *good = g_build_filename(src != NULL ? src : ".", "filters", "templates", NULL);
	g_autofree char *bad = g_dir_make_tmp("pdcheck-XXXXXX", NULL);
	g_autofree char *bad_file = g_build_filename(bad, "ack.txt", NULL);
	g_autofree char *text_good = g_strdup_printf("[outbound]\nfrom = support@example.com\n"
						     "token_keys = aaaaaaaaaaaaaaaaaaaa\ntemplates = %s\n", good);
	g_autofree char *text_bad = g_strdup_printf("[outbound]\nfrom = support@example.com\n"
						    "token_keys = aaaaaaaaaaaaaaaaaaaa\ntemplates = %s\n", bad);
	g_autoptr(PdConfig) kf_good = config_of(text_good);
	g_autoptr(PdConfig) kf_bad = config_of(text_bad);
	g_autoptr(PdConfig) kf_none = config_of("");
	g_autoptr(PdConfig) kf_nodir = config_of("[outbound]\nfrom = support@example.com\n"
						 "token_keys = aaaaaaaaaaaaaaaaaaaa\n");
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
	guint n = 0;

	(void)state;
	assert_true(pd_outbound_check(kf_good, &n, &e1));
	assert_int_equal(n, 13);	/* the templates in filters/templates */
	assert_true(pd_outbound_check(kf_none, &n, NULL));
	assert_int_equal(n, 0);
	assert_false(pd_outbound_check(kf_nodir, NULL, &e2));
	assert_non_null(strstr(e2->message, "templates"));
	assert_true(g_file_set_contents(bad_file, "Subject: x\n\n{{ticket.numbr}}\n", -1, NULL));
	assert_false(pd_outbound_check(kf_bad, NULL, &e3));
	assert_int_equal(e3->code, PD_ERROR_USAGE);
	assert_non_null(strstr(e3->message, "ack.txt:3: {{ticket.numbr}}: unknown placeholder"));
	g_remove(bad_file);
	g_rmdir(bad);
}

/* Which templates a configuration needs: a folder that predates a feature
 * is an error naming the template and the feature that needs it. */
static void
test_outbound_check_needed(void **state)
{
	static const struct {
		const char *files;	/* the folder's templates, space-separated */
		const char *extra;	/* more configuration */
		const char *missing;	/* NULL: ok; else in the error */
	} cases[] = {
		{ "ack held agent-notification forward agent-reply approval-request "
		  "authorization-notice authorization-approved authorization-refused welcome "
		  "reminder", "", NULL },
		{ "ack agent-notification forward authorization-notice approval-request "
		  "authorization-approved authorization-refused welcome reminder", "", NULL },
		{ "ack agent-notification forward authorization-notice approval-request "
		  "authorization-approved authorization-refused welcome reminder",
		  "[auth]\nmode = verify\n", "agent-reply.txt is missing: needed by agents" },
		{ "ack agent-notification forward welcome reminder", "",
		  "approval-request.txt is missing: needed by a queue with a permission" },
		{ "ack agent-notification forward welcome", "",
		  "reminder.txt is missing: needed by [jobs] reminder" },
		{ "agent-notification forward welcome", "acknowledge = no\nnotify_agents = no\n"
		  "[jobs]\nreminder = no\n", NULL },
		{ "welcome", "acknowledge = no\n", "agent-notification.txt is missing" },
		/* only in the support queue's folder: billing has none */
		{ "support/ack agent-notification forward authorization-notice approval-request "
		  "authorization-approved authorization-refused welcome reminder", "",
		  "ack.txt is missing (for queue billing): needed by [outbound] acknowledge" },
	};

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *dir = g_dir_make_tmp("pdneed-XXXXXX", NULL);
		g_auto(GStrv) files = g_strsplit(cases[i].files, " ", -1);
		g_autofree char *text = g_strdup_printf(
			"[outbound]\nfrom = support@example.com\ntoken_keys = aaaaaaaaaaaaaaaaaaaa\n"
			"templates = %s\n%s", dir, cases[i].extra);
		g_autoptr(PdConfig) config = NULL;
		g_autoptr(GError) error = NULL;
		gboolean ok;

		for (char **f = files; *f != NULL; f++) {
			g_autofree char *path = g_strdup_printf("%s/%s.txt", dir, *f);
			g_autofree char *folder = g_path_get_dirname(path);

			assert_int_equal(g_mkdir_with_parents(folder, 0700), 0);
			assert_true(g_file_set_contents(path, "Subject: x\n\ny\n", -1, NULL));
		}
		config = config_of(text);
		ok = pd_outbound_check(config, NULL, &error);
		if (cases[i].missing == NULL) {
			if (!ok)
				fail_msg("case %u: %s", i, error->message);
		} else {
			assert_false(ok);
			if (strstr(error->message, cases[i].missing) == NULL)
				fail_msg("case %u: want %s in %s", i, cases[i].missing, error->message);
		}
		for (char **f = files; *f != NULL; f++) {
			g_autofree char *path = g_strdup_printf("%s/%s.txt", dir, *f);
			g_autofree char *folder = g_path_get_dirname(path);

			g_remove(path);
			if (strcmp(folder, dir) != 0)
				g_rmdir(folder);
		}
		g_rmdir(dir);
	}
}

/* --- the sender against a scripted server on loopback -------------------
 * Script steps: "S..." send these bytes, "C" read one command line, "E..."
 * read one that must start with these bytes, "D" read the message up to
 * CRLF.CRLF, "X" close.  The replies are ones real
 * servers send but smtp-sink cannot: multi-line, no enhanced code, junk. */

typedef struct {
	GSocketListener *listener;
	const char *const *script;
	guint16 port;
	gboolean mismatch;	/* an "E" step saw another command */
} FakeServer;

static gboolean
read_until(GInputStream *in, const char *end, char **text_r)
{
	GString *buf = g_string_new(NULL);
	char c;
	gboolean ok = FALSE;

	while (g_input_stream_read(in, &c, 1, NULL, NULL) == 1) {
		g_string_append_c(buf, c);
		if (g_str_has_suffix(buf->str, end)) {
			ok = TRUE;
			break;
		}
	}
	if (text_r != NULL)
		*text_r = g_strdup(buf->str);
	g_string_free(buf, TRUE);
	return ok;
}

static gpointer
fake_server_run(gpointer data)
{
	FakeServer *fake = data;
	GSocketConnection *conn = g_socket_listener_accept(fake->listener, NULL, NULL, NULL);
	GInputStream *in;
	GOutputStream *out;

	if (conn == NULL)
		return NULL;
	in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
	out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
	for (guint i = 0; fake->script[i] != NULL; i++) {
		const char *step = fake->script[i];

		if (step[0] == 'S')
			g_output_stream_write_all(out, step + 1, strlen(step + 1), NULL, NULL, NULL);
		else if (step[0] == 'C' && !read_until(in, "\r\n", NULL))
			break;
		else if (step[0] == 'D' && !read_until(in, "\r\n.\r\n", NULL))
			break;
		else if (step[0] == 'E') {
			g_autofree char *line = NULL;

			if (!read_until(in, "\r\n", &line))
				break;
			if (!g_str_has_prefix(line, step + 1))
				fake->mismatch = TRUE;
		}
		else if (step[0] == 'X')
			break;
	}
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
	g_object_unref(conn);
	return NULL;
}

static gboolean
scripted_send_auth(const char *const *script, const char *user, const char *password,
		   PdSmtpResult *result)
{
	FakeServer fake = { .script = script };
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(PdSmtpSender) sender = NULL;
	g_autoptr(GBytes) msg = g_bytes_new_static("Subject: t\r\n\r\nbody\r\n", 20);
	g_autofree char *url = NULL;
	const char *rcpts[] = { "a@b.test", NULL };
	PdSmtpRelay relay = { 0 };
	GThread *thread;

	fake.listener = g_socket_listener_new();
	assert_true(g_socket_listener_add_address(fake.listener, addr, G_SOCKET_TYPE_STREAM,
						  G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
	fake.port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	url = g_strdup_printf("smtp://127.0.0.1:%u", fake.port);
	relay.url = url;
	relay.helo = "unit.test";
	relay.reply_timeout = 5;
	relay.username = (char *)user;
	relay.password = (char *)password;
	thread = g_thread_new("fake-smtp", fake_server_run, &fake);
	sender = pd_smtp_sender_new(&relay);
	pd_smtp_send(sender, "", rcpts, msg, result);
	g_clear_pointer(&sender, pd_smtp_sender_free);
	g_thread_join(thread);
	g_socket_listener_close(fake.listener);
	g_object_unref(fake.listener);
	return !fake.mismatch;
}

static void
scripted_send(const char *const *script, PdSmtpResult *result)
{
	assert_true(scripted_send_auth(script, NULL, NULL, result));
}

static void
test_sender_auth(void **state)
{
	/* AUTH PLAIN of "\0postdesk\0s3cret" is AHBvc3RkZXNrAHMzY3JldA== */
	static const char *const accepted[] = {
		"S220 ready\r\n", "EEHLO unit.test", "S250-hi\r\n250 AUTH PLAIN LOGIN\r\n",
		"EAUTH PLAIN AHBvc3RkZXNrAHMzY3JldA==", "S235 2.7.0 Authentication successful\r\n",
		"EMAIL FROM:<>", "S250 ok\r\n", "ERCPT TO:<a@b.test>", "S250 ok\r\n", "EDATA",
		"S354 go\r\n", "D", "S250 2.0.0 queued\r\n", "C", "S221 bye\r\n", NULL };
	static const char *const refused[] = {
		"S220 ready\r\n", "C", "S250-hi\r\n250 AUTH PLAIN\r\n", "EAUTH PLAIN ",
		"S535 5.7.8 Error: authentication failed\r\n", "C", "S221 bye\r\n", NULL };
	PdSmtpResult r;

	assert_true(scripted_send_auth(accepted, "postdesk", "s3cret", &r));
	assert_int_equal(r.status, PD_SMTP_OK);
	assert_string_equal(r.reply, "250 2.0.0 queued");
	pd_smtp_result_clear(&r);

	/* wrong credentials: the relay's problem, every message waits */
	assert_true(scripted_send_auth(refused, "postdesk", "wrong", &r));
	assert_int_equal(r.status, PD_SMTP_TEMPFAIL);
	assert_true(r.relay_problem);
	assert_int_equal(r.code, 535);
	assert_string_equal(r.stage, "AUTH");
	assert_string_equal(r.reply, "535 5.7.8 Error: authentication failed");
	pd_smtp_result_clear(&r);
}

static void
test_sender_scripted(void **state)
{
	static const char *const ok_multiline[] = {
		"S220-first line\r\n220 ready\r\n", "C", "S250-x\r\n250 SIZE 1000\r\n",
		"C", "S250 sender ok\r\n", "C", "S250 rcpt ok\r\n", "C", "S354 go\r\n", "D",
		"S250-2.0.0 queued\r\n250 2.0.0 as ABC123\r\n", "C", "S221 bye\r\n", NULL };
	static const char *const no_enhanced_5xx[] = {
		"S220 ready\r\n", "C", "S250 hi\r\n", "C", "S250 ok\r\n", "C",
		"S551 User not local\r\n", "C",
		"S221 bye\r\n", NULL };
	static const char *const junk_greeting[] = { "SHTTP/1.1 400 Bad Request\r\n\r\n", "X", NULL };
	static const char *const closed_after_dot[] = {
		"S220 ready\r\n", "C", "S250 hi\r\n", "C", "S250 ok\r\n", "C", "S250 ok\r\n",
		"C", "S354 go\r\n", "D", "X", NULL };
	static const char *const ok_then_quit_fails[] = {
		"S220 ready\r\n", "C", "S250 hi\r\n", "C", "S250 ok\r\n", "C", "S250 ok\r\n",
		"C", "S354 go\r\n", "D", "S250 accepted\r\n", "X", NULL };
	static const char *const auth_refused_5xx_mail[] = {
		"S220 ready\r\n", "C", "S250 hi\r\n", "C", "S530 5.7.0 Authentication required\r\n",
		"C", "S221 bye\r\n", NULL };
	PdSmtpResult r;

	scripted_send(ok_multiline, &r);
	if (r.status != PD_SMTP_OK)
		fail_msg("%s: %s", r.stage, r.reply);
	assert_int_equal(r.status, PD_SMTP_OK);
	assert_int_equal(r.code, 250);
	assert_string_equal(r.reply, "250 2.0.0 queued / as ABC123");
	assert_string_equal(r.stage, "end of data");
	pd_smtp_result_clear(&r);

	scripted_send(no_enhanced_5xx, &r);
	assert_int_equal(r.status, PD_SMTP_PERMFAIL);
	assert_string_equal(r.reply, "551 User not local");
	assert_string_equal(r.stage, "RCPT");
	assert_int_equal(((PdSmtpRecipientResult *)r.recipients->pdata[0])->status, PD_SMTP_PERMFAIL);
	pd_smtp_result_clear(&r);

	/* junk is never success, and never a permanent verdict on the message */
	scripted_send(junk_greeting, &r);
	assert_int_equal(r.status, PD_SMTP_TEMPFAIL);
	assert_true(r.relay_problem);
	pd_smtp_result_clear(&r);

	scripted_send(closed_after_dot, &r);
	assert_int_equal(r.status, PD_SMTP_TEMPFAIL);
	assert_string_equal(r.stage, "end of data");
	assert_false(r.relay_problem);
	pd_smtp_result_clear(&r);

	/* accepted is accepted, whatever happens at QUIT (no duplicate) */
	scripted_send(ok_then_quit_fails, &r);
	assert_int_equal(r.status, PD_SMTP_OK);
	assert_string_equal(r.reply, "250 accepted");
	pd_smtp_result_clear(&r);

	/* AUTH missing is the relay's configuration: retry, and warn */
	scripted_send(auth_refused_5xx_mail, &r);
	assert_int_equal(r.status, PD_SMTP_TEMPFAIL);
	assert_true(r.relay_problem);
	assert_int_equal(r.code, 530);
	assert_string_equal(r.stage, "MAIL");
	assert_string_equal(r.reply, "530 5.7.0 Authentication required");
	pd_smtp_result_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_reply_finish),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_outbound_config),
		cmocka_unit_test(test_outbound_config_errors),
		cmocka_unit_test(test_outbound_no_bounce),
		cmocka_unit_test(test_outbound_check),
		cmocka_unit_test(test_outbound_check_needed),
		cmocka_unit_test(test_sender_scripted),
		cmocka_unit_test(test_sender_auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
