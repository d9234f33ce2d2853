/* pd-pipeline-bounce: the bounce step (issue 16, section 1).
 *
 * It runs first for each recipient, before the queue lookup, the filter
 * and the ticket path: a recipient's copy is a bounce when
 *   - the recipient is [outbound] bounce_address (any +tag): what comes
 *     there is a DSN, a vacation reply to our return path or junk, never a
 *     request; its signed +b-TOKEN names the outbound row (a token that
 *     does not verify: recorded, unmatched, nothing failed; no token: the
 *     Message-ID below may still name the row); or
 *   - it reads as a report (pd_dsn_parse: hard, soft, delivered, feedback)
 *     whose returned headers carry a Message-ID we signed
 *     (pd_token_verify_message_id, its serial is the outbound row).
 * A bounce never becomes a ticket and gets no acknowledgement: it goes to
 * pd_bounce_record (sql/functions/bounce.sql) instead.  Auto-replies to a
 * queue address are not bounces: they thread as robots do.
 * Facts only, no I/O: the pipeline stores, `postdesk test` explains.
 */
#ifndef PD_PIPELINE_BOUNCE_H
#define PD_PIPELINE_BOUNCE_H

#include <glib.h>
#include "core/pd-config.h"
#include "core/pd-envelope.h"
#include "core/pd-json.h"
#include "mail/pd-dsn.h"
#include "mail/pd-mail.h"
#include "store/pd-store-bounce.h"

typedef struct {
	PdDsn *dsn;			/* the report; NULL: not one */
	const char *kind;		/* pd_dsn_kind_name(), "unknown" without a report */
	gint64 outbound_id;		/* the row it names; 0: none */
	char *matched_by;		/* "bounce address", "Message-ID <x>"; NULL: none */
	const char *unmatched;		/* why no row: a token verdict or "no token" */
	gboolean to_bounce_address;	/* it came to bounce_address */
} PdBounceMatch;

void pd_bounce_match_clear(PdBounceMatch *match);

/* TRUE when recipient's copy of mail is a bounce (match_r filled, cleared
 * by the caller either way).  raw: the bytes mail was parsed from. */
gboolean pd_pipeline_bounce_match(const PdConfig *config, const PdEnvelope *envelope,
				  const char *recipient, const PdMail *mail, GBytes *raw,
				  PdBounceMatch *match_r);

/* The store's document of a match (record_r's strings are match's and the
 * caller's: both must outlive it). */
void pd_pipeline_bounce_record(const PdConfig *config, const PdEnvelope *envelope,
			       const char *recipient, const PdMail *mail, GBytes *raw,
			       const PdBounceMatch *match, const char *idempotency_key,
			       PdBounceRecord *record_r);

/* Record the bounce on store (one transaction) and write the log line;
 * outcome_r->bounce_id, or its error (the caller maps it to 451).
 * start: monotonic time the delivery began, for the log. */
gboolean pd_pipeline_bounce_deliver(PdStore *store, const PdConfig *config,
				    const PdEnvelope *envelope, const char *recipient,
				    const PdMail *mail, GBytes *raw, const PdBounceMatch *match,
				    gint64 *bounce_id_r, GError **error);

/* `postdesk test`: the "bounce" member's value, null (match NULL) or
 * {kind, recipients [{address, original, action, status, reply_code,
 * diagnostic, remote_mta, kind}], outbound_id, matched_by, unmatched}; the text output's summary ("no",
 * "hard, outbound 12 (by bounce address): ...") and its recipient lines. */
char *pd_pipeline_bounce_json(const PdBounceMatch *match);
char *pd_pipeline_bounce_summary(const PdBounceMatch *match);
void pd_pipeline_bounce_text(GString *out, const PdBounceMatch *match);

#endif
