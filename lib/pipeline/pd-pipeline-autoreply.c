/* pd-pipeline-autoreply: the acknowledge step's decision, for the store.
 *
 * The pipeline decides (pd_autoreply_decide, lib/ticket) and the store
 * writes (pd_outbound_ack in the delivery's own statement, which also
 * applies the per-address cap and answers only a new ticket).  The request
 * travels as key/value pairs (PdInbound.autoreply):
 *   to, name, template, queue, limit, window    answer
 *   value:NAME                                   a template value that wins
 *                                                over the ticket's (sql/functions/outbound.sql)
 *   suppress, to                                 do not, and say why
 * No request at all when [outbound] is not configured or acknowledge = none.
 *
 * To a sender who is not authenticated, what the acknowledgement echoes of
 * the mail (ticket.subject, message.subject, message.text, requester.name
 * and the To display name) is cut and defanged (ticket/pd-echo.h): the
 * From may be forged, and the reply must not carry a stranger's message.
 *
 *   [outbound]
 *   acknowledge = all        ; all | authenticated (senders) | none
 *   autoreply_limit = 3      ; automatic replies per address ...
 *   autoreply_window = 3600  ; ... per this many seconds (0 = no cap)
 */
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "store/pd-store-outbound.h"
#include "smtp/pd-outbound.h"
#include "ticket/pd-autoreply.h"
#include "ticket/pd-echo.h"

#include <string.h>

#define SECTION "outbound"

static guint
config_uint(GKeyFile *kf, const char *key, guint fallback)
{
	g_autoptr(GError) error = NULL;
	gint64 value;

	if (!g_key_file_has_key(kf, SECTION, key, NULL))
		return fallback;
	value = g_key_file_get_int64(kf, SECTION, key, &error);
	return error == NULL && value >= 0 && value <= G_MAXINT ? (guint)value : fallback;
}

void
pd_pipeline_pair_add(GPtrArray *pairs, const char *key, const char *value)
{
	if (value == NULL)
		return;
	g_ptr_array_add(pairs, g_strdup(key));
	g_ptr_array_add(pairs, g_strdup(value));
}

GPtrArray *
pd_pipeline_own_addresses(const PdConfig *config)
{
	GPtrArray *own = g_ptr_array_new_with_free_func(g_free);
	static const char *const keys[] = { "from", "reply_address", "bounce_address" };

	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];

		for (guint j = 0; j < q->addresses->len; j++)
			g_ptr_array_add(own, g_strdup(q->addresses->pdata[j]));
	}
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		char *canonical = pd_pipeline_outbound_address(config, keys[i]);

		if (canonical != NULL)
			g_ptr_array_add(own, canonical);
	}
	g_ptr_array_add(own, NULL);
	return own;
}

GPtrArray *
pd_pipeline_autoreply_request(const PdConfig *config, const PdQueueConfig *queue,
			      const PdEnvelope *envelope, const PdMail *mail,
			      const PdAuthResult *auth)
{
	GKeyFile *kf = config->keyfile;
	g_autoptr(PdTokenKeys) keys = NULL;
	g_autoptr(GPtrArray) own = NULL;
	GPtrArray *pairs;
	PdAutoreplyFacts facts = { 0 };
	PdAutoreplyDecision decision;
	g_autofree char *limit = NULL, *window = NULL;
	PdAcknowledge acknowledge;
	gboolean authenticated = auth != NULL && auth->from_authenticated && !auth->temporary;

	if (kf == NULL || !g_key_file_has_group(kf, SECTION))
		return NULL;
	/* A bad value is check-config's to report; here it keeps the default. */
	(void)pd_outbound_acknowledge(kf, &acknowledge, NULL);
	if (acknowledge == PD_ACKNOWLEDGE_NONE)
		return NULL;
	keys = pd_token_keys_from_keyfile(kf, NULL);	/* NULL: the sender says why */
	own = pd_pipeline_own_addresses(config);
	facts.envelope_sender = envelope != NULL ? envelope->mail_from : NULL;
	facts.mail = mail;
	facts.keys = keys;
	facts.own_addresses = (const char *const *)own->pdata;
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
	if (decision.send && acknowledge == PD_ACKNOWLEDGE_AUTHENTICATED && !authenticated) {
		decision.send = FALSE;
		decision.reason = "acknowledge = authenticated: the sender is not authenticated";
	}

	pairs = g_ptr_array_new_with_free_func(g_free);
	if (!decision.send) {
		g_autofree char *from = mail->from.address != NULL
			? pd_address_canonicalize(mail->from.address, config->recipient_delimiter)
			: NULL;

		pd_pipeline_pair_add(pairs, "suppress", decision.reason);
		pd_pipeline_pair_add(pairs, "to", from);
		pd_autoreply_decision_clear(&decision);
		return pairs;
	}
	limit = g_strdup_printf("%u", config_uint(kf, "autoreply_limit", 3));
	window = g_strdup_printf("%u", config_uint(kf, "autoreply_window", 3600));
	pd_pipeline_pair_add(pairs, "to", decision.recipient);
	if (authenticated) {
		pd_pipeline_pair_add(pairs, "name", decision.recipient_name);
	} else {
		g_autofree char *name = pd_echo_text(decision.recipient_name, PD_ECHO_MAX_CHARS);
		g_autofree char *subject = pd_echo_text(mail->subject, PD_ECHO_MAX_CHARS);
		g_autofree char *text = pd_echo_text(mail->text_body, PD_ECHO_MAX_CHARS);

		pd_pipeline_pair_add(pairs, "name", decision.recipient_name != NULL ? name : NULL);
		pd_pipeline_pair_add(pairs, "value:requester.name", name);
		pd_pipeline_pair_add(pairs, "value:ticket.subject", subject);
		pd_pipeline_pair_add(pairs, "value:message.subject", subject);
		pd_pipeline_pair_add(pairs, "value:message.text", text);
	}
	pd_pipeline_pair_add(pairs, "template", "ack");
	pd_pipeline_pair_add(pairs, "queue", queue->name);
	pd_pipeline_pair_add(pairs, "limit", limit);
	pd_pipeline_pair_add(pairs, "window", window);
	pd_autoreply_decision_clear(&decision);
	return pairs;
}

void
pd_pipeline_autoreply_explain(const PdConfig *config, PdStore *store, const char *recipient,
			      const PdEnvelope *envelope, const PdMail *mail,
			      const PdAuthResult *auth, gboolean new_ticket,
			      const char *identity_json, PdAutoreplyExplain *explain_r)
{
	const PdQueueConfig *queue = pd_config_queue_for(config, recipient, NULL);
	const char *suppress = NULL, *to = NULL, *limit = NULL, *window = NULL;
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
	explain_r->request = pd_pipeline_autoreply_request(config, queue, envelope, mail, auth);
	if (explain_r->request == NULL) {
		explain_r->reason = g_strdup("not configured ([outbound] missing or acknowledge = none)");
		return;
	}
	for (guint i = 0; i + 1 < explain_r->request->len; i += 2) {
		const char *key = explain_r->request->pdata[i];
		const char *value = explain_r->request->pdata[i + 1];

		if (strcmp(key, "suppress") == 0)
			suppress = value;
		else if (strcmp(key, "to") == 0)
			to = value;
		else if (strcmp(key, "limit") == 0)
			limit = value;
		else if (strcmp(key, "window") == 0)
			window = value;
	}
	explain_r->to = g_strdup(to);
	/* the delivery's own decision (the hold, the holder, the caps) */
	if (store != NULL &&
	    pd_store_ack_decide(store, new_ticket, explain_r->request, identity_json, &d, &error)) {
		explain_r->send = d.template != NULL;
		if (d.template != NULL)
			explain_r->reason = g_strdup_printf(
				"new ticket, template %s; at most %s per %s s to one address",
				d.template, limit, window);
		else
			explain_r->reason = g_strdup(d.reason);
		pd_ack_decision_clear(&d);
	} else if (suppress != NULL) {
		explain_r->reason = g_strdup(suppress);
	} else if (!new_ticket) {
		explain_r->reason = g_strdup("a reply on an existing ticket");
	} else {
		explain_r->send = TRUE;
		explain_r->reason = g_strdup_printf(
			"new ticket; at most %s per %s s to one address (%s)", limit, window,
			error != NULL ? error->message : "the caps and holds need the database");
	}
}

void
pd_autoreply_explain_clear(PdAutoreplyExplain *explain)
{
	g_clear_pointer(&explain->reason, g_free);
	g_clear_pointer(&explain->to, g_free);
	g_clear_pointer(&explain->request, g_ptr_array_unref);
}
