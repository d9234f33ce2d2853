/* pd-jobs: the scheduled jobs and the welcome mail, as the daemon's
 * scheduler and the CLI run them (the same code for both).
 *
 *   [jobs]
 *   run_every = 1h             ; how often postdeskd looks for due work
 *   reminder_interval = 30d    ; between two reminders to an account holder
 *   reminder = yes             ; no: postdeskd never sends reminders
 *   expiry = yes               ; no: postdeskd never notes expired contacts
 *   quarantine = yes           ; no: postdeskd never purges the quarantine
 * Durations: a number with s, m, h, d or w (seconds without a unit).
 *
 * Jobs: "reminder" queues, for every account whose primary holder is due,
 * one mail listing the account's contacts (needs [outbound]); "expiry"
 * records a "contact.expired" event once for each contact whose expiry
 * date passed; "quarantine" deletes quarantined mail whose time ([spam]
 * quarantine_days) is up and that nobody released.  Each run holds the job's PostgreSQL advisory lock, so of
 * several daemons on one database one runs it (sql/functions/jobs.sql).
 * No I/O here but the store calls.
 */
#ifndef PD_JOBS_H
#define PD_JOBS_H

#include <glib.h>
#include "core/pd-config.h"
#include "store/pd-store.h"
#include "store/pd-store-jobs.h"

typedef struct {
	gint64 run_every;		/* seconds */
	gint64 reminder_interval;	/* seconds */
	gboolean reminder_enabled;	/* in postdeskd */
	gboolean expiry_enabled;	/* in postdeskd */
	gboolean quarantine_enabled;	/* in postdeskd */
	gboolean outbound;		/* [outbound] is configured: mail can be queued */
	char *envelope_from;		/* MAIL FROM of welcome and reminder mails */
	char *write_to;			/* the address a welcome mail names */
	PdWelcome welcome;		/* points into the above */
} PdJobsConfig;

/* The job names, NULL-terminated, in the order the scheduler runs them. */
extern const char *const pd_jobs_names[];

/* "30d", "12h", "90m", "45s", "2w", "3600" -> seconds (> 0). */
gboolean pd_jobs_parse_duration(const char *text, gint64 *seconds_r);

/* The table of [jobs], and its struct (with what [outbound] says about
 * sending), made once per configuration. */
extern const PdConfigTable pd_jobs_table;
const PdJobsConfig *pd_jobs_config(const PdConfig *config);

/* What `contact add` passes to pd_store_contact_add_welcome: NULL when no
 * mail can be sent ([outbound] missing). */
const PdWelcome *pd_jobs_welcome(const PdJobsConfig *jc);

/* Run job once as of now (Unix time).  *ran_r FALSE: another instance is
 * running it.  PD_ERROR_USAGE for an unknown job, or a reminder without
 * [outbound]. */
gboolean pd_jobs_run(PdStore *store, const PdJobsConfig *jc, const char *job,
		     const char *instance, gint64 now, gboolean *ran_r, gint64 *count_r,
		     GError **error);

#endif
