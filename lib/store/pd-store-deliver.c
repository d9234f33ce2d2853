/* pd-store-deliver: one inbound message into the database, all or nothing.
 *
 * The whole delivery (idempotency check, threading, ticket, raw bytes,
 * parsed fields, attachments, participants, events) is one call of the SQL
 * function pd_deliver_inbound (sql/0001_core.sql; its current version in
 * sql/0013_deliver_statements.sql) through a prepared
 * statement: one round trip, one transaction, one COMMIT.  Bulk values
 * (raw bytes, attachment contents, address lists) travel in PostgreSQL's
 * binary format, so nothing is escaped and nothing is parsed twice.  An
 * attachment that is a span of the raw bytes (PdMailAttachment.raw_*)
 * travels as that span, not as bytes: stored once, in the raw message
 * (sql/0008_attachment_spans.sql).
 *
 * Never decides policy: the idempotency key and the thread candidates come
 * from pd-ticket, the queue from the configuration.
 */
#include "pd-store-private.h"
#include "core/pd-error.h"

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

/* Addresses and names of a PdMailAddress list, as two parallel arrays. */
static void
address_arrays(GPtrArray *list, GByteArray **addresses_r, GByteArray **names_r)
{
	guint count = list != NULL ? list->len : 0;

	*addresses_r = pd_store_array_new(PD_PG_OID_TEXT, count, TRUE);
	*names_r = pd_store_array_new(PD_PG_OID_TEXT, count, TRUE);
	for (guint i = 0; i < count; i++) {
		const PdMailAddress *a = list->pdata[i];

		pd_store_array_add(*addresses_r, a->address, -1);
		pd_store_array_add(*names_r, a->name, -1);
	}
}

static char *
timestamp_text(gint64 unix_time)
{
	g_autoptr(GDateTime) dt = NULL;

	if (unix_time == 0)
		return NULL;
	dt = g_date_time_new_from_unix_utc(unix_time);
	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S+00") : NULL;
}

static void
sha256_hex(const void *data, gsize len, char out[65])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(sum, data, len);
	g_strlcpy(out, g_checksum_get_string(sum), 65);
}

/* Whether an attachment is a span of the raw bytes being stored: then its
 * decoded bytes are not sent (sql/0008_attachment_spans.sql).  raw_len is
 * 0 when the bytes stored are not the bytes parsed (a caller that added a
 * header line): then no span is trusted. */
static gboolean
is_raw_span(const PdMailAttachment *a, gsize raw_len)
{
	return a->raw_encoding != NULL && raw_len > 0 && a->raw_offset <= raw_len &&
	       a->raw_length <= raw_len - a->raw_offset;
}

static void
int8_add(GByteArray *array, gint64 value, gboolean null)
{
	guint64 be = GUINT64_TO_BE((guint64)value);

	pd_store_array_add(array, null ? NULL : &be, sizeof be);
}

/* The attachments' parameters: $33-$38 hash, bytes (NULL for a span of
 * the raw message), name, type, inline, Content-ID, added here; the
 * decoded size and the span (offset, length, transfer encoding; NULL where
 * none) into spans_r[4], for $44-$47. */
static void
add_attachments(PdStoreParams *params, GPtrArray *attachments, gsize raw_len,
		GByteArray *spans_r[4])
{
	guint count = attachments != NULL ? attachments->len : 0;
	GByteArray *sha = pd_store_array_new(PD_PG_OID_TEXT, count, FALSE);
	GByteArray *data = pd_store_array_new(PD_PG_OID_BYTEA, count, TRUE);
	GByteArray *filename = pd_store_array_new(PD_PG_OID_TEXT, count, TRUE);
	GByteArray *type = pd_store_array_new(PD_PG_OID_TEXT, count, TRUE);
	GByteArray *inline_part = pd_store_array_new(PD_PG_OID_BOOL, count, FALSE);
	GByteArray *content_id = pd_store_array_new(PD_PG_OID_TEXT, count, TRUE);

	spans_r[0] = pd_store_array_new(PD_PG_OID_INT8, count, FALSE);
	spans_r[1] = pd_store_array_new(PD_PG_OID_INT8, count, TRUE);
	spans_r[2] = pd_store_array_new(PD_PG_OID_INT8, count, TRUE);
	spans_r[3] = pd_store_array_new(PD_PG_OID_TEXT, count, TRUE);
	for (guint i = 0; i < count; i++) {
		const PdMailAttachment *a = attachments->pdata[i];
		gsize len = 0;
		const void *bytes = a->content != NULL ? g_bytes_get_data(a->content, &len) : NULL;
		/* An empty GBytes has NULL data: still "" to the database,
		 * never NULL (NULL says: a span of the raw message). */
		if (bytes == NULL)
			bytes = "";
		char computed[65];
		const char *hash = a->sha256;
		guint8 flag = a->inline_part ? 1 : 0;
		gboolean span = is_raw_span(a, raw_len);

		/* Content-addressed: the key must be the hash of these bytes. */
		if (a->content == NULL || strlen(a->sha256) != 64) {
			sha256_hex(bytes, len, computed);
			hash = computed;
		}
		pd_store_array_add(sha, hash, 64);
		pd_store_array_add(data, span ? NULL : bytes, (gssize)len);
		pd_store_array_add(filename, a->filename, -1);
		pd_store_array_add(type, a->content_type, -1);
		pd_store_array_add(inline_part, &flag, 1);
		pd_store_array_add(content_id, a->content_id, -1);
		int8_add(spans_r[0], (gint64)len, FALSE);
		int8_add(spans_r[1], (gint64)a->raw_offset, !span);
		int8_add(spans_r[2], (gint64)a->raw_length, !span);
		pd_store_array_add(spans_r[3], span ? a->raw_encoding : NULL, -1);
	}
	pd_store_param_take_binary(params, sha);
	pd_store_param_take_binary(params, data);
	pd_store_param_take_binary(params, filename);
	pd_store_param_take_binary(params, type);
	pd_store_param_take_binary(params, inline_part);
	pd_store_param_take_binary(params, content_id);
}

static void
build_params(PdStoreParams *params, const PdInbound *in, char raw_sha256[65])
{
	const PdMail *mail = in->mail;
	const PdEnvelope *env = in->envelope;
	GByteArray *addresses, *names, *class, *spans[4];
	gsize raw_len = 0;
	const void *raw = g_bytes_get_data(in->raw, &raw_len);
	const guint8 flags[] = { mail->class.auto_submitted, mail->class.bulk, mail->class.list,
				 mail->class.bounce, mail->class.auto_reply_suppressed };

	if (strlen(mail->raw_sha256) == 64 && mail->raw_size == raw_len)
		g_strlcpy(raw_sha256, mail->raw_sha256, 65);
	else
		sha256_hex(raw, raw_len, raw_sha256);

	pd_store_param_text(params, in->idempotency_key);		/* 1 */
	pd_store_param_text(params, in->queue);
	pd_store_param_take_binary(params, pd_store_text_array(in->thread_candidates));
	pd_store_param_text(params, raw_sha256);
	pd_store_param_binary(params, raw, raw_len);			/* 5 */
	pd_store_param_text(params, mail->message_id);
	pd_store_param_text(params, mail->in_reply_to);
	pd_store_param_take_binary(params, pd_store_text_array(mail->references));
	pd_store_param_text(params, mail->from.address);
	pd_store_param_text(params, mail->from.name);			/* 10 */
	pd_store_param_text(params, mail->sender);
	address_arrays(mail->to, &addresses, &names);
	pd_store_param_take_binary(params, addresses);
	pd_store_param_take_binary(params, names);
	address_arrays(mail->cc, &addresses, &names);
	pd_store_param_take_binary(params, addresses);
	pd_store_param_take_binary(params, names);			/* 15 */
	pd_store_param_text(params, mail->reply_to.address);
	pd_store_param_text(params, mail->reply_to.name);
	pd_store_param_text(params, mail->subject != NULL ? mail->subject : "");
	pd_store_param_take_text(params, timestamp_text(mail->date));
	pd_store_param_text(params, mail->text_body);			/* 20 */
	pd_store_param_bool(params, mail->text_from_html);
	pd_store_param_text(params, mail->html_body);
	pd_store_param_text(params, env != NULL ? env->mail_from : NULL);
	pd_store_param_text(params, in->recipient);
	pd_store_param_text(params, in->subaddress);			/* 25 */
	pd_store_param_text(params, env != NULL ? env->client_address : NULL);
	pd_store_param_text(params, env != NULL ? env->client_name : NULL);
	pd_store_param_text(params, env != NULL ? env->client_helo : NULL);
	pd_store_param_text(params, env != NULL ? env->protocol : NULL);
	pd_store_param_text(params, env != NULL ? env->source : NULL);	/* 30 */
	pd_store_param_take_binary(params, pd_store_text_array(mail->warnings));
	class = pd_store_array_new(PD_PG_OID_BOOL, G_N_ELEMENTS(flags), FALSE);
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		guint8 flag = flags[i] ? 1 : 0;

		pd_store_array_add(class, &flag, 1);
	}
	pd_store_param_take_binary(params, class);
	add_attachments(params, mail->attachments,			/* 33-38 */
			mail->raw_size == raw_len ? raw_len : 0, spans);
	/* 39: the identity decision for pd_ticket_identify (sql/0002) */
	pd_store_param_take_text(params, in->identity != NULL
				 ? pd_identity_decision_json(in->identity) : NULL);
	/* 40: the acknowledgement request for pd_outbound_ack (sql/0003) */
	pd_store_param_text_array(params, in->autoreply);
	/* 41: the authenticate step's outcome for pd_message_auth (sql/0004) */
	pd_store_param_text(params, in->auth);
	/* 42: the thread step's facts for pd_deliver_inbound (sql/0006) */
	pd_store_param_text_array(params, in->thread);
	/* 43: what agents hear of it, for pd_outbound_notify (sql/0007) */
	pd_store_param_text_array(params, in->notify);
	/* 44-47: attachments as spans of the raw bytes (sql/0008) */
	for (guint i = 0; i < G_N_ELEMENTS(spans); i++)
		pd_store_param_take_binary(params, spans[i]);
	/* 48: an agent's answer for pd_agent_answer (sql/0010) */
	pd_store_param_text(params, in->agent);
	/* 49: the approval answer for pd_authorization_answer (sql/0011) */
	pd_store_param_text(params, in->approval_answer);
}

gboolean
pd_store_thread_decide(PdStore *store, GPtrArray *thread_candidates, const char *in_reply_to,
		       const char *from, GPtrArray *thread, gint64 *ticket_number_r,
		       char **reason_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	const char *refused;

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
	*ticket_number_r = pd_store_int(result, 0, 0);
	*reason_r = g_strdup(pd_store_value(result, 0, 1));
	return TRUE;
}

gboolean
pd_store_authorization_explain(PdStore *store, gint64 ticket_number, const char *identity_json,
			       GPtrArray *thread, const char *answer, const char *suppressed,
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
	pd_store_param_text(&params, suppressed);
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

gboolean
pd_store_deliver_inbound(PdStore *store, const PdInbound *inbound, PdDeliveryResult *result_r,
			 GError **error)
{
	PdStoreParams params;
	char raw_sha256[65];
	PGresult *result = NULL;

	g_return_val_if_fail(store != NULL && inbound != NULL && result_r != NULL, FALSE);
	g_return_val_if_fail(inbound->mail != NULL && inbound->raw != NULL, FALSE);
	g_return_val_if_fail(inbound->idempotency_key != NULL && inbound->queue != NULL, FALSE);

	memset(result_r, 0, sizeof(*result_r));
	pd_store_params_init(&params);
	build_params(&params, inbound, raw_sha256);
	for (int attempt = 1; result == NULL; attempt++) {
		g_autoptr(GError) local = NULL;
		g_autofree char *sqlstate = NULL, *constraint = NULL;

		result = pd_store_exec(store, PD_STMT_DELIVER, &params, &sqlstate, &constraint,
				       &local);
		if (result != NULL)
			break;
		/* A concurrent delivery of the same mail committed first. */
		if (g_strcmp0(sqlstate, SQLSTATE_UNIQUE_VIOLATION) == 0 &&
		    g_strcmp0(constraint, IDEMPOTENCY_CONSTRAINT) == 0) {
			pd_store_params_clear(&params);
			return fetch_duplicate(store, inbound->idempotency_key, result_r, error);
		}
		/* The statement was its own transaction and rolled back whole:
		 * running it again is safe. */
		if (attempt < MAX_ATTEMPTS && !store->broken &&
		    (g_strcmp0(sqlstate, SQLSTATE_DEADLOCK) == 0 ||
		     g_strcmp0(sqlstate, SQLSTATE_SERIALIZATION) == 0))
			continue;
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
