/* pd-store: the only code that knows SQL.
 *
 * A PdStore is one libpq connection; a PdStorePool hands connections to
 * threads.  Every mail-path write happens in ONE transaction
 * (pd_store_deliver): raw bytes, parsed fields, attachments, ticket,
 * participants and events commit together or not at all.  Any database
 * problem is PD_ERROR_TEMPFAIL, so the caller answers 451 / EX_TEMPFAIL and
 * the MTA retries: nothing is lost, nothing is half-written.  Every value is
 * a bound parameter; no SQL text is ever built from input.
 */
#ifndef PD_STORE_H
#define PD_STORE_H

#include <glib.h>
#include "core/pd-envelope.h"
#include "mail/pd-mail.h"
#include "ticket/pd-identity.h"
#include "store/pd-delivery.h"

typedef struct _PdStore PdStore;
typedef struct _PdStorePool PdStorePool;

/* --- connections ------------------------------------------------------- */

/* No call on a store waits longer than timeout seconds (statement_timeout
 * on the server, and the client gives a server that does not answer up a
 * little later: PD_ERROR_TEMPFAIL, the connection dropped); connecting
 * waits at most 10 s.  pd_store_connect: PD_STORE_DEFAULT_TIMEOUT. */
#define PD_STORE_DEFAULT_TIMEOUT 120
PdStore *pd_store_connect(const char *conninfo, GError **error);
/* timeout 0: PD_STORE_DEFAULT_TIMEOUT. */
PdStore *pd_store_connect_timeout(const char *conninfo, guint timeout, GError **error);
void pd_store_free(PdStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdStore, pd_store_free)
/* FALSE once the connection is broken (the pool then drops it). */
gboolean pd_store_is_usable(PdStore *store);

PdStorePool *pd_store_pool_new(const char *conninfo, guint max_connections);
/* The timeout of the pool's connections (pd_store_connect_timeout), and
 * how long pd_store_pool_get waits for a free one. */
void pd_store_pool_set_timeout(PdStorePool *pool, guint timeout);
void pd_store_pool_free(PdStorePool *pool);
/* A connection, reconnecting if needed; PD_ERROR_TEMPFAIL when PostgreSQL
 * cannot be reached, or when all max_connections stay in use for the
 * pool's timeout. */
PdStore *pd_store_pool_get(PdStorePool *pool, GError **error);
void pd_store_pool_put(PdStorePool *pool, PdStore *store);
/* How many pd_store_pool_get calls are waiting for a free connection now. */
guint pd_store_pool_waiting(PdStorePool *pool);

/* What /metrics shows of the pool: open counts connections being opened
 * and handed out as well as idle ones; the counters since the pool began. */
typedef struct {
	guint max_connections;
	guint open;
	guint idle;
	guint waiting;
	guint64 waits;
	guint64 wait_timeouts;
	guint64 connect_errors;
} PdStorePoolStats;
void pd_store_pool_stats(PdStorePool *pool, PdStorePoolStats *stats_r);

/* --- schema ------------------------------------------------------------ */

/* The newest migration number this build knows (sql/NNNN_*.sql). */
int pd_store_schema_known(void);
/* Apply the sql/NNNN_name.sql files of sql_dir not yet applied, in order,
 * each recorded in schema_version, then every sql/functions/<area>.sql,
 * recording their digest in schema_functions: all in one transaction,
 * under an advisory lock, on every run. */
gboolean pd_store_migrate(PdStore *store, const char *sql_dir, guint *applied_r,
			  GError **error);
/* FALSE (PD_ERROR_USAGE) unless the database is at exactly the version
 * this build knows and holds exactly the functions it carries, unchanged
 * since they were applied: the daemon refuses to run otherwise. */
gboolean pd_store_check_schema(PdStore *store, GError **error);

/* sql_dir NULL = the migrations and functions compiled into this build
 * (normal use: the installed binary needs no sql directory); else
 * sql_dir/NNNN_name.sql and sql_dir/functions/<area>.sql.  A directory may
 * not hold a migration newer than pd_store_schema_known(). */
typedef void (*PdStoreMigrateFunc)(int version, const char *name, gpointer user_data);
gboolean pd_store_migrate_notify(PdStore *store, const char *sql_dir,
				 PdStoreMigrateFunc applied_func, gpointer user_data,
				 guint *applied_r, GError **error);
/* The database's schema version; 0 when nothing was ever migrated. */
gboolean pd_store_schema_version(PdStore *store, int *version_r, GError **error);
/* The name ("baseline") of a migration compiled in, or NULL. */
const char *pd_store_schema_name(int version);

typedef struct {
	int version;
	char *name;
	gint64 applied_at;	/* Unix time */
} PdSchemaStep;

void pd_schema_step_free(PdSchemaStep *step);
/* The schema_version rows, oldest first (empty when never migrated). */
gboolean pd_store_schema_history(PdStore *store, GPtrArray **steps_r, GError **error);

/* The hex SHA-256 of the sql/functions/ files this build carries. */
const char *pd_store_functions_digest(void);

typedef struct {
	char *digest;		/* of the functions last applied; NULL: never */
	char *catalog;		/* of the catalog's definitions of them then */
	char *catalog_now;	/* of the catalog's definitions of them now */
} PdFunctionsStatus;

void pd_functions_status_clear(PdFunctionsStatus *status);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PdFunctionsStatus, pd_functions_status_clear)
gboolean pd_store_functions_status(PdStore *store, PdFunctionsStatus *status_r,
				   GError **error);
/* NULL when status shows this build's functions, unchanged since they were
 * applied; else why not ("functions out of date: ..."), newly allocated. */
char *pd_store_functions_problem(const PdFunctionsStatus *status);

/* --- the mail path ----------------------------------------------------- */


typedef struct {
	gint64 ticket_id;
	gint64 ticket_number;		/* public number */
	gint64 message_row;		/* messages.id */
	gboolean new_ticket;
	gboolean duplicate;		/* idempotency key seen before: nothing written */
	char *thread_reason;		/* "new ticket", "In-Reply-To <id>", ... */
	/* a filter rule kept the mail out of the tickets (lib/filter): NULL
	 * for a ticket, "quarantined" (quarantine_id names the row) or
	 * "discarded"; then the ticket and message fields are 0 */
	const char *disposition;
	gint64 quarantine_id;
} PdDeliveryResult;

void pd_delivery_result_clear(PdDeliveryResult *result);

/* One recipient's delivery (pd-delivery.h) in one transaction; on error
 * nothing is written. */
gboolean pd_store_deliver(PdStore *store, const PdDelivery *delivery,
			  PdDeliveryResult *result_r, GError **error);

/* --- the quarantine (sql/functions/filter.sql) -------------------------- */

/* Keep delivery (its request document and raw bytes) in the quarantine
 * for days instead of making a ticket.  The same delivery again (its
 * idempotency key) is the same row: result_r->duplicate. */
gboolean pd_store_quarantine_add(PdStore *store, const PdDelivery *delivery, guint days,
				 PdDeliveryResult *result_r, GError **error);

/* What `postdesk quarantine release` needs of row id: PD_ERROR_NOTFOUND
 * when there is none, PD_ERROR_USAGE when it was released already. */
typedef struct {
	gint64 id;
	char *recipient;		/* RCPT TO of the delivery */
	char *mail_from;		/* the envelope as it arrived (NULL: unknown) */
	char *client_address, *client_name, *client_helo, *protocol;
	GBytes *raw;
} PdQuarantined;

void pd_quarantined_clear(PdQuarantined *q);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PdQuarantined, pd_quarantined_clear)
gboolean pd_store_quarantine_get(PdStore *store, gint64 id, PdQuarantined *q_r, GError **error);
/* The raw bytes of row id, released or not (PD_ERROR_NOTFOUND: none). */
gboolean pd_store_quarantine_raw(PdStore *store, gint64 id, GBytes **raw_r, GError **error);
/* Mark row id released as ticket_number (0: discarded by the rules again). */
gboolean pd_store_quarantine_released(PdStore *store, gint64 id, gint64 ticket_number,
				      GError **error);
/* Delete row id (PD_ERROR_NOTFOUND: none). */
gboolean pd_store_quarantine_delete(PdStore *store, gint64 id, GError **error);
/* Delete what expired unreleased; *count_r rows. */
gboolean pd_store_quarantine_purge(PdStore *store, guint *count_r, GError **error);

/* The threading decision without writing (postdesk test): which ticket
 * the candidates name, if any.  ticket_number_r 0 = new ticket. */
gboolean pd_store_thread_lookup(PdStore *store, GPtrArray *thread_candidates,
				gint64 *ticket_number_r, char **reason_r,
				GError **error);

/* The same decisions as a delivery makes (pd_thread_decide and
 * pd_thread_reopen, sql/functions/thread.sql), from the thread step's facts
 * (PdDelivery.thread) and the From: a verified token, else a participant's
 * Message-ID or [#N]; a solved/closed ticket joined within reopen_days is
 * reopened ("...; reopens it (closed)"), later a new ticket is linked to it
 * (ticket_number_r 0, "new ticket linked to N (...)").  ticket_number_r 0 =
 * new ticket; reason_r says why, and what was refused. */
gboolean pd_store_thread_decide(PdStore *store, GPtrArray *thread_candidates,
				const char *in_reply_to, const char *from,
				const PdThreadFacts *thread,
				gint64 *ticket_number_r, char **reason_r, GError **error);

/* The authorization decision a delivery would make (postdesk test;
 * pd_authorization_explain, sql/functions/authorization.sql): for a new
 * ticket (ticket_number 0) whether the account's primary holder is asked to
 * approve (the holder's cap included), for a reply on ticket_number whether
 * it is the holder's answer.  identity_json: the identity decision; thread:
 * the thread step's facts; answer: pd_approval_answer_name() or NULL;
 * ack_request: the acknowledgement request the delivery would get
 * (pd_pipeline_autoreply_request, NULL: none).  action_r: "request", "not
 * requested", "approve", "refuse", "ignored", or NULL (nothing to decide);
 * detail_r: who or why. */
gboolean pd_store_authorization_explain(PdStore *store, gint64 ticket_number,
					const char *identity_json, const PdThreadFacts *thread,
					const char *answer, const PdAckRequest *ack_request,
					char **action_r, char **detail_r, GError **error);

/* --- reading tickets (CLI) -------------------------------------------- */

typedef struct {
	gint64 number;
	char *status;
	char *queue;
	char *requester;	/* address, NULL if none */
	char *subject;
	gint64 messages;
	gint64 updated_at;	/* Unix time */
	char *priority;
	char *category;		/* NULL: none */
	char *assignee;		/* the assigned agent's main address, NULL: none */
	char *account;		/* account name, NULL: none */
	gint64 created_at;	/* Unix time */
} PdTicketSummary;

void pd_ticket_summary_free(PdTicketSummary *summary);

/* Which tickets `ticket list` shows; NULL / FALSE / 0: any. */
typedef struct {
	const char *queue;
	const char *status;
	const char *category;
	const char *assignee;	/* canonical agent address (any of the agent's) */
	const char *requester;	/* address, any case */
	const char *account;	/* account name */
	const char *since;	/* created at or after: a timestamptz text */
	const char *until;	/* created before */
	/* words a message of the ticket holds (subject and text): PostgreSQL
	 * full text, 'simple' configuration, websearch syntax ("a b" both,
	 * "a or b", "-a", quoted phrases) */
	const char *search;
	gboolean held_only;
	guint limit;		/* 0: 50 */
} PdTicketFilter;

/* Tickets, most recently updated first. */
gboolean pd_store_ticket_list(PdStore *store, const PdTicketFilter *filter,
			      GPtrArray **tickets_r, GError **error);
/* Lift the hold of a ticket held for moderation (or for an unknown sender
 * in a `known` queue), with a "ticket.released" event by actor.  No such
 * ticket: FALSE, PD_ERROR_NOTFOUND.  *held_r gets the hold that was lifted
 * ("moderate", "known"), or NULL when the ticket was not held (nothing
 * written).  notify: pd_pipeline_notify_settings() of the configuration, so
 * the agents hear of the ticket now (sql/functions/notify.sql); NULL:
 * nobody. */
gboolean pd_store_ticket_release(PdStore *store, gint64 number, const char *actor,
				 const PdNotifySettings *notify, char **held_r, GError **error);

typedef struct {
	char *address;
	char *name;
	char *role;
	gint64 added_at;
} PdParticipantView;

typedef struct {
	char *filename;
	char *content_type;
	gboolean inline_part;
	gint64 size;
	char *sha256;
} PdAttachmentView;

typedef struct {
	gint64 row;			/* messages.id */
	char *direction;
	char *kind;
	char *message_id;
	char *from_address;
	char *from_name;
	char *to;			/* addresses, comma separated */
	char *cc;
	char *subject;
	gint64 date;			/* Unix time, 0 = none */
	gint64 received_at;
	char *text_body;
	char *envelope_mail_from;
	char *envelope_recipient;
	char *raw_sha256;
	gint64 raw_size;
	char *warnings;			/* "; " separated, "" if none */
	GPtrArray *attachments;		/* PdAttachmentView * */
	char *auth_results;		/* Authentication-Results value, NULL: none */
	gboolean from_authenticated;	/* the authenticate step's verdict */
	char *spam;			/* the rules' score and hits, "6 (SHOUTED 6)"; NULL: no rules ran */
	char *disposition;		/* the rules' disposition ("ticket", "hold"); NULL: none */
} PdMessageView;

typedef struct {
	gint64 at;
	char *actor;
	char *kind;
	char *detail;			/* JSON text */
	gint64 message_row;		/* 0 = none */
} PdEventView;

/* A mail postdesk queued for the ticket (outbound). */
typedef struct {
	gint64 id;
	gint64 created_at;
	char *kind;			/* ack, relay, notification, forward, ... */
	char *template_name;
	char *to;			/* recipients, comma separated */
	char *status;			/* queued, sending, sent, failed, cancelled */
	gint64 attempts;
	gint64 sent_at;			/* 0: not sent */
	char *last_error;		/* NULL: none */
} PdOutboundView;

typedef struct {
	gint64 id;
	gint64 number;
	char *queue;
	char *subject;
	char *status;
	char *priority;
	char *category;
	char *requester_address;
	char *requester_name;
	gboolean needs_authorization;
	char *assignee_address;		/* the assigned agent's main address, NULL: none */
	char *assignee_name;
	gint64 merged_into;		/* the ticket number it was merged into, 0: none */
	char *tags;			/* "a, b", NULL: none */
	gint64 created_at, updated_at, first_response_at, closed_at;	/* 0 = none */
	GPtrArray *participants;	/* PdParticipantView * */
	GPtrArray *messages;		/* PdMessageView *, oldest first */
	GPtrArray *events;		/* PdEventView *, oldest first */
	GPtrArray *outbound;		/* PdOutboundView *, oldest first */
} PdTicketView;

void pd_ticket_view_free(PdTicketView *ticket);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdTicketView, pd_ticket_view_free)

/* One ticket by public number; PD_ERROR_NOTFOUND if there is none. */
gboolean pd_store_ticket_get(PdStore *store, gint64 number, PdTicketView **ticket_r,
			     GError **error);

/* The decoded bytes of the attachment whose content is sha256 (lower-case
 * hex, as PdAttachmentView.sha256): attachments.data, or else a span of a
 * raw message that carries it, decoded (pd_mail_decode,
 * message_attachments); either way checked against the hash.
 * PD_ERROR_NOTFOUND: no such attachment; PD_ERROR_INTERNAL: the stored
 * bytes do not match their hash. */
gboolean pd_store_attachment_get(PdStore *store, const char *sha256, GBytes **content_r,
				 GError **error);

#endif
