/* pd-delivery: one recipient's delivery, as the pipeline decided it.
 *
 * The pipeline fills one PdDelivery per recipient, step by step (what
 * arrived, then authenticate, identify, thread, acknowledge, notify, the
 * agent step, the approval answer, and the filter's outcome); the store
 * turns it into ONE jsonb document (pd_delivery_json) plus the bulk bytes,
 * and one SQL entry point, pd_deliver (sql/functions/deliver.sql), runs
 * the steps in their order inside one transaction.  Every field has a
 * type; there are no key/value bags and no positional parameters.
 *
 * The document's members are the field names below (sql/functions/
 * deliver.sql lists them).  The pipeline owns the strings it puts here and
 * frees them with pd_delivery_clear(); "const" fields are borrowed.
 */
#ifndef PD_DELIVERY_H
#define PD_DELIVERY_H

#include <glib.h>
#include "core/pd-envelope.h"
#include "mail/pd-mail.h"
#include "ticket/pd-identity.h"
#include "ticket/pd-agent.h"

/* The thread step's facts (pd_pipeline_thread_facts): what the store
 * needs to decide which ticket the mail joins (pd_thread_decide). */
typedef struct {
	char *sender;			/* From, else MAIL FROM: canonical, lower case; NULL: none */
	gint64 token_ticket;		/* the ticket a VALID reply token names; 0: none */
	char *token_via;		/* where that token was: "recipient", "Message-ID <...>" */
	const char *token_refused;	/* verdict of the first refused token; NULL: none */
	char *token_refused_via;
	gint64 token_refused_ticket;	/* the ticket it claimed; 0: unknown */
	gint64 subject_number;		/* the subject's [#N]; 0: none */
	GPtrArray *cc;			/* char *: Cc addresses taking part in a new ticket */
	guint reopen_days;		/* a reply within this many days reopens */
	const char *message_id;		/* the mail's own (a stored reply to it threads it) */
	/* An authenticated contact holding the queue's permission takes part
	 * in that account's tickets of that queue (pd_pipeline_thread_contact) */
	gint64 contact_account;		/* 0: the sender is no such contact */
	const char *contact_queue;
	/* The delivery's queue and the permission it needs (NULL: none), so
	 * replies stored before this mail are decided again with the contacts
	 * this queue admits (pd_thread_rethread) */
	const char *queue;
	const char *queue_permission;
	/* PdQueueConfig *: every configured queue and the permission it needs,
	 * so a stored reply in another queue's ticket is decided with the
	 * contacts that queue admits; NULL: only the delivery's queue */
	const GPtrArray *queues;
} PdThreadFacts;

/* The acknowledge step (pd_pipeline_autoreply_request): queued only for a
 * new ticket, within the per-address cap (pd_outbound_ack). */
typedef struct {
	gboolean wanted;		/* FALSE: acknowledgements are off (no request) */
	char *suppress;			/* why none is sent; NULL: send one */
	char *to;			/* the address answered (suppressed: the From) */
	char *name;
	const char *template_name;	/* "ack" */
	const char *queue;
	guint limit;			/* automatic replies per address ... */
	guint window;			/* ... per this many seconds; 0: no cap */
	/* What the acknowledgement echoes of the mail when the sender is not
	 * authenticated: cut and defanged (lib/ticket/pd-echo.h), template
	 * values that win over the ticket's.  echo FALSE: the ticket's own. */
	gboolean echo;
	char *echo_name;		/* requester.name */
	char *echo_subject;		/* ticket.subject and message.subject */
	char *echo_text;		/* message.text */
} PdAckRequest;

/* One queue as notifications see it: the ticket's queue decides. */
typedef struct {
	char *name;
	char *group;			/* agents notified; NULL: every agent */
	char *forward_to;		/* gets each new ticket; NULL: nobody */
} PdNotifyQueue;

/* The settings of notifications and forwards, the same for every message
 * of a configuration (pd_pipeline_notify_settings). */
typedef struct {
	GPtrArray *queues;		/* PdNotifyQueue *, every configured queue */
	char *envelope_from;		/* MAIL FROM of what agents get; NULL: none */
} PdNotifySettings;

/* What agents hear of the message (pd_pipeline_notify_request). */
typedef struct {
	gboolean wanted;		/* FALSE: notify_agents = no, or no [outbound] */
	const PdNotifySettings *settings;
	const char *queue;		/* the recipient's queue */
	char *from;			/* canonical From; NULL: none */
	const char *robot;		/* why the mail is automatic; NULL: a person's */
	/* a filter rule's (borrowed from the PdFilterOutcome) */
	const char *group;		/* heard instead of the queue's group; NULL: none */
	const GPtrArray *forwards;	/* char *: addresses that get a forward; NULL: none */
} PdNotifyRequest;

/* The agent step (pd_pipeline_agent_answer): present only when the From
 * is an agent's address; whether it acts is the store's decision. */
typedef struct {
	gboolean present;
	PdAgentAnswer answer;		/* commands and the text to relay */
	char *from;			/* canonical From */
	char *envelope_from;		/* MAIL FROM of the relay */
	gsize attachments_max;		/* decoded bytes a relay may attach */
	const char *template_name;	/* "agent-reply" */
} PdAgentRequest;

typedef struct {
	/* what arrived */
	const PdEnvelope *envelope;
	const char *recipient;		/* as in RCPT TO */
	const char *queue;		/* queue name from the config */
	const char *subaddress;		/* "+tag" of the recipient, or NULL */
	const PdMail *mail;
	GBytes *raw;
	const char *idempotency_key;	/* pd_ticket_idempotency_key() */
	GPtrArray *thread_candidates;	/* pd_ticket_thread_candidates() */

	/* what the steps found and decided, in pipeline order */
	const char *auth;		/* authenticate: the outcome as JSON; NULL: off */
	const PdIdentityDecision *identity;	/* identify; NULL: not identified */
	PdThreadFacts thread;
	PdAckRequest ack;
	PdNotifyRequest notify;
	PdAgentRequest agent;
	const char *approval_answer;	/* pd_approval_answer_name(): "approve", "refuse"; NULL */
	/* the operator's filter rules (lib/filter): what they decided, as
	 * pd_filter_outcome_json; NULL: no script configured.  The queue,
	 * group, reply, noack, forwards and hold are already applied to the
	 * steps above; pd_deliver's step 8 records the rest. */
	const char *filter;
} PdDelivery;

void pd_thread_facts_clear(PdThreadFacts *facts);
void pd_ack_request_clear(PdAckRequest *ack);
void pd_notify_request_clear(PdNotifyRequest *notify);
void pd_notify_settings_free(PdNotifySettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdNotifySettings, pd_notify_settings_free)
void pd_agent_request_clear(PdAgentRequest *agent);
/* Frees what the delivery owns (the step outputs), not what it borrows. */
void pd_delivery_clear(PdDelivery *delivery);

/* The document pd_deliver reads: every field above except the bulk
 * bytes (raw, and attachment contents that are not spans of raw), which
 * travel as parameters of their own.  raw_sha256: of the bytes stored. */
char *pd_delivery_json(const PdDelivery *delivery, const char *raw_sha256);
/* Parts of it, for the explain calls that decide with the same SQL. */
char *pd_thread_facts_json(const PdThreadFacts *facts);
char *pd_notify_settings_json(const PdNotifySettings *settings);
/* NULL when notify is not wanted. */
char *pd_notify_request_json(const PdNotifyRequest *notify);
/* NULL when ack is not wanted. */
char *pd_ack_request_json(const PdAckRequest *ack);
/* NULL when agent is not present. */
char *pd_agent_request_json(const PdAgentRequest *agent);

#endif
