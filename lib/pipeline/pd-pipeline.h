/* pd-pipeline: one message through the stages, for every ingest path.
 *
 *   parse -> authenticate (once per message, pd-pipeline-auth.h)
 *         -> per recipient: bounce? (pd-pipeline-bounce.h: recorded, no
 *            ticket) -> (score -> filter: later issues) -> identify
 *         -> thread -> store+queue
 *
 * The LMTP listener, `postdesk deliver` and `postdesk test` all call this,
 * so the three ingest paths cannot drift apart.  The pipeline owns the
 * per-message context (PdMail and everything derived from it) and frees it
 * in one place.  It parses a message once, then runs one database
 * transaction per recipient, so a recipient's outcome is all or nothing.
 * It writes the one log line per message and recipient (Postfix style):
 *   <message-id>: from=<a>, to=<b>, queue=support, ticket=10042 (new),
 *   status=delivered (250 2.0.0 Ok: ticket 10042), 12 ms
 * It never touches sockets; thread-safe (one PdPipeline, many sessions).
 */
#ifndef PD_PIPELINE_H
#define PD_PIPELINE_H

#include <glib.h>
#include "core/pd-config.h"
#include "core/pd-envelope.h"
#include "smtp/pd-outbound.h"
#include "ticket/pd-token.h"
#include "store/pd-store.h"

typedef struct _PdPipeline PdPipeline;

typedef struct {
	GError *error;			/* NULL on success; PD_ERROR code = disposition */
	PdDeliveryResult result;	/* valid when error is NULL */
	char *filter;			/* the rules' score for the log; NULL: no rule ran */
	gint64 bounce_id;		/* > 0: recorded as a bounce (no ticket) */
} PdRecipientOutcome;

/* The pipeline's keys of [outbound] (pd-pipeline-settings.c) and what it
 * derives from the whole configuration once per load. */
typedef struct {
	char *acknowledge_text;		/* as written */
	PdAcknowledge acknowledge;	/* of acknowledge_text */
	guint autoreply_limit;
	guint autoreply_window;		/* seconds */
	gboolean notify_agents;
	gboolean participants_from_cc;
	guint reopen_days;
	guint failing_days;		/* a hard-bounced address gets no automatic mail */
	gsize relay_attachments_max;	/* bytes, decoded (sql/functions/agent.sql) */
	/* derived */
	gboolean acknowledge_on;	/* [outbound] and acknowledge != none */
	gboolean notify_on;		/* [outbound] and notify_agents */
	GPtrArray *own_addresses;	/* char *, canonical, NULL-terminated: the
					 * queues' and [outbound] from, reply_address,
					 * bounce_address */
	char *agent_envelope_from;	/* bounce_address, else from; NULL: no [outbound] */
	const PdTokenKeys *token_keys;	/* NULL: no [outbound] */
} PdPipelineSettings;

extern const PdConfigTable pd_pipeline_table;
const PdPipelineSettings *pd_pipeline_settings(const PdConfig *config);

/* What the configuration needs beyond its keys: the PSL and the resolver
 * of [auth] load; PD_ERROR_USAGE otherwise.  The daemon and check-config
 * call it; a pipeline given a config it refuses runs with authentication
 * off (nobody privileged). */
gboolean pd_pipeline_check_config(const PdConfig *config, GError **error);

/* What every notification request carries: each queue's default_group
 * and forward_to, the bounce address; a pipeline builds it once per
 * configuration.  NULL
 * when [outbound] is missing or notify_agents = no.  `postdesk ticket
 * release` passes it to pd_store_ticket_release (a held ticket's agents
 * hear of it when it is released). */
PdNotifySettings *pd_pipeline_notify_settings(const PdConfig *config);

/* pool is borrowed: it must outlive the pipeline. */
PdPipeline *pd_pipeline_new(PdConfig *config, PdStorePool *pool);
void pd_pipeline_free(PdPipeline *pipeline);
/* Swap the configuration (SIGHUP); in-flight messages keep the old one. */
void pd_pipeline_set_config(PdPipeline *pipeline, PdConfig *config);
/* The current configuration, referenced (unref when done). */
PdConfig *pd_pipeline_get_config(PdPipeline *pipeline);

/* Check once that the database has the schema this build knows.
 * PD_ERROR_TEMPFAIL: unreachable (deliveries answer 451 until it is back);
 * PD_ERROR_USAGE: a schema this build does not know (refuse to start).
 * Deliveries call it themselves until it has succeeded once. */
gboolean pd_pipeline_check_schema(PdPipeline *pipeline, GError **error);

/* Deliver raw to every recipient of envelope; outcomes_r has one entry per
 * recipient, zeroed by the caller, cleared with pd_recipient_outcome_clear().
 * Success (error NULL) means COMMITted, or a duplicate of a committed one. */
void pd_pipeline_deliver(PdPipeline *pipeline, const PdEnvelope *envelope,
			 GBytes *raw, PdRecipientOutcome *outcomes_r);
void pd_recipient_outcome_clear(PdRecipientOutcome *outcome);
/* The reply line for an outcome: "250 2.0.0 Ok: ticket 10042",
 * "451 4.3.0 ...", "550 5.1.1 ..." (no CRLF). */
char *pd_recipient_outcome_reply(const PdRecipientOutcome *outcome);

/* recipient is [outbound] bounce_address (with any +tag): what arrives
 * there goes to the bounce step (pd-pipeline-bounce.h), never to a queue;
 * the LMTP listener accepts it at RCPT like a queue's address. */
gboolean pd_pipeline_is_bounce_address(const PdConfig *config, const char *recipient);

/* The error for a recipient that no queue has (550 5.1.1 / EX_NOUSER). */
void pd_pipeline_set_unknown_recipient(GError **error);

/* Dry run for `postdesk test`: every decision, nothing stored.  store may
 * be NULL (no database: threading is reported as unknown); it is only read.
 * The recipients are the envelope's, or when it has none the To/Cc
 * addresses that a queue has.  Returns a JSON object (as_json) or readable
 * text.  The JSON object's members: envelope {mail_from, recipients},
 * authentication (pd_pipeline_authenticate(): mode, client_address,
 * client_helo, client_source, spf {result, domain, helo, aligned, reason},
 * dkim [{result, domain, selector, aligned, reason}], dmarc {result, policy,
 * from_domain, org_domain}, from_authenticated, temporary, results, notes []),
 * from/reply_to {address, name}, sender, to/cc [{address, name}], subject,
 * message_id, in_reply_to, references [], date (RFC 3339 UTC or null),
 * text_body, text_from_html, html_body_size, attachments [{filename,
 * content_type, content_id, inline, size, sha256}], warnings [], class
 * {auto_submitted, bulk, list, bounce, auto_reply_suppressed}, bounce (null,
 * or the bounce step's reading: pd_pipeline_bounce_json()), body_sha256,
 * raw_sha256, raw_size, thread_candidates [], recipients [{recipient,
 * canonical, queue (null: unknown), subaddress, idempotency_key, thread
 * {decision "new"|"existing"|"unknown", ticket, reason}, identity (null
 * without a database or queue, else pd_identity_decision_json()),
 * agent (null unless the From is an agent's address, else {decision
 * "answer"|"note"|"commands"|"new ticket"|"refused", reason, answer {note,
 * commands [{command, argument, error, line}], text}}: pd-agent.h),
 * acknowledge {send, reason, to} (pd_autoreply_decide and the queue's
 * hold; without --from the From stands for the envelope sender)}],
 * stored (false). */
char *pd_pipeline_explain(PdConfig *config, PdStore *store, const PdEnvelope *envelope,
			  GBytes *raw, gboolean as_json, GError **error);

#endif
