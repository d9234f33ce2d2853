/* pd-store-desk: tickets worked by people; see pd-store-desk.h. */
#include "pd-store-desk.h"
#include "pd-store-private.h"
#include "core/pd-error.h"
#include "core/pd-json.h"

static void
add_list(PdJson *json, const char *key, const char *const *strings)
{
	if (strings == NULL)
		return;
	pd_json_begin_array(json, key);
	for (guint i = 0; strings[i] != NULL; i++)
		pd_json_add_string(json, NULL, strings[i]);
	pd_json_end_array(json);
}

static void
changes_members(PdJson *json, gconstpointer data)
{
	const PdTicketChanges *c = data;

	if (c->status != NULL)
		pd_json_add_string(json, "status", c->status);
	if (c->priority != NULL)
		pd_json_add_string(json, "priority", c->priority);
	if (c->category != NULL)
		pd_json_add_string(json, "category", c->category);
	if (c->queue != NULL)
		pd_json_add_string(json, "queue", c->queue);
	if (c->assign != NULL)
		pd_json_add_string(json, "assign", c->assign);
	add_list(json, "tag", c->tags);
	add_list(json, "untag", c->untags);
}

/* One pd_desk_* call; its first value in *value_r (may be NULL). */
static gboolean
desk_call(PdStore *store, const char *sql, PdStoreParams *params, const char *what,
	  char **value_r, GError **error)
{
	PGresult *result = pd_store_exec_admin(store, sql, params, what, error);

	pd_store_params_clear(params);
	if (result == NULL)
		return FALSE;
	if (value_r != NULL)
		*value_r = PQntuples(result) > 0 ? pd_store_dup(result, 0, 0) : NULL;
	PQclear(result);
	return TRUE;
}

gboolean
pd_store_ticket_set(PdStore *store, const char *actor, gint64 number,
		    const PdTicketChanges *changes, char **changes_r, GError **error)
{
	PdStoreParams params;

	g_return_val_if_fail(store != NULL && actor != NULL && changes != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_int(&params, number);
	pd_store_param_take_text(&params, pd_json_object(changes_members, changes));
	return desk_call(store, "SELECT pd_desk_ticket_set($1, $2, $3::jsonb)", &params,
			 "ticket set", changes_r, error);
}

gboolean
pd_store_ticket_note(PdStore *store, const char *actor, gint64 number, const char *agent,
		     const char *text, gint64 *message_row_r, GError **error)
{
	PdStoreParams params;
	g_autofree char *row = NULL;

	g_return_val_if_fail(store != NULL && actor != NULL && text != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_int(&params, number);
	pd_store_param_text(&params, agent);
	pd_store_param_text(&params, text);
	if (!desk_call(store, "SELECT pd_desk_ticket_note($1, $2, $3, $4)", &params,
		       "ticket note", &row, error))
		return FALSE;
	if (message_row_r != NULL)
		*message_row_r = row != NULL ? g_ascii_strtoll(row, NULL, 10) : 0;
	return TRUE;
}

gboolean
pd_store_ticket_reply(PdStore *store, const char *actor, gint64 number,
		      const PdTicketReply *reply, char **relayed_r, GError **error)
{
	PdStoreParams params;

	g_return_val_if_fail(store != NULL && actor != NULL && reply != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_int(&params, number);
	pd_store_param_text(&params, reply->agent);
	pd_store_param_text(&params, reply->text != NULL ? reply->text : "");
	pd_store_param_text(&params, reply->template_name);
	pd_store_param_text(&params, reply->reply);
	pd_store_param_text(&params, reply->envelope_from);
	return desk_call(store,
			 "SELECT (SELECT string_agg(a, ', ') FROM jsonb_array_elements_text("
			 " pd_desk_ticket_reply($1, $2, $3, $4, $5, $6, $7)->'relayed_to') a)",
			 &params, "ticket reply", relayed_r, error);
}

gboolean
pd_store_ticket_merge(PdStore *store, const char *actor, gint64 from, gint64 into,
		      char **result_r, GError **error)
{
	PdStoreParams params;

	g_return_val_if_fail(store != NULL && actor != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_int(&params, from);
	pd_store_param_int(&params, into);
	return desk_call(store, "SELECT pd_desk_ticket_merge($1, $2, $3)", &params,
			 "ticket merge", result_r, error);
}

gboolean
pd_store_ticket_participant(PdStore *store, const char *actor, gint64 number,
			    const char *address, gboolean add, GError **error)
{
	PdStoreParams params;

	g_return_val_if_fail(store != NULL && actor != NULL && address != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_int(&params, number);
	pd_store_param_text(&params, address);
	pd_store_param_bool(&params, add);
	return desk_call(store, "SELECT pd_desk_ticket_participant($1, $2, $3, $4)", &params,
			 add ? "participant add" : "participant remove", NULL, error);
}
