/* pd-pipeline-filter: the filter step on the mail path (issue 10).
 *
 * The operator's rules (lib/filter) run once per recipient's delivery,
 * after identify (they may test the identity) and before the agent step
 * and the store.  What they decide is folded into the delivery's other
 * steps here, so that the store's steps stay as they are:
 *   queue       the delivery's queue; identity, ack and notify are decided
 *               again for it (a new ticket only: a reply stays where its
 *               ticket is, the store ignores the queue then)
 *   hold        the identity's hold ('rule', or 'spam' when the score
 *               decided): no acknowledgement, no notification
 *   noack       the acknowledgement is suppressed
 *   reply       the template answered instead of "ack"
 *   group       the agents notified instead of the queue's group
 *   forwards    addresses that get a forward of the mail
 * and the outcome as JSON for pd_deliver's step 8 (score, hits, category,
 * priority, assignee, tags).  The disposition (quarantine, reject,
 * discard) is the caller's to carry out.
 */
#include "pd-pipeline-private.h"
#include "core/pd-log.h"

#include <string.h>

typedef struct {
	PdStore *store;
	const PdDelivery *delivery;
} FilterThread;

/* thread :reply for the rules: a valid reply token, or a cited message
 * that a ticket has (the same decision as the store's, read only). */
static gboolean
filter_thread_is_reply(gpointer user_data, gboolean *reply_r)
{
	FilterThread *t = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *reason = NULL;
	gint64 number = 0;

	if (t->delivery->thread.token_ticket != 0) {
		*reply_r = TRUE;
		return TRUE;
	}
	if (t->delivery->thread_candidates == NULL || t->delivery->thread_candidates->len == 0) {
		*reply_r = FALSE;
		return TRUE;
	}
	if (!pd_store_thread_lookup(t->store, t->delivery->thread_candidates, &number, &reason,
				    &error)) {
		pd_log_warning("filter: thread test: %s; taken as unknown", error->message);
		return FALSE;
	}
	*reply_r = number != 0;
	return TRUE;
}

void
pd_pipeline_queue_requests(const PdConfig *config, const PdQueueConfig *queue,
			   const PdNotifySettings *notify, const PdAuthResult *auth,
			   PdDelivery *delivery)
{
	delivery->queue = queue->name;
	pd_ack_request_clear(&delivery->ack);
	pd_pipeline_autoreply_request(config, queue, delivery->envelope, delivery->mail, auth,
				      &delivery->ack);
	pd_notify_request_clear(&delivery->notify);
	pd_pipeline_notify_request(config, queue, delivery->mail, notify, &delivery->notify);
}

PdDisposition
pd_pipeline_filter(const PdPipelineFilterContext *context, PdStore *store, PdDelivery *delivery,
		   const PdQueueConfig *queue, const PdIdentityFacts *facts,
		   PdIdentityDecision *identity, PdFilterOutcome *outcome_r, char **json_r)
{
	const PdConfig *config = context->config;
	PdFilterInput input = { 0 };
	FilterThread thread = { store, delivery };

	*json_r = NULL;
	input.mail = delivery->mail;
	input.raw = delivery->raw;
	input.envelope = delivery->envelope;
	input.recipient = delivery->recipient;
	input.queue = queue;
	input.auth = context->auth;
	input.from_authenticated = context->from_authenticated;
	input.facts = facts;
	input.identity = identity;
	input.thread_is_reply = filter_thread_is_reply;
	input.thread_user_data = &thread;
	input.released = context->released;
	pd_filter_run(context->set, config, &input, outcome_r);
	if (!outcome_r->ran)
		return outcome_r->disposition;
	for (guint i = 0; i < outcome_r->errors->len; i++)
		pd_log_warning("filter: %s", (char *)outcome_r->errors->pdata[i]);

	if (outcome_r->queue != NULL && strcmp(outcome_r->queue, queue->name) != 0) {
		const PdQueueConfig *moved = pd_config_queue_named(config, outcome_r->queue);

		if (moved != NULL) {
			pd_identity_decision_clear(identity);
			pd_identity_decide(facts, context->from_authenticated, moved, identity);
			pd_pipeline_queue_requests(config, moved, context->notify, context->auth,
						   delivery);
		}
	}
	if (outcome_r->disposition == PD_DISPOSITION_HOLD && identity->hold == PD_HOLD_NONE)
		identity->hold = outcome_r->by_score ? PD_HOLD_SPAM : PD_HOLD_RULE;
	if (delivery->ack.wanted) {
		if (outcome_r->noack && delivery->ack.suppress == NULL)
			delivery->ack.suppress = g_strdup("a filter rule (noack)");
		if (outcome_r->reply != NULL)
			delivery->ack.template_name = outcome_r->reply;
	}
	delivery->notify.group = outcome_r->group;
	delivery->notify.forwards = outcome_r->forwards;
	*json_r = pd_filter_outcome_json(outcome_r);
	delivery->filter = *json_r;
	return outcome_r->disposition;
}
