/* pd-imap-config: [imap NAME] settings (see pd-imap-config.h). */
#include "imap/pd-imap-config.h"
#include "core/pd-error.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTION "imap"

static gboolean
check_host(gconstpointer field, GError **error)
{
	const char *host = *(char *const *)field;

	for (const char *p = host; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != ':' && *p != '_') {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "a host name or address (letters, digits, . - : _)");
			return FALSE;
		}
	}
	return TRUE;
}

/* A mailbox name goes into IMAP commands as a quoted string or literal:
 * no control characters (CR, LF, NUL would end or break the command). */
static gboolean
check_folder(gconstpointer field, GError **error)
{
	const char *folder = *(char *const *)field;

	if (!g_utf8_validate(folder, -1, NULL)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "not UTF-8");
		return FALSE;
	}
	for (const char *p = folder; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "a folder name without control characters");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
host_is_loopback(const char *host)
{
	return g_ascii_strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       g_str_has_prefix(host, "127.");
}

gboolean
pd_imap_secret_read(const char *path, char **text_r, GError **error)
{
	struct stat st;
	g_autofree char *text = NULL;
	char *eol;

	if (stat(path, &st) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: %s", path, g_strerror(errno));
		return FALSE;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: a secret must be a file only its "
			    "owner may read (mode 0600 or 0400, is %04o); chmod 600 %s", path,
			    (guint)(st.st_mode & 07777), path);
		return FALSE;
	}
	if (!g_file_get_contents(path, &text, NULL, error)) {
		(*error)->code = PD_ERROR_USAGE;
		(*error)->domain = PD_ERROR;
		return FALSE;
	}
	eol = strpbrk(text, "\r\n");
	if (eol != NULL)
		*eol = '\0';
	if (text[0] == '\0') {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: the first line is empty", path);
		return FALSE;
	}
	*text_r = g_steal_pointer(&text);
	return TRUE;
}

/* The password (or, for a token file, that it is readable now). */
static gboolean
imap_read_secret(PdImapConfig *ic, const char *section, PdConfigLoad *load)
{
	const char *key = ic->password_file != NULL ? "password_file" : "oauth2_token_file";
	const char *path = ic->password_file != NULL ? ic->password_file : ic->oauth2_token_file;
	g_autoptr(GError) local = NULL;
	g_autofree char *text = NULL;

	if ((ic->password_file == NULL) == (ic->oauth2_token_file == NULL)) {
		pd_config_error(load, section, ic->password_file != NULL ? "oauth2_token_file" : NULL,
				"[%s]: one of password_file and oauth2_token_file", section);
		return FALSE;
	}
	if (!pd_imap_secret_read(path, &text, &local)) {
		pd_config_error(load, section, key, "[%s] %s = %s", section, key, local->message);
		return FALSE;
	}
	if (ic->password_file != NULL)
		ic->password = g_steal_pointer(&text);
	return TRUE;
}

static gboolean
imap_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdImapConfig *ic = values;
	g_autofree char *section = g_strconcat(SECTION, name, NULL);
	const PdQueueConfig *queue = NULL;

	ic->name = g_strstrip(g_strdup(name));
	if (*ic->name == '\0' || strpbrk(ic->name, " \t") != NULL) {
		pd_config_error(load, section, NULL, "[%s]: a mailbox needs one name (no spaces)",
				section);
		return FALSE;
	}
	if (ic->tls == PD_IMAP_TLS_NONE && !host_is_loopback(ic->host)) {
		pd_config_error(load, section, "tls", "[%s] tls = none: only for a server on "
				"loopback (127.0.0.1, ::1, localhost); %s needs implicit or starttls",
				section, ic->host);
		return FALSE;
	}
	if (ic->port == 0)
		ic->port = ic->tls == PD_IMAP_TLS_IMPLICIT ? 993 : 143;
	if (ic->tls_ca_file != NULL && access(ic->tls_ca_file, R_OK) != 0) {
		pd_config_error(load, section, "tls_ca_file", "[%s] tls_ca_file = %s: %s", section,
				ic->tls_ca_file, g_strerror(errno));
		return FALSE;
	}
	for (guint i = 0; ic->queue != NULL && i < config->queues->len; i++)
		if (strcmp(((PdQueueConfig *)config->queues->pdata[i])->name, ic->queue) == 0)
			queue = config->queues->pdata[i];
	if (ic->queue == NULL) {
		/* each mail's own recipient (pd-imap-route.h) */
	} else if (queue == NULL || queue->addresses->len == 0) {
		pd_config_error(load, section, "queue", "[%s] queue = %s: no [queue %s] with an "
				"address", section, ic->queue, ic->queue);
		return FALSE;
	}
	if (queue != NULL)
		ic->recipient = g_strdup(queue->addresses->pdata[0]);
	if (g_strcmp0(ic->processed_folder, ic->folder) == 0 ||
	    g_strcmp0(ic->failed_folder, ic->folder) == 0) {
		pd_config_error(load, section, g_strcmp0(ic->processed_folder, ic->folder) == 0 ?
				"processed_folder" : "failed_folder",
				"[%s]: mail is moved out of folder = %s, not into it", section,
				ic->folder);
		return FALSE;
	}
	if (ic->max_message_size == 0)
		ic->max_message_size = config->max_message_size;
	return imap_read_secret(ic, section, load);
}

/* Two sections on one mailbox would fetch each mail twice over.  values:
 * the GPtrArray of every section (a named table's review sees them all). */
static void
imap_review(gconstpointer values, const PdConfig *config, PdConfigLoad *load)
{
	const GPtrArray *all = values;

	(void)config;
	for (guint i = 0; i < all->len; i++) {
		const PdImapConfig *ic = all->pdata[i];
		g_autofree char *section = g_strconcat(SECTION " ", ic->name, NULL);

		for (guint j = 0; j < i; j++) {
			const PdImapConfig *other = all->pdata[j];

			if (g_ascii_strcasecmp(other->host, ic->host) == 0 &&
			    other->port == ic->port && strcmp(other->user, ic->user) == 0 &&
			    strcmp(other->folder, ic->folder) == 0)
				pd_config_warning(load, section, "folder", "[%s] reads the same "
						  "folder as [imap %s]", section, other->name);
		}
	}
}

static void
imap_clear(gpointer values)
{
	PdImapConfig *ic = values;

	g_clear_pointer(&ic->name, g_free);
	g_clear_pointer(&ic->recipient, g_free);
	if (ic->password != NULL)
		memset(ic->password, 0, strlen(ic->password));
	g_clear_pointer(&ic->password, g_free);
}

static const char *const tls_values[] = { "implicit", "starttls", "none", NULL };

#define IMAP(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdImapConfig, f)

static const PdSetting imap_settings[] = {
	{ IMAP("host", PD_SETTING_STRING, host), .flags = PD_SETTING_REQUIRED,
	  .check = check_host },
	{ IMAP("port", PD_SETTING_UINT, port), .def = "0", .min = 0, .max = 65535 },
	{ IMAP("tls", PD_SETTING_ENUM, tls), .def = "implicit", .values = tls_values },
	{ IMAP("tls_ca_file", PD_SETTING_STRING, tls_ca_file) },
	{ IMAP("user", PD_SETTING_STRING, user), .flags = PD_SETTING_REQUIRED },
	{ IMAP("password_file", PD_SETTING_STRING, password_file) },
	{ IMAP("oauth2_token_file", PD_SETTING_STRING, oauth2_token_file) },
	{ IMAP("folder", PD_SETTING_STRING, folder), .def = "INBOX", .check = check_folder },
	{ IMAP("processed_folder", PD_SETTING_STRING, processed_folder), .check = check_folder },
	{ IMAP("failed_folder", PD_SETTING_STRING, failed_folder), .check = check_folder },
	{ IMAP("queue", PD_SETTING_STRING, queue) },
	{ IMAP("poll_interval", PD_SETTING_MSEC, poll_ms), .def = "60", .min = 100,
	  .max = 3600 * 1000 },
	{ IMAP("max_message_size", PD_SETTING_SIZE, max_message_size), .def = "0", .min = 0,
	  .max = G_GUINT64_CONSTANT(1) << 32 },
	{ IMAP("timeout", PD_SETTING_UINT, timeout), .def = "60", .min = 1, .max = 3600 },
	{ NULL }
};

const PdConfigTable pd_imap_table = {
	.section = SECTION, .named = TRUE, .size = sizeof(PdImapConfig),
	.settings = imap_settings, .finish = imap_finish, .review = imap_review,
	.clear = imap_clear,
};

GPtrArray *
pd_imap_configs(const PdConfig *config)
{
	return pd_config_layer(config, &pd_imap_table);
}

const PdImapConfig *
pd_imap_config_find(const PdConfig *config, const char *name)
{
	GPtrArray *all = pd_imap_configs(config);

	for (guint i = 0; all != NULL && i < all->len; i++)
		if (strcmp(((PdImapConfig *)all->pdata[i])->name, name) == 0)
			return all->pdata[i];
	return NULL;
}
