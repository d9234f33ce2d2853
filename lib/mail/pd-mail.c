/* pd-mail: parse one received message with GMime into a PdMail.
 *
 * The top-level header block is read here straight from the raw bytes (so
 * the header list keeps every field in order, within the count and size
 * limits); GMime parses the MIME structure, addresses, RFC 2047 words and
 * dates.  pd-mail-body.c walks the parts, pd-mail-class.c classifies,
 * pd-mail-html.c turns HTML into text.
 *
 * Thread safety: g_mime_init() runs once under g_once; every parse has its
 * own GMimeParser, GMimeParserOptions and streams, and GMime's shared state
 * (charset map, iconv cache) is set up by g_mime_init and locked inside.
 *
 * Nesting: GMime 3.2's parser recurses once per multipart or message/rfc822
 * level up to its MAX_LEVEL (1024; gmime-parser.c treats deeper parts as
 * leaves with GMIME_CRIT_NESTING_OVERFLOW) and checks every "--" line
 * against every open boundary.  Before GMime reads a message, a linear
 * guard keeps at most 2 * max_depth Content-Type fields that name a nesting
 * type and makes the rest leaf types, so GMime's depth stays under
 * 4 * max_depth + 2 and its work under lines * that; our own walk is
 * iterative and stops at max_depth.  tests/unit/mail parses 100,000 levels
 * on a thread with a 1 MiB stack (it fits in 128 KiB).
 */
#include <string.h>
#include <openssl/evp.h>

#include "core/pd-error.h"
#include "mail/pd-mail-private.h"

static const PdMailLimits default_limits = {
	.max_depth = 32,
	.max_parts = 500,
	.max_headers = 1000,
	.max_header_bytes = 64 * 1024,
};

/* SHA-256 through OpenSSL (SHA-NI where the CPU has it: GLib's GChecksum
 * runs at about 90 MB/s, and every message is hashed twice). */
static EVP_MD *sha256_md;

static gpointer
mail_init_once(gpointer data)
{
	g_mime_init();
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	g_assert(sha256_md != NULL);
	return NULL;
}

void
pd_mail_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, mail_init_once, NULL);
}

static void
hex_digest(const unsigned char digest[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}

void
pd_mail_sha256_hex(const guint8 *data, gsize len, char out[65])
{
	unsigned char digest[EVP_MAX_MD_SIZE];

	pd_mail_init();
	if (EVP_Digest(data, len, digest, NULL, sha256_md, NULL) != 1)
		g_error("pd-mail: SHA-256 failed");
	hex_digest(digest, out);
}

void
pd_mail_warn(PdMailCtx *ctx, const char *format, ...)
{
	va_list args;
	char *formatted, *text;

	va_start(args, format);
	formatted = g_strdup_vprintf(format, args);
	va_end(args);
	/* a warning quotes peer bytes (a charset name, a header name): it is
	 * a PdMail string like any other, so valid UTF-8 */
	text = g_utf8_make_valid(formatted, -1);
	g_free(formatted);
	if (g_hash_table_contains(ctx->warned, text) ||
	    ctx->mail->warnings->len >= PD_MAIL_MAX_WARNINGS) {
		g_free(text);
		return;
	}
	g_hash_table_add(ctx->warned, text);
	g_ptr_array_add(ctx->mail->warnings, g_strdup(text));
}

/* SHA-256 of the body with CRLF normalized to LF, without copying. */
static void
body_hash(const char *p, const char *end, char out[65])
{
	EVP_MD_CTX *sum = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];

	if (sum == NULL || EVP_DigestInit_ex(sum, sha256_md, NULL) != 1)
		g_error("pd-mail: SHA-256 failed");
	while (p < end) {
		const char *cr = memchr(p, '\r', end - p);

		if (cr == NULL) {
			EVP_DigestUpdate(sum, p, end - p);
			break;
		}
		EVP_DigestUpdate(sum, p, cr - p);
		if (cr + 1 < end && cr[1] == '\n') {
			p = cr + 1;	/* drop the CR, keep the LF */
		} else {
			EVP_DigestUpdate(sum, cr, 1);
			p = cr + 1;
		}
	}
	EVP_DigestFinal_ex(sum, digest, NULL);
	EVP_MD_CTX_free(sum);
	hex_digest(digest, out);
}

const char *
pd_mail_header_next(const PdMail *mail, const char *name, guint *index)
{
	gsize n = strlen(name);

	g_return_val_if_fail(mail != NULL && name != NULL && index != NULL, NULL);
	for (; *index < mail->headers->len; (*index)++) {
		const char *field = mail->headers->pdata[*index];
		const char *colon = strchr(field, ':');
		gsize flen;

		if (colon == NULL)
			continue;
		flen = colon - field;
		while (flen > 0 && (field[flen - 1] == ' ' || field[flen - 1] == '\t'))
			flen--;
		if (flen == n && g_ascii_strncasecmp(field, name, n) == 0) {
			(*index)++;
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			return colon;
		}
	}
	return NULL;
}

const char *
pd_mail_header(const PdMail *mail, const char *name)
{
	guint index = 0;

	return pd_mail_header_next(mail, name, &index);
}

/* ---- fields from GMime ---- */

static void
parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user_data)
{
	PdMailCtx *ctx = user_data;
	const char *what;

	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER: what = "duplicated header"; break;
	case GMIME_WARN_DUPLICATED_PARAMETER: what = "duplicated parameter"; break;
	case GMIME_WARN_UNENCODED_8BIT_HEADER: what = "undeclared 8-bit header"; break;
	case GMIME_WARN_INVALID_CONTENT_TYPE: what = "invalid Content-Type"; break;
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE: what = "invalid RFC 2047 encoded word"; break;
	case GMIME_WARN_MALFORMED_MULTIPART: what = "malformed multipart"; break;
	case GMIME_WARN_TRUNCATED_MESSAGE: what = "truncated message"; break;
	case GMIME_WARN_MALFORMED_MESSAGE: what = "malformed message"; break;
	case GMIME_CRIT_INVALID_HEADER_NAME: what = "invalid header name"; break;
	case GMIME_CRIT_CONFLICTING_HEADER: what = "conflicting header"; break;
	case GMIME_CRIT_CONFLICTING_PARAMETER: what = "conflicting parameter"; break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: what = "multipart without boundary"; break;
	case GMIME_WARN_INVALID_PARAMETER: what = "invalid parameter"; break;
	case GMIME_WARN_INVALID_ADDRESS_LIST: what = "invalid address list"; break;
	case GMIME_CRIT_NESTING_OVERFLOW: what = "MIME nesting overflow in GMime"; break;
	case GMIME_WARN_PART_WITHOUT_CONTENT: what = "part without content"; break;
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: what = "part without headers or content"; break;
	default: what = "MIME problem"; break;
	}
	pd_mail_warn(ctx, "parser: %s", what);
}

static InternetAddressMailbox *
first_mailbox(InternetAddressList *list)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return INTERNET_ADDRESS_MAILBOX(ia);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressMailbox *mb =
				first_mailbox(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)));

			if (mb != NULL)
				return mb;
		}
	}
	return NULL;
}

static void
fill_address(PdMailCtx *ctx, const char *what, InternetAddressMailbox *mb, PdMailAddress *out)
{
	const char *addr = internet_address_mailbox_get_addr(mb);
	const char *name = internet_address_get_name(INTERNET_ADDRESS(mb));

	if (addr != NULL && *addr != '\0')
		out->address = pd_mail_cut_header(ctx, what, addr);
	if (name != NULL && *name != '\0') {
		g_autofree char *cut = pd_mail_cut_header(ctx, what, name);

		out->name = pd_mail_unfold(cut);	/* a quoted name may be folded */
		if (*out->name == '\0')
			g_clear_pointer(&out->name, g_free);
	}
}

static void
address_free(gpointer data)
{
	PdMailAddress *a = data;

	g_free(a->address);
	g_free(a->name);
	g_free(a);
}

static void
add_mailboxes(PdMailCtx *ctx, const char *what, InternetAddressList *list, GPtrArray *out)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			add_mailboxes(ctx, what,
				      internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out);
			continue;
		}
		if (out->len >= PD_MAIL_MAX_ADDRESSES) {
			pd_mail_warn(ctx, "%s: more than %d addresses, the rest ignored", what,
				     PD_MAIL_MAX_ADDRESSES);
			return;
		}
		PdMailAddress *a = g_new0(PdMailAddress, 1);

		fill_address(ctx, what, INTERNET_ADDRESS_MAILBOX(ia), a);
		g_ptr_array_add(out, a);
	}
}

/* A msg-id fit to store and compare: printable ASCII, sane length. */
static char *
clean_id(PdMailCtx *ctx, const char *what, const char *id)
{
	gsize len;

	if (id == NULL)
		return NULL;
	len = strlen(id);
	if (len == 0)
		return NULL;
	if (len > PD_MAIL_MAX_ID_LEN) {
		pd_mail_warn(ctx, "%s: identifier longer than %d bytes ignored", what,
			     PD_MAIL_MAX_ID_LEN);
		return NULL;
	}
	for (const char *p = id; *p; p++) {
		if ((guchar)*p < 0x21 || (guchar)*p > 0x7e) {
			pd_mail_warn(ctx, "%s: identifier with non-printable characters ignored", what);
			return NULL;
		}
	}
	return g_strdup(id);
}

/* The msg-ids of an In-Reply-To or References value: GMime's parser, or
 * for values without angle brackets (broken clients) the bare tokens. */
static GPtrArray *
parse_id_list(PdMailCtx *ctx, const char *value)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GMimeReferences *refs = g_mime_references_parse(ctx->options, value);
	int n = refs != NULL ? g_mime_references_length(refs) : 0;

	for (int i = 0; i < n; i++)
		g_ptr_array_add(ids, g_strdup(g_mime_references_get_message_id(refs, i)));
	g_clear_pointer(&refs, g_mime_references_free);
	if (n == 0 && strchr(value, '<') == NULL) {
		g_auto(GStrv) tokens = g_strsplit_set(value, " \t\r\n,", -1);

		for (char **t = tokens; *t != NULL; t++) {
			if (**t != '\0')
				g_ptr_array_add(ids, g_strdup(*t));
		}
	}
	return ids;
}

static void
fill_ids(PdMailCtx *ctx, GMimeMessage *message)
{
	PdMail *mail = ctx->mail;
	const char *value;

	mail->message_id = clean_id(ctx, "Message-ID", g_mime_message_get_message_id(message));
	if ((value = g_mime_object_get_header(GMIME_OBJECT(message), "In-Reply-To")) != NULL) {
		g_autoptr(GPtrArray) ids = parse_id_list(ctx, value);

		for (guint i = 0; i < ids->len && mail->in_reply_to == NULL; i++)
			mail->in_reply_to = clean_id(ctx, "In-Reply-To", ids->pdata[i]);
	}
	if ((value = g_mime_object_get_header(GMIME_OBJECT(message), "References")) != NULL) {
		g_autoptr(GPtrArray) ids = parse_id_list(ctx, value);
		guint n = ids->len;

		if (n > PD_MAIL_MAX_REFERENCES)
			pd_mail_warn(ctx, "References: more than %d identifiers, middle ones dropped",
				     PD_MAIL_MAX_REFERENCES);
		for (guint i = 0; i < n; i++) {
			char *id;

			/* keep the first (thread root) and the most recent ones */
			if (n > PD_MAIL_MAX_REFERENCES && i > 0 && i < n - (PD_MAIL_MAX_REFERENCES - 1))
				continue;
			id = clean_id(ctx, "References", ids->pdata[i]);
			if (id != NULL)
				g_ptr_array_add(mail->references, id);
		}
	}
}

static char *
clean_subject(PdMailCtx *ctx, const char *subject)
{
	g_autofree char *text = pd_mail_cut_header(ctx, "Subject", subject != NULL ? subject : "");

	return pd_mail_unfold(text);
}

const char *
pd_mail_last_header(GMimeMessage *message, const char *name)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
	int n = headers != NULL ? g_mime_header_list_get_count(headers) : 0;

	for (int i = n - 1; i >= 0; i--) {
		GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) == 0)
			return g_mime_header_get_raw_value(h);
	}
	return NULL;
}

/* Every mailbox of the top-level headers called name, parsed by GMime. */
static InternetAddressList *
address_list(PdMailCtx *ctx, GMimeMessage *message, const char *name)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
	InternetAddressList *all = internet_address_list_new();
	int n = headers != NULL ? g_mime_header_list_get_count(headers) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
		const char *raw = g_mime_header_get_raw_value(h);
		g_autofree char *fixed = NULL;
		InternetAddressList *list;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0 || raw == NULL)
			continue;
		fixed = pd_mail_fix_words(ctx, name, raw);
		if ((list = pd_mail_parse_address_value(ctx, name, fixed)) != NULL) {
			internet_address_list_append(all, list);
			g_object_unref(list);
		}
	}
	return all;
}

static void
fill_fields(PdMailCtx *ctx, GMimeMessage *message)
{
	PdMail *mail = ctx->mail;
	InternetAddressMailbox *mb;
	GDateTime *date;
	InternetAddressList *from = address_list(ctx, message, "From");
	InternetAddressList *sender = address_list(ctx, message, "Sender");
	InternetAddressList *reply_to = address_list(ctx, message, "Reply-To");
	InternetAddressList *to = address_list(ctx, message, "To");
	InternetAddressList *cc = address_list(ctx, message, "Cc");
	const char *subject;
	g_autofree char *decoded = NULL;

	if ((mb = first_mailbox(from)) != NULL)
		fill_address(ctx, "From", mb, &mail->from);
	if (mail->from.address == NULL)
		pd_mail_warn(ctx, "no From address");
	if ((mb = first_mailbox(sender)) != NULL) {
		const char *addr = internet_address_mailbox_get_addr(mb);

		if (addr != NULL && *addr != '\0')
			mail->sender = pd_mail_cut_header(ctx, "Sender", addr);
	}
	if ((mb = first_mailbox(reply_to)) != NULL)
		fill_address(ctx, "Reply-To", mb, &mail->reply_to);
	add_mailboxes(ctx, "To", to, mail->to);
	add_mailboxes(ctx, "Cc", cc, mail->cc);
	subject = pd_mail_last_header(message, "Subject");
	decoded = subject != NULL ? pd_mail_decode_words(ctx, "Subject", subject) : NULL;
	mail->subject = clean_subject(ctx, decoded);
	if ((date = g_mime_message_get_date(message)) != NULL)
		mail->date = g_date_time_to_unix(date);
	fill_ids(ctx, message);
	g_object_unref(from);
	g_object_unref(sender);
	g_object_unref(reply_to);
	g_object_unref(to);
	g_object_unref(cc);
	if (mail->message_id == NULL)
		pd_mail_warn(ctx, "no usable Message-ID");
}

static void
attachment_free(gpointer data)
{
	PdMailAttachment *a = data;

	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->content_id);
	g_clear_pointer(&a->content, g_bytes_unref);
	g_free(a);
}

static PdMail *
mail_new(void)
{
	PdMail *mail = g_new0(PdMail, 1);

	mail->to = g_ptr_array_new_with_free_func(address_free);
	mail->cc = g_ptr_array_new_with_free_func(address_free);
	mail->references = g_ptr_array_new_with_free_func(g_free);
	mail->attachments = g_ptr_array_new_with_free_func(attachment_free);
	mail->warnings = g_ptr_array_new_with_free_func(g_free);
	mail->headers = g_ptr_array_new_with_free_func(g_free);
	return mail;
}

void
pd_mail_free(PdMail *mail)
{
	if (mail == NULL)
		return;
	g_free(mail->from.address);
	g_free(mail->from.name);
	g_free(mail->author_doubt);
	g_free(mail->sender);
	g_ptr_array_unref(mail->to);
	g_ptr_array_unref(mail->cc);
	g_free(mail->reply_to.address);
	g_free(mail->reply_to.name);
	g_free(mail->subject);
	g_free(mail->message_id);
	g_free(mail->in_reply_to);
	g_ptr_array_unref(mail->references);
	g_free(mail->text_body);
	g_free(mail->html_body);
	g_ptr_array_unref(mail->attachments);
	g_ptr_array_unref(mail->warnings);
	g_ptr_array_unref(mail->headers);
	g_free(mail);
}

/* A junk start before a header block that GMime would otherwise not find
 * at all: a UTF-8 byte order mark, or up to three lines that are no field
 * (an editor's or a broken exporter's first line) followed by a field.
 * The length to skip, or 0. */
static gsize
junk_prefix(const char *data, gsize size)
{
	const char *start = data, *p, *end = data + size;
	PdHeaderScan scan;
	PdHeaderField field;

	if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		start += 3;	/* one byte order mark */
	pd_header_scan_init(&scan, start, end - start);
	if (pd_header_scan_next(&scan, &field) || !scan.unterminated)
		return start - data;
	p = start;
	for (int i = 0; i < 3 && p < end; i++) {
		p = pd_mail_line_end(p, end);
		pd_header_scan_init(&scan, p, end - p);
		if (pd_header_scan_next(&scan, &field) && field.valid)
			return p - data;
		if (!scan.unterminated)
			break;
	}
	return start - data;
}

static GMimeParserOptions *
parser_options_new(PdMailCtx *ctx)
{
	static const char *fallback[] = { "UTF-8", "windows-1252", NULL };
	GMimeParserOptions *options = g_mime_parser_options_new();

	g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(options, TRUE);
	g_mime_parser_options_set_fallback_charsets(options, fallback);
	if (ctx != NULL)
		g_mime_parser_options_set_warning_callback(options, parser_warning, ctx);
	return options;
}

PdMail *
pd_mail_parse(GBytes *raw, const PdMailLimits *limits, GError **error)
{
	PdMailCtx ctx = { 0 };
	gsize size = 0;
	const char *data = raw != NULL ? g_bytes_get_data(raw, &size) : NULL;
	const char *body;
	GByteArray *view;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;
	g_autofree char *guarded = NULL;
	gsize guarded_len = 0, cut;
	GMimeParserOptions *quiet;
	const char *cut_reason;
	g_autoptr(GArray) spans = NULL;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	pd_mail_init();
	if (data == NULL)
		data = "";
	ctx.limits = limits != NULL ? *limits : default_limits;
	if (ctx.limits.max_depth == 0)
		ctx.limits.max_depth = default_limits.max_depth;
	if (ctx.limits.max_parts == 0)
		ctx.limits.max_parts = default_limits.max_parts;
	if (ctx.limits.max_headers == 0)
		ctx.limits.max_headers = default_limits.max_headers;
	if (ctx.limits.max_header_bytes == 0)
		ctx.limits.max_header_bytes = default_limits.max_header_bytes;
	ctx.mail = mail_new();
	ctx.warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ctx.mail->raw_size = size;
	pd_mail_sha256_hex((const guint8 *)data, size, ctx.mail->raw_sha256);
	if (size == 0)
		pd_mail_warn(&ctx, "empty message");
	if ((ctx.junk_prefix = junk_prefix(data, size)) > 0) {
		pd_mail_warn(&ctx, "%" G_GSIZE_FORMAT " bytes before the header block that are no "
			     "header field skipped", ctx.junk_prefix);
		data += ctx.junk_prefix;
		size -= ctx.junk_prefix;
	}
	spans = g_array_new(FALSE, FALSE, sizeof(FieldSpan));
	body = pd_mail_scan_headers(&ctx, data, data + size, spans);
	body_hash(body, data + size, ctx.mail->body_sha256);
	if (ctx.mail->headers->len == 0 && size > 0)
		pd_mail_warn(&ctx, "no header fields");

	/* GMime reads the caller's bytes in place: a GByteArray that borrows
	 * them, owned by nobody (GMimeStreamMem only reads data/len; it never
	 * writes to a stream we only parse).  Everything kept is copied out
	 * before the message is released. */
	ctx.options = parser_options_new(&ctx);
	view = g_byte_array_new();
	view->data = (guint8 *)data;
	view->len = size;
	/* GMime reads header values as C strings (a NUL would cut them) and
	 * grows its header buffer 64 bytes at a time (a megabyte of folded
	 * lines costs quadratic copying): a hostile header block is cut first. */
	if ((guarded = pd_mail_guard_headers(&ctx, data, size, body, spans, &guarded_len)) != NULL) {
		view->data = (guint8 *)guarded;
		view->len = guarded_len;
	}
	/* GMime builds every part and header before we see one: it reads up
	 * to where the part guard says and no further.  The raw message is
	 * stored whole. */
	quiet = parser_options_new(NULL);	/* what GMime says there, it says again */
	cut = pd_mail_part_cut(&ctx, quiet, (const char *)view->data, view->len, &cut_reason);
	g_mime_parser_options_free(quiet);
	if (cut < view->len) {
		pd_mail_warn(&ctx, "%s: the message from byte %" G_GSIZE_FORMAT
			     " on is not parsed (it is kept in the raw message)", cut_reason, cut);
		view->len = (guint)cut;
	}
	if (pd_mail_needs_nesting_guard(&ctx, (const char *)view->data, view->len)) {
		if (guarded == NULL) {
			guarded = g_memdup2(data, view->len);
			view->data = (guint8 *)guarded;
		}
		pd_mail_guard_nesting(&ctx, guarded, view->len);
		pd_mail_warn(&ctx, "more than %u nested MIME types (multipart, message), the rest read as leaves",
			     ctx.limits.max_depth * 2);
	}
	if (guarded == NULL)
		ctx.raw_view = view;
	stream = g_mime_stream_mem_new_with_byte_array(view);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	message = g_mime_parser_construct_message(parser, ctx.options);
	if (message != NULL) {
		pd_mail_charset_setup(&ctx, message);
		pd_mail_read_pending_headers(&ctx);
		fill_fields(&ctx, message);
		pd_mail_check_author(&ctx, message);
		pd_mail_walk_body(&ctx, message);
		pd_mail_classify(&ctx, message);
		g_object_unref(message);
	} else {
		pd_mail_warn(&ctx, "GMime found no message");
		pd_mail_read_pending_headers(&ctx);
		pd_mail_check_author(&ctx, NULL);
		ctx.mail->subject = g_strdup("");
		ctx.mail->text_body = pd_mail_to_utf8(&ctx, "body", NULL, body, data + size - body);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	view->data = NULL;
	view->len = 0;
	g_byte_array_free(view, TRUE);
	g_mime_parser_options_free(ctx.options);
	if (ctx.mail->text_body == NULL)
		ctx.mail->text_body = g_strdup("");
	pd_mail_check_utf8(&ctx);
	g_hash_table_unref(ctx.warned);
	g_free(ctx.text_charset);
	g_free(ctx.detected);
	if (ctx.eight_bit != NULL)
		g_string_free(ctx.eight_bit, TRUE);
	g_clear_pointer(&ctx.pending_headers, g_ptr_array_unref);
	return ctx.mail;
}
