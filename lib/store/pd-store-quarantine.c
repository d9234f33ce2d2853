/* pd-store-quarantine: mail a filter rule or the spam score kept out of
 * the tickets (sql/functions/filter.sql), for the mail path (add) and
 * `postdesk quarantine` (get, released, delete, purge).  A few statements
 * per quarantined mail or per command: unprepared.
 */
#include "pd-store.h"
#include "pd-store-private.h"
#include "core/pd-error.h"

#include <stdlib.h>
#include <string.h>

gboolean
pd_store_quarantine_add(PdStore *store, const PdDelivery *delivery, guint days,
			PdDeliveryResult *result_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	gsize raw_len = 0;
	const void *raw;
	char sha[65];

	g_return_val_if_fail(store != NULL && delivery != NULL && result_r != NULL, FALSE);

	memset(result_r, 0, sizeof(*result_r));
	raw = g_bytes_get_data(delivery->raw, &raw_len);
	pd_delivery_raw_sha256(delivery, sha);
	pd_store_params_init(&params);
	pd_store_param_take_text(&params, pd_delivery_json(delivery, sha));
	/* an empty GBytes has NULL data: still "" to the database */
	pd_store_param_binary(&params, raw != NULL ? raw : "", raw_len);
	pd_store_param_int(&params, days);
	result = pd_store_exec_sql(store,
		"SELECT id, duplicate FROM pd_quarantine_add($1::jsonb, $2::bytea, $3::integer)",
		&params, "quarantine", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1 || pd_store_value(result, 0, 0) == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "database error: pd_quarantine_add returned no row");
		return FALSE;
	}
	result_r->disposition = "quarantined";
	result_r->quarantine_id = pd_store_int(result, 0, 0);
	result_r->duplicate = pd_store_bool(result, 0, 1);
	return TRUE;
}

void
pd_quarantined_clear(PdQuarantined *q)
{
	g_free(q->recipient);
	g_free(q->mail_from);
	g_free(q->client_address);
	g_free(q->client_name);
	g_free(q->client_helo);
	g_free(q->protocol);
	g_clear_pointer(&q->raw, g_bytes_unref);
	memset(q, 0, sizeof(*q));
}

gboolean
pd_store_quarantine_get(PdStore *store, gint64 id, PdQuarantined *q_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	memset(q_r, 0, sizeof(*q_r));
	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	result = pd_store_exec_sql(store,
		"SELECT recipient, raw, released_at IS NOT NULL, released_ticket,"
		" envelope->>'mail_from', envelope->>'client_address', envelope->>'client_name',"
		" envelope->>'client_helo', envelope->>'protocol'"
		" FROM quarantine WHERE id = $1::bigint",
		&params, "quarantine", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "no quarantined mail %" G_GINT64_FORMAT, id);
		return FALSE;
	}
	if (pd_store_bool(result, 0, 2)) {
		const char *ticket = pd_store_value(result, 0, 3);

		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "quarantined mail %" G_GINT64_FORMAT " was released already%s%s", id,
			    ticket != NULL ? " as ticket " : "", ticket != NULL ? ticket : "");
		return FALSE;
	}
	q_r->id = id;
	q_r->recipient = pd_store_dup(result, 0, 0);
	q_r->raw = pd_store_bytes(result, 0, 1);
	q_r->mail_from = pd_store_dup(result, 0, 4);
	q_r->client_address = pd_store_dup(result, 0, 5);
	q_r->client_name = pd_store_dup(result, 0, 6);
	q_r->client_helo = pd_store_dup(result, 0, 7);
	q_r->protocol = pd_store_dup(result, 0, 8);
	return TRUE;
}

gboolean
pd_store_quarantine_raw(PdStore *store, gint64 id, GBytes **raw_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	*raw_r = NULL;
	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	result = pd_store_exec_sql(store, "SELECT raw FROM quarantine WHERE id = $1::bigint",
				   &params, "quarantine", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "no quarantined mail %" G_GINT64_FORMAT, id);
		return FALSE;
	}
	*raw_r = pd_store_bytes(result, 0, 0);
	return TRUE;
}

/* One statement on row id that must touch it (else NOTFOUND). */
static gboolean
quarantine_touch(PdStore *store, const char *sql, gint64 id, gint64 *arg, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	if (arg != NULL) {
		if (*arg != 0)
			pd_store_param_int(&params, *arg);
		else
			pd_store_param_text(&params, NULL);
	}
	result = pd_store_exec_sql(store, sql, &params, "quarantine", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (strcmp(PQcmdTuples(result), "1") != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "no quarantined mail %" G_GINT64_FORMAT, id);
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_store_quarantine_released(PdStore *store, gint64 id, gint64 ticket_number, GError **error)
{
	return quarantine_touch(store,
		"UPDATE quarantine SET released_at = now(), released_ticket = $2::bigint"
		" WHERE id = $1::bigint", id, &ticket_number, error);
}

gboolean
pd_store_quarantine_delete(PdStore *store, gint64 id, GError **error)
{
	return quarantine_touch(store, "DELETE FROM quarantine WHERE id = $1::bigint", id, NULL,
				error);
}

gboolean
pd_store_quarantine_purge(PdStore *store, guint *count_r, GError **error)
{
	g_autoptr(PGresult) result = pd_store_exec_sql(store, "SELECT pd_quarantine_purge()", NULL,
						       "quarantine purge", error);

	*count_r = 0;
	if (result == NULL)
		return FALSE;
	*count_r = (guint)pd_store_int(result, 0, 0);
	return TRUE;
}
