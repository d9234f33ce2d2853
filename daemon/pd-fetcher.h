/* pd-fetcher: postdeskd's IMAP fetchers, one thread per [imap NAME]
 * section (issue 13).
 *
 * Each fetcher takes its mailbox's PostgreSQL advisory lock on a
 * connection of its own (sql/functions/imap.sql), so of several daemons on
 * one database exactly one reads a mailbox; the others stand by and try
 * again every poll_interval, and take over when the holder's connection
 * ends.  A pass: SELECT the folder, the UIDs above the stored last UID,
 * then per message RFC822.SIZE, BODY.PEEK[], the same pipeline as LMTP
 * (pd_pipeline_deliver, to the queue's first address), and only after the
 * COMMIT the server-side action of pd_imap_ack_decide (MOVE, COPY +
 * EXPUNGE, \Seen), then the new last UID.  A transient failure (database
 * down, timeout, a refused command) leaves the message as it was and ends
 * the pass; the next one starts after a backoff (doubling to 5 minutes,
 * with jitter).  A crash between COMMIT and the action fetches the message
 * again: the idempotency key makes it a duplicate, and the action follows.
 * Log lines carry "imap=NAME uid=N".
 *
 * Settings are re-read at each pass; a changed section reconnects.
 * Sections added by a reload start at the next start of postdeskd.
 *
 * Test hook: with PD_TEST_IMAP_HOLD_AFTER_COMMIT=1 in the environment a
 * fetcher stops after the first COMMIT, before the action, and logs
 * "holding after commit" (the crash-between-commit-and-move test).
 */
#ifndef PD_FETCHER_H
#define PD_FETCHER_H

#include "pd-daemon.h"

/* Start one thread per [imap NAME] of the daemon's configuration (main
 * thread, once). */
void pd_fetchers_start(PdDaemon *daemon);
/* Ask them to stop and join them; FALSE when one did not stop within
 * PD_SHUTDOWN_GRACE_SECONDS (the caller must exit without freeing). */
gboolean pd_fetchers_stop(void);

#endif
