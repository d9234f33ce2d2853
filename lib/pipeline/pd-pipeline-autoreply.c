/* pd-pipeline-autoreply: the acknowledge step's decision, for the store.
 *
 * The pipeline decides (pd_autoreply_decide, lib/ticket) and the store
 * writes (pd_outbound_ack in the delivery's own transaction, which also
 * applies the per-address cap and answers only a new ticket).  The request
 * is PdDelivery.ack: whom to answer with which template under which cap
 * and what the answer echoes, or why not (suppress); not wanted at all when
 * [outbound] is not configured or acknowledge = none.
 *
 * To a sender who is not authenticated, what the acknowledgement echoes of
 * the mail (ticket.subject, message.subject, message.text, requester.name
 * and the To display name) is cut and defanged (ticket/pd-echo.h): the
 * From may be forged, and the reply must not carry a stranger's message.
 *
 * The keys ([outbound] acknowledge, autoreply_limit, autoreply_window):
 * pd-pipeline-settings.c.
 */
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "store/pd-store-outbound.h"
#include "smtp/pd-outbound.h"
#include "ticket/pd-autoreply.h"
#include "ticket/pd-echo.h"

#include <string.h>

void
pd_pipeline_autoreply_request(const PdConfig *config, const PdQueueConfig *queue,
			      const PdEnvelope *envelope, const PdMail *mail,
			      const PdAuthResult *auth, PdAckRequest *ack_r)
{
	const PdPipelineSettings *settings = pd_pipeline_settings(config);
	PdAutoreplyFacts facts = { 0 };
	PdAutoreplyDecision decision;
	gboolean authenticated = auth != NULL && auth->from_authenticated && !auth->temporary;

	memset(ack_r, 0, sizeof(*ack_r));
	if (!settings->acknowledge_on)
		return;
	facts.envelope_sender = envelope != NULL ? envelope->mail_from : NULL;
	facts.mail = mail;
	facts.keys = settings->token_keys;
	facts.own_addresses = (const char *const *)settings->own_addresses->pdata;
	facts.delimiter = config->recipient_delimiter;
	/* No backscatter to a forged sender whose domain asks receivers to
	 * reject what fails DMARC.  A temporary DNS failure proves nothing
	 * either way, so it is not treated as known.  Scoring is not wired
	 * yet: spam stays FALSE. */
	if (auth != NULL && auth->source != PD_AUTH_SOURCE_NONE && !auth->temporary) {
		facts.auth_known = TRUE;
		facts.from_authenticated = auth->from_authenticated;
		facts.dmarc_reject = auth->dmarc_policy == PD_DMARC_POLICY_REJECT;
	}
	pd_autoreply_decide(&facts, &decision);
	if (decision.send && settings->acknowledge == PD_ACKNOWLEDGE_AUTHENTICATED &&
	    !authenticated) {
		decision.send = FALSE;
		decision.reason = "acknowledge = authenticated: the sender is not authenticated";
	}

	ack_r->wanted = TRUE;
	if (!decision.send) {
		ack_r->suppress = g_strdup(decision.reason);
		ack_r->to = mail->from.address != NULL
			? pd_address_canonicalize(mail->from.address, config->recipient_delimiter)
			: NULL;
		pd_autoreply_decision_clear(&decision);
		return;
	}
	ack_r->to = g_strdup(decision.recipient);
	if (authenticated) {
		ack_r->name = g_strdup(decision.recipient_name);
	} else {
		ack_r->echo = TRUE;
		ack_r->echo_name = pd_echo_text(decision.recipient_name, PD_ECHO_MAX_CHARS);
		ack_r->echo_subject = pd_echo_text(mail->subject, PD_ECHO_MAX_CHARS);
		ack_r->echo_text = pd_echo_text(mail->text_body, PD_ECHO_MAX_CHARS);
		ack_r->name = g_strdup(ack_r->echo_name);
	}
	ack_r->template_name = "ack";
	ack_r->queue = queue->name;
	ack_r->limit = settings->autoreply_limit;
	ack_r->window = settings->autoreply_window;
	pd_autoreply_decision_clear(&decision);
}

void
pd_pipeline_autoreply_explain(const PdConfig *config, PdStore *store, const char *recipient,
			      const PdEnvelope *envelope, const PdMail *mail,
			      const PdAuthResult *auth, gboolean new_ticket,
			      const char *identity_json, PdAutoreplyExplain *explain_r)
{
	const PdQueueConfig *queue = pd_config_queue_for(config, recipient, NULL);
	const PdAckRequest *ack = &explain_r->request;
	g_autoptr(GError) error = NULL;
	PdAckDecision d = { 0 };
	PdEnvelope assumed;

	memset(explain_r, 0, sizeof(*explain_r));
	if (queue == NULL) {
		explain_r->reason = g_strdup("no queue");
		return;
	}
	/* `postdesk test FILE` without --from: take the From as the envelope
	 * sender rather than call it the null sender (the mail path never
	 * has an envelope without one) */
	if (envelope != NULL && envelope->mail_from == NULL && mail->from.address != NULL) {
		assumed = *envelope;
		assumed.mail_from = mail->from.address;
		envelope = &assumed;
	}
	pd_pipeline_autoreply_request(config, queue, envelope, mail, auth, &explain_r->request);
	if (!ack->wanted) {
		explain_r->reason = g_strdup("not configured ([outbound] missing or acknowledge = none)");
		return;
	}
	explain_r->to = g_strdup(ack->to);
	/* the delivery's own decision (the hold, the holder, the caps) */
	if (store != NULL &&
	    pd_store_ack_decide(store, new_ticket, ack, identity_json, &d, &error)) {
		explain_r->send = d.template != NULL;
		if (d.template != NULL)
			explain_r->reason = g_strdup_printf(
				"new ticket, template %s; at most %u per %u s to one address",
				d.template, ack->limit, ack->window);
		else
			explain_r->reason = g_strdup(d.reason);
		pd_ack_decision_clear(&d);
	} else if (ack->suppress != NULL) {
		explain_r->reason = g_strdup(ack->suppress);
	} else if (!new_ticket) {
		explain_r->reason = g_strdup("a reply on an existing ticket");
	} else {
		explain_r->send = TRUE;
		explain_r->reason = g_strdup_printf(
			"new ticket; at most %u per %u s to one address (%s)", ack->limit, ack->window,
			error != NULL ? error->message : "the caps and holds need the database");
	}
}

void
pd_autoreply_explain_clear(PdAutoreplyExplain *explain)
{
	g_clear_pointer(&explain->reason, g_free);
	g_clear_pointer(&explain->to, g_free);
	pd_ack_request_clear(&explain->request);
}
