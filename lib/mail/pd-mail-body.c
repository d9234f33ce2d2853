/* pd-mail-body: the MIME tree of a parsed message to text, HTML and
 * attachments.
 *
 * The walk is iterative (an explicit stack), so no input chooses how deep
 * our C stack goes; parts deeper than limits.max_depth are skipped and the
 * walk stops after limits.max_parts parts, each with one warning.
 *
 * What becomes what: the first text/plain leaf that is not an attachment is
 * the text body, the first such text/html leaf the HTML body; every other
 * leaf (a second inline text part too, so nothing is lost) is an attachment,
 * and so is a message/rfc822 part (its whole message, named after its
 * subject).  Without a text/plain body the text body is the HTML converted.
 */
#include <string.h>

#include "mail/pd-mail-private.h"

typedef struct {
	GMimeObject *object;
	guint depth;
} WalkItem;

/* Every byte of a (sub)stream. */
static GByteArray *
stream_bytes(GMimeStream *stream)
{
	gint64 len = g_mime_stream_length(stream);
	GByteArray *out = g_byte_array_sized_new(len > 0 && len < G_MAXINT ? (guint)len : 0);
	char buf[8192];
	gssize n;

	g_mime_stream_reset(stream);
	while ((n = g_mime_stream_read(stream, buf, sizeof buf)) > 0)
		g_byte_array_append(out, (const guint8 *)buf, (guint)n);
	return out;
}

/* Base64 content whose alphabet characters do not come in fours was cut. */
static gboolean
base64_truncated(const guint8 *data, gsize len)
{
	static gboolean table[256];
	static gsize table_ready;
	gsize count = 0;

	if (g_once_init_enter(&table_ready)) {
		for (int c = 0; c < 256; c++)
			table[c] = g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=';
		g_once_init_leave(&table_ready, 1);
	}
	for (gsize i = 0; i < len; i++)
		count += table[data[i]];
	return count % 4 != 0;
}

/* Where a part's content sits in the raw bytes, still encoded. */
typedef struct {
	const char *encoding;	/* NULL: not there as such */
	gsize offset, length;
} RawSpan;

static const char *
encoding_name(GMimeContentEncoding encoding)
{
	switch (encoding) {
	case GMIME_CONTENT_ENCODING_BASE64:
		return "base64";
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		return "quoted-printable";
	case GMIME_CONTENT_ENCODING_UUENCODE:
		return "x-uuencode";
	default:
		return "binary";
	}
}

/* GMime's filters: base64 (decoded in one pass), QP, uuencode with its
 * begin line; any other encoding is the bytes as they are. */
static GBytes *
decode_content(const guint8 *data, gsize len, GMimeContentEncoding encoding)
{
	GByteArray *view, *bytes;
	GMimeStream *in, *out;
	GMimeDataWrapper *wrapper;

	if (encoding == GMIME_CONTENT_ENCODING_BASE64) {
		GByteArray *decoded = g_byte_array_sized_new(len / 4 * 3 + 4);
		int state = 0;
		guint32 save = 0;

		decoded->len = (guint)g_mime_encoding_base64_decode_step(data, len, decoded->data,
									 &state, &save);
		return g_byte_array_free_to_bytes(decoded);
	}
	if (encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
	    encoding != GMIME_CONTENT_ENCODING_UUENCODE)
		return g_bytes_new(data, len);
	/* read in place, as pd_mail_parse reads the message */
	view = g_byte_array_new();
	view->data = (guint8 *)data;
	view->len = (guint)len;
	in = g_mime_stream_mem_new_with_byte_array(view);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(in), FALSE);
	wrapper = g_mime_data_wrapper_new_with_stream(in, encoding);
	bytes = g_byte_array_new();
	out = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_data_wrapper_write_to_stream(wrapper, out);
	g_object_unref(out);
	g_object_unref(wrapper);
	g_object_unref(in);
	view->data = NULL;
	view->len = 0;
	g_byte_array_free(view, TRUE);
	return g_byte_array_free_to_bytes(bytes);
}

GBytes *
pd_mail_decode(const void *encoded, gsize len, const char *encoding)
{
	GMimeContentEncoding e = GMIME_CONTENT_ENCODING_BINARY;

	pd_mail_init();
	if (g_strcmp0(encoding, "base64") == 0)
		e = GMIME_CONTENT_ENCODING_BASE64;
	else if (g_strcmp0(encoding, "quoted-printable") == 0)
		e = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	else if (g_strcmp0(encoding, "x-uuencode") == 0)
		e = GMIME_CONTENT_ENCODING_UUENCODE;
	return decode_content(encoded != NULL ? encoded : (const guint8 *)"", len, e);
}

/* The part's encoded bytes are a span of the raw message when GMime read
 * them in place from the caller's bytes (the parser keeps a part's content
 * as a substream of the message's stream). */
static void
raw_span(PdMailCtx *ctx, GMimeStream *stream, const GByteArray *encoded,
	 GMimeContentEncoding encoding, RawSpan *span_r)
{
	const GByteArray *raw = ctx->raw_view;
	gint64 start = stream->bound_start, end = stream->bound_end;

	span_r->encoding = NULL;
	if (raw == NULL || !GMIME_IS_STREAM_MEM(stream) || GMIME_STREAM_MEM(stream)->buffer != raw)
		return;
	if (end < 0)
		end = raw->len;
	if (start < 0 || end < start || end > (gint64)raw->len ||
	    (guint64)(end - start) != encoded->len ||
	    /* an empty part's array has no data: memcmp(NULL) is undefined */
	    (encoded->len > 0 && memcmp(raw->data + start, encoded->data, encoded->len) != 0))
		return;
	span_r->encoding = encoding_name(encoding);
	span_r->offset = (gsize)start;
	span_r->length = encoded->len;
}

/* The decoded content of a leaf part, and where it sits in the raw bytes. */
static GBytes *
part_content(PdMailCtx *ctx, GMimePart *part, RawSpan *span_r)
{
	GMimeDataWrapper *wrapper = g_mime_part_get_content(part);
	GMimeStream *stream;
	GMimeContentEncoding encoding;
	GByteArray *encoded;
	GBytes *content;

	span_r->encoding = NULL;
	if (wrapper == NULL || (stream = g_mime_data_wrapper_get_stream(wrapper)) == NULL)
		return g_bytes_new(NULL, 0);
	encoding = g_mime_data_wrapper_get_encoding(wrapper);
	encoded = stream_bytes(stream);
	/* whether base64 content was cut */
	if (encoding == GMIME_CONTENT_ENCODING_BASE64 && base64_truncated(encoded->data, encoded->len))
		pd_mail_warn(ctx, "truncated base64 content");
	content = decode_content(encoded->data, encoded->len, encoding);
	raw_span(ctx, stream, encoded, encoding, span_r);
	g_byte_array_unref(encoded);
	return content;
}

static char *
lower_mime_type(PdMailCtx *ctx, GMimeObject *object)
{
	GMimeContentType *ct = g_mime_object_get_content_type(object);
	g_autofree char *type = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	g_autofree char *lower = g_ascii_strdown(type != NULL ? type : "application/octet-stream", -1);

	/* GMime keeps the type's bytes as sent: "/\xf6\x9a" is a type too */
	return pd_mail_clean_utf8(ctx, "Content-Type", lower, -1);
}

static void
add_attachment(PdMailCtx *ctx, GMimeObject *object, char *filename, GBytes *content,
	       const RawSpan *span)
{
	PdMailAttachment *a = g_new0(PdMailAttachment, 1);
	const char *disposition = g_mime_object_get_disposition(object);
	const char *cid = g_mime_object_get_content_id(object);
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(content, &size);

	a->filename = filename;
	a->content_type = lower_mime_type(ctx, object);
	a->inline_part = disposition != NULL && g_ascii_strcasecmp(disposition, "inline") == 0;
	if (cid != NULL && *cid != '\0')
		a->content_id = pd_mail_cut_header(ctx, "Content-ID", cid);
	a->size = size;
	pd_mail_sha256_hex(data != NULL ? data : (const guint8 *)"", size, a->sha256);
	a->content = content;
	if (span != NULL && span->encoding != NULL) {
		a->raw_encoding = span->encoding;
		a->raw_offset = span->offset;
		a->raw_length = span->length;
	}
	g_ptr_array_add(ctx->mail->attachments, a);
}

static char *
part_filename(PdMailCtx *ctx, GMimeObject *object)
{
	const char *name = GMIME_IS_PART(object) ? g_mime_part_get_filename(GMIME_PART(object)) : NULL;

	if (name == NULL)
		name = g_mime_object_get_content_disposition_parameter(object, "filename");
	if (name == NULL)
		name = g_mime_object_get_content_type_parameter(object, "name");
	if (name == NULL || *name == '\0')
		return NULL;
	return pd_mail_cut_header(ctx, "filename", name);
}

static void
take_message_part(PdMailCtx *ctx, GMimeMessagePart *mpart)
{
	GMimeObject *object = GMIME_OBJECT(mpart);
	GMimeMessage *inner = g_mime_message_part_get_message(mpart);
	char *filename = part_filename(ctx, object);
	GByteArray *bytes = g_byte_array_new();

	if (inner != NULL) {
		GMimeStream *out = g_mime_stream_mem_new_with_byte_array(bytes);

		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
		g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, out);
		g_object_unref(out);
		if (filename == NULL) {
			const char *subject = g_mime_message_get_subject(inner);
			g_autofree char *clean = NULL;

			if (subject != NULL && *subject != '\0') {
				clean = pd_mail_cut_header(ctx, "filename", subject);
				g_strdelimit(clean, "/\\\r\n\t", ' ');
				g_strstrip(clean);
			}
			if (clean != NULL && *clean != '\0')
				filename = g_strconcat(clean, ".eml", NULL);
		}
	}
	if (filename == NULL)
		filename = g_strdup("message.eml");
	add_attachment(ctx, object, filename, g_byte_array_free_to_bytes(bytes), NULL);
}

static gboolean
is_attachment(GMimeObject *object)
{
	const char *disposition = g_mime_object_get_disposition(object);

	if (disposition != NULL && g_ascii_strcasecmp(disposition, "attachment") == 0)
		return TRUE;
	return GMIME_IS_PART(object) && g_mime_part_get_filename(GMIME_PART(object)) != NULL;
}

static void
take_leaf(PdMailCtx *ctx, GMimePart *part)
{
	GMimeObject *object = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(object);
	gboolean plain = ct != NULL && g_mime_content_type_is_type(ct, "text", "plain");
	gboolean html = ct != NULL && g_mime_content_type_is_type(ct, "text", "html");
	PdMail *mail = ctx->mail;
	RawSpan span;
	GBytes *content = part_content(ctx, part, &span);

	if ((plain && !ctx->have_text) || (html && mail->html_body == NULL)) {
		if (!is_attachment(object)) {
			const char *charset = g_mime_object_get_content_type_parameter(object, "charset");
			gsize len = 0;
			const char *data = g_bytes_get_data(content, &len);
			char *text = pd_mail_to_utf8(ctx, plain ? "text body" : "HTML body", charset,
						     data != NULL ? data : "", len);

			if (plain) {
				g_free(mail->text_body);
				mail->text_body = text;
				ctx->have_text = TRUE;
			} else {
				mail->html_body = text;
			}
			g_bytes_unref(content);
			return;
		}
	}
	add_attachment(ctx, object, part_filename(ctx, object), content, &span);
}

/* A multipart without parts (no boundary, or none found) keeps all its
 * content in the prologue: take it as text so nothing is lost. */
static void
take_prologue(PdMailCtx *ctx, GMimeMultipart *multipart)
{
	const char *prologue = g_mime_multipart_get_prologue(multipart);
	GBytes *content;

	if (prologue == NULL || *prologue == '\0')
		return;
	if (!ctx->have_text) {
		g_free(ctx->mail->text_body);
		ctx->mail->text_body = pd_mail_to_utf8(ctx, "text body", NULL, prologue, strlen(prologue));
		ctx->have_text = TRUE;
		return;
	}
	content = g_bytes_new(prologue, strlen(prologue));
	add_attachment(ctx, GMIME_OBJECT(multipart), NULL, content, NULL);
}

/* Counts one more part; FALSE once past the limit (warned once). */
static gboolean
count_part(PdMailCtx *ctx)
{
	if (ctx->parts >= ctx->limits.max_parts) {
		if (!ctx->parts_cut)
			pd_mail_warn(ctx, "more than %u MIME parts, the rest ignored",
				     ctx->limits.max_parts);
		ctx->parts_cut = TRUE;
		return FALSE;
	}
	ctx->parts++;
	return TRUE;
}

void
pd_mail_walk_body(PdMailCtx *ctx, GMimeMessage *message)
{
	g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(WalkItem));
	WalkItem top = { g_mime_message_get_mime_part(message), 1 };

	if (top.object == NULL)
		return;
	g_array_append_val(stack, top);
	while (stack->len > 0) {
		WalkItem item = g_array_index(stack, WalkItem, stack->len - 1);
		GMimeHeaderList *headers;

		g_array_set_size(stack, stack->len - 1);
		if (item.depth > ctx->limits.max_depth) {
			if (!ctx->depth_cut)
				pd_mail_warn(ctx, "MIME nesting deeper than %u levels, deeper parts ignored",
					     ctx->limits.max_depth);
			ctx->depth_cut = TRUE;
			continue;
		}
		if (!count_part(ctx))
			break;
		headers = g_mime_object_get_header_list(item.object);
		if (headers != NULL && (guint)g_mime_header_list_get_count(headers) > ctx->limits.max_headers)
			pd_mail_warn(ctx, "a MIME part has more than %u header fields",
				     ctx->limits.max_headers);
		if (GMIME_IS_MULTIPART(item.object)) {
			GMimeMultipart *multipart = GMIME_MULTIPART(item.object);
			int n = g_mime_multipart_get_count(multipart);

			/* children pushed last-first so they come off in order */
			for (int i = n - 1; i >= 0; i--) {
				WalkItem child = { g_mime_multipart_get_part(multipart, i), item.depth + 1 };

				g_array_append_val(stack, child);
			}
			if (n == 0) {
				pd_mail_warn(ctx, "multipart without parts");
				take_prologue(ctx, multipart);
			}
		} else if (GMIME_IS_MESSAGE_PART(item.object)) {
			take_message_part(ctx, GMIME_MESSAGE_PART(item.object));
		} else if (GMIME_IS_PART(item.object)) {
			take_leaf(ctx, GMIME_PART(item.object));
		}
	}
	if (!ctx->have_text && ctx->mail->html_body != NULL) {
		g_free(ctx->mail->text_body);
		ctx->mail->text_body = pd_mail_html_to_text(ctx->mail->html_body, strlen(ctx->mail->html_body));
		ctx->mail->text_from_html = TRUE;
	}
}
