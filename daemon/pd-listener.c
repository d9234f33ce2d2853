/* pd-listener: the LMTP listening sockets and the accept path.
 *
 * Opens every [lmtp] listen entry (TCP over IPv4/IPv6, unix sockets with
 * socket_mode, socket_owner and socket_group), accepts in the main loop and hands each
 * connection to a session thread, or answers 421 when max_sessions are
 * busy or an untrusted client has max_sessions_per_client open.  Decides whether the client may XFORWARD: a TCP client by its
 * address (xforward_hosts), a unix-socket client by the uid and gid the
 * kernel gives for it (SO_PEERCRED: xforward_users, xforward_groups).
 * Owns the listening sockets; never reads mail.
 */
#define _GNU_SOURCE	/* accept4, struct ucred */
#include "pd-daemon.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "pipeline/pd-pipeline-metrics.h"

#include <glib-unix.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void
listener_free(gpointer data)
{
	PdListener *listener = data;

	if (listener->source_id != 0)
		g_source_remove(listener->source_id);
	if (listener->fd >= 0) {
		close(listener->fd);
		if (listener->address.kind == PD_LISTEN_UNIX)
			unlink(listener->address.path);
	}
	pd_listen_address_clear(&listener->address);
	g_free(listener->name);
	g_free(listener);
}

static void
listener_refuse(int fd, const char *line)
{
	/* Best effort, never blocking the main loop. */
	if (send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pd_log_debug("421 not sent: %s", g_strerror(errno));
	close(fd);
}

static char *
listener_peer_ip(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST];

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0,
			NI_NUMERICHOST) != 0)
		return g_strdup("unknown");
	return g_strdup(host);
}

/* "unix:uid=N" and whether that peer may XFORWARD. */
static char *
listener_peer_unix(int fd, const PdConfig *config, gboolean *trusted_r)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	*trusted_r = FALSE;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		pd_log_warning("SO_PEERCRED: %s", g_strerror(errno));
		return g_strdup("unix");
	}
	*trusted_r = pd_listen_xforward_peer_allowed(config, cred.uid, cred.gid);
	return g_strdup_printf("unix:uid=%u", (guint)cred.uid);
}

static gboolean
listener_accept(gint fd, GIOCondition condition, gpointer user_data)
{
	PdListener *listener = user_data;
	PdDaemon *daemon = listener->daemon;
	g_autoptr(PdConfig) config = NULL;
	g_autofree char *peer = NULL;
	gboolean is_unix = listener->address.kind == PD_LISTEN_UNIX;
	gboolean trusted;
	guint open, from_peer;
	int client;

	client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (client < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			pd_log_warning("accept on %s: %s", listener->name, g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	if (g_atomic_int_get(&daemon->shutting_down)) {
		pd_pipeline_metrics_session(PD_METRICS_SESSION_REFUSED_SHUTDOWN);
		listener_refuse(client, "421 4.3.2 Service shutting down\r\n");
		return G_SOURCE_CONTINUE;
	}
	config = pd_daemon_config(daemon);
	if (is_unix) {
		peer = listener_peer_unix(client, config, &trusted);
	} else {
		peer = listener_peer_ip(client);
		trusted = pd_listen_xforward_allowed(config, peer);
	}
	open = (guint)g_atomic_int_get(&daemon->open_sessions);
	from_peer = pd_session_client_count(daemon, peer);
	if (open >= config->max_sessions) {
		pd_log_warning("too many sessions (%u open, %u from %s; max_sessions %u): "
			       "refused %s", open, from_peer, peer, config->max_sessions, peer);
		pd_pipeline_metrics_session(PD_METRICS_SESSION_REFUSED_MAX);
		listener_refuse(client, "421 4.3.2 Too many sessions\r\n");
		return G_SOURCE_CONTINUE;
	}
	/* Postfix's anvil limit; the MTA the operator trusts is exempt, as
	 * it opens many sessions from one address by design. */
	if (!trusted && from_peer >= config->max_sessions_per_client) {
		pd_log_warning("too many sessions from %s (%u; max_sessions_per_client %u; "
			       "%u open of %u): refused", peer, from_peer,
			       config->max_sessions_per_client, open, config->max_sessions);
		pd_pipeline_metrics_session(PD_METRICS_SESSION_REFUSED_CLIENT);
		listener_refuse(client, "421 4.7.0 Too many sessions from your address\r\n");
		return G_SOURCE_CONTINUE;
	}
	pd_pipeline_metrics_session(PD_METRICS_SESSION_ACCEPTED);
	pd_session_start(daemon, client, peer, is_unix, trusted);
	return G_SOURCE_CONTINUE;
}

static int
listener_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;

	if (fd >= 0 && family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd >= 0 && family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	return fd;
}

static void
listener_add(PdDaemon *daemon, const PdListenAddress *address, const char *name, int fd)
{
	PdListener *listener = g_new0(PdListener, 1);

	listener->daemon = daemon;
	listener->fd = fd;
	listener->name = g_strdup(name);
	listener->address.kind = address->kind;
	listener->address.host = g_strdup(address->host);
	listener->address.port = g_strdup(address->port);
	listener->address.path = g_strdup(address->path);
	listener->source_id = g_unix_fd_add(fd, G_IO_IN, listener_accept, listener);
	g_ptr_array_add(daemon->listeners, listener);
}

static gboolean
listener_open_tcp(PdDaemon *daemon, const PdListenAddress *address, const char *name,
		  GError **error)
{
	struct addrinfo hints = { 0 }, *result = NULL;
	guint opened = 0;
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(address->host, address->port, &hints, &result);
	if (rc != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "listen %s: %s", name,
			    gai_strerror(rc));
		return FALSE;
	}
	for (struct addrinfo *ai = result; ai != NULL; ai = ai->ai_next) {
		int fd = listener_socket(ai->ai_family);

		if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		    listen(fd, 128) != 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "listen %s: %s", name,
				    g_strerror(errno));
			if (fd >= 0)
				close(fd);
			freeaddrinfo(result);
			return FALSE;
		}
		listener_add(daemon, address, name, fd);
		opened++;
	}
	freeaddrinfo(result);
	return opened > 0;
}

static gboolean
listener_open_unix(PdDaemon *daemon, const PdListenAddress *address, const char *name,
		   guint mode, uid_t owner, gid_t group, GError **error)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	g_strlcpy(sun.sun_path, address->path, sizeof(sun.sun_path));
	if (lstat(address->path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "listen %s: exists and is not a socket", name);
			return FALSE;
		}
		/* A live socket belongs to a running daemon; a dead one is
		 * left over from a crash and may go. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
				    "listen %s: another process is listening there", name);
			return FALSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(address->path);
	}
	fd = listener_socket(AF_UNIX);
	/* chown and chmod before listen(): nobody connects in between.  Done
	 * as root (before the privilege drop), so any owner and group. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    ((owner != (uid_t)-1 || group != (gid_t)-1) &&
	     chown(address->path, owner, group) != 0) ||
	    chmod(address->path, mode) != 0 || listen(fd, 128) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "listen %s: %s", name,
			    g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	listener_add(daemon, address, name, fd);
	return TRUE;
}

gboolean
pd_listeners_open(PdDaemon *daemon, GError **error)
{
	g_autoptr(PdConfig) config = pd_daemon_config(daemon);
	guint mode = config->socket_mode;
	uid_t owner;
	gid_t group;

	daemon->listeners = g_ptr_array_new_with_free_func(listener_free);
	if (!pd_listen_socket_owner(config, &owner, error) ||
	    !pd_listen_socket_group(config, &group, error))
		return FALSE;
	for (guint i = 0; i < config->lmtp_listen->len; i++) {
		const char *name = config->lmtp_listen->pdata[i];
		PdListenAddress address;
		gboolean ok;

		if (!pd_listen_parse(name, &address, error))
			return FALSE;
		if (address.kind == PD_LISTEN_UNIX)
			ok = listener_open_unix(daemon, &address, name, mode, owner, group, error);
		else
			ok = listener_open_tcp(daemon, &address, name, error);
		pd_listen_address_clear(&address);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

void
pd_listeners_close(PdDaemon *daemon)
{
	g_clear_pointer(&daemon->listeners, g_ptr_array_unref);
}
