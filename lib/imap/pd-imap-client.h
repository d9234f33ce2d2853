/* pd-imap-client: one IMAP session to one mailbox, over libetpan (issue 13).
 *
 * What the fetcher and `postdesk imap check` need, and no more: connect
 * (TLS from the first byte, or STARTTLS; the certificate and the host name
 * verified), log in, list folders, SELECT (UIDVALIDITY, UIDNEXT), the UIDs
 * above the last one stored, a message's RFC822.SIZE, its bytes
 * (BODY.PEEK[]: fetching never sets \Seen, so a failure leaves the mail
 * as it was), and the after-delivery action of pd-imap-ack.h.
 *
 * libetpan parses every response; the bytes come through pd-imap-stream,
 * so every wait has the configured timeout, every command a deadline
 * (PD_IMAP_COMMAND_WAITS waits' worth) and a byte budget (the message
 * limit plus PD_IMAP_COMMAND_SLACK), and a cancel fd ends any wait at
 * once.  A message body is collected by our handler, which stops at the
 * size limit (libetpan would otherwise take a literal of any size the
 * server announces).
 *
 * Errors: PD_ERROR_TEMPFAIL for the network, a timeout or a command the
 * server refused (the message stays; try again later); PD_ERROR_USAGE for
 * a refused login (the user or password_file is wrong); PD_ERROR_PERMFAIL
 * for a message over the size limit.  After a network or protocol error
 * the session is broken (pd_imap_client_broken): free it and connect
 * again.  Never SQL, never the pipeline.  Not thread-safe: one thread per
 * session.
 */
#ifndef PD_IMAP_CLIENT_H
#define PD_IMAP_CLIENT_H

#include <glib.h>
#include "imap/pd-imap-ack.h"
#include "imap/pd-imap-config.h"

/* A command may take this many waits' worth of time in all. */
#define PD_IMAP_COMMAND_WAITS 10
/* Bytes a command may read beyond the message size limit. */
#define PD_IMAP_COMMAND_SLACK ((guint64)4 * 1024 * 1024)

typedef struct _PdImapClient PdImapClient;

typedef struct {
	guint32 uidvalidity;
	guint32 uidnext;	/* 0: the server did not say */
	guint32 exists;
} PdImapFolder;

/* Connect, greet, STARTTLS when configured, log in.  cancel_fd: readable
 * means give up (-1: none). */
PdImapClient *pd_imap_client_connect(const PdImapConfig *ic, int cancel_fd, GError **error);
/* The same over fixed server bytes (the fuzz harness): tls must be none. */
PdImapClient *pd_imap_client_connect_memory(const PdImapConfig *ic, const guint8 *data,
					    gsize len, GError **error);
/* LOGOUT (briefly, when the session is sound) and free.  NULL-safe. */
void pd_imap_client_free(PdImapClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdImapClient, pd_imap_client_free)

gboolean pd_imap_client_broken(PdImapClient *client);
PdImapCaps pd_imap_client_caps(PdImapClient *client);
/* The capabilities after login, space-separated ("IMAP4rev1 IDLE MOVE ..."). */
const char *pd_imap_client_capabilities(PdImapClient *client);
/* "TLSv1.3", or NULL for plain. */
const char *pd_imap_client_tls(PdImapClient *client);

/* Every folder's name (LIST "" "*"). */
gboolean pd_imap_client_list(PdImapClient *client, GPtrArray **names_r, GError **error);
gboolean pd_imap_client_select(PdImapClient *client, const char *folder,
			       PdImapFolder *folder_r, GError **error);
/* The UIDs above after_uid in the selected folder, ascending (guint32). */
gboolean pd_imap_client_search_after(PdImapClient *client, guint32 after_uid,
				     GArray **uids_r, GError **error);
/* RFC822.SIZE of uid; *exists_r FALSE when the message is gone. */
gboolean pd_imap_client_fetch_size(PdImapClient *client, guint32 uid, gboolean *exists_r,
				   guint32 *size_r, GError **error);
/* The message's bytes, at most max (PD_ERROR_PERMFAIL beyond; the session
 * is broken then).  *raw_r NULL (and TRUE) when the message is gone. */
gboolean pd_imap_client_fetch(PdImapClient *client, guint32 uid, gsize max, GBytes **raw_r,
			      GError **error);
/* Carry out pd_imap_ack_decide()'s action on uid (LEAVE: nothing).  A
 * target folder the server says is missing ([TRYCREATE]) is created once. */
gboolean pd_imap_client_apply(PdImapClient *client, guint32 uid, PdImapAction action,
			      const char *folder, GError **error);
/* The server offers IDLE (RFC 2177). */
gboolean pd_imap_client_can_idle(PdImapClient *client);
/* IDLE in the selected folder for up to seconds, or until the server
 * announces a message (* N EXISTS: *news_r) or ends the IDLE itself; then
 * DONE and its answer.  Our own reading, not mailimap_idle(): libetpan
 * 1.9.4's blocks for ever when an untagged response comes before the
 * "+ idling" continuation (upstream issue 393); here every line up to the
 * continuation is read with the timeout, and any untagged line is fine.
 * The cancel fd ends it at once (an error; the session is broken). */
gboolean pd_imap_client_idle(PdImapClient *client, guint seconds, gboolean *news_r,
			     GError **error);
/* NOOP: is the session still answering? */
gboolean pd_imap_client_noop(PdImapClient *client, GError **error);

#endif
