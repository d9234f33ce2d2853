/* pd-listen: parse and check listener settings (no sockets). */
#include "pd-listen.h"
#include "pd-error.h"

#include <gio/gio.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

static gboolean
listen_port_valid(const char *port)
{
	guint64 value;

	if (*port == '\0' || strlen(port) > 5)
		return FALSE;
	for (const char *p = port; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p))
			return FALSE;
	value = g_ascii_strtoull(port, NULL, 10);
	return value <= 65535;
}

gboolean
pd_listen_parse(const char *spec, PdListenAddress *address_r, GError **error)
{
	const char *colon;
	g_autofree char *host = NULL;

	memset(address_r, 0, sizeof(*address_r));
	if (g_str_has_prefix(spec, "unix:")) {
		const char *path = spec + 5;

		if (*path != '/' || strlen(path) >= 108) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[lmtp] listen: \"%s\": a unix socket needs an absolute path "
				    "shorter than 108 bytes", spec);
			return FALSE;
		}
		address_r->kind = PD_LISTEN_UNIX;
		address_r->path = g_strdup(path);
		return TRUE;
	}
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (end == NULL || end[1] != ':')
			goto bad;
		host = g_strndup(spec + 1, end - spec - 1);
		colon = end + 1;
		if (!g_hostname_is_ip_address(host))
			goto bad;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || colon == spec || memchr(spec, ':', colon - spec) != NULL)
			goto bad;
		host = g_strndup(spec, colon - spec);
	}
	if (!listen_port_valid(colon + 1))
		goto bad;
	address_r->kind = PD_LISTEN_TCP;
	address_r->port = g_strdup(colon + 1);
	if (strcmp(host, "*") != 0)
		address_r->host = g_steal_pointer(&host);
	return TRUE;
bad:
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "[lmtp] listen: \"%s\" is not host:port, [v6]:port, *:port or unix:/path",
		    spec);
	return FALSE;
}

void
pd_listen_address_clear(PdListenAddress *address)
{
	g_clear_pointer(&address->host, g_free);
	g_clear_pointer(&address->port, g_free);
	g_clear_pointer(&address->path, g_free);
}

gboolean
pd_listen_socket_mode(const PdConfig *config, guint *mode_r, GError **error)
{
	const char *text = config->socket_mode_str;
	char *end;
	guint64 mode;

	mode = g_ascii_strtoull(text, &end, 8);
	if (*text == '\0' || *end != '\0' || mode > 0777) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[lmtp] socket_mode: \"%s\" is not an octal mode such as 0660", text);
		return FALSE;
	}
	if (mode & 0002) {
		/* Connecting to a unix socket needs write permission on it. */
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[lmtp] socket_mode: %s lets every local user connect; use 0660 "
			    "and socket_group (or the daemon's group) for the MTA", text);
		return FALSE;
	}
	*mode_r = mode;
	return TRUE;
}

/* A decimal id, or the id of a user (is_user) or group name; FALSE if
 * there is no such name. */
static gboolean
listen_id(const char *text, gboolean is_user, guint *id_r)
{
	char buf[4096];
	char *end;
	guint64 id = g_ascii_strtoull(text, &end, 10);

	if (*text != '\0' && *end == '\0' && id < G_MAXUINT) {
		*id_r = (guint)id;
		return TRUE;
	}
	if (is_user) {
		struct passwd pw, *found = NULL;

		if (getpwnam_r(text, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
			return FALSE;
		*id_r = found->pw_uid;
	} else {
		struct group gr, *found = NULL;

		if (getgrnam_r(text, &gr, buf, sizeof(buf), &found) != 0 || found == NULL)
			return FALSE;
		*id_r = found->gr_gid;
	}
	return TRUE;
}

/* socket_owner or socket_group (is_user FALSE): its id, -1 when unset. */
static gboolean
listen_socket_id(const char *text, gboolean is_user, guint *id_r, GError **error)
{
	*id_r = (guint)-1;
	if (text == NULL || *text == '\0')
		return TRUE;
	if (!listen_id(text, is_user, id_r)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[lmtp] %s: no %s \"%s\"",
			    is_user ? "socket_owner" : "socket_group", is_user ? "user" : "group",
			    text);
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_listen_socket_owner(const PdConfig *config, uid_t *uid_r, GError **error)
{
	guint uid;
	gboolean ok = listen_socket_id(config->socket_owner, TRUE, &uid, error);

	*uid_r = ok ? (uid_t)uid : (uid_t)-1;
	return ok;
}

gboolean
pd_listen_socket_group(const PdConfig *config, gid_t *gid_r, GError **error)
{
	guint gid;
	gboolean ok = listen_socket_id(config->socket_group, FALSE, &gid, error);

	*gid_r = ok ? (gid_t)gid : (gid_t)-1;
	return ok;
}

static gboolean
listen_check_ids(const GPtrArray *names, gboolean is_user, GError **error)
{
	for (guint i = 0; i < names->len; i++) {
		guint id;

		if (!listen_id(names->pdata[i], is_user, &id)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[lmtp] %s: no %s \"%s\"",
				    is_user ? "xforward_users" : "xforward_groups",
				    is_user ? "user" : "group", (char *)names->pdata[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
listen_ids_contain(const GPtrArray *names, gboolean is_user, guint id)
{
	for (guint i = 0; i < names->len; i++) {
		guint named;

		if (listen_id(names->pdata[i], is_user, &named) && named == id)
			return TRUE;
	}
	return FALSE;
}

gboolean
pd_listen_xforward_peer_allowed(const PdConfig *config, uid_t uid, gid_t gid)
{
	return listen_ids_contain(config->xforward_users, TRUE, uid) ||
	       listen_ids_contain(config->xforward_groups, FALSE, gid);
}

GInetAddressMask *
pd_listen_network_new(const char *text)
{
	if (strchr(text, '/') != NULL)
		return g_inet_address_mask_new_from_string(text, NULL);
	else {
		g_autoptr(GInetAddress) address = g_inet_address_new_from_string(text);

		if (address == NULL)
			return NULL;
		return g_inet_address_mask_new(address, g_inet_address_get_family(address) ==
					       G_SOCKET_FAMILY_IPV4 ? 32 : 128, NULL);
	}
}

gboolean
pd_listen_check_config(const PdConfig *config, GError **error)
{
	guint mode;
	uid_t owner;
	gid_t group;

	if (config->lmtp_listen->len == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[lmtp] listen: at least one address is required");
		return FALSE;
	}
	for (guint i = 0; i < config->lmtp_listen->len; i++) {
		PdListenAddress address;

		if (!pd_listen_parse(config->lmtp_listen->pdata[i], &address, error))
			return FALSE;
		pd_listen_address_clear(&address);
	}
	if (!pd_listen_socket_mode(config, &mode, error) ||
	    !pd_listen_socket_owner(config, &owner, error) ||
	    !pd_listen_socket_group(config, &group, error) ||
	    !listen_check_ids(config->xforward_users, TRUE, error) ||
	    !listen_check_ids(config->xforward_groups, FALSE, error))
		return FALSE;
	for (guint i = 0; i < config->xforward_hosts->len; i++) {
		g_autoptr(GInetAddressMask) mask = pd_listen_network_new(config->xforward_hosts->pdata[i]);

		if (mask == NULL) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[lmtp] xforward_hosts: \"%s\" is not an IP address or network",
				    (char *)config->xforward_hosts->pdata[i]);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
pd_listen_xforward_allowed(const PdConfig *config, const char *client_ip)
{
	g_autoptr(GInetAddress) client = NULL;

	if (g_str_has_prefix(client_ip, "::ffff:") && strchr(client_ip, '.') != NULL)
		client_ip += 7;
	client = g_inet_address_new_from_string(client_ip);
	if (client == NULL)
		return FALSE;
	for (guint i = 0; i < config->xforward_networks->len; i++)
		if (g_inet_address_mask_matches(config->xforward_networks->pdata[i], client))
			return TRUE;
	return FALSE;
}
