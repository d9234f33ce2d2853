/* pd-listen: the [lmtp] listener settings, parsed and checked.
 *
 * "host:port", "[v6]:port", "*:port" and "unix:/path" entries of listen,
 * the octal socket_mode, socket_owner and socket_group, and who is trusted to send
 * XFORWARD (and so to name the SMTP client that sender authentication
 * checks): TCP clients by address (xforward_hosts), unix-socket clients by
 * their kernel credentials (xforward_users, xforward_groups).  Nobody is
 * trusted unless named: every local user can reach loopback.  A socket_mode
 * that lets every local user connect (o+w) is refused.  Pure parsing: no
 * socket is opened here; the configuration loader runs
 * pd_listen_check_config (lib/core/pd-config.c, the [lmtp] table), so
 * `postdesk check-config` and the daemon's start and SIGHUP reload judge a
 * configuration the same way.
 */
#ifndef PD_LISTEN_H
#define PD_LISTEN_H

#include <gio/gio.h>
#include <sys/types.h>
#include "pd-config.h"

typedef enum {
	PD_LISTEN_TCP,
	PD_LISTEN_UNIX,
} PdListenKind;

typedef struct {
	PdListenKind kind;
	char *host;		/* TCP: numeric address or name, NULL for "*" */
	char *port;		/* TCP: decimal port */
	char *path;		/* UNIX: socket path */
} PdListenAddress;

gboolean pd_listen_parse(const char *spec, PdListenAddress *address_r, GError **error);
void pd_listen_address_clear(PdListenAddress *address);

/* socket_mode: octal, at most 0777, not writable by others. */
gboolean pd_listen_socket_mode(const PdConfig *config, guint *mode_r, GError **error);

/* socket_owner as a uid (a user name or a number); *uid_r = -1 when unset. */
gboolean pd_listen_socket_owner(const PdConfig *config, uid_t *uid_r, GError **error);

/* socket_group as a gid (a group name or a number); *gid_r = -1 when unset. */
gboolean pd_listen_socket_group(const PdConfig *config, gid_t *gid_r, GError **error);

/* Every listen entry, socket_mode, socket_owner, socket_group, xforward_hosts (addresses
 * or CIDR networks), xforward_users and xforward_groups (names that exist,
 * or numbers); PD_ERROR_USAGE naming the bad value. */
gboolean pd_listen_check_config(const PdConfig *config, GError **error);

/* An xforward_hosts entry (address or CIDR network) as a mask, or NULL
 * (the loader builds them once per configuration). */
GInetAddressMask *pd_listen_network_new(const char *text);

/* TRUE if client_ip (numeric, IPv4-mapped IPv6 accepted) is one of the
 * config's xforward_hosts. */
gboolean pd_listen_xforward_allowed(const PdConfig *config, const char *client_ip);

/* TRUE if a unix-socket peer whose kernel credentials (SO_PEERCRED) are uid
 * and gid is one of xforward_users or its gid one of xforward_groups. */
gboolean pd_listen_xforward_peer_allowed(const PdConfig *config, uid_t uid, gid_t gid);

#endif
