/* pd-template-mime: a rendered template as a complete RFC 5322 message. */
#include "pd-template-private.h"

#include <string.h>

#include "core/pd-error.h"

#define REFERENCES_MAX	20	/* newest kept; a peer controls References */
#define MSGID_MAX	250

static gpointer
mime_init_once(gpointer unused)
{
	g_mime_init();
	return NULL;
}

static void
mime_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, mime_init_once, NULL);
}

/* A Message-ID from peer input as "<id>", or NULL when it could carry
 * anything but an identifier (spaces, controls, brackets, CR/LF). */
static char *
msgid_clean(const char *text)
{
	const char *start = text, *end;

	if (text == NULL)
		return NULL;
	while (g_ascii_isspace(*start))
		start++;
	if (*start == '<')
		start++;
	end = start + strlen(start);
	while (end > start && g_ascii_isspace(end[-1]))
		end--;
	if (end > start && end[-1] == '>')
		end--;
	if (end == start || end - start > MSGID_MAX)
		return NULL;
	for (const char *p = start; p < end; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>')
			return NULL;
	return g_strdup_printf("<%.*s>", (int)(end - start), start);
}

static void
set_references(GMimeObject *obj, const PdTemplateContext *ctx)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *parent = msgid_clean(ctx->in_reply_to);
	g_autoptr(GString) value = g_string_new(NULL);
	guint first;

	for (guint i = 0; ctx->references != NULL && ctx->references[i] != NULL; i++) {
		char *id = msgid_clean(ctx->references[i]);

		if (id != NULL)
			g_ptr_array_add(ids, id);
	}
	if (parent == NULL && ids->len == 0)
		return;
	if (parent != NULL) {
		g_mime_object_set_header(obj, "In-Reply-To", parent, NULL);
		if (ids->len == 0 || strcmp(g_ptr_array_index(ids, ids->len - 1), parent) != 0)
			g_ptr_array_add(ids, g_strdup(parent));
	}
	/* RFC 5322 3.6.4: keep the first (thread root) and the newest ones. */
	first = ids->len > REFERENCES_MAX ? ids->len - (REFERENCES_MAX - 1) : 1;
	g_string_append(value, g_ptr_array_index(ids, 0));
	for (guint i = first; i < ids->len; i++) {
		g_string_append_c(value, ' ');
		g_string_append(value, g_ptr_array_index(ids, i));
	}
	g_mime_object_set_header(obj, "References", value->str, NULL);
}

/* A UTF-8 text part, quoted-printable.  g_mime_text_part_set_text would
 * pick the "best" charset (latin1 for "Grüße"); we promise UTF-8. */
static GMimePart *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(GMIME_PART(part), content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(content);
	g_object_unref(stream);
	return GMIME_PART(part);
}

/* A mail attached byte for byte (RFC 2046 5.2.1: message/rfc822 is 7bit,
 * 8bit or binary, never encoded); the name helps clients that save it. */
static GMimePart *
message_part(GBytes *raw)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(raw, &len);
	GMimePart *part = g_mime_part_new_with_type("message", "rfc822");
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data, len);
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);
	GMimeContentEncoding encoding = GMIME_CONTENT_ENCODING_7BIT;

	for (gsize i = 0; i < len; i++) {
		if (data[i] >= 0x80 || data[i] == 0) {
			encoding = GMIME_CONTENT_ENCODING_8BIT;
			break;
		}
	}
	g_mime_part_set_content(part, content);
	g_mime_part_set_content_encoding(part, encoding);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	g_mime_part_set_filename(part, "original.eml");
	g_object_unref(content);
	g_object_unref(stream);
	return part;
}

/* A file as base64 with its name (RFC 2231 when not ASCII) and type (its
 * parameters kept: a text file's charset); a type that does not parse, or
 * a container type (multipart, message: base64 is not allowed for them,
 * RFC 2045 6.4), becomes application/octet-stream. */
static GMimePart *
file_part(const PdTemplateAttachment *file)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(file->content, &len);
	GMimeContentType *type = file->content_type != NULL
		? g_mime_content_type_parse(NULL, file->content_type) : NULL;
	GMimePart *part;
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data, len);
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(
		stream, GMIME_CONTENT_ENCODING_DEFAULT);

	part = g_mime_part_new();	/* application/octet-stream */
	if (type != NULL && g_mime_content_type_get_media_type(type) != NULL &&
	    g_mime_content_type_get_media_subtype(type) != NULL &&
	    g_ascii_strcasecmp(g_mime_content_type_get_media_type(type), "multipart") != 0 &&
	    g_ascii_strcasecmp(g_mime_content_type_get_media_type(type), "message") != 0)
		g_mime_object_set_content_type(GMIME_OBJECT(part), type);
	g_clear_object(&type);
	g_mime_part_set_content(part, content);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	if (file->filename != NULL && file->filename[0] != '\0')
		g_mime_part_set_filename(part, file->filename);
	g_object_unref(content);
	g_object_unref(stream);
	return part;
}

/* Names in UTF-8 (RFC 2047), not whatever charset GMime finds smallest. */
static void
add_mailbox(GMimeMessage *message, GMimeAddressType type, const char *name, const char *address)
{
	InternetAddress *ia = internet_address_mailbox_new(name, address);

	internet_address_set_charset(ia, "utf-8");
	internet_address_list_add(g_mime_message_get_addresses(message, type), ia);
	g_object_unref(ia);
}

/* The display name of an address header: the template's, else def. */
static char *
header_name(const PdTemplateHeader *header, GHashTable *values, const char *def)
{
	if (header->present && header->nodes != NULL)
		return pd_template_render_nodes(header->nodes, values, PD_RENDER_HEADER);
	return pd_template_header_value(def != NULL ? def : "");
}

GMimeMessage *
pd_template_render(const PdTemplate *tpl, GHashTable *values, const PdTemplateContext *ctx,
		   GError **error)
{
	GMimeMessage *message;
	GMimeObject *obj, *content;
	g_autofree char *subject = NULL, *body = NULL, *html = NULL;
	g_autofree char *from_name = NULL, *reply_name = NULL, *to_name = NULL;
	g_autofree char *message_id = NULL, *reply_address = NULL;
	g_autoptr(GDateTime) date = NULL;
	g_autoptr(GError) local = NULL;
	const char *auto_submitted = ctx->auto_submitted;

	g_return_val_if_fail(ctx->keys != NULL && ctx->from_address != NULL, NULL);
	mime_init();
	message_id = pd_token_message_id(ctx->keys, ctx->ticket_id, ctx->serial, ctx->to_address,
					 ctx->hostname, &local);
	if (message_id != NULL && ctx->reply_base != NULL && tpl->reply_to.address == NULL)
		reply_address = pd_token_reply_address(ctx->keys, ctx->reply_base, ctx->ticket_id,
						       ctx->to_address, &local);
	if (local != NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMFAIL, "%s: %s", tpl->source, local->message);
		return NULL;
	}

	message = g_mime_message_new(TRUE);
	obj = GMIME_OBJECT(message);
	from_name = header_name(&tpl->from, values, ctx->from_name);
	add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, from_name,
				   tpl->from.address != NULL ? tpl->from.address : ctx->from_address);
	/* the recipient's display name comes from a peer: a value like any */
	to_name = pd_template_header_value(ctx->to_name != NULL ? ctx->to_name : "");
	add_mailbox(message, GMIME_ADDRESS_TYPE_TO, to_name, ctx->to_address);
	subject = pd_template_render_subject(tpl, values);
	g_mime_message_set_subject(message, subject, "utf-8");
	date = ctx->date != 0 ? g_date_time_new_from_unix_utc(ctx->date) : g_date_time_new_now_utc();
	g_mime_message_set_date(message, date);
	g_mime_message_set_message_id(message, message_id);
	set_references(obj, ctx);
	if (tpl->reply_to.address != NULL || reply_address != NULL) {
		reply_name = header_name(&tpl->reply_to, values, NULL);
		add_mailbox(message, GMIME_ADDRESS_TYPE_REPLY_TO,
					   reply_name[0] != '\0' ? reply_name : from_name,
					   tpl->reply_to.address != NULL ? tpl->reply_to.address
					   : reply_address);
	}
	/* RFC 3834: mark every mail we generate, so responders stay quiet. */
	if (auto_submitted == NULL)
		auto_submitted = ctx->in_reply_to != NULL ? "auto-replied" : "auto-generated";
	g_mime_object_set_header(obj, "Auto-Submitted", auto_submitted, NULL);
	/* a person's mail ("no": a relayed answer) may get an out-of-office */
	if (strcmp(auto_submitted, "no") != 0)
		g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All", NULL);
	if (ctx->ticket_number > 0) {
		g_autofree char *number = g_strdup_printf("%" G_GINT64_FORMAT, ctx->ticket_number);

		g_mime_object_set_header(obj, "X-Postdesk-Ticket", number, NULL);
	}
	g_mime_object_set_header(obj, "MIME-Version", "1.0", NULL);

	body = pd_template_render_body(tpl, values);
	html = pd_template_render_html(tpl, values);
	if (html == NULL) {
		content = GMIME_OBJECT(text_part("plain", body));
	} else {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		GMimePart *plain = text_part("plain", body);
		GMimePart *rich = text_part("html", html);

		g_mime_multipart_add(alt, GMIME_OBJECT(plain));
		g_mime_multipart_add(alt, GMIME_OBJECT(rich));
		g_object_unref(plain);
		g_object_unref(rich);
		content = GMIME_OBJECT(alt);
	}
	if (ctx->attach_message != NULL || ctx->n_attachments > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, content);
		g_object_unref(content);
		if (ctx->attach_message != NULL) {
			GMimePart *original = message_part(ctx->attach_message);

			g_mime_multipart_add(mixed, GMIME_OBJECT(original));
			g_object_unref(original);
		}
		for (guint i = 0; i < ctx->n_attachments; i++) {
			GMimePart *file = file_part(&ctx->attachments[i]);

			g_mime_multipart_add(mixed, GMIME_OBJECT(file));
			g_object_unref(file);
		}
		content = GMIME_OBJECT(mixed);
	}
	g_mime_message_set_mime_part(message, content);
	g_object_unref(content);
	return message;
}

GBytes *
pd_template_message_bytes(GMimeMessage *message)
{
	GMimeFormatOptions *options = g_mime_format_options_new();
	GMimeStream *stream = g_mime_stream_mem_new();
	GByteArray *array;
	GBytes *bytes;

	g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
	g_mime_object_write_to_stream(GMIME_OBJECT(message), options, stream);
	g_mime_format_options_free(options);
	array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	bytes = g_bytes_new(array->data, array->len);
	g_object_unref(stream);
	return bytes;
}
