/* pd-notify: the sd_notify protocol, spoken to the service manager.
 *
 * systemd (Type=notify) gives the daemon $NOTIFY_SOCKET, a unix datagram
 * socket: a path, or "@name" for the abstract namespace.  Each state change
 * is one datagram of newline-separated VAR=value lines (sd_notify(3)):
 * READY=1 once the listeners are open and the database has been checked,
 * RELOADING=1 (with MONOTONIC_USEC) and READY=1 around a reload, STOPPING=1
 * at the stop signal, STATUS= a line for `systemctl status` (the
 * listeners and the open sessions, from postdeskd.c), WATCHDOG=1
 * every half of $WATCHDOG_USEC when the unit sets WatchdogSec (and
 * $WATCHDOG_PID, if given, is this process).
 *
 * The socket is opened and connected at start, while postdeskd may still be
 * root: connect() is where a unix socket's permissions are checked, so the
 * datagrams still go out after the privilege drop.  Without $NOTIFY_SOCKET
 * every call does nothing; a send that fails is logged once at debug level
 * and never stops the daemon (the protocol is best effort, as in libsystemd).
 * Owns that one socket; main thread only.
 */
#include "pd-notify.h"
#include "core/pd-log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int notify_fd = -1;
static guint notify_watchdog_id;

/* The socket address of $NOTIFY_SOCKET, or FALSE if it names none. */
static gboolean
notify_address(const char *name, struct sockaddr_un *sun_r, socklen_t *len_r)
{
	gsize n = strlen(name);

	memset(sun_r, 0, sizeof(*sun_r));
	sun_r->sun_family = AF_UNIX;
	if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sun_r->sun_path))
		return FALSE;
	memcpy(sun_r->sun_path, name, n);
	if (name[0] == '@')
		sun_r->sun_path[0] = '\0';	/* the abstract namespace */
	*len_r = (socklen_t)(G_STRUCT_OFFSET(struct sockaddr_un, sun_path) + n +
			     (name[0] == '/' ? 1 : 0));
	return TRUE;
}

static gboolean
notify_watchdog(gpointer user_data)
{
	(void)user_data;
	pd_notify("WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

/* Half of $WATCHDOG_USEC, in ms; 0 when the unit has no watchdog for us. */
static guint
notify_watchdog_interval(void)
{
	const char *usec = g_getenv("WATCHDOG_USEC");
	const char *pid = g_getenv("WATCHDOG_PID");
	guint64 value;

	if (usec == NULL || !g_ascii_string_to_unsigned(usec, 10, 1, G_MAXUINT64, &value, NULL))
		return 0;
	if (pid != NULL && (guint64)getpid() != g_ascii_strtoull(pid, NULL, 10))
		return 0;
	return (guint)MAX(1, MIN(value / 2000, G_MAXUINT));
}

void
pd_notify_open(void)
{
	const char *name = g_getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (name == NULL || *name == '\0')
		return;
	if (!notify_address(name, &sun, &len)) {
		pd_log_warning("NOTIFY_SOCKET=%s is not a socket path or @name: "
			       "the service manager is not told of readiness", name);
		return;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len) != 0) {
		pd_log_warning("NOTIFY_SOCKET=%s: %s: the service manager is not told of "
			       "readiness", name, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	notify_fd = fd;
}

gboolean
pd_notify_enabled(void)
{
	return notify_fd >= 0;
}

void
pd_notify(const char *state)
{
	static gboolean failed;

	if (notify_fd < 0)
		return;
	if (send(notify_fd, state, strlen(state), MSG_NOSIGNAL) < 0 && !failed) {
		failed = TRUE;
		pd_log_debug("NOTIFY_SOCKET: %s", g_strerror(errno));
	}
}

void
pd_notifyf(const char *format, ...)
{
	g_autofree char *state = NULL;
	va_list args;

	if (notify_fd < 0)
		return;
	va_start(args, format);
	state = g_strdup_vprintf(format, args);
	va_end(args);
	pd_notify(state);
}

void
pd_notify_ready(const char *status)
{
	guint interval;

	pd_notifyf("READY=1\nSTATUS=%s", status);
	if (notify_fd < 0 || notify_watchdog_id != 0)
		return;
	interval = notify_watchdog_interval();
	if (interval > 0) {
		pd_notify("WATCHDOG=1");
		notify_watchdog_id = g_timeout_add(interval, notify_watchdog, NULL);
	}
}

void
pd_notify_reloading(void)
{
	pd_notifyf("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT "\nSTATUS=reloading",
		   g_get_monotonic_time());
}

void
pd_notify_close(void)
{
	if (notify_watchdog_id != 0)
		g_source_remove(notify_watchdog_id);
	notify_watchdog_id = 0;
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
