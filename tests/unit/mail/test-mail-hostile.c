/* test-mail-hostile: pd_mail_parse() against the issue-8 attacks.
 *
 * Poison strings: bytes GMime hands on as they were sent (a media type, a
 * charset name quoted in a warning) come out valid UTF-8, with a warning.
 * Part bombs: parts past limits.max_parts are never built by GMime (the
 * part guard cuts what GMime reads first), so neither time nor memory
 * grows with the part count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/pd-mail.h"

static const PdMailLimits test_limits = { 32, 500, 1000, 64 * 1024 };

static gboolean
has_warning(const PdMail *m, const char *fragment)
{
	for (guint i = 0; i < m->warnings->len; i++) {
		if (strstr(m->warnings->pdata[i], fragment) != NULL)
			return TRUE;
	}
	return FALSE;
}

static PdMail *
parse_len(const char *data, gsize len, const PdMailLimits *limits)
{
	g_autoptr(GBytes) raw = g_bytes_new(data, len);
	g_autoptr(GError) error = NULL;
	PdMail *m = pd_mail_parse(raw, limits, &error);

	assert_null(error);
	assert_non_null(m);
	return m;
}

static void
assert_all_valid(const PdMail *m)
{
	for (guint i = 0; i < m->warnings->len; i++)
		assert_true(g_utf8_validate(m->warnings->pdata[i], -1, NULL));
	for (guint i = 0; i < m->attachments->len; i++) {
		const PdMailAttachment *a = m->attachments->pdata[i];

		assert_true(a->content_type != NULL && g_utf8_validate(a->content_type, -1, NULL));
	}
	assert_true(g_utf8_validate(m->text_body, -1, NULL));
	assert_true(g_utf8_validate(m->subject, -1, NULL));
}

static void
test_poison_strings(void **state)
{
	static const struct {
		const char *mail;
		const char *content_type;	/* of the first attachment, NULL: none */
		const char *warning;		/* NULL: none needed */
	} cases[] = {
		{ "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
		  "--b\nContent-Type: /\xf6\x9a\x91\x95\n\nxx\n--b--\n",
		  "/\xef\xbf\xbd", "Content-Type: invalid UTF-8 repaired" },
		{ "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
		  "--b\nContent-Type: appl\xc3ication/pdf\n\nxx\n--b--\n",
		  /* GMime reads this one as windows-1252 itself */
		  "appl\xc3\x83ication/pdf", NULL },
		{ "Content-Type: text/plain; charset=\"utf-9\xf6\xbc\x90\x91\"\n\nh\xe9llo\n",
		  NULL, "text body: cannot decode as declared charset utf-9\xef\xbf\xbd" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strconcat("From: a@example.org\nSubject: poison\n",
						    cases[i].mail, NULL);
		g_autoptr(PdMail) m = parse_len(text, strlen(text), &test_limits);

		assert_all_valid(m);
		if (cases[i].content_type != NULL) {
			assert_int_equal(m->attachments->len, 1);
			assert_string_equal(((PdMailAttachment *)m->attachments->pdata[0])->content_type,
					    cases[i].content_type);
		}
		if (cases[i].warning != NULL && !has_warning(m, cases[i].warning))
			fail_msg("case %u: no warning %s", i, cases[i].warning);
	}
}

/* ---- the part guard ---- */

static GString *
mixed(const char *boundary_param)
{
	GString *text = g_string_new("From: a@example.org\nSubject: parts\n");

	g_string_append_printf(text, "Content-Type: multipart/mixed; %s\n\n", boundary_param);
	return text;
}

static GString *
many_parts(guint n)
{
	GString *text = mixed("boundary=p");

	for (guint i = 0; i < n; i++)
		g_string_append_printf(text, "--p\nContent-Type: application/x-%u\n\n%u\n", i, i);
	g_string_append(text, "--p--\n");
	return text;
}

static GString *
parts_2000(void)
{
	return many_parts(2000);
}

static GString *
parts_at_limit(void)
{
	return many_parts(99);	/* and the multipart itself: 100 */
}

/* RFC 2231 continuations: our scan reads the boundary as GMime does */
static GString *
parts_rfc2231_boundary(void)
{
	GString *text = mixed("boundary*0=\"pa\"; boundary*1=\"rt\"");

	for (guint i = 0; i < 2000; i++)
		g_string_append(text, "--part\n\nx\n");
	g_string_append(text, "--part--\n");
	return text;
}

/* "--" lines that are no boundary: a signature, rulers, a diff */
static GString *
dashes_in_text(void)
{
	GString *text = g_string_new("From: a@example.org\nSubject: dashes\n"
				     "Content-Type: text/plain\n\n");

	for (guint i = 0; i < 3000; i++)
		g_string_append(text, "-- \n----------\n--- a/file.c\n");
	return text;
}

static GString *
part_with_headers(guint fields)
{
	GString *text = mixed("boundary=p");

	g_string_append(text, "--p\n");
	for (guint i = 0; i < fields; i++)
		g_string_append_printf(text, "X-Field-%u: %u\n", i, i);
	g_string_append(text, "\nbody\n--p--\n");
	return text;
}

static GString *
header_bomb(void)
{
	return part_with_headers(5000);
}

static GString *
headers_at_limit(void)
{
	return part_with_headers(999);	/* and nothing else counts */
}

static GString *
folded_bomb(void)
{
	GString *text = mixed("boundary=p");

	g_string_append(text, "--p\nX-Folded: a");
	for (guint i = 0; i < 40000; i++)
		g_string_append(text, "\n b");
	g_string_append(text, "\n\nbody\n--p--\n");
	return text;
}

static GString *
headers_in_all(void)
{
	GString *text = mixed("boundary=p");

	for (guint i = 0; i < 90; i++) {
		g_string_append(text, "--p\n");
		for (guint j = 0; j < 120; j++)
			g_string_append_printf(text, "X-F%u: v\n", j);
		g_string_append(text, "\nx\n");
	}
	g_string_append(text, "--p--\n");
	return text;
}

/* the inner message of a message/rfc822 part has a header block too */
static GString *
rfc822_header_bomb(void)
{
	GString *text = mixed("boundary=p");

	g_string_append(text, "--p\nContent-Type: message/rfc822\n\n");
	for (guint i = 0; i < 5000; i++)
		g_string_append_printf(text, "Received: by hop%u\n", i);
	g_string_append(text, "\ninner body\n--p--\n");
	return text;
}

/* a digest's untyped parts are messages */
static GString *
digest_header_bomb(void)
{
	GString *text = g_string_new("From: a@example.org\n"
				     "Content-Type: multipart/digest; boundary=p\n\n--p\n\n");
	for (guint i = 0; i < 5000; i++)
		g_string_append_printf(text, "Received: by hop%u\n", i);
	g_string_append(text, "\ninner body\n--p--\n");
	return text;
}

/* GMime drops an invalid line of a part's header block and reads on: the
 * fields after it count too (they took 1.2 GB for 2 million before) */
static GString *
header_bomb_after_invalid_line(void)
{
	GString *text = mixed("boundary=p");

	g_string_append(text, "--p\nContent-Type: text/plain\nnot a header\n");
	for (guint i = 0; i < 5000; i++)
		g_string_append_printf(text, "X-Field-%u: x\n", i);
	g_string_append(text, "\nbody\n--p--\n");
	return text;
}

/* text that looks like fields in a part's body is not a header block */
static GString *
fields_in_body(void)
{
	GString *text = mixed("boundary=p");

	g_string_append(text, "--p\nContent-Type: text/plain\n\n");
	for (guint i = 0; i < 5000; i++)
		g_string_append_printf(text, "Note-%u: a log line\n", i);
	g_string_append(text, "--p--\n");
	return text;
}

static void
test_part_guard(void **state)
{
	static const struct {
		const char *name;
		GString *(*make)(void);
		const char *cut;	/* the guard's reason, NULL: nothing cut */
		guint attachments;	/* at least */
	} cases[] = {
		{ "2000 parts", parts_2000, "more MIME parts than the limit", 99 },
		{ "parts at the limit", parts_at_limit, NULL, 99 },
		{ "RFC 2231 boundary", parts_rfc2231_boundary, "more MIME parts than the limit", 98 },
		{ "dashes in text", dashes_in_text, NULL, 0 },
		{ "5000 fields in a part", header_bomb, "a MIME part with more header fields", 0 },
		{ "999 fields in a part", headers_at_limit, NULL, 0 },
		{ "a 40,000-line folded field", folded_bomb, "a MIME part header field longer", 0 },
		{ "10,800 fields in 90 parts", headers_in_all, "MIME part header fields in all", 80 },
		{ "message/rfc822 headers", rfc822_header_bomb, "a MIME part with more header fields", 0 },
		{ "digest headers", digest_header_bomb, "a MIME part with more header fields", 0 },
		{ "fields in a body", fields_in_body, NULL, 0 },
		{ "fields after an invalid line", header_bomb_after_invalid_line,
		  "a MIME part with more header fields", 0 },
	};
	PdMailLimits limits = test_limits;

	limits.max_parts = 100;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) text = cases[i].make();
		g_autoptr(PdMail) m = parse_len(text->str, text->len, &limits);
		gboolean cut = has_warning(m, "on is not parsed (it is kept in the raw message)");

		assert_all_valid(m);
		if (cases[i].cut != NULL && (!cut || !has_warning(m, cases[i].cut)))
			fail_msg("%s: not cut for \"%s\"", cases[i].name, cases[i].cut);
		if (cases[i].cut == NULL && cut)
			fail_msg("%s: cut, want it whole", cases[i].name);
		if (m->attachments->len < cases[i].attachments)
			fail_msg("%s: %u attachments, want %u", cases[i].name, m->attachments->len,
				 cases[i].attachments);
		/* what is hashed is always all of it */
		assert_int_equal(m->raw_size, text->len);
	}
}

/* The parts before the cut are whole: their content, their place in the
 * raw bytes. */
static void
test_part_guard_keeps_prefix(void **state)
{
	g_autoptr(GString) text = many_parts(2000);
	PdMailLimits limits = test_limits;
	g_autoptr(PdMail) m = NULL;

	limits.max_parts = 100;
	m = parse_len(text->str, text->len, &limits);
	assert_int_equal(m->attachments->len, 99);
	for (guint i = 0; i < m->attachments->len; i++) {
		const PdMailAttachment *a = m->attachments->pdata[i];
		g_autofree char *want = g_strdup_printf("%u", i);	/* the LF is the delimiter's */
		g_autofree char *type = g_strdup_printf("application/x-%u", i);

		assert_string_equal(a->content_type, type);
		assert_int_equal(g_bytes_get_size(a->content), strlen(want));
		assert_memory_equal(g_bytes_get_data(a->content, NULL), want, strlen(want));
		assert_non_null(a->raw_encoding);
		assert_memory_equal(text->str + a->raw_offset, want, strlen(want));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poison_strings),
		cmocka_unit_test(test_part_guard),
		cmocka_unit_test(test_part_guard_keeps_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
