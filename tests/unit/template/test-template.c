/* Unit tests for lib/template: parsing and its errors (file:line),
 * placeholders and blocks, lookup fallback, header injection, and the
 * complete message pd_template_render makes. */
#define _GNU_SOURCE	/* strcasestr */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <glib/gstdio.h>
#include <cmocka.h>

#include "core/pd-error.h"
#include "template/pd-template.h"
#include "ticket/pd-ticket.h"

#define KEY "unit-test-template-key-0123456789"

static GHashTable *
values_new(const char *first, ...)
{
	GHashTable *v = g_hash_table_new(g_str_hash, g_str_equal);
	va_list ap;

	va_start(ap, first);
	for (const char *k = first; k != NULL; k = va_arg(ap, const char *))
		g_hash_table_insert(v, (gpointer)k, va_arg(ap, char *));
	va_end(ap);
	return v;
}

static PdTemplate *
parse_ok(const char *text, const char *html)
{
	g_autoptr(GError) error = NULL;
	PdTemplate *tpl = pd_template_parse("t.txt", text, html, &error);

	if (tpl == NULL)
		fail_msg("parse: %s", error->message);
	return tpl;
}

static void
test_placeholders(void **state)
{
	g_autoptr(PdTemplate) tpl = parse_ok(
		"Subject: [#{{ticket.number}}] {{ ticket.subject }}\n\n"
		"Hi {{contact.name}},\nticket {{ticket.number}} in {{queue.name}}.\n", NULL);
	g_autoptr(GHashTable) v = values_new("ticket.number", "10042", "ticket.subject", "Printer",
					     "contact.name", "Ann", NULL);
	g_autofree char *subject = pd_template_render_subject(tpl, v);
	g_autofree char *body = pd_template_render_body(tpl, v);

	assert_string_equal(subject, "[#10042] Printer");
	/* a missing value renders empty; {{...}} in a value is just text */
	assert_string_equal(body, "Hi Ann,\nticket 10042 in .\n");
	g_hash_table_insert(v, "queue.name", "{{ticket.number}}");
	g_free(body);
	body = pd_template_render_body(tpl, v);
	assert_string_equal(body, "Hi Ann,\nticket 10042 in {{ticket.number}}.\n");
}

static void
test_blocks(void **state)
{
	g_autoptr(PdTemplate) tpl = parse_ok(
		"Subject: s\n\n"
		"A\n"
		"{{#if contact}}\n"
		"contact {{contact.name}}\n"
		"{{#if contact.may}}\n"
		"may {{contact.may}}\n"
		"{{/if}}\n"
		"{{else}}\n"
		"no contact\n"
		"{{/if}}\n"
		"B {{#if agent.name}}by {{agent.name}}{{else}}by us{{/if}}.\n", NULL);
	g_autoptr(GHashTable) none = values_new(NULL);
	g_autoptr(GHashTable) some = values_new("contact.name", "Bob", "agent.name", "Eve", NULL);
	g_autoptr(GHashTable) empty = values_new("contact.name", "", "contact.may", "", NULL);
	g_autofree char *b1 = pd_template_render_body(tpl, none);
	g_autofree char *b2 = pd_template_render_body(tpl, some);
	g_autofree char *b3 = pd_template_render_body(tpl, empty);

	/* block tags alone on a line leave no empty line */
	assert_string_equal(b1, "A\nno contact\nB by us.\n");
	assert_string_equal(b2, "A\ncontact Bob\nB by Eve.\n");
	assert_string_equal(b3, "A\nno contact\nB by us.\n");
}

static void
expect_error(const char *text, const char *needle)
{
	g_autoptr(GError) error = NULL;
	PdTemplate *tpl = pd_template_parse("x/ack.txt", text, NULL, &error);

	assert_null(tpl);
	assert_non_null(error);
	assert_int_equal(error->code, PD_ERROR_USAGE);
	if (strstr(error->message, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", error->message, needle);
}

static void
test_errors(void **state)
{
	expect_error("Subject: x\n\nline2\n{{ticket.nmber}}\n", "x/ack.txt:4: {{ticket.nmber}}: unknown placeholder");
	expect_error("Subject: {{nope}}\n\nbody\n", "x/ack.txt:1: {{nope}}: unknown placeholder");
	expect_error("Subject: x\nBcc: a@b.c\n\nbody\n", "x/ack.txt:2: unknown header \"Bcc\"");
	expect_error("From: a@b.c\n\nbody\n", "x/ack.txt:1: Subject: is required");
	expect_error("Subject: x\nbody without blank line\n", "x/ack.txt:2: header line expected");
	expect_error("Subject: x\n\na\n{{#if contact}}\nb\n", "x/ack.txt:4: {{#if contact}} is not closed");
	expect_error("Subject: x\n\n{{/if}}\n", "x/ack.txt:3: {{/if}} without {{#if}}");
	expect_error("Subject: x\n\n{{else}}\n", "x/ack.txt:3: {{else}} outside");
	expect_error("Subject: x\n\n{{#if bogus}}{{/if}}\n", "{{#if bogus}}: unknown name");
	expect_error("Subject: x\n\n{{#each contact}}{{/each}}\n", "unknown block");
	expect_error("Subject: {{#if contact}}x{{/if}}\n\nb\n", "blocks are not allowed in a header");
	expect_error("Subject: x\n\nopen {{ticket.number\n}}\n", "x/ack.txt:3: \"{{\" without \"}}\"");
	expect_error("Subject: x\nFrom: Help <{{agent.name}}@example.com>\n\nb\n", "x/ack.txt:2: ");
	expect_error("Subject: x\nSubject: y\n\nb\n", "given twice");
	expect_error("Subject: x\n\n\xff\xfe\n", "not valid UTF-8");
	/* every problem at once */
	{
		g_autoptr(GError) error = NULL;

		assert_null(pd_template_parse("m.txt", "Subject: {{a}}\n\n{{b}}\n{{c}}\n", NULL, &error));
		assert_non_null(strstr(error->message, "m.txt:1:"));
		assert_non_null(strstr(error->message, "m.txt:3:"));
		assert_non_null(strstr(error->message, "m.txt:4:"));
	}
}

static GMimeMessage *
parse_bytes(GBytes *bytes)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(g_bytes_get_data(bytes, NULL),
								g_bytes_get_size(bytes));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	assert_non_null(msg);
	return msg;
}

static char *
bytes_text(GBytes *bytes)
{
	return g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
}

static void
test_render_message(void **state)
{
	const char *keylist[] = { KEY, NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(keylist, NULL);
	g_autoptr(PdTemplate) tpl = parse_ok(
		"Subject: [#{{ticket.number}}] {{ticket.subject}}\n\n"
		"Grüße, {{contact.name}}.\n.\nA line that starts with a dot.\n", NULL);
	g_autoptr(GHashTable) v = values_new("ticket.number", "10042",
					     "ticket.subject", "Drucker brennt – bitte helfen",
					     "contact.name", "Jürgen", NULL);
	const char *refs[] = { "<root@customer.test>", "bad id\r\nBcc: x@y", NULL };
	PdTemplateContext ctx = {
		.keys = keys, .ticket_id = 77, .ticket_number = 10042, .serial = 5,
		.hostname = "desk.example.com", .from_name = "Example Support",
		.from_address = "support@example.com", .reply_base = "support@example.com",
		.to_name = "Jürgen Kunde", .to_address = "juergen@customer.test",
		.in_reply_to = "<q1@customer.test>", .references = refs,
		.date = 1795428000,
	};
	g_autoptr(GError) error = NULL;
	GMimeMessage *msg = pd_template_render(tpl, v, &ctx, &error);
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *text = NULL;
	GMimeMessage *back;
	GMimeObject *body;
	InternetAddressList *list;
	const char *mid;
	PdTokenInfo info;

	assert_non_null(msg);
	bytes = pd_template_message_bytes(msg);
	text = bytes_text(bytes);
	/* CRLF only, no bare LF (SMTP) */
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		assert_true(p > text && p[-1] == '\r');
	assert_non_null(strstr(text, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(text, "\r\nX-Postdesk-Ticket: 10042\r\n"));
	assert_non_null(strstr(text, "\r\nX-Auto-Response-Suppress: All\r\n"));
	assert_non_null(strstr(text, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(text, "\r\nIn-Reply-To: <q1@customer.test>\r\n"));
	assert_non_null(strstr(text, "References: <root@customer.test> <q1@customer.test>\r\n"));
	assert_null(strstr(text, "Bcc"));
	assert_non_null(strstr(text, "Date: "));
	{
		const char *subj = strstr(text, "\r\nSubject: [#10042] Drucker brennt ");
		const char *enc = strcasestr(text, "=?utf-8?");

		assert_non_null(subj);	/* RFC 2047 for the non-ASCII word only */
		assert_true(enc != NULL && enc < strstr(subj + 2, "\r\n"));
	}
	assert_non_null(strstr(text, "charset=utf-8"));
	assert_non_null(strstr(text, "Content-Transfer-Encoding: quoted-printable"));
	assert_non_null(strstr(text, "Gr=C3=BC=C3=9Fe"));

	back = parse_bytes(bytes);
	assert_string_equal(g_mime_message_get_subject(back), "[#10042] Drucker brennt – bitte helfen");
	mid = g_mime_message_get_message_id(back);
	assert_int_equal(pd_token_verify_message_id(keys, mid, "juergen@customer.test", &info),
			 PD_TOKEN_VALID);
	assert_true(info.ticket_id == 77 && info.serial == 5);
	list = g_mime_message_get_reply_to(back);
	assert_int_equal(internet_address_list_length(list), 1);
	assert_int_equal(pd_token_verify_reply_address(keys,
			 internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
				 internet_address_list_get_address(list, 0))),
			 "juergen@customer.test", &info), PD_TOKEN_VALID);
	list = g_mime_message_get_from(back);
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
				internet_address_list_get_address(list, 0))), "support@example.com");
	list = g_mime_message_get_to(back);
	assert_string_equal(internet_address_get_name(internet_address_list_get_address(list, 0)),
			    "Jürgen Kunde");
	body = g_mime_message_get_body(back);
	assert_true(GMIME_IS_TEXT_PART(body));
	{
		g_autofree char *decoded = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
		g_auto(GStrv) lines = g_strsplit(decoded, "\r\n", -1);
		g_autofree char *unix_text = g_strjoinv("\n", lines);

		/* the wire form has CRLF line ends; the text is exactly ours */
		assert_string_equal(unix_text, "Grüße, Jürgen.\n.\nA line that starts with a dot.\n");
	}
	g_object_unref(back);
	g_object_unref(msg);
}

static void
test_header_injection(void **state)
{
	const char *keylist[] = { KEY, NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(keylist, NULL);
	g_autoptr(PdTemplate) tpl = parse_ok(
		"Subject: Re: {{ticket.subject}}\nFrom: {{agent.name}} (Help)\n\n{{message.text}}\n", NULL);
	g_autoptr(GHashTable) v = values_new(
		"ticket.subject", "hello\r\nBcc: victim@evil.test\r\n\r\nbody",
		"agent.name", "Eve <attacker@evil.test>, other@evil.test\nX-Evil: 1",
		"message.text", "Text\r\nBcc: not-a-header@evil.test\n", NULL);
	PdTemplateContext ctx = {
		.keys = keys, .ticket_id = 1, .ticket_number = 1, .serial = 1,
		.hostname = "desk.example.com", .from_name = "Help",
		.from_address = "support@example.com", .reply_base = "support@example.com",
		.to_name = "Mal\r\nBcc: x@evil.test", .to_address = "alice@customer.test",
	};
	GMimeMessage *msg = pd_template_render(tpl, v, &ctx, NULL);
	g_autoptr(GBytes) bytes = pd_template_message_bytes(msg);
	g_autofree char *text = bytes_text(bytes);
	char *body_start = strstr(text, "\r\n\r\n");
	GMimeMessage *back = parse_bytes(bytes);
	InternetAddressList *from = g_mime_message_get_from(back);
	GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(back));

	assert_non_null(body_start);
	*body_start = '\0';	/* headers only */
	assert_null(strstr(text, "\r\nBcc:"));
	assert_null(strstr(text, "\r\nX-Evil"));
	assert_false(g_mime_header_list_contains(headers, "Bcc"));
	assert_false(g_mime_header_list_contains(headers, "X-Evil"));
	assert_int_equal(internet_address_list_length(from), 1);
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
				internet_address_list_get_address(from, 0))), "support@example.com");
	assert_int_equal(internet_address_list_length(g_mime_message_get_to(back)), 1);
	assert_int_equal(internet_address_list_length(g_mime_message_get_reply_to(back)), 1);
	/* an unauthenticated marker: no In-Reply-To, so auto-generated */
	assert_non_null(strstr(text, "Auto-Submitted: auto-generated"));
	g_object_unref(back);
	g_object_unref(msg);
}

static void
test_html_alternative(void **state)
{
	const char *keylist[] = { KEY, NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(keylist, NULL);
	g_autoptr(PdTemplate) tpl = parse_ok("Subject: s\n\nplain {{contact.name}}\n",
					     "<p>{{contact.name}}</p>\n");
	g_autoptr(GHashTable) v = values_new("contact.name", "<script>x</script> & co", NULL);
	PdTemplateContext ctx = {
		.keys = keys, .ticket_id = 3, .serial = 9, .hostname = "h.example",
		.from_address = "support@example.com", .to_address = "a@b.example",
	};
	GMimeMessage *msg = pd_template_render(tpl, v, &ctx, NULL);
	g_autoptr(GBytes) bytes = pd_template_message_bytes(msg);
	g_autofree char *text = bytes_text(bytes);
	g_autofree char *html = pd_template_render_html(tpl, v);

	assert_string_equal(html, "<p>&lt;script&gt;x&lt;/script&gt; &amp; co</p>\n");
	assert_non_null(strstr(text, "multipart/alternative"));
	assert_non_null(strstr(text, "text/plain"));
	assert_non_null(strstr(text, "text/html"));
	assert_null(strstr(text, "X-Postdesk-Ticket"));	/* no ticket number given */
	assert_null(strstr(text, "Reply-To"));		/* no reply base given */
	g_object_unref(msg);
}

static void
write_file(const char *dir, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename(dir, rel, NULL);
	g_autofree char *parent = g_path_get_dirname(path);

	assert_int_equal(g_mkdir_with_parents(parent, 0755), 0);
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void
remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *e;

	if (d != NULL) {
		while ((e = g_dir_read_name(d)) != NULL) {
			g_autofree char *p = g_build_filename(path, e, NULL);

			remove_tree(p);
		}
		g_dir_close(d);
	}
	g_remove(path);
}

static void
test_lookup(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("pdtpl-XXXXXX", NULL);
	g_autoptr(PdTemplateSet) set = NULL;
	g_autoptr(GError) error = NULL;
	static const struct {
		const char *queue, *lang, *source;
	} cases[] = {
		{ "support", "de", "support/de/ack.txt" },
		{ "Support", "DE_at", "support/de/ack.txt" },
		{ "support", "fr", "support/ack.txt" },
		{ "billing", "fr", "fr/ack.txt" },
		{ "billing", "pt-BR", "pt/ack.txt" },
		{ "billing", NULL, "ack.txt" },
		{ NULL, NULL, "ack.txt" },
		{ "../..", "../x", "ack.txt" },
	};

	write_file(dir, "ack.txt", "Subject: en\n\nen\n");
	write_file(dir, "support/ack.txt", "Subject: support\n\nsupport\n");
	write_file(dir, "support/de/ack.txt", "Subject: de\n\nde\n");
	write_file(dir, "fr/ack.txt", "Subject: fr\n\nfr\n");
	write_file(dir, "pt/ack.txt", "Subject: pt\n\npt\n");
	write_file(dir, "pt/ack.html", "<p>pt</p>\n");
	write_file(dir, "README.md", "not a template {{nope}}\n");
	set = pd_template_set_load(dir, &error);
	if (set == NULL)
		fail_msg("%s", error->message);
	assert_int_equal(pd_template_set_size(set), 5);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const PdTemplate *tpl = pd_template_set_lookup(set, "ack", cases[i].queue,
							       cases[i].lang, NULL);

		assert_non_null(tpl);
		assert_string_equal(pd_template_source(tpl), cases[i].source);
	}
	assert_null(pd_template_set_lookup(set, "welcome", "support", "de", &error) == NULL
		    ? NULL : (void *)1);
	assert_int_equal(error->code, PD_ERROR_NOTFOUND);
	remove_tree(dir);
}

static void
test_load_errors(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("pdtpl-XXXXXX", NULL);
	g_autoptr(GError) error = NULL;

	write_file(dir, "ack.txt", "Subject: ok\n\nfine {{ticket.number}}\n");
	write_file(dir, "support/welcome.txt", "Subject: x\n\nline\n{{contact.nam}}\n");
	write_file(dir, "support/de/reminder.txt", "Subject: {{acount.name}}\n\nx\n");
	write_file(dir, "orphan.html", "<p>x</p>\n");
	assert_null(pd_template_set_load(dir, &error));
	assert_int_equal(error->code, PD_ERROR_USAGE);
	assert_non_null(strstr(error->message, "support/welcome.txt:4: {{contact.nam}}: unknown placeholder"));
	assert_non_null(strstr(error->message, "support/de/reminder.txt:1: {{acount.name}}"));
	assert_non_null(strstr(error->message, "orphan.html"));
	remove_tree(dir);
}

static void
test_default_templates(void **state)
{
	const char *src = g_getenv("PD_SOURCE_DIR");
	g_autofree char *dir = g_build_filename(src != NULL ? src : ".", "filters", "templates", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdTemplateSet) set = pd_template_set_load(dir, &error);
	static const char *const names[] = {
		"ack", "authorization-notice", "approval-request", "welcome", "reminder",
		"agent-notification", "agent-reply", "forward",
	};
	g_autoptr(GHashTable) v = values_new("ticket.number", "10042", "ticket.subject", "Help",
					     "site.name", "Example", "contact.name", "Ann",
					     "contact.may", "open tickets", "account.name", "ACME",
					     "ticket.response_time", "4 hours",
					     "message.text", "The printer works again.", NULL);

	if (set == NULL)
		fail_msg("filters/templates: %s", error->message);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		const PdTemplate *tpl = pd_template_set_lookup(set, names[i], "support", "en", NULL);
		g_autofree char *body = NULL, *subject = NULL;

		assert_non_null(tpl);
		body = pd_template_render_body(tpl, v);
		subject = pd_template_render_subject(tpl, v);
		assert_true(strlen(body) > 20 && strlen(subject) > 0);
		assert_null(strstr(body, "{{"));
		/* mail to agents: the reply side cuts at the marker */
		if (g_str_has_prefix(names[i], "agent-notification") ||
		    strcmp(names[i], "forward") == 0)
			assert_true(g_str_has_prefix(body, PD_TICKET_REPLY_MARKER "\n"));
	}
	{
		const PdTemplate *ack = pd_template_set_lookup(set, "ack", NULL, NULL, NULL);
		g_autofree char *body = pd_template_render_body(ack, v);
		g_autofree char *html = pd_template_render_html(ack, v);

		assert_non_null(strstr(body, "ticket #10042"));
		assert_non_null(strstr(body, "within 4 hours"));
		assert_non_null(strstr(body, "You may ask us to: open tickets."));
		assert_null(strstr(body, "You may not ask"));
		assert_non_null(strstr(html, "<b>#10042</b>"));
	}
}

/* A forward: the body and the original byte for byte, message/rfc822. */
static void
test_attach_message(void **state)
{
	const char *keylist[] = { KEY, NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(keylist, NULL);
	g_autoptr(PdTemplate) tpl = parse_ok("Subject: Fwd: {{ticket.subject}}\n\n"
					     PD_TICKET_REPLY_MARKER "\n\n{{message.text}}\n", NULL);
	g_autoptr(GHashTable) v = values_new("ticket.subject", "Help", "message.text", "Hi", NULL);
	static const char original[] =
		"From: Ann <ann@customer.test>\r\nSubject: Gr\xc3\xbc\xc3\x9f\x65\r\n"
		"Message-ID: <orig@customer.test>\r\n\r\nFrom the start\r\n--not-a-boundary\r\n"
		".\r\nbye\r\n";
	g_autoptr(GBytes) raw = g_bytes_new_static(original, sizeof(original) - 1);
	PdTemplateContext ctx = {
		.keys = keys, .ticket_id = 77, .ticket_number = 10042, .serial = 6,
		.hostname = "desk.example.com", .from_address = "support@example.com",
		.reply_base = "support@example.com", .to_address = "boss@partner.test",
		.in_reply_to = "<orig@customer.test>", .auto_submitted = "auto-generated",
		.attach_message = raw,
	};
	g_autoptr(GError) error = NULL;
	GMimeMessage *msg = pd_template_render(tpl, v, &ctx, &error);
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *text = NULL;
	GMimeMessage *back;
	GMimeObject *body;

	assert_non_null(msg);
	bytes = pd_template_message_bytes(msg);
	text = bytes_text(bytes);
	g_object_unref(msg);
	assert_non_null(strstr(text, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(text, "Content-Type: multipart/mixed"));
	assert_non_null(strstr(text, "Content-Type: message/rfc822"));
	assert_non_null(strstr(text, "Content-Transfer-Encoding: 8bit"));
	assert_non_null(strstr(text, "filename=original.eml"));
	assert_non_null(strstr(text, original));	/* byte for byte */
	back = parse_bytes(bytes);
	body = g_mime_message_get_mime_part(back);
	assert_true(GMIME_IS_MULTIPART(body));
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	assert_true(GMIME_IS_MESSAGE_PART(g_mime_multipart_get_part(GMIME_MULTIPART(body), 1)));
	g_object_unref(back);
}

/* A relayed answer's files: base64 parts after the body, each with its
 * name (RFC 2231 when not ASCII) and type (parameters kept); a container
 * or unparsable type travels as application/octet-stream. */
static void
test_attachments(void **state)
{
	const char *keylist[] = { KEY, NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(keylist, NULL);
	g_autoptr(PdTemplate) tpl = parse_ok("Subject: Re: {{ticket.subject}}\n\n"
					     "{{message.text}}\n", NULL);
	g_autoptr(GHashTable) v = values_new("ticket.subject", "Help", "message.text", "Hi", NULL);
	static const guint8 binary[] = { 0, 1, 2, 0xff, '\r', '\n', '.', '\r', '\n', 0x80 };
	g_autoptr(GBytes) pdf = g_bytes_new_static(binary, sizeof(binary));
	g_autoptr(GBytes) txt = g_bytes_new_static("Gr\xc3\xbc\xc3\x9f\x65\n", 7);
	g_autoptr(GBytes) eml = g_bytes_new_static("From: a@b\r\n\r\nx\r\n", 15);
	const PdTemplateAttachment files[] = {
		{ "Bericht \xc3\xbc.pdf", "application/pdf", pdf },
		{ "notes.txt", "text/plain; charset=utf-8", txt },
		{ NULL, "message/rfc822", eml },
		{ "odd", "not a type", pdf },
	};
	PdTemplateContext ctx = {
		.keys = keys, .ticket_id = 77, .ticket_number = 10042, .serial = 7,
		.hostname = "desk.example.com", .from_address = "support@example.com",
		.reply_base = "support@example.com", .to_address = "ann@customer.test",
		.in_reply_to = "<q@customer.test>", .auto_submitted = "no",
		.attachments = files, .n_attachments = G_N_ELEMENTS(files),
	};
	static const char *const types[] = { "application/pdf", "text/plain",
					     "application/octet-stream",
					     "application/octet-stream" };
	g_autoptr(GError) error = NULL;
	GMimeMessage *msg = pd_template_render(tpl, v, &ctx, &error);
	g_autoptr(GBytes) bytes = NULL;
	GMimeMessage *back;
	GMimeMultipart *mixed;

	(void)state;
	assert_non_null(msg);
	bytes = pd_template_message_bytes(msg);
	g_object_unref(msg);
	back = parse_bytes(bytes);
	assert_true(GMIME_IS_MULTIPART(g_mime_message_get_mime_part(back)));
	mixed = GMIME_MULTIPART(g_mime_message_get_mime_part(back));
	assert_int_equal(g_mime_multipart_get_count(mixed), 1 + G_N_ELEMENTS(files));
	assert_true(GMIME_IS_TEXT_PART(g_mime_multipart_get_part(mixed, 0)));
	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		GMimePart *part = GMIME_PART(g_mime_multipart_get_part(mixed, (int)i + 1));
		g_autofree char *type = g_mime_content_type_get_mime_type(
			g_mime_object_get_content_type(GMIME_OBJECT(part)));
		GMimeStream *out = g_mime_stream_mem_new();
		GByteArray *array;

		assert_string_equal(type, types[i]);
		assert_int_equal(g_mime_part_get_content_encoding(part),
				 GMIME_CONTENT_ENCODING_BASE64);
		assert_string_equal(g_mime_object_get_disposition(GMIME_OBJECT(part)), "attachment");
		if (files[i].filename != NULL)
			assert_string_equal(g_mime_part_get_filename(part), files[i].filename);
		else
			assert_null(g_mime_part_get_filename(part));
		g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(part), out);
		array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
		assert_int_equal(array->len, g_bytes_get_size(files[i].content));
		assert_memory_equal(array->data, g_bytes_get_data(files[i].content, NULL),
				    array->len);
		g_object_unref(out);
	}
	assert_string_equal(g_mime_object_get_content_type_parameter(
		GMIME_OBJECT(g_mime_multipart_get_part(mixed, 2)), "charset"), "utf-8");
	g_object_unref(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_render_message),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_html_alternative),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_default_templates),
		cmocka_unit_test(test_attach_message),
		cmocka_unit_test(test_attachments),
	};

	g_mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
