/* pd-store-outbound: the outbound queue's SQL (see pd-store-outbound.h).
 *
 * The statements here run a few times per mail sent, not per mail
 * received, so they are plain parameterized statements (PQexecParams),
 * not prepared ones.  Every state change is one statement (UPDATE ...
 * RETURNING feeding an INSERT INTO events), so the row and its event
 * commit together.
 */
#include "pd-store-outbound.h"
#include "pd-store-private.h"
#include "core/pd-error.h"

#include <string.h>

#define ROW_COLUMNS \
	"o.id, o.ticket_id, t.number, o.message_row, o.kind, o.template, o.queue, o.lang," \
	" array_to_string(o.recipients, E'\\n'), o.recipient_name, o.envelope_from," \
	" o.auto_reply, o.status, o.attempts, o.message_id, o.message, m.message_id," \
	" array_to_string(m.reference_ids, E'\\n'), o.claimed_by, o.last_error," \
	" extract(epoch FROM o.next_attempt_at)::bigint," \
	" extract(epoch FROM o.sent_at)::bigint, extract(epoch FROM o.created_at)::bigint," \
	" extract(epoch FROM o.updated_at)::bigint"
#define ROW_JOINS \
	" LEFT JOIN tickets t ON t.id = o.ticket_id LEFT JOIN messages m ON m.id = o.message_row"

void
pd_outbound_row_free(PdOutboundRow *row)
{
	if (row == NULL)
		return;
	g_free(row->kind);
	g_free(row->template_name);
	g_free(row->queue);
	g_free(row->lang);
	g_clear_pointer(&row->recipients, g_ptr_array_unref);
	g_free(row->recipient_name);
	g_free(row->envelope_from);
	g_free(row->status);
	g_free(row->message_id);
	g_clear_pointer(&row->message, g_bytes_unref);
	g_free(row->in_reply_to);
	g_clear_pointer(&row->references, g_ptr_array_unref);
	g_clear_pointer(&row->values, g_hash_table_unref);
	g_free(row->claimed_by);
	g_free(row->last_error);
	g_free(row);
}

/* Lines of a text value as a string array (NULL value: empty). */
static GPtrArray *
lines_array(const char *text)
{
	GPtrArray *array = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = NULL;

	if (text == NULL || *text == '\0')
		return array;
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL; l++)
		g_ptr_array_add(array, g_strdup(*l));
	return array;
}

static PdOutboundRow *
row_from_result(const PGresult *result, int r)
{
	PdOutboundRow *row = g_new0(PdOutboundRow, 1);

	row->id = pd_store_int(result, r, 0);
	row->ticket_id = pd_store_int(result, r, 1);
	row->ticket_number = pd_store_int(result, r, 2);
	row->message_row = pd_store_int(result, r, 3);
	row->kind = pd_store_dup(result, r, 4);
	row->template_name = pd_store_dup(result, r, 5);
	row->queue = pd_store_dup(result, r, 6);
	row->lang = pd_store_dup(result, r, 7);
	row->recipients = lines_array(pd_store_value(result, r, 8));
	row->recipient_name = pd_store_dup(result, r, 9);
	row->envelope_from = pd_store_dup(result, r, 10);
	row->auto_reply = pd_store_bool(result, r, 11);
	row->status = pd_store_dup(result, r, 12);
	row->attempts = (int)pd_store_int(result, r, 13);
	row->message_id = pd_store_dup(result, r, 14);
	row->message = pd_store_bytes(result, r, 15);
	row->in_reply_to = pd_store_dup(result, r, 16);
	row->references = lines_array(pd_store_value(result, r, 17));
	if (row->in_reply_to != NULL)
		g_ptr_array_add(row->references, g_strdup(row->in_reply_to));
	row->claimed_by = pd_store_dup(result, r, 18);
	row->last_error = pd_store_dup(result, r, 19);
	row->next_attempt_at = pd_store_int(result, r, 20);
	row->sent_at = pd_store_int(result, r, 21);
	row->created_at = pd_store_int(result, r, 22);
	row->updated_at = pd_store_int(result, r, 23);
	return row;
}

static gboolean
load_values(PdStore *store, PdOutboundRow *row, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	pd_store_params_init(&params);
	pd_store_param_int(&params, row->id);
	result = pd_store_exec_sql(store,
				   "SELECT key, value FROM jsonb_each_text(pd_outbound_values($1))",
				   &params, "outbound values", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	row->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (int i = 0; i < PQntuples(result); i++)
		g_hash_table_replace(row->values, pd_store_dup(result, i, 0),
				     pd_store_dup(result, i, 1));
	return TRUE;
}

gboolean
pd_store_outbound_claim(PdStore *store, const char *instance, guint lease_seconds, guint max,
			GPtrArray **rows_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)pd_outbound_row_free);

	g_return_val_if_fail(store != NULL && instance != NULL && rows_r != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_text(&params, instance);
	pd_store_param_int(&params, lease_seconds);
	pd_store_param_int(&params, max);
	result = pd_store_exec_sql(store,
		"WITH c AS (UPDATE outbound o SET status = 'sending', attempts = o.attempts + 1,"
		"  claimed_by = $1, claimed_at = now(),"
		"  lease_until = now() + make_interval(secs => $2::integer), updated_at = now()"
		" WHERE o.id IN (SELECT id FROM outbound WHERE status = 'queued'"
		"  AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT $3::integer"
		"  FOR UPDATE SKIP LOCKED)"
		" RETURNING o.*)"
		" SELECT " ROW_COLUMNS " FROM c o" ROW_JOINS " ORDER BY o.id",
		&params, "outbound claim", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(result); i++)
		g_ptr_array_add(rows, row_from_result(result, i));
	for (guint i = 0; i < rows->len; i++)
		if (!load_values(store, rows->pdata[i], error))
			return FALSE;	/* the rows stay "sending" until their lease ends */
	*rows_r = g_steal_pointer(&rows);
	return TRUE;
}

gboolean
pd_store_outbound_recover(PdStore *store, guint *count_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	pd_store_params_init(&params);
	result = pd_store_exec_sql(store,
		/* Never rendered: never handed to a relay (the bytes are
		 * stored before the SMTP transaction), so it goes back to the
		 * queue without using up the attempt. */
		"WITH u AS (UPDATE outbound SET lease_until = NULL, updated_at = now(),"
		"  status = CASE WHEN message IS NULL THEN 'queued' ELSE 'failed' END,"
		"  attempts = CASE WHEN message IS NULL THEN greatest(attempts - 1, 0)"
		"   ELSE attempts END,"
		"  last_error = CASE WHEN message IS NULL THEN 'the sender (' || claimed_by ||"
		"   ') stopped before rendering it' ELSE"
		"  'outcome unknown: the sender (' || claimed_by || ') stopped during"
		" the SMTP transaction of attempt ' || attempts || '; not resent automatically so"
		" the recipient gets no duplicate (postdesk outbound retry sends it again)' END"
		" WHERE status = 'sending' AND lease_until < now()"
		" RETURNING id, ticket_id, status, last_error)"
		" INSERT INTO events (ticket_id, kind, detail)"
		" SELECT ticket_id, CASE status WHEN 'failed' THEN 'outbound.unknown'"
		"  ELSE 'outbound.requeued' END, jsonb_build_object('id', id, 'error', last_error)"
		" FROM u RETURNING kind",
		&params, "outbound recover", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (count_r != NULL) {
		*count_r = 0;
		for (int i = 0; i < PQntuples(result); i++)
			if (g_strcmp0(pd_store_value(result, i, 0), "outbound.unknown") == 0)
				(*count_r)++;
	}
	return TRUE;
}

gboolean
pd_store_outbound_prune_ledger(PdStore *store, guint keep_seconds, guint *count_r,
			       GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	pd_store_params_init(&params);
	pd_store_param_int(&params, keep_seconds);
	result = pd_store_exec_sql(store, "DELETE FROM autoreply_ledger"
				   " WHERE sent_at < now() - make_interval(secs => $1::integer)",
				   &params, "autoreply ledger", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (count_r != NULL)
		*count_r = (guint)g_ascii_strtoull(PQcmdTuples(result), NULL, 10);
	return TRUE;
}

gboolean
pd_store_outbound_set_message(PdStore *store, gint64 id, const char *instance,
			      const char *message_id, GBytes *message, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	gsize len = 0;
	const void *data = g_bytes_get_data(message, &len);

	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	pd_store_param_text(&params, instance);
	pd_store_param_text(&params, message_id);
	pd_store_param_binary(&params, data != NULL ? data : "", len);
	result = pd_store_exec_sql(store,
		"UPDATE outbound SET message_id = $3, message = $4, updated_at = now()"
		" WHERE id = $1 AND status = 'sending' AND claimed_by = $2",
		&params, "outbound message", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (strcmp(PQcmdTuples(result), "1") != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "outbound %" G_GINT64_FORMAT " is no longer claimed by this sender", id);
		return FALSE;
	}
	return TRUE;
}

gboolean
pd_store_outbound_original(PdStore *store, gint64 message_row, gsize max_size, GBytes **raw_r,
			   GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	g_return_val_if_fail(store != NULL && raw_r != NULL, FALSE);

	*raw_r = NULL;
	pd_store_params_init(&params);
	pd_store_param_int(&params, message_row);
	pd_store_param_int(&params, (gint64)MIN(max_size, (gsize)G_MAXINT64));
	result = pd_store_exec_sql(store,
		"SELECT r.data FROM messages m JOIN raw_messages r ON r.sha256 = m.raw_sha256"
		" WHERE m.id = $1 AND r.size <= $2::bigint",
		&params, "outbound original", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 1)
		*raw_r = pd_store_bytes(result, 0, 0);
	return TRUE;
}

void
pd_outbound_file_free(PdOutboundFile *file)
{
	if (file == NULL)
		return;
	g_free(file->filename);
	g_free(file->content_type);
	g_clear_pointer(&file->content, g_bytes_unref);
	g_free(file);
}

gboolean
pd_store_outbound_attachments(PdStore *store, gint64 id, GPtrArray **files_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(
		(GDestroyNotify)pd_outbound_file_free);

	g_return_val_if_fail(store != NULL && files_r != NULL, FALSE);

	*files_r = NULL;
	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	result = pd_store_exec_sql(store,
		"SELECT f->>'sha256', f->>'filename', f->>'content_type' FROM outbound o,"
		" jsonb_array_elements(coalesce(o.attachments, '[]')) WITH ORDINALITY AS a (f, n)"
		" WHERE o.id = $1 ORDER BY a.n",
		&params, "outbound attachments", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(result); i++) {
		PdOutboundFile *file = g_new0(PdOutboundFile, 1);

		g_ptr_array_add(files, file);
		file->filename = pd_store_dup(result, i, 1);
		file->content_type = pd_store_dup(result, i, 2);
		if (!pd_store_attachment_get(store, pd_store_value(result, i, 0), &file->content,
					     error))
			return FALSE;
	}
	*files_r = g_steal_pointer(&files);
	return TRUE;
}

/* One outcome: an UPDATE of our claimed row and its event, one statement. */
static gboolean
record(PdStore *store, gint64 id, const char *set_sql, const char *instance, const char *reply,
       gint64 delay, gint64 max_attempts, gboolean count_attempt, char **status_r,
       GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	g_autofree char *sql = NULL;

	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	pd_store_param_text(&params, instance);
	pd_store_param_text(&params, reply);
	pd_store_param_int(&params, delay);
	pd_store_param_int(&params, max_attempts);
	pd_store_param_bool(&params, count_attempt);
	sql = g_strconcat(
		"WITH u AS (UPDATE outbound SET ", set_sql, ", last_error = $3,"
		"  lease_until = NULL, updated_at = now()"
		" WHERE id = $1 AND status = 'sending' AND claimed_by = $2"
		" AND $4::integer >= 0 AND $5::integer >= 0 AND $6::boolean IS NOT NULL"
		" RETURNING id, ticket_id, status, attempts, message_id)"
		" INSERT INTO events (ticket_id, kind, detail)"
		" SELECT ticket_id, CASE status WHEN 'queued' THEN 'outbound.deferred'"
		"  ELSE 'outbound.' || status END, jsonb_build_object('id', id,"
		"  'attempts', attempts, 'message_id', message_id, 'reply', $3::text) FROM u"
		" RETURNING detail->>'id', kind", NULL);
	result = pd_store_exec_sql(store, sql, &params, "outbound result", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "outbound %" G_GINT64_FORMAT " is no longer claimed by this sender", id);
		return FALSE;
	}
	if (status_r != NULL)
		*status_r = g_strdup(pd_store_value(result, 0, 1) + strlen("outbound."));
	return TRUE;
}

gboolean
pd_store_outbound_sent(PdStore *store, gint64 id, const char *instance, const char *reply,
		       GError **error)
{
	return record(store, id, "status = 'sent', sent_at = now()", instance, reply, 0, 0, TRUE,
		      NULL, error);
}

gboolean
pd_store_outbound_failed(PdStore *store, gint64 id, const char *instance, const char *reply,
			 GError **error)
{
	return record(store, id, "status = 'failed'", instance, reply, 0, 0, TRUE, NULL, error);
}

gboolean
pd_store_outbound_deferred(PdStore *store, gint64 id, const char *instance, const char *reply,
			   guint delay_seconds, gboolean count_attempt, guint max_attempts,
			   gboolean *failed_r, GError **error)
{
	g_autofree char *status = NULL;

	if (!record(store, id,
		    "attempts = CASE WHEN $6 THEN attempts ELSE greatest(attempts - 1, 0) END,"
		    " status = CASE WHEN $6 AND attempts >= $5 THEN 'failed' ELSE 'queued' END,"
		    " next_attempt_at = now() + make_interval(secs => $4::integer)",
		    instance, reply, delay_seconds, max_attempts, count_attempt, &status, error))
		return FALSE;
	if (failed_r != NULL)
		*failed_r = g_strcmp0(status, "failed") == 0;
	return TRUE;
}

gboolean
pd_store_outbound_list(PdStore *store, const char *status, guint limit, GPtrArray **rows_r,
		       GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	GPtrArray *rows;

	pd_store_params_init(&params);
	pd_store_param_text(&params, status);
	pd_store_param_int(&params, limit);
	result = pd_store_exec_sql(store,
		"SELECT " ROW_COLUMNS " FROM outbound o" ROW_JOINS
		" WHERE ($1::text IS NULL OR o.status = $1) ORDER BY o.id DESC LIMIT $2::integer",
		&params, "outbound list", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	rows = g_ptr_array_new_with_free_func((GDestroyNotify)pd_outbound_row_free);
	for (int i = 0; i < PQntuples(result); i++)
		g_ptr_array_add(rows, row_from_result(result, i));
	*rows_r = rows;
	return TRUE;
}

gboolean
pd_store_outbound_get(PdStore *store, gint64 id, PdOutboundRow **row_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	result = pd_store_exec_sql(store, "SELECT " ROW_COLUMNS " FROM outbound o" ROW_JOINS
				   " WHERE o.id = $1", &params, "outbound show", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "no outbound mail %" G_GINT64_FORMAT, id);
		return FALSE;
	}
	*row_r = row_from_result(result, 0);
	return TRUE;
}

/* retry/cancel: one statement; the row's old status says why it refused. */
static gboolean
operator_change(PdStore *store, gint64 id, const char *actor, const char *sql, const char *verb,
		GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	g_autoptr(PdOutboundRow) row = NULL;

	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	pd_store_param_text(&params, actor);
	result = pd_store_exec_sql(store, sql, &params, verb, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 1)
		return TRUE;
	if (!pd_store_outbound_get(store, id, &row, error))
		return FALSE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "outbound %" G_GINT64_FORMAT " is %s: cannot %s it", id, row->status, verb);
	return FALSE;
}

gboolean
pd_store_outbound_retry(PdStore *store, gint64 id, const char *actor, GError **error)
{
	return operator_change(store, id, actor,
		"WITH u AS (UPDATE outbound SET status = 'queued', attempts = 0,"
		"  next_attempt_at = now(), updated_at = now()"
		" WHERE id = $1 AND status IN ('queued', 'failed', 'cancelled')"
		" RETURNING id, ticket_id, last_error)"
		" INSERT INTO events (ticket_id, actor, kind, detail)"
		" SELECT ticket_id, $2, 'outbound.retry', jsonb_build_object('id', id,"
		"  'last_error', last_error) FROM u RETURNING id",
		"retry", error);
}

gboolean
pd_store_outbound_cancel(PdStore *store, gint64 id, const char *actor, GError **error)
{
	return operator_change(store, id, actor,
		"WITH u AS (UPDATE outbound SET status = 'cancelled', updated_at = now()"
		" WHERE id = $1 AND status IN ('queued', 'failed') RETURNING id, ticket_id)"
		" INSERT INTO events (ticket_id, actor, kind, detail)"
		" SELECT ticket_id, $2, 'outbound.cancelled', jsonb_build_object('id', id)"
		" FROM u RETURNING id",
		"cancel", error);
}

void
pd_notify_target_free(PdNotifyTarget *target)
{
	if (target == NULL)
		return;
	g_free(target->kind);
	g_free(target->address);
	g_free(target->name);
	g_free(target->why);
	g_free(target);
}

void
pd_ack_decision_clear(PdAckDecision *decision)
{
	g_clear_pointer(&decision->template, g_free);
	g_clear_pointer(&decision->reason, g_free);
	g_clear_pointer(&decision->holder, g_free);
	g_clear_pointer(&decision->holder_why, g_free);
}

gboolean
pd_store_ack_decide(PdStore *store, gboolean new_ticket, const PdAckRequest *request,
		    const char *identity, PdAckDecision *decision_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	g_return_val_if_fail(store != NULL && decision_r != NULL, FALSE);

	memset(decision_r, 0, sizeof(*decision_r));
	pd_store_params_init(&params);
	pd_store_param_bool(&params, new_ticket);
	pd_store_param_take_text(&params, pd_ack_request_json(request));
	pd_store_param_text(&params, identity);
	result = pd_store_exec_sql(store,
		"SELECT d.template, d.reason, d.holder, d.holder_why FROM pd_ack_decide("
		" $1::boolean, $2::jsonb, $3::jsonb) d",
		&params, "acknowledgement decision", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 1) {
		decision_r->template = pd_store_dup(result, 0, 0);
		decision_r->reason = pd_store_dup(result, 0, 1);
		decision_r->holder = pd_store_dup(result, 0, 2);
		decision_r->holder_why = pd_store_dup(result, 0, 3);
	}
	return TRUE;
}

static void
agent_verdict_free(PdAgentVerdict *v)
{
	g_free(v->command);
	g_free(v->argument);
	g_free(v->refused);
	g_free(v);
}

void
pd_agent_decision_clear(PdAgentDecision *decision)
{
	g_clear_pointer(&decision->decision, g_free);
	g_clear_pointer(&decision->why, g_free);
	g_clear_pointer(&decision->relay_to, g_free);
	g_clear_pointer(&decision->commands, g_ptr_array_unref);
}

gboolean
pd_store_agent_decide(PdStore *store, gint64 ticket_number, const char *message_id,
		      const char *identity, const char *answer, PdAgentDecision *decision_r,
		      GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	g_return_val_if_fail(store != NULL && decision_r != NULL, FALSE);

	memset(decision_r, 0, sizeof(*decision_r));
	pd_store_params_init(&params);
	pd_store_param_int(&params, ticket_number);
	pd_store_param_text(&params, message_id);
	pd_store_param_text(&params, identity);
	pd_store_param_text(&params, answer);
	/* one row per command (one row without a command) */
	result = pd_store_exec_sql(store,
		"SELECT d.decision, d.why, (SELECT string_agg(r->>'address', ', ')"
		"  FROM jsonb_array_elements(d.relay_to) r),"
		" c.c->>'command', c.c->>'argument', c.c->>'refused'"
		" FROM pd_agent_answer_decide((SELECT id FROM tickets WHERE number = $1::bigint),"
		"  NULL, $2, $1::bigint = 0, $3::jsonb, $4::jsonb) d"
		" LEFT JOIN LATERAL jsonb_array_elements(d.commands) WITH ORDINALITY c (c, n)"
		"  ON true ORDER BY c.n",
		&params, "agent answer decision", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	decision_r->commands = g_ptr_array_new_with_free_func((GDestroyNotify)agent_verdict_free);
	for (int i = 0; i < PQntuples(result); i++) {
		PdAgentVerdict *v;

		if (i == 0) {
			decision_r->decision = pd_store_dup(result, 0, 0);
			decision_r->why = pd_store_dup(result, 0, 1);
			decision_r->relay_to = pd_store_dup(result, 0, 2);
		}
		if (pd_store_value(result, i, 3) == NULL)
			continue;
		v = g_new0(PdAgentVerdict, 1);
		v->command = pd_store_dup(result, i, 3);
		v->argument = pd_store_dup(result, i, 4);
		v->refused = pd_store_dup(result, i, 5);
		g_ptr_array_add(decision_r->commands, v);
	}
	return TRUE;
}

gboolean
pd_store_notify_plan(PdStore *store, gint64 ticket_number, const PdNotifyRequest *request,
		     const char *identity, GPtrArray **targets_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	GPtrArray *targets;

	g_return_val_if_fail(store != NULL && targets_r != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_int(&params, ticket_number);
	pd_store_param_take_text(&params, pd_notify_request_json(request));
	pd_store_param_text(&params, identity);
	result = pd_store_exec_sql(store,
		"SELECT p.kind, p.address, p.name, p.why FROM pd_notify_plan("
		" (SELECT id FROM tickets WHERE number = $1::bigint), $1::bigint = 0,"
		" $2::jsonb, $3::jsonb) p",
		&params, "notify plan", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	targets = g_ptr_array_new_with_free_func((GDestroyNotify)pd_notify_target_free);
	for (int i = 0; i < PQntuples(result); i++) {
		PdNotifyTarget *t = g_new0(PdNotifyTarget, 1);

		t->kind = pd_store_dup(result, i, 0);
		t->address = pd_store_dup(result, i, 1);
		t->name = pd_store_dup(result, i, 2);
		t->why = pd_store_dup(result, i, 3);
		g_ptr_array_add(targets, t);
	}
	*targets_r = targets;
	return TRUE;
}
