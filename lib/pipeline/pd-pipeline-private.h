/* pd-pipeline-private: what pd-pipeline.c and pd-explain.c share. */
#ifndef PD_PIPELINE_PRIVATE_H
#define PD_PIPELINE_PRIVATE_H

/* In-Reply-To plus the newest References looked up for threading: a peer
 * controls References, so the lookup is bounded. */
#define PD_PIPELINE_MAX_THREAD_CANDIDATES 20

#include "core/pd-config.h"
#include "pd-pipeline.h"
#include "mail/pd-mail.h"
#include "store/pd-store.h"
#include "ticket/pd-identity.h"
#include "ticket/pd-agent.h"
#include "filter/pd-filter.h"
#include "auth/pd-auth.h"

/* The identify step (pd-pipeline-identity.c): look up the From's facts on
 * store and decide for queue.  from_authenticated is lib/auth's verdict
 * (FALSE while authentication is off or not wired). */
gboolean pd_pipeline_identify(PdStore *store, const PdConfig *config,
			      const PdQueueConfig *queue, const PdMail *mail,
			      gboolean from_authenticated, PdIdentityFacts **facts_r,
			      PdIdentityDecision *decision_r, GError **error);

/* delivery's queue becomes queue, and its ack and notify requests are
 * made again for it (the filter's queue action, a retry after one). */
void pd_pipeline_queue_requests(const PdConfig *config, const PdQueueConfig *queue,
				const PdNotifySettings *notify, const PdAuthResult *auth,
				PdDelivery *delivery);

/* The filter step (pd-pipeline-filter.c): run the operator's rules for
 * one delivery, after identify and before the agent step, and fold what
 * they decided into it: the queue (identity, ack and notify decided again
 * for it), the hold (the identity's: no ack, no notification), noack,
 * reply, group and forwards; delivery->filter gets the outcome's JSON
 * (json_r owns it).  released: an operator released the mail from the
 * quarantine.  Returns the disposition (outcome_r says why). */
typedef struct {
	const PdFilterSet *set;
	const PdConfig *config;
	const PdNotifySettings *notify;
	const PdAuthResult *auth;
	gboolean from_authenticated;
	gboolean released;
} PdPipelineFilterContext;

PdDisposition pd_pipeline_filter(const PdPipelineFilterContext *context, PdStore *store,
				 PdDelivery *delivery, const PdQueueConfig *queue,
				 const PdIdentityFacts *facts, PdIdentityDecision *identity,
				 PdFilterOutcome *outcome_r, char **json_r);

/* The acknowledge step (pd-pipeline-autoreply.c): the request for
 * pd_outbound_ack (PdDelivery.ack; not wanted when no acknowledgement is
 * configured).  auth: the sender authentication of the message, NULL when
 * it is off (then DMARC cannot veto a reply). */
void pd_pipeline_autoreply_request(const PdConfig *config, const PdQueueConfig *queue,
				   const PdEnvelope *envelope, const PdMail *mail,
				   const PdAuthResult *auth, PdAckRequest *ack_r);
/* The same decision for `postdesk test`: the acknowledgement recipient's
 * copy would get and why, to whom, and the request it is decided on (for
 * pd_store_authorization_explain).  With a store, by the delivery's own
 * function (pd_store_ack_decide: holds, the holder's approval, the caps);
 * without one, by the request alone.  new_ticket: it makes a new ticket;
 * identity_json: the identity decision, may be NULL. */
typedef struct {
	gboolean send;
	char *reason;
	char *to;
	PdAckRequest request;	/* pd_pipeline_autoreply_request() */
} PdAutoreplyExplain;

void pd_pipeline_autoreply_explain(const PdConfig *config, PdStore *store, const char *recipient,
				   const PdEnvelope *envelope, const PdMail *mail,
				   const PdAuthResult *auth, gboolean new_ticket,
				   const char *identity_json, PdAutoreplyExplain *explain_r);
void pd_autoreply_explain_clear(PdAutoreplyExplain *explain);

/* What agents hear of the message (pd-pipeline-notify.c), for
 * pd_outbound_notify (PdDelivery.notify); settings: of the configuration
 * (pd_pipeline_notify_settings), NULL when [outbound] is missing or
 * notify_agents = no: then nothing is wanted. */
void pd_pipeline_notify_request(const PdConfig *config, const PdQueueConfig *queue,
				const PdMail *mail, const PdNotifySettings *settings,
				PdNotifyRequest *notify_r);

/* The thread step (pd-pipeline-thread.c): PdDelivery.thread: the sender,
 * a signed token verified for it (or the verdict of a refused one), the
 * subject's [#N], the Cc participants and reopen_days, for pd_thread_decide
 * (sql/functions/thread.sql).  Clear with pd_thread_facts_clear(). */
void pd_pipeline_thread_facts(const PdConfig *config, const char *recipient,
			      const PdEnvelope *envelope, const PdMail *mail,
			      GPtrArray *candidates, PdThreadFacts *facts_r);
/* After identify: a sender who is an authenticated contact in good standing
 * holding the queue's permission (identity->authorized) takes part in the
 * tickets of its account in that queue (pd_thread_takes_part); the queue and
 * its permission go along for pd_thread_rethread. */
void pd_pipeline_thread_contact(const PdIdentityDecision *identity, const char *queue,
				PdThreadFacts *facts);

/* The agent step (pd-pipeline-agent.c): for a mail whose From is an
 * agent's address, the answer for pd_agent_answer (PdDelivery.agent,
 * sql/functions/agent.sql); not present for anyone else. */
void pd_pipeline_agent_answer(const PdConfig *config, const PdMail *mail,
			      const PdIdentityDecision *identity, PdAgentRequest *agent_r);
/* The same for `postdesk test`: what the delivery would do with it, asked
 * of the delivery's own decision on store (pd_store_agent_decide;
 * ticket_number: the ticket it threads into, 0: a new ticket), as one line
 * (returned, NULL: not an agent's address) and as JSON ({decision, reason,
 * relay_to, answer}). */
char *pd_pipeline_agent_explain(const PdConfig *config, PdStore *store, gint64 ticket_number,
				const PdMail *mail, const PdIdentityDecision *identity,
				char **json_r);

#endif
