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
	PdAcknowledge ack;

	if (!pd_outbound_acknowledge(kf, &ack, error))
		return NULL;
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
pd_outbound_acknowledge(GKeyFile *kf, PdAcknowledge *ack_r, GError **error)
{
	static const char *const names[] = { "all", "authenticated", "none" };
	g_autofree char *text = kf != NULL ? get_string(kf, "acknowledge") : NULL;
	gboolean yes;

	*ack_r = PD_ACKNOWLEDGE_ALL;
	if (text == NULL)
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(text, names[i]) == 0) {
			*ack_r = (PdAcknowledge)i;
			return TRUE;
		}
	}
	/* yes/no, as the key was before it had three values */
	if (pd_config_get_bool(kf, SECTION, "acknowledge", TRUE, &yes, NULL)) {
		*ack_r = yes ? PD_ACKNOWLEDGE_ALL : PD_ACKNOWLEDGE_NONE;
		return TRUE;
	}
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "[outbound] acknowledge = %s: all, authenticated or none", text);
	return FALSE;
}

/* One template a feature needs, and when it needs it. */
typedef struct {
	const char *name;
	const char *feature;
} NeededTemplate;

/* Which templates the configuration's features need (the issue of an
 * operator whose template folder predates a feature): every mail postdesk
 * may queue with this configuration, by the keys that turn it on. */
static void
need(GArray *needed, const char *name, const char *feature)
{
	NeededTemplate t = { name, feature };

	g_array_append_val(needed, t);
}

static GArray *
needed_templates(const PdConfig *config)
{
	GKeyFile *kf = config->keyfile;
	GArray *needed = g_array_new(FALSE, FALSE, sizeof(NeededTemplate));
	gboolean notify = TRUE, reminder = TRUE, acknowledge;
	PdAcknowledge ack;
	gboolean held = FALSE, permission = FALSE;
	g_autofree char *auth_mode = g_key_file_get_string(kf, "auth", "mode", NULL);

	(void)pd_outbound_acknowledge(kf, &ack, NULL);
	acknowledge = ack != PD_ACKNOWLEDGE_NONE;
	(void)pd_config_get_bool(kf, SECTION, "notify_agents", TRUE, &notify, NULL);
	(void)pd_config_get_bool(kf, "jobs", "reminder", TRUE, &reminder, NULL);
	for (guint i = 0; config->queues != NULL && i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];

		held = held || q->unknown_senders == PD_UNKNOWN_SENDERS_KNOWN;
		permission = permission || q->permission != NULL;
	}
	if (acknowledge) {
		need(needed, "ack", "[outbound] acknowledge = all or authenticated");
		if (held)
			need(needed, "held", "a queue with unknown_senders = known");
		if (permission) {
			need(needed, "authorization-notice", "a queue with a permission");
			need(needed, "approval-request", "a queue with a permission");
			need(needed, "authorization-approved", "a queue with a permission");
			need(needed, "authorization-refused", "a queue with a permission");
		}
	}
	if (notify) {
		need(needed, "agent-notification", "[outbound] notify_agents = yes");
		need(needed, "forward", "[outbound] notify_agents = yes (forward_to, account managers)");
	}
	if (auth_mode != NULL && g_strcmp0(g_strstrip(auth_mode), "off") != 0)
		need(needed, "agent-reply", "agents answering by mail ([auth] mode)");
	need(needed, "welcome", "postdesk contact add");
	if (reminder)
		need(needed, "reminder", "[jobs] reminder = yes");
	return needed;
}

gboolean
pd_outbound_check_needed(const PdConfig *config, const PdTemplateSet *set, const char *dir,
			 GError **error)
{
	g_autoptr(GArray) needed = needed_templates(config);
	g_autoptr(GString) missing = g_string_new(NULL);

	for (guint i = 0; i < needed->len; i++) {
		const NeededTemplate *t = &g_array_index(needed, NeededTemplate, i);
		guint queues = config->queues != NULL ? config->queues->len : 0;
		g_autoptr(GString) queues_without = g_string_new(NULL);
		guint misses = 0;

		for (guint q = 0; q < MAX(queues, 1); q++) {
			const char *queue = queues > 0
				? ((const PdQueueConfig *)config->queues->pdata[q])->name : NULL;

			if (pd_template_set_lookup(set, t->name, queue, NULL, NULL) != NULL)
				continue;
			misses++;
			if (queue != NULL)
				g_string_append_printf(queues_without, "%s%s",
						       queues_without->len > 0 ? ", " : "", queue);
		}
		if (misses == 0)
			continue;
		g_string_append_printf(missing, "\n%s/%s.txt is missing", dir, t->name);
		if (misses < queues)
			g_string_append_printf(missing, " (for queue %s)", queues_without->str);
		g_string_append_printf(missing, ": needed by %s", t->feature);
	}
	if (missing->len == 0)
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "[outbound] templates = %s: templates missing (copy them from "
		    "filters/templates of this release):%s", dir, missing->str);
	return FALSE;
}

gboolean
pd_outbound_check(const PdConfig *pdconfig, guint *templates_r, GError **error)
{
	g_autoptr(PdOutboundConfig) config = NULL;
	g_autoptr(PdTemplateSet) set = NULL;
	g_autoptr(GError) local = NULL;
	GKeyFile *keyfile = pdconfig->keyfile;

	if (templates_r != NULL)
		*templates_r = 0;
	if (keyfile == NULL || !g_key_file_has_group(keyfile, SECTION))
		return TRUE;
	config = pd_outbound_config_load(keyfile, pdconfig->hostname, error);
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
	return pd_outbound_check_needed(pdconfig, set, config->templates_dir, error);
}
