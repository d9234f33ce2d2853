/* pd-mail-text: any bytes to clean UTF-8, with a warning for each repair.
 *
 * Charset order for text: the declared charset, then UTF-8, then
 * windows-1252, then ISO-8859-1 (which cannot fail); text that declares no
 * charset follows pd-mail-charset.c's rule instead; invalid UTF-8 becomes
 * U+FFFD and so does NUL, so every string handed on is valid UTF-8 that
 * PostgreSQL text can hold.
 */
#include <string.h>

#include "mail/pd-mail-private.h"

char *
pd_mail_clean_utf8(PdMailCtx *ctx, const char *what, const char *text, gssize len)
{
	gsize n = len < 0 ? strlen(text) : (gsize)len;
	const char *end;
	GString *out;
	gboolean had_nul = FALSE;

	if (g_utf8_validate_len(text, n, &end))
		return g_strndup(text, n);	/* fast path: clean already */
	out = g_string_sized_new(n + 8);
	while (n > 0) {
		gsize good;

		if (!g_utf8_validate_len(text, n, &end)) {
			good = end - text;
		} else {
			good = n;
		}
		g_string_append_len(out, text, good);
		text += good;
		n -= good;
		if (n == 0)
			break;
		if (*text == '\0')
			had_nul = TRUE;
		else
			pd_mail_warn(ctx, "%s: invalid UTF-8 repaired", what);
		g_string_append(out, "\xEF\xBF\xBD");	/* U+FFFD */
		/* skip one invalid byte (or the NUL), plus continuation bytes */
		text++;
		n--;
		while (n > 0 && ((guchar)*text & 0xC0) == 0x80 && !had_nul) {
			text++;
			n--;
		}
	}
	if (had_nul)
		pd_mail_warn(ctx, "%s: NUL bytes replaced", what);
	return g_string_free(out, FALSE);
}

static char *
convert_strict(const char *data, gsize len, const char *charset)
{
	gsize written = 0;
	char *out;

	out = g_convert(data, len, "UTF-8", charset, NULL, &written, NULL);
	if (out != NULL && memchr(out, '\0', written) != NULL) {
		g_free(out);
		return NULL;	/* NULs: let the repair path say so */
	}
	return out;
}

static gboolean
is_utf8_name(const char *charset)
{
	return g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0;
}

static gboolean
is_ascii_name(const char *charset)
{
	return g_ascii_strcasecmp(charset, "us-ascii") == 0 || g_ascii_strcasecmp(charset, "ascii") == 0;
}

char *
pd_mail_to_utf8(PdMailCtx *ctx, const char *what, const char *charset,
		const char *data, gsize len)
{
	const char *iconv_name;
	char *out;

	if (g_utf8_validate_len(data, len, NULL) &&
	    (charset == NULL || is_utf8_name(charset) || is_ascii_name(charset)))
		return g_strndup(data, len);	/* the common case: nothing to do */
	if (charset != NULL && is_utf8_name(charset))
		return pd_mail_clean_utf8(ctx, what, data, len);
	if (charset != NULL && !is_ascii_name(charset)) {
		iconv_name = g_mime_charset_iconv_name(charset);
		if (iconv_name != NULL && (out = convert_strict(data, len, iconv_name)) != NULL)
			return out;
		pd_mail_warn(ctx, "%s: cannot decode as declared charset %s", what, charset);
	} else if (charset == NULL && memchr(data, '\0', len) == NULL) {
		/* undeclared 8-bit: the rule of pd-mail-charset.c */
		return pd_mail_undeclared_to_utf8(ctx, what, data, len);
	}
	if (memchr(data, '\0', len) != NULL || g_utf8_validate_len(data, len, NULL))
		return pd_mail_clean_utf8(ctx, what, data, len);
	if ((out = convert_strict(data, len, "WINDOWS-1252")) != NULL) {
		pd_mail_warn(ctx, "%s: decoded as windows-1252", what);
		return out;
	}
	if ((out = convert_strict(data, len, "ISO-8859-1")) != NULL) {
		pd_mail_warn(ctx, "%s: decoded as ISO-8859-1", what);
		return out;
	}
	return pd_mail_clean_utf8(ctx, what, data, len);
}

char *
pd_mail_unfold(const char *text)
{
	GString *out = g_string_sized_new(strlen(text));

	for (const char *p = text; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			/* a fold and the blanks around it: one space */
			while (out->len > 0 && out->str[out->len - 1] == ' ')
				g_string_truncate(out, out->len - 1);
			while (p[1] == '\r' || p[1] == '\n' || p[1] == ' ' || p[1] == '\t')
				p++;
			g_string_append_c(out, ' ');
			continue;
		}
		g_string_append_c(out, *p == '\t' ? ' ' : *p);
	}
	g_strstrip(out->str);
	out->len = strlen(out->str);
	return g_string_free(out, FALSE);
}

/* Cut text (already UTF-8) to at most max bytes on a character boundary. */
void
pd_mail_utf8_truncate(char *text, gsize max)
{
	gsize len = strlen(text);

	if (len <= max)
		return;
	while (max > 0 && ((guchar)text[max] & 0xC0) == 0x80)
		max--;
	text[max] = '\0';
}

char *
pd_mail_cut_header(PdMailCtx *ctx, const char *name, const char *value)
{
	char *copy;

	if (value == NULL)
		return NULL;
	copy = pd_mail_clean_utf8(ctx, name, value, -1);
	if (strlen(copy) > ctx->limits.max_header_bytes) {
		pd_mail_warn(ctx, "%s: header longer than %" G_GSIZE_FORMAT " bytes cut", name,
			     ctx->limits.max_header_bytes);
		pd_mail_utf8_truncate(copy, ctx->limits.max_header_bytes);
	}
	return copy;
}

/* ---- the guarantee ---- */

static void
check_one(PdMailCtx *ctx, const char *what, char **field)
{
	char *valid;

	if (*field == NULL || g_utf8_validate(*field, -1, NULL))
		return;
	valid = g_utf8_make_valid(*field, -1);
	g_free(*field);
	*field = valid;
	pd_mail_warn(ctx, "%s: invalid UTF-8 repaired", what);
}

static void
check_addresses(PdMailCtx *ctx, const char *what, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		PdMailAddress *a = list->pdata[i];

		check_one(ctx, what, &a->address);
		check_one(ctx, what, &a->name);
	}
}

static void
check_strings(PdMailCtx *ctx, const char *what, GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++)
		check_one(ctx, what, (char **)&list->pdata[i]);
}

void
pd_mail_check_utf8(PdMailCtx *ctx)
{
	PdMail *mail = ctx->mail;

	check_one(ctx, "From", &mail->from.address);
	check_one(ctx, "From", &mail->from.name);
	check_one(ctx, "Sender", &mail->sender);
	check_addresses(ctx, "To", mail->to);
	check_addresses(ctx, "Cc", mail->cc);
	check_one(ctx, "Reply-To", &mail->reply_to.address);
	check_one(ctx, "Reply-To", &mail->reply_to.name);
	check_one(ctx, "Subject", &mail->subject);
	check_one(ctx, "Message-ID", &mail->message_id);
	check_one(ctx, "In-Reply-To", &mail->in_reply_to);
	check_strings(ctx, "References", mail->references);
	check_one(ctx, "text body", &mail->text_body);
	check_one(ctx, "HTML body", &mail->html_body);
	for (guint i = 0; i < mail->attachments->len; i++) {
		PdMailAttachment *a = mail->attachments->pdata[i];

		check_one(ctx, "filename", &a->filename);
		check_one(ctx, "Content-Type", &a->content_type);
		check_one(ctx, "Content-ID", &a->content_id);
	}
	check_strings(ctx, "header", mail->headers);
	check_strings(ctx, "warning", mail->warnings);
}
