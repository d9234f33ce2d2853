/* pd-config: the versioned configuration file (GKeyFile, INI style).
 *
 * One file, `config_version = 1` required in [postdesk] so a later release
 * can tell an old file from a new one instead of silently misreading it.
 * Loading validates everything; a PdConfig is immutable once loaded and is
 * replaced whole on SIGHUP (readers hold a reference).
 */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <glib.h>

#define PD_CONFIG_VERSION 1

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
} PdQueueConfig;

typedef struct {
	char *hostname;			/* for the greeting and Message-IDs */
	char *conninfo;			/* libpq connection string */
	guint db_pool_size;
	guint db_timeout;		/* seconds one database call may take */

	GPtrArray *lmtp_listen;		/* "127.0.0.1:2424", "[::1]:24", "unix:/path" */
	GPtrArray *xforward_hosts;	/* TCP client IPs/networks trusted for XFORWARD */
	GPtrArray *xforward_users;	/* unix-socket peers trusted for XFORWARD: user
					 * names or uids (SO_PEERCRED) */
	GPtrArray *xforward_groups;	/* ... by the peer's group: names or gids */
	guint max_sessions;
	guint max_sessions_per_client;	/* one address or unix uid; trusted: no limit */
	guint idle_timeout;		/* seconds for one command line or message */
	guint stress_timeout;		/* the same under stress, untrusted clients */
	guint min_data_rate;		/* bytes/s of content that earn time */
	gsize max_message_size;		/* bytes */
	gsize max_line_length;		/* command line, bytes including CRLF */
	guint max_recipients;
	char *recipient_delimiter;	/* "+" */
	char *socket_mode_str;		/* octal, for unix listeners */
	char *socket_group;		/* group of unix listeners, NULL: the daemon's */

	PdMailLimits mail_limits;
	gsize relay_attachments_max;	/* [outbound]: decoded bytes a relayed agent
					 * answer may attach (sql/functions/agent.sql) */
	GPtrArray *queues;		/* PdQueueConfig * */
	gboolean log_stderr;

	GKeyFile *keyfile;		/* the whole file, for layers added later */
	char *path;
} PdConfig;

PdConfig *pd_config_load(const char *path, GError **error);
PdConfig *pd_config_load_data(const char *data, GError **error);
PdConfig *pd_config_ref(PdConfig *config);
void pd_config_unref(PdConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdConfig, pd_config_unref)

/* The queue a recipient maps to, or NULL (unknown recipient: 550 5.1.1).
 * subaddress_r (may be NULL) gets the "+tag" part, newly allocated. */
const PdQueueConfig *pd_config_queue_for(const PdConfig *config, const char *recipient,
					 char **subaddress_r);

/* A yes/no key of any section: yes/true/on/1 or no/false/off/0, any case.
 * Missing: def.  Anything else: FALSE with PD_ERROR_USAGE naming the key
 * (and *value_r = def, so a caller that passes error = NULL gets the
 * default).  GKeyFile's own boolean knows only true/false, which postmasters
 * used to main.cf's "yes" would trip over. */
gboolean pd_config_get_bool(GKeyFile *kf, const char *group, const char *key,
			    gboolean def, gboolean *value_r, GError **error);

/* Contact permissions: support, technical, billing, records, contacts. */
gboolean pd_config_permission_valid(const char *permission);
const char *const *pd_config_permissions(void);

#endif
