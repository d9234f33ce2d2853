/* pd-mail-charset: which charset header bytes are read in when nothing
 * (or something wrong) says so.
 *
 * Undeclared 8-bit header bytes (RFC 5322 allows none; RFC 6532 allows
 * UTF-8) are read, in order, as:
 *   1. UTF-8, when they are valid UTF-8 (no warning: RFC 6532);
 *   2. the charset the message's text parts declare (the first one that is
 *      neither ASCII nor UTF-8: the sender's client wrote both);
 *   3. what libuchardet detects in all the undeclared 8-bit bytes of the
 *      message together (header values and text parts without a charset:
 *      more text, a better guess), when there are at least
 *      PD_MAIL_DETECT_MIN of them (it reads eight KOI8-R letters as Greek)
 *      and it names a charset in which ASCII stays ASCII;
 *   4. windows-1252, then ISO-8859-1 (which cannot fail).
 * A charset is taken only when the bytes convert without an error; a
 * warning names the one taken and why.
 *
 * An encoded word whose bytes do not convert in its label's charset is
 * retried in the charset that label is commonly mistaken for (an
 * ISO-2022-JP word holding Shift_JIS bytes: CP932, as Japanese mobile
 * mailers write), then as UTF-8, then as undeclared bytes.
 *
 * Owns: nothing past the parse (the choices live in the PdMailCtx).
 */
#include <string.h>
#include <uchardet.h>

#include "mail/pd-mail-private.h"

/* Labels and the superset their writers really used. */
static const struct {
	const char *label, *actual;
} mistaken_labels[] = {
	{ "iso-2022-jp", "CP932" },
	{ "shift_jis", "CP932" },
	{ "shift-jis", "CP932" },
	{ "sjis", "CP932" },
	{ "x-sjis", "CP932" },
	{ "euc-jp", "CP932" },
	{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },
	{ "euc-cn", "GB18030" },
	{ "euc-kr", "CP949" },
	{ "ks_c_5601-1987", "CP949" },
	{ "big5", "BIG5-HKSCS" },
	{ "iso-8859-1", "WINDOWS-1252" },
	{ "us-ascii", "WINDOWS-1252" },
	{ "iso-8859-2", "WINDOWS-1250" },
	{ "iso-8859-5", "WINDOWS-1251" },
	{ "koi8-r", "KOI8-U" },
	{ "iso-8859-9", "WINDOWS-1254" },
	{ "tis-620", "CP874" },
};

/* Bytes in charset to UTF-8 without a single error or NUL, or NULL. */
char *
pd_mail_convert_strict(const char *data, gsize len, const char *charset)
{
	const char *name = g_mime_charset_iconv_name(charset);
	gsize written = 0;
	char *out;

	out = g_convert(data, len, "UTF-8", name != NULL ? name : charset, NULL, &written, NULL);
	if (out != NULL && (memchr(out, '\0', written) != NULL || !g_utf8_validate(out, written, NULL))) {
		g_free(out);
		return NULL;
	}
	return out;
}

static gboolean
is_unicode_label(const char *charset)
{
	return g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0 ||
	       g_ascii_strcasecmp(charset, "us-ascii") == 0 || g_ascii_strcasecmp(charset, "ascii") == 0;
}

/* A charset in which every printable ASCII byte is that character. */
static gboolean
keeps_ascii(const char *charset)
{
	char ascii[0x7f - 0x20 + 1];
	g_autofree char *out = NULL;

	for (int c = 0x20; c < 0x7f; c++)
		ascii[c - 0x20] = (char)c;
	ascii[sizeof ascii - 1] = '\n';
	out = pd_mail_convert_strict(ascii, sizeof ascii, charset);
	return out != NULL && strlen(out) == sizeof ascii && memcmp(out, ascii, sizeof ascii) == 0;
}

/* The start of an undeclared text part sent as it is, for the detector. */
static void
sample_text_part(PdMailCtx *ctx, GMimePart *part)
{
	GMimeDataWrapper *wrapper = g_mime_part_get_content(part);
	GMimeStream *stream = wrapper != NULL ? g_mime_data_wrapper_get_stream(wrapper) : NULL;
	GMimeContentEncoding encoding = wrapper != NULL ? g_mime_data_wrapper_get_encoding(wrapper)
							 : GMIME_CONTENT_ENCODING_DEFAULT;
	char buf[PD_MAIL_DETECT_BYTES / 4];
	gssize n;

	if (stream == NULL || encoding == GMIME_CONTENT_ENCODING_BASE64 ||
	    encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    encoding == GMIME_CONTENT_ENCODING_UUENCODE)
		return;
	g_mime_stream_reset(stream);
	n = g_mime_stream_read(stream, buf, sizeof buf);
	g_mime_stream_reset(stream);
	if (n > 0 && memchr(buf, '\0', n) == NULL)
		pd_mail_charset_sample(ctx, buf, (gsize)n);
}

static void
text_charset_visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	PdMailCtx *ctx = data;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	const char *charset;

	if (ct == NULL || !g_mime_content_type_is_type(ct, "text", "*"))
		return;
	charset = g_mime_content_type_get_parameter(ct, "charset");
	if (charset == NULL || *charset == '\0') {
		if (GMIME_IS_PART(part))
			sample_text_part(ctx, GMIME_PART(part));
		return;
	}
	if (ctx->text_charset != NULL || is_unicode_label(charset) || strlen(charset) > 40 ||
	    !keeps_ascii(charset))
		return;
	ctx->text_charset = g_strdup(charset);
}

void
pd_mail_charset_setup(PdMailCtx *ctx, GMimeMessage *message)
{
	GMimeObject *body = g_mime_message_get_mime_part(message);

	if (body == NULL)
		return;
	text_charset_visit(NULL, body, ctx);
	if (GMIME_IS_MULTIPART(body))
		g_mime_multipart_foreach(GMIME_MULTIPART(body), text_charset_visit, ctx);
}

void
pd_mail_charset_sample(PdMailCtx *ctx, const char *data, gsize len)
{
	if (g_utf8_validate_len(data, len, NULL))
		return;
	if (ctx->eight_bit == NULL)
		ctx->eight_bit = g_string_new(NULL);
	if (ctx->eight_bit->len + len + 1 > PD_MAIL_DETECT_BYTES)
		return;
	g_string_append_len(ctx->eight_bit, data, len);
	g_string_append_c(ctx->eight_bit, '\n');
}

static gsize
count_8bit(const GString *text)
{
	gsize n = 0;

	for (gsize i = 0; i < text->len; i++)
		n += (guchar)text->str[i] >= 0x80;
	return n;
}

/* libuchardet's reading of every undeclared 8-bit header byte, once. */
static const char *
detected_charset(PdMailCtx *ctx)
{
	uchardet_t detector;
	const char *name;

	if (ctx->detect_done)
		return ctx->detected;
	ctx->detect_done = TRUE;
	if (ctx->eight_bit == NULL || count_8bit(ctx->eight_bit) < PD_MAIL_DETECT_MIN)
		return NULL;	/* a few bytes say nothing: "тест" is Greek to it */
	detector = uchardet_new();
	if (uchardet_handle_data(detector, ctx->eight_bit->str, ctx->eight_bit->len) == 0) {
		uchardet_data_end(detector);
		name = uchardet_get_charset(detector);
		if (name != NULL && *name != '\0' && !is_unicode_label(name) && keeps_ascii(name))
			ctx->detected = g_strdup(name);
	}
	uchardet_delete(detector);
	return ctx->detected;
}

char *
pd_mail_undeclared_to_utf8(PdMailCtx *ctx, const char *what, const char *data, gsize len)
{
	const char *charset;
	char *out;

	if (memchr(data, '\0', len) != NULL || g_utf8_validate_len(data, len, NULL))
		return pd_mail_clean_utf8(ctx, what, data, len);
	if (ctx->text_charset != NULL &&
	    (out = pd_mail_convert_strict(data, len, ctx->text_charset)) != NULL) {
		pd_mail_warn(ctx, "%s: undeclared 8-bit read as %s, the charset of the text parts",
			     what, ctx->text_charset);
		return out;
	}
	if ((charset = detected_charset(ctx)) != NULL &&
	    (out = pd_mail_convert_strict(data, len, charset)) != NULL) {
		pd_mail_warn(ctx, "%s: undeclared 8-bit read as %s, detected", what, charset);
		return out;
	}
	if ((out = pd_mail_convert_strict(data, len, "WINDOWS-1252")) != NULL) {
		pd_mail_warn(ctx, "%s: undeclared 8-bit read as windows-1252", what);
		return out;
	}
	pd_mail_warn(ctx, "%s: undeclared 8-bit read as ISO-8859-1", what);
	return g_convert(data, len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
}

char *
pd_mail_word_to_utf8(PdMailCtx *ctx, const char *what, const char *label, const char *data,
		     gsize len)
{
	char *out;

	if (is_unicode_label(label) && g_utf8_validate_len(data, len, NULL))
		return pd_mail_clean_utf8(ctx, what, data, len);
	if (!is_unicode_label(label) && (out = pd_mail_convert_strict(data, len, label)) != NULL)
		return out;
	for (gsize i = 0; i < G_N_ELEMENTS(mistaken_labels); i++) {
		if (g_ascii_strcasecmp(label, mistaken_labels[i].label) == 0 &&
		    (out = pd_mail_convert_strict(data, len, mistaken_labels[i].actual)) != NULL) {
			pd_mail_warn(ctx, "%s: encoded word labelled %s read as %s", what, label,
				     mistaken_labels[i].actual);
			return out;
		}
	}
	if (memchr(data, '\0', len) == NULL && g_utf8_validate_len(data, len, NULL)) {
		pd_mail_warn(ctx, "%s: encoded word labelled %s read as UTF-8", what, label);
		return g_strndup(data, len);
	}
	pd_mail_warn(ctx, "%s: encoded word that is not %s", what, label);
	return pd_mail_undeclared_to_utf8(ctx, what, data, len);
}
