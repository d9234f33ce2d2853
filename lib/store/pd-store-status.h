/* pd-store-status: what `postdesk status` reads from the database.
 *
 * The outbound queue's depth and age, the tickets held for an operator, the
 * quarantined mail waiting for a decision, and
 * the latest errors the sender recorded.  Reading only; every value is a
 * bound parameter.  The schema's state comes from pd-store.h
 * (pd_store_schema_version, pd_store_functions_status), ticket counts per
 * queue from pd_store_admin_read (PD_ADMIN_QUEUE_COUNTS).
 */
#ifndef PD_STORE_STATUS_H
#define PD_STORE_STATUS_H

#include <glib.h>
#include "store/pd-store.h"

typedef struct {
	gint64 queued;			/* waiting to be sent (due or backing off) */
	gint64 sending;			/* claimed by a sender now */
	gint64 failed;			/* given up: an operator retries or cancels */
	gint64 oldest_queued_age;	/* seconds since the oldest queued row was made, -1: none */
	gint64 held;			/* open tickets held (unknown sender, moderate queue, a rule, spam) */
	gint64 quarantined;		/* quarantined mail not released (nor purged yet) */
} PdStatusCounts;

typedef struct {
	gint64 id;			/* outbound row */
	char *status;			/* queued (retrying) or failed */
	gint64 at;			/* Unix time of the error */
	char *error;			/* the relay's reply or postdesk's reason */
} PdStatusError;

void pd_status_error_free(PdStatusError *error);

gboolean pd_store_status_counts(PdStore *store, PdStatusCounts *counts_r, GError **error);
/* The latest limit errors of rows still queued or failed, newest first
 * (PdStatusError *). */
gboolean pd_store_status_errors(PdStore *store, guint limit, GPtrArray **errors_r,
				GError **error);

#endif
