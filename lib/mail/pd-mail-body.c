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
	const char *boundary;	/* of the nearest enclosing multipart, NULL if none */
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

static gboolean
only_blanks(const GByteArray *bytes)
{
	for (guint i = 0; i < bytes->len; i++) {
		if (!g_ascii_isspace(bytes->data[i]))
			return FALSE;
	}
	return TRUE;
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
	PdMailDecodeFlaws flaws;

	span_r->encoding = NULL;
	if (wrapper == NULL || (stream = g_mime_data_wrapper_get_stream(wrapper)) == NULL)
		return g_bytes_new(NULL, 0);
	encoding = g_mime_data_wrapper_get_encoding(wrapper);
	encoded = stream_bytes(stream);
	content = pd_mail_decode_content(encoded->data, encoded->len, encoding, &flaws);
	if (flaws.base64_incomplete)
		pd_mail_warn(ctx, "truncated base64 content: its last group is incomplete, "
			     "decoded as far as it goes");
	if (flaws.uu_no_begin)
		pd_mail_warn(ctx, "x-uuencode content without a begin line, decoded from its first line");
	if (flaws.uu_short_line)
		pd_mail_warn(ctx, "x-uuencode line shorter than its length says, decoded as far as it goes");
	if (g_bytes_get_size(content) == 0 && encoded->len > 0 &&
	    encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE && !only_blanks(encoded))
		pd_mail_warn(ctx, "%s content decodes to nothing", encoding_name(encoding));
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
		a->raw_offset = ctx->junk_prefix + span->offset;
		a->raw_length = span->length;
	}
	g_ptr_array_add(ctx->mail->attachments, a);
}

/* The raw value of a part's header called name, or NULL. */
static const char *
part_header_raw(GMimeObject *object, const char *name)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(object);
	GMimeHeader *h = headers != NULL ? g_mime_header_list_get_header(headers, name) : NULL;

	return h != NULL ? g_mime_header_get_raw_value(h) : NULL;
}

#define RFC2231_MAX_SEGMENTS 64

/* The value of one parameter in a raw header value, quotes and
 * quoted-pairs removed; *p_r is moved past it. */
static char *
param_value(const char **p_r)
{
	const char *p = *p_r;
	GString *value = g_string_new(NULL);

	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			g_string_append_c(value, *p);
		}
		if (*p == '"')
			p++;
	} else {
		while (*p != '\0' && *p != ';' && !g_ascii_isspace(*p))
			g_string_append_c(value, *p++);
	}
	*p_r = p;
	return g_string_free(value, FALSE);
}

/* Percent-decoding of an RFC 2231 encoded segment ("%" not followed by two
 * hex digits is kept as it is). */
static void
percent_decode(GByteArray *out, const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '%' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2])) {
			guint8 byte = (guint8)(g_ascii_xdigit_value(p[1]) << 4 |
					       g_ascii_xdigit_value(p[2]));

			g_byte_array_append(out, &byte, 1);
			p += 2;
		} else {
			g_byte_array_append(out, (const guint8 *)p, 1);
		}
	}
}

/* RFC 2231 parameter param ("param*=charset'lang'%XX", or continuations
 * "param*N" / "param*N*" in any order, encoded or not) read by us: GMime
 * 3.2 keeps the charset'lang' prefix when a plain continuation follows
 * an encoded one or the segments are out of order, and turns bytes that do
 * not fit the label into U+FFFD.  The bytes go through the encoded words'
 * charset rule (pd_mail_word_to_utf8: the label, the charset it is mistaken
 * for, UTF-8, then as undeclared bytes).  NULL: no such parameter. */
static char *
rfc2231_param(PdMailCtx *ctx, const char *raw, const char *param)
{
	g_autofree char *text = pd_mail_unfold(raw);
	char *segments[RFC2231_MAX_SEGMENTS] = { NULL };
	gboolean encoded[RFC2231_MAX_SEGMENTS] = { FALSE };
	gsize param_len = strlen(param);
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	g_autofree char *charset = NULL;
	gboolean found = FALSE;
	const char *p = strchr(text, ';');
	char *result = NULL;

	while (p != NULL && *p != '\0') {
		const char *name, *star;
		char *value;
		guint index = 0;
		gboolean is_encoded = FALSE, ours = FALSE;

		p++;
		while (g_ascii_isspace(*p))
			p++;
		name = p;
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		if (*p != '=')
			continue;
		star = name + param_len;
		if ((gsize)(p - name) > param_len && g_ascii_strncasecmp(name, param, param_len) == 0 &&
		    *star == '*') {
			const char *q = star + 1;

			ours = TRUE;
			if (q == p) {
				is_encoded = TRUE;		/* param*= */
			} else {
				while (q < p && g_ascii_isdigit(*q) && index < RFC2231_MAX_SEGMENTS)
					index = index * 10 + (guint)(*q++ - '0');
				if (q < p && *q == '*') {
					is_encoded = TRUE;
					q++;
				}
				ours = q == p && g_ascii_isdigit(star[1]) &&
				       index < RFC2231_MAX_SEGMENTS;
			}
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		value = param_value(&p);
		if (ours && segments[index] == NULL) {
			segments[index] = value;
			encoded[index] = is_encoded;
			found = TRUE;
		} else {
			g_free(value);
		}
		p = strchr(p, ';');
	}
	if (!found)
		return NULL;
	for (guint i = 0; i < RFC2231_MAX_SEGMENTS; i++) {
		const char *value = segments[i];

		if (value == NULL)
			continue;
		if (i == 0 && encoded[0]) {
			const char *q1 = strchr(value, '\''), *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;

			if (q2 != NULL) {
				charset = g_strndup(value, (gsize)(q1 - value));
				value = q2 + 1;
			}
		}
		if (encoded[i])
			percent_decode(bytes, value);
		else
			g_byte_array_append(bytes, (const guint8 *)value, (guint)strlen(value));
		g_free(segments[i]);
	}
	if (memchr(bytes->data, '\0', bytes->len) != NULL)
		g_byte_array_set_size(bytes, 0);	/* a NUL ends nothing here: no name */
	if (charset != NULL && *charset != '\0')
		result = pd_mail_word_to_utf8(ctx, "filename", charset, (const char *)bytes->data,
					      bytes->len);
	else
		result = pd_mail_undeclared_to_utf8(ctx, "filename", (const char *)bytes->data,
						    bytes->len);
	return result;
}

/* A parameter of a part's Content-Disposition or Content-Type, read from
 * the raw value with its encoded words decoded by us (pd-mail-words.c),
 * and the words GMime leaves in an RFC 2231 value decoded too (Outlook
 * splits an encoded file name into continuations). */
static char *
part_param(PdMailCtx *ctx, GMimeObject *object, const char *header, const char *param)
{
	const char *raw = part_header_raw(object, header);
	g_autofree char *fixed = NULL;
	const char *value;
	char *text = NULL;

	if (raw == NULL)
		return NULL;
	if ((text = rfc2231_param(ctx, raw, param)) != NULL)
		goto words;
	fixed = pd_mail_fix_words(ctx, "filename", raw);
	if (g_ascii_strcasecmp(header, "Content-Disposition") == 0) {
		GMimeContentDisposition *cd = g_mime_content_disposition_parse(ctx->options, fixed);

		value = cd != NULL ? g_mime_content_disposition_get_parameter(cd, param) : NULL;
		if (value != NULL)
			text = g_strdup(value);
		g_clear_object(&cd);
	} else {
		GMimeContentType *ct = g_mime_content_type_parse(ctx->options, fixed);

		value = ct != NULL ? g_mime_content_type_get_parameter(ct, param) : NULL;
		if (value != NULL)
			text = g_strdup(value);
		g_clear_object(&ct);
	}
words:
	if (text != NULL && strstr(text, "=?") != NULL) {
		char *decoded = pd_mail_decode_words(ctx, "filename", text);

		g_free(text);
		text = decoded;
	}
	return text;
}

static char *
part_filename(PdMailCtx *ctx, GMimeObject *object)
{
	g_autofree char *name = part_param(ctx, object, "Content-Disposition", "filename");

	if (name == NULL || *name == '\0') {
		g_free(name);
		name = part_param(ctx, object, "Content-Type", "name");
	}
	if (name == NULL || *name == '\0')
		return NULL;
	return pd_mail_cut_header(ctx, "filename", name);
}

/* The first header field of a parsed message in the raw bytes: the least
 * offset of its own fields and its body part's. */
static void
first_field(GMimeObject *object, gint64 *start_r, const char **name_r)
{
	GMimeHeaderList *headers = object != NULL ? g_mime_object_get_header_list(object) : NULL;
	int n = headers != NULL ? g_mime_header_list_get_count(headers) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
		gint64 offset = g_mime_header_get_offset(h);

		if (offset >= 0 && (*start_r < 0 || offset < *start_r)) {
			*start_r = offset;
			*name_r = g_mime_header_get_raw_name(h);
		}
	}
}

/* Where a message/rfc822 part's message sits in the raw bytes: from its
 * first header field up to the line end before the enclosing multipart's
 * next delimiter line (RFC 2046 5.1.1: that line end is the delimiter's),
 * or to the end.  FALSE when GMime did not read the raw bytes as they are
 * or the span does not start with the field GMime read there. */
static gboolean
message_span(PdMailCtx *ctx, GMimeMessage *inner, const char *boundary, RawSpan *span_r)
{
	const GByteArray *raw = ctx->raw_view;
	gint64 start = -1;
	const char *name = NULL, *p, *end, *stop;
	g_autofree char *delimiter = NULL;
	gsize delimiter_len = 0;

	span_r->encoding = NULL;
	if (raw == NULL)
		return FALSE;
	first_field(GMIME_OBJECT(inner), &start, &name);
	first_field(g_mime_message_get_mime_part(inner), &start, &name);
	if (start < 0 || start >= (gint64)raw->len || name == NULL ||
	    (gsize)(raw->len - start) < strlen(name) ||
	    memcmp(raw->data + start, name, strlen(name)) != 0)
		return FALSE;
	p = (const char *)raw->data + start;
	end = (const char *)raw->data + raw->len;
	stop = end;
	if (boundary != NULL) {
		delimiter = g_strconcat("--", boundary, NULL);
		delimiter_len = strlen(delimiter);
	}
	for (; delimiter != NULL && p < end; p = pd_mail_line_end(p, end)) {
		if ((gsize)(end - p) >= delimiter_len && memcmp(p, delimiter, delimiter_len) == 0) {
			stop = p;
			if (stop > (const char *)raw->data + start && stop[-1] == '\n')
				stop--;
			if (stop > (const char *)raw->data + start && stop[-1] == '\r')
				stop--;
			break;
		}
	}
	span_r->encoding = "binary";
	span_r->offset = (gsize)start;
	span_r->length = (gsize)(stop - ((const char *)raw->data + start));
	return TRUE;
}

/* A message/rfc822 part: the message as received, byte for byte (its hash
 * and DKIM signature hold), or GMime's writing of it when the raw bytes
 * were rewritten before GMime read them. */
static void
take_message_part(PdMailCtx *ctx, GMimeMessagePart *mpart, const char *boundary)
{
	GMimeObject *object = GMIME_OBJECT(mpart);
	GMimeMessage *inner = g_mime_message_part_get_message(mpart);
	char *filename = part_filename(ctx, object);
	GBytes *content;
	RawSpan span = { NULL, 0, 0 };

	if (inner != NULL && message_span(ctx, inner, boundary, &span)) {
		content = g_bytes_new(ctx->raw_view->data + span.offset, span.length);
	} else {
		GByteArray *bytes = g_byte_array_new();

		if (inner != NULL) {
			GMimeStream *out = g_mime_stream_mem_new_with_byte_array(bytes);

			g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
			g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, out);
			g_object_unref(out);
		}
		content = g_byte_array_free_to_bytes(bytes);
	}
	if (filename == NULL && inner != NULL) {
		const char *raw = pd_mail_last_header(inner, "Subject");
		g_autofree char *subject = raw != NULL ? pd_mail_decode_words(ctx, "filename", raw) : NULL;
		g_autofree char *clean = NULL;

		if (subject != NULL && *subject != '\0') {
			g_autofree char *cut = pd_mail_cut_header(ctx, "filename", subject);

			clean = pd_mail_unfold(cut);
			g_strdelimit(clean, "/\\", ' ');
		}
		if (clean != NULL && *clean != '\0')
			filename = g_strconcat(clean, ".eml", NULL);
	}
	if (filename == NULL)
		filename = g_strdup("message.eml");
	add_attachment(ctx, object, filename, content, &span);
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
	WalkItem top = { g_mime_message_get_mime_part(message), 1, NULL };

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
				WalkItem child = { g_mime_multipart_get_part(multipart, i), item.depth + 1,
						   g_mime_multipart_get_boundary(multipart) };

				g_array_append_val(stack, child);
			}
			if (n == 0) {
				pd_mail_warn(ctx, "multipart without parts");
				take_prologue(ctx, multipart);
			}
		} else if (GMIME_IS_MESSAGE_PART(item.object)) {
			take_message_part(ctx, GMIME_MESSAGE_PART(item.object), item.boundary);
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
