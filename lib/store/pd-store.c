/* pd-store: one libpq connection, prepared statements, bound parameters.
 *
 * Owns the PGconn and which statements are prepared on it.  Every failure
 * is PD_ERROR_TEMPFAIL with libpq's message; when the connection itself is
 * gone the store is marked broken and pd_store_is_usable() turns FALSE, so
 * the pool drops it instead of handing it out again.  Every call is bounded
 * in time: libpq's asynchronous API under poll() with a deadline
 * (store_result), as libpq has no client-side timeout of its own.
 */
#include "pd-store-private.h"
#include "core/pd-error.h"
#include "core/pd-log.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

/* The statements of the store, prepared on first use per connection. */
static const struct {
	const char *name;
	const char *sql;
} statements[PD_STMT_COUNT] = {
	/* One recipient's delivery: the steps and their order are
	 * pd_deliver's (sql/functions/deliver.sql). */
	[PD_STMT_DELIVER] = { "pd_deliver",
		"SELECT d.ticket_id, d.ticket_number, d.message_row, d.new_ticket, d.duplicate,"
		" d.thread_reason FROM pd_deliver(request => $1::jsonb, raw => $2,"
		" text_body => $3, html_body => $4, attachment_data => $5) d" },
	[PD_STMT_DUPLICATE] = { "pd_duplicate",
		"SELECT m.ticket_id, t.number, m.id FROM messages m"
		" JOIN tickets t ON t.id = m.ticket_id WHERE m.idempotency_key = $1" },
	[PD_STMT_THREAD_LOOKUP] = { "pd_thread_lookup",
		"SELECT ticket_number, matched FROM pd_thread_lookup($1)" },
	/* the ticket joined, and what joining does to it (pd_thread_reopen):
	 * the delivery's own two decisions */
	[PD_STMT_THREAD_DECIDE] = { "pd_thread_decide",
		"SELECT d.ticket_number, d.reason, d.refused::text, r.action, r.was,"
		" $4::jsonb->>'reopen_days'"
		" FROM pd_thread_decide($1, $2, $3, $4::jsonb) d"
		" LEFT JOIN LATERAL pd_thread_reopen(d.ticket_id,"
		"  ($4::jsonb->>'reopen_days')::integer) r ON true" },
	[PD_STMT_AUTHORIZATION_EXPLAIN] = { "pd_authorization_explain",
		"SELECT action, detail FROM pd_authorization_explain($1, $2::jsonb,"
		" $3::jsonb, $4, $5::jsonb)" },
	/* $11: the full-text search over each message's subject and the
	 * first 4,000 characters of its text: the expression of
	 * messages_search_idx (sql/0007_desk.sql), so the index serves it */
	[PD_STMT_TICKET_LIST] = { "pd_ticket_list",
		"SELECT t.number, t.status, q.name, t.requester_address, t.subject,"
		" (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id),"
		" extract(epoch FROM t.updated_at)::bigint, t.priority, t.category,"
		" pd_agent_main_address(t.assignee_agent_id),"
		" (SELECT a.name FROM accounts a WHERE a.id = t.account_id),"
		" extract(epoch FROM t.created_at)::bigint"
		" FROM tickets t JOIN queues q ON q.id = t.queue_id"
		" WHERE ($1::text IS NULL OR q.name = $1) AND ($2::text IS NULL OR t.status = $2)"
		" AND (NOT $4::bool OR t.held IS NOT NULL)"
		" AND ($5::text IS NULL OR t.category = $5)"
		" AND ($6::text IS NULL OR t.assignee_agent_id ="
		"  (SELECT aa.agent_id FROM agent_addresses aa WHERE aa.address = $6))"
		" AND ($7::text IS NULL OR lower(t.requester_address) = lower($7))"
		" AND ($8::text IS NULL OR t.account_id = (SELECT a.id FROM accounts a WHERE a.name = $8))"
		" AND ($9::timestamptz IS NULL OR t.created_at >= $9::timestamptz)"
		" AND ($10::timestamptz IS NULL OR t.created_at < $10::timestamptz)"
		" AND ($11::text IS NULL OR t.id IN (SELECT m.ticket_id FROM messages m"
		"  WHERE to_tsvector('simple'::regconfig,"
		"   m.subject || ' ' || left(coalesce(m.text_body, ''), 4000))"
		"   @@ websearch_to_tsquery('simple'::regconfig, $11)))"
		" ORDER BY t.updated_at DESC, t.id DESC LIMIT $3" },
	/* One statement: the hold is lifted, its event written and the
	 * agents' notifications queued (sql/functions/notify.sql) together; no row = no such
	 * ticket, a NULL hold = it was not held. */
	[PD_STMT_TICKET_RELEASE] = { "pd_ticket_release",
		"WITH target AS (SELECT id, held FROM tickets WHERE number = $1 FOR UPDATE),"
		" lifted AS (UPDATE tickets SET held = NULL, updated_at = now() FROM target"
		"  WHERE tickets.id = target.id AND target.held IS NOT NULL RETURNING tickets.id),"
		" logged AS (INSERT INTO events (ticket_id, actor, kind, detail)"
		"  SELECT lifted.id, $2, 'ticket.released', jsonb_build_object('held', target.held)"
		"  FROM lifted, target RETURNING 1)"
		" SELECT target.held, (SELECT count(*) FROM logged),"
		" CASE WHEN target.held IS NOT NULL"
		"  THEN pd_outbound_notify_released(target.id, $3::jsonb) END"
		" FROM target" },
	[PD_STMT_TICKET] = { "pd_ticket",
		"SELECT t.id, t.number, q.name, t.subject, t.status, t.priority, t.category,"
		" t.requester_address, t.requester_name, t.needs_authorization,"
		" extract(epoch FROM t.created_at)::bigint,"
		" extract(epoch FROM t.updated_at)::bigint,"
		" extract(epoch FROM t.first_response_at)::bigint,"
		" extract(epoch FROM t.closed_at)::bigint,"
		/* the assignee's main address (sql/functions/agent.sql) */
		" pd_agent_main_address(t.assignee_agent_id),"
		" (SELECT a.name FROM agents a WHERE a.id = t.assignee_agent_id),"
		/* postdesk ticket merge (sql/functions/desk.sql), the tags */
		" (SELECT m.number FROM tickets m WHERE m.id = t.merged_into),"
		" (SELECT string_agg(g.tag, ', ' ORDER BY g.tag) FROM ticket_tags g"
		"  WHERE g.ticket_id = t.id)"
		" FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.number = $1" },
	[PD_STMT_PARTICIPANTS] = { "pd_participants",
		"SELECT address, name, role, extract(epoch FROM added_at)::bigint"
		" FROM participants WHERE ticket_id = $1 ORDER BY id" },
	[PD_STMT_MESSAGES] = { "pd_messages",
		"SELECT m.id, m.direction, m.kind, m.message_id, m.from_address, m.from_name,"
		" array_to_string(m.to_addresses, ', '), array_to_string(m.cc_addresses, ', '),"
		" m.subject, extract(epoch FROM m.date)::bigint,"
		" extract(epoch FROM m.received_at)::bigint, m.text_body,"
		" m.envelope_mail_from, m.envelope_recipient, m.raw_sha256, r.size,"
		" array_to_string(m.parse_warnings, '; '), m.auth_results,"
		" coalesce(m.from_authenticated, false),"
		" m.spam_score::text || coalesce(' (' || (SELECT string_agg((h->>'name') || ' '"
		" || (h->>'points'), ', ' ORDER BY n) FROM jsonb_array_elements(m.rule_hits)"
		" WITH ORDINALITY AS x (h, n)) || ')', ''),"
		" m.filter->>'disposition'"
		" FROM messages m LEFT JOIN raw_messages r ON r.sha256 = m.raw_sha256"
		" WHERE m.ticket_id = $1 ORDER BY m.id" },
	[PD_STMT_ATTACHMENTS] = { "pd_attachments",
		"SELECT ma.message_row, ma.filename, ma.content_type, ma.inline, a.size, a.sha256"
		" FROM message_attachments ma JOIN messages m ON m.id = ma.message_row"
		" JOIN attachments a ON a.sha256 = ma.sha256"
		" WHERE m.ticket_id = $1 ORDER BY ma.message_row, ma.position" },
	/* its bytes, or else one span of a raw message that carries them
	 * (message_attachments, sql/0001_baseline.sql) */
	[PD_STMT_ATTACHMENT_GET] = { "pd_attachment_get",
		"SELECT a.data, s.transfer_encoding, s.bytes FROM attachments a"
		" LEFT JOIN LATERAL (SELECT ma.transfer_encoding,"
		" substring(r.data FROM (ma.raw_offset + 1)::integer FOR ma.raw_length::integer) AS bytes"
		" FROM message_attachments ma JOIN messages m ON m.id = ma.message_row"
		" JOIN raw_messages r ON r.sha256 = m.raw_sha256"
		" WHERE ma.sha256 = a.sha256 AND ma.raw_offset IS NOT NULL AND a.data IS NULL"
		" ORDER BY ma.message_row LIMIT 1) s ON true"
		" WHERE a.sha256 = $1" },
	[PD_STMT_EVENTS] = { "pd_events",
		"SELECT extract(epoch FROM at)::bigint, actor, kind, detail::text, message_row"
		" FROM events WHERE ticket_id = $1 ORDER BY id" },
	/* the mail postdesk sent or is sending for the ticket (ticket show) */
	[PD_STMT_TICKET_OUTBOUND] = { "pd_ticket_outbound",
		"SELECT id, extract(epoch FROM created_at)::bigint, kind, template,"
		" array_to_string(recipients, ', '), status, attempts,"
		" extract(epoch FROM sent_at)::bigint, last_error"
		" FROM outbound WHERE ticket_id = $1 ORDER BY id" },
};

G_STATIC_ASSERT(PD_STMT_COUNT <= 32);

static char *
chomp_message(const char *message)
{
	return g_strstrip(g_strdup(message != NULL && *message != '\0' ? message
				   : "unknown database error"));
}

static void
notice_to_log(void *arg, const char *message)
{
	g_autofree char *text = chomp_message(message);

	pd_log_debug("postgresql: %s", text);
}

PdStore *
pd_store_connect_timeout(const char *conninfo, guint timeout, GError **error)
{
	/* Defaults before "dbname" (the conninfo, expanded): the operator's
	 * conninfo overrides them.  No statement may hold a mail session
	 * forever (a lock held by a stuck transaction, a slow server): after
	 * timeout seconds the server cancels it, the mail is deferred (451)
	 * and retried; a server that does not answer at all (stalled, not
	 * stopped) is given up client side (store_result). */
	g_autofree char *connect_timeout = NULL, *options_value = NULL;
	const char *keys[] = { "connect_timeout", "application_name", "client_encoding",
			       "options", "dbname", NULL };
	const char *values[6] = { 0 };
	char *parse_error = NULL;
	PQconninfoOption *options;
	PGconn *conn;
	PdStore *store;

	g_return_val_if_fail(conninfo != NULL, NULL);

	if (timeout == 0)
		timeout = PD_STORE_DEFAULT_TIMEOUT;
	/* libpq's connect_timeout counts whole seconds, at least 2 */
	connect_timeout = g_strdup_printf("%u", CLAMP(timeout, 2, 10));
	options_value = g_strdup_printf("-c statement_timeout=%us", timeout);
	values[0] = connect_timeout;
	values[1] = "postdesk";
	values[2] = "UTF8";
	values[3] = options_value;
	values[4] = conninfo;
	options = PQconninfoParse(conninfo, &parse_error);
	if (options == NULL) {
		g_autofree char *text = chomp_message(parse_error);

		/* TEMPFAIL like every database problem: on the mail path a
		 * configuration typo must defer mail, never bounce it. */
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "invalid database conninfo: %s", text);
		PQfreemem(parse_error);
		return NULL;
	}
	PQconninfoFree(options);

	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		g_autofree char *text = chomp_message(conn != NULL ? PQerrorMessage(conn) : NULL);

		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "cannot connect to PostgreSQL: %s", text);
		PQfinish(conn);
		return NULL;
	}
	/* Nonblocking: libpq buffers what it sends (a 47 MB message too) and
	 * store_result() waits for the socket under the deadline, so a server
	 * that stops reading cannot block a send either. */
	if (PQsetnonblocking(conn, 1) != 0) {
		g_autofree char *text = chomp_message(PQerrorMessage(conn));

		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "cannot connect to PostgreSQL: %s", text);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_to_log, NULL);
	store = g_new0(PdStore, 1);
	store->conn = conn;
	store->timeout = timeout;
	return store;
}

PdStore *
pd_store_connect(const char *conninfo, GError **error)
{
	return pd_store_connect_timeout(conninfo, 0, error);
}

void
pd_store_free(PdStore *store)
{
	if (store == NULL)
		return;
	PQfinish(store->conn);
	g_free(store);
}

gboolean
pd_store_is_usable(PdStore *store)
{
	g_return_val_if_fail(store != NULL, FALSE);

	if (store->broken || PQstatus(store->conn) != CONNECTION_OK)
		return FALSE;
	/* Only an idle connection goes back into service: a transaction left
	 * open or aborted would leak into the next user's work. */
	return PQtransactionStatus(store->conn) == PQTRANS_IDLE;
}

void
pd_store_set_error(PdStore *store, const PGresult *result, const char *what, GError **error)
{
	const char *message = result != NULL ? PQresultErrorMessage(result) : NULL;
	g_autofree char *text = NULL;

	if (message == NULL || *message == '\0')
		message = PQerrorMessage(store->conn);
	text = chomp_message(message);
	if (PQstatus(store->conn) != CONNECTION_OK)
		store->broken = TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "database error (%s): %s", what, text);
}

/* Milliseconds until the monotonic deadline (0 if past). */
static int
ms_until(gint64 deadline)
{
	gint64 left = deadline - g_get_monotonic_time();

	return left <= 0 ? 0 : (int)MIN(left / 1000 + 1, G_MAXINT);
}

/* Sends what libpq has buffered and waits for the whole answer to the
 * command just sent, within the store's deadline: the server's own
 * statement_timeout plus PD_STORE_TIMEOUT_GRACE, so a live server cancels
 * a slow statement itself first, and one that does not answer at all
 * (stopped by SIGSTOP, a network path that drops everything, a disk that
 * hangs) is given up.  Then the connection is broken (libpq's state is
 * mid-command) and dropped; it is not cancelled, as a cancel request to a
 * stalled server would wait too.  Returns the last result, as PQexec does
 * (NULL: error set). */
static PGresult *
store_result(PdStore *store, gboolean sent, const char *what, GError **error)
{
	PGconn *conn = store->conn;
	gint64 deadline = store->timeout > 0
		? g_get_monotonic_time() + (gint64)(store->timeout + PD_STORE_TIMEOUT_GRACE) * G_USEC_PER_SEC
		: G_MAXINT64;
	PGresult *last = NULL, *result;

	if (!sent) {
		pd_store_set_error(store, NULL, what, error);
		return NULL;
	}
	for (;;) {
		int flush = PQflush(conn);
		struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };
		int rc;

		if (flush < 0)
			break;		/* the connection failed: PQgetResult says how */
		if (flush == 0 && !PQisBusy(conn)) {
			result = PQgetResult(conn);
			if (result == NULL)
				return last;
			PQclear(last);
			last = result;
			if (PQstatus(conn) == CONNECTION_BAD)
				return last;
			continue;
		}
		if (flush == 1)
			pfd.events |= POLLOUT;
		rc = poll(&pfd, 1, deadline == G_MAXINT64 ? -1 : ms_until(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			PQclear(last);
			store->broken = TRUE;
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
				    "database error (%s): no answer from PostgreSQL within %u s",
				    what, store->timeout + PD_STORE_TIMEOUT_GRACE);
			return NULL;
		}
		if (rc < 0 || ((pfd.revents & POLLIN) != 0 && !PQconsumeInput(conn)))
			break;
		if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (pfd.revents & POLLIN) == 0 &&
		    !PQconsumeInput(conn))
			break;
	}
	/* the connection is gone: what libpq has left, else its message */
	while ((result = PQgetResult(conn)) != NULL) {
		PQclear(last);
		last = result;
	}
	if (last == NULL)
		pd_store_set_error(store, NULL, what, error);
	store->broken = TRUE;
	return last;
}

static gboolean
prepare(PdStore *store, PdStmt stmt, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	gboolean sent;

	if (store->prepared & (1u << stmt))
		return TRUE;
	sent = PQsendPrepare(store->conn, statements[stmt].name, statements[stmt].sql, 0, NULL);
	result = store_result(store, sent, statements[stmt].name, error);
	if (result == NULL)
		return FALSE;
	if (PQresultStatus(result) != PGRES_COMMAND_OK) {
		pd_store_set_error(store, result, statements[stmt].name, error);
		return FALSE;
	}
	store->prepared |= 1u << stmt;
	return TRUE;
}

void
pd_store_failure_clear(PdStoreFailure *failure)
{
	g_clear_pointer(&failure->sqlstate, g_free);
	g_clear_pointer(&failure->constraint, g_free);
	failure->parameter = 0;
}

/* The N of "... parameter $N" in an error's context: libpq's words for a
 * bound value the server could not take (CONTEXT: unnamed portal
 * parameter $36). */
static int
failed_parameter(const PGresult *result)
{
	const char *context = PQresultErrorField(result, PG_DIAG_CONTEXT);
	const char *p = context != NULL ? strstr(context, "parameter $") : NULL;
	gint64 n;

	if (p == NULL)
		return 0;
	n = g_ascii_strtoll(p + strlen("parameter $"), NULL, 10);
	return n > 0 && n <= PD_STORE_MAX_PARAMS ? (int)n : 0;
}

PGresult *
pd_store_exec_failure(PdStore *store, PdStmt stmt, PdStoreParams *params,
		      PdStoreFailure *failure_r, GError **error)
{
	PGresult *result;
	ExecStatusType status;
	gboolean sent;

	g_return_val_if_fail(store != NULL && stmt < PD_STMT_COUNT, NULL);

	if (store->broken) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "database error: the connection was lost");
		return NULL;
	}
	if (!prepare(store, stmt, error))
		return NULL;
	sent = PQsendQueryPrepared(store->conn, statements[stmt].name, params->n, params->values,
				   params->lengths, params->formats, 0);
	if ((result = store_result(store, sent, statements[stmt].name, error)) == NULL)
		return NULL;
	status = PQresultStatus(result);
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
		return result;
	if (failure_r != NULL) {
		failure_r->sqlstate = g_strdup(PQresultErrorField(result, PG_DIAG_SQLSTATE));
		failure_r->constraint = g_strdup(PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME));
		failure_r->parameter = failed_parameter(result);
	}
	pd_store_set_error(store, result, statements[stmt].name, error);
	PQclear(result);
	return NULL;
}

PGresult *
pd_store_exec(PdStore *store, PdStmt stmt, PdStoreParams *params, char **sqlstate_r,
	      char **constraint_r, GError **error)
{
	PdStoreFailure failure = { 0 };
	PGresult *result = pd_store_exec_failure(store, stmt, params, &failure, error);

	if (sqlstate_r != NULL)
		*sqlstate_r = g_steal_pointer(&failure.sqlstate);
	if (constraint_r != NULL)
		*constraint_r = g_steal_pointer(&failure.constraint);
	pd_store_failure_clear(&failure);
	return result;
}

PGresult *
pd_store_run(PdStore *store, const char *sql, PdStoreParams *params, const char *what,
	     GError **error)
{
	gboolean sent;

	if (store->broken) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "database error: the connection was lost");
		return NULL;
	}
	if (params != NULL)
		sent = PQsendQueryParams(store->conn, sql, params->n, NULL, params->values,
					 params->lengths, params->formats, 0);
	else
		sent = PQsendQuery(store->conn, sql);
	return store_result(store, sent, what, error);
}

/* A result that is not PGRES_TUPLES_OK or PGRES_COMMAND_OK becomes error. */
static gboolean
result_ok(PdStore *store, PGresult *result, const char *what, GError **error)
{
	ExecStatusType status;

	if (result == NULL)
		return FALSE;
	status = PQresultStatus(result);
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
		return TRUE;
	pd_store_set_error(store, result, what, error);
	return FALSE;
}

PGresult *
pd_store_exec_sql(PdStore *store, const char *sql, PdStoreParams *params, const char *what,
		  GError **error)
{
	static PdStoreParams none;
	PGresult *result = pd_store_run(store, sql, params != NULL ? params : &none, what, error);

	if (result_ok(store, result, what, error))
		return result;
	PQclear(result);
	return NULL;
}

PGresult *
pd_store_exec_row(PdStore *store, const char *sql, PdStoreParams *params, const char *what,
		  GError **error)
{
	PGresult *result = pd_store_exec_sql(store, sql, params, what, error);

	pd_store_params_clear(params);
	if (result != NULL && PQntuples(result) != 1) {
		pd_store_set_error(store, result, what, error);
		g_clear_pointer(&result, PQclear);
	}
	return result;
}

gboolean
pd_store_exec_simple(PdStore *store, const char *sql, const char *what, GError **error)
{
	g_autoptr(PGresult) result = pd_store_run(store, sql, NULL, what, error);

	return result_ok(store, result, what, error);
}

/* --- parameters -------------------------------------------------------- */

void
pd_store_params_init(PdStoreParams *params)
{
	memset(params, 0, sizeof(*params));
	params->owned = g_ptr_array_new_with_free_func(g_free);
}

void
pd_store_params_clear(PdStoreParams *params)
{
	g_clear_pointer(&params->owned, g_ptr_array_unref);
	params->n = 0;
}

static void
param_add(PdStoreParams *params, const char *value, gsize len, int format)
{
	g_assert(params->n < PD_STORE_MAX_PARAMS);
	g_assert(len <= G_MAXINT);
	params->values[params->n] = value;
	params->lengths[params->n] = (int)len;
	params->formats[params->n] = format;
	params->n++;
}

void
pd_store_param_text(PdStoreParams *params, const char *value)
{
	param_add(params, value, 0, 0);
}

void
pd_store_param_take_text(PdStoreParams *params, char *value)
{
	if (value != NULL)
		g_ptr_array_add(params->owned, value);
	param_add(params, value, 0, 0);
}

void
pd_store_param_bool(PdStoreParams *params, gboolean value)
{
	param_add(params, value ? "t" : "f", 0, 0);
}

void
pd_store_param_int(PdStoreParams *params, gint64 value)
{
	pd_store_param_take_text(params, g_strdup_printf("%" G_GINT64_FORMAT, value));
}

void
pd_store_param_binary(PdStoreParams *params, const void *data, gsize len)
{
	/* libpq wants a non-NULL pointer for a non-NULL value, even empty. */
	param_add(params, data != NULL ? data : "", len, 1);
}

void
pd_store_param_take_binary(PdStoreParams *params, GByteArray *data)
{
	gsize len = data->len;
	guint8 *bytes = g_byte_array_free(data, FALSE);

	g_ptr_array_add(params->owned, bytes);
	param_add(params, (const char *)bytes, len, 1);
}

void
pd_store_param_text_array(PdStoreParams *params, GPtrArray *strings)
{
	if (strings != NULL)
		pd_store_param_take_binary(params, pd_store_text_array(strings));
	else
		pd_store_param_text(params, NULL);
}

/* --- binary arrays ----------------------------------------------------- */

static void
put_u32(GByteArray *array, guint32 value)
{
	guint32 be = GUINT32_TO_BE(value);

	g_byte_array_append(array, (const guint8 *)&be, 4);
}

GByteArray *
pd_store_array_new(guint32 element_oid, guint32 count, gboolean has_null)
{
	GByteArray *array = g_byte_array_new();

	/* ndim, has-null flag, element type; then size and lower bound */
	put_u32(array, count > 0 ? 1 : 0);
	put_u32(array, has_null ? 1 : 0);
	put_u32(array, element_oid);
	if (count > 0) {
		put_u32(array, count);
		put_u32(array, 1);
	}
	return array;
}

GByteArray *
pd_store_text_array(GPtrArray *strings)
{
	guint count = strings != NULL ? strings->len : 0;
	GByteArray *array = pd_store_array_new(PD_PG_OID_TEXT, count, FALSE);

	for (guint i = 0; i < count; i++)
		pd_store_array_add(array, strings->pdata[i] != NULL ? strings->pdata[i] : "", -1);
	return array;
}

void
pd_store_array_add(GByteArray *array, const void *data, gssize len)
{
	if (data == NULL) {
		put_u32(array, (guint32)-1);
		return;
	}
	if (len < 0)
		len = (gssize)strlen(data);
	g_assert((gsize)len <= G_MAXINT32);
	put_u32(array, (guint32)len);
	g_byte_array_append(array, data, (guint)len);
}

/* --- results ----------------------------------------------------------- */

const char *
pd_store_value(const PGresult *result, int row, int column)
{
	if (PQgetisnull(result, row, column))
		return NULL;
	return PQgetvalue(result, row, column);
}

GBytes *
pd_store_bytes(const PGresult *result, int row, int column)
{
	const char *text = pd_store_value(result, row, column);
	size_t len = 0;
	unsigned char *bytes;
	GBytes *out;

	if (text == NULL)
		return NULL;
	bytes = PQunescapeBytea((const unsigned char *)text, &len);
	if (bytes == NULL)
		g_error("out of memory");
	out = g_bytes_new(bytes, len);
	PQfreemem(bytes);
	return out;
}

char *
pd_store_dup(const PGresult *result, int row, int column)
{
	return g_strdup(pd_store_value(result, row, column));
}

gint64
pd_store_int(const PGresult *result, int row, int column)
{
	const char *value = pd_store_value(result, row, column);

	return value != NULL ? g_ascii_strtoll(value, NULL, 10) : 0;
}

gboolean
pd_store_bool(const PGresult *result, int row, int column)
{
	const char *value = pd_store_value(result, row, column);

	return value != NULL && value[0] == 't';
}
