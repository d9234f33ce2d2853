/* test-mail-real: what real mail from other projects' test sets showed
 * pd_mail_parse losing (issue 11, sections 1 and 2), one table per class.
 * Each row is a synthetic message of that class, what a human reads in
 * it, and the warning that says what was repaired (NULL: none expected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mail/pd-mail.h"

static PdMail *
parse_len(const char *text, gsize len)
{
	g_autoptr(GBytes) raw = g_bytes_new(text, len);
	g_autoptr(GError) error = NULL;
	PdMail *m = pd_mail_parse(raw, NULL, &error);

	assert_null(error);
	assert_non_null(m);
	return m;
}

static PdMail *
parse(const char *text)
{
	return parse_len(text, strlen(text));
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

static void
print_warnings(const PdMail *m)
{
	for (guint i = 0; i < m->warnings->len; i++)
		print_message("  warning: %s\n", (const char *)m->warnings->pdata[i]);
}

typedef struct {
	const char *why;
	const char *header;	/* the Subject value as sent */
	const char *want;
	const char *warning;
} SubjectCase;

/* RFC 2047 runs GMime 3.2.13 gets wrong. */
static void
test_encoded_words(void **state)
{
	static const SubjectCase cases[] = {
		{ "a B word after a padded one of the same charset (GMime drops it)",
		  "=?UTF-8?B?SsO8cmdlbiA=?= =?UTF-8?B?TcO8bGxlcg==?=", "Jürgen Müller", NULL },
		{ "three padded words, folded",
		  "=?UTF-8?B?SsO8cmdlbiA=?=\n =?UTF-8?B?TcO8bGxlcg==?=\n =?UTF-8?B?IQ==?=",
		  "Jürgen Müller!", NULL },
		{ "a character split between two B words",
		  "=?UTF-8?B?R3LD?= =?UTF-8?B?vMOfZQ==?=", "Grüße", NULL },
		{ "a character split between a B and a Q word",
		  "=?UTF-8?B?R3LD?= =?UTF-8?Q?=BC=C3=9Fe?=", "Grüße", NULL },
		{ "a character split between two Q words",
		  "=?UTF-8?Q?Gr=C3?= =?UTF-8?Q?=BC=C3=9Fe?=", "Grüße", NULL },
		{ "words of different charsets",
		  "=?ISO-8859-1?Q?caf=E9?= =?UTF-8?B?IOKCrA==?= =?KOI8-R?B?8NLJ18XU?=",
		  "café €Привет", NULL },
		{ "white space between a word and text is kept",
		  "Re: =?UTF-8?B?SsO8cmdlbiA=?= =?UTF-8?B?TcO8bGxlcg==?= (fwd)", "Re: Jürgen Müller (fwd)",
		  NULL },
		{ "a word glued to text (loose, as GMime)",
		  "[SPAM]=?utf-8?B?SsO8cmdlbg==?=", "[SPAM]Jürgen", NULL },
		{ "an unpadded B word whose last group is cut",
		  "=?UTF-8?B?SsO8cmdlbiBN?=", "Jürgen M", NULL },
		{ "a B word of one character too many",
		  "=?UTF-8?B?SsO8cmdlbiBNw?=", "Jürgen M", "incomplete base64" },
		{ "an ISO-2022-JP word holding Shift_JIS bytes",
		  "=?ISO-2022-JP?B?g2WDWINn?=", "テスト", "labelled ISO-2022-JP read as CP932" },
		{ "a US-ASCII word holding windows-1252",
		  "=?us-ascii?Q?caf=E9_cr=E8me?=", "café crème", "labelled us-ascii read as WINDOWS-1252" },
		{ "raw 8-bit inside a Q word (old Outlook)", "=?iso-8859-1?Q?M\xfcller?=", "Müller",
		  NULL },
		{ "a fold and the blanks around it are one space", "Fwd: \n\tSaying \n Hello", "Fwd: Saying Hello",
		  NULL },
		{ "not a word: kept", "=?UTF-8?B?broken", "=?UTF-8?B?broken", NULL },
		{ "a NUL in a word is no NUL", "=?UTF-8?Q?a=00b?=", "a\xEF\xBF\xBD" "b", "NUL" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("From: a@example.org\nSubject: %s\n\nx\n",
							cases[i].header);
		g_autoptr(PdMail) m = parse(text);

		print_message("%s\n", cases[i].why);
		print_warnings(m);
		assert_string_equal(m->subject, cases[i].want);
		if (cases[i].warning != NULL)
			assert_true(has_warning(m, cases[i].warning));
	}
}

typedef struct {
	const char *why;
	const char *to;		/* the To value as sent */
	guint count;
	const char *name, *address;	/* of the first mailbox */
} AddressCase;

static void
test_encoded_names(void **state)
{
	static const AddressCase cases[] = {
		{ "a display name of two padded B words",
		  "=?UTF-8?B?SsO8cmdlbiA=?= =?UTF-8?B?TcO8bGxlcg==?= <jm@example.org>", 1,
		  "Jürgen Müller", "jm@example.org" },
		{ "a raw comma inside a Q-encoded display name",
		  "=?UTF-8?Q?M=C3=BCller,_J=C3=BCrgen?= <jm@example.org>, b@example.org", 2,
		  "Müller, Jürgen", "jm@example.org" },
		{ "a comma encoded in a B name", "=?UTF-8?B?TcO8bGxlciwgSsO8cmdlbg==?= <jm@example.org>",
		  1, "Müller, Jürgen", "jm@example.org" },
		{ "a word next to a quoted word of another charset (our rewrite must not make GMime join them)",
		  "=?ISO-8859-1?Q?a?= \"=?ISO-8859-2?Q?_b?=\" <test@example.org>", 1, "a b", "test@example.org" },
		{ "words after the address are its name", "<a@example.org> =?utf-8?q?Doe?=", 1, "Doe",
		  "a@example.org" },
		{ "a folded quoted name is one line", "\"John\r\n Doe\" <a@example.org>", 1, "John Doe",
		  "a@example.org" },
		{ "a list keeps an element with spaces in its local part (GMime drops it)",
		  "Ann <ann@example.org>, John Smith <john smith@example.org>, bob@example.org", 3, "Ann",
		  "ann@example.org" },
		{ "a quoted name of words", "\"=?UTF-8?B?SsO8cmdlbiA=?= =?UTF-8?B?TcO8bGxlcg==?=\" <jm@example.org>",
		  1, "Jürgen Müller", "jm@example.org" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("From: a@example.org\nTo: %s\n\nx\n", cases[i].to);
		g_autoptr(PdMail) m = parse(text);
		const PdMailAddress *first;

		print_message("%s\n", cases[i].why);
		assert_int_equal(m->to->len, cases[i].count);
		first = m->to->pdata[0];
		assert_string_equal(first->name, cases[i].name);
		assert_string_equal(first->address, cases[i].address);
	}
}

typedef struct {
	const char *why;
	const char *headers;	/* the part's header fields */
	const char *want;
} FilenameCase;

static void
test_encoded_filenames(void **state)
{
	static const FilenameCase cases[] = {
		{ "RFC 2047 words in a quoted filename: the extension survives",
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment; filename=\"=?UTF-8?B?QmVyaWNodCBRMw==?= =?UTF-8?B?LnBkZg==?=\"\n",
		  "Bericht Q3.pdf" },
		{ "RFC 2047 words in the Content-Type name",
		  "Content-Type: application/vnd.ms-excel;\n name=\"=?UTF-8?B?w5xiZXJzaWNodCAyMDI1IA==?=\n =?UTF-8?B?ZmluYWwueGxzeA==?=\"\n",
		  "Übersicht 2025 final.xlsx" },
		{ "RFC 2231 continuations holding encoded words (Outlook)",
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment;\n filename*0=\"=?UTF-8?B?QmVyaWNodCBRMw==?=\";\n"
		  " filename*1=\"=?UTF-8?B?LnBkZg==?=\"\n",
		  "Bericht Q3.pdf" },
		{ "RFC 2231 with a charset",
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment; filename*=UTF-8''%C3%9Cbersicht.pdf\n", "Übersicht.pdf" },
		{ "RFC 2231 continuations, encoded then plain (RFC 2231 section 4.1's example)",
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment; filename*0*=UTF-8''%C3%9Cbersicht;\n"
		  " filename*1=\" 2025.pdf\"\n", "Übersicht 2025.pdf" },
		{ "RFC 2231 continuations out of order",
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment; filename*1*=sicht.pdf;\n"
		  " filename*0*=UTF-8''%C3%9Cber\n", "Übersicht.pdf" },
		{ "RFC 2231 labelled UTF-8 holding Latin-1 bytes: read as the text part's charset",
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment; filename*=UTF-8''%DCbersicht.pdf\n",
		  "Übersicht.pdf" },
		{ "RFC 2231 labelled ISO-2022-JP holding Shift_JIS bytes: read as CP932",
		  "Content-Type: application/pdf\n"
		  "Content-Disposition: attachment; filename*=ISO-2022-JP''%93%FA%96%7B.pdf\n",
		  "日本.pdf" },
		{ "undeclared 8-bit in a filename, the text part says ISO-8859-1",
		  "Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"\xdc" "bersicht.pdf\"\n",
		  "Übersicht.pdf" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf(
			"From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n"
			"--b\nContent-Type: text/plain; charset=iso-8859-1\n\nHall\xf6\n"
			"--b\n%s\nJVBERi0x\n--b--\n", cases[i].headers);
		g_autoptr(PdMail) m = parse(text);
		const PdMailAttachment *a;

		print_message("%s\n", cases[i].why);
		print_warnings(m);
		assert_int_equal(m->attachments->len, 1);
		a = m->attachments->pdata[0];
		assert_string_equal(a->filename, cases[i].want);
	}
}

typedef struct {
	const char *why;
	const char *mail;
	const char *name, *address;	/* mail->from */
	const char *warning;
	gboolean doubt;			/* never authenticated */
} FromCase;

static void
test_from_repairs(void **state)
{
	static const FromCase cases[] = {
		{ "a comment as the name of an address without a domain",
		  "From: (J\xc3\xbcrgen M\xc3\xbcller) jmueller\nSubject: a\n\nx\n", "Jürgen Müller", "jmueller",
		  "comment next to jmueller", TRUE },
		{ "a comment after an address with a domain (GMime takes it already)",
		  "From: jm@example.org (=?UTF-8?Q?J=C3=BCrgen?=)\nSubject: a\n\nx\n", "Jürgen", "jm@example.org",
		  NULL, FALSE },
		{ "a raw comma inside an encoded display name: one address",
		  "From: =?UTF-8?Q?M=C3=BCller,_J=C3=BCrgen?= <jm@example.org>\nSubject: a\n\nx\n",
		  "Müller, Jürgen", "jm@example.org", NULL, TRUE },
		{ "spaces in an unquoted local part: address and name kept",
		  "From: John Smith <john smith@example.org>\nSubject: a\n\nx\n", "John Smith",
		  "\"john smith\"@example.org", "kept as \"john smith\"@example.org", TRUE },
		{ "spaces in a bare address",
		  "From: john smith@example.org\nSubject: a\n\nx\n", NULL, "\"john smith\"@example.org",
		  "could not read", TRUE },
		{ "a junk first line before the headers",
		  "Junk line here\nFrom: Ann <ann@example.org>\nSubject: a\n\nx\n", "Ann", "ann@example.org",
		  "before the header block", TRUE },
		{ "a byte order mark before the headers",
		  "\xEF\xBB\xBF" "From: Ann <ann@example.org>\nSubject: a\n\nx\n", "Ann", "ann@example.org",
		  "before the header block", TRUE },
		{ "a plain From (no repair, no doubt)",
		  "From: Ann <ann@example.org>\nSubject: a\n\nx\n", "Ann", "ann@example.org", NULL, FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(PdMail) m = parse(cases[i].mail);

		print_message("%s\n", cases[i].why);
		print_warnings(m);
		assert_string_equal(m->subject, "a");
		assert_string_equal(m->from.address, cases[i].address);
		if (cases[i].name != NULL)
			assert_string_equal(m->from.name, cases[i].name);
		else
			assert_null(m->from.name);
		if (cases[i].warning != NULL)
			assert_true(has_warning(m, cases[i].warning));
		assert_int_equal(m->author_doubt != NULL, cases[i].doubt);
	}
}

typedef struct {
	const char *why;
	const char *mail;
	const char *subject;
	const char *warning;
} UndeclaredCase;

/* KOI8-R: "Проблема с принтером в офисе, срочно нужна помощь" */
#define KOI8_SENTENCE "\xf0\xd2\xcf\xc2\xcc\xc5\xcd\xc1 \xd3 \xd0\xd2\xc9\xce\xd4\xc5\xd2\xcf\xcd " \
	"\xd7 \xcf\xc6\xc9\xd3\xc5, \xd3\xd2\xcf\xde\xce\xcf \xce\xd5\xd6\xce\xc1 \xd0\xcf\xcd\xcf\xdd\xd8"
#define KOI8_PRIVET "\xf0\xd2\xc9\xd7\xc5\xd4"

static void
test_undeclared_8bit(void **state)
{
	static const UndeclaredCase cases[] = {
		{ "valid UTF-8 (RFC 6532)", "From: a@example.org\nSubject: Grüße\n\nx\n", "Grüße", NULL },
		{ "the charset the text part declares",
		  "From: a@example.org\nSubject: " KOI8_PRIVET "\n"
		  "Content-Type: text/plain; charset=koi8-r\n\n" KOI8_PRIVET "\n",
		  "Привет", "read as koi8-r, the charset of the text parts" },
		{ "no charset anywhere: the detector, on enough text",
		  "From: a@example.org\nSubject: " KOI8_SENTENCE "\n\n" KOI8_SENTENCE "\n",
		  "Проблема с принтером в офисе, срочно нужна помощь", "read as KOI8-R, detected" },
		{ "too little text to detect: windows-1252",
		  "From: a@example.org\nSubject: Caf\xe9\n\nx\n", "Café", "read as windows-1252" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(PdMail) m = parse(cases[i].mail);

		print_message("%s\n", cases[i].why);
		print_warnings(m);
		assert_string_equal(m->subject, cases[i].subject);
		if (cases[i].warning != NULL)
			assert_true(has_warning(m, cases[i].warning));
	}
}

typedef struct {
	const char *why;
	const char *encoding;	/* Content-Transfer-Encoding */
	const char *body;	/* the part's content as sent */
	const char *want;	/* decoded */
	const char *warning;
} BodyCase;

static void
test_damaged_encodings(void **state)
{
	static const BodyCase cases[] = {
		{ "base64 whose last group has three characters", "base64", "SGVsbG8sIHdvcmxk\nIQ\n",
		  "Hello, world!", "truncated base64" },
		{ "base64 cut after two characters of a group", "base64", "SGVsbG8",
		  "Hello", "truncated base64" },
		{ "whole base64 (no warning)", "base64", "SGVsbG8=\n", "Hello", NULL },
		{ "x-uuencode without a begin line", "x-uuencode", "%2&5L;&\\`\n`\nend\n", "Hello",
		  "without a begin line" },
		{ "x-uuencode with its begin line", "x-uuencode",
		  "begin 644 hello.txt\n%2&5L;&\\`\n`\nend\n", "Hello", NULL },
		{ "x-uuencode whose line is cut", "x-uuencode", "begin 644 h\n%2&5L\n`\nend\n", "Hel",
		  "shorter than its length" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf(
			"From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n"
			"--b\nContent-Type: text/plain\n\nsee attached\n"
			"--b\nContent-Type: application/octet-stream; name=f.bin\n"
			"Content-Transfer-Encoding: %s\n\n%s\n--b--\n", cases[i].encoding, cases[i].body);
		g_autoptr(PdMail) m = parse(text);
		const PdMailAttachment *a;
		g_autoptr(GBytes) again = NULL;

		print_message("%s\n", cases[i].why);
		print_warnings(m);
		assert_int_equal(m->attachments->len, 1);
		a = m->attachments->pdata[0];
		assert_int_equal(a->size, strlen(cases[i].want));
		assert_memory_equal(g_bytes_get_data(a->content, NULL), cases[i].want, a->size);
		if (cases[i].warning != NULL)
			assert_true(has_warning(m, cases[i].warning));
		else
			assert_false(has_warning(m, cases[i].encoding));
		/* the span of the raw message decodes to the same bytes */
		assert_non_null(a->raw_encoding);
		again = pd_mail_decode(text + a->raw_offset, a->raw_length, a->raw_encoding);
		assert_true(g_bytes_equal(again, a->content));
	}
}

/* A junk first line is skipped, and the attachments' spans still point
 * into the bytes as received; a message/rfc822 part is its bytes. */
static void
test_junk_prefix_spans(void **state)
{
	static const char mail[] =
		"Junk line here\r\nFrom: Ann <ann@example.org>\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
		"--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n"
		"--b\r\nContent-Type: message/rfc822\r\n\r\n"
		"DKIM-Signature: v=1; d=example.org\r\nSubject: inner\r\n\r\nhi\r\n"
		"--b--\r\n";
	static const char *const contents[] = {
		"%PDF-1", "DKIM-Signature: v=1; d=example.org\r\nSubject: inner\r\n\r\nhi",
	};
	g_autoptr(PdMail) m = parse(mail);

	assert_string_equal(m->from.address, "ann@example.org");
	assert_string_equal(m->text_body, "hello");
	assert_int_equal(m->attachments->len, 2);
	for (guint i = 0; i < 2; i++) {
		const PdMailAttachment *a = m->attachments->pdata[i];
		g_autoptr(GBytes) again = NULL;

		assert_non_null(a->raw_encoding);
		again = pd_mail_decode(mail + a->raw_offset, a->raw_length, a->raw_encoding);
		assert_int_equal(g_bytes_get_size(again), strlen(contents[i]));
		assert_memory_equal(g_bytes_get_data(again, NULL), contents[i], strlen(contents[i]));
		assert_true(g_bytes_equal(again, a->content));
	}
	assert_string_equal(((const PdMailAttachment *)m->attachments->pdata[1])->filename, "inner.eml");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_encoded_names),
		cmocka_unit_test(test_encoded_filenames),
		cmocka_unit_test(test_undeclared_8bit),
		cmocka_unit_test(test_from_repairs),
		cmocka_unit_test(test_damaged_encodings),
		cmocka_unit_test(test_junk_prefix_spans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
