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
 *   folder = INBOX              ; the folder read
 *   processed_folder = Processed ; delivered mail goes here (unset: \Seen)
 *   failed_folder = Failed      ; refused mail goes here (unset: \Seen)
 *   queue = support             ; a [queue NAME]: its first address is the
 *                               ; recipient of every mail of this mailbox
 *   poll_interval = 60          ; seconds between looks at the folder
 *   max_message_size = 0        ; bytes (k, M, G); 0: [limits] max_message_size
 *   timeout = 60                ; seconds any one network wait may take
 *
 * The certificate and the host name are always verified.  The password
 * file is a secret: anything but owner read/write is refused (file:line,
 * like every other error of the file).  Parsing only: no I/O but reading
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
	char *password_file;
	char *folder;
	char *processed_folder;	/* NULL: flag \Seen instead */
	char *failed_folder;	/* NULL: flag \Seen instead */
	char *queue;		/* a [queue NAME] */
	guint poll_ms;
	gsize max_message_size;	/* 0 as written: [limits] */
	guint timeout;		/* seconds per network wait */
	/* derived */
	char *password;		/* the file's first line */
	char *recipient;	/* the queue's first address */
} PdImapConfig;

extern const PdConfigTable pd_imap_table;
/* The [imap NAME] sections, in file order (PdImapConfig *); never NULL. */
GPtrArray *pd_imap_configs(const PdConfig *config);
/* The section named name, or NULL. */
const PdImapConfig *pd_imap_config_find(const PdConfig *config, const char *name);

#endif
