/* pd-outbound: the [outbound] configuration; see pd-outbound.h. */
#include "pd-outbound.h"

#include <string.h>

#include "core/pd-address.h"
#include "core/pd-config.h"
#include "core/pd-error.h"
#include "template/pd-template.h"

#define SECTION "outbound"

static char *
get_string(GKeyFile *kf, const char *key)
{
	char *value = g_key_file_get_string(kf, SECTION, key, NULL);

	if (value != NULL && *g_strstrip(value) == '\0')
		g_clear_pointer(&value, g_free);
	return value;
}

static gboolean
get_seconds(GKeyFile *kf, const char *key, guint def, guint *value_r, GError **error)
{
	g_autofree char *text = get_string(kf, key);
	guint64 n;

	if (text == NULL) {
		*value_r = def;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(text, 10, 1, 3600, &n, NULL)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[outbound] %s = %s: a number of seconds from 1 to 3600", key, text);
		return FALSE;
	}
	*value_r = (guint)n;
	return TRUE;
}

/* A plain address (no +tag when tag_ok is FALSE), canonical; or NULL. */
static char *
plain_address(const char *text, gboolean tag_ok)
{
	PdAddress a;
	char *canonical = NULL;

	if (!pd_address_parse(text, tag_ok ? NULL : "+", &a, NULL))
		return NULL;
	if (a.domain != NULL && a.subaddress == NULL)
		canonical = pd_address_canonical(&a);
	pd_address_clear(&a);
	return canonical;
}

/* "Name <addr>", "\"Name\" <addr>" or "addr". */
static gboolean
parse_from(const char *text, char **name_r, char **address_r)
{
	const char *lt = strrchr(text, '<');
	g_autofree char *name = NULL;

	if (lt != NULL) {
		name = g_strstrip(g_strndup(text, lt - text));
		if (name[0] == '"' && strlen(name) >= 2 && g_str_has_suffix(name, "\"")) {
			char *unquoted = g_strndup(name + 1, strlen(name) - 2);

			g_free(name);
			name = unquoted;
		}
		for (const char *p = name; *p != '\0'; p++)
			if ((guchar)*p < 0x20)
				return FALSE;
	}
	*address_r = plain_address(lt != NULL ? lt : text, TRUE);
	if (*address_r == NULL)
		return FALSE;
	*name_r = name != NULL && name[0] != '\0' ? g_steal_pointer(&name) : NULL;
	return TRUE;
}

PdOutboundConfig *
pd_outbound_config_load(GKeyFile *kf, const char *hostname, GError **error)
{
	g_autoptr(PdOutboundConfig) config = g_new0(PdOutboundConfig, 1);
	g_autofree char *from = NULL, *reply = NULL, *bounce = NULL, *tls = NULL;
	g_autofree char *password_file = NULL;
	PdSmtpRelay *relay = &config->relay;
	GError *local = NULL;

	relay->url = get_string(kf, "relay");
	if (relay->url == NULL)
		relay->url = g_strdup("smtp://127.0.0.1:25");
	if (!g_str_has_prefix(relay->url, "smtp://") && !g_str_has_prefix(relay->url, "smtps://")) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[outbound] relay = %s: smtp://HOST[:PORT] or smtps://HOST[:PORT]",
			    relay->url);
		return NULL;
	}
	relay->helo = get_string(kf, "helo");
	if (relay->helo == NULL)
		relay->helo = g_strdup(hostname != NULL ? hostname : g_get_host_name());
	for (const char *p = relay->helo; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '[' && *p != ']' &&
		    *p != ':') {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[outbound] helo = %s: not a host name", relay->helo);
			return NULL;
		}
	}
	tls = get_string(kf, "starttls");
	if (tls == NULL || g_ascii_strcasecmp(tls, "no") == 0) {
		relay->tls = PD_SMTP_TLS_NONE;
	} else if (g_ascii_strcasecmp(tls, "try") == 0) {
		relay->tls = PD_SMTP_TLS_TRY;
	} else if (g_ascii_strcasecmp(tls, "required") == 0) {
		relay->tls = PD_SMTP_TLS_REQUIRED;
	} else {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[outbound] starttls = %s: no, try or required", tls);
		return NULL;
	}
	if (!pd_config_get_bool(kf, SECTION, "tls_verify", TRUE, &relay->tls_verify, error))
		return NULL;
	relay->ca_file = get_string(kf, "ca_file");
	relay->username = get_string(kf, "username");
	relay->password = get_string(kf, "password");
	password_file = get_string(kf, "password_file");
	if (password_file != NULL) {
		char *secret = NULL;

		if (!g_file_get_contents(password_file, &secret, NULL, &local)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[outbound] password_file: %s",
				    local->message);
			g_error_free(local);
			return NULL;
		}
		g_free(relay->password);
		relay->password = g_strchomp(secret);
	}
	if (!get_seconds(kf, "connect_timeout", 30, &relay->connect_timeout, error) ||
	    !get_seconds(kf, "reply_timeout", 300, &relay->reply_timeout, error) ||
	    !get_seconds(kf, "timeout", 600, &relay->total_timeout, error))
		return NULL;

	from = get_string(kf, "from");
	if (from == NULL || !parse_from(from, &config->from_name, &config->from_address)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[outbound] from = %s: \"Name <address>\" or an address is required",
			    from != NULL ? from : "(missing)");
		return NULL;
	}
	reply = get_string(kf, "reply_address");
	config->reply_address = plain_address(reply != NULL ? reply : config->from_address, FALSE);
	if (config->reply_address == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[outbound] reply_address = %s: a plain address without +tag",
			    reply != NULL ? reply : config->from_address);
		return NULL;
	}
	bounce = get_string(kf, "bounce_address");
	if (bounce != NULL) {
		config->bounce_address = plain_address(bounce, TRUE);
		if (config->bounce_address == NULL) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[outbound] bounce_address = %s: not an address", bounce);
			return NULL;
		}
	}
	config->templates_dir = get_string(kf, "templates");
	config->token_keys = pd_token_keys_from_keyfile(kf, error);
	if (config->token_keys == NULL)
		return NULL;
	return g_steal_pointer(&config);
}

void
pd_outbound_config_free(PdOutboundConfig *config)
{
	if (config == NULL)
		return;
	pd_smtp_relay_clear(&config->relay);
	g_free(config->from_name);
	g_free(config->from_address);
	g_free(config->reply_address);
	g_free(config->bounce_address);
	g_free(config->templates_dir);
	pd_token_keys_free(config->token_keys);
	g_free(config);
}

const char *
pd_outbound_envelope_from(const PdOutboundConfig *config, gboolean auto_reply)
{
	if (auto_reply || config->bounce_address == NULL)
		return "";
	return config->bounce_address;
}

gboolean
pd_outbound_check(GKeyFile *keyfile, const char *hostname, guint *templates_r, GError **error)
{
	g_autoptr(PdOutboundConfig) config = NULL;
	g_autoptr(PdTemplateSet) set = NULL;
	g_autoptr(GError) local = NULL;

	if (templates_r != NULL)
		*templates_r = 0;
	if (!g_key_file_has_group(keyfile, SECTION))
		return TRUE;
	config = pd_outbound_config_load(keyfile, hostname, error);
	if (config == NULL)
		return FALSE;
	if (config->templates_dir == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[outbound] templates: the folder of reply templates is required");
		return FALSE;
	}
	set = pd_template_set_load(config->templates_dir, &local);
	if (set == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[outbound] templates = %s:\n%s",
			    config->templates_dir, local->message);
		return FALSE;
	}
	if (templates_r != NULL)
		*templates_r = pd_template_set_size(set);
	return TRUE;
}
