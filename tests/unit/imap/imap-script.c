/* imap-script: the fetcher's session over fixed bytes (see imap-script.h). */
#include "imap-script.h"
#include "imap/pd-imap-ack.h"

#include <string.h>

void
imap_script_result_clear(ImapScriptResult *r)
{
	g_clear_pointer(&r->raw, g_free);
	g_clear_error(&r->error);
	g_clear_error(&r->idle_error);
}

void
imap_script_run(const guint8 *server, gsize len, gsize max, ImapScriptResult *r)
{
	PdImapConfig ic = {
		.name = (char *)"script", .host = (char *)"memory", .tls = PD_IMAP_TLS_NONE,
		.user = (char *)"support", .password = (char *)"s3cret",
		.folder = (char *)"INBOX", .timeout = 1, .max_message_size = max,
	};
	g_autoptr(PdImapClient) c = NULL;
	g_autoptr(GArray) uids = NULL;
	g_autoptr(GBytes) raw = NULL;
	const char *folder = NULL;
	gboolean exists = FALSE;
	PdImapAction action;

	memset(r, 0, sizeof *r);
	c = pd_imap_client_connect_memory(&ic, server, len, &r->error);
	if (c == NULL)
		return;
	r->logged_in = TRUE;
	r->caps = pd_imap_client_caps(c);
	if (!pd_imap_client_select(c, "INBOX", &r->folder, &r->error))
		return;
	r->selected = TRUE;
	if (!pd_imap_client_search_after(c, 0, &uids, &r->error))
		return;
	r->n_uids = uids->len;
	if (uids->len == 0)
		return;
	r->first_uid = g_array_index(uids, guint32, 0);
	if (!pd_imap_client_fetch_size(c, r->first_uid, &exists, &r->size, &r->error))
		return;
	r->sized = exists;
	if (!pd_imap_client_fetch(c, r->first_uid, max, &raw, &r->error))
		return;
	if (raw == NULL)
		return;	/* gone */
	r->fetched = TRUE;
	r->raw = g_strndup(g_bytes_get_data(raw, &r->raw_len), g_bytes_get_size(raw));
	action = pd_imap_ack_decide(PD_IMAP_OUTCOME_DELIVERED, r->caps, "Processed", &folder);
	if (!pd_imap_client_apply(c, r->first_uid, action, folder, &r->error))
		return;
	r->applied = TRUE;
	r->idled = pd_imap_client_idle(c, 1, &r->news, &r->idle_error);
}
