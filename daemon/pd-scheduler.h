/* pd-scheduler: postdeskd's scheduled jobs (contact reminders, contact
 * expiry; DESIGN "Scheduled jobs").
 *
 * One thread with its own PostgreSQL connection.  Every [jobs] run_every
 * (default 1h; right after start too) it runs each enabled job of lib/jobs
 * once; each run holds the job's advisory lock, so when several daemons
 * share a database one of them does the work and the others find it done
 * or locked.  Settings are re-read after a reload.  A database error is
 * logged and the job tried again at the next tick.
 */
#ifndef PD_SCHEDULER_H
#define PD_SCHEDULER_H

#include "pd-daemon.h"

/* Start the thread (main thread, once). */
void pd_scheduler_start(PdDaemon *daemon);
/* Ask it to stop and join it (a job in progress is one SQL statement). */
void pd_scheduler_stop(void);

#endif
