/* pd-listen: the [lmtp] listener settings, parsed and checked.
 *
 * "host:port", "[v6]:port", "*:port" and "unix:/path" entries of listen,
 * the octal socket_mode and the xforward_hosts addresses or networks.  Pure
 * parsing: no socket is opened here, so `postdesk check-config` and the
 * daemon's start and SIGHUP reload judge a configuration the same way.
 */
#ifndef PD_LISTEN_H
#define PD_LISTEN_H

#include <glib.h>
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

/* socket_mode: octal, at most 0777. */
gboolean pd_listen_socket_mode(const PdConfig *config, guint *mode_r, GError **error);

/* Every listen entry, socket_mode and xforward_hosts (addresses or CIDR
 * networks); PD_ERROR_USAGE naming the bad value. */
gboolean pd_listen_check_config(const PdConfig *config, GError **error);

/* TRUE if client_ip (numeric, IPv4-mapped IPv6 accepted) is one of the
 * config's xforward_hosts. */
gboolean pd_listen_xforward_allowed(const PdConfig *config, const char *client_ip);

#endif
