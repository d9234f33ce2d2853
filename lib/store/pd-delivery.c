/* pd-delivery: the delivery request and its one jsonb document.
 *
 * Writes, never reads: the document is for pd_deliver (sql/functions/
 * deliver.sql), which takes each member by name.  Peer text is made valid
 * UTF-8 by pd_json_string on the way (jsonb refuses anything else).
 */
#include "pd-delivery.h"
#include "pd-store-private.h"
#include "core/pd-json.h"

#include <string.h>

void
pd_thread_facts_clear(PdThreadFacts *facts)
{
	g_free(facts->sender);
	g_free(facts->token_via);
	g_free(facts->token_refused_via);
	g_clear_pointer(&facts->cc, g_ptr_array_unref);
	memset(facts, 0, sizeof(*facts));
}

void
pd_ack_request_clear(PdAckRequest *ack)
{
	g_free(ack->suppress);
	g_free(ack->to);
	g_free(ack->name);
	g_free(ack->echo_name);
	g_free(ack->echo_subject);
	g_free(ack->echo_text);
	memset(ack, 0, sizeof(*ack));
}

void
pd_notify_request_clear(PdNotifyRequest *notify)
{
	g_free(notify->from);
	memset(notify, 0, sizeof(*notify));
}

static void
notify_queue_free(PdNotifyQueue *queue)
{
	g_free(queue->name);
	g_free(queue->group);
	g_free(queue->forward_to);
	g_free(queue);
}

void
pd_notify_settings_free(PdNotifySettings *settings)
{
	if (settings == NULL)
		return;
	if (settings->queues != NULL)
		g_ptr_array_set_free_func(settings->queues, (GDestroyNotify)notify_queue_free);
	g_clear_pointer(&settings->queues, g_ptr_array_unref);
	g_free(settings->envelope_from);
	g_free(settings);
}

void
pd_agent_request_clear(PdAgentRequest *agent)
{
	if (agent->present)
		pd_agent_answer_clear(&agent->answer);
	g_free(agent->from);
	g_free(agent->envelope_from);
	memset(agent, 0, sizeof(*agent));
}

void
pd_delivery_clear(PdDelivery *delivery)
{
	pd_thread_facts_clear(&delivery->thread);
	pd_ack_request_clear(&delivery->ack);
	pd_notify_request_clear(&delivery->notify);
	pd_agent_request_clear(&delivery->agent);
}

/* An id, or null for 0 (none). */
static void
add_id(PdJson *json, const char *key, gint64 id)
{
	if (id != 0)
		pd_json_add_int(json, key, id);
	else
		pd_json_add_null(json, key);
}

static void
thread_members(PdJson *json, gconstpointer data)
{
	const PdThreadFacts *t = data;

	pd_json_add_string(json, "sender", t->sender);
	add_id(json, "token_ticket", t->token_ticket);
	pd_json_add_string(json, "token_via", t->token_via);
	pd_json_add_string(json, "token_refused", t->token_refused);
	pd_json_add_string(json, "token_refused_via", t->token_refused_via);
	add_id(json, "token_refused_ticket", t->token_refused_ticket);
	add_id(json, "subject_number", t->subject_number);
	pd_json_add_strings(json, "cc", t->cc);
	pd_json_add_int(json, "reopen_days", t->reopen_days);
	pd_json_add_string(json, "message_id", t->message_id);
	if (t->contact_account != 0) {
		pd_json_begin_object(json, "contact");
		pd_json_add_int(json, "account_id", t->contact_account);
		pd_json_add_string(json, "queue", t->contact_queue);
		pd_json_end_object(json);
	} else {
		pd_json_add_null(json, "contact");
	}
	pd_json_add_string(json, "queue", t->queue);
	pd_json_add_string(json, "queue_permission", t->queue_permission);
	if (t->queues != NULL) {
		pd_json_begin_object(json, "queue_permissions");
		for (guint i = 0; i < t->queues->len; i++) {
			const PdQueueConfig *q = g_ptr_array_index(t->queues, i);

			if (q->permission != NULL)
				pd_json_add_string(json, q->name, q->permission);
			else
				pd_json_add_null(json, q->name);
		}
		pd_json_end_object(json);
	}
}

char *
pd_thread_facts_json(const PdThreadFacts *facts)
{
	return pd_json_object(thread_members, facts);
}

static void
notify_settings_members(PdJson *json, gconstpointer data)
{
	const PdNotifySettings *s = data;

	pd_json_begin_object(json, "queues");
	for (guint i = 0; s->queues != NULL && i < s->queues->len; i++) {
		const PdNotifyQueue *q = s->queues->pdata[i];

		pd_json_begin_object(json, q->name);
		pd_json_add_string(json, "group", q->group);
		pd_json_add_string(json, "forward_to", q->forward_to);
		pd_json_end_object(json);
	}
	pd_json_end_object(json);
	pd_json_add_string(json, "envelope_from", s->envelope_from);
}

char *
pd_notify_settings_json(const PdNotifySettings *settings)
{
	return pd_json_object(notify_settings_members, settings);
}

static void
add_address(PdJson *json, const char *key, const PdMailAddress *a)
{
	pd_json_begin_object(json, key);
	pd_json_add_string(json, "address", a->address);
	pd_json_add_string(json, "name", a->name);
	pd_json_end_object(json);
}

static void
add_address_list(PdJson *json, const char *key, GPtrArray *list)
{
	pd_json_begin_array(json, key);
	for (guint i = 0; list != NULL && i < list->len; i++)
		add_address(json, NULL, list->pdata[i]);
	pd_json_end_array(json);
}

static void
add_timestamp(PdJson *json, const char *key, gint64 unix_time)
{
	g_autoptr(GDateTime) dt = unix_time != 0 ? g_date_time_new_from_unix_utc(unix_time)
						 : NULL;
	g_autofree char *text = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S+00")
					   : NULL;

	pd_json_add_string(json, key, text);
}

static void
envelope_member(PdJson *json, const PdEnvelope *env, gboolean blank)
{
	if (env == NULL) {
		pd_json_add_null(json, "envelope");
		return;
	}
	pd_json_begin_object(json, "envelope");
	pd_json_add_string(json, "mail_from", blank ? "" : env->mail_from);
	pd_json_add_string(json, "client_address", blank ? NULL : env->client_address);
	pd_json_add_string(json, "client_name", blank ? NULL : env->client_name);
	pd_json_add_string(json, "client_helo", blank ? NULL : env->client_helo);
	pd_json_add_string(json, "protocol", blank ? NULL : env->protocol);
	pd_json_add_string(json, "source", env->source);
	pd_json_end_object(json);
}

/* Each attachment's catalogue facts; its bytes are parameter
 * attachment_data[n] (NULL there for a span of the raw message). */
static void
attachments_member(PdJson *json, GPtrArray *attachments, gsize raw_len, gboolean blank)
{
	pd_json_begin_array(json, "attachments");
	for (guint i = 0; attachments != NULL && i < attachments->len; i++) {
		const PdMailAttachment *a = attachments->pdata[i];
		gboolean span = pd_store_attachment_is_span(a, raw_len);
		char hash[65];

		pd_store_attachment_sha256(a, hash);
		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "sha256", hash);
		pd_json_add_int(json, "size", a->content != NULL
				? (gint64)g_bytes_get_size(a->content) : 0);
		pd_json_add_string(json, "filename", blank ? NULL : a->filename);
		pd_json_add_string(json, "content_type", blank ? NULL : a->content_type);
		pd_json_add_bool(json, "inline", a->inline_part);
		pd_json_add_string(json, "content_id", blank ? NULL : a->content_id);
		if (span) {
			pd_json_add_int(json, "raw_offset", (gint64)a->raw_offset);
			pd_json_add_int(json, "raw_length", (gint64)a->raw_length);
			pd_json_add_string(json, "encoding", a->raw_encoding);
		}
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
}

static void
warnings_member(PdJson *json, GPtrArray *parse_warnings, GPtrArray *store_warnings)
{
	pd_json_begin_array(json, "warnings");
	for (guint i = 0; parse_warnings != NULL && i < parse_warnings->len; i++)
		pd_json_add_string(json, NULL, parse_warnings->pdata[i]);
	for (guint i = 0; store_warnings != NULL && i < store_warnings->len; i++)
		pd_json_add_string(json, NULL, store_warnings->pdata[i]);
	pd_json_end_array(json);
}

/* The parsed message; text_body and html_body travel as parameters of
 * their own (bulk text: no JSON escaping and parsing of it).  blank: none
 * of the peer's fields, only what the store needs. */
static void
message_member(PdJson *json, const PdMail *mail, const char *raw_sha256, gsize raw_len,
	       gboolean blank, GPtrArray *store_warnings)
{
	static const PdMailAddress none = { 0 };

	pd_json_begin_object(json, "message");
	pd_json_add_string(json, "raw_sha256", raw_sha256);
	pd_json_add_string(json, "message_id", blank ? NULL : mail->message_id);
	pd_json_add_string(json, "in_reply_to", blank ? NULL : mail->in_reply_to);
	pd_json_add_strings(json, "references", blank ? NULL : mail->references);
	add_address(json, "from", blank ? &none : &mail->from);
	pd_json_add_string(json, "sender", blank ? NULL : mail->sender);
	add_address_list(json, "to", blank ? NULL : mail->to);
	add_address_list(json, "cc", blank ? NULL : mail->cc);
	add_address(json, "reply_to", blank ? &none : &mail->reply_to);
	pd_json_add_string(json, "subject", blank || mail->subject == NULL ? "" : mail->subject);
	add_timestamp(json, "date", blank ? 0 : mail->date);
	pd_json_add_bool(json, "text_from_html", mail->text_from_html);
	warnings_member(json, blank ? NULL : mail->warnings, store_warnings);
	pd_json_begin_object(json, "class");
	pd_json_add_bool(json, "auto_submitted", mail->class.auto_submitted);
	pd_json_add_bool(json, "bulk", mail->class.bulk);
	pd_json_add_bool(json, "list", mail->class.list);
	pd_json_add_bool(json, "bounce", mail->class.bounce);
	pd_json_add_bool(json, "auto_reply_suppressed", mail->class.auto_reply_suppressed);
	pd_json_end_object(json);
	attachments_member(json, mail->attachments, mail->raw_size == raw_len ? raw_len : 0,
			   blank);
	pd_json_end_object(json);
}

static void
ack_members(PdJson *json, gconstpointer data)
{
	const PdAckRequest *ack = data;

	pd_json_add_string(json, "suppress", ack->suppress);
	pd_json_add_string(json, "to", ack->to);
	pd_json_add_string(json, "name", ack->name);
	pd_json_add_string(json, "template", ack->template_name);
	pd_json_add_string(json, "queue", ack->queue);
	pd_json_add_int(json, "limit", ack->limit);
	pd_json_add_int(json, "window", ack->window);
	if (ack->echo) {
		pd_json_begin_object(json, "values");
		pd_json_add_string(json, "requester.name", ack->echo_name);
		pd_json_add_string(json, "ticket.subject", ack->echo_subject);
		pd_json_add_string(json, "message.subject", ack->echo_subject);
		pd_json_add_string(json, "message.text", ack->echo_text);
		pd_json_end_object(json);
	} else {
		pd_json_add_null(json, "values");
	}
}

static void
notify_members(PdJson *json, gconstpointer data)
{
	const PdNotifyRequest *notify = data;

	notify_settings_members(json, notify->settings);
	pd_json_add_string(json, "queue", notify->queue);
	pd_json_add_string(json, "from", notify->from);
	pd_json_add_string(json, "robot", notify->robot);
	if (notify->group != NULL)
		pd_json_add_string(json, "group", notify->group);
	if (notify->forwards != NULL && notify->forwards->len > 0)
		pd_json_add_strings(json, "forwards", (GPtrArray *)notify->forwards);
}

static void
agent_members(PdJson *json, gconstpointer data)
{
	const PdAgentRequest *agent = data;

	pd_agent_answer_json_members(json, &agent->answer);
	pd_json_add_string(json, "from", agent->from);
	pd_json_add_string(json, "envelope_from", agent->envelope_from);
	pd_json_add_int(json, "attachments_max", (gint64)agent->attachments_max);
	pd_json_add_string(json, "template", agent->template_name);
}

/* key: an object of members(data), or null when not present. */
static void
step_member(PdJson *json, const char *key, gboolean present, PdJsonMembersFunc members,
	    gconstpointer data)
{
	if (!present) {
		pd_json_add_null(json, key);
		return;
	}
	pd_json_begin_object(json, key);
	members(json, data);
	pd_json_end_object(json);
}

char *
pd_notify_request_json(const PdNotifyRequest *notify)
{
	return notify->wanted ? pd_json_object(notify_members, notify) : NULL;
}

char *
pd_ack_request_json(const PdAckRequest *ack)
{
	return ack->wanted ? pd_json_object(ack_members, ack) : NULL;
}

char *
pd_agent_request_json(const PdAgentRequest *agent)
{
	return agent->present ? pd_json_object(agent_members, agent) : NULL;
}

char *
pd_delivery_json_stored(const PdDelivery *d, const char *raw_sha256, gboolean blank,
			GPtrArray *store_warnings)
{
	GString *out = g_string_sized_new(2048);
	gsize raw_len = d->raw != NULL ? g_bytes_get_size(d->raw) : 0;
	PdJson json;

	pd_json_init(&json, out);
	pd_json_begin_object(&json, NULL);
	pd_json_add_string(&json, "idempotency_key", d->idempotency_key);
	pd_json_add_string(&json, "queue", d->queue);
	pd_json_add_string(&json, "recipient", d->recipient);
	pd_json_add_string(&json, "subaddress", blank ? NULL : d->subaddress);
	envelope_member(&json, d->envelope, blank);
	message_member(&json, d->mail, raw_sha256, raw_len, blank, store_warnings);
	pd_json_add_strings(&json, "thread_candidates", blank ? NULL : d->thread_candidates);
	if (d->identity != NULL) {
		g_autofree char *identity = pd_identity_decision_json(d->identity);

		pd_json_add_raw(&json, "identity", identity);
	} else {
		pd_json_add_null(&json, "identity");
	}
	if (blank) {
		/* what the peer wrote decides nothing more */
		static const char *const steps[] = { "auth", "thread", "ack", "notify", "agent",
						     "approval_answer", "filter" };

		for (guint i = 0; i < G_N_ELEMENTS(steps); i++)
			pd_json_add_null(&json, steps[i]);
	} else {
		pd_json_add_raw(&json, "auth", d->auth);
		step_member(&json, "thread", TRUE, thread_members, &d->thread);
		step_member(&json, "ack", d->ack.wanted, ack_members, &d->ack);
		step_member(&json, "notify", d->notify.wanted, notify_members, &d->notify);
		step_member(&json, "agent", d->agent.present, agent_members, &d->agent);
		pd_json_add_string(&json, "approval_answer", d->approval_answer);
		if (d->filter != NULL)
			pd_json_add_raw(&json, "filter", d->filter);
		else
			pd_json_add_null(&json, "filter");
	}
	pd_json_end_object(&json);
	return g_string_free(out, FALSE);
}

char *
pd_delivery_json(const PdDelivery *d, const char *raw_sha256)
{
	return pd_delivery_json_stored(d, raw_sha256, FALSE, NULL);
}
