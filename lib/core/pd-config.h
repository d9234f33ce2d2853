/* pd-config: the versioned configuration file (GKeyFile, INI style).
 *
 * One file, `config_version = 1` required in [postdesk] so a later release
 * can tell an old file from a new one instead of silently misreading it.
 * Loading validates everything, every layer's section included
 * (pd-setting.h); a PdConfig is immutable once loaded and is replaced whole
 * on SIGHUP (readers hold a reference).  An unknown section or key is an
 * error: a typo must never silently leave a setting at its default.
 */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <glib.h>
#include "pd-setting.h"

#define PD_CONFIG_VERSION 1

/* What postdeskd takes per byte of a message from DATA to COMMIT, at most:
 * the bytes received, what GMime and pd_mail decode (an HTML body, the text
 * made of it), and libpq's copy of every parameter it sends.  Measured peaks
 * of one 45 MB message: 2.7 times for a base64 attachment, 4 for plain
 * text, 5 for ISO-8859-1 text, 6 for HTML.  [lmtp] max_memory charges each
 * message this much. */
#define PD_CONFIG_MEMORY_PER_BYTE 6
/* [lmtp] max_memory unless one message of max_message_size needs more. */
#define PD_CONFIG_DEFAULT_MAX_MEMORY (G_GUINT64_CONSTANT(256) * 1024 * 1024)

typedef struct {
	guint max_depth;	/* MIME nesting */
	guint max_parts;
	guint max_headers;	/* per part */
	gsize max_header_bytes;	/* one header field, folded lines included */
} PdMailLimits;

/* Who may open a ticket in a queue (issue 3): anyone, known people only
 * (others get a polite queued reply, never a bounce), or held for an operator. */
typedef enum {
	PD_UNKNOWN_SENDERS_OPEN,
	PD_UNKNOWN_SENDERS_KNOWN,
	PD_UNKNOWN_SENDERS_MODERATE,
} PdUnknownSenders;

typedef struct {
	char *name;		/* "support" */
	GPtrArray *addresses;	/* char *, canonical, no subaddress */
	char *permission;	/* contact permission a request here needs, NULL: none */
	PdUnknownSenders unknown_senders;
	char *forward_to;	/* address new tickets are forwarded to, NULL: none */
	char *default_group;	/* agent group notified, NULL: all agents */
	/* spam score thresholds of this queue ([spam] hold and quarantine
	 * otherwise; lib/filter reads them), as written; NULL: unset */
	char *spam_hold;
	char *spam_quarantine;
} PdQueueConfig;

/* A reply template a configured feature needs (pd_config_need_template). */
typedef struct {
	const char *name;	/* "ack" */
	const char *feature;	/* "[outbound] acknowledge = yes" */
} PdTemplateNeed;

/* The core's own settings (pd-config.c declares their table) and what the
 * loading found; every layer's own struct is reached with
 * pd_config_layer(). */
struct _PdConfig {
	guint config_version;		/* PD_CONFIG_VERSION */
	char *hostname;			/* for the greeting and Message-IDs */
	char *conninfo;			/* libpq connection string */
	guint db_pool_size;
	guint db_timeout;		/* seconds one database call may take */

	GPtrArray *lmtp_listen;		/* "127.0.0.1:2424", "[::1]:24", "unix:/path" */
	GPtrArray *xforward_hosts;	/* TCP client IPs/networks trusted for XFORWARD */
	GPtrArray *xforward_users;	/* unix-socket peers trusted for XFORWARD: user
					 * names or uids (SO_PEERCRED) */
	GPtrArray *xforward_groups;	/* ... by the peer's group: names or gids */
	GPtrArray *xforward_networks;	/* GInetAddressMask *, of xforward_hosts */
	guint max_sessions;
	guint max_sessions_per_client;	/* one address or unix uid; trusted: no limit */
	guint idle_timeout;		/* seconds for one command line or message */
	guint stress_timeout;		/* the same under stress, untrusted clients */
	guint min_data_rate;		/* bytes/s of content that earn time */
	gsize max_message_size;		/* bytes */
	gsize max_memory;		/* bytes all messages in progress may take */
	gsize max_line_length;		/* command line, bytes including CRLF */
	guint max_recipients;
	char *recipient_delimiter;	/* "+" */
	char *socket_mode_str;		/* octal, for unix listeners */
	char *socket_owner;		/* owner of unix listeners, NULL: the daemon's */
	char *socket_group;		/* group of unix listeners, NULL: the daemon's */
	guint socket_mode;		/* socket_mode_str, parsed */

	PdMailLimits mail_limits;
	GPtrArray *queues;		/* PdQueueConfig * */
	char *daemon_user;		/* [daemon] user, NULL: unset */
	char *daemon_group;		/* [daemon] group, NULL: the user's primary group */
	gint64 drain_timeout;		/* seconds sessions may take to finish at SIGTERM */

	/* for pd_secrets_check: pd_secrets_in_keyfile() of the file, and the
	 * [outbound] password_file and [http] operator_token_file it names
	 * (NULL: none) */
	char *secrets_held;
	char *secret_password_file;
	char *secret_token_file;

	/* Mail-path warnings, "file:line: text": logged at start and reload,
	 * printed by check-config. */
	GPtrArray *warnings;
	GArray *needed_templates;	/* PdTemplateNeed */
	char *path;

	/* the loader's */
	gint refcount;
	GPtrArray *tables;		/* const PdConfigTable *, core's first */
	GHashTable *layers;		/* table -> struct (named: GPtrArray of them) */
	GHashTable *sections;		/* the names of the sections in the file */
};

/* Load and validate the file with the core's tables and tables (the other
 * layers', NULL-terminated, may be NULL: lib/settings has the list): all
 * errors, one "file:line: text" per line, in one PD_ERROR_USAGE. */
PdConfig *pd_config_load(const char *path, const PdConfigTable *const *tables,
			 GError **error);
/* The same for text in memory; messages name it "config". */
PdConfig *pd_config_load_data(const char *data, const PdConfigTable *const *tables,
			      GError **error);
PdConfig *pd_config_ref(PdConfig *config);
void pd_config_unref(PdConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdConfig, pd_config_unref)

/* The struct table's keys were parsed into (a layer's accessor wraps it).
 * The table must have been given to pd_config_load. */
gpointer pd_config_layer(const PdConfig *config, const PdConfigTable *table);
/* Whether the file has the section (e.g. "outbound": mail is sent). */
gboolean pd_config_has_section(const PdConfig *config, const char *section);

/* [queue NAME]: its table, for pd_config_layer() (a GPtrArray of
 * PdQueueConfig *, the same as config->queues). */
extern const PdConfigTable pd_config_queue_table;

/* The queue a recipient maps to, or NULL (unknown recipient: 550 5.1.1).
 * subaddress_r (may be NULL) gets the "+tag" part, newly allocated. */
const PdQueueConfig *pd_config_queue_for(const PdConfig *config, const char *recipient,
					 char **subaddress_r);
/* The queue called name, or NULL (config NULL too). */
const PdQueueConfig *pd_config_queue_named(const PdConfig *config, const char *name);

/* Contact permissions: support, technical, billing, records, contacts. */
gboolean pd_config_permission_valid(const char *permission);
const char *const *pd_config_permissions(void);
/* An agent group name (postdesk agent --group, [queue] default_group):
 * printable, no white space, no comma. */
gboolean pd_config_group_name_valid(const char *name);

#endif
