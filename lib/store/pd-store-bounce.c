/* pd-store-bounce: a bounce into pd_bounce_record (see the header and
 * sql/functions/bounce.sql).  Every value is a bound parameter.
 */
#include "pd-store-private.h"
#include "store/pd-store-bounce.h"
#include "core/pd-error.h"

#include <string.h>

void
pd_bounce_result_clear(PdBounceResult *result)
{
	if (result == NULL)
		return;
	g_free(result->failing);
	g_free(result->counted);
	memset(result, 0, sizeof(*result));
}

void
pd_store_bounce_recipients_json(PdJson *json, const char *key, const PdDsn *dsn)
{
	pd_json_begin_array(json, key);
	for (guint i = 0; dsn != NULL && i < dsn->recipients->len; i++) {
		const PdDsnRecipient *r = dsn->recipients->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "address", r->address);
		pd_json_add_string(json, "original", r->original);
		pd_json_add_string(json, "action", r->action);
		pd_json_add_string(json, "status", r->status);
		if (r->reply_code > 0)
			pd_json_add_int(json, "reply_code", r->reply_code);
		else
			pd_json_add_null(json, "reply_code");
		pd_json_add_string(json, "diagnostic", r->diagnostic);
		pd_json_add_string(json, "remote_mta", r->remote_mta);
		pd_json_add_string(json, "kind", pd_dsn_kind_name(r->kind));
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
}

void
pd_store_bounce_report_json(PdJson *json, const char *key, const PdDsn *dsn)
{
	if (dsn == NULL) {
		pd_json_add_null(json, key);
		return;
	}
	pd_json_begin_object(json, key);
	pd_json_add_bool(json, "standard", dsn->standard);
	pd_json_add_string(json, "feedback_type", dsn->feedback_type);
	pd_json_add_string(json, "returned_message_id", dsn->returned_message_id);
	pd_store_bounce_recipients_json(json, "recipients", dsn);
	pd_json_end_object(json);
}

static void
record_members(PdJson *json, gconstpointer data)
{
	const PdBounceRecord *r = data;

	pd_json_add_string(json, "recipient", r->recipient);
	pd_json_add_string(json, "envelope_from", r->envelope_from != NULL ? r->envelope_from : "");
	pd_json_add_string(json, "message_id", r->message_id);
	pd_json_add_string(json, "idempotency_key", r->idempotency_key);
	pd_json_add_string(json, "kind", r->kind);
	if (r->outbound_id > 0)
		pd_json_add_int(json, "outbound_id", r->outbound_id);
	else
		pd_json_add_null(json, "outbound_id");
	pd_json_add_string(json, "matched_by", r->matched_by);
	pd_json_add_string(json, "unmatched", r->unmatched);
	pd_json_add_int(json, "failing_days", r->failing_days);
	pd_store_bounce_report_json(json, "report", r->dsn);
}

gboolean
pd_store_bounce_record(PdStore *store, const PdBounceRecord *record, PdBounceResult *result_r,
		       GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;
	gsize len = 0;
	const void *data = g_bytes_get_data(record->raw, &len);

	g_return_val_if_fail(store != NULL && record->recipient != NULL &&
			     record->idempotency_key != NULL && record->kind != NULL, FALSE);
	memset(result_r, 0, sizeof(*result_r));
	pd_store_params_init(&params);
	pd_store_param_take_text(&params, pd_json_object(record_members, record));
	pd_store_param_binary(&params, data != NULL ? data : "", len);
	/* one statement: its own transaction */
	result = pd_store_exec_sql(store,
		"SELECT (r->>'bounce_id')::bigint, (r->>'duplicate')::boolean,"
		" (r->>'outbound_id')::bigint, (r->>'ticket_id')::bigint,"
		" nullif(array_to_string(ARRAY(SELECT jsonb_array_elements_text(r->'failing')),"
		"  ', '), ''),"
		" nullif(array_to_string(ARRAY(SELECT jsonb_array_elements_text(r->'counted')),"
		"  ', '), '')"
		" FROM pd_bounce_record($1::jsonb, $2::bytea) r",
		&params, "bounce", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		pd_store_set_error(store, result, "bounce", error);
		return FALSE;
	}
	result_r->bounce_id = pd_store_int(result, 0, 0);
	result_r->duplicate = pd_store_bool(result, 0, 1);
	result_r->outbound_id = pd_store_value(result, 0, 2) != NULL ? pd_store_int(result, 0, 2) : 0;
	result_r->ticket_id = pd_store_value(result, 0, 3) != NULL ? pd_store_int(result, 0, 3) : 0;
	result_r->failing = pd_store_dup(result, 0, 4);
	result_r->counted = pd_store_dup(result, 0, 5);
	return TRUE;
}

gboolean
pd_store_bounce_hold_failing(PdStore *store, guint *count_r, GError **error)
{
	g_autoptr(PGresult) result = pd_store_exec_sql(store, "SELECT pd_bounce_hold_failing()",
						      NULL, "bounce hold", error);

	if (result == NULL)
		return FALSE;
	if (count_r != NULL)
		*count_r = PQntuples(result) == 1 ? (guint)pd_store_int(result, 0, 0) : 0;
	return TRUE;
}

gboolean
pd_store_bounce_clear(PdStore *store, const char *address, const char *actor, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, address);
	pd_store_param_text(&params, actor);
	result = pd_store_exec_sql(store, "SELECT pd_bounce_clear($1, $2)", &params,
				   "address clear", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (!pd_store_bool(result, 0, 0)) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "%s is not failing", address);
		return FALSE;
	}
	return TRUE;
}
