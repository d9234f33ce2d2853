/* imap-script: the whole session the fetcher runs, over fixed server bytes
 * (the memory stream of lib/imap/pd-imap-stream.h), for test-imap-client
 * and fuzz-imap.  Tags are libetpan's: 1, 2, 3... in command order. */
#ifndef IMAP_SCRIPT_H
#define IMAP_SCRIPT_H

#include <glib.h>
#include "imap/pd-imap-client.h"

typedef struct {
	gboolean logged_in;
	PdImapCaps caps;
	gboolean selected;
	PdImapFolder folder;
	guint n_uids;
	guint32 first_uid;
	gboolean sized;
	guint32 size;
	gboolean fetched;
	gsize raw_len;
	char *raw;		/* NUL-terminated copy */
	gboolean applied;
	GError *error;		/* of the step that stopped the session */
	/* then IDLE for up to 1 s (its own error: most scripts end before) */
	gboolean idled;
	gboolean news;		/* * N EXISTS came */
	GError *idle_error;
} ImapScriptResult;

void imap_script_result_clear(ImapScriptResult *r);

/* Connect (tls = none), log in, SELECT INBOX, UID SEARCH UID 1:*, then for
 * the first UID: RFC822.SIZE, BODY.PEEK[] (at most max bytes) and
 * pd_imap_ack_decide's action for a delivered mail to "Processed", then
 * IDLE (tag "pdidle") up to 1 s. */
void imap_script_run(const guint8 *server, gsize len, gsize max, ImapScriptResult *r);

#endif
