/* pd-pipeline: one message through the stages, for every ingest path.
 *
 *   parse -> (authenticate -> score -> identify -> filter: later issues)
 *         -> thread -> store+queue
 *
 * The LMTP listener, `postdesk deliver` and `postdesk test` all call this,
 * so the three ingest paths cannot drift apart.  The pipeline owns the
 * per-message context (PdMail and everything derived from it) and frees it
 * in one place.  It writes the one log line per message (Postfix style):
 *   <message-id>: from=<a>, to=<b>, queue=support, ticket=10042 (new),
 *   status=sent (250 2.0.0 ...), 12 ms
 */
#ifndef PD_PIPELINE_H
#define PD_PIPELINE_H

#include <glib.h>
#include "core/pd-config.h"
#include "core/pd-envelope.h"
#include "store/pd-store.h"

typedef struct _PdPipeline PdPipeline;

typedef struct {
	GError *error;			/* NULL on success; PD_ERROR code = disposition */
	PdDeliveryResult result;	/* valid when error is NULL */
} PdRecipientOutcome;

PdPipeline *pd_pipeline_new(PdConfig *config, PdStorePool *pool);
void pd_pipeline_free(PdPipeline *pipeline);
/* Swap the configuration (SIGHUP); in-flight messages keep the old one. */
void pd_pipeline_set_config(PdPipeline *pipeline, PdConfig *config);

/* Deliver raw to every recipient of envelope; outcomes_r has one entry per
 * recipient, zeroed by the caller, cleared with pd_recipient_outcome_clear(). */
void pd_pipeline_deliver(PdPipeline *pipeline, const PdEnvelope *envelope,
			 GBytes *raw, PdRecipientOutcome *outcomes_r);
void pd_recipient_outcome_clear(PdRecipientOutcome *outcome);

/* Dry run for `postdesk test`: every decision, nothing stored.  store may
 * be NULL (no database: threading is reported as unknown).  Returns a JSON
 * object (as_json) or readable text. */
char *pd_pipeline_explain(PdConfig *config, PdStore *store, const PdEnvelope *envelope,
			  GBytes *raw, gboolean as_json, GError **error);

#endif
