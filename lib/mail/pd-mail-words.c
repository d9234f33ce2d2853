/* pd-mail-words: RFC 2047 encoded words, decoded by postdesk before GMime
 * reads a header value.
 *
 * GMime 3.2.13 joins a run of adjacent encoded words of one charset and
 * encoding and decodes their payloads as one base64 stream, which ends at
 * the first '=': every word after a padded one is lost
 * ("=?UTF-8?B?SsO8cmdlbiA=?= =?UTF-8?B?TcO8bGxlcg==?=" is "Jürgen").
 * It converts each such run on its own, so a character split between a B
 * and a Q word of one charset becomes two U+FFFD; it reads a Q word's
 * raw comma as a list separator; and it converts a word with its label's
 * charset only.
 *
 * pd_mail_fix_words() rewrites a raw header value so that GMime has
 * nothing left to get wrong: each run of encoded words separated only by
 * white space (RFC 2047 6.2: that white space is dropped) is decoded here
 * and replaced by one =?UTF-8?Q?...?= word of the same text (Q with every
 * byte but letters and digits =XX: see append_q_word).  In a run,
 * each word's payload is decoded on its own (a B word's padding ends its
 * group, an unpadded group carries into the next B word of the charset),
 * the bytes of consecutive words of one charset are joined (B and Q
 * alike) and converted together (pd-mail-charset.c: a label its bytes do
 * not fit is retried).  Text outside the words with undeclared 8-bit bytes
 * becomes UTF-8 the same way (pd_mail_undeclared_to_utf8).  The structure around
 * the words (quotes, angle brackets, commas, parameters) is left as it is,
 * so GMime still parses the value; the one word it decodes holds no
 * specials (a comma in a name stays in the name).
 *
 * Applied to the fields whose text postdesk keeps: Subject, the address
 * fields and the Content-Type / Content-Disposition of parts (file names).
 */
#include <string.h>

#include "mail/pd-mail-private.h"

#define WORD_CHARSET_MAX 40

typedef struct {
	const char *start, *end;	/* "=?" up to after "?=" */
	char charset[WORD_CHARSET_MAX + 1];
	char encoding;			/* 'B' or 'Q' */
	const char *text;		/* the payload */
	gsize text_len;
} Word;

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean
charset_char(char c)
{
	return g_ascii_isalnum(c) || strchr("-_.:+()", c) != NULL;
}

/* The encoded word at p, if p starts one.  *resume_r: where the next word
 * may start (no word starts inside a payload that found no end: a
 * value of "=?a?B?x" repeated costs linear time, not quadratic). */
static gboolean
word_parse(const char *p, const char *end, Word *w, const char **resume_r)
{
	const char *q = p + 2, *cs, *lang = NULL;

	*resume_r = p + 1;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return FALSE;
	for (cs = q; q < end && *q != '?'; q++) {
		if (*q == '*' && lang == NULL)
			lang = q;
		else if (lang == NULL && !charset_char(*q))
			return FALSE;
		else if (lang != NULL && !g_ascii_isalnum(*q) && *q != '-' && *q != '*')
			return FALSE;
	}
	if (lang == NULL)
		lang = q;
	if (lang == cs || lang - cs > WORD_CHARSET_MAX || end - q < 4 || q[2] != '?')
		return FALSE;
	w->encoding = g_ascii_toupper(q[1]);
	if (w->encoding != 'B' && w->encoding != 'Q')
		return FALSE;
	memcpy(w->charset, cs, lang - cs);
	w->charset[lang - cs] = '\0';
	w->text = q + 3;
	for (q = w->text; q + 1 < end; q++) {
		if (q[0] == '?' && q[1] == '=')
			break;
		/* no white space or control character inside a word (raw
		 * 8-bit in a Q word is the word's charset: old Outlook) */
		if ((guchar)*q <= ' ' || *q == 0x7f) {
			*resume_r = q;
			return FALSE;
		}
	}
	if (q + 1 >= end) {
		*resume_r = end;
		return FALSE;
	}
	w->text_len = q - w->text;
	w->start = p;
	w->end = q + 2;
	return TRUE;
}

static int
hex_value(char c)
{
	if (g_ascii_isdigit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
q_decode(const char *p, gsize len, GByteArray *out)
{
	for (gsize i = 0; i < len; i++) {
		guint8 byte = (guint8)p[i];
		int hi, lo;

		if (p[i] == '_') {
			byte = ' ';
		} else if (p[i] == '=' && i + 2 < len && (hi = hex_value(p[i + 1])) >= 0 &&
			   (lo = hex_value(p[i + 2])) >= 0) {
			byte = (guint8)(hi << 4 | lo);
			i += 2;
		}
		g_byte_array_append(out, &byte, 1);
	}
}

/* A run being decoded: the bytes of the words of one charset so far. */
typedef struct {
	PdMailCtx *ctx;
	const char *what;
	char charset[WORD_CHARSET_MAX + 1];
	GByteArray *bytes;
	PdMailBase64 b64;
	gboolean b64_open;	/* b64 holds an unpadded group */
	GString *text;		/* the run's UTF-8 text */
} Run;

static void
run_flush(Run *run)
{
	g_autofree char *utf8 = NULL;

	if (run->b64_open && pd_mail_base64_finish(&run->b64, run->bytes))
		pd_mail_warn(run->ctx, "%s: encoded word with incomplete base64, decoded as far as it goes",
			     run->what);
	run->b64_open = FALSE;
	if (run->charset[0] == '\0')
		return;
	utf8 = pd_mail_word_to_utf8(run->ctx, run->what, run->charset, (const char *)run->bytes->data,
				    run->bytes->len);
	g_string_append(run->text, utf8);
	g_byte_array_set_size(run->bytes, 0);
	run->charset[0] = '\0';
}

static void
run_add(Run *run, const Word *w)
{
	if (run->charset[0] != '\0' && g_ascii_strcasecmp(run->charset, w->charset) != 0)
		run_flush(run);
	g_strlcpy(run->charset, w->charset, sizeof run->charset);
	if (w->encoding == 'B') {
		if (!run->b64_open)
			pd_mail_base64_init(&run->b64);
		pd_mail_base64_feed(&run->b64, w->text, w->text_len, FALSE, run->bytes);
		run->b64_open = run->b64.n != 0 || run->b64.incomplete;
		return;
	}
	if (run->b64_open && pd_mail_base64_finish(&run->b64, run->bytes))
		pd_mail_warn(run->ctx, "%s: encoded word with incomplete base64, decoded as far as it goes",
			     run->what);
	run->b64_open = FALSE;
	q_decode(w->text, w->text_len, run->bytes);
}

/* Literal text [p, end): as it is, or its undeclared 8-bit read. */
static void
append_literal(PdMailCtx *ctx, const char *what, GString *out, const char *p, const char *end)
{
	g_autofree char *text = NULL;

	if (g_utf8_validate_len(p, end - p, NULL)) {
		g_string_append_len(out, p, end - p);
		return;
	}
	text = pd_mail_undeclared_to_utf8(ctx, what, p, end - p);
	g_string_append(out, text);
}

/* text as one Q word: letters and digits as they are, every other byte
 * =XX.  Not B: GMime joins adjacent words of one charset and encoding
 * and would stop at this word's padding, and nothing but letters, digits
 * and '=' can be taken for structure in any header. */
static void
append_q_word(GString *out, const GString *text)
{
	if (text->len == 0)
		return;
	g_string_append(out, "=?UTF-8?Q?");
	for (gsize i = 0; i < text->len; i++) {
		guchar c = (guchar)text->str[i];

		if (g_ascii_isalnum(c))
			g_string_append_c(out, (char)c);
		else
			g_string_append_printf(out, "=%02X", c);
	}
	g_string_append(out, "?=");
}

char *
pd_mail_fix_words(PdMailCtx *ctx, const char *what, const char *raw)
{
	const char *p, *literal, *end;
	GString *out;
	Word w;
	Run run = { 0 };

	if (raw == NULL)
		return NULL;
	end = raw + strlen(raw);
	if (strstr(raw, "=?") == NULL && g_utf8_validate_len(raw, end - raw, NULL))
		return g_strdup(raw);	/* the common case: nothing to do */
	out = g_string_sized_new(end - raw + 16);
	run.ctx = ctx;
	run.what = what;
	run.bytes = g_byte_array_new();
	run.text = g_string_new(NULL);
	for (p = literal = raw; p < end;) {
		const char *after, *resume;

		if (!word_parse(p, end, &w, &resume)) {
			p = resume;
			continue;
		}
		append_literal(ctx, what, out, literal, p);
		g_string_truncate(run.text, 0);
		for (;;) {
			run_add(&run, &w);
			p = w.end;
			for (after = p; after < end && is_blank(*after); after++)
				;
			if (!word_parse(after, end, &w, &resume))
				break;
		}
		run_flush(&run);
		append_q_word(out, run.text);
		literal = p;
	}
	append_literal(ctx, what, out, literal, end);
	g_byte_array_unref(run.bytes);
	g_string_free(run.text, TRUE);
	return g_string_free(out, FALSE);
}

char *
pd_mail_decode_words(PdMailCtx *ctx, const char *what, const char *raw)
{
	g_autofree char *fixed = pd_mail_fix_words(ctx, what, raw);

	if (fixed == NULL)
		return NULL;
	return g_mime_utils_header_decode_text(ctx->options, fixed);
}

char *
pd_mail_header_decode(const char *raw)
{
	PdMail scratch = { 0 };
	PdMailCtx ctx = { 0 };
	g_autofree char *unfolded = NULL;
	char *decoded;

	g_return_val_if_fail(raw != NULL, NULL);
	unfolded = pd_mail_unfold(raw);
	scratch.warnings = g_ptr_array_new_with_free_func(g_free);
	ctx.mail = &scratch;
	ctx.warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	decoded = pd_mail_decode_words(&ctx, "header", g_strstrip(unfolded));
	if (decoded == NULL)
		decoded = g_strdup("");
	if (!g_utf8_validate(decoded, -1, NULL)) {
		char *valid = g_utf8_make_valid(decoded, -1);

		g_free(decoded);
		decoded = valid;
	}
	g_ptr_array_unref(scratch.warnings);
	g_hash_table_unref(ctx.warned);
	if (ctx.eight_bit != NULL)
		g_string_free(ctx.eight_bit, TRUE);
	g_free(ctx.detected);
	g_free(ctx.text_charset);
	return decoded;
}
