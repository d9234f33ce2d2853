/* pd-auth-config: the [auth] section of the configuration file.
 *
 * Declared here rather than in lib/core so the core knows nothing of
 * authentication; the core's loader validates every key at load (an
 * unknown key is an error: a typo must not silently turn authentication
 * off).
 */
#include "pd-auth-private.h"

#include <string.h>

#include "core/pd-error.h"

#define AUTH_GROUP "auth"

PdAuthConfig *
pd_auth_config_new(void)
{
	PdAuthConfig *config = g_new0(PdAuthConfig, 1);

	config->mode = PD_AUTH_MODE_VERIFY;
	config->authserv_id = g_strdup("postdesk");
	config->trusted_authserv_ids = g_ptr_array_new_with_free_func(g_free);
	config->trusted_relays = g_ptr_array_new_with_free_func(g_free);
	config->dns_timeout_ms = 5000;
	config->check_timeout_ms = 20000;
	config->dkim_max_signatures = 8;
	config->dkim_min_key_bits = 1024;
	return config;
}

void
pd_auth_config_free(PdAuthConfig *config)
{
	if (config == NULL)
		return;
	g_free(config->authserv_id);
	g_ptr_array_unref(config->trusted_authserv_ids);
	g_clear_pointer(&config->trusted_relays, g_ptr_array_unref);
	g_free(config->psl_file);
	g_free(config->receiving_host);
	g_free(config->dns_server);
	g_free(config->zone_file);
	g_free(config);
}

static gboolean
valid_authserv_id(const char *id)
{
	if (id == NULL || *id == '\0' || strlen(id) > 255)
		return FALSE;
	for (const char *p = id; *p != '\0'; p++)
		if (!g_ascii_isgraph(*p) || strchr("()<>@,;:\\\"[]?=/", *p) != NULL)
			return FALSE;
	return TRUE;
}

static gboolean
check_authserv_id(gconstpointer field, GError **error)
{
	if (valid_authserv_id(*(char *const *)field))
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "not a valid authserv-id");
	return FALSE;
}

static gboolean
check_authserv_ids(gconstpointer field, GError **error)
{
	GPtrArray *ids = *(GPtrArray *const *)field;

	for (guint i = 0; i < ids->len; i++) {
		if (!valid_authserv_id(ids->pdata[i])) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "\"%s\" is not a valid authserv-id", (char *)ids->pdata[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
check_relays(gconstpointer field, GError **error)
{
	GPtrArray *relays = *(GPtrArray *const *)field;

	for (guint i = 0; i < relays->len; i++) {
		const char *relay = relays->pdata[i];

		if (strspn(relay, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != strlen(relay)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "\"%s\" is not a host name or address", relay);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
check_dns_server(gconstpointer field, GError **error)
{
	g_autoptr(PdResolver) check = pd_resolver_system_new_server(*(char *const *)field, error);

	return check != NULL;
}

static gboolean
check_zone_file(gconstpointer field, GError **error)
{
	g_autoptr(PdResolver) zone = pd_resolver_zone_new();

	return pd_resolver_zone_load_file(zone, *(char *const *)field, error);
}

static void
lower_all(GPtrArray *list)
{
	for (guint i = 0; i < list->len; i++) {
		char *lower = g_ascii_strdown(list->pdata[i], -1);

		g_free(list->pdata[i]);
		list->pdata[i] = lower;
	}
}

static gboolean
auth_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdAuthConfig *auth = values;
	char *lower = g_ascii_strdown(auth->authserv_id, -1);

	(void)name;
	(void)config;
	g_free(auth->authserv_id);
	auth->authserv_id = lower;
	lower_all(auth->trusted_authserv_ids);
	lower_all(auth->trusted_relays);
	/* trusting a default id would trust whatever a stranger writes with it */
	if (auth->mode == PD_AUTH_MODE_TRUST_AR &&
	    !pd_config_load_is_set(load, AUTH_GROUP, "authserv_id")) {
		pd_config_error(load, AUTH_GROUP, "mode", "[auth] mode = trust-ar needs "
				"authserv_id (the id your MTA's milters write in "
				"Authentication-Results)");
		return FALSE;
	}
	return TRUE;
}

static const char *const auth_modes[] = { "verify", "trust-ar", "off", NULL };

#define AUTH(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdAuthConfig, f)

/* No mode (or no [auth] at all) is mode off: nobody is authenticated, so
 * nobody gets privileges, and no DNS traffic starts (fail closed). */
static const PdSetting auth_settings[] = {
	{ AUTH("mode", PD_SETTING_ENUM, mode), .def = "off", .values = auth_modes },
	{ AUTH("authserv_id", PD_SETTING_STRING, authserv_id), .def = "postdesk",
	  .check = check_authserv_id },
	{ AUTH("trusted_authserv_ids", PD_SETTING_LIST, trusted_authserv_ids),
	  .separators = ";,", .check = check_authserv_ids },
	{ AUTH("dns_timeout", PD_SETTING_MSEC, dns_timeout_ms), .def = "5", .min = 1,
	  .max = 3600 * 1000 },
	{ AUTH("check_timeout", PD_SETTING_MSEC, check_timeout_ms), .def = "20", .min = 1,
	  .max = 3600 * 1000 },
	{ AUTH("dkim_max_signatures", PD_SETTING_UINT, dkim_max_signatures), .def = "8",
	  .min = 1, .max = 64 },
	{ AUTH("dkim_min_key_bits", PD_SETTING_UINT, dkim_min_key_bits), .def = "1024",
	  .min = 512, .max = 16384 },
	{ AUTH("psl_file", PD_SETTING_STRING, psl_file) },
	{ AUTH("receiving_host", PD_SETTING_STRING, receiving_host) },
	{ AUTH("dns_server", PD_SETTING_STRING, dns_server), .check = check_dns_server },
	{ AUTH("zone_file", PD_SETTING_STRING, zone_file), .check = check_zone_file },
	{ AUTH("trusted_relays", PD_SETTING_LIST, trusted_relays), .separators = " \t,;",
	  .check = check_relays },
	{ NULL }
};

const PdConfigTable pd_auth_table = {
	.section = AUTH_GROUP, .size = sizeof(PdAuthConfig), .settings = auth_settings,
	.finish = auth_finish,
};

const PdAuthConfig *
pd_auth_settings(const PdConfig *config)
{
	return pd_config_layer(config, &pd_auth_table);
}

const char *
pd_auth_mode_name(PdAuthMode mode)
{
	switch (mode) {
	case PD_AUTH_MODE_VERIFY: return "verify";
	case PD_AUTH_MODE_TRUST_AR: return "trust-ar";
	case PD_AUTH_MODE_OFF: return "off";
	}
	return "?";
}
