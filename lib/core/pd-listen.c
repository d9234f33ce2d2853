/* pd-listen: parse and check listener settings (no sockets). */
#include "pd-listen.h"
#include "pd-error.h"

#include <gio/gio.h>
#include <string.h>

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
	*mode_r = mode;
	return TRUE;
}

static GInetAddressMask *
listen_mask_new(const char *text)
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
	if (!pd_listen_socket_mode(config, &mode, error))
		return FALSE;
	for (guint i = 0; i < config->xforward_hosts->len; i++) {
		g_autoptr(GInetAddressMask) mask = listen_mask_new(config->xforward_hosts->pdata[i]);

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
	for (guint i = 0; i < config->xforward_hosts->len; i++) {
		g_autoptr(GInetAddressMask) mask = listen_mask_new(config->xforward_hosts->pdata[i]);

		if (mask != NULL && g_inet_address_mask_matches(mask, client))
			return TRUE;
	}
	return FALSE;
}
