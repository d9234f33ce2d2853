/* pd-config: the core's settings tables and the configuration's life cycle. */
#include "pd-config.h"
#include "pd-address.h"
#include "pd-error.h"
#include "pd-listen.h"
#include "pd-secrets.h"
#include "pd-setting-private.h"

#include <stdlib.h>
#include <string.h>

/* The permission names a contact can hold (issue 3). */
static const char *const config_permissions[] = {
	"support", "technical", "billing", "records", "contacts", NULL,
};

gboolean
pd_config_permission_valid(const char *permission)
{
	return permission != NULL && g_strv_contains(config_permissions, permission);
}

const char *const *
pd_config_permissions(void)
{
	return config_permissions;
}

gboolean
pd_config_group_name_valid(const char *name)
{
	if (*name == '\0' || !g_utf8_validate(name, -1, NULL))
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if ((guchar)*p < 0x21 || *p == 0x7f || *p == ',')
			return FALSE;
	return TRUE;
}

/* --- checks of single values ---------------------------------------------- */

static gboolean
check_permission(gconstpointer field, GError **error)
{
	if (pd_config_permission_valid(*(char *const *)field))
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "not one of support, technical, billing, records, contacts");
	return FALSE;
}

static gboolean
check_group(gconstpointer field, GError **error)
{
	if (pd_config_group_name_valid(*(char *const *)field))
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "not one group name (no spaces or commas)");
	return FALSE;
}

/* --- the core's tables ---------------------------------------------------- */

#define CORE(k, t, f, d, lo, hi) \
	{ .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdConfig, f), .def = d, .min = lo, .max = hi }

static gboolean
postdesk_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	(void)values;
	(void)name;
	/* which secrets the file holds, for pd_secrets_check (lib/core reads the
	 * file; the layers that own those keys need not know of file modes) */
	config->secrets_held = pd_secrets_in_keyfile(load->kf);
	config->secret_password_file = g_key_file_get_string(load->kf, "outbound",
							     "password_file", NULL);
	if (config->secret_password_file != NULL)
		g_strstrip(config->secret_password_file);
	config->secret_token_file = g_key_file_get_string(load->kf, "http",
							  "operator_token_file", NULL);
	if (config->secret_token_file != NULL)
		g_strstrip(config->secret_token_file);
	if (config->hostname == NULL)
		config->hostname = g_strdup(g_get_host_name());
	config->queues = pd_config_layer(config, &pd_config_queue_table);
	if (config->queues->len == 0)
		pd_config_error(load, NULL, NULL,
				"no [queue NAME] section: postdesk needs at least one queue");
	return TRUE;
}

static const PdSetting postdesk_settings[] = {
	/* checked before anything else (pd-setting.c), declared for its type */
	CORE("config_version", PD_SETTING_UINT, config_version, NULL, 1, G_MAXUINT),
	CORE("hostname", PD_SETTING_STRING, hostname, NULL, 0, 0),
	{ NULL }
};

static const PdConfigTable postdesk_table = {
	.section = "postdesk", .settings = postdesk_settings, .finish = postdesk_finish,
};

/* [daemon] user and group: who postdeskd runs as once its listeners are
 * bound, when it is started as root (group: the user's primary group).
 * drain_timeout: how long the sessions open at SIGTERM may take to finish
 * their transaction (systemd's TimeoutStopSec must be longer). */
static const PdSetting daemon_settings[] = {
	CORE("user", PD_SETTING_STRING, daemon_user, NULL, 0, 0),
	CORE("group", PD_SETTING_STRING, daemon_group, NULL, 0, 0),
	CORE("drain_timeout", PD_SETTING_DURATION, drain_timeout, "10s", 1, 3600),
	{ NULL }
};

static const PdConfigTable daemon_table = {
	.section = "daemon", .settings = daemon_settings,
};

static const PdSetting database_settings[] = {
	{ .key = "conninfo", .type = PD_SETTING_STRING, .def = "dbname=postdesk",
	  .offset = G_STRUCT_OFFSET(PdConfig, conninfo), .flags = PD_SETTING_EMPTY_OK },
	CORE("pool_size", PD_SETTING_UINT, db_pool_size, "8", 1, 1000),
	/* no database call waits longer (a stalled server: 451 after it) */
	CORE("timeout", PD_SETTING_UINT, db_timeout, "120", 1, 3600),
	{ NULL }
};

static const PdConfigTable database_table = {
	.section = "database", .settings = database_settings,
};

static const PdSetting lmtp_settings[] = {
	CORE("listen", PD_SETTING_LIST, lmtp_listen, "127.0.0.1:2424", 0, 0),
	/* Nobody is trusted unless named (issue 8): any local user reaches
	 * loopback, so loopback is no credential. */
	CORE("xforward_hosts", PD_SETTING_LIST, xforward_hosts, NULL, 0, 0),
	CORE("xforward_users", PD_SETTING_LIST, xforward_users, NULL, 0, 0),
	CORE("xforward_groups", PD_SETTING_LIST, xforward_groups, NULL, 0, 0),
	CORE("max_sessions", PD_SETTING_UINT, max_sessions, "100", 1, 100000),
	/* Postfix smtpd_client_connection_count_limit; well above Postfix's
	 * own lmtp concurrency (20), which is exempt anyway when trusted */
	CORE("max_sessions_per_client", PD_SETTING_UINT, max_sessions_per_client, "50", 1,
	     100000),
	CORE("idle_timeout", PD_SETTING_UINT, idle_timeout, "300", 1, 86400),
	/* Postfix: smtpd_timeout = ${stress?10}{300}, smtpd_min_data_rate = 500 */
	CORE("stress_timeout", PD_SETTING_UINT, stress_timeout, "10", 1, 86400),
	CORE("min_data_rate", PD_SETTING_UINT, min_data_rate, "500", 0, 1024 * 1024 * 1024),
	CORE("max_message_size", PD_SETTING_SIZE, max_message_size, "50M", 1024,
	     G_GUINT64_CONSTANT(1) << 31),
	/* unset: derived from max_message_size (lmtp_finish) */
	CORE("max_memory", PD_SETTING_SIZE, max_memory, NULL, 1024 * 1024,
	     G_GUINT64_CONSTANT(1) << 40),
	CORE("max_line_length", PD_SETTING_SIZE, max_line_length, "4096", 512, 1024 * 1024),
	CORE("max_recipients", PD_SETTING_UINT, max_recipients, "1000", 1, 100000),
	{ .key = "recipient_delimiter", .type = PD_SETTING_STRING, .def = "+",
	  .offset = G_STRUCT_OFFSET(PdConfig, recipient_delimiter), .flags = PD_SETTING_EMPTY_OK },
	CORE("socket_mode", PD_SETTING_STRING, socket_mode_str, "0660", 0, 0),
	CORE("socket_owner", PD_SETTING_STRING, socket_owner, NULL, 0, 0),
	CORE("socket_group", PD_SETTING_STRING, socket_group, NULL, 0, 0),
	{ NULL }
};

/* [lmtp] max_memory: what the messages being received and delivered may
 * take together; by default 256M, or one message of max_message_size if
 * that takes more, which it must always hold. */
static gboolean
lmtp_memory(PdConfig *config, PdConfigLoad *load)
{
	guint64 one = (guint64)config->max_message_size * PD_CONFIG_MEMORY_PER_BYTE;

	if (!pd_config_load_is_set(load, "lmtp", "max_memory")) {
		config->max_memory = MAX(PD_CONFIG_DEFAULT_MAX_MEMORY, one);
		return TRUE;
	}
	if (config->max_memory < one) {
		pd_config_error(load, "lmtp", "max_memory",
				"%" G_GSIZE_FORMAT " bytes cannot hold one message of "
				"max_message_size (%" G_GSIZE_FORMAT " bytes take about %u times "
				"that: %" G_GUINT64_FORMAT ")", config->max_memory,
				config->max_message_size, PD_CONFIG_MEMORY_PER_BYTE, one);
		return FALSE;
	}
	return TRUE;
}

static gboolean
lmtp_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	g_autoptr(GError) error = NULL;
	const char *key = NULL;

	(void)values;
	(void)name;
	/* the listener rules live with the listener (pd-listen.c); their
	 * message names the key: report it at that key's line */
	if (!pd_listen_check_config(config, &error)) {
		for (const PdSetting *s = lmtp_settings; s->key != NULL && key == NULL; s++) {
			g_autofree char *prefix = g_strdup_printf("[lmtp] %s:", s->key);

			if (g_str_has_prefix(error->message, prefix))
				key = s->key;
		}
		pd_config_error(load, "lmtp", key, "%s", error->message);
		return FALSE;
	}
	if (!lmtp_memory(config, load))
		return FALSE;
	config->socket_mode = (guint)g_ascii_strtoull(config->socket_mode_str, NULL, 8);
	config->xforward_networks = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < config->xforward_hosts->len; i++)
		g_ptr_array_add(config->xforward_networks,
				pd_listen_network_new(config->xforward_hosts->pdata[i]));
	return TRUE;
}

static void
lmtp_clear(gpointer values)
{
	PdConfig *config = values;

	g_clear_pointer(&config->xforward_networks, g_ptr_array_unref);
}

static const PdConfigTable lmtp_table = {
	.section = "lmtp", .settings = lmtp_settings, .finish = lmtp_finish, .clear = lmtp_clear,
};

static const PdSetting limits_settings[] = {
	CORE("mime_depth", PD_SETTING_UINT, mail_limits.max_depth, "32", 1, 1000),
	CORE("mime_parts", PD_SETTING_UINT, mail_limits.max_parts, "500", 1, 100000),
	CORE("header_count", PD_SETTING_UINT, mail_limits.max_headers, "1000", 10, 100000),
	CORE("header_bytes", PD_SETTING_SIZE, mail_limits.max_header_bytes, "64k", 998,
	     16 * 1024 * 1024),
	{ NULL }
};

static const PdConfigTable limits_table = {
	.section = "limits", .settings = limits_settings,
};

/* [queue NAME]: the name, the addresses canonical and in one queue only. */
static gboolean
queue_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdQueueConfig *queue = values;
	g_autofree char *section = g_strconcat("queue", name, NULL);

	queue->name = g_strstrip(g_strdup(name));
	if (*queue->name == '\0') {
		pd_config_error(load, section, NULL, "[%s]: a queue needs a name", section);
		return FALSE;
	}
	for (guint i = 0; i < queue->addresses->len; i++) {
		char *canonical = pd_address_canonicalize(queue->addresses->pdata[i], NULL);

		if (canonical == NULL) {
			pd_config_error(load, section, "addresses",
					"[%s] addresses: \"%s\" is not a mail address", section,
					(char *)queue->addresses->pdata[i]);
			return FALSE;
		}
		g_free(queue->addresses->pdata[i]);
		queue->addresses->pdata[i] = canonical;
		for (guint q = 0; q < config->queues->len && config->queues->pdata[q] != queue; q++) {
			const PdQueueConfig *other = config->queues->pdata[q];

			if (g_ptr_array_find_with_equal_func(other->addresses, canonical,
							     g_str_equal, NULL)) {
				pd_config_error(load, section, "addresses",
						"[%s] addresses: %s belongs to two queues", section,
						canonical);
				return FALSE;
			}
		}
	}
	return TRUE;
}

static void
queue_clear(gpointer values)
{
	PdQueueConfig *queue = values;

	g_clear_pointer(&queue->name, g_free);
}

/* A spam score threshold (lib/filter reads it): a decimal number. */
static gboolean
check_points(gconstpointer field, GError **error)
{
	const char *text = *(const char *const *) field;
	char *end = NULL;

	if (text == NULL)
		return TRUE;
	g_ascii_strtod(text, &end);
	if (end != text && *end == '\0')
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "must be a number of points, e.g. 5 or 7.5");
	return FALSE;
}

static const char *const unknown_senders_values[] = { "open", "known", "moderate", NULL };

#define QUEUE(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdQueueConfig, f)

static const PdSetting queue_settings[] = {
	{ QUEUE("addresses", PD_SETTING_LIST, addresses), .flags = PD_SETTING_REQUIRED },
	{ QUEUE("permission", PD_SETTING_STRING, permission), .check = check_permission },
	{ QUEUE("unknown_senders", PD_SETTING_ENUM, unknown_senders), .def = "open",
	  .values = unknown_senders_values },
	{ QUEUE("forward_to", PD_SETTING_ADDRESS, forward_to) },
	{ QUEUE("default_group", PD_SETTING_STRING, default_group), .check = check_group },
	{ QUEUE("spam_hold", PD_SETTING_STRING, spam_hold), .check = check_points },
	{ QUEUE("spam_quarantine", PD_SETTING_STRING, spam_quarantine), .check = check_points },
	{ NULL }
};

const PdConfigTable pd_config_queue_table = {
	.section = "queue", .named = TRUE, .size = sizeof(PdQueueConfig),
	.settings = queue_settings, .finish = queue_finish, .clear = queue_clear,
};

static const PdConfigTable *const core_tables[] = {
	&postdesk_table, &daemon_table, &database_table, &lmtp_table, &limits_table, &pd_config_queue_table, NULL,
};

/* --- the configuration ---------------------------------------------------- */

static PdConfig *
config_new_from_data(const char *data, const char *path, const PdConfigTable *const *tables,
		     GError **error)
{
	PdConfig *config = g_new0(PdConfig, 1);

	config->refcount = 1;
	config->path = g_strdup(path);
	config->warnings = g_ptr_array_new_with_free_func(g_free);
	config->needed_templates = g_array_new(FALSE, FALSE, sizeof(PdTemplateNeed));
	config->tables = g_ptr_array_new();
	config->layers = g_hash_table_new(g_direct_hash, g_direct_equal);
	config->sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; core_tables[i] != NULL; i++)
		g_ptr_array_add(config->tables, (gpointer)core_tables[i]);
	for (guint i = 0; tables != NULL && tables[i] != NULL; i++)
		g_ptr_array_add(config->tables, (gpointer)tables[i]);
	if (!pd_setting_load(config, path != NULL ? path : "config", data, config->tables,
			     error)) {
		pd_config_unref(config);
		return NULL;
	}
	return config;
}

PdConfig *
pd_config_load(const char *path, const PdConfigTable *const *tables, GError **error)
{
	g_autofree char *data = NULL;
	g_autoptr(GError) local = NULL;

	if (!g_file_get_contents(path, &data, NULL, &local)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local->message);
		return NULL;
	}
	return config_new_from_data(data, path, tables, error);
}

PdConfig *
pd_config_load_data(const char *data, const PdConfigTable *const *tables, GError **error)
{
	return config_new_from_data(data, NULL, tables, error);
}

PdConfig *
pd_config_ref(PdConfig *config)
{
	g_atomic_int_inc(&config->refcount);
	return config;
}

void
pd_config_unref(PdConfig *config)
{
	if (config == NULL || !g_atomic_int_dec_and_test(&config->refcount))
		return;
	for (guint i = config->tables->len; i > 0; i--) {
		const PdConfigTable *table = config->tables->pdata[i - 1];

		pd_setting_free(table, g_hash_table_lookup(config->layers, table));
	}
	g_free(config->secrets_held);
	g_free(config->secret_password_file);
	g_free(config->secret_token_file);
	g_ptr_array_unref(config->tables);
	g_hash_table_unref(config->layers);
	g_hash_table_unref(config->sections);
	g_ptr_array_unref(config->warnings);
	g_array_unref(config->needed_templates);
	g_free(config->path);
	g_free(config);
}

gpointer
pd_config_layer(const PdConfig *config, const PdConfigTable *table)
{
	gpointer values = g_hash_table_lookup(config->layers, table);

	g_return_val_if_fail(values != NULL, NULL);
	return values;
}

gboolean
pd_config_has_section(const PdConfig *config, const char *section)
{
	return g_hash_table_contains(config->sections, section);
}

const PdQueueConfig *
pd_config_queue_named(const PdConfig *config, const char *name)
{
	for (guint q = 0; config != NULL && name != NULL && q < config->queues->len; q++) {
		const PdQueueConfig *queue = config->queues->pdata[q];

		if (g_strcmp0(queue->name, name) == 0)
			return queue;
	}
	return NULL;
}

const PdQueueConfig *
pd_config_queue_for(const PdConfig *config, const char *recipient, char **subaddress_r)
{
	PdAddress address;
	g_autofree char *canonical = NULL;

	if (subaddress_r != NULL)
		*subaddress_r = NULL;
	if (!pd_address_parse(recipient, config->recipient_delimiter, &address, NULL))
		return NULL;
	canonical = pd_address_canonical(&address);
	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *queue = config->queues->pdata[i];

		for (guint j = 0; j < queue->addresses->len; j++) {
			if (strcmp(queue->addresses->pdata[j], canonical) == 0) {
				if (subaddress_r != NULL)
					*subaddress_r = g_steal_pointer(&address.subaddress);
				pd_address_clear(&address);
				return queue;
			}
		}
	}
	pd_address_clear(&address);
	return NULL;
}
