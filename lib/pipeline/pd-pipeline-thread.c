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
 * Configuration, [outbound]:
 *   participants_from_cc = yes	; Cc'd addresses of a new ticket take part
 *   reopen_days = 14		; a reply to a solved/closed ticket reopens it
 *				; within this many days, later links a new one
 */
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "core/pd-log.h"
#include "ticket/pd-ticket.h"
#include "ticket/pd-token.h"

#include <string.h>

#define SECTION "outbound"
#define REOPEN_DAYS_DEFAULT 14
#define REOPEN_DAYS_MAX 3650

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
	g_autoptr(PdTokenKeys) keys = NULL;
	g_autofree char *via = NULL;
	Refused refused = { 0 };
	PdTokenInfo info;
	gint64 ticket = 0;
	gboolean found;

	if (config->keyfile == NULL || sender == NULL ||
	    !g_key_file_has_key(config->keyfile, SECTION, "token_keys", NULL))
		return;
	keys = pd_token_keys_from_keyfile(config->keyfile, NULL);	/* the sender says why */
	if (keys == NULL)
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

/* Is canonical one of own (pd_pipeline_own_addresses)? */
static gboolean
address_is_own(GPtrArray *own, const char *canonical)
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
	g_autoptr(GPtrArray) own = NULL;

	if (mail->cc == NULL || mail->cc->len == 0)
		return out;
	own = pd_pipeline_own_addresses(config);
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
	GKeyFile *kf = config->keyfile;
	const char *from = mail->from.address;
	g_autofree char *sender = NULL;
	gint64 reopen = REOPEN_DAYS_DEFAULT;
	gboolean from_cc = TRUE;

	memset(facts_r, 0, sizeof(*facts_r));
	if (from == NULL && envelope != NULL && envelope->mail_from != NULL &&
	    *envelope->mail_from != '\0')
		from = envelope->mail_from;
	sender = from != NULL ? pd_address_canonicalize(from, config->recipient_delimiter) : NULL;
	if (sender != NULL)
		facts_r->sender = g_ascii_strdown(sender, -1);
	thread_tokens(config, recipient, from, candidates, facts_r);
	facts_r->subject_number = MAX(pd_ticket_subject_number(mail->subject), 0);
	if (kf != NULL)
		(void)pd_config_get_bool(kf, SECTION, "participants_from_cc", TRUE, &from_cc,
					 NULL);
	if (from_cc)
		facts_r->cc = thread_cc(config, mail, sender);
	if (kf != NULL && g_key_file_has_key(kf, SECTION, "reopen_days", NULL)) {
		g_autoptr(GError) error = NULL;
		gint64 days = g_key_file_get_int64(kf, SECTION, "reopen_days", &error);

		if (error != NULL || days < 0 || days > REOPEN_DAYS_MAX)
			pd_log_error("[outbound] reopen_days: not a number of days 0..%d; using %d",
				     REOPEN_DAYS_MAX, REOPEN_DAYS_DEFAULT);
		else
			reopen = days;
	}
	facts_r->reopen_days = (guint)reopen;
}
