/* pd-imap-config: the [imap NAME] sections, one per mailbox the daemon
 * reads (issue 13).
 *
 *   [imap support]
 *   host = imap.example.com
 *   port = 993                  ; default 993 (implicit), 143 (starttls, none)
 *   tls = implicit              ; implicit | starttls | none (none: loopback only)
 *   tls_ca_file = /etc/postdesk/imap-ca.pem   ; default: the system's CAs
 *   user = support@example.com
 *   password_file = /etc/postdesk/imap-support.secret   ; mode 0600 or 0400
 *   oauth2_token_file = /run/postdesk/imap-support.token ; instead: XOAUTH2
 *                               ; with the file's bearer token, read again at
 *                               ; every login (a refresher may rewrite it)
 *   folder = INBOX              ; the folder read
 *   processed_folder = Processed ; delivered mail goes here (unset: \Seen)
 *   failed_folder = Failed      ; refused mail goes here (unset: \Seen)
 *   queue = support             ; a [queue NAME]: its first address is the
 *                               ; recipient of every mail of this mailbox;
 *                               ; unset: each mail's Delivered-To, X-Original-To,
 *                               ; To or Cc that a queue has (pd-imap-route.h)
 *   poll_interval = 60          ; seconds between looks at the folder
 *   max_message_size = 0        ; bytes (k, M, G); 0: [limits] max_message_size
 *   timeout = 60                ; seconds any one network wait may take
 *
 * The certificate and the host name are always verified.  The password
 * and token files are secrets: anything but owner read/write is refused
 * (file:line, like every other error of the file; at login for the token).
 * Exactly one of password_file and oauth2_token_file.  Parsing only: no I/O but reading
 * the password file and its mode.
 */
#ifndef PD_IMAP_CONFIG_H
#define PD_IMAP_CONFIG_H

#include <glib.h>
#include "core/pd-config.h"

typedef enum {
	PD_IMAP_TLS_IMPLICIT,
	PD_IMAP_TLS_STARTTLS,
	PD_IMAP_TLS_NONE,
} PdImapTls;

typedef struct {
	char *name;		/* NAME of [imap NAME] */
	char *host;
	guint port;		/* 0 as written: the default for tls */
	PdImapTls tls;
	char *tls_ca_file;	/* NULL: the system's trust store */
	char *user;
	char *password_file;	/* NULL when oauth2_token_file is used */
	char *oauth2_token_file;	/* NULL: LOGIN with the password */
	char *folder;
	char *processed_folder;	/* NULL: flag \Seen instead */
	char *failed_folder;	/* NULL: flag \Seen instead */
	char *queue;		/* a [queue NAME], NULL: routed per mail */
	guint poll_ms;
	gsize max_message_size;	/* 0 as written: [limits] */
	guint timeout;		/* seconds per network wait */
	/* derived */
	char *password;		/* password_file's first line, NULL with oauth2 */
	char *recipient;	/* the queue's first address, NULL: routed per mail */
} PdImapConfig;

extern const PdConfigTable pd_imap_table;
/* The [imap NAME] sections, in file order (PdImapConfig *); never NULL. */
GPtrArray *pd_imap_configs(const PdConfig *config);
/* The first line of a secret file that only its owner may read (mode
 * 0600 or 0400); PD_ERROR_USAGE saying what is wrong. */
gboolean pd_imap_secret_read(const char *path, char **text_r, GError **error);
/* The section named name, or NULL. */
const PdImapConfig *pd_imap_config_find(const PdConfig *config, const char *name);

#endif
