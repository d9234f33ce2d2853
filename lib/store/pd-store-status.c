/* pd-store-status: the counts and errors `postdesk status` shows (see the
 * header).  Reading only. */
#include "pd-store-private.h"
#include "store/pd-store-status.h"

gboolean
pd_store_status_counts(PdStore *store, PdStatusCounts *counts_r, GError **error)
{
	g_autoptr(PGresult) result = pd_store_exec_sql(store,
		"SELECT count(*) FILTER (WHERE status = 'queued'),"
		" count(*) FILTER (WHERE status = 'sending'),"
		" count(*) FILTER (WHERE status = 'failed'),"
		" coalesce(extract(epoch FROM now() - min(created_at)"
		" FILTER (WHERE status = 'queued'))::bigint, -1),"
		" (SELECT count(*) FROM tickets WHERE held IS NOT NULL"
		" AND status NOT IN ('solved', 'closed')),"
		" (SELECT count(*) FROM quarantine WHERE released_at IS NULL)"
		" FROM outbound WHERE status IN ('queued', 'sending', 'failed')",
		NULL, "status counts", error);

	if (result == NULL)
		return FALSE;
	counts_r->queued = pd_store_int(result, 0, 0);
	counts_r->sending = pd_store_int(result, 0, 1);
	counts_r->failed = pd_store_int(result, 0, 2);
	counts_r->oldest_queued_age = pd_store_int(result, 0, 3);
	counts_r->held = pd_store_int(result, 0, 4);
	counts_r->quarantined = pd_store_int(result, 0, 5);
	return TRUE;
}

void
pd_status_error_free(PdStatusError *error)
{
	if (error == NULL)
		return;
	g_free(error->status);
	g_free(error->error);
	g_free(error);
}

gboolean
pd_store_status_errors(PdStore *store, guint limit, GPtrArray **errors_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	GPtrArray *errors;

	pd_store_params_init(&params);
	pd_store_param_int(&params, limit);
	result = pd_store_exec_sql(store,
		"SELECT id, status, extract(epoch FROM updated_at)::bigint, last_error"
		" FROM outbound WHERE status IN ('queued', 'failed') AND last_error IS NOT NULL"
		" ORDER BY updated_at DESC, id DESC LIMIT $1::integer",
		&params, "status errors", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	errors = g_ptr_array_new_with_free_func((GDestroyNotify)pd_status_error_free);
	for (int i = 0; i < PQntuples(result); i++) {
		PdStatusError *e = g_new0(PdStatusError, 1);

		e->id = pd_store_int(result, i, 0);
		e->status = pd_store_dup(result, i, 1);
		e->at = pd_store_int(result, i, 2);
		e->error = pd_store_dup(result, i, 3);
		g_ptr_array_add(errors, e);
	}
	*errors_r = errors;
	return TRUE;
}
