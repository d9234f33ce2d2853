/* pd-pipeline-thread: the thread step's facts for the store (issue 4,
 * items 4 and 7; DESIGN invariant 4).
 *
 * Verifies our signed reply tokens in the recipient's subaddress
 * ("support+t-TOKEN@") and in In-Reply-To/References ("pd.TOKEN@host")
 * against the mail's sender (From, else the envelope sender).  Only a
 * VALID token (authentic, issued to this sender on this address) names a
 * ticket; a forged, altered, foreign-key, other-address or other-recipient
 * token threads nothing and is reported with its verdict.  The rest of the
 * decision (participants for Message-ID and [#N] threading, reopening) is
 * the store's, in the delivery transaction (pd_thread_decide,
 * sql/functions/thread.sql).
 *
 * Who takes part besides the participants: an authenticated contact in
 * good standing of the ticket's account who holds the permission of the
 * ticket's queue; pd_pipeline_thread_contact hands the store its account
 * and queue once identify has decided, and pd_thread_takes_part decides.
 *
 * Configuration: [outbound] participants_from_cc and reopen_days
 * (pd-pipeline-settings.c).
 */
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "ticket/pd-ticket.h"
#include "ticket/pd-token.h"

#include <string.h>


/* The first refused token, for the "thread.token" event. */
typedef struct {
	PdTokenVerdict verdict;
	gint64 ticket_id;
	char *via;
} Refused;

static gboolean
token_seen(PdTokenVerdict verdict, const PdTokenInfo *info, const char *via,
	   gint64 *ticket_r, char **via_r, Refused *refused)
{
	if (verdict == PD_TOKEN_VALID) {
		*ticket_r = info->ticket_id;
		*via_r = g_strdup(via);
		return TRUE;
	}
	if (verdict != PD_TOKEN_ABSENT && refused->via == NULL) {
		refused->verdict = verdict;
		refused->ticket_id = info->ticket_id;
		refused->via = g_strdup(via);
	}
	return FALSE;
}

static void
thread_tokens(const PdConfig *config, const char *recipient, const char *sender,
	      GPtrArray *candidates, PdThreadFacts *facts)
{
	const PdTokenKeys *keys = pd_pipeline_settings(config)->token_keys;
	g_autofree char *via = NULL;
	Refused refused = { 0 };
	PdTokenInfo info;
	gint64 ticket = 0;
	gboolean found;

	if (keys == NULL || sender == NULL)
		return;
	found = token_seen(pd_token_verify_reply_address(keys, recipient, sender, &info),
			   &info, "recipient", &ticket, &via, &refused);
	for (guint i = 0; !found && candidates != NULL && i < candidates->len; i++) {
		g_autofree char *where = g_strdup_printf("Message-ID <%s>",
							 (char *)candidates->pdata[i]);

		found = token_seen(pd_token_verify_message_id(keys, candidates->pdata[i], sender,
							      &info),
				   &info, where, &ticket, &via, &refused);
	}
	if (found) {
		facts->token_ticket = ticket;
		facts->token_via = g_steal_pointer(&via);
	}
	if (refused.via != NULL) {
		facts->token_refused = pd_token_verdict_str(refused.verdict);
		facts->token_refused_via = refused.via;
		facts->token_refused_ticket = refused.ticket_id;
	}
}

/* Is canonical one of own (PdPipelineSettings.own_addresses)? */
static gboolean
address_is_own(const GPtrArray *own, const char *canonical)
{
	for (guint i = 0; own->pdata[i] != NULL; i++)
		if (g_ascii_strcasecmp(own->pdata[i], canonical) == 0)
			return TRUE;
	return FALSE;
}

/* Cc'd addresses that are not ours (a queue's, [outbound] from,
 * reply_address, bounce_address) nor the sender. */
static GPtrArray *
thread_cc(const PdConfig *config, const PdMail *mail, const char *sender)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	const GPtrArray *own = pd_pipeline_settings(config)->own_addresses;

	if (mail->cc == NULL || mail->cc->len == 0)
		return out;
	for (guint i = 0; i < mail->cc->len; i++) {
		const PdMailAddress *a = mail->cc->pdata[i];
		g_autofree char *canonical = a->address != NULL
			? pd_address_canonicalize(a->address, config->recipient_delimiter) : NULL;
		g_autofree char *sub = NULL;

		if (canonical == NULL || strchr(canonical, ' ') != NULL ||
		    g_strcmp0(canonical, sender) == 0 || address_is_own(own, canonical) ||
		    pd_config_queue_for(config, canonical, &sub) != NULL)
			continue;
		g_ptr_array_add(out, g_steal_pointer(&canonical));
	}
	return out;
}

void
pd_pipeline_thread_facts(const PdConfig *config, const char *recipient,
			 const PdEnvelope *envelope, const PdMail *mail, GPtrArray *candidates,
			 PdThreadFacts *facts_r)
{
	const PdPipelineSettings *settings = pd_pipeline_settings(config);
	const char *from = mail->from.address;
	g_autofree char *sender = NULL;

	memset(facts_r, 0, sizeof(*facts_r));
	if (from == NULL && envelope != NULL && envelope->mail_from != NULL &&
	    *envelope->mail_from != '\0')
		from = envelope->mail_from;
	sender = from != NULL ? pd_address_canonicalize(from, config->recipient_delimiter) : NULL;
	if (sender != NULL)
		facts_r->sender = g_ascii_strdown(sender, -1);
	thread_tokens(config, recipient, from, candidates, facts_r);
	facts_r->subject_number = MAX(pd_ticket_subject_number(mail->subject), 0);
	facts_r->message_id = mail->message_id;
	if (settings->participants_from_cc)
		facts_r->cc = thread_cc(config, mail, sender);
	facts_r->reopen_days = settings->reopen_days;
	facts_r->queues = config->queues;
}

void
pd_pipeline_thread_contact(const PdIdentityDecision *identity, const char *queue,
			   PdThreadFacts *facts)
{
	facts->contact_account = 0;
	facts->contact_queue = NULL;
	facts->queue = queue;
	facts->queue_permission = identity != NULL ? identity->permission : NULL;
	if (identity == NULL || identity->kind != PD_REQUESTER_CONTACT || !identity->privileged ||
	    !identity->authorized || identity->account_id == 0 || queue == NULL)
		return;
	facts->contact_account = identity->account_id;
	facts->contact_queue = queue;
}
