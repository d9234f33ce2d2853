/* test-mail: pd_mail_parse() on small inline messages, the fixtures in
 * tests/data/mail, and hostile input generated here (bare LF, NUL, a 1 MB
 * header line, 100 and 100,000 levels of MIME nesting, thousands of
 * headers).  Every PdMail must come back with clean UTF-8 strings, and
 * hostile input with a warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "mail/pd-mail.h"

static const PdMailLimits test_limits = { 32, 500, 1000, 64 * 1024 };

static void
assert_clean(const char *s)
{
	if (s == NULL)
		return;
	assert_true(g_utf8_validate(s, -1, NULL));
}

static void
assert_clean_addresses(const GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		const PdMailAddress *a = list->pdata[i];

		assert_clean(a->address);
		assert_clean(a->name);
	}
}

static void
assert_clean_strings(const GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++)
		assert_clean(list->pdata[i]);
}

/* The contract every PdMail keeps, whatever the input. */
static void
assert_mail_ok(const PdMail *m)
{
	assert_non_null(m);
	assert_clean(m->from.address);
	assert_clean(m->from.name);
	assert_clean(m->sender);
	assert_clean(m->reply_to.address);
	assert_clean(m->reply_to.name);
	assert_clean_addresses(m->to);
	assert_clean_addresses(m->cc);
	assert_non_null(m->subject);
	assert_clean(m->subject);
	assert_null(strchr(m->subject, '\n'));
	assert_clean(m->message_id);
	assert_clean(m->in_reply_to);
	assert_clean_strings(m->references);
	assert_non_null(m->text_body);
	assert_clean(m->text_body);
	assert_clean(m->html_body);
	assert_clean_strings(m->warnings);
	assert_clean_strings(m->headers);
	for (guint i = 0; i < m->attachments->len; i++) {
		const PdMailAttachment *a = m->attachments->pdata[i];
		gsize len = 0;
		const guchar *data = g_bytes_get_data(a->content, &len);
		g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
								   data != NULL ? data : (const guchar *)"", len);

		assert_clean(a->filename);
		assert_clean(a->content_type);
		assert_clean(a->content_id);
		assert_int_equal(a->size, len);
		assert_string_equal(a->sha256, sum);
	}
	assert_int_equal(strlen(m->body_sha256), 64);
	assert_int_equal(strlen(m->raw_sha256), 64);
}

static PdMail *
parse_len(const char *data, gsize len, const PdMailLimits *limits)
{
	g_autoptr(GBytes) raw = g_bytes_new(data, len);
	g_autoptr(GError) error = NULL;
	PdMail *m = pd_mail_parse(raw, limits, &error);

	assert_null(error);
	assert_mail_ok(m);
	return m;
}

static PdMail *
parse(const char *text)
{
	return parse_len(text, strlen(text), &test_limits);
}

static PdMail *
parse_fixture(const char *name)
{
	const char *dir = g_getenv("PD_DATA_DIR");
	g_autofree char *path = NULL;
	g_autofree char *data = NULL;
	gsize len = 0;

	if (dir == NULL)
		dir = "tests/data";
	path = g_build_filename(dir, "mail", name, NULL);
	assert_true(g_file_get_contents(path, &data, &len, NULL));
	return parse_len(data, len, &test_limits);
}

static gboolean
has_warning(const PdMail *m, const char *fragment)
{
	for (guint i = 0; i < m->warnings->len; i++) {
		if (strstr(m->warnings->pdata[i], fragment) != NULL)
			return TRUE;
	}
	return FALSE;
}

static const PdMailAttachment *
attachment(const PdMail *m, guint i)
{
	assert_true(i < m->attachments->len);
	return m->attachments->pdata[i];
}

/* ---- fields ---- */

static const char basic_mail[] =
	"Return-Path: <bounce@example.org>\n"
	"From: \"Doe, Jane\" <Jane.Doe@Example.org>\n"
	"Sender: list-owner@example.org\n"
	"To: support@example.com, \"Help\" <help@example.com>\n"
	"Cc: a@example.net,\n b@example.net\n"
	"Reply-To: Replies <replies@example.org>\n"
	"Subject: Printer\n on fire\n"
	"Message-ID: <abc.123@mail.example.org>\n"
	"In-Reply-To: <parent@example.org> (comment)\n"
	"References: <root@example.org>\n <parent@example.org>\n"
	"Date: Thu, 13 Feb 2025 23:31:30 +0000\n"
	"\n"
	"It is on fire.\n";

static void
test_fields(void **state)
{
	g_autoptr(PdMail) m = parse(basic_mail);
	const PdMailAddress *a;

	assert_string_equal(m->from.address, "Jane.Doe@Example.org");
	assert_string_equal(m->from.name, "Doe, Jane");
	assert_string_equal(m->sender, "list-owner@example.org");
	assert_int_equal(m->to->len, 2);
	a = m->to->pdata[1];
	assert_string_equal(a->address, "help@example.com");
	assert_string_equal(a->name, "Help");
	assert_int_equal(m->cc->len, 2);
	a = m->cc->pdata[1];
	assert_string_equal(a->address, "b@example.net");
	assert_null(a->name);
	assert_string_equal(m->reply_to.address, "replies@example.org");
	assert_string_equal(m->reply_to.name, "Replies");
	assert_string_equal(m->subject, "Printer on fire");
	assert_string_equal(m->message_id, "abc.123@mail.example.org");
	assert_string_equal(m->in_reply_to, "parent@example.org");
	assert_int_equal(m->references->len, 2);
	assert_string_equal(m->references->pdata[0], "root@example.org");
	assert_string_equal(m->references->pdata[1], "parent@example.org");
	assert_int_equal(m->date, 1739489490);
	assert_string_equal(m->text_body, "It is on fire.\n");
	assert_false(m->text_from_html);
	assert_null(m->html_body);
	assert_int_equal(m->attachments->len, 0);
	assert_int_equal(m->headers->len, 11);
	assert_string_equal(m->headers->pdata[0], "Return-Path: <bounce@example.org>");
	assert_string_equal(m->headers->pdata[5], "Reply-To: Replies <replies@example.org>");
	assert_string_equal(pd_mail_header(m, "subject"), "Printer on fire");
	assert_string_equal(pd_mail_header(m, "CC"), "a@example.net, b@example.net");
	assert_null(pd_mail_header(m, "X-Nothing"));
	assert_int_equal(m->warnings->len, 0);
	assert_int_equal(m->raw_size, strlen(basic_mail));
}

/* The same message with CRLF has the same body hash (idempotency key) but
 * a different raw hash. */
static void
test_crlf_hashes(void **state)
{
	g_autoptr(PdMail) lf = parse(basic_mail);
	g_autoptr(GString) crlf = g_string_new(NULL);
	g_autoptr(PdMail) m = NULL;
	g_autofree char *body_sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "It is on fire.\n", -1);
	g_autofree char *raw_sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, basic_mail, -1);

	for (const char *p = basic_mail; *p; p++) {
		if (*p == '\n')
			g_string_append_c(crlf, '\r');
		g_string_append_c(crlf, *p);
	}
	m = parse(crlf->str);
	assert_string_equal(lf->body_sha256, body_sum);
	assert_string_equal(lf->raw_sha256, raw_sum);
	assert_string_equal(m->body_sha256, lf->body_sha256);
	assert_string_not_equal(m->raw_sha256, lf->raw_sha256);
	assert_string_equal(m->subject, "Printer on fire");
	assert_string_equal(m->text_body, "It is on fire.\r\n");
	assert_string_equal(m->from.address, "Jane.Doe@Example.org");
}

typedef struct {
	const char *header;
	const char *want;
} SubjectCase;

static void
test_rfc2047_subjects(void **state)
{
	static const SubjectCase cases[] = {
		{ "=?UTF-8?B?w6lsw6h2ZQ==?=", "élève" },
		{ "=?ISO-8859-1?Q?caf=E9?= au lait", "café au lait" },
		{ "=?utf-8?q?a?= =?utf-8?q?b?=", "ab" },		/* adjacent words join */
		{ "=?UTF-8?Q?long_?=\n =?UTF-8?Q?folded?=", "long folded" },
		{ "Re: =?koi8-r?B?8NLJ18XU?=", "Re: Привет" },
		{ "=?UTF-8?B?broken", "=?UTF-8?B?broken" },		/* not a word: kept */
		{ "plain\ttab", "plain tab" },
		{ "", "" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("From: a@b.example\nSubject: %s\n\nx\n",
							cases[i].header);
		g_autoptr(PdMail) m = parse(text);

		assert_string_equal(m->subject, cases[i].want);
	}
}

static void
test_charsets(void **state)
{
	g_autoptr(PdMail) latin = parse_fixture("iso-8859-1.eml");
	g_autoptr(PdMail) gb = parse_fixture("gb18030.eml");
	g_autoptr(PdMail) broken = parse_fixture("8bit-undeclared.eml");

	assert_string_equal(latin->from.name, "André Müller");
	assert_string_equal(latin->subject, "Réclamation à propos");
	assert_string_equal(latin->text_body, "Bonjour, le café est brûlé.\n");
	assert_int_equal(latin->date, 1751356800);
	assert_int_equal(latin->warnings->len, 0);

	assert_string_equal(gb->from.name, "李雷");
	assert_string_equal(gb->subject, "账户问题");
	assert_string_equal(gb->text_body, "您好，我的账户无法登录。");

	/* undeclared 8-bit headers, an unknown declared charset, bytes that
	 * are invalid in windows-1252 */
	assert_string_equal(broken->from.name, "François");
	assert_true(g_str_has_prefix(broken->subject, "Café crème"));
	assert_string_equal(broken->text_body, "Crème brûlée ÿþ and more.\n");
	assert_true(has_warning(broken, "undeclared 8-bit"));
	assert_true(has_warning(broken, "x-no-such-charset"));
}

/* Raw 8-bit inside a Q word (old Outlook): decoded once, in its charset. */
static void
test_8bit_in_encoded_word(void **state)
{
	g_autoptr(PdMail) m = parse("From: =?iso-8859-1?Q?J\xfcrgen?= <j@example.org>\n"
				    "To: Heinz =?iso-8859-1?Q?M\xfcller?= <m@example.org>\n\nx\n");
	const PdMailAddress *to = m->to->pdata[0];

	assert_string_equal(m->from.name, "Jürgen");
	assert_string_equal(to->name, "Heinz Müller");
}

/* A multipart whose boundary never comes: its content is still the text. */
static void
test_multipart_without_parts(void **state)
{
	g_autoptr(PdMail) none = parse("From: a@example.org\nContent-Type: multipart/mixed\n\nthe text\n");
	g_autoptr(PdMail) missing = parse("From: a@example.org\n"
					  "Content-Type: multipart/mixed; boundary=zz\n\nthe text\n");

	assert_non_null(strstr(none->text_body, "the text"));
	assert_non_null(strstr(missing->text_body, "the text"));
	assert_true(has_warning(none, "boundary"));
}

static void
test_invalid_utf8_and_nul(void **state)
{
	static const char mail[] =
		"From: n\0ul <nul@example.org>\n"
		"Subject: bad \xC3\x28 utf8 and \0 nul\n"
		"Message-ID: <nul@example.org>\n"
		"Content-Type: text/plain; charset=utf-8\n"
		"\n"
		"text \xF0\x9F\x98 cut, \0 nul, \xE2\x82\xAC ok\n";
	g_autoptr(PdMail) m = parse_len(mail, sizeof mail - 1, &test_limits);

	assert_non_null(strstr(m->text_body, "\xE2\x82\xAC ok"));
	assert_non_null(strstr(m->text_body, "\xEF\xBF\xBD nul"));
	assert_true(has_warning(m, "NUL"));
	assert_true(has_warning(m, "invalid UTF-8"));
	assert_string_equal(m->from.address, "nul@example.org");
}

static void
test_attachments(void **state)
{
	g_autoptr(PdMail) m = parse_fixture("rfc2231.eml");
	const PdMailAttachment *a;
	g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "hello world\n", -1);

	assert_string_equal(m->text_body, "See attached.");
	assert_int_equal(m->attachments->len, 2);
	a = attachment(m, 0);
	assert_string_equal(a->filename, "€ rates for 2025.txt");
	assert_string_equal(a->content_type, "application/octet-stream");
	assert_int_equal(a->size, 12);
	assert_string_equal(a->sha256, sum);
	assert_memory_equal(g_bytes_get_data(a->content, NULL), "hello world\n", 12);
	assert_false(a->inline_part);
	a = attachment(m, 1);
	assert_string_equal(a->filename, "résumé.pdf");
	assert_string_equal(a->content_type, "application/pdf");
	assert_int_equal(a->size, 9);
	assert_memory_equal(g_bytes_get_data(a->content, NULL), "%PDF-1.4\n", 9);
}

/* An attachment's encoded bytes as a span of the raw message (what the
 * store keeps instead of a decoded copy) decode to its content, for each
 * transfer encoding; content that is not in the raw bytes as such has no
 * span. */
static void
test_attachment_raw_span(void **state)
{
	static const char mail[] =
		"From: a@example.org\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
		"--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\nLjQK\r\n"
		"--b\r\nContent-Type: text/plain; name=q.txt\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nau lait\r\n"
		"--b\r\nContent-Type: text/plain; name=p.txt\r\n\r\nas it is\r\n"
		"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n"
		"--b--\r\n";
	static const char *const encodings[] = { "base64", "quoted-printable", "binary", "binary" };
	/* the line end before a boundary belongs to the boundary; a
	 * message/rfc822 part is its message as received, CRLF and all */
	static const char *const contents[] = { "%PDF-1.4\n", "caf\xC3\xA9 au lait", "as it is",
						"Subject: inner\r\n\r\nhi" };
	g_autoptr(PdMail) m = parse(mail);
	g_autoptr(PdMail) guarded = NULL;
	g_autoptr(GString) hostile = g_string_new("From: a@example.org\r\nX-Long: ");

	assert_int_equal(m->attachments->len, G_N_ELEMENTS(encodings));
	for (guint i = 0; i < G_N_ELEMENTS(encodings); i++) {
		const PdMailAttachment *a = attachment(m, i);
		g_autoptr(GBytes) again = NULL;

		assert_string_equal(a->raw_encoding, encodings[i]);
		assert_true(a->raw_offset + a->raw_length <= sizeof mail - 1);
		again = pd_mail_decode(mail + a->raw_offset, a->raw_length, a->raw_encoding);
		assert_true(g_bytes_equal(again, a->content));
		assert_int_equal(g_bytes_get_size(again), strlen(contents[i]));
		assert_memory_equal(g_bytes_get_data(again, NULL), contents[i], strlen(contents[i]));
	}

	/* a header block cut before GMime sees it: no span (offsets moved) */
	for (guint i = 0; i < 70 * 1024; i++)
		g_string_append_c(hostile, 'x');
	g_string_append(hostile, "\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
			"--b\r\nContent-Type: application/pdf\r\n"
			"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--b--\r\n");
	guarded = parse_len(hostile->str, hostile->len, &test_limits);
	assert_int_equal(guarded->attachments->len, 1);
	assert_null(attachment(guarded, 0)->raw_encoding);
	assert_int_equal(attachment(guarded, 0)->size, 6);
}

static void
test_inline_image(void **state)
{
	g_autoptr(PdMail) m = parse(
		"From: a@example.org\n"
		"Content-Type: multipart/related; boundary=r\n\n"
		"--r\nContent-Type: text/html\n\n<p>see <img src=\"cid:logo@x\" alt=\"logo\"></p>\n"
		"--r\nContent-Type: image/PNG\nContent-ID: <logo@x>\nContent-Disposition: inline\n"
		"Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r--\n");
	const PdMailAttachment *a = attachment(m, 0);

	assert_string_equal(a->content_type, "image/png");
	assert_string_equal(a->content_id, "logo@x");
	assert_true(a->inline_part);
	assert_null(a->filename);
	assert_int_equal(a->size, 8);
	assert_true(m->text_from_html);
	assert_string_equal(m->text_body, "see logo");
}

static void
test_html_only(void **state)
{
	g_autoptr(PdMail) m = parse_fixture("html-only.eml");

	assert_true(m->text_from_html);
	assert_non_null(m->html_body);
	assert_non_null(strstr(m->html_body, "<script>"));
	assert_string_equal(m->text_body,
			    "Hello & welcome, café €5 — ☺\n\n"
			    "Line two\nLine three\n\n"
			    "Read the docs <https://example.net/doc?a=1&b=2> or https://example.net/.\n\n"
			    "- one\n- two");
}

static void
test_alternative(void **state)
{
	g_autoptr(PdMail) m = parse_fixture("alternative.eml");

	assert_string_equal(m->text_body, "Plain version.");
	assert_string_equal(m->html_body, "<p>HTML version.</p>");
	assert_false(m->text_from_html);
	assert_int_equal(m->attachments->len, 0);
}

static void
test_nested_rfc822(void **state)
{
	g_autoptr(PdMail) m = parse_fixture("nested-rfc822.eml");
	const PdMailAttachment *a = attachment(m, 0);
	g_autofree char *inner = g_strndup(g_bytes_get_data(a->content, NULL), a->size);

	assert_string_equal(m->subject, "Fwd: the original");
	assert_string_equal(m->text_body, "Forwarding this.");
	assert_int_equal(m->attachments->len, 1);
	assert_string_equal(a->filename, "Inner subject.eml");
	assert_string_equal(a->content_type, "message/rfc822");
	assert_non_null(strstr(inner, "Subject: Inner subject"));
	assert_non_null(strstr(inner, "Inner text."));
	assert_non_null(strstr(inner, "binary"));
}

static void
test_second_text_part_kept(void **state)
{
	g_autoptr(PdMail) m = parse(
		"From: a@example.org\nContent-Type: multipart/mixed; boundary=m\n\n"
		"--m\nContent-Type: text/plain\n\nfirst\n"
		"--m\nContent-Type: text/plain; charset=iso-8859-1\n\nsecond \xe9\n--m--\n");

	assert_string_equal(m->text_body, "first");
	assert_int_equal(m->attachments->len, 1);
	assert_string_equal(attachment(m, 0)->content_type, "text/plain");
	assert_int_equal(attachment(m, 0)->size, 8);
}

typedef struct {
	const char *headers;
	PdMailClass want;
} ClassCase;

static void
test_classification(void **state)
{
	static const ClassCase cases[] = {
		{ "", { FALSE, FALSE, FALSE, FALSE, FALSE } },
		{ "Auto-Submitted: no\n", { FALSE, FALSE, FALSE, FALSE, FALSE } },
		{ "Auto-Submitted: auto-replied (vacation)\n", { TRUE, FALSE, FALSE, FALSE, FALSE } },
		{ "Precedence: Bulk\n", { FALSE, TRUE, FALSE, FALSE, FALSE } },
		{ "Precedence: junk\n", { FALSE, TRUE, FALSE, FALSE, FALSE } },
		{ "Precedence: list\n", { FALSE, TRUE, FALSE, FALSE, FALSE } },
		{ "Precedence: first-class\n", { FALSE, FALSE, FALSE, FALSE, FALSE } },
		{ "List-Id: <dev.lists.example.org>\n", { FALSE, FALSE, TRUE, FALSE, FALSE } },
		{ "List-Unsubscribe: <mailto:u@example.org>\n", { FALSE, FALSE, TRUE, FALSE, FALSE } },
		{ "List-Post: NO\n", { FALSE, FALSE, TRUE, FALSE, FALSE } },
		{ "X-Auto-Response-Suppress: OOF, DR\n", { FALSE, FALSE, FALSE, FALSE, TRUE } },
		{ "X-Auto-Response-Suppress: All\n", { FALSE, FALSE, FALSE, FALSE, TRUE } },
		{ "X-Auto-Response-Suppress: DR, RN\n", { FALSE, FALSE, FALSE, FALSE, FALSE } },
		{ "Content-Type: multipart/report; report-type=disposition-notification; boundary=x\n",
		  { FALSE, FALSE, FALSE, TRUE, FALSE } },
		{ "Content-Type: multipart/report; report-type=other; boundary=x\n",
		  { FALSE, FALSE, FALSE, FALSE, FALSE } },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("From: a@example.org\n%s\n--x\n\nbody\n--x--\n",
							cases[i].headers);
		g_autoptr(PdMail) m = parse(text);

		assert_int_equal(m->class.auto_submitted, cases[i].want.auto_submitted);
		assert_int_equal(m->class.bulk, cases[i].want.bulk);
		assert_int_equal(m->class.list, cases[i].want.list);
		assert_int_equal(m->class.bounce, cases[i].want.bounce);
		assert_int_equal(m->class.auto_reply_suppressed, cases[i].want.auto_reply_suppressed);
	}
	{
		g_autoptr(PdMail) dsn = parse_fixture("dsn.eml");

		assert_true(dsn->class.bounce);
		assert_true(dsn->class.auto_submitted);
		assert_int_equal(dsn->attachments->len, 2);
	}
}

typedef struct {
	const char *header;
	const char *message_id;	/* NULL: none */
	guint refs;
} IdCase;

static void
test_ids(void **state)
{
	static const IdCase cases[] = {
		{ "Message-ID: <a@b>\n", "a@b", 0 },
		{ "Message-ID:   <a@b>  (comment)\n", "a@b", 0 },
		{ "Message-ID: no-brackets@example.org\n", "no-brackets@example.org", 0 },
		{ "Message-ID: <>\n", NULL, 0 },
		{ "Message-ID: <caf\xc3\xa9@example.org>\n", NULL, 0 },
		{ "References: <1@x> <2@x>\n\t<3@x>\n", NULL, 3 },
		{ "References: garbage\n", NULL, 1 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("From: a@example.org\n%s\nbody\n", cases[i].header);
		g_autoptr(PdMail) m = parse(text);

		if (cases[i].message_id != NULL)
			assert_string_equal(m->message_id, cases[i].message_id);
		else
			assert_null(m->message_id);
		assert_int_equal(m->references->len, cases[i].refs);
	}
}

static void
test_references_bounded(void **state)
{
	g_autoptr(GString) text = g_string_new("From: a@example.org\nReferences:");
	g_autoptr(PdMail) m = NULL;

	for (int i = 0; i < 300; i++)
		g_string_append_printf(text, " <ref%d@example.org>\n", i);
	g_string_append(text, "\nbody\n");
	m = parse(text->str);
	assert_int_equal(m->references->len, 50);
	assert_string_equal(m->references->pdata[0], "ref0@example.org");
	assert_string_equal(m->references->pdata[49], "ref299@example.org");
	assert_string_equal(m->references->pdata[1], "ref251@example.org");
	assert_true(has_warning(m, "References"));
}

/* ---- hostile and degenerate input ---- */

static void
test_degenerate(void **state)
{
	g_autoptr(PdMail) empty = parse_len("", 0, NULL);
	g_autoptr(PdMail) only_headers = parse("From: a@example.org\nSubject: hi\n");
	g_autoptr(PdMail) no_from = parse("To: support@example.com\n\nbody\n");
	g_autoptr(PdMail) garbage = parse("\x01\x02\xff\xfe not a mail at all");
	g_autoptr(PdMail) trunc = parse_fixture("truncated-base64.eml");
	g_autoptr(PdMail) cut = parse("From: a@example.org\nContent-Type: application/octet-stream\n"
				      "Content-Transfer-Encoding: base64\n\nAAECAwQ\n");

	assert_string_equal(empty->subject, "");
	assert_string_equal(empty->text_body, "");
	assert_true(has_warning(empty, "empty message"));
	assert_null(empty->message_id);

	assert_string_equal(only_headers->subject, "hi");
	assert_string_equal(only_headers->text_body, "");
	assert_true(has_warning(only_headers, "Message-ID"));

	assert_null(no_from->from.address);
	assert_true(has_warning(no_from, "no From"));
	assert_string_equal(no_from->text_body, "body\n");

	assert_true(garbage->warnings->len > 0);

	assert_true(has_warning(trunc, "truncated"));
	assert_int_equal(trunc->attachments->len, 1);
	assert_int_equal(attachment(trunc, 0)->size, 105);

	assert_true(has_warning(cut, "truncated base64"));
	assert_int_equal(cut->attachments->len, 1);
}

static void
test_huge_header_line(void **state)
{
	gsize n = 1024 * 1024;
	g_autoptr(GString) text = g_string_new("From: a@example.org\nX-Long: ");
	g_autoptr(PdMail) m = NULL;
	g_autoptr(PdMail) s = NULL;

	for (gsize i = 0; i < n; i++)
		g_string_append_c(text, 'a' + i % 26);
	g_string_append(text, "\nSubject: after\n\nbody\n");
	m = parse(text->str);
	assert_string_equal(m->subject, "after");
	assert_string_equal(m->text_body, "body\n");
	assert_true(strlen(pd_mail_header(m, "X-Long")) < test_limits.max_header_bytes);
	assert_true(has_warning(m, "longer than"));

	/* a 1 MB subject is cut to the field limit */
	g_string_assign(text, "From: a@example.org\nSubject: ");
	for (gsize i = 0; i < n; i++)
		g_string_append(text, i % 40 == 39 ? "\n " : "\xC3\xA9");
	g_string_append(text, "\n\nbody\n");
	s = parse(text->str);
	assert_true(strlen(s->subject) <= test_limits.max_header_bytes);
	assert_true(g_str_has_prefix(s->subject, "\xC3\xA9\xC3\xA9"));
	assert_true(has_warning(s, "longer than"));
}

static void
test_bare_lf_and_cr(void **state)
{
	g_autoptr(PdMail) m = parse("From: a@example.org\rSubject: cr only\r\rbody\r");
	g_autoptr(PdMail) mixed = parse("From: a@example.org\r\nSubject: mixed\n\r\nline1\nline2\r\n");

	assert_non_null(m->text_body);
	assert_string_equal(mixed->subject, "mixed");
	assert_string_equal(mixed->text_body, "line1\nline2\r\n");
}

static void
test_header_count(void **state)
{
	g_autoptr(GString) text = g_string_new("From: a@example.org\n");
	g_autoptr(PdMail) m = NULL;

	for (int i = 0; i < 5000; i++)
		g_string_append_printf(text, "X-H%d: v\n", i);
	g_string_append(text, "Subject: late\n\nbody\n");
	m = parse(text->str);
	assert_int_equal(m->headers->len, test_limits.max_headers);
	assert_true(has_warning(m, "header fields"));
	assert_string_equal(m->text_body, "body\n");
}

static void
test_part_count(void **state)
{
	g_autoptr(GString) text = g_string_new("From: a@example.org\nContent-Type: multipart/mixed; boundary=p\n\n");
	PdMailLimits limits = test_limits;
	g_autoptr(PdMail) m = NULL;

	for (int i = 0; i < 2000; i++)
		g_string_append_printf(text, "--p\nContent-Type: application/x-%d\n\n%d\n", i, i);
	g_string_append(text, "--p--\n");
	limits.max_parts = 100;
	m = parse_len(text->str, text->len, &limits);
	assert_int_equal(m->attachments->len, 99);	/* the multipart counts too */
	assert_true(has_warning(m, "MIME parts"));
}

/* levels of multipart/mixed, each with its own boundary, the innermost
 * holding a text part; closed properly when close is TRUE. */
static GString *
nested_mail(guint levels, gboolean close)
{
	GString *text = g_string_new("From: deep@example.org\nSubject: deep\n");

	for (guint i = 0; i < levels; i++)
		g_string_append_printf(text, "Content-Type: multipart/mixed; boundary=\"b%u\"\n\n--b%u\n", i, i);
	g_string_append(text, "Content-Type: text/plain\n\ninnermost\n");
	for (guint i = levels; close && i > 0; i--)
		g_string_append_printf(text, "--b%u--\n", i - 1);
	return text;
}

/* The same boundary at every level: GMime's cheapest nesting. */
static GString *
nested_same_boundary(guint levels)
{
	GString *text = g_string_new("From: deep@example.org\nSubject: deep\n");

	for (guint i = 0; i < levels; i++)
		g_string_append(text, "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n");
	g_string_append(text, "Content-Type: text/plain\n\ninnermost\n--b--\n");
	return text;
}

static GString *
nested_messages(guint levels)
{
	GString *text = g_string_new("From: deep@example.org\nSubject: deep\n");

	for (guint i = 0; i < levels; i++)
		g_string_append(text, "Content-Type: message/rfc822\n\nSubject: inner\n");
	g_string_append(text, "\ninnermost\n");
	return text;
}

/* ASan's redzones make frames several times larger. */
#if defined(__SANITIZE_ADDRESS__)
#define DEEP_STACK (4 << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DEEP_STACK (4 << 20)
#endif
#endif
#ifndef DEEP_STACK
#define DEEP_STACK (1 << 20)
#endif

typedef struct {
	GString *text;
	PdMail *mail;
} DeepJob;

static void *
deep_thread(void *data)
{
	DeepJob *job = data;
	g_autoptr(GBytes) raw = g_bytes_new_static(job->text->str, job->text->len);

	job->mail = pd_mail_parse(raw, &test_limits, NULL);
	return NULL;
}

/* Parses on a thread with a small stack: the daemon's worker threads have
 * at least this much, so passing here proves GMime's recursion (bounded
 * by its MAX_LEVEL) and ours (none) fit. */
static PdMail *
parse_small_stack(GString *text)
{
	DeepJob job = { text, NULL };
	pthread_attr_t attr;
	pthread_t thread;
	gint64 start = g_get_monotonic_time();

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, DEEP_STACK);
	assert_int_equal(pthread_create(&thread, &attr, deep_thread, &job), 0);
	pthread_join(thread, NULL);
	pthread_attr_destroy(&attr);
	assert_mail_ok(job.mail);
	/* and it does not stall: seconds even for 100,000 levels */
	assert_true(g_get_monotonic_time() - start < 30 * G_USEC_PER_SEC);
	return job.mail;
}

static void
test_nesting_100(void **state)
{
	g_autoptr(GString) text = nested_mail(100, TRUE);
	g_autoptr(PdMail) m = parse_small_stack(text);
	PdMailLimits roomy = test_limits;
	g_autoptr(PdMail) all = NULL;

	assert_string_equal(m->subject, "deep");
	assert_true(has_warning(m, "nesting deeper than 32"));
	assert_string_equal(m->text_body, "");
	roomy.max_depth = 200;
	all = parse_len(text->str, text->len, &roomy);
	assert_string_equal(all->text_body, "innermost");
}

static void
test_nesting_100000(void **state)
{
	g_autoptr(GString) distinct = nested_mail(100000, FALSE);
	g_autoptr(GString) same = nested_same_boundary(100000);
	g_autoptr(GString) messages = nested_messages(100000);
	g_autoptr(PdMail) a = NULL;
	g_autoptr(PdMail) b = NULL;
	g_autoptr(PdMail) c = NULL;

	a = parse_small_stack(distinct);
	assert_string_equal(a->subject, "deep");
	assert_true(has_warning(a, "nesting"));
	/* the guard keeps GMime's depth and work bounded before it parses */
	assert_true(has_warning(a, "nested MIME types"));
	b = parse_small_stack(same);
	assert_string_equal(b->from.address, "deep@example.org");
	assert_true(has_warning(b, "nesting"));
	c = parse_small_stack(messages);
	assert_int_equal(c->attachments->len, 1);
	assert_string_equal(attachment(c, 0)->filename, "inner.eml");
}

/* Past the nesting budget (2 * max_depth Content-Types naming multipart or
 * message), further message/rfc822 parts are still attachments, as leaves. */
static void
test_nesting_budget_siblings(void **state)
{
	g_autoptr(GString) text = g_string_new("From: a@example.org\nContent-Type: multipart/mixed; boundary=s\n\n");
	g_autoptr(PdMail) m = NULL;
	guint messages = 0;

	for (int i = 0; i < 100; i++)
		g_string_append_printf(text, "--s\nContent-Type: message/rfc822\n\nSubject: n%d\n\nbody %d\n", i, i);
	g_string_append(text, "--s--\n");
	m = parse(text->str);
	assert_int_equal(m->attachments->len, 100);
	for (guint i = 0; i < m->attachments->len; i++)
		messages += g_str_has_suffix(attachment(m, i)->filename != NULL ? attachment(m, i)->filename : "", ".eml");
	assert_int_equal(messages, 63);	/* the top-level multipart is the 64th */
	assert_true(has_warning(m, "nested MIME types"));
}

/* ---- HTML to text ---- */

typedef struct {
	const char *html;
	const char *text;
} HtmlCase;

static void
test_html_to_text(void **state)
{
	static const HtmlCase cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "<p>a</p><p>b</p>", "a\n\nb" },
		{ "a<br>b<br/>c", "a\nb\nc" },
		{ "<div>a</div><div>b</div>", "a\nb" },
		{ "x &lt;y&gt; &amp;&quot;&apos;&#39;&#x41;&nbsp;z", "x <y> &\"''A z" },
		{ "&unknown; & &#; &#xZZ;", "&unknown; & &#; &#xZZ;" },
		{ "a<script>var x = '<p>';</script>b", "ab" },
		{ "a<style type=text/css>p{}</style>b<SCRIPT>x</SCRIPT>c", "abc" },
		{ "<!-- comment <p> -->a<!DOCTYPE html>b", "ab" },
		{ "<a href=\"https://x.example/\">site</a>", "site <https://x.example/>" },
		{ "<a href='https://x.example/'>https://x.example/</a>", "https://x.example/" },
		{ "<a href=\"mailto:a@b\">a@b</a>", "a@b" },
		{ "<a href=\"#top\">top</a>", "top" },
		{ "<a>no href</a>", "no href" },
		{ "  many   \n\t spaces  ", "many spaces" },
		{ "<pre>  keep\n   this</pre>", "  keep\n   this" },
		{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc" },
		{ "<ul><li>x<li>y</ul>", "- x\n- y" },
		{ "<h1>T</h1>text", "T\n\ntext" },
		{ "1 < 2 and <3", "1 < 2 and <3" },
		{ "<p unclosed", "" },
		{ "<script>never closed", "" },
		{ "<img src=x alt=\"pic\">", "pic" },
		{ "&#0;&#xD800;&#1114112;", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
		{ "<p>\n\n\n</p><p></p><p>x</p>", "x" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = pd_mail_html_to_text(cases[i].html, strlen(cases[i].html));

		if (strcmp(text, cases[i].text) != 0)
			fail_msg("case %zu: %s -> \"%s\", want \"%s\"", i, cases[i].html, text,
				 cases[i].text);
	}
}

/* ---- threads ---- */

static gpointer
parse_many(gpointer data)
{
	const char *name = data;
	const char *dir = g_getenv("PD_DATA_DIR");
	g_autofree char *path = g_build_filename(dir != NULL ? dir : "tests/data", "mail", name, NULL);
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autofree char *first = NULL;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return GINT_TO_POINTER(0);
	for (int i = 0; i < 300; i++) {
		g_autoptr(GBytes) raw = g_bytes_new_static(text, len);
		g_autoptr(PdMail) m = pd_mail_parse(raw, NULL, NULL);
		g_autoptr(GString) sig = g_string_new(m->subject);

		g_string_append(sig, m->text_body);
		for (guint j = 0; j < m->attachments->len; j++)
			g_string_append(sig, ((PdMailAttachment *)m->attachments->pdata[j])->sha256);
		if (first == NULL)
			first = g_strdup(sig->str);
		else if (strcmp(first, sig->str) != 0)
			return GINT_TO_POINTER(0);
	}
	return GINT_TO_POINTER(1);
}

static void
test_threads(void **state)
{
	static const char *names[] = { "gb18030.eml", "iso-8859-1.eml", "rfc2231.eml", "html-only.eml",
				       "8bit-undeclared.eml", "nested-rfc822.eml" };
	GThread *threads[G_N_ELEMENTS(names)];

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		threads[i] = g_thread_new("parse", parse_many, (gpointer)names[i]);
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
		assert_int_equal(GPOINTER_TO_INT(g_thread_join(threads[i])), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_crlf_hashes),
		cmocka_unit_test(test_rfc2047_subjects),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_8bit_in_encoded_word),
		cmocka_unit_test(test_multipart_without_parts),
		cmocka_unit_test(test_invalid_utf8_and_nul),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_attachment_raw_span),
		cmocka_unit_test(test_inline_image),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_alternative),
		cmocka_unit_test(test_nested_rfc822),
		cmocka_unit_test(test_second_text_part_kept),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_references_bounded),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_huge_header_line),
		cmocka_unit_test(test_bare_lf_and_cr),
		cmocka_unit_test(test_header_count),
		cmocka_unit_test(test_part_count),
		cmocka_unit_test(test_nesting_100),
		cmocka_unit_test(test_nesting_100000),
		cmocka_unit_test(test_nesting_budget_siblings),
		cmocka_unit_test(test_html_to_text),
		cmocka_unit_test(test_threads),
	};

	pd_mail_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
