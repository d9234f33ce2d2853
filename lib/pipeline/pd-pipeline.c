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
#include "pd-pipeline-bounce.h"
#include "pd-pipeline-metrics.h"
#include "core/pd-address.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "mail/pd-mail.h"
#include "ticket/pd-authorization.h"
#include "ticket/pd-ticket.h"

#include <string.h>

/* What the pipeline builds once per configuration, replaced whole on
 * reload; a delivery holds a reference for its whole length. */
typedef struct {
	gint refs;
	PdConfig *config;
	PdPipelineAuth *auth;		/* built from config's [auth]; NULL: off */
	PdNotifySettings *notify;	/* NULL: nobody is notified */
	PdFilterSet *filters;		/* [filters] scripts, compiled (maybe none) */
} PipelineState;

struct _PdPipeline {
	GMutex lock;		/* state and schema_ok */
	PipelineState *state;
	PdStorePool *pool;	/* borrowed */
	gboolean schema_ok;
};

/* [auth]'s resources, and every filter script compiles: at start, a bad
 * one is refused (exit 78); on reload the running configuration, rules
 * included, stays. */
gboolean
pd_pipeline_check_config(const PdConfig *config, GError **error)
{
	g_autoptr(PdPipelineAuth) auth = pd_pipeline_auth_new(config, error);
	g_autoptr(PdFilterSet) filters = NULL;

	if (auth == NULL)
		return FALSE;
	filters = pd_filter_set_load(config, error);
	return filters != NULL;
}

/* The rules of config; pd_pipeline_check_config() refused a broken script
 * before, so none is an error logged with no rule run. */
static PdFilterSet *
pipeline_filters_build(const PdConfig *config)
{
	g_autoptr(GError) error = NULL;
	PdFilterSet *set = pd_filter_set_load(config, &error);

	if (set == NULL) {
		g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);
		g_autofree char *line = g_strjoinv("; ", lines);

		pd_log_error("[filters]: %s; no filter rule runs", line);
		set = pd_filter_set_new(NULL, NULL, 0, NULL);
	}
	return set;
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

static PipelineState *
pipeline_state_new(PdConfig *config)
{
	PipelineState *state = g_new0(PipelineState, 1);

	state->refs = 1;
	state->config = pd_config_ref(config);
	state->auth = pipeline_auth_build(config);
	state->notify = pd_pipeline_notify_settings(config);
	state->filters = pipeline_filters_build(config);
	return state;
}

static PipelineState *
pipeline_state_ref(PipelineState *state)
{
	g_atomic_int_inc(&state->refs);
	return state;
}

static void
pipeline_state_unref(PipelineState *state)
{
	if (state == NULL || !g_atomic_int_dec_and_test(&state->refs))
		return;
	pd_config_unref(state->config);
	pd_pipeline_auth_unref(state->auth);
	pd_notify_settings_free(state->notify);
	pd_filter_set_unref(state->filters);
	g_free(state);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PipelineState, pipeline_state_unref)

PdPipeline *
pd_pipeline_new(PdConfig *config, PdStorePool *pool)
{
	PdPipeline *pipeline = g_new0(PdPipeline, 1);

	g_mutex_init(&pipeline->lock);
	pipeline->state = pipeline_state_new(config);
	pipeline->pool = pool;
	pd_mail_init();
	return pipeline;
}

void
pd_pipeline_free(PdPipeline *pipeline)
{
	if (pipeline == NULL)
		return;
	pipeline_state_unref(pipeline->state);
	g_mutex_clear(&pipeline->lock);
	g_free(pipeline);
}

void
pd_pipeline_set_config(PdPipeline *pipeline, PdConfig *config)
{
	PipelineState *state = pipeline_state_new(config), *old;

	g_mutex_lock(&pipeline->lock);
	old = pipeline->state;
	pipeline->state = state;
	g_mutex_unlock(&pipeline->lock);
	pipeline_state_unref(old);
}

/* The state of the configuration in force, referenced. */
static PipelineState *
pipeline_get_state(PdPipeline *pipeline)
{
	PipelineState *state;

	g_mutex_lock(&pipeline->lock);
	state = pipeline_state_ref(pipeline->state);
	g_mutex_unlock(&pipeline->lock);
	return state;
}

PdConfig *
pd_pipeline_get_config(PdPipeline *pipeline)
{
	g_autoptr(PipelineState) state = pipeline_get_state(pipeline);

	return pd_config_ref(state->config);
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
	g_clear_pointer(&outcome->filter, g_free);
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
	if (outcome->bounce_id > 0)
		return g_strdup("250 2.0.0 Ok: bounce recorded");
	if (g_strcmp0(outcome->result.disposition, "quarantined") == 0)
		return g_strdup_printf("250 2.0.0 Ok: quarantined (%" G_GINT64_FORMAT ")%s",
				       outcome->result.quarantine_id,
				       outcome->result.duplicate ? ", already" : "");
	if (g_strcmp0(outcome->result.disposition, "discarded") == 0)
		return g_strdup("250 2.0.0 Ok: discarded by a filter rule");
	if (outcome->result.duplicate)
		return g_strdup_printf("250 2.0.0 Ok: already stored, ticket %" G_GINT64_FORMAT,
				       outcome->result.ticket_number);
	return g_strdup_printf("250 2.0.0 Ok: ticket %" G_GINT64_FORMAT,
			       outcome->result.ticket_number);
}

/* Only a policy decision (PERMFAIL, a rule's REJECTED) is permanent on the mail path: a
 * schema mismatch found mid-run, like an unreachable server, means "try
 * later"; INTERNAL stays INTERNAL (also answered 451). */
static void
pipeline_store_error_tempfail(GError *error)
{
	if (error->domain != PD_ERROR || (error->code != PD_ERROR_TEMPFAIL &&
					   error->code != PD_ERROR_PERMFAIL &&
					   error->code != PD_ERROR_REJECTED &&
					   error->code != PD_ERROR_INTERNAL)) {
		error->domain = PD_ERROR;
		error->code = PD_ERROR_TEMPFAIL;
	}
}

/* The filter's disposition for one attempt: quarantine, discard or reject
 * instead of a ticket; FALSE when the mail goes on to pd_store_deliver. */
static gboolean
pipeline_disposition(PdStore *store, const PdConfig *config, const PdDelivery *delivery,
		     PdDisposition disposition, const PdFilterOutcome *outcome,
		     PdDeliveryResult *result_r, gboolean *ok_r, GError **error)
{
	const PdSpamSettings *spam = pd_spam_settings(config);

	switch (disposition) {
	case PD_DISPOSITION_REJECT:
		g_set_error(error, PD_ERROR, PD_ERROR_REJECTED, "%s",
			    outcome->reason != NULL ? outcome->reason : "rejected by a filter rule");
		*ok_r = FALSE;
		return TRUE;
	case PD_DISPOSITION_DISCARD:
		memset(result_r, 0, sizeof(*result_r));
		result_r->disposition = "discarded";
		*ok_r = TRUE;
		return TRUE;
	case PD_DISPOSITION_QUARANTINE:
		*ok_r = pd_store_quarantine_add(store, delivery,
						(guint)MAX(1, spam->quarantine_days / 86400),
						result_r, error);
		return TRUE;
	case PD_DISPOSITION_TICKET:
	case PD_DISPOSITION_HOLD:
		break;
	}
	return FALSE;
}

/* The identify, filter and agent steps need the store (the From's facts,
 * the thread test), so they run here, on the connection the delivery then
 * uses; the rest of delivery was filled by pipeline_deliver_one.  The
 * filter may move the delivery to another queue: each attempt starts from
 * the recipient's. */
static gboolean
pipeline_store_one(PdPipeline *pipeline, const PipelineState *state, const PdQueueConfig *queue,
		   PdDelivery *delivery, const PdPipelineAuthOutcome *auth,
		   PdRecipientOutcome *outcome_r)
{
	const PdConfig *config = state->config;
	PdPipelineFilterContext filter_context = {
		state->filters, config, state->notify, auth->result, auth->from_authenticated,
		g_strcmp0(delivery->envelope->source, "quarantine") == 0,
	};
	const char *ack_template = delivery->ack.template_name;
	PdDeliveryResult *result_r = &outcome_r->result;
	GError **error = &outcome_r->error;

	/* Two tries: a pooled connection whose server restarted fails once
	 * and is dropped; the retry gets a fresh one.  A retry after an
	 * unknown COMMIT outcome is safe: the idempotency key makes it a
	 * duplicate. */
	for (guint attempt = 0; attempt < 2; attempt++) {
		g_autoptr(GError) local_error = NULL;
		PdStore *store = pd_store_pool_get(pipeline->pool, &local_error);
		PdIdentityDecision identity = { 0 };
		g_autoptr(PdIdentityFacts) facts = NULL;
		g_auto(PdFilterOutcome) filter = { 0 };
		g_autofree char *filter_json = NULL;
		gboolean ok, usable;

		if (store == NULL) {
			g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
						   "Database unavailable: ");
			pipeline_store_error_tempfail(*error);
			return FALSE;
		}
		if (strcmp(delivery->queue, queue->name) != 0) {
			/* the last attempt's rules moved it */
			pd_pipeline_queue_requests(config, queue, state->notify, auth->result,
						   delivery);
			ack_template = delivery->ack.template_name;
		}
		ok = pipeline_check_schema_on(pipeline, store, &local_error) &&
		     pd_pipeline_identify(store, config, queue, delivery->mail,
					  auth->from_authenticated, &facts, &identity, &local_error);
		if (ok) {
			PdDisposition disposition;

			disposition = pd_pipeline_filter(&filter_context, store, delivery, queue,
							 facts, &identity, &filter, &filter_json);
			delivery->identity = &identity;
			if (!pipeline_disposition(store, config, delivery, disposition, &filter,
						  result_r, &ok, &local_error)) {
				pd_pipeline_thread_contact(&identity, delivery->queue, &delivery->thread);
				pd_pipeline_agent_answer(config, delivery->mail, &identity,
							 &delivery->agent);
				ok = pd_store_deliver(store, delivery, result_r, &local_error);
				pd_agent_request_clear(&delivery->agent);
			}
			if (filter.ran) {
				g_free(outcome_r->filter);
				outcome_r->filter = pd_filter_outcome_summary(&filter);
			}
			/* what pointed into this attempt's outcome */
			delivery->identity = NULL;
			delivery->filter = NULL;
			delivery->notify.group = NULL;
			delivery->notify.forwards = NULL;
			delivery->ack.template_name = ack_template;
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
	gint64 usec = g_get_monotonic_time() - start;
	gint64 ms = usec / 1000;

	pd_pipeline_metrics_delivery(queue, outcome, usec);
	if (outcome->error == NULL && outcome->result.disposition != NULL) {
		const PdDeliveryResult *r = &outcome->result;

		if (r->quarantine_id != 0)
			g_string_printf(ticket, ", quarantine=%" G_GINT64_FORMAT "%s",
					r->quarantine_id, r->duplicate ? " (duplicate)" : "");
		status = r->disposition;
	} else if (outcome->error == NULL) {
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
		status = g_error_matches(outcome->error, PD_ERROR, PD_ERROR_REJECTED) ? "rejected"
										      : "bounced";
	}
	if (outcome->filter != NULL)
		g_string_append_printf(ticket, ", %s", outcome->filter);
	pd_log_info("<%s>: from=<%s>, to=<%s>%s%s%s%s%s, status=%s (%s), %" G_GINT64_FORMAT " ms",
		    *msgid != '\0' ? msgid : "no-message-id", from, to,
		    envelope->log_origin != NULL ? ", " : "",
		    envelope->log_origin != NULL ? envelope->log_origin : "",
		    queue != NULL ? ", queue=" : "", queue != NULL ? queue : "",
		    ticket->str, status, reply, ms);
}

/* The bounce step (pd-pipeline-bounce.h), before everything else: TRUE
 * when recipient's copy was a bounce (recorded, or outcome's error). */
static gboolean
pipeline_bounce_one(PdPipeline *pipeline, const PdConfig *config, const PdEnvelope *envelope,
		    GBytes *raw, const PdMail *mail, const char *recipient,
		    PdRecipientOutcome *outcome, gint64 start)
{
	PdBounceMatch match;
	PdStore *store;

	if (!pd_pipeline_bounce_match(config, envelope, recipient, mail, raw, &match))
		return FALSE;
	store = pd_store_pool_get(pipeline->pool, &outcome->error);
	if (store != NULL) {
		if (pipeline_check_schema_on(pipeline, store, &outcome->error))
			pd_pipeline_bounce_deliver(store, config, envelope, recipient, mail, raw,
						   &match, &outcome->bounce_id, &outcome->error);
		pd_store_pool_put(pipeline->pool, store);
	}
	if (outcome->error != NULL) {
		pipeline_store_error_tempfail(outcome->error);
		pipeline_log(mail, envelope, recipient, NULL, outcome, start);
	} else {
		pd_pipeline_metrics_delivery(NULL, outcome, g_get_monotonic_time() - start);
	}
	pd_bounce_match_clear(&match);
	return TRUE;
}

/* One recipient: its queue and key, then the steps that need no store,
 * in pipeline order, into one PdDelivery. */
static void
pipeline_deliver_one(PdPipeline *pipeline, const PipelineState *state,
		     const PdEnvelope *envelope, GBytes *raw, const PdMail *mail,
		     GPtrArray *candidates, const PdPipelineAuthOutcome *auth,
		     const char *recipient, PdRecipientOutcome *outcome, gint64 start)
{
	const PdConfig *config = state->config;
	g_autofree char *subaddress = NULL;
	g_autofree char *key = NULL;
	const PdQueueConfig *queue;
	PdDelivery delivery = { 0 };

	if (pipeline_bounce_one(pipeline, config, envelope, raw, mail, recipient, outcome, start))
		return;
	queue = pd_config_queue_for(config, recipient, &subaddress);
	if (queue == NULL) {
		pd_pipeline_set_unknown_recipient(&outcome->error);
		pipeline_log(mail, envelope, recipient, NULL, outcome, start);
		return;
	}
	key = pd_ticket_idempotency_key(queue->name, mail);
	delivery.envelope = envelope;
	delivery.recipient = recipient;
	delivery.queue = queue->name;
	delivery.subaddress = subaddress;
	delivery.mail = mail;
	delivery.raw = raw;
	delivery.idempotency_key = key;
	delivery.thread_candidates = candidates;
	delivery.auth = auth->result != NULL ? auth->json : NULL;	/* off: nothing */
	pd_pipeline_thread_facts(config, recipient, envelope, mail, candidates, &delivery.thread);
	pd_pipeline_autoreply_request(config, queue, envelope, mail, auth->result, &delivery.ack);
	pd_pipeline_notify_request(config, queue, mail, state->notify, &delivery.notify);
	delivery.approval_answer = pd_approval_answer_name(pd_approval_answer_parse(mail->text_body));
	pipeline_store_one(pipeline, state, queue, &delivery, auth, outcome);
	pipeline_log(mail, envelope, recipient, delivery.queue, outcome, start);
	pd_delivery_clear(&delivery);
}

void
pd_pipeline_deliver(PdPipeline *pipeline, const PdEnvelope *envelope,
		    GBytes *raw, PdRecipientOutcome *outcomes_r)
{
	gint64 start = g_get_monotonic_time();
	g_autoptr(PipelineState) state = pipeline_get_state(pipeline);
	const PdConfig *config = state->config;
	g_auto(PdPipelineAuthOutcome) auth_outcome = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(PdMail) mail = NULL;
	g_autoptr(GPtrArray) candidates = NULL;
	PdEnvelope assumed;

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
	/* a mailbox has no SMTP envelope: without a Return-Path the IMAP
	 * fetcher knows no sender, and the author stands for it (never the
	 * null sender, which would silence the acknowledgement) */
	if (envelope->mail_from == NULL && mail->from.address != NULL &&
	    g_strcmp0(envelope->source, "imap") == 0) {
		assumed = *envelope;
		assumed.mail_from = mail->from.address;
		envelope = &assumed;
	}
	candidates = pd_ticket_thread_candidates(mail, PD_PIPELINE_MAX_THREAD_CANDIDATES);
	/* once per message, in the session's thread (blocking DNS is fine) */
	pd_pipeline_authenticate(state->auth, envelope, raw, mail, &auth_outcome);
	pd_pipeline_metrics_auth(&auth_outcome);
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
		pipeline_deliver_one(pipeline, state, envelope, raw, mail, candidates,
				     &auth_outcome, envelope->recipients->pdata[i],
				     &outcomes_r[i], start);
}
