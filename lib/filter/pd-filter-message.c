/* pd-filter-message: the parsed mail as the scripts read it
 * (PdSieveMessage over PdMail), and the facts of `fact KEY`.
 *
 * header: the top-level fields in message order; decoded values are RFC
 * 2047-decoded UTF-8 (pd_mail_header_decode), raw values unfolded.
 * postdesk's own header names (X-Postdesk-*) are hidden: anyone outside
 * can write them (issue 16 §4), so no rule may read them.
 * envelope: "from" is MAIL FROM, "to" the RCPT TO of this delivery.
 * body: the text part (text/plain, or the text made of the HTML), the HTML
 * source (text/html), and text attachments (text/<any>) as UTF-8; binary
 * attachments are never searched.  :raw gives the bytes after the header
 * block.  spamtest: the score so far (the scripts before, and this one's
 * score actions before the test), scaled by pd_filter_spamtest_value.
 */
#include "pd-filter-private.h"

#include <string.h>

static gboolean
message_hidden(const char *name)
{
	return g_ascii_strncasecmp(name, "x-postdesk-", 11) == 0;
}

static void
message_header(PdSieveMessage *message, const char *name, gboolean decoded, GPtrArray *values)
{
	PdFilterRun *run = (PdFilterRun *) message;
	const PdMail *mail = run->input->mail;
	gsize len = strlen(name);

	if (message_hidden(name))
		return;
	for (guint i = 0; i < mail->headers->len; i++) {
		const char *field = mail->headers->pdata[i];
		const char *value;

		if (g_ascii_strncasecmp(field, name, len) != 0)
			continue;
		value = field + len;
		while (*value == ' ' || *value == '\t')
			value++;
		if (*value != ':')
			continue;
		value++;
		if (decoded) {
			g_ptr_array_add(values, pd_mail_header_decode(value));
		} else {
			g_autofree char *copy = g_strdup(value);
			char *p, *q;

			/* unfold: CR and LF go, the fold's blank stays */
			for (p = q = copy; *p != '\0'; p++)
				if (*p != '\r' && *p != '\n')
					*q++ = *p;
			*q = '\0';
			g_ptr_array_add(values, g_strdup(g_strstrip(copy)));
		}
	}
}

static const char *
message_envelope(PdSieveMessage *message, const char *part)
{
	PdFilterRun *run = (PdFilterRun *) message;

	if (strcmp(part, "from") == 0)
		return run->input->envelope != NULL ? run->input->envelope->mail_from : NULL;
	if (strcmp(part, "to") == 0)
		return run->input->recipient;
	return NULL;
}

static guint64
message_size(PdSieveMessage *message)
{
	PdFilterRun *run = (PdFilterRun *) message;

	return run->input->raw != NULL ? g_bytes_get_size(run->input->raw)
				       : run->input->mail->raw_size;
}

/* Does content type "type/subtype" match the body test's item ("" any,
 * "text" a type, "text/html" both)? */
static gboolean
message_type_matches(const char *type, const char *item)
{
	const char *slash;

	if (item[0] == '\0')
		return TRUE;
	slash = strchr(item, '/');
	if (slash != NULL)
		return g_ascii_strcasecmp(type, item) == 0;
	return g_ascii_strncasecmp(type, item, strlen(item)) == 0 && type[strlen(item)] == '/';
}

static void
message_raw_body(PdFilterRun *run, GPtrArray *values)
{
	gsize size = 0;
	const char *data;
	const char *body = NULL;

	if (run->input->raw == NULL)
		return;
	if (run->raw_body != NULL) {
		g_ptr_array_add(values, g_strdup(run->raw_body));
		return;
	}
	data = g_bytes_get_data(run->input->raw, &size);
	if (data == NULL || size == 0) {
		g_ptr_array_add(values, g_strdup(""));	/* an empty message has an empty body */
		return;
	}
	for (gsize i = 0; i + 1 < size; i++) {
		if (data[i] == '\n' && data[i + 1] == '\n') {
			body = data + i + 2;
			break;
		}
		if (data[i] == '\n' && data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n') {
			body = data + i + 3;
			break;
		}
	}
	if (body == NULL)
		body = data + size;
	run->raw_body = g_utf8_make_valid(body, data + size - body);
	g_ptr_array_add(values, g_strdup(run->raw_body));
}

/* Attachment i as valid UTF-8, made once per run. */
static const char *
message_part_text(PdFilterRun *run, guint i)
{
	const PdMailAttachment *a = run->input->mail->attachments->pdata[i];

	if (run->part_text == NULL) {
		run->part_text = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_set_size(run->part_text, run->input->mail->attachments->len);
	}
	if (run->part_text->pdata[i] == NULL) {
		gsize len = 0;
		const char *data = g_bytes_get_data(a->content, &len);

		run->part_text->pdata[i] = len > 0 ? g_utf8_make_valid(data, len) : g_strdup("");
	}
	return run->part_text->pdata[i];
}

static void
message_body(PdSieveMessage *message, gboolean raw, const char *const *types, GPtrArray *values)
{
	PdFilterRun *run = (PdFilterRun *) message;
	const PdMail *mail = run->input->mail;
	static const char *const text_only[] = { "text/plain", NULL };

	if (raw) {
		message_raw_body(run, values);
		return;
	}
	if (types == NULL)
		types = text_only;
	for (const char *const *t = types; *t != NULL; t++) {
		if (mail->text_body != NULL && mail->text_body[0] != '\0' &&
		    message_type_matches("text/plain", *t))
			g_ptr_array_add(values, g_strdup(mail->text_body));
		if (mail->html_body != NULL && message_type_matches("text/html", *t))
			g_ptr_array_add(values, g_strdup(mail->html_body));
		for (guint i = 0; i < mail->attachments->len; i++) {
			const PdMailAttachment *a = mail->attachments->pdata[i];

			if (a->content == NULL || a->content_type == NULL ||
			    g_ascii_strncasecmp(a->content_type, "text/", 5) != 0)
				continue;	/* binary parts are never searched */
			if (!message_type_matches(a->content_type, *t))
				continue;
			g_ptr_array_add(values, g_strdup(message_part_text(run, i)));
		}
		if ((*t)[0] == '\0')
			break;	/* "" took every part once */
	}
}

static const char *
message_spamtest(PdSieveMessage *message, gboolean percent)
{
	PdFilterRun *run = (PdFilterRun *) message;

	/* the callback returns a borrowed string: the run keeps it until the
	 * next call */
	g_free(run->spamtest);
	run->spamtest = pd_filter_spamtest_value(run->score, run->quarantine, percent);
	return run->spamtest;
}

static const PdSieveMessageOps message_ops = {
	.header = message_header,
	.envelope = message_envelope,
	.size = message_size,
	.body = message_body,
	.spamtest = message_spamtest,
};

void
pd_filter_run_init(PdFilterRun *run, const PdFilterInput *input, const char *script,
		   double score, double quarantine)
{
	memset(run, 0, sizeof(*run));
	run->message.ops = &message_ops;
	run->input = input;
	run->script = script;
	run->score = score;
	run->quarantine = quarantine;
	run->hits = g_ptr_array_new_with_free_func(pd_filter_hit_free);
	run->actions = g_ptr_array_new_with_free_func(pd_filter_action_free);
}

void
pd_filter_run_clear(PdFilterRun *run)
{
	g_clear_pointer(&run->hits, g_ptr_array_unref);
	g_clear_pointer(&run->actions, g_ptr_array_unref);
	g_clear_pointer(&run->spamtest, g_free);
	g_clear_pointer(&run->raw_body, g_free);
	g_clear_pointer(&run->part_text, g_ptr_array_unref);
}

/* ---- fact KEY ---- */

const char *const pd_filter_fact_keys[] = {
	"class", "warning", "html-only", "hidden-text", "link-host", "attachment-type",
	"attachment-name", "missing", NULL,
};

/* The host names of the http(s) links in text, each once, at most 100. */
static void
fact_link_hosts(const char *text, GPtrArray *values, GHashTable *seen)
{
	const char *p = text;

	while (p != NULL && g_hash_table_size(seen) < 100 &&
	       (p = strstr(p, "http")) != NULL) {
		const char *host, *end;

		p += 4;
		if (*p == 's')
			p++;
		if (strncmp(p, "://", 3) != 0)
			continue;
		host = p + 3;
		end = host;
		while (*end != '\0' && (g_ascii_isalnum(*end) || *end == '.' || *end == '-'))
			end++;
		if (end > host && end - host < 256) {
			char *name = g_ascii_strdown(host, end - host);

			if (g_hash_table_add(seen, name))
				g_ptr_array_add(values, g_strdup(name));
		}
		p = end;
	}
}

/* HTML that hides text from the reader (and shows it to a filter). */
static gboolean
fact_hidden_text(const char *html)
{
	static const char *const markers[] = {
		"display:none", "display: none", "visibility:hidden", "visibility: hidden",
		"font-size:0", "font-size: 0", "font-size:1px", "opacity:0", NULL,
	};
	g_autofree char *lower = NULL;

	if (html == NULL)
		return FALSE;
	lower = g_ascii_strdown(html, MIN(strlen(html), 256 * 1024));
	for (const char *const *m = markers; *m != NULL; m++)
		if (strstr(lower, *m) != NULL)
			return TRUE;
	return FALSE;
}

gboolean
pd_filter_fact_values(const PdFilterInput *input, const char *key, GPtrArray *values)
{
	const PdMail *mail = input->mail;

	if (strcmp(key, "class") == 0) {
		if (mail->class.auto_submitted)
			g_ptr_array_add(values, g_strdup("auto-submitted"));
		if (mail->class.bulk)
			g_ptr_array_add(values, g_strdup("bulk"));
		if (mail->class.list)
			g_ptr_array_add(values, g_strdup("list"));
		if (mail->class.bounce)
			g_ptr_array_add(values, g_strdup("bounce"));
		if (mail->class.auto_reply_suppressed)
			g_ptr_array_add(values, g_strdup("auto-reply-suppressed"));
	} else if (strcmp(key, "warning") == 0) {
		for (guint i = 0; i < mail->warnings->len; i++)
			g_ptr_array_add(values, g_strdup(mail->warnings->pdata[i]));
	} else if (strcmp(key, "html-only") == 0) {
		g_ptr_array_add(values, g_strdup(mail->text_from_html ? "yes" : "no"));
	} else if (strcmp(key, "hidden-text") == 0) {
		g_ptr_array_add(values, g_strdup(fact_hidden_text(mail->html_body) ? "yes" : "no"));
	} else if (strcmp(key, "link-host") == 0) {
		g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal,
								   g_free, NULL);

		if (mail->text_body != NULL)
			fact_link_hosts(mail->text_body, values, seen);
		if (mail->html_body != NULL)
			fact_link_hosts(mail->html_body, values, seen);
	} else if (strcmp(key, "attachment-type") == 0 || strcmp(key, "attachment-name") == 0) {
		gboolean type = strcmp(key, "attachment-type") == 0;

		for (guint i = 0; i < mail->attachments->len; i++) {
			const PdMailAttachment *a = mail->attachments->pdata[i];
			const char *v = type ? a->content_type : a->filename;

			if (v != NULL)
				g_ptr_array_add(values, g_strdup(v));
		}
	} else if (strcmp(key, "missing") == 0) {
		/* the fields RFC 5322 asks for that the mail lacks */
		if (pd_mail_header(mail, "Date") == NULL)
			g_ptr_array_add(values, g_strdup("date"));
		if (pd_mail_header(mail, "Message-ID") == NULL)
			g_ptr_array_add(values, g_strdup("message-id"));
		if (mail->from.address == NULL)
			g_ptr_array_add(values, g_strdup("from"));
		if (pd_mail_header(mail, "Subject") == NULL)
			g_ptr_array_add(values, g_strdup("subject"));
		if (pd_mail_header(mail, "To") == NULL && pd_mail_header(mail, "Cc") == NULL)
			g_ptr_array_add(values, g_strdup("to"));
	} else {
		return FALSE;
	}
	return TRUE;
}
