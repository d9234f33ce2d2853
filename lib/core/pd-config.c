/* pd-config: load and validate the configuration file. */
#include "pd-config.h"
#include "pd-address.h"
#include "pd-error.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	PdConfig config;
	gint refcount;
} PdConfigBox;

static void
queue_config_free(gpointer data)
{
	PdQueueConfig *queue = data;

	g_free(queue->name);
	g_ptr_array_unref(queue->addresses);
	g_free(queue->permission);
	g_free(queue->forward_to);
	g_free(queue->default_group);
	g_free(queue);
}

static char *
config_string(GKeyFile *kf, const char *group, const char *key, const char *def)
{
	char *value = g_key_file_get_string(kf, group, key, NULL);

	if (value == NULL)
		return g_strdup(def);
	return g_strstrip(value);
}

/* A size with an optional k/M/G suffix; FALSE on garbage. */
static gboolean
config_size(GKeyFile *kf, const char *group, const char *key, guint64 def,
	    guint64 min, guint64 max, guint64 *value_r, GError **error)
{
	g_autofree char *text = config_string(kf, group, key, NULL);
	char *end;
	guint64 value, mult = 1;

	if (text == NULL) {
		*value_r = def;
		return TRUE;
	}
	value = g_ascii_strtoull(text, &end, 10);
	if (end == text)
		goto bad;
	switch (g_ascii_tolower(*end)) {
	case 'k': mult = 1024; end++; break;
	case 'm': mult = 1024 * 1024; end++; break;
	case 'g': mult = 1024 * 1024 * 1024; end++; break;
	}
	if (*end != '\0' || value > max / mult || value * mult < min)
		goto bad;
	*value_r = value * mult;
	return TRUE;
bad:
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "[%s] %s: \"%s\" is not a number between %" G_GUINT64_FORMAT
		    " and %" G_GUINT64_FORMAT, group, key, text, min, max);
	return FALSE;
}

gboolean
pd_config_get_bool(GKeyFile *kf, const char *group, const char *key,
		   gboolean def, gboolean *value_r, GError **error)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	g_autofree char *text = kf != NULL ? config_string(kf, group, key, NULL) : NULL;
	g_autofree char *lower = NULL;

	*value_r = def;
	if (text == NULL)
		return TRUE;
	lower = g_ascii_strdown(text, -1);
	if (g_strv_contains(yes, lower)) {
		*value_r = TRUE;
	} else if (g_strv_contains(no, lower)) {
		*value_r = FALSE;
	} else {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[%s] %s: yes or no, not \"%s\"", group, key, text);
		return FALSE;
	}
	return TRUE;
}

static GPtrArray *
config_list(GKeyFile *kf, const char *group, const char *key, const char *def)
{
	g_autofree char *text = config_string(kf, group, key, def);
	GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = NULL;

	if (text == NULL)
		return list;
	parts = g_strsplit_set(text, ", \t", -1);
	for (guint i = 0; parts[i] != NULL; i++)
		if (*parts[i] != '\0')
			g_ptr_array_add(list, g_strdup(parts[i]));
	return list;
}

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

static gboolean
config_queue_policy(GKeyFile *kf, const char *group, PdQueueConfig *queue, GError **error)
{
	g_autofree char *policy = config_string(kf, group, "unknown_senders", "open");
	g_autofree char *forward = config_string(kf, group, "forward_to", NULL);

	queue->permission = config_string(kf, group, "permission", NULL);
	if (queue->permission != NULL && !pd_config_permission_valid(queue->permission)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[%s] permission: \"%s\" is not one of support, technical, "
			    "billing, records, contacts", group, queue->permission);
		return FALSE;
	}
	if (strcmp(policy, "open") == 0)
		queue->unknown_senders = PD_UNKNOWN_SENDERS_OPEN;
	else if (strcmp(policy, "known") == 0)
		queue->unknown_senders = PD_UNKNOWN_SENDERS_KNOWN;
	else if (strcmp(policy, "moderate") == 0)
		queue->unknown_senders = PD_UNKNOWN_SENDERS_MODERATE;
	else {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[%s] unknown_senders: \"%s\" is not open, known or moderate",
			    group, policy);
		return FALSE;
	}
	if (forward != NULL) {
		queue->forward_to = pd_address_canonicalize(forward, NULL);
		if (queue->forward_to == NULL) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[%s] forward_to: \"%s\" is not a mail address", group, forward);
			return FALSE;
		}
	}
	queue->default_group = config_string(kf, group, "default_group", NULL);
	return TRUE;
}

static gboolean
config_load_queues(PdConfig *config, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(config->keyfile, NULL);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; groups[i] != NULL; i++) {
		PdQueueConfig *queue;
		g_autoptr(GPtrArray) addresses = NULL;

		if (!g_str_has_prefix(groups[i], "queue "))
			continue;
		queue = g_new0(PdQueueConfig, 1);
		queue->name = g_strstrip(g_strdup(groups[i] + 6));
		queue->addresses = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(config->queues, queue);
		if (*queue->name == '\0') {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[%s]: a queue needs a name", groups[i]);
			return FALSE;
		}
		addresses = config_list(config->keyfile, groups[i], "addresses", NULL);
		if (addresses->len == 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[%s] addresses: at least one address is required", groups[i]);
			return FALSE;
		}
		if (!config_queue_policy(config->keyfile, groups[i], queue, error))
			return FALSE;
		for (guint j = 0; j < addresses->len; j++) {
			char *canonical = pd_address_canonicalize(addresses->pdata[j], NULL);

			if (canonical == NULL) {
				g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
					    "[%s] addresses: \"%s\" is not a mail address",
					    groups[i], (char *)addresses->pdata[j]);
				return FALSE;
			}
			if (g_hash_table_contains(seen, canonical)) {
				g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
					    "[%s] addresses: %s belongs to two queues",
					    groups[i], canonical);
				g_free(canonical);
				return FALSE;
			}
			g_ptr_array_add(queue->addresses, canonical);
			g_hash_table_add(seen, canonical);
		}
	}
	if (config->queues->len == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "no [queue NAME] section: postdesk needs at least one queue");
		return FALSE;
	}
	return TRUE;
}

static gboolean
config_parse(PdConfig *config, GError **error)
{
	GKeyFile *kf = config->keyfile;
	g_autofree char *version = config_string(kf, "postdesk", "config_version", NULL);
	guint64 value;

	if (version == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[postdesk] config_version is missing (this release reads version %d)",
			    PD_CONFIG_VERSION);
		return FALSE;
	}
	if (strcmp(version, G_STRINGIFY(PD_CONFIG_VERSION)) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[postdesk] config_version = %s: this release reads version %d",
			    version, PD_CONFIG_VERSION);
		return FALSE;
	}
	config->hostname = config_string(kf, "postdesk", "hostname", g_get_host_name());
	config->conninfo = config_string(kf, "database", "conninfo", "dbname=postdesk");
	if (!config_size(kf, "database", "pool_size", 8, 1, 1000, &value, error))
		return FALSE;
	config->db_pool_size = value;
	/* no database call waits longer (a stalled server: 451 after it) */
	if (!config_size(kf, "database", "timeout", 120, 1, 3600, &value, error))
		return FALSE;
	config->db_timeout = value;

	config->lmtp_listen = config_list(kf, "lmtp", "listen", "127.0.0.1:2424");
	/* Nobody is trusted unless named (issue 8): any local user reaches
	 * loopback, so loopback is no credential. */
	config->xforward_hosts = config_list(kf, "lmtp", "xforward_hosts", NULL);
	config->xforward_users = config_list(kf, "lmtp", "xforward_users", NULL);
	config->xforward_groups = config_list(kf, "lmtp", "xforward_groups", NULL);
	if (!config_size(kf, "lmtp", "max_sessions", 100, 1, 100000, &value, error))
		return FALSE;
	config->max_sessions = value;
	/* Postfix smtpd_client_connection_count_limit; well above Postfix's
	 * own lmtp concurrency (20), which is exempt anyway when trusted */
	if (!config_size(kf, "lmtp", "max_sessions_per_client", 50, 1, 100000, &value, error))
		return FALSE;
	config->max_sessions_per_client = value;
	if (!config_size(kf, "lmtp", "idle_timeout", 300, 1, 86400, &value, error))
		return FALSE;
	config->idle_timeout = value;
	/* Postfix: smtpd_timeout = ${stress?10}{300}, smtpd_min_data_rate = 500 */
	if (!config_size(kf, "lmtp", "stress_timeout", 10, 1, 86400, &value, error))
		return FALSE;
	config->stress_timeout = value;
	if (!config_size(kf, "lmtp", "min_data_rate", 500, 0, 1024 * 1024 * 1024, &value, error))
		return FALSE;
	config->min_data_rate = value;
	if (!config_size(kf, "lmtp", "max_message_size", 50 * 1024 * 1024, 1024,
			 G_GUINT64_CONSTANT(1) << 31, &value, error))
		return FALSE;
	config->max_message_size = value;
	/* 7 MB of files are about 9.6 MB in base64: under Postfix's default
	 * message_size_limit (10240000) with the text beside them */
	if (!config_size(kf, "outbound", "relay_attachments_max", 7000000, 0,
			 G_GUINT64_CONSTANT(1) << 31, &value, error))
		return FALSE;
	config->relay_attachments_max = value;
	if (!config_size(kf, "lmtp", "max_line_length", 4096, 512, 1024 * 1024, &value, error))
		return FALSE;
	config->max_line_length = value;
	if (!config_size(kf, "lmtp", "max_recipients", 1000, 1, 100000, &value, error))
		return FALSE;
	config->max_recipients = value;
	config->recipient_delimiter = config_string(kf, "lmtp", "recipient_delimiter", "+");
	config->socket_mode_str = config_string(kf, "lmtp", "socket_mode", "0660");
	config->socket_group = config_string(kf, "lmtp", "socket_group", NULL);

	if (!config_size(kf, "limits", "mime_depth", 32, 1, 1000, &value, error))
		return FALSE;
	config->mail_limits.max_depth = value;
	if (!config_size(kf, "limits", "mime_parts", 500, 1, 100000, &value, error))
		return FALSE;
	config->mail_limits.max_parts = value;
	if (!config_size(kf, "limits", "header_count", 1000, 10, 100000, &value, error))
		return FALSE;
	config->mail_limits.max_headers = value;
	if (!config_size(kf, "limits", "header_bytes", 64 * 1024, 998, 16 * 1024 * 1024,
			 &value, error))
		return FALSE;
	config->mail_limits.max_header_bytes = value;

	config->queues = g_ptr_array_new_with_free_func(queue_config_free);
	return config_load_queues(config, error);
}

static PdConfig *
config_new_from_keyfile(GKeyFile *kf, const char *path, GError **error)
{
	PdConfigBox *box = g_new0(PdConfigBox, 1);
	g_autoptr(GError) local_error = NULL;

	box->refcount = 1;
	box->config.keyfile = kf;
	box->config.path = g_strdup(path);
	if (!config_parse(&box->config, &local_error)) {
		pd_config_unref(&box->config);
		if (path != NULL)
			g_propagate_prefixed_error(error, g_steal_pointer(&local_error),
						   "%s: ", path);
		else
			g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	return &box->config;
}

PdConfig *
pd_config_load(const char *path, GError **error)
{
	GKeyFile *kf = g_key_file_new();
	GError *local_error = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local_error)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: %s", path,
			    local_error->message);
		g_error_free(local_error);
		g_key_file_unref(kf);
		return NULL;
	}
	return config_new_from_keyfile(kf, path, error);
}

PdConfig *
pd_config_load_data(const char *data, GError **error)
{
	GKeyFile *kf = g_key_file_new();
	GError *local_error = NULL;

	if (!g_key_file_load_from_data(kf, data, -1, G_KEY_FILE_NONE, &local_error)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local_error->message);
		g_error_free(local_error);
		g_key_file_unref(kf);
		return NULL;
	}
	return config_new_from_keyfile(kf, NULL, error);
}

PdConfig *
pd_config_ref(PdConfig *config)
{
	PdConfigBox *box = (PdConfigBox *)config;

	g_atomic_int_inc(&box->refcount);
	return config;
}

void
pd_config_unref(PdConfig *config)
{
	PdConfigBox *box = (PdConfigBox *)config;

	if (config == NULL || !g_atomic_int_dec_and_test(&box->refcount))
		return;
	g_free(config->hostname);
	g_free(config->conninfo);
	g_clear_pointer(&config->lmtp_listen, g_ptr_array_unref);
	g_clear_pointer(&config->xforward_hosts, g_ptr_array_unref);
	g_clear_pointer(&config->xforward_users, g_ptr_array_unref);
	g_clear_pointer(&config->xforward_groups, g_ptr_array_unref);
	g_free(config->recipient_delimiter);
	g_free(config->socket_mode_str);
	g_free(config->socket_group);
	g_clear_pointer(&config->queues, g_ptr_array_unref);
	g_clear_pointer(&config->keyfile, g_key_file_unref);
	g_free(config->path);
	g_free(box);
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
