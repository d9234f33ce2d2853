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

/* The decoded content of a leaf part (GMime's filters: base64, QP,
 * uuencode with its begin line). */
static GBytes *
part_content(PdMailCtx *ctx, GMimePart *part)
{
	GMimeDataWrapper *wrapper = g_mime_part_get_content(part);
	GMimeStream *stream, *out;
	GByteArray *bytes;

	if (wrapper == NULL || (stream = g_mime_data_wrapper_get_stream(wrapper)) == NULL)
		return g_bytes_new(NULL, 0);
	if (g_mime_data_wrapper_get_encoding(wrapper) == GMIME_CONTENT_ENCODING_BASE64) {
		/* decoded here in one pass over the raw bytes, which also tells
		 * whether the content was cut */
		GByteArray *raw = stream_bytes(stream);
		GByteArray *decoded;
		int state = 0;
		guint32 save = 0;
		gsize n;

		if (base64_truncated(raw->data, raw->len))
			pd_mail_warn(ctx, "truncated base64 content");
		decoded = g_byte_array_sized_new(raw->len / 4 * 3 + 4);
		n = g_mime_encoding_base64_decode_step(raw->data, raw->len, decoded->data, &state, &save);
		decoded->len = (guint)n;
		g_byte_array_unref(raw);
		return g_byte_array_free_to_bytes(decoded);
	}
	bytes = g_byte_array_new();
	out = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_data_wrapper_write_to_stream(wrapper, out);
	g_object_unref(out);
	return g_byte_array_free_to_bytes(bytes);
}

static char *
lower_mime_type(GMimeObject *object)
{
	GMimeContentType *ct = g_mime_object_get_content_type(object);
	g_autofree char *type = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;

	return g_ascii_strdown(type != NULL ? type : "application/octet-stream", -1);
}

static void
add_attachment(PdMailCtx *ctx, GMimeObject *object, char *filename, GBytes *content)
{
	PdMailAttachment *a = g_new0(PdMailAttachment, 1);
	const char *disposition = g_mime_object_get_disposition(object);
	const char *cid = g_mime_object_get_content_id(object);
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(content, &size);

	a->filename = filename;
	a->content_type = lower_mime_type(object);
	a->inline_part = disposition != NULL && g_ascii_strcasecmp(disposition, "inline") == 0;
	if (cid != NULL && *cid != '\0')
		a->content_id = pd_mail_cut_header(ctx, "Content-ID", cid);
	a->size = size;
	pd_mail_sha256_hex(data != NULL ? data : (const guint8 *)"", size, a->sha256);
	a->content = content;
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
	add_attachment(ctx, object, filename, g_byte_array_free_to_bytes(bytes));
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
	GBytes *content = part_content(ctx, part);

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
	add_attachment(ctx, object, part_filename(ctx, object), content);
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
	add_attachment(ctx, GMIME_OBJECT(multipart), NULL, content);
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
