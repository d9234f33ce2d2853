/* pd-explain: `postdesk test`, the pipeline's decisions without storing.
 *
 * Parses the message exactly as delivery does, then reports every field,
 * the queue, idempotency key and threading decision per recipient, as one
 * JSON object (hand-written with proper escaping: json-glib is not a
 * dependency) or as readable text.  The database, when given, is only read.
 */
#include "pd-pipeline.h"
#include "filter/pd-filter.h"
#include "pd-pipeline-bounce.h"
#include "pd-pipeline-private.h"
#include "core/pd-json.h"
#include "pd-pipeline-auth.h"
#include "core/pd-address.h"
#include "core/pd-error.h"
#include "mail/pd-mail.h"
#include "store/pd-store-outbound.h"
#include "ticket/pd-authorization.h"
#include "ticket/pd-ticket.h"

#include <string.h>

typedef struct {
	char *recipient;
	char *canonical;
	const char *queue;	/* borrowed from the config, NULL: unknown */
	char *subaddress;
	char *key;
	const char *decision;	/* "new", "existing", "unknown" */
	gint64 ticket;
	char *reason;
	char *identity_json;	/* pd_identity_decision_json(), NULL: not identified */
	char *identity_text;
	char *agent_json;	/* pd_pipeline_agent_explain(), NULL: not an agent */
	char *agent_text;
	PdAutoreplyExplain ack;	/* pd_pipeline_autoreply_explain() */
	GPtrArray *notify;	/* PdNotifyTarget *: pd_store_notify_plan() */
	char *notify_error;	/* why notify is NULL */
	char *approval_action;	/* pd_store_authorization_explain(), NULL: nothing */
	char *approval_detail;
} ExplainRecipient;

static void
explain_recipient_free(gpointer data)
{
	ExplainRecipient *r = data;

	g_free(r->recipient);
	g_free(r->canonical);
	g_free(r->subaddress);
	g_free(r->key);
	g_free(r->reason);
	g_free(r->identity_json);
	g_free(r->identity_text);
	g_free(r->agent_json);
	g_free(r->agent_text);
	pd_autoreply_explain_clear(&r->ack);
	g_clear_pointer(&r->notify, g_ptr_array_unref);
	g_free(r->notify_error);
	g_free(r->approval_action);
	g_free(r->approval_detail);
	g_free(r);
}

/* --- JSON ---------------------------------------------------------------- */

/* ,"key": */
static void
json_key(GString *out, const char *key)
{
	char last = out->len > 0 ? out->str[out->len - 1] : '\0';

	if (last != '{' && last != '[')
		g_string_append_c(out, ',');
	pd_json_string(out, key);
	g_string_append_c(out, ':');
}

static void
json_member_string(GString *out, const char *key, const char *value)
{
	json_key(out, key);
	pd_json_string(out, value);
}

static void
json_member_bool(GString *out, const char *key, gboolean value)
{
	json_key(out, key);
	g_string_append(out, value ? "true" : "false");
}

static void
json_member_int(GString *out, const char *key, gint64 value)
{
	json_key(out, key);
	g_string_append_printf(out, "%" G_GINT64_FORMAT, value);
}

static void
json_address_value(GString *out, const PdMailAddress *address)
{
	g_string_append_c(out, '{');
	json_member_string(out, "address", address->address);
	json_member_string(out, "name", address->name);
	g_string_append_c(out, '}');
}

static void
json_address(GString *out, const char *key, const PdMailAddress *address)
{
	json_key(out, key);
	json_address_value(out, address);
}

static void
json_addresses(GString *out, const char *key, GPtrArray *addresses)
{
	json_key(out, key);
	g_string_append_c(out, '[');
	for (guint i = 0; addresses != NULL && i < addresses->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		json_address_value(out, addresses->pdata[i]);
	}
	g_string_append_c(out, ']');
}

static void
json_strings(GString *out, const char *key, GPtrArray *strings)
{
	json_key(out, key);
	g_string_append_c(out, '[');
	for (guint i = 0; strings != NULL && i < strings->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		pd_json_string(out, strings->pdata[i]);
	}
	g_string_append_c(out, ']');
}

static char *
explain_date(gint64 date)
{
	g_autoptr(GDateTime) dt = NULL;

	if (date == 0)
		return NULL;
	dt = g_date_time_new_from_unix_utc(date);
	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

static char *
explain_json(const PdEnvelope *envelope, const PdMail *mail, GPtrArray *candidates,
	     const PdPipelineAuthOutcome *auth, GPtrArray *recipients,
	     const PdFilterOutcome *filter, const PdBounceMatch *bounce)
{
	g_autofree char *filter_json = pd_filter_outcome_json(filter);
	g_autofree char *bounce_json = pd_pipeline_bounce_json(bounce);
	GString *out = g_string_new("{");
	g_autofree char *date = explain_date(mail->date);

	json_key(out, "envelope");
	g_string_append_c(out, '{');
	json_member_string(out, "mail_from", envelope->mail_from);
	json_strings(out, "recipients", envelope->recipients);
	g_string_append_c(out, '}');
	/* pd_pipeline_authenticate(): mode, client_*, spf, dkim [], dmarc,
	 * from_authenticated, temporary, results, notes [] */
	json_key(out, "authentication");
	g_string_append(out, auth->json);

	json_address(out, "from", &mail->from);
	json_member_string(out, "sender", mail->sender);
	json_addresses(out, "to", mail->to);
	json_addresses(out, "cc", mail->cc);
	json_address(out, "reply_to", &mail->reply_to);
	json_member_string(out, "subject", mail->subject);
	json_member_string(out, "message_id", mail->message_id);
	json_member_string(out, "in_reply_to", mail->in_reply_to);
	json_strings(out, "references", mail->references);
	json_member_string(out, "date", date);
	json_member_string(out, "text_body", mail->text_body);
	json_member_bool(out, "text_from_html", mail->text_from_html);
	json_member_int(out, "html_body_size",
			mail->html_body != NULL ? (gint64)strlen(mail->html_body) : 0);

	json_key(out, "attachments");
	g_string_append_c(out, '[');
	for (guint i = 0; mail->attachments != NULL && i < mail->attachments->len; i++) {
		const PdMailAttachment *a = mail->attachments->pdata[i];

		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append_c(out, '{');
		json_member_string(out, "filename", a->filename);
		json_member_string(out, "content_type", a->content_type);
		json_member_string(out, "content_id", a->content_id);
		json_member_bool(out, "inline", a->inline_part);
		json_member_int(out, "size", (gint64)a->size);
		json_member_string(out, "sha256", a->sha256);
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
	json_strings(out, "warnings", mail->warnings);

	json_key(out, "class");
	g_string_append_c(out, '{');
	json_member_bool(out, "auto_submitted", mail->class.auto_submitted);
	json_member_bool(out, "bulk", mail->class.bulk);
	json_member_bool(out, "list", mail->class.list);
	json_member_bool(out, "bounce", mail->class.bounce);
	json_member_bool(out, "auto_reply_suppressed", mail->class.auto_reply_suppressed);
	g_string_append_c(out, '}');
	/* the bounce step (pd-pipeline-bounce.h): null, or what came back */
	json_key(out, "bounce");
	g_string_append(out, bounce_json);

	json_member_string(out, "body_sha256", mail->body_sha256);
	json_member_string(out, "raw_sha256", mail->raw_sha256);
	json_member_int(out, "raw_size", (gint64)mail->raw_size);
	json_strings(out, "thread_candidates", candidates);

	json_key(out, "recipients");
	g_string_append_c(out, '[');
	for (guint i = 0; i < recipients->len; i++) {
		const ExplainRecipient *r = recipients->pdata[i];

		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append_c(out, '{');
		json_member_string(out, "recipient", r->recipient);
		json_member_string(out, "canonical", r->canonical);
		json_member_string(out, "queue", r->queue);
		json_member_string(out, "subaddress", r->subaddress);
		json_member_string(out, "idempotency_key", r->key);
		json_key(out, "thread");
		g_string_append_c(out, '{');
		json_member_string(out, "decision", r->decision);
		json_key(out, "ticket");
		if (r->ticket > 0)
			g_string_append_printf(out, "%" G_GINT64_FORMAT, r->ticket);
		else
			g_string_append(out, "null");
		json_member_string(out, "reason", r->reason);
		g_string_append_c(out, '}');
		json_key(out, "identity");
		g_string_append(out, r->identity_json != NULL ? r->identity_json : "null");
		json_key(out, "agent");
		g_string_append(out, r->agent_json != NULL ? r->agent_json : "null");
		json_key(out, "acknowledge");
		g_string_append_c(out, '{');
		json_member_bool(out, "send", r->ack.send);
		json_member_string(out, "reason", r->ack.reason);
		json_member_string(out, "to", r->ack.to);
		g_string_append_c(out, '}');
		json_key(out, "notify");
		if (r->notify == NULL)
			g_string_append(out, "null");
		else
			g_string_append_c(out, '[');
		for (guint j = 0; r->notify != NULL && j < r->notify->len; j++) {
			const PdNotifyTarget *t = r->notify->pdata[j];

			if (j > 0)
				g_string_append_c(out, ',');
			g_string_append_c(out, '{');
			json_member_string(out, "kind", t->kind);
			json_member_string(out, "address", t->address);
			json_member_string(out, "name", t->name);
			json_member_string(out, "why", t->why);
			g_string_append_c(out, '}');
		}
		if (r->notify != NULL)
			g_string_append_c(out, ']');
		json_key(out, "authorization");
		if (r->approval_action != NULL) {
			g_string_append_c(out, '{');
			json_member_string(out, "action", r->approval_action);
			json_member_string(out, "detail", r->approval_detail);
			g_string_append_c(out, '}');
		} else {
			g_string_append(out, "null");
		}
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
	/* the rules' outcome (pd_filter_outcome_json), its members at the top:
	 * score, rules, actions, disposition, category, ...; "stored" stays last */
	g_strstrip(filter_json);
	if (strlen(filter_json) > 2) {
		g_string_append_c(out, ',');
		g_string_append_len(out, filter_json + 1, strlen(filter_json) - 2);
	}
	json_member_bool(out, "stored", FALSE);
	g_string_append(out, "}\n");
	return g_string_free(out, FALSE);
}

/* --- readable text ------------------------------------------------------- */

static void
text_field(GString *out, const char *label, const char *value)
{
	g_autofree char *valid = g_utf8_make_valid(value != NULL ? value : "", -1);

	g_string_append_printf(out, "%-16s %s\n", label, valid);
}

static void
text_msgid(GString *out, const char *label, const char *msgid)
{
	g_autofree char *value = msgid != NULL ? g_strdup_printf("<%s>", msgid) : NULL;

	text_field(out, label, value != NULL ? value : "(none)");
}

static void
text_address(GString *out, const char *label, const PdMailAddress *a)
{
	g_autofree char *value = NULL;

	if (a->address == NULL && a->name == NULL)
		value = g_strdup("(none)");
	else if (a->name != NULL && *a->name != '\0')
		value = g_strdup_printf("%s <%s>", a->name, a->address ? a->address : "");
	else
		value = g_strdup_printf("<%s>", a->address);
	text_field(out, label, value);
}

static void
text_addresses(GString *out, const char *label, GPtrArray *addresses)
{
	if (addresses == NULL || addresses->len == 0) {
		text_field(out, label, "(none)");
		return;
	}
	for (guint i = 0; i < addresses->len; i++)
		text_address(out, i == 0 ? label : "", addresses->pdata[i]);
}

/* "Notify:" lines: one per agent mail, or why nobody gets one. */
static void
explain_text_notify(GString *out, const ExplainRecipient *r)
{
	if (r->notify == NULL) {
		text_field(out, "  Notify:", r->notify_error);
		return;
	}
	for (guint i = 0; i < r->notify->len; i++) {
		const PdNotifyTarget *t = r->notify->pdata[i];
		g_autofree char *line = NULL;

		if (t->address == NULL)
			line = g_strdup_printf("nobody (%s)", t->why);
		else
			line = g_strdup_printf("%s %s%s%s (%s)", t->kind, t->address,
					       t->name != NULL ? ", " : "",
					       t->name != NULL ? t->name : "", t->why);
		text_field(out, i == 0 ? "  Notify:" : "", line);
	}
}

static char *
explain_text(const PdEnvelope *envelope, const PdMail *mail, GPtrArray *candidates,
	     const PdPipelineAuthOutcome *auth, GPtrArray *recipients,
	     const PdFilterOutcome *filter, const PdBounceMatch *bounce)
{
	g_autofree char *bounce_summary = pd_pipeline_bounce_summary(bounce);
	g_autofree char *auth_summary = pd_pipeline_auth_summary(auth);
	g_autofree char *client = g_strdup_printf("%s (helo %s; %s)",
		auth->client_address != NULL ? auth->client_address : "unknown",
		auth->client_helo != NULL ? auth->client_helo : "unknown",
		g_strcmp0(auth->client_source, "envelope") == 0 ? "from the envelope" :
		g_strcmp0(auth->client_source, "received") == 0 ?
		"from a trusted relay's Received header" : "no client address known");
	GString *out = g_string_new("");
	g_autofree char *date = explain_date(mail->date);
	g_autoptr(GString) class = g_string_new("");
	g_auto(GStrv) lines = NULL;

	text_field(out, "Envelope from:", envelope->mail_from != NULL ?
		   (*envelope->mail_from != '\0' ? envelope->mail_from : "<> (null sender)") :
		   "(not given)");
	text_address(out, "From:", &mail->from);
	if (mail->sender != NULL)
		text_field(out, "Sender:", mail->sender);
	text_addresses(out, "To:", mail->to);
	text_addresses(out, "Cc:", mail->cc);
	text_address(out, "Reply-To:", &mail->reply_to);
	text_field(out, "Subject:", mail->subject);
	text_msgid(out, "Message-ID:", mail->message_id);
	text_msgid(out, "In-Reply-To:", mail->in_reply_to);
	if (mail->references == NULL || mail->references->len == 0)
		text_field(out, "References:", "(none)");
	for (guint i = 0; mail->references != NULL && i < mail->references->len; i++)
		text_msgid(out, i == 0 ? "References:" : "", mail->references->pdata[i]);
	text_field(out, "Date:", date != NULL ? date : "(none or unreadable)");
	if (mail->class.auto_submitted)
		g_string_append(class, " auto-submitted");
	if (mail->class.bulk)
		g_string_append(class, " bulk");
	if (mail->class.list)
		g_string_append(class, " list");
	if (mail->class.bounce)
		g_string_append(class, " bounce");
	if (mail->class.auto_reply_suppressed)
		g_string_append(class, " auto-reply-suppressed");
	text_field(out, "Class:", class->len > 0 ? class->str + 1 : "personal");
	text_field(out, "Bounce:", bounce_summary);
	pd_pipeline_bounce_text(out, bounce);
	text_field(out, "Client:", client);
	text_field(out, "Authentication:", auth_summary);
	if (auth->result != NULL) {
		const PdAuthResult *ar = auth->result;

		text_field(out, "  SPF:", pd_auth_status_name(ar->spf));
		for (guint i = 0; i < ar->dkim->len; i++) {
			const PdDkimSignature *sig = ar->dkim->pdata[i];
			g_autofree char *line = g_strdup_printf("%s d=%s s=%s%s (%s)",
				pd_auth_status_name(sig->status), sig->domain, sig->selector,
				sig->aligned ? " aligned" : "", sig->reason ? sig->reason : "");

			text_field(out, "  DKIM:", line);
		}
		if (ar->dkim->len == 0)
			text_field(out, "  DKIM:", "none");
		text_field(out, "  DMARC:", pd_auth_status_name(ar->dmarc));
		text_field(out, "  Results:", auth->results);
		for (guint i = 0; i < ar->notes->len; i++)
			text_field(out, "  Note:", ar->notes->pdata[i]);
	}
	g_string_append_printf(out, "%-16s %zu bytes, sha256 %s\n", "Raw:", mail->raw_size,
			       mail->raw_sha256);
	text_field(out, "Body SHA-256:", mail->body_sha256);

	if (mail->attachments == NULL || mail->attachments->len == 0)
		text_field(out, "Attachments:", "(none)");
	else
		text_field(out, "Attachments:", "");
	for (guint i = 0; mail->attachments != NULL && i < mail->attachments->len; i++) {
		const PdMailAttachment *a = mail->attachments->pdata[i];
		g_autofree char *name = g_utf8_make_valid(a->filename ? a->filename :
							  "(no name)", -1);

		g_string_append_printf(out, "  %u. %s  %s%s  %zu bytes  sha256 %s\n", i + 1,
				       name, a->content_type ? a->content_type : "?",
				       a->inline_part ? " (inline)" : "", a->size, a->sha256);
	}
	if (mail->warnings == NULL || mail->warnings->len == 0)
		text_field(out, "Warnings:", "(none)");
	for (guint i = 0; mail->warnings != NULL && i < mail->warnings->len; i++)
		text_field(out, i == 0 ? "Warnings:" : "", mail->warnings->pdata[i]);
	if (candidates->len > 0)
		for (guint i = 0; i < candidates->len; i++)
			text_msgid(out, i == 0 ? "Thread by:" : "", candidates->pdata[i]);

	if (recipients->len == 0)
		text_field(out, "Recipients:", "(none: give --to ADDRESS)");
	for (guint i = 0; i < recipients->len; i++) {
		const ExplainRecipient *r = recipients->pdata[i];
		g_autofree char *queue = NULL;
		g_autofree char *thread = NULL;
		g_autofree char *ack = NULL;

		g_string_append_c(out, '\n');
		text_field(out, "Recipient:", r->recipient);
		if (r->queue == NULL && bounce != NULL && bounce->to_bounce_address)
			queue = g_strdup("(none: the bounce address, see Bounce: above)");
		else if (r->queue == NULL)
			queue = g_strdup("(none: 550 5.1.1 unknown queue)");
		else if (r->subaddress != NULL)
			queue = g_strdup_printf("%s (subaddress \"%s\")", r->queue, r->subaddress);
		else
			queue = g_strdup(r->queue);
		text_field(out, "  Queue:", queue);
		text_field(out, "  Key:", r->key ? r->key : "-");
		if (strcmp(r->decision, "existing") == 0)
			thread = g_strdup_printf("existing ticket %" G_GINT64_FORMAT " (%s)",
						 r->ticket, r->reason ? r->reason : "");
		else if (strcmp(r->decision, "new") == 0)
			thread = g_strdup("new ticket");
		else
			thread = g_strdup_printf("unknown (%s)", r->reason ? r->reason : "");
		text_field(out, "  Threading:", thread);
		text_field(out, "  Requester:", r->identity_text);
		if (r->agent_text != NULL)
			text_field(out, "  Agent:", r->agent_text);
		ack = g_strdup_printf("%s (%s)", r->ack.send ? "yes" : "no", r->ack.reason);
		text_field(out, "  Acknowledge:", ack);
		explain_text_notify(out, r);
		if (r->approval_action != NULL) {
			g_autofree char *approval = g_strdup_printf("%s (%s)", r->approval_action,
								    r->approval_detail);

			text_field(out, "  Authorization:", approval);
		}
	}

	g_string_append_printf(out, "\nText body%s:\n", mail->text_from_html ?
			       " (converted from HTML)" : "");
	lines = g_strsplit(mail->text_body != NULL ? mail->text_body : "", "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree char *line = g_utf8_make_valid(lines[i], -1);

		if (lines[i + 1] == NULL && *line == '\0')
			break;
		g_string_append_printf(out, "  | %s\n", line);
	}
	if (filter->ran) {
		g_autofree char *summary = pd_filter_outcome_summary(filter);

		g_string_append_printf(out, "\nRules: %s\n", summary);
		for (guint i = 0; i < filter->actions->len; i++) {
			const PdFilterAction *a = filter->actions->pdata[i];
			g_autofree char *value = g_utf8_make_valid(a->value != NULL ? a->value : "", -1);

			g_string_append_printf(out, "  %s:%u: %s%s%s\n", a->script, a->line, a->action,
					       a->value != NULL ? " " : "", value);
		}
		for (guint i = 0; i < filter->errors->len; i++)
			g_string_append_printf(out, "  error: %s\n", (char *) filter->errors->pdata[i]);
		g_string_append_printf(out, "  disposition: %s", pd_disposition_name(filter->disposition));
		if (filter->reason != NULL)
			g_string_append_printf(out, " (%s)", filter->reason);
		g_string_append_c(out, '\n');
		if (filter->category != NULL)
			g_string_append_printf(out, "  category: %s\n", filter->category);
	}
	g_string_append(out, "\nNothing was stored.\n");
	return g_string_free(out, FALSE);
}

/* --- decisions ----------------------------------------------------------- */

static void
explain_add_header_recipients(GPtrArray *names, PdConfig *config, GPtrArray *addresses)
{
	for (guint i = 0; addresses != NULL && i < addresses->len; i++) {
		const PdMailAddress *a = addresses->pdata[i];

		if (a->address != NULL && pd_config_queue_for(config, a->address, NULL) != NULL)
			g_ptr_array_add(names, g_strdup(a->address));
	}
}

/* Who the From is for this recipient's queue (the same step as delivery,
 * with the authenticate step's verdict). */
static void
explain_identity(ExplainRecipient *r, PdConfig *config, PdStore *store,
		 const PdQueueConfig *queue, const PdMail *mail, gboolean from_authenticated)
{
	g_autoptr(GError) error = NULL;
	PdIdentityDecision d;
	const char *held;

	if (queue == NULL) {
		r->identity_text = g_strdup("- (no queue)");
		return;
	}
	if (store == NULL) {
		r->identity_text = g_strdup("unknown (no database)");
		return;
	}
	if (!pd_pipeline_identify(store, config, queue, mail, from_authenticated, NULL, &d,
				  &error)) {
		r->identity_text = g_strdup_printf("unknown (database error: %s)", error->message);
		return;
	}
	held = pd_hold_name(d.hold);
	r->identity_json = pd_identity_decision_json(&d);
	r->identity_text = g_strdup_printf("%s, %s, %s%s%s%s; %s",
		pd_requester_kind_name(d.kind),
		d.authenticated ? "authenticated" : "not authenticated",
		d.authorized ? "authorized" : d.needs_authorization ? "needs authorization"
		: "no authorization needed",
		d.needs_authorization ? " (" : "",
		d.needs_authorization ? d.permission : "",
		d.needs_authorization ? ")" : "", d.reason);
	if (held != NULL) {
		char *text = g_strdup_printf("%s; held (%s)", r->identity_text, held);

		g_free(r->identity_text);
		r->identity_text = text;
	}
	r->agent_text = pd_pipeline_agent_explain(config, store, r->ticket, mail, &d,
						  &r->agent_json);
	pd_identity_decision_clear(&d);
}

/* The delivery's threading decision (pd-pipeline-thread.c, pd_thread_decide
 * in sql/functions/thread.sql), with the delivery's facts: the sender is
 * the From, else the envelope sender (as pd_deliver_message's requester),
 * and the identity decides whether it takes part as the account's contact. */
static gboolean
explain_thread(PdConfig *config, PdStore *store, const PdEnvelope *envelope, const PdMail *mail,
	       GPtrArray *candidates, const char *recipient, const PdQueueConfig *queue,
	       gboolean from_authenticated, ExplainRecipient *r, GError **error)
{
	const char *from = mail->from.address;
	PdIdentityDecision identity = { 0 };
	PdThreadFacts thread;
	gboolean ok;

	if (from == NULL && envelope->mail_from != NULL && *envelope->mail_from != '\0')
		from = envelope->mail_from;
	pd_pipeline_thread_facts(config, recipient, envelope, mail, candidates, &thread);
	if (queue != NULL && pd_pipeline_identify(store, config, queue, mail, from_authenticated,
						  NULL, &identity, NULL))
		pd_pipeline_thread_contact(&identity, queue->name, &thread);
	ok = pd_store_thread_decide(store, candidates, mail->in_reply_to, from, &thread,
				    &r->ticket, &r->reason, error);
	pd_thread_facts_clear(&thread);
	pd_identity_decision_clear(&identity);
	return ok;
}

/* Who would hear of it: the delivery's own plan (pd_notify_plan in
 * sql/functions/notify.sql). */
static void
explain_notify(ExplainRecipient *r, PdConfig *config, PdStore *store,
	       const PdQueueConfig *queue, const PdMail *mail)
{
	g_autoptr(PdNotifySettings) settings = NULL;
	g_autoptr(GError) error = NULL;
	PdNotifyRequest request;

	if (queue == NULL) {
		r->notify_error = g_strdup("- (no queue)");
		return;
	}
	if (store == NULL || strcmp(r->decision, "unknown") == 0) {
		r->notify_error = g_strdup("unknown (no database)");
		return;
	}
	settings = pd_pipeline_notify_settings(config);
	pd_pipeline_notify_request(config, queue, mail, settings, &request);
	if (!request.wanted) {
		r->notify_error = g_strdup("nobody ([outbound] missing or notify_agents = no)");
		return;
	}
	if (!pd_store_notify_plan(store, r->ticket, &request, r->identity_json, &r->notify,
				  &error))
		r->notify_error = g_strdup_printf("unknown (database error: %s)", error->message);
	pd_notify_request_clear(&request);
}

/* The holder's approval (pd_authorization_explain,
 * sql/functions/authorization.sql): asked for a new ticket, or this mail is
 * the holder's answer on an existing one.  Needs the acknowledgement's
 * request: the delivery asks by it (a mail that gets no automatic reply
 * asks nobody, nor one past the holder's cap). */
static void
explain_authorization(ExplainRecipient *r, PdConfig *config, PdStore *store,
		      const PdEnvelope *envelope, const PdMail *mail, GPtrArray *candidates)
{
	g_autoptr(GError) error = NULL;
	const char *answer = pd_approval_answer_name(pd_approval_answer_parse(mail->text_body));
	PdThreadFacts thread;

	if (store == NULL || r->identity_json == NULL || strcmp(r->decision, "unknown") == 0)
		return;
	pd_pipeline_thread_facts(config, r->recipient, envelope, mail, candidates, &thread);
	if (!pd_store_authorization_explain(store, r->ticket, r->identity_json, &thread, answer,
					    &r->ack.request,
					    &r->approval_action, &r->approval_detail, &error)) {
		r->approval_action = g_strdup("unknown");
		r->approval_detail = g_strdup_printf("database error: %s", error->message);
	}
	pd_thread_facts_clear(&thread);
}

static ExplainRecipient *
explain_recipient(PdConfig *config, PdStore *store, const PdEnvelope *envelope,
		  const PdMail *mail, GPtrArray *candidates, gboolean from_authenticated,
		  const char *recipient)
{
	ExplainRecipient *r = g_new0(ExplainRecipient, 1);
	const PdQueueConfig *queue;
	g_autoptr(GError) error = NULL;

	r->recipient = g_strdup(recipient);
	r->canonical = pd_address_canonicalize(recipient, config->recipient_delimiter);
	queue = pd_config_queue_for(config, recipient, &r->subaddress);
	r->queue = queue != NULL ? queue->name : NULL;
	if (queue != NULL)
		r->key = pd_ticket_idempotency_key(queue->name, mail);
	if (store == NULL) {
		r->decision = "unknown";
		r->reason = g_strdup("no database");
	} else if (!explain_thread(config, store, envelope, mail, candidates, recipient, queue,
				   from_authenticated, r, &error)) {
		r->decision = "unknown";
		g_free(r->reason);
		r->reason = g_strdup_printf("database error: %s", error->message);
		r->ticket = 0;
	} else {
		r->decision = r->ticket > 0 ? "existing" : "new";
		if (r->reason == NULL)
			r->reason = g_strdup(r->ticket > 0 ? "thread match" : "new ticket");
	}
	explain_identity(r, config, store, queue, mail, from_authenticated);
	explain_notify(r, config, store, queue, mail);
	return r;
}

static gboolean
explain_thread_is_reply(gpointer user_data, gboolean *reply_r)
{
	*reply_r = *(gboolean *) user_data;
	return TRUE;
}

char *
pd_pipeline_explain(PdConfig *config, PdStore *store, const PdEnvelope *envelope,
		    GBytes *raw, gboolean as_json, GError **error)
{
	g_autoptr(PdMail) mail = NULL;
	g_autoptr(GPtrArray) candidates = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func(explain_recipient_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	ExplainRecipient *r;
	g_autoptr(PdPipelineAuth) auth = pd_pipeline_auth_new(config, error);
	g_auto(PdPipelineAuthOutcome) auth_outcome = { 0 };
	g_autoptr(PdFilterSet) filters = NULL;
	g_auto(PdFilterOutcome) filter = { 0 };
	PdBounceMatch bounce = { 0 };
	gboolean is_bounce;
	char *report;

	if (auth == NULL)
		return NULL;
	mail = pd_mail_parse(raw, &config->mail_limits, error);
	if (mail == NULL)
		return NULL;
	pd_pipeline_authenticate(auth, envelope, raw, mail, &auth_outcome);
	candidates = pd_ticket_thread_candidates(mail, PD_PIPELINE_MAX_THREAD_CANDIDATES);
	for (guint i = 0; i < envelope->recipients->len; i++)
		g_ptr_array_add(names, g_strdup(envelope->recipients->pdata[i]));
	if (names->len == 0) {
		explain_add_header_recipients(names, config, mail->to);
		explain_add_header_recipients(names, config, mail->cc);
	}
	for (guint i = 0; i < names->len; i++) {
		if (!g_hash_table_add(seen, names->pdata[i]))
			continue;
		g_ptr_array_add(recipients, explain_recipient(config, store, envelope, mail,
							      candidates,
							      auth_outcome.from_authenticated,
							      names->pdata[i]));
		r = recipients->pdata[recipients->len - 1];
		pd_pipeline_autoreply_explain(config, strcmp(r->decision, "unknown") != 0 ? store
					      : NULL, r->recipient, envelope, mail,
					      auth_outcome.result, r->ticket == 0, r->identity_json,
					      &r->ack);
		explain_authorization(r, config, store, envelope, mail, candidates);
	}
	/* the rules, as the first recipient's delivery would run them: with
	 * the sender's identity when there is a database (identity tests) */
	filters = pd_filter_set_load(config, error);
	if (filters == NULL)
		return NULL;
	if (recipients->len > 0) {
		ExplainRecipient *first = recipients->pdata[0];
		PdFilterInput input = { 0 };
		gboolean reply = g_strcmp0(first->decision, "existing") == 0;
		g_autoptr(PdIdentityFacts) facts = NULL;
		PdIdentityDecision identity = { 0 };
		const PdQueueConfig *queue = first->queue != NULL
			? pd_config_queue_for(config, first->recipient, NULL) : NULL;

		if (store != NULL && queue != NULL &&
		    pd_pipeline_identify(store, config, queue, mail, auth_outcome.from_authenticated,
					 &facts, &identity, NULL)) {
			input.facts = facts;
			input.identity = &identity;
		}

		input.mail = mail;
		input.raw = raw;
		input.envelope = envelope;
		input.recipient = first->recipient;
		input.queue = queue;
		input.auth = auth_outcome.result;
		input.from_authenticated = auth_outcome.from_authenticated;
		if (g_strcmp0(first->decision, "unknown") != 0) {
			input.thread_is_reply = explain_thread_is_reply;
			input.thread_user_data = &reply;
		}
		pd_filter_run(filters, config, &input, &filter);
		pd_identity_decision_clear(&identity);
	} else {
		pd_filter_outcome_init(&filter);
	}
	/* the bounce step, as the first recipient's delivery would run it */
	is_bounce = pd_pipeline_bounce_match(config, envelope, names->len > 0 ? names->pdata[0] : "",
					     mail, raw, &bounce);
	if (as_json)
		report = explain_json(envelope, mail, candidates, &auth_outcome, recipients, &filter,
				      is_bounce ? &bounce : NULL);
	else
		report = explain_text(envelope, mail, candidates, &auth_outcome, recipients, &filter,
				      is_bounce ? &bounce : NULL);
	pd_bounce_match_clear(&bounce);
	return report;
}
