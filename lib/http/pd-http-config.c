/* pd-http-config: the [http] table (pd-http.h). */
#include "http/pd-http.h"
#include "core/pd-error.h"
#include "core/pd-listen.h"
#include "ticket/pd-token.h"

#include <gio/gio.h>
#include <string.h>

#define SECTION "http"
/* A token shorter than this is guessable; `openssl rand -hex 32` makes 64. */
#define PD_HTTP_TOKEN_MIN 16

/* "127.0.0.1:8025", "[::1]:8025", "*:8025": host (NULL: every address),
 * port and whether only this machine can connect. */
static gboolean
http_parse_listen(const char *listen, PdHttpSettings *s, GError **error)
{
	PdListenAddress address = { 0 };
	g_autoptr(GInetAddress) inet = NULL;
	guint64 port;

	if (!pd_listen_parse(listen, &address, NULL)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "not address:port (127.0.0.1:8025, [::1]:8025, *:8025)");
		return FALSE;
	}
	if (address.kind != PD_LISTEN_TCP) {
		pd_listen_address_clear(&address);
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "a TCP address and port (127.0.0.1:8025), not a unix socket");
		return FALSE;
	}
	if (!g_ascii_string_to_unsigned(address.port, 10, 1, 65535, &port, NULL)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "port \"%s\": 1 to 65535",
			    address.port);
		pd_listen_address_clear(&address);
		return FALSE;
	}
	if (address.host != NULL) {
		inet = g_inet_address_new_from_string(address.host);
		if (inet == NULL) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "\"%s\" is not a numeric address (names are not resolved "
				    "here: 127.0.0.1, [::1] or *)", address.host);
			pd_listen_address_clear(&address);
			return FALSE;
		}
	}
	s->host = g_steal_pointer(&address.host);
	s->port = g_steal_pointer(&address.port);
	s->loopback = inet != NULL && g_inet_address_get_is_loopback(inet);
	pd_listen_address_clear(&address);
	return TRUE;
}

static gboolean
http_read_token(const char *path, char **token_r, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) local = NULL;
	char *end;

	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local->message);
		return FALSE;
	}
	end = strpbrk(text, "\r\n");
	if (end != NULL)
		*end = '\0';
	g_strstrip(text);
	if (strlen(text) < PD_HTTP_TOKEN_MIN) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "%s: the token (its first line) has %zu characters, at least %d "
			    "are needed (e.g. openssl rand -hex 32 > %s)", path, strlen(text),
			    PD_HTTP_TOKEN_MIN, path);
		return FALSE;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if (!g_ascii_isgraph(*p)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s: the token must be printable ASCII without spaces", path);
			return FALSE;
		}
	}
	*token_r = g_steal_pointer(&text);
	return TRUE;
}

static gboolean
http_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdHttpSettings *s = values;
	g_autoptr(GError) local = NULL;

	(void)name;
	(void)config;
	if (s->operator_token_file != NULL &&
	    !http_read_token(s->operator_token_file, &s->operator_token, &local)) {
		pd_config_error(load, SECTION, "operator_token_file",
				"[http] operator_token_file: %s", local->message);
		return FALSE;
	}
	if (s->public_url != NULL) {
		gsize n = strlen(s->public_url);

		if ((!g_str_has_prefix(s->public_url, "https://") &&
		     !g_str_has_prefix(s->public_url, "http://")) ||
		    strpbrk(s->public_url, "?#\"'<> \t\r\n") != NULL) {
			pd_config_error(load, SECTION, "public_url",
					"[http] public_url = %s: an http:// or https:// URL "
					"without query, fragment, quotes or spaces", s->public_url);
			return FALSE;
		}
		while (n > 0 && s->public_url[n - 1] == '/')
			s->public_url[--n] = '\0';
	}
	if (s->listen == NULL) {
		if (s->operator_token_file != NULL)
			pd_config_warning(load, SECTION, "operator_token_file",
					  "[http] operator_token_file is set but listen is not: "
					  "no HTTP listener");
		return TRUE;
	}
	if (!http_parse_listen(s->listen, s, &local)) {
		pd_config_error(load, SECTION, "listen", "[http] listen = %s: %s", s->listen,
				local->message);
		return FALSE;
	}
	if (!s->loopback && s->operator_token == NULL) {
		pd_config_error(load, SECTION, "listen",
				"[http] listen = %s: not a loopback address, and operator_token_file "
				"is not set: /metrics would be open to the network (use "
				"127.0.0.1:PORT, or set operator_token_file: every page then needs "
				"the token)", s->listen);
		return FALSE;
	}
	return TRUE;
}

static void
http_clear(gpointer values)
{
	PdHttpSettings *s = values;

	g_clear_pointer(&s->host, g_free);
	g_clear_pointer(&s->port, g_free);
	if (s->operator_token != NULL)
		memset(s->operator_token, 0, strlen(s->operator_token));
	g_clear_pointer(&s->operator_token, g_free);
}

#define HTTP(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdHttpSettings, f)

static const PdSetting http_settings[] = {
	{ HTTP("listen", PD_SETTING_STRING, listen) },
	{ HTTP("operator_token_file", PD_SETTING_STRING, operator_token_file) },
	{ HTTP("max_connections", PD_SETTING_UINT, max_connections), .def = "32", .min = 1,
	  .max = 10000 },
	{ HTTP("threads", PD_SETTING_UINT, threads), .def = "2", .min = 1, .max = 64 },
	{ HTTP("timeout", PD_SETTING_UINT, timeout), .def = "30", .min = 1, .max = 3600 },
	{ HTTP("public_url", PD_SETTING_STRING, public_url) },
	{ HTTP("link_days", PD_SETTING_UINT, link_days), .def = "90", .min = 1, .max = 3650 },
	{ HTTP("page_rate", PD_SETTING_UINT, page_rate), .def = "30", .min = 1, .max = 100000 },
	{ NULL }
};

const PdConfigTable pd_http_table = {
	.section = SECTION, .size = sizeof(PdHttpSettings), .settings = http_settings,
	.finish = http_finish, .clear = http_clear,
};

const PdHttpSettings *
pd_http_settings(const PdConfig *config)
{
	return pd_config_layer(config, &pd_http_table);
}

char *
pd_http_page_url(const PdHttpSettings *settings, const PdTokenKeys *keys, gint64 ticket_id,
		 const char *recipient, gint64 now)
{
	g_autofree char *token = NULL;

	if (settings->public_url == NULL || keys == NULL || ticket_id <= 0)
		return NULL;
	token = pd_token_page(keys, ticket_id, recipient,
			      now + (gint64)settings->link_days * 24 * 60 * 60, NULL);
	return token != NULL ? g_strdup_printf("%s/t/%s", settings->public_url, token) : NULL;
}

/* Constant time in the token's content: both sides hashed first. */
gboolean
pd_http_token_matches(const PdHttpSettings *settings, const char *token)
{
	g_autofree char *want = NULL, *got = NULL;
	guchar diff = 0;

	if (settings->operator_token == NULL || token == NULL)
		return FALSE;
	want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, settings->operator_token, -1);
	got = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
	for (gsize i = 0; want[i] != '\0'; i++)
		diff |= (guchar)(want[i] ^ got[i]);
	return diff == 0;
}
