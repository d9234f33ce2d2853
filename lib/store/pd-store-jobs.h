/* pd-store-jobs: the welcome mail and the scheduled jobs in the database
 * (sql/functions/jobs.sql).
 *
 * Queues rows in the outbound table that the daemon's sender sends; never
 * sends, never renders, never reads the configuration (lib/jobs does).
 * Errors as in pd-store-identity.h: NOTFOUND, USAGE, TEMPFAIL.
 */
#ifndef PD_STORE_JOBS_H
#define PD_STORE_JOBS_H

#include <glib.h>
#include "store/pd-store.h"

/* What the welcome mail needs beside the contact. */
typedef struct {
	const char *envelope_from;	/* MAIL FROM: the bounce address, "" = null */
	const char *write_to;		/* the support address the mail names, may be NULL */
} PdWelcome;

/* pd_store_contact_add (pd-store-identity.h) and, when welcome is not
 * NULL, the welcome mail of the new contact, in ONE transaction: both or
 * neither.  *outbound_r (may be NULL): the queued row, 0 when none (a
 * primary contact is not welcomed). */
gboolean pd_store_contact_add_welcome(PdStore *store, const char *actor, const char *account,
				      const char *address, const char *name, gboolean primary,
				      const char *const *permissions, const char *expires,
				      const PdWelcome *welcome, gint64 *outbound_r,
				      GError **error);

/* Run job ("reminder", "expiry") once as of now (Unix time) under its
 * advisory lock.  interval: seconds between reminders; envelope_from:
 * MAIL FROM of reminders.  *ran_r FALSE: another session holds the lock
 * (the job is running elsewhere); *count_r: mails queued / expiries noted. */
gboolean pd_store_job_run(PdStore *store, const char *job, const char *instance, gint64 now,
			  gint64 interval, const char *envelope_from, gboolean *ran_r,
			  gint64 *count_r, GError **error);

#endif
