/* pd-sender: postdeskd's outbound sender thread (issue 4).
 *
 * One thread with its own PostgreSQL connection (it never takes a
 * connection an LMTP session needs) and one PdSmtpSender (one relay
 * connection, reused between mails).  It claims due rows, renders each
 * with the templates, sends it and records the outcome; see
 * pd-store-outbound.h for the states.  Settings come from [outbound]
 * (pd-outbound.h, plus the sender's own keys described in pd-sender.c)
 * and are re-read when the daemon's configuration is reloaded.  Without
 * an [outbound] section the thread does nothing but say so once.
 */
#ifndef PD_SENDER_H
#define PD_SENDER_H

#include "pd-daemon.h"

/* Start the thread (main thread, once). */
void pd_sender_start(PdDaemon *daemon);
/* Ask it to stop after the mail in progress and join it; stops waiting
 * after PD_SHUTDOWN_GRACE_SECONDS (a stalled relay): FALSE then, and the
 * caller must exit without freeing what the thread may still use. */
gboolean pd_sender_stop(void);

#endif
