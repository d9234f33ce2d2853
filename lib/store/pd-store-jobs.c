/* pd-store-jobs: the welcome mail and the scheduled jobs (see the header
 * and sql/functions/jobs.sql).  Every value is a bound parameter.
 */
#include "pd-store-private.h"
#include "store/pd-store-identity.h"
#include "store/pd-store-jobs.h"
#include "core/pd-error.h"

gboolean
pd_store_contact_add_welcome(PdStore *store, const char *actor, const char *account,
			     const char *address, const char *name, gboolean primary,
			     const char *const *permissions, const char *expires,
			     const PdWelcome *welcome, gint64 *outbound_r, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	if (outbound_r != NULL)
		*outbound_r = 0;
	if (welcome == NULL)
		return pd_store_contact_add(store, actor, account, address, name, primary,
					    permissions, expires, error);
	if (!pd_store_exec_simple(store, "BEGIN", "contact add", error))
		return FALSE;
	if (pd_store_contact_add(store, actor, account, address, name, primary, permissions,
				 expires, error)) {
		pd_store_params_init(&params);
		pd_store_param_text(&params, actor);
		pd_store_param_text(&params, account);
		pd_store_param_text(&params, address);
		pd_store_param_text(&params, welcome->envelope_from);
		pd_store_param_text(&params, welcome->write_to);
		result = pd_store_exec_row(store, "SELECT pd_contact_welcome($1, $2, $3, $4, $5)",
				   &params, "welcome", error);
	}
	if (result == NULL || !pd_store_exec_simple(store, "COMMIT", "contact add", error)) {
		/* the first error is the one to report */
		pd_store_exec_simple(store, "ROLLBACK", "contact add", NULL);
		return FALSE;
	}
	if (outbound_r != NULL && pd_store_value(result, 0, 0) != NULL)
		*outbound_r = pd_store_int(result, 0, 0);
	return TRUE;
}

gboolean
pd_store_job_run(PdStore *store, const char *job, const char *instance, gint64 now,
		 gint64 interval, const char *envelope_from, gboolean *ran_r, gint64 *count_r,
		 GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, job);
	pd_store_param_text(&params, instance);
	pd_store_param_int(&params, now);
	pd_store_param_int(&params, interval);
	pd_store_param_text(&params, envelope_from != NULL ? envelope_from : "");
	result = pd_store_exec_row(store,
			   "SELECT pd_job_run($1, $2, to_timestamp($3::bigint),"
			   " jsonb_build_object('interval', $4::bigint, 'envelope_from', $5::text))",
			   &params, job, error);
	if (result == NULL)
		return FALSE;
	*ran_r = pd_store_value(result, 0, 0) != NULL;
	*count_r = *ran_r ? pd_store_int(result, 0, 0) : 0;
	return TRUE;
}
