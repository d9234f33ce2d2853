/* pd-pipeline: parse once, then one store transaction per recipient.
 *
 * Owns the per-message context (PdMail, thread candidates, keys) for the
 * length of one pd_pipeline_deliver() call.  Every failure before COMMIT is
 * a PD_ERROR the caller maps to 451/5xx or a sysexit; nothing here answers
 * a peer or touches a socket.
 */
#include "pd-pipeline.h"
#include "pd-pipeline-private.h"
#include "pd-pipeline-auth.h"
#include "core/pd-address.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "mail/pd-mail.h"
#include "ticket/pd-authorization.h"
#include "ticket/pd-ticket.h"

#include <string.h>

struct _PdPipeline {
	GMutex lock;		/* config, auth and schema_ok */
	PdConfig *config;
	PdPipelineAuth *auth;	/* built from config's [auth]; NULL: off */
	PdStorePool *pool;	/* borrowed */
	gboolean schema_ok;
};

gboolean
pd_pipeline_check_config(const PdConfig *config, GError **error)
{
	g_autoptr(PdPipelineAuth) auth = NULL;

	if (!pd_pipeline_notify_check(config, error))
		return FALSE;
	auth = pd_pipeline_auth_new(config, error);
	return auth != NULL;
}

/* A configuration that pd_pipeline_check_config() refused still works:
 * with authentication off, nobody gets privileges. */
static PdPipelineAuth *
pipeline_auth_build(const PdConfig *config)
{
	g_autoptr(GError) error = NULL;
	PdPipelineAuth *auth = pd_pipeline_auth_new(config, &error);

	if (auth == NULL)
		pd_log_error("[auth]: %s; sender authentication is off", error->message);
	else if (pd_pipeline_auth_mode(auth) == PD_AUTH_MODE_OFF)
		pd_log_debug("[auth] mode is off: no sender is authenticated or privileged");
	else {
		g_autofree char *advice = pd_pipeline_auth_advice(auth);

		if (advice != NULL)
			pd_log_info("%s", advice);
	}
	return auth;
}

PdPipeline *
pd_pipeline_new(PdConfig *config, PdStorePool *pool)
{
	PdPipeline *pipeline = g_new0(PdPipeline, 1);

	g_mutex_init(&pipeline->lock);
	pipeline->config = pd_config_ref(config);
	pipeline->auth = pipeline_auth_build(config);
	pipeline->pool = pool;
	pd_mail_init();
	return pipeline;
}

void
pd_pipeline_free(PdPipeline *pipeline)
{
	if (pipeline == NULL)
		return;
	pd_config_unref(pipeline->config);
	pd_pipeline_auth_unref(pipeline->auth);
	g_mutex_clear(&pipeline->lock);
	g_free(pipeline);
}

void
pd_pipeline_set_config(PdPipeline *pipeline, PdConfig *config)
{
	PdConfig *old;
	PdPipelineAuth *auth = pipeline_auth_build(config), *old_auth;

	pd_config_ref(config);
	g_mutex_lock(&pipeline->lock);
	old = pipeline->config;
	pipeline->config = config;
	old_auth = pipeline->auth;
	pipeline->auth = auth;
	g_mutex_unlock(&pipeline->lock);
	pd_config_unref(old);
	pd_pipeline_auth_unref(old_auth);
}

PdConfig *
pd_pipeline_get_config(PdPipeline *pipeline)
{
	PdConfig *config;

	g_mutex_lock(&pipeline->lock);
	config = pd_config_ref(pipeline->config);
	g_mutex_unlock(&pipeline->lock);
	return config;
}

/* The configuration and its authentication context, both referenced. */
static PdConfig *
pipeline_get_state(PdPipeline *pipeline, PdPipelineAuth **auth_r)
{
	PdConfig *config;

	g_mutex_lock(&pipeline->lock);
	config = pd_config_ref(pipeline->config);
	*auth_r = pd_pipeline_auth_ref(pipeline->auth);
	g_mutex_unlock(&pipeline->lock);
	return config;
}

static gboolean
pipeline_schema_checked(PdPipeline *pipeline)
{
	gboolean ok;

	g_mutex_lock(&pipeline->lock);
	ok = pipeline->schema_ok;
	g_mutex_unlock(&pipeline->lock);
	return ok;
}

/* Check the schema on store (once per pipeline). */
static gboolean
pipeline_check_schema_on(PdPipeline *pipeline, PdStore *store, GError **error)
{
	if (pipeline_schema_checked(pipeline))
		return TRUE;
	if (!pd_store_check_schema(store, error))
		return FALSE;
	g_mutex_lock(&pipeline->lock);
	pipeline->schema_ok = TRUE;
	g_mutex_unlock(&pipeline->lock);
	return TRUE;
}

gboolean
pd_pipeline_check_schema(PdPipeline *pipeline, GError **error)
{
	PdStore *store;
	gboolean ok;

	if (pipeline_schema_checked(pipeline))
		return TRUE;
	store = pd_store_pool_get(pipeline->pool, error);
	if (store == NULL)
		return FALSE;
	ok = pipeline_check_schema_on(pipeline, store, error);
	pd_store_pool_put(pipeline->pool, store);
	return ok;
}

void
pd_pipeline_set_unknown_recipient(GError **error)
{
	g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
		    "Recipient address rejected: unknown queue");
}

void
pd_recipient_outcome_clear(PdRecipientOutcome *outcome)
{
	g_clear_error(&outcome->error);
	pd_delivery_result_clear(&outcome->result);
}

/* Replies carry a policy refusal's reason (a temporary failure's is only
 * logged: pd_error_to_smtp_reply), cut to this length. */
#define PIPELINE_REPLY_MAX 200

char *
pd_recipient_outcome_reply(const PdRecipientOutcome *outcome)
{
	if (outcome->error != NULL) {
		g_autofree char *reply = pd_error_to_smtp_reply(outcome->error);
		g_autofree char *cut = NULL;
		g_autofree char *valid = NULL;

		if (strlen(reply) <= PIPELINE_REPLY_MAX)
			return g_steal_pointer(&reply);
		cut = g_strndup(reply, PIPELINE_REPLY_MAX - 3);
		valid = g_utf8_make_valid(cut, -1);	/* a cut character */
		return g_strconcat(valid, "...", NULL);
	}
	if (outcome->result.duplicate)
		return g_strdup_printf("250 2.0.0 Ok: already stored, ticket %" G_GINT64_FORMAT,
				       outcome->result.ticket_number);
	return g_strdup_printf("250 2.0.0 Ok: ticket %" G_GINT64_FORMAT,
			       outcome->result.ticket_number);
}

/* Only a policy decision (PERMFAIL) is permanent on the mail path: a
 * schema mismatch found mid-run, like an unreachable server, means "try
 * later"; INTERNAL stays INTERNAL (also answered 451). */
static void
pipeline_store_error_tempfail(GError *error)
{
	if (error->domain != PD_ERROR || (error->code != PD_ERROR_TEMPFAIL &&
					   error->code != PD_ERROR_PERMFAIL &&
					   error->code != PD_ERROR_INTERNAL)) {
		error->domain = PD_ERROR;
		error->code = PD_ERROR_TEMPFAIL;
	}
}

static gboolean
pipeline_store_one(PdPipeline *pipeline, const PdConfig *config, const PdQueueConfig *queue,
		   const PdInbound *inbound_in, gboolean from_authenticated,
		   PdDeliveryResult *result_r, GError **error)
{
	PdInbound inbound = *inbound_in;

	/* Two tries: a pooled connection whose server restarted fails once
	 * and is dropped; the retry gets a fresh one.  A retry after an
	 * unknown COMMIT outcome is safe: the idempotency key makes it a
	 * duplicate. */
	for (guint attempt = 0; attempt < 2; attempt++) {
		g_autoptr(GError) local_error = NULL;
		PdStore *store = pd_store_pool_get(pipeline->pool, &local_error);
		PdIdentityDecision identity = { 0 };
		gboolean ok, usable;

		if (store == NULL) {
			g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
						   "Database unavailable: ");
			pipeline_store_error_tempfail(*error);
			return FALSE;
		}
		ok = pipeline_check_schema_on(pipeline, store, &local_error) &&
		     pd_pipeline_identify(store, config, queue, inbound.mail, from_authenticated,
					  &identity, &local_error);
		if (ok) {
			g_autofree char *agent = pd_pipeline_agent_answer(config, inbound.mail,
									  &identity);

			inbound.identity = &identity;
			inbound.agent = agent;
			ok = pd_store_deliver_inbound(store, &inbound, result_r, &local_error);
			inbound.agent = NULL;
		}
		pd_identity_decision_clear(&identity);
		usable = pd_store_is_usable(store);
		pd_store_pool_put(pipeline->pool, store);
		if (ok)
			return TRUE;
		pd_delivery_result_clear(result_r);
		if (usable || attempt == 1) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			pipeline_store_error_tempfail(*error);
			return FALSE;
		}
		pd_log_debug("store connection lost (%s); retrying once", local_error->message);
	}
	g_assert_not_reached();
}

/* Truncated, printable copy of a peer-chosen string for the log. */
static char *
pipeline_log_text(const char *text)
{
	g_autofree char *cut = NULL;

	if (text == NULL)
		return g_strdup("");
	cut = g_strndup(text, 200);
	return g_utf8_make_valid(cut, -1);
}

static void
pipeline_log(const PdMail *mail, const PdEnvelope *envelope, const char *recipient,
	     const char *queue, const PdRecipientOutcome *outcome, gint64 start)
{
	g_autofree char *reply = pd_recipient_outcome_reply(outcome);
	g_autofree char *msgid = pipeline_log_text(mail != NULL ? mail->message_id : NULL);
	g_autofree char *from = pipeline_log_text(envelope->mail_from);
	g_autofree char *to = pipeline_log_text(recipient);
	g_autoptr(GString) ticket = g_string_new("");
	const char *status;
	gint64 ms = (g_get_monotonic_time() - start) / 1000;

	if (outcome->error == NULL) {
		const PdDeliveryResult *r = &outcome->result;

		g_string_printf(ticket, ", ticket=%" G_GINT64_FORMAT, r->ticket_number);
		if (r->duplicate)
			g_string_append(ticket, " (duplicate)");
		else if (r->new_ticket)
			g_string_append(ticket, " (new)");
		else
			g_string_append_printf(ticket, " (threaded: %s)",
					       r->thread_reason != NULL ? r->thread_reason : "");
		status = "delivered";
	} else if (reply[0] == '4') {
		/* the reply says "temporary problem"; the log says which */
		g_autofree char *detail = pipeline_log_text(outcome->error->message);

		g_free(reply);
		reply = g_strdup_printf("451 4.3.0 %s", detail);
		status = "deferred";
	} else {
		status = "bounced";
	}
	pd_log_info("<%s>: from=<%s>, to=<%s>%s%s%s, status=%s (%s), %" G_GINT64_FORMAT " ms",
		    *msgid != '\0' ? msgid : "no-message-id", from, to,
		    queue != NULL ? ", queue=" : "", queue != NULL ? queue : "",
		    ticket->str, status, reply, ms);
}

static void
pipeline_deliver_one(PdPipeline *pipeline, PdConfig *config, const PdEnvelope *envelope,
		     GBytes *raw, const PdMail *mail, GPtrArray *candidates,
		     const PdPipelineAuthOutcome *auth, const char *recipient,
		     PdRecipientOutcome *outcome, gint64 start)
{
	g_autofree char *subaddress = NULL;
	g_autofree char *canonical = NULL;
	g_autofree char *key = NULL;
	g_autoptr(GPtrArray) autoreply = NULL;
	g_autoptr(GPtrArray) thread = NULL;
	g_autoptr(GPtrArray) notify = NULL;
	const PdQueueConfig *queue;
	PdInbound inbound = { 0 };

	queue = pd_config_queue_for(config, recipient, &subaddress);
	if (queue == NULL) {
		pd_pipeline_set_unknown_recipient(&outcome->error);
		pipeline_log(mail, envelope, recipient, NULL, outcome, start);
		return;
	}
	canonical = pd_address_canonicalize(recipient, config->recipient_delimiter);
	key = pd_ticket_idempotency_key(canonical, mail);
	inbound.envelope = envelope;
	inbound.recipient = recipient;
	inbound.queue = queue->name;
	inbound.subaddress = subaddress;
	inbound.mail = mail;
	inbound.raw = raw;
	inbound.idempotency_key = key;
	inbound.thread_candidates = candidates;
	thread = pd_pipeline_thread_facts(config, recipient, envelope, mail, candidates);
	inbound.thread = thread;
	autoreply = pd_pipeline_autoreply_request(config, queue, envelope, mail, auth->result);
	inbound.autoreply = autoreply;
	notify = pd_pipeline_notify_request(config, queue, mail);
	inbound.notify = notify;
	inbound.auth = auth->result != NULL ? auth->json : NULL;	/* off: nothing */
	inbound.approval_answer = pd_approval_answer_name(pd_approval_answer_parse(mail->text_body));
	pipeline_store_one(pipeline, config, queue, &inbound, auth->from_authenticated,
			   &outcome->result, &outcome->error);
	pipeline_log(mail, envelope, recipient, queue->name, outcome, start);
}

void
pd_pipeline_deliver(PdPipeline *pipeline, const PdEnvelope *envelope,
		    GBytes *raw, PdRecipientOutcome *outcomes_r)
{
	gint64 start = g_get_monotonic_time();
	g_autoptr(PdPipelineAuth) auth = NULL;
	g_autoptr(PdConfig) config = pipeline_get_state(pipeline, &auth);
	g_auto(PdPipelineAuthOutcome) auth_outcome = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(PdMail) mail = NULL;
	g_autoptr(GPtrArray) candidates = NULL;

	mail = pd_mail_parse(raw, &config->mail_limits, &error);
	if (mail == NULL) {
		for (guint i = 0; i < envelope->recipients->len; i++) {
			outcomes_r[i].error = g_error_copy(error);
			pipeline_store_error_tempfail(outcomes_r[i].error);
			pipeline_log(NULL, envelope, envelope->recipients->pdata[i], NULL,
				     &outcomes_r[i], start);
		}
		return;
	}
	candidates = pd_ticket_thread_candidates(mail, PD_PIPELINE_MAX_THREAD_CANDIDATES);
	/* once per message, in the session's thread (blocking DNS is fine) */
	pd_pipeline_authenticate(auth, envelope, raw, mail, &auth_outcome);
	if (auth_outcome.result != NULL) {
		g_autofree char *summary = pd_pipeline_auth_summary(&auth_outcome);
		g_autofree char *msgid = pipeline_log_text(mail->message_id);

		pd_log_info("<%s>: auth: %s", *msgid != '\0' ? msgid : "no-message-id", summary);
	}
	if (mail->author_doubt != NULL) {
		g_autofree char *msgid = pipeline_log_text(mail->message_id);

		pd_log_warning("<%s>: author not read one way: %s; not authenticated",
			       *msgid != '\0' ? msgid : "no-message-id", mail->author_doubt);
	}
	for (guint i = 0; i < envelope->recipients->len; i++)
		pipeline_deliver_one(pipeline, config, envelope, raw, mail, candidates,
				     &auth_outcome, envelope->recipients->pdata[i],
				     &outcomes_r[i], start);
}
