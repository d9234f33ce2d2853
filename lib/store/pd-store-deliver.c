/* pd-store-deliver: one inbound message into the database, all or nothing.
 *
 * The whole delivery (idempotency check, threading, ticket, raw bytes,
 * parsed fields, attachments, participants, events) is one call of the SQL
 * function pd_deliver_inbound (sql/functions/deliver.sql) through a
 * prepared statement: one round trip, one transaction, one COMMIT.  Bulk values
 * (raw bytes, attachment contents, address lists) travel in PostgreSQL's
 * binary format, so nothing is escaped and nothing is parsed twice.  An
 * attachment that is a span of the raw bytes (PdMailAttachment.raw_*)
 * travels as that span, not as bytes: stored once, in the raw message
 * (message_attachments, sql/0001_baseline.sql).  The parameters are built in
 * pd-store-deliver-params.c.
 *
 * A parameter the server refuses as data (SQLSTATE class 22) is sent
 * blank on the next try, with a warning on the message: the one the error
 * names, else all that carry peer data.  So such mail is stored (its raw
 * bytes whole) instead of being deferred for ever.
 *
 * Never decides policy: the idempotency key and the thread candidates come
 * from pd-ticket, the queue from the configuration.
 */
#include "pd-store-private.h"
#include "core/pd-error.h"
#include "core/pd-log.h"

#include <string.h>

#define SQLSTATE_UNIQUE_VIOLATION "23505"
#define SQLSTATE_SERIALIZATION "40001"
#define SQLSTATE_DEADLOCK "40P01"
#define IDEMPOTENCY_CONSTRAINT "messages_idempotency_key_key"
#define MAX_ATTEMPTS 3

void
pd_delivery_result_clear(PdDeliveryResult *result)
{
	if (result == NULL)
		return;
	g_clear_pointer(&result->thread_reason, g_free);
	memset(result, 0, sizeof(*result));
}

gboolean
pd_store_thread_decide(PdStore *store, GPtrArray *thread_candidates, const char *in_reply_to,
		       const char *from, GPtrArray *thread, gint64 *ticket_number_r,
		       char **reason_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	const char *refused, *action, *reopen_days;

	g_return_val_if_fail(store != NULL && ticket_number_r != NULL && reason_r != NULL, FALSE);

	*ticket_number_r = 0;
	*reason_r = NULL;
	pd_store_params_init(&params);
	pd_store_param_take_binary(&params, pd_store_text_array(thread_candidates));
	pd_store_param_text(&params, in_reply_to);
	pd_store_param_text(&params, from);
	pd_store_param_text_array(&params, thread);
	result = pd_store_exec(store, PD_STMT_THREAD_DECIDE, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1 || pd_store_value(result, 0, 0) == NULL) {
		refused = PQntuples(result) == 1 ? pd_store_value(result, 0, 2) : NULL;
		if (refused != NULL && strcmp(refused, "[]") != 0)
			*reason_r = g_strdup_printf("new ticket (refused: %s)", refused);
		else
			*reason_r = g_strdup("new ticket");
		return TRUE;
	}
	reopen_days = pd_store_value(result, 0, 5);
	action = pd_store_value(result, 0, 3);
	if (g_strcmp0(action, "link") == 0) {
		/* a new ticket, linked to the old one */
		*reason_r = g_strdup_printf("new ticket linked to %s (%s; %s more than %s days ago)",
					    pd_store_value(result, 0, 0),
					    pd_store_value(result, 0, 1), pd_store_value(result, 0, 4),
					    reopen_days != NULL ? reopen_days : "14");
		return TRUE;
	}
	*ticket_number_r = pd_store_int(result, 0, 0);
	if (g_strcmp0(action, "reopen") == 0)
		*reason_r = g_strdup_printf("%s; reopens it (%s)", pd_store_value(result, 0, 1),
					    pd_store_value(result, 0, 4));
	else
		*reason_r = g_strdup(pd_store_value(result, 0, 1));
	return TRUE;
}

gboolean
pd_store_authorization_explain(PdStore *store, gint64 ticket_number, const char *identity_json,
			       GPtrArray *thread, const char *answer, GPtrArray *ack_request,
			       char **action_r, char **detail_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	g_return_val_if_fail(store != NULL && action_r != NULL && detail_r != NULL, FALSE);

	*action_r = *detail_r = NULL;
	pd_store_params_init(&params);
	if (ticket_number > 0)
		pd_store_param_int(&params, ticket_number);
	else
		pd_store_param_text(&params, NULL);
	pd_store_param_text(&params, identity_json);
	pd_store_param_text_array(&params, thread);
	pd_store_param_text(&params, answer);
	pd_store_param_text_array(&params, ack_request);
	result = pd_store_exec(store, PD_STMT_AUTHORIZATION_EXPLAIN, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 1) {
		*action_r = pd_store_dup(result, 0, 0);
		*detail_r = pd_store_dup(result, 0, 1);
	}
	return TRUE;
}

/* The original delivery of a key another transaction just committed. */
static gboolean
fetch_duplicate(PdStore *store, const char *key, PdDeliveryResult *result_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	pd_store_params_init(&params);
	pd_store_param_text(&params, key);
	result = pd_store_exec(store, PD_STMT_DUPLICATE, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "database error: idempotency key conflict without a stored message");
		return FALSE;
	}
	result_r->ticket_id = pd_store_int(result, 0, 0);
	result_r->ticket_number = pd_store_int(result, 0, 1);
	result_r->message_row = pd_store_int(result, 0, 2);
	result_r->duplicate = TRUE;
	result_r->thread_reason = g_strdup("duplicate");
	return TRUE;
}

/* A data exception (SQLSTATE class 22: invalid byte sequence, value out of
 * range, ...): the input, not the database, is at fault, and trying again
 * later would fail the same way. */
static gboolean
is_data_exception(const char *sqlstate)
{
	return sqlstate != NULL && strncmp(sqlstate, "22", 2) == 0;
}

/* What to send blank after a data exception: the parameter the server
 * named, else every one that carries peer data; FALSE when nothing more
 * can go blank. */
static gboolean
blank_more(const PdStoreFailure *failure, const char *detail, guint64 *blank,
	   GPtrArray *store_warnings)
{
	int n = failure->parameter;
	guint64 bit = n > 0 ? G_GUINT64_CONSTANT(1) << (n - 1) : 0;
	g_autofree char *valid = g_utf8_make_valid(detail, -1);

	if (pd_store_deliver_param_blankable(n) && (*blank & bit) == 0) {
		*blank |= bit;
		g_ptr_array_add(store_warnings,
				g_strdup_printf("store: %s refused by the database (%s), left blank",
						pd_store_deliver_param_name(n), valid));
		return TRUE;
	}
	if (*blank == pd_store_deliver_blank_all())
		return FALSE;
	*blank = pd_store_deliver_blank_all();
	g_ptr_array_add(store_warnings,
			g_strdup_printf("store: the database refused the parsed fields (%s); "
					"stored raw, the parsed fields left blank", valid));
	return TRUE;
}

gboolean
pd_store_deliver_inbound(PdStore *store, const PdInbound *inbound, PdDeliveryResult *result_r,
			 GError **error)
{
	PdStoreParams params;
	char raw_sha256[65];
	PGresult *result = NULL;
	guint64 blank = 0;
	g_autoptr(GPtrArray) store_warnings = g_ptr_array_new_with_free_func(g_free);

	g_return_val_if_fail(store != NULL && inbound != NULL && result_r != NULL, FALSE);
	g_return_val_if_fail(inbound->mail != NULL && inbound->raw != NULL, FALSE);
	g_return_val_if_fail(inbound->idempotency_key != NULL && inbound->queue != NULL, FALSE);

	memset(result_r, 0, sizeof(*result_r));
	pd_store_params_init(&params);
	pd_store_deliver_params(&params, inbound, blank, store_warnings, raw_sha256);
	for (int attempt = 1; result == NULL; attempt++) {
		g_autoptr(GError) local = NULL;
		PdStoreFailure failure = { 0 };

		result = pd_store_exec_failure(store, PD_STMT_DELIVER, &params, &failure, &local);
		if (result != NULL)
			break;
		/* A concurrent delivery of the same mail committed first. */
		if (g_strcmp0(failure.sqlstate, SQLSTATE_UNIQUE_VIOLATION) == 0 &&
		    g_strcmp0(failure.constraint, IDEMPOTENCY_CONSTRAINT) == 0) {
			pd_store_failure_clear(&failure);
			pd_store_params_clear(&params);
			return fetch_duplicate(store, inbound->idempotency_key, result_r, error);
		}
		/* The statement was its own transaction and rolled back whole:
		 * running it again is safe. */
		if (attempt < MAX_ATTEMPTS && !store->broken &&
		    (g_strcmp0(failure.sqlstate, SQLSTATE_DEADLOCK) == 0 ||
		     g_strcmp0(failure.sqlstate, SQLSTATE_SERIALIZATION) == 0)) {
			pd_store_failure_clear(&failure);
			continue;
		}
		/* Refused as data: never "try again later" (it would fail
		 * the same way for days); the field goes blank, with a
		 * warning, and the raw message is stored whole. */
		if (!store->broken && is_data_exception(failure.sqlstate)) {
			g_autofree char *detail = g_strdup_printf("SQLSTATE %s", failure.sqlstate);

			pd_log_warning("<%s>: %s; storing it with fields left blank",
				       inbound->mail->message_id != NULL ? inbound->mail->message_id
									 : "no-message-id",
				       local->message);
			if (blank_more(&failure, detail, &blank, store_warnings)) {
				pd_store_failure_clear(&failure);
				pd_store_params_clear(&params);
				pd_store_params_init(&params);
				pd_store_deliver_params(&params, inbound, blank, store_warnings,
							raw_sha256);
				attempt = 0;
				continue;
			}
			/* nothing of the peer's is left to blank: not the
			 * mail's fault after all, a permanent refusal would
			 * lose it; the MTA retries */
		}
		pd_store_failure_clear(&failure);
		pd_store_params_clear(&params);
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	pd_store_params_clear(&params);

	if (PQntuples(result) != 1) {
		PQclear(result);
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "database error: pd_deliver_inbound returned no row");
		return FALSE;
	}
	result_r->ticket_id = pd_store_int(result, 0, 0);
	result_r->ticket_number = pd_store_int(result, 0, 1);
	result_r->message_row = pd_store_int(result, 0, 2);
	result_r->new_ticket = pd_store_bool(result, 0, 3);
	result_r->duplicate = pd_store_bool(result, 0, 4);
	result_r->thread_reason = pd_store_dup(result, 0, 5);
	PQclear(result);
	return TRUE;
}

gboolean
pd_store_thread_lookup(PdStore *store, GPtrArray *thread_candidates, gint64 *ticket_number_r,
		       char **reason_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	const char *matched;

	g_return_val_if_fail(store != NULL && ticket_number_r != NULL, FALSE);

	*ticket_number_r = 0;
	if (reason_r != NULL)
		*reason_r = NULL;
	pd_store_params_init(&params);
	pd_store_param_take_binary(&params, pd_store_text_array(thread_candidates));
	result = pd_store_exec(store, PD_STMT_THREAD_LOOKUP, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	matched = PQntuples(result) == 1 ? pd_store_value(result, 0, 1) : NULL;
	if (matched == NULL) {
		if (reason_r != NULL)
			*reason_r = g_strdup("new ticket");
		return TRUE;
	}
	*ticket_number_r = pd_store_int(result, 0, 0);
	if (reason_r != NULL)
		*reason_r = g_strdup_printf("Message-ID <%s>", matched);
	return TRUE;
}
