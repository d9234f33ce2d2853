/* pd-notify: tell the service manager (systemd, $NOTIFY_SOCKET) what
 * postdeskd is doing; see pd-notify.c.  Main thread only; every call is a
 * no-op when there is no $NOTIFY_SOCKET. */
#ifndef PD_NOTIFY_H
#define PD_NOTIFY_H

#include <glib.h>

/* Open and connect $NOTIFY_SOCKET (before the privilege drop). */
void pd_notify_open(void);
/* TRUE when there is a service manager to tell. */
gboolean pd_notify_enabled(void);
/* One datagram: "VAR=value" lines. */
void pd_notify(const char *state);
void pd_notifyf(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* READY=1 with STATUS=status; the first call starts the WATCHDOG=1 timer
 * when $WATCHDOG_USEC asks for one. */
void pd_notify_ready(const char *status);
/* RELOADING=1 with MONOTONIC_USEC. */
void pd_notify_reloading(void);
void pd_notify_close(void);

#endif
