/* pd-store-outbound: the outbound queue (the outbound table).
 *
 * The sender's side: claim due rows (FOR UPDATE SKIP LOCKED, so several
 * daemons share one queue), fix the rendered bytes before the first
 * attempt, record the outcome; rows left "sending" past their lease are
 * turned into failed "outcome unknown" and never resent automatically (at
 * most once: a crash mid-send sends no duplicate).  The operator's side:
 * list, show, retry, cancel.  Every state change has its event row.
 * Rows are written elsewhere: the acknowledgement by pd_outbound_ack inside
 * the delivery statement.  Every value is a bound parameter.
 */
#ifndef PD_STORE_OUTBOUND_H
#define PD_STORE_OUTBOUND_H

#include <glib.h>
#include "store/pd-store.h"

typedef struct {
	gint64 id;
	gint64 ticket_id;		/* 0 = none */
	gint64 ticket_number;		/* 0 = none */
	gint64 message_row;		/* the message answered, 0 = none */
	char *kind;			/* ack, authorization, ... */
	char *template_name;		/* "ack" */
	char *queue;			/* for the template lookup, may be NULL */
	char *lang;			/* may be NULL */
	GPtrArray *recipients;		/* char * */
	char *recipient_name;		/* may be NULL */
	char *envelope_from;		/* "" = null sender */
	gboolean auto_reply;
	char *status;
	int attempts;
	char *message_id;		/* NULL until rendered */
	GBytes *message;		/* NULL until rendered */
	char *in_reply_to;		/* Message-ID of the message answered, or NULL */
	GPtrArray *references;		/* char *, oldest first (answered message's + its id) */
	GHashTable *values;		/* placeholder -> text (claim only, else NULL) */
	char *claimed_by;
	char *last_error;
	gint64 next_attempt_at, sent_at, created_at, updated_at;	/* Unix time, 0 = none */
} PdOutboundRow;

void pd_outbound_row_free(PdOutboundRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdOutboundRow, pd_outbound_row_free)

/* --- the sender -------------------------------------------------------- */

/* Mark at most max due rows "sending" for instance with a lease, COMMIT,
 * and return them with their template values.  The lease must outlast one
 * SMTP transaction. */
gboolean pd_store_outbound_claim(PdStore *store, const char *instance, guint lease_seconds,
				 guint max, GPtrArray **rows_r, GError **error);
/* Rows "sending" past their lease -> failed "outcome unknown" (the sender
 * died during the SMTP transaction), or back to queued when they were never
 * rendered (so never sent).  count_r: how many became "outcome unknown". */
gboolean pd_store_outbound_recover(PdStore *store, guint *count_r, GError **error);
/* Forget auto-reply ledger rows older than keep_seconds (the cap's window
 * or more).  count_r: rows removed. */
gboolean pd_store_outbound_prune_ledger(PdStore *store, guint keep_seconds, guint *count_r,
					GError **error);
/* Fix the rendered mail of a claimed row (before its first attempt). */
gboolean pd_store_outbound_set_message(PdStore *store, gint64 id, const char *instance,
				       const char *message_id, GBytes *message, GError **error);
/* The raw bytes of a stored message (what a forward attaches), or NULL
 * in raw_r when there is none or it is larger than max_size bytes. */
gboolean pd_store_outbound_original(PdStore *store, gint64 message_row, gsize max_size,
				    GBytes **raw_r, GError **error);
/* A file a relay row carries (outbound.attachments, sql/functions/agent.sql). */
typedef struct {
	char *filename;			/* may be NULL */
	char *content_type;
	GBytes *content;		/* decoded, checked against its SHA-256 */
} PdOutboundFile;

void pd_outbound_file_free(PdOutboundFile *file);

/* The files outbound row id carries, in order (PdOutboundFile *; empty
 * when none), each read like pd_store_attachment_get. */
gboolean pd_store_outbound_attachments(PdStore *store, gint64 id, GPtrArray **files_r,
				       GError **error);
/* Outcomes of a claimed row.  PD_ERROR_NOTFOUND when the row is no longer
 * ours (cancelled, or recovered after the lease). */
gboolean pd_store_outbound_sent(PdStore *store, gint64 id, const char *instance,
				const char *reply, GError **error);
gboolean pd_store_outbound_failed(PdStore *store, gint64 id, const char *instance,
				  const char *reply, GError **error);
/* Back to queued after delay_seconds, or failed once attempts reached
 * max_attempts.  count_attempt FALSE: the relay, not this mail, failed
 * (the attempt is not counted against the mail).  failed_r: gave up. */
gboolean pd_store_outbound_deferred(PdStore *store, gint64 id, const char *instance,
				    const char *reply, guint delay_seconds,
				    gboolean count_attempt, guint max_attempts,
				    gboolean *failed_r, GError **error);

/* --- notifications and forwards (sql/functions/notify.sql) ------------------- */

/* One line of pd_notify_plan: kind "notification", "forward" or "none"
 * (address NULL, why says why nobody hears of it). */
typedef struct {
	char *kind;
	char *address;
	char *name;		/* the agent's name, may be NULL */
	char *why;
} PdNotifyTarget;

void pd_notify_target_free(PdNotifyTarget *target);
/* Who would hear of a message (`postdesk test`), reading only: ticket_number
 * 0 for a new ticket, request the pipeline's (pd_pipeline_notify_request;
 * not wanted: nobody), identity the identity
 * decision's JSON (may be NULL).  targets_r: PdNotifyTarget *. */
gboolean pd_store_notify_plan(PdStore *store, gint64 ticket_number,
			      const PdNotifyRequest *request,
			      const char *identity, GPtrArray **targets_r, GError **error);

/* The acknowledgement a delivery would send (`postdesk test`), reading
 * only: pd_ack_decide (sql/functions/outbound.sql), the function
 * pd_outbound_ack writes by.  request: the pipeline's
 * (pd_pipeline_autoreply_request; not wanted: not configured); identity: the
 * identity decision's JSON (may be NULL). */
typedef struct {
	char *template;		/* ack, held, authorization-notice; NULL: none */
	char *reason;		/* why none */
	char *holder;		/* the primary holder asked (holder_why NULL) */
	char *holder_why;	/* why the holder is not asked; NULL both: nothing to ask */
} PdAckDecision;

void pd_ack_decision_clear(PdAckDecision *decision);
gboolean pd_store_ack_decide(PdStore *store, gboolean new_ticket, const PdAckRequest *request,
			     const char *identity, PdAckDecision *decision_r, GError **error);

/* What the delivery would do with an agent's mail (`postdesk test`),
 * reading only: pd_agent_answer_decide (sql/functions/agent.sql), the
 * function pd_agent_answer acts by.  ticket_number: the ticket it threads
 * into, 0: a new ticket; identity, answer: the identity decision's JSON and
 * pd_pipeline_agent_answer()'s. */
typedef struct {
	char *decision;		/* refused, again, note, commands, answer; NULL: not an agent's */
	char *why;		/* NULL: nothing to say */
	char *relay_to;		/* "a@x, b@y": who the answer goes to, NULL: nobody */
	GPtrArray *commands;	/* PdAgentVerdict * */
} PdAgentDecision;

typedef struct {
	char *command;
	char *argument;		/* may be NULL */
	char *refused;		/* why it is not obeyed, NULL: obeyed */
} PdAgentVerdict;

void pd_agent_decision_clear(PdAgentDecision *decision);
gboolean pd_store_agent_decide(PdStore *store, gint64 ticket_number, const char *message_id,
			       const char *identity, const char *answer,
			       PdAgentDecision *decision_r, GError **error);

/* --- the operator ------------------------------------------------------ */

/* Newest first; status NULL = any. */
gboolean pd_store_outbound_list(PdStore *store, const char *status, guint limit,
				GPtrArray **rows_r, GError **error);
/* One row with its rendered message; PD_ERROR_NOTFOUND if none. */
gboolean pd_store_outbound_get(PdStore *store, gint64 id, PdOutboundRow **row_r,
			       GError **error);
/* failed/cancelled/queued -> queued now, attempts reset.  PD_ERROR_USAGE
 * for a row that is sent or being sent, NOTFOUND for none. */
gboolean pd_store_outbound_retry(PdStore *store, gint64 id, const char *actor, GError **error);
/* queued/failed -> cancelled; same errors. */
gboolean pd_store_outbound_cancel(PdStore *store, gint64 id, const char *actor, GError **error);

#endif
