/* pd-store-imap: the IMAP mailboxes' state (see the header and
 * sql/functions/imap.sql).  Every value is a bound parameter. */
#include "pd-store-private.h"
#include "store/pd-store-imap.h"
#include "core/pd-error.h"

gboolean
pd_store_imap_lock(PdStore *store, const char *mailbox, const char *holder, gboolean *held_r,
		   GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	*held_r = FALSE;
	pd_store_params_init(&params);
	pd_store_param_text(&params, mailbox);
	pd_store_param_text(&params, holder);
	result = pd_store_exec_row(store, "SELECT pd_imap_lock($1, $2)", &params, "imap lock", error);
	if (result == NULL)
		return FALSE;
	*held_r = pd_store_bool(result, 0, 0);
	return TRUE;
}

gboolean
pd_store_imap_begin(PdStore *store, const char *mailbox, guint32 uidvalidity,
		    guint32 *last_uid_r, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, mailbox);
	pd_store_param_int(&params, uidvalidity);
	result = pd_store_exec_row(store, "SELECT pd_imap_begin($1, $2::bigint)", &params, "imap begin",
			   error);
	if (result == NULL)
		return FALSE;
	*last_uid_r = (guint32)pd_store_int(result, 0, 0);
	return TRUE;
}

gboolean
pd_store_imap_advance(PdStore *store, const char *mailbox, guint32 uidvalidity, guint32 uid,
		      GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, mailbox);
	pd_store_param_int(&params, uidvalidity);
	pd_store_param_int(&params, uid);
	result = pd_store_exec_row(store, "SELECT pd_imap_advance($1, $2::bigint, $3::bigint)", &params,
			   "imap advance", error);
	return result != NULL;
}

gboolean
pd_store_imap_refused(PdStore *store, const char *mailbox, guint32 uidvalidity, guint32 uid,
		      const char *reason, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, mailbox);
	pd_store_param_int(&params, uidvalidity);
	pd_store_param_int(&params, uid);
	pd_store_param_text(&params, reason);
	result = pd_store_exec_row(store, "SELECT pd_imap_refused($1, $2::bigint, $3::bigint, $4, NULL)",
			   &params, "imap refused", error);
	return result != NULL;
}

gboolean
pd_store_imap_error(PdStore *store, const char *mailbox, const char *text, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, mailbox);
	pd_store_param_text(&params, text);
	result = pd_store_exec_row(store, "SELECT pd_imap_error($1, $2)", &params, "imap error", error);
	return result != NULL;
}

gboolean
pd_store_imap_backlog(PdStore *store, const char *mailbox, guint backlog, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, mailbox);
	pd_store_param_int(&params, backlog);
	result = pd_store_exec_row(store, "SELECT pd_imap_backlog($1, $2::bigint)", &params,
				   "imap backlog", error);
	return result != NULL;
}

void
pd_imap_status_free(PdImapStatus *st)
{
	if (st == NULL)
		return;
	g_free(st->mailbox);
	g_free(st->uidvalidity);
	g_free(st->last_uid);
	g_free(st->holder);
	g_free(st->last_error);
	g_free(st->last_error_at);
	g_free(st->updated_at);
	g_free(st->backlog);
	g_free(st->backlog_at);
	g_free(st->json);
	g_free(st);
}

gboolean
pd_store_imap_status(PdStore *store, GPtrArray **rows_r, GError **error)
{
	g_autoptr(PGresult) result = NULL;

	result = pd_store_exec_sql(store,
				   "SELECT s.mailbox, coalesce(s.uidvalidity::text, ''),"
				   " s.last_uid::text, s.holder, s.last_error,"
				   " to_char(s.last_error_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
				   " to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),"
				   " to_jsonb(s)::text, s.backlog::text,"
				   " to_char(s.backlog_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
				   " FROM pd_imap_status() s",
				   NULL, "imap status", error);
	if (result == NULL)
		return FALSE;
	*rows_r = g_ptr_array_new_with_free_func((GDestroyNotify)pd_imap_status_free);
	for (int i = 0; i < PQntuples(result); i++) {
		PdImapStatus *st = g_new0(PdImapStatus, 1);

		st->mailbox = g_strdup(pd_store_value(result, i, 0));
		st->uidvalidity = g_strdup(pd_store_value(result, i, 1));
		st->last_uid = g_strdup(pd_store_value(result, i, 2));
		st->holder = g_strdup(pd_store_value(result, i, 3));
		st->last_error = g_strdup(pd_store_value(result, i, 4));
		st->last_error_at = g_strdup(pd_store_value(result, i, 5));
		st->updated_at = g_strdup(pd_store_value(result, i, 6));
		st->json = g_strdup(pd_store_value(result, i, 7));
		st->backlog = g_strdup(pd_store_value(result, i, 8));
		st->backlog_at = g_strdup(pd_store_value(result, i, 9));
		g_ptr_array_add(*rows_r, st);
	}
	return TRUE;
}
