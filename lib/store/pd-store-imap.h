/* pd-store-imap: the IMAP mailboxes' state in the database
 * (sql/functions/imap.sql: what each call does, and the lock).
 *
 * The fetcher (postdeskd) keeps one PdStore per mailbox for these calls:
 * the mailbox's advisory lock lives on that connection, and every write
 * fails (TEMPFAIL) on a connection that does not hold it.  Never talks
 * IMAP.  Errors: TEMPFAIL.
 */
#ifndef PD_STORE_IMAP_H
#define PD_STORE_IMAP_H

#include <glib.h>
#include "store/pd-store.h"

/* Take mailbox's lock on this connection if free: *held_r. */
gboolean pd_store_imap_lock(PdStore *store, const char *mailbox, const char *holder,
			    gboolean *held_r, GError **error);
/* The last UID done under uidvalidity (0 when it is new or changed). */
gboolean pd_store_imap_begin(PdStore *store, const char *mailbox, guint32 uidvalidity,
			     guint32 *last_uid_r, GError **error);
gboolean pd_store_imap_advance(PdStore *store, const char *mailbox, guint32 uidvalidity,
			       guint32 uid, GError **error);
/* uid refused for good (reason), with an "imap.refused" event, then advance. */
gboolean pd_store_imap_refused(PdStore *store, const char *mailbox, guint32 uidvalidity,
			       guint32 uid, const char *reason, GError **error);
gboolean pd_store_imap_error(PdStore *store, const char *mailbox, const char *text,
			     GError **error);
/* backlog messages wait above the last UID in the folder (the server's
 * count, taken now). */
gboolean pd_store_imap_backlog(PdStore *store, const char *mailbox, guint backlog,
			       GError **error);

typedef struct {
	char *mailbox;
	char *uidvalidity;	/* "" when never selected */
	char *last_uid;
	char *holder;		/* NULL: nobody holds the lock now */
	char *last_error;	/* NULL: none */
	char *last_error_at;
	char *updated_at;
	char *backlog;		/* NULL: never counted */
	char *backlog_at;
	char *json;		/* the row as a JSON object */
} PdImapStatus;

void pd_imap_status_free(PdImapStatus *status);
/* Every mailbox ever fetched, by name (PdImapStatus *). */
gboolean pd_store_imap_status(PdStore *store, GPtrArray **rows_r, GError **error);

#endif
