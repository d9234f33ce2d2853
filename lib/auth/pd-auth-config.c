/* pd-auth-config: the [auth] section of the configuration file.
 *
 * Parsed here rather than in lib/core so the core knows nothing of
 * authentication.  Everything is validated on load; unknown keys are errors
 * (a typo must not silently turn authentication off).
 */
#include "pd-auth-private.h"

#include <math.h>
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
parse_seconds(GKeyFile *keyfile, const char *key, guint *ms_r, GError **error)
{
	g_autofree char *text = g_key_file_get_string(keyfile, AUTH_GROUP, key, NULL);
	double seconds;
	char *end = NULL;

	if (text == NULL)
		return TRUE;
	g_strstrip(text);
	seconds = g_ascii_strtod(text, &end);
	if (end == text || *end != '\0' || !isfinite(seconds) || seconds <= 0 || seconds > 3600) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[auth] %s: \"%s\" is not a number of seconds (0 < s <= 3600)", key,
			    text);
		return FALSE;
	}
	*ms_r = (guint) MAX(1.0, seconds * 1000.0);
	return TRUE;
}

static gboolean
parse_uint(GKeyFile *keyfile, const char *key, gint min, gint max, guint *value_r,
	   GError **error)
{
	g_autoptr(GError) local = NULL;
	gint n;

	if (!g_key_file_has_key(keyfile, AUTH_GROUP, key, NULL))
		return TRUE;
	n = g_key_file_get_integer(keyfile, AUTH_GROUP, key, &local);
	if (local != NULL || n < min || n > max) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[auth] %s must be %d..%d", key, min,
			    max);
		return FALSE;
	}
	*value_r = (guint) n;
	return TRUE;
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

static const char *const known_keys[] = {
	"mode", "authserv_id", "trusted_authserv_ids", "dns_timeout", "check_timeout",
	"dkim_max_signatures", "dkim_min_key_bits", "psl_file", "receiving_host", "dns_server", "zone_file",
	"trusted_relays", NULL,
};

PdAuthConfig *
pd_auth_config_load(GKeyFile *keyfile, GError **error)
{
	g_autoptr(PdAuthConfig) config = pd_auth_config_new();
	g_auto(GStrv) keys = NULL;
	g_autofree char *mode = NULL;
	g_autofree char *id = NULL;
	g_auto(GStrv) trusted = NULL;
	g_autofree char *relays = NULL;

	if (keyfile == NULL || !g_key_file_has_group(keyfile, AUTH_GROUP))
		return g_steal_pointer(&config);
	keys = g_key_file_get_keys(keyfile, AUTH_GROUP, NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(known_keys, keys[i])) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[auth] unknown key \"%s\"",
				    keys[i]);
			return NULL;
		}
	}
	mode = g_key_file_get_string(keyfile, AUTH_GROUP, "mode", NULL);
	if (mode != NULL) {
		g_strstrip(mode);
		if (strcmp(mode, "verify") == 0)
			config->mode = PD_AUTH_MODE_VERIFY;
		else if (strcmp(mode, "trust-ar") == 0)
			config->mode = PD_AUTH_MODE_TRUST_AR;
		else if (strcmp(mode, "off") == 0)
			config->mode = PD_AUTH_MODE_OFF;
		else {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[auth] mode: \"%s\" is not verify, trust-ar or off", mode);
			return NULL;
		}
	}
	id = g_key_file_get_string(keyfile, AUTH_GROUP, "authserv_id", NULL);
	if (id != NULL) {
		g_strstrip(id);
		if (!valid_authserv_id(id)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[auth] authserv_id: \"%s\" is not a valid authserv-id", id);
			return NULL;
		}
		g_free(config->authserv_id);
		config->authserv_id = g_ascii_strdown(id, -1);
	}
	trusted = g_key_file_get_string_list(keyfile, AUTH_GROUP, "trusted_authserv_ids", NULL,
					     NULL);
	for (guint i = 0; trusted != NULL && trusted[i] != NULL; i++) {
		g_strstrip(trusted[i]);
		if (*trusted[i] == '\0')
			continue;
		if (!valid_authserv_id(trusted[i])) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[auth] trusted_authserv_ids: \"%s\" is not a valid authserv-id",
				    trusted[i]);
			return NULL;
		}
		g_ptr_array_add(config->trusted_authserv_ids, g_ascii_strdown(trusted[i], -1));
	}
	g_strfreev(trusted);
	/* separated by spaces, commas or semicolons, as the other lists */
	relays = g_key_file_get_string(keyfile, AUTH_GROUP, "trusted_relays", NULL);
	trusted = relays != NULL ? g_strsplit_set(relays, " \t,;", -1) : NULL;
	for (guint i = 0; trusted != NULL && trusted[i] != NULL; i++) {
		g_strstrip(trusted[i]);
		if (*trusted[i] == '\0')
			continue;
		if (strspn(trusted[i], "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != strlen(trusted[i])) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[auth] trusted_relays: \"%s\" is not a host name or address",
				    trusted[i]);
			return NULL;
		}
		g_ptr_array_add(config->trusted_relays, g_ascii_strdown(trusted[i], -1));
	}
	if (!parse_seconds(keyfile, "dns_timeout", &config->dns_timeout_ms, error) ||
	    !parse_seconds(keyfile, "check_timeout", &config->check_timeout_ms, error))
		return NULL;
	if (!parse_uint(keyfile, "dkim_max_signatures", 1, 64, &config->dkim_max_signatures,
			error) ||
	    !parse_uint(keyfile, "dkim_min_key_bits", 512, 16384, &config->dkim_min_key_bits,
			error))
		return NULL;
	config->psl_file = g_key_file_get_string(keyfile, AUTH_GROUP, "psl_file", NULL);
	config->receiving_host = g_key_file_get_string(keyfile, AUTH_GROUP, "receiving_host",
						       NULL);
	config->dns_server = g_key_file_get_string(keyfile, AUTH_GROUP, "dns_server", NULL);
	if (config->dns_server != NULL) {
		g_autoptr(PdResolver) check = NULL;

		g_strstrip(config->dns_server);
		check = pd_resolver_system_new_server(config->dns_server, error);
		if (check == NULL)
			return NULL;
	}
	config->zone_file = g_key_file_get_string(keyfile, AUTH_GROUP, "zone_file", NULL);
	if (config->zone_file != NULL) {
		g_autoptr(PdResolver) zone = pd_resolver_zone_new();

		if (!pd_resolver_zone_load_file(zone, g_strstrip(config->zone_file), error))
			return NULL;
	}
	/* trusting a default id would trust whatever a stranger writes with it */
	if (config->mode == PD_AUTH_MODE_TRUST_AR && id == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[auth] mode = trust-ar needs authserv_id (the id your MTA's "
			    "milters write in Authentication-Results)");
		return NULL;
	}
	return g_steal_pointer(&config);
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
