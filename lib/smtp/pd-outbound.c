/* pd-outbound: the [outbound] configuration; see pd-outbound.h. */
#include "pd-outbound.h"

#include <string.h>

#include "core/pd-address.h"
#include "core/pd-config.h"
#include "core/pd-error.h"
#include "template/pd-template.h"

#define SECTION "outbound"

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

static gboolean
check_relay_url(gconstpointer field, GError **error)
{
	const char *url = *(char *const *)field;

	if (g_str_has_prefix(url, "smtp://") || g_str_has_prefix(url, "smtps://"))
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "smtp://HOST[:PORT] or smtps://HOST[:PORT]");
	return FALSE;
}

static gboolean
check_helo(gconstpointer field, GError **error)
{
	for (const char *p = *(char *const *)field; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '[' && *p != ']' &&
		    *p != ':') {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "not a host name");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
check_delays(gconstpointer field, GError **error)
{
	GPtrArray *delays = *(GPtrArray *const *)field;
	guint64 v;

	for (guint i = 0; i < delays->len; i++) {
		if (!g_ascii_string_to_unsigned(delays->pdata[i], 10, 0, 7 * 86400, &v, NULL) ||
		    i == PD_OUTBOUND_MAX_DELAYS) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "up to %d numbers of seconds (at most a week each)",
				    PD_OUTBOUND_MAX_DELAYS);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
outbound_finish(gpointer values, const char *name, PdConfig *pdconfig, PdConfigLoad *load)
{
	PdOutboundConfig *config = values;
	PdSmtpRelay *relay = &config->relay;
	const char *reply;
	g_autoptr(GError) local = NULL;

	(void)name;
	config->enabled = pd_config_has_section(pdconfig, SECTION);
	if (!config->enabled)
		return TRUE;
	if (relay->helo == NULL)
		relay->helo = g_strdup(pdconfig->hostname);
	if (config->password_file != NULL) {
		char *secret = NULL;

		if (!g_file_get_contents(config->password_file, &secret, NULL, &local)) {
			pd_config_error(load, SECTION, "password_file", "[outbound] password_file: %s",
					local->message);
			return FALSE;
		}
		g_free(relay->password);
		relay->password = g_strchomp(secret);
	}
	if (!parse_from(config->from, &config->from_name, &config->from_address)) {
		pd_config_error(load, SECTION, "from", "[outbound] from = %s: \"Name <address>\" "
				"or an address is required", config->from);
		return FALSE;
	}
	reply = config->reply_text != NULL ? config->reply_text : config->from_address;
	config->reply_address = plain_address(reply, FALSE);
	if (config->reply_address == NULL) {
		pd_config_error(load, SECTION, "reply_address", "[outbound] reply_address = %s: "
				"a plain address without +tag", reply);
		return FALSE;
	}
	if (config->bounce_text != NULL) {
		/* postdesk adds +b-TOKEN itself (pd-return-path.c) */
		config->bounce_address = plain_address(config->bounce_text, FALSE);
		if (config->bounce_address == NULL) {
			pd_config_error(load, SECTION, "bounce_address",
					"[outbound] bounce_address = %s: a plain address without "
					"+tag (postdesk adds +b-TOKEN to it)", config->bounce_text);
			return FALSE;
		}
	}
	for (guint i = 0; i < config->retry_delays->len; i++)
		config->delays[config->n_delays++] =
			(guint)g_ascii_strtoull(config->retry_delays->pdata[i], NULL, 10);
	if (config->n_delays == 0)
		config->delays[config->n_delays++] = 60;
	config->token_keys = pd_token_keys_of(pdconfig);
	return TRUE;
}

static void
outbound_clear(gpointer values)
{
	PdOutboundConfig *config = values;

	g_clear_pointer(&config->from_name, g_free);
	g_clear_pointer(&config->from_address, g_free);
	g_clear_pointer(&config->reply_address, g_free);
	g_clear_pointer(&config->bounce_address, g_free);
}

static const char *const starttls_values[] = { "no", "try", "required", NULL };

#define OUT(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdOutboundConfig, f)

static const PdSetting outbound_settings[] = {
	{ OUT("relay", PD_SETTING_STRING, relay.url), .def = "smtp://127.0.0.1:25",
	  .check = check_relay_url },
	{ OUT("helo", PD_SETTING_STRING, relay.helo), .check = check_helo },
	{ OUT("starttls", PD_SETTING_ENUM, relay.tls), .def = "no", .values = starttls_values },
	{ OUT("tls_verify", PD_SETTING_BOOL, relay.tls_verify), .def = "yes" },
	{ OUT("ca_file", PD_SETTING_STRING, relay.ca_file) },
	{ OUT("username", PD_SETTING_STRING, relay.username) },
	{ OUT("password", PD_SETTING_STRING, relay.password) },
	{ OUT("password_file", PD_SETTING_STRING, password_file) },
	{ OUT("connect_timeout", PD_SETTING_UINT, relay.connect_timeout), .def = "30", .min = 1,
	  .max = 3600 },
	{ OUT("reply_timeout", PD_SETTING_UINT, relay.reply_timeout), .def = "300", .min = 1,
	  .max = 3600 },
	{ OUT("timeout", PD_SETTING_UINT, relay.total_timeout), .def = "600", .min = 1,
	  .max = 3600 },
	{ OUT("from", PD_SETTING_STRING, from), .flags = PD_SETTING_REQUIRED },
	{ OUT("reply_address", PD_SETTING_STRING, reply_text) },
	{ OUT("bounce_address", PD_SETTING_STRING, bounce_text) },
	{ OUT("templates", PD_SETTING_STRING, templates_dir) },
	{ OUT("replies", PD_SETTING_STRING, replies_dir) },
	{ OUT("max_attempts", PD_SETTING_UINT, max_attempts), .def = "10", .min = 1,
	  .max = 1000 },
	{ OUT("retry_delays", PD_SETTING_LIST, retry_delays),
	  .def = "60, 300, 900, 3600, 7200, 14400", .check = check_delays },
	{ OUT("poll_interval", PD_SETTING_MSEC, poll_ms), .def = "5", .min = 50,
	  .max = 3600 * 1000 },
	{ NULL }
};

const PdConfigTable pd_outbound_table = {
	.section = SECTION, .size = sizeof(PdOutboundConfig), .settings = outbound_settings,
	.finish = outbound_finish, .clear = outbound_clear,
};

const PdOutboundConfig *
pd_outbound_config(const PdConfig *config)
{
	const PdOutboundConfig *outbound = pd_config_layer(config, &pd_outbound_table);

	return outbound->enabled ? outbound : NULL;
}

const char *
pd_outbound_envelope_from(const PdOutboundConfig *config, gboolean auto_reply)
{
	if (auto_reply || config->bounce_address == NULL)
		return "";
	return config->bounce_address;
}

gboolean
pd_outbound_check_needed(const PdConfig *config, const PdTemplateSet *set, const char *dir,
			 GError **error)
{
	GArray *needed = config->needed_templates;
	g_autoptr(GString) missing = g_string_new(NULL);

	for (guint i = 0; i < needed->len; i++) {
		const PdTemplateNeed *t = &g_array_index(needed, PdTemplateNeed, i);
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
	const PdOutboundConfig *config = pd_outbound_config(pdconfig);
	g_autoptr(PdTemplateSet) set = NULL;
	g_autoptr(GError) local = NULL;

	if (templates_r != NULL)
		*templates_r = 0;
	if (config == NULL)
		return TRUE;
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
	if (config->replies_dir != NULL) {
		g_autoptr(PdTemplateSet) replies = pd_outbound_replies_load(pdconfig, error);

		if (replies == NULL)
			return FALSE;
	}
	return pd_outbound_check_needed(pdconfig, set, config->templates_dir, error);
}

PdTemplateSet *
pd_outbound_replies_load(const PdConfig *pdconfig, GError **error)
{
	const PdOutboundConfig *config = pd_outbound_config(pdconfig);
	g_autoptr(GError) local = NULL;
	PdTemplateSet *set;

	if (config == NULL || config->replies_dir == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "no canned replies: [outbound] replies is not set");
		return NULL;
	}
	set = pd_template_set_load(config->replies_dir, &local);
	if (set == NULL)
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[outbound] replies = %s:\n%s",
			    config->replies_dir, local->message);
	return set;
}

gboolean
pd_outbound_reply_name_valid(const char *name)
{
	return name != NULL && g_regex_match_simple("^[a-z0-9][a-z0-9_-]{0,63}$", name, 0, 0);
}

gboolean
pd_outbound_reply_known(const PdConfig *config, const PdTemplateSet *replies, const char *name,
			const char *queue, GError **error)
{
	guint queues = config->queues != NULL ? config->queues->len : 0;

	if (!pd_outbound_reply_name_valid(name)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "\"%s\" is not a canned reply's name"
			    " (lower-case letters, digits, - and _)", name != NULL ? name : "");
		return FALSE;
	}
	if (pd_template_set_lookup(replies, name, queue, NULL, NULL) != NULL)
		return TRUE;
	for (guint q = 0; queue == NULL && q < queues; q++)
		if (pd_template_set_lookup(replies, name,
					   ((const PdQueueConfig *)config->queues->pdata[q])->name,
					   NULL, NULL) != NULL)
			return TRUE;
	{
		g_autofree char *known = pd_template_set_names(replies);

		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "no canned reply \"%s\"%s%s"
			    " (known: %s)", name, queue != NULL ? " for queue " : "",
			    queue != NULL ? queue : "", *known != '\0' ? known : "none");
	}
	return FALSE;
}
