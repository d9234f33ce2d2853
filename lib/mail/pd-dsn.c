/* pd-dsn: the report parser (contract in pd-dsn.h).
 *
 * GMime gives the MIME tree; a message/delivery-status part's content is a
 * per-message field block and per-recipient blocks separated by blank lines
 * (RFC 3464 section 2), read here with folding undone.  A report without
 * such a part (Exim, qmail, Microsoft, most hosted senders) is read by
 * heuristics on the text: a bounce-looking sender or subject, then the
 * first enhanced status code and SMTP reply code and the addresses next to
 * them.  Limits: MIME depth 32, 500 parts, 64 KiB of text read, 100
 * recipients. */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mail/pd-dsn.h"

#define DSN_MAX_DEPTH 32
#define DSN_MAX_PARTS 500
#define DSN_MAX_TEXT (64 * 1024)

typedef struct {
	PdDsn *dsn;
	GString *text;		/* text/plain of the report, bounded */
	GString *status_part;	/* content of message/delivery-status */
	GString *feedback_part;	/* content of message/feedback-report */
	char *returned_headers;	/* header block of the returned message */
	int parts;
} DsnWalk;

static void
recipient_free(PdDsnRecipient *r)
{
	g_free(r->address);
	g_free(r->original);
	g_free(r->action);
	g_free(r->status);
	g_free(r->diagnostic);
	g_free(r->remote_mta);
	g_free(r);
}

void
pd_dsn_free(PdDsn *dsn)
{
	if (dsn == NULL)
		return;
	g_ptr_array_unref(dsn->recipients);
	g_free(dsn->returned_message_id);
	g_free(dsn->feedback_type);
	g_free(dsn);
}

static char *
part_content(GMimeObject *object, gsize max)
{
	GMimeDataWrapper *wrapper;
	GMimeStream *mem;
	GByteArray *bytes;
	char *out;

	if (!GMIME_IS_PART(object))
		return NULL;
	wrapper = g_mime_part_get_content(GMIME_PART(object));
	if (wrapper == NULL)
		return NULL;
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(wrapper, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	out = g_strndup((const char *)bytes->data, MIN(bytes->len, max));
	g_object_unref(mem);
	return out;
}

static void
append_bounded(GString *s, const char *text)
{
	if (text != NULL && s->len < DSN_MAX_TEXT) {
		g_string_append_len(s, text, MIN(strlen(text), DSN_MAX_TEXT - s->len));
		g_string_append_c(s, '\n');
	}
}

static void
walk(DsnWalk *w, GMimeObject *object, int depth)
{
	GMimeContentType *type;

	if (depth > DSN_MAX_DEPTH || ++w->parts > DSN_MAX_PARTS)
		return;
	type = g_mime_object_get_content_type(object);
	if (GMIME_IS_MULTIPART(object)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(object));

		for (int i = 0; i < n; i++)
			walk(w, g_mime_multipart_get_part(GMIME_MULTIPART(object), i), depth + 1);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(object)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));

		if (inner != NULL && w->returned_headers == NULL) {
			w->returned_headers = g_mime_object_get_headers(GMIME_OBJECT(inner), NULL);
			if (w->dsn->returned_message_id == NULL && g_mime_message_get_message_id(inner))
				w->dsn->returned_message_id = g_strdup(g_mime_message_get_message_id(inner));
		}
		return;
	}
	if (type == NULL)
		return;
	if (g_mime_content_type_is_type(type, "message", "delivery-status") ||
	    g_mime_content_type_is_type(type, "message", "global-delivery-status")) {
		g_autofree char *c = part_content(object, DSN_MAX_TEXT);

		if (c != NULL && w->status_part->len == 0)
			g_string_append(w->status_part, c);
	} else if (g_mime_content_type_is_type(type, "message", "feedback-report")) {
		g_autofree char *c = part_content(object, DSN_MAX_TEXT);

		if (c != NULL && w->feedback_part->len == 0)
			g_string_append(w->feedback_part, c);
	} else if (g_mime_content_type_is_type(type, "text", "rfc822-headers") ||
		   g_mime_content_type_is_type(type, "text", "rfc822-header")) {
		if (w->returned_headers == NULL)
			w->returned_headers = part_content(object, DSN_MAX_TEXT);
	} else if (g_mime_content_type_is_type(type, "text", "*") ||
		   g_mime_content_type_is_type(type, "message", "*")) {
		g_autofree char *c = part_content(object, DSN_MAX_TEXT);

		append_bounded(w->text, c);
	}
}

/* One block of "Name: value" fields (folding undone) into a table of
 * lower-cased names to values (the first of each name). */
static GHashTable *
fields_parse(const char *block)
{
	GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_auto(GStrv) lines = g_strsplit(block, "\n", -1);
	GString *cur = NULL;

	for (int i = 0; ; i++) {
		const char *line = lines[i];
		gboolean cont = line != NULL && (line[0] == ' ' || line[0] == '\t');

		if (cur != NULL && !cont) {
			char *colon = strchr(cur->str, ':');

			if (colon != NULL) {
				g_autofree char *name = g_ascii_strdown(cur->str, colon - cur->str);

				g_strstrip(name);
				if (!g_hash_table_contains(fields, name))
					g_hash_table_insert(fields, g_steal_pointer(&name),
							    g_strstrip(g_strdup(colon + 1)));
			}
			g_string_free(cur, TRUE);
			cur = NULL;
		}
		if (line == NULL)
			break;
		if (cont && cur != NULL) {
			g_string_append_c(cur, ' ');
			g_string_append(cur, line + strspn(line, " \t"));
			g_strchomp(cur->str);
			cur->len = strlen(cur->str);
		} else if (!cont) {
			cur = g_string_new(line);
			g_strchomp(cur->str);
			cur->len = strlen(cur->str);
		}
	}
	return fields;
}

/* "rfc822; <a@b>" -> "a@b" */
static char *
typed_address(const char *value)
{
	const char *semi;
	g_autofree char *v = NULL;
	char *p;

	if (value == NULL)
		return NULL;
	semi = strchr(value, ';');
	v = g_strdup(semi != NULL ? semi + 1 : value);
	g_strstrip(v);
	p = v;
	if (*p == '<')
		p++;
	p[strcspn(p, "> \t")] = '\0';
	if (strchr(p, '@') == NULL)
		return NULL;
	return g_ascii_strdown(p, -1);
}

static char *
typed_text(const char *value)
{
	const char *semi;

	if (value == NULL)
		return NULL;
	semi = strchr(value, ';');
	return g_strstrip(g_strdup(semi != NULL ? semi + 1 : value));
}

static GRegex *
status_regex(void)
{
	static GRegex *re;

	if (g_once_init_enter(&re)) {
		GRegex *r = g_regex_new("(?<![\\d.])([245])\\.(\\d{1,3})\\.(\\d{1,3})(?![\\d.]*\\d)",
					G_REGEX_OPTIMIZE | G_REGEX_RAW, 0, NULL);
		g_once_init_leave(&re, r);
	}
	return re;
}

static GRegex *
reply_regex(void)
{
	static GRegex *re;

	if (g_once_init_enter(&re)) {
		GRegex *r = g_regex_new("(?<![\\d.#-])([245][0-5]\\d)(?:[ -]|$)(?![\\d.]*\\d{2,}\\b[:/])",
					G_REGEX_OPTIMIZE | G_REGEX_MULTILINE | G_REGEX_RAW, 0, NULL);
		g_once_init_leave(&re, r);
	}
	return re;
}

static char *
first_status(const char *text)
{
	g_autoptr(GMatchInfo) m = NULL;

	if (text == NULL || !g_regex_match(status_regex(), text, 0, &m))
		return NULL;
	return g_match_info_fetch(m, 0);
}

static int
first_reply_code(const char *text)
{
	g_autoptr(GMatchInfo) m = NULL;
	g_autofree char *code = NULL;

	if (text == NULL || !g_regex_match(reply_regex(), text, 0, &m))
		return 0;
	code = g_match_info_fetch(m, 1);
	return atoi(code);
}

static void
recipient_add(PdDsn *dsn, GHashTable *f)
{
	PdDsnRecipient *r;
	const char *diag = g_hash_table_lookup(f, "diagnostic-code");

	if (dsn->recipients->len >= PD_DSN_MAX_RECIPIENTS)
		return;
	r = g_new0(PdDsnRecipient, 1);
	r->original = typed_address(g_hash_table_lookup(f, "original-recipient"));
	r->address = typed_address(g_hash_table_lookup(f, "final-recipient"));
	if (r->address == NULL)
		r->address = g_strdup(r->original);
	r->action = g_hash_table_lookup(f, "action") ?
		g_ascii_strdown(g_hash_table_lookup(f, "action"), -1) : NULL;
	r->diagnostic = typed_text(diag);
	r->remote_mta = typed_text(g_hash_table_lookup(f, "remote-mta"));
	r->status = first_status(g_hash_table_lookup(f, "status"));
	if (r->status == NULL)
		r->status = first_status(r->diagnostic);
	r->reply_code = first_reply_code(r->diagnostic);
	g_ptr_array_add(dsn->recipients, r);
}

static void
read_status_part(PdDsn *dsn, const char *content)
{
	g_autofree char *norm = NULL;
	g_auto(GStrv) blocks = NULL;

	norm = g_strdup(content);
	{
		/* CRLF to LF */
		char *o = norm;
		for (const char *i = norm; *i; i++)
			if (*i != '\r')
				*o++ = *i;
		*o = '\0';
	}
	blocks = g_regex_split_simple("\\n[ \\t]*\\n", norm, G_REGEX_RAW, 0);
	if (blocks == NULL)
		return;
	for (int i = 0; blocks[i] != NULL; i++) {
		g_autoptr(GHashTable) f = fields_parse(blocks[i]);

		if (g_hash_table_contains(f, "final-recipient") ||
		    g_hash_table_contains(f, "original-recipient") ||
		    (i > 0 && g_hash_table_contains(f, "status")))
			recipient_add(dsn, f);
	}
}

static gboolean
is_auto_reply(GMimeMessage *message, const char *subject)
{
	const char *as = g_mime_object_get_header(GMIME_OBJECT(message), "Auto-Submitted");
	static const char *const headers[] = { "X-Autoreply", "X-Autorespond", "X-Vacation" };
	static const char *const subjects[] = { "out of office", "out of the office", "auto:",
		"autoreply", "auto-reply", "auto reply", "automatic reply", "auto response", "vacation",
		"abwesenheit", "absence", "away from", "réponse automatique" };
	g_autofree char *lower = g_ascii_strdown(subject != NULL ? subject : "", -1);

	if (as != NULL && g_ascii_strncasecmp(g_strchug((char *)as), "auto-replied", 12) == 0)
		return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(headers); i++)
		if (g_mime_object_get_header(GMIME_OBJECT(message), headers[i]) != NULL)
			return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(subjects); i++)
		if (strstr(lower, subjects[i]) != NULL)
			return TRUE;
	return FALSE;
}

static gboolean
looks_like_bounce(GMimeMessage *message, const char *subject)
{
	InternetAddressList *from = g_mime_message_get_from(message);
	g_autofree char *from_text = from != NULL ? internet_address_list_to_string(from, NULL, FALSE) : NULL;
	g_autofree char *lf = g_ascii_strdown(from_text != NULL ? from_text : "", -1);
	g_autofree char *ls = g_ascii_strdown(subject != NULL ? subject : "", -1);
	static const char *const senders[] = { "mailer-daemon", "postmaster", "mail delivery",
		"maildelivery", "mail-daemon", "mailerdaemon", "bounce", "mmdf", "no-reply@",
		"noreply@", "mail administrator", "system administrator", "mdaemon", "smtp" };
	static const char *const subjects[] = { "undeliver", "undelivered", "delivery fail",
		"delivery status", "failure notice", "returned mail", "mail delivery", "non-deliver",
		"nondeliver", "delivery problem", "could not be delivered", "not delivered",
		"delivery notification", "failed delivery", "rejected", "returned to sender",
		"undeliverable", "delivery error", "mail system error", "warning: could not",
		"permanent error", "mail failure", "delayed mail", "delivery report",
		"message you sent", "error sending", "delivery has failed", "unzustellbar",
		"there was an error", "unable to deliver", "bounce", "problem delivering",
		"delivery unsuccessful", "sending failed", "failed to deliver" };

	for (gsize i = 0; i < G_N_ELEMENTS(senders); i++)
		if (strstr(lf, senders[i]) != NULL)
			return TRUE;
	for (gsize i = 0; i < G_N_ELEMENTS(subjects); i++)
		if (strstr(ls, subjects[i]) != NULL)
			return TRUE;
	return FALSE;
}

/* The lines around the first status or reply code (else the first 2000
 * bytes): what the remote server said, without the boilerplate. */
static char *
text_near_code(const char *text)
{
	g_autoptr(GMatchInfo) m = NULL;
	int start = -1, end;
	const char *from, *to;

	if (g_regex_match(status_regex(), text, 0, &m))
		g_match_info_fetch_pos(m, 0, &start, &end);
	g_clear_pointer(&m, g_match_info_free);
	if (start < 0 && g_regex_match(reply_regex(), text, 0, &m))
		g_match_info_fetch_pos(m, 0, &start, &end);
	if (start < 0)
		return g_strstrip(g_strndup(text, MIN(strlen(text), 2000)));
	from = text + start;
	while (from > text && from[-1] != '\n')
		from--;
	if (from > text + 1) {		/* one line before: "said:" lines */
		from--;
		while (from > text && from[-1] != '\n')
			from--;
	}
	to = text + start;
	for (int lines = 0; *to != '\0' && lines < 3; to++)
		if (*to == '\n')
			lines++;
	return g_strstrip(g_strndup(from, MIN((gsize)(to - from), 2000)));
}

/* A non-standard bounce: the first status code and reply code in the text,
 * and the address nearest before them (else the first one). */
static void
read_heuristic(PdDsn *dsn, const char *text)
{
	PdDsnRecipient *r = g_new0(PdDsnRecipient, 1);
	g_autoptr(GMatchInfo) m = NULL;
	static GRegex *addr;

	if (g_once_init_enter(&addr)) {
		GRegex *a = g_regex_new("[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+",
					G_REGEX_OPTIMIZE | G_REGEX_RAW, 0, NULL);
		g_once_init_leave(&addr, a);
	}
	r->status = first_status(text);
	r->reply_code = first_reply_code(text);
	if (g_regex_match(addr, text, 0, &m)) {
		g_autofree char *a = g_match_info_fetch(m, 0);

		r->address = g_ascii_strdown(a, -1);
	}
	r->action = g_strdup("failed");
	r->diagnostic = text_near_code(text);
	g_ptr_array_add(dsn->recipients, r);
}

/* text in lower case with every run of white space one space (Postfix
 * folds its lines anywhere) */
static char *
words_lower(const char *text)
{
	GString *out = g_string_sized_new(MIN(strlen(text), DSN_MAX_TEXT));

	for (const char *p = text; *p != '\0' && out->len < DSN_MAX_TEXT; p++) {
		if (g_ascii_isspace(*p)) {
			if (out->len > 0 && out->str[out->len - 1] != ' ')
				g_string_append_c(out, ' ');
		} else {
			g_string_append_c(out, g_ascii_tolower(*p));
		}
	}
	return g_string_free(out, FALSE);
}

static void
classify(PdDsn *dsn, const char *text)
{
	gboolean any_failed = FALSE, any_delivered = FALSE;

	dsn->kind = PD_DSN_NONE;
	g_autofree char *lower = text != NULL ? words_lower(text) : NULL;
	/* Postfix writes the SMTP stage in the text part, not in the
	 * Diagnostic-Code ("(in reply to end of DATA command)"); with one
	 * recipient it is that recipient's, and the rule reads it too */
	gboolean after_data = dsn->recipients->len == 1 && lower != NULL &&
			      strstr(lower, "in reply to end of data command") != NULL;

	for (guint i = 0; i < dsn->recipients->len; i++) {
		PdDsnRecipient *r = dsn->recipients->pdata[i];
		const char *t = r->diagnostic != NULL && *r->diagnostic ? r->diagnostic : text;
		g_autofree char *staged = after_data && t != text
			? g_strconcat(t, " (in reply to end of DATA command)", NULL) : NULL;

		r->kind = pd_dsn_classify(r->action, r->status, r->reply_code,
					  staged != NULL ? staged : t);
		if (r->kind == PD_DSN_DELIVERED && dsn->standard && r->diagnostic == NULL && text != NULL &&
		    r->action == NULL)
			r->kind = pd_dsn_classify(NULL, r->status, r->reply_code, text);
		if (r->kind == PD_DSN_HARD)
			dsn->kind = PD_DSN_HARD;
		else if (r->kind == PD_DSN_SOFT && dsn->kind != PD_DSN_HARD)
			dsn->kind = PD_DSN_SOFT;
		if (r->kind == PD_DSN_DELIVERED)
			any_delivered = TRUE;
		else
			any_failed = TRUE;
	}
	if (!any_failed && any_delivered)
		dsn->kind = PD_DSN_DELIVERED;
}

static PdDsn *
dsn_read(GMimeMessage *message)
{
	GMimeContentType *type;
	const char *report_type = NULL;
	const char *subject;
	DsnWalk w = { 0 };
	PdDsn *dsn;

	if (g_mime_message_get_mime_part(message) == NULL)
		return NULL;
	dsn = g_new0(PdDsn, 1);
	dsn->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)recipient_free);
	w.dsn = dsn;
	w.text = g_string_new(NULL);
	w.status_part = g_string_new(NULL);
	w.feedback_part = g_string_new(NULL);
	type = g_mime_object_get_content_type(g_mime_message_get_mime_part(message));
	if (type != NULL && g_mime_content_type_is_type(type, "multipart", "report"))
		report_type = g_mime_content_type_get_parameter(type, "report-type");
	subject = g_mime_message_get_subject(message);
	walk(&w, g_mime_message_get_mime_part(message), 0);

	if (w.feedback_part->len > 0 ||
	    (report_type != NULL && g_ascii_strcasecmp(report_type, "feedback-report") == 0)) {
		g_autoptr(GHashTable) f = fields_parse(w.feedback_part->str);
		const char *ft = g_hash_table_lookup(f, "feedback-type");

		dsn->kind = PD_DSN_FEEDBACK;
		dsn->feedback_type = ft != NULL ? g_ascii_strdown(ft, -1) : NULL;
		if (g_hash_table_lookup(f, "original-rcpt-to") != NULL) {
			PdDsnRecipient *r = g_new0(PdDsnRecipient, 1);

			r->address = typed_address(g_hash_table_lookup(f, "original-rcpt-to"));
			r->kind = PD_DSN_FEEDBACK;
			g_ptr_array_add(dsn->recipients, r);
		}
	} else if (w.status_part->len > 0) {
		dsn->standard = TRUE;
		read_status_part(dsn, w.status_part->str);
		if (dsn->recipients->len == 0)
			read_heuristic(dsn, w.text->str);
		classify(dsn, w.text->str);
	} else if (is_auto_reply(message, subject) && !looks_like_bounce(message, subject)) {
		dsn->kind = PD_DSN_AUTO_REPLY;
	} else if ((report_type != NULL && g_ascii_strcasecmp(report_type, "delivery-status") == 0) ||
		   looks_like_bounce(message, subject)) {
		read_heuristic(dsn, w.text->str);
		classify(dsn, w.text->str);
	}
	if (dsn->kind != PD_DSN_NONE && dsn->returned_message_id == NULL && w.returned_headers != NULL) {
		g_autoptr(GHashTable) f = fields_parse(w.returned_headers);
		const char *id = g_hash_table_lookup(f, "message-id");

		if (id != NULL) {
			g_autofree char *v = g_strdup(id);
			char *p = v + strspn(v, " \t<");

			p[strcspn(p, "> \t")] = '\0';
			if (*p != '\0')
				dsn->returned_message_id = g_strdup(p);
		}
	}
	g_string_free(w.text, TRUE);
	g_string_free(w.status_part, TRUE);
	g_string_free(w.feedback_part, TRUE);
	g_free(w.returned_headers);
	if (dsn->kind == PD_DSN_NONE) {
		pd_dsn_free(dsn);
		return NULL;
	}
	return dsn;
}

PdDsn *
pd_dsn_parse(const char *raw, gsize length)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, length);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
	PdDsn *dsn = message != NULL ? dsn_read(message) : NULL;

	g_clear_object(&message);
	g_object_unref(parser);
	g_object_unref(stream);
	return dsn;
}
