/* pd-store-deliver: one recipient's delivery into the database, all or
 * nothing.
 *
 * The whole delivery (idempotency check, threading, ticket, raw bytes,
 * parsed fields, attachments, participants, events, the identity, the
 * acknowledgement, notifications, an agent's answer, an approval) is one
 * call of the SQL entry point pd_deliver (sql/functions/deliver.sql)
 * through a prepared statement: one round trip, one transaction, one
 * COMMIT.  Its parameters are named: the request document
 * (pd_delivery_json), then the bulk that does not belong in JSON (the raw
 * bytes, the text and HTML bodies, the bytes of attachments that are not
 * spans of the raw bytes), in PostgreSQL's binary format where they are
 * bytes.  An attachment that is a span of the raw bytes
 * (PdMailAttachment.raw_*) travels as that span: stored once, in the raw
 * message.
 *
 * Input the server refuses as data (SQLSTATE class 22) is sent blank on
 * the next try, with a warning on the message: the body the error names
 * (text_body, html_body), else every field of the peer's in the document.
 * So such mail is stored (its raw bytes whole) instead of being deferred
 * for ever.  (The document itself cannot carry invalid UTF-8: pd_json
 * repairs it, and PdMail promises it.)
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

/* pd_deliver's parameters, by position in the statement (pd-store.c) */
enum {
	PARAM_REQUEST = 1,
	PARAM_RAW,
	PARAM_TEXT_BODY,
	PARAM_HTML_BODY,
	PARAM_ATTACHMENT_DATA,
};

/* What goes blank on a retry after a data exception. */
enum {
	BLANK_TEXT_BODY = 1 << 0,
	BLANK_HTML_BODY = 1 << 1,
	BLANK_PARSED = 1 << 2,		/* every field of the peer's in the document */
	BLANK_ALL = BLANK_TEXT_BODY | BLANK_HTML_BODY | BLANK_PARSED,
};

void
pd_delivery_result_clear(PdDeliveryResult *result)
{
	if (result == NULL)
		return;
	g_clear_pointer(&result->thread_reason, g_free);
	memset(result, 0, sizeof(*result));
}

static void
sha256_hex(const void *data, gsize len, char out[65])
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(sum, data, len);
	g_strlcpy(out, g_checksum_get_string(sum), 65);
}

void
pd_delivery_raw_sha256(const PdDelivery *d, char out[65])
{
	gsize raw_len = 0;
	const void *raw = g_bytes_get_data(d->raw, &raw_len);

	if (strlen(d->mail->raw_sha256) == 64 && d->mail->raw_size == raw_len)
		g_strlcpy(out, d->mail->raw_sha256, 65);
	else
		sha256_hex(raw != NULL ? raw : "", raw_len, out);
}

gboolean
pd_store_attachment_is_span(const PdMailAttachment *a, gsize raw_len)
{
	return a->raw_encoding != NULL && raw_len > 0 && a->raw_offset <= raw_len &&
	       a->raw_length <= raw_len - a->raw_offset;
}

void
pd_store_attachment_sha256(const PdMailAttachment *a, char hash_r[65])
{
	gsize len = 0;
	const void *bytes = a->content != NULL ? g_bytes_get_data(a->content, &len) : NULL;

	/* Content-addressed: the key must be the hash of these bytes. */
	if (a->content != NULL && strlen(a->sha256) == 64)
		g_strlcpy(hash_r, a->sha256, 65);
	else
		sha256_hex(bytes != NULL ? bytes : "", len, hash_r);
}

/* The bytes of each attachment that is not a span of the raw message
 * (NULL for those that are: stored once, in the raw message). */
static GByteArray *
attachment_data(GPtrArray *attachments, gsize raw_len)
{
	guint count = attachments != NULL ? attachments->len : 0;
	GByteArray *data = pd_store_array_new(PD_PG_OID_BYTEA, count, TRUE);

	for (guint i = 0; i < count; i++) {
		const PdMailAttachment *a = attachments->pdata[i];
		gsize len = 0;
		const void *bytes = a->content != NULL ? g_bytes_get_data(a->content, &len) : NULL;

		/* An empty GBytes has NULL data: still "" to the database,
		 * never NULL (NULL says: a span of the raw message). */
		if (bytes == NULL)
			bytes = "";
		pd_store_array_add(data, pd_store_attachment_is_span(a, raw_len) ? NULL : bytes,
				   (gssize)len);
	}
	return data;
}

/* pd_deliver's named parameters: the request document, then the bulk
 * that does not belong in JSON; blank: what to leave blank (BLANK_*),
 * store_warnings: the store's own, added to the parse warnings. */
static void
build_params(PdStoreParams *params, const PdDelivery *d, guint blank, GPtrArray *store_warnings)
{
	const PdMail *mail = d->mail;
	gsize raw_len = 0;
	const void *raw = g_bytes_get_data(d->raw, &raw_len);
	char raw_sha256[65];

	pd_delivery_raw_sha256(d, raw_sha256);
	pd_store_param_take_text(params, pd_delivery_json_stored(d, raw_sha256,	/* request */
								 (blank & BLANK_PARSED) != 0,
								 store_warnings));
	pd_store_param_binary(params, raw, raw_len);				/* raw */
	pd_store_param_text(params, (blank & BLANK_TEXT_BODY) ? "" : mail->text_body);
	pd_store_param_text(params, (blank & BLANK_HTML_BODY) ? NULL : mail->html_body);
	pd_store_param_take_binary(params, attachment_data(mail->attachments,	/* attachment_data */
							   mail->raw_size == raw_len ? raw_len : 0));
}

gboolean
pd_store_thread_decide(PdStore *store, GPtrArray *thread_candidates, const char *in_reply_to,
		       const char *from, const PdThreadFacts *thread, gint64 *ticket_number_r,
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
	pd_store_param_take_text(&params, pd_thread_facts_json(thread));
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
			       const PdThreadFacts *thread, const char *answer,
			       const PdAckRequest *ack_request,
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
	pd_store_param_take_text(&params, pd_thread_facts_json(thread));
	pd_store_param_text(&params, answer);
	pd_store_param_take_text(&params, ack_request != NULL ? pd_ack_request_json(ack_request) : NULL);
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

/* What to send blank after a data exception: the body the server named,
 * else every field of the peer's; FALSE when nothing more can go blank. */
static gboolean
blank_more(const PdStoreFailure *failure, const char *detail, guint *blank,
	   GPtrArray *store_warnings)
{
	g_autofree char *valid = g_utf8_make_valid(detail, -1);
	guint bit = failure->parameter == PARAM_TEXT_BODY ? BLANK_TEXT_BODY
		  : failure->parameter == PARAM_HTML_BODY ? BLANK_HTML_BODY : 0;

	if (bit != 0 && (*blank & bit) == 0) {
		*blank |= bit;
		g_ptr_array_add(store_warnings,
				g_strdup_printf("store: %s refused by the database (%s), left blank",
						bit == BLANK_TEXT_BODY ? "text body" : "HTML body",
						valid));
		return TRUE;
	}
	if (*blank == BLANK_ALL)
		return FALSE;
	*blank = BLANK_ALL;
	g_ptr_array_add(store_warnings,
			g_strdup_printf("store: the database refused the parsed fields (%s); "
					"stored raw, the parsed fields left blank", valid));
	return TRUE;
}

gboolean
pd_store_deliver(PdStore *store, const PdDelivery *delivery, PdDeliveryResult *result_r,
		 GError **error)
{
	PdStoreParams params;
	PGresult *result = NULL;
	guint blank = 0;
	g_autoptr(GPtrArray) store_warnings = g_ptr_array_new_with_free_func(g_free);

	g_return_val_if_fail(store != NULL && delivery != NULL && result_r != NULL, FALSE);
	g_return_val_if_fail(delivery->mail != NULL && delivery->raw != NULL, FALSE);
	g_return_val_if_fail(delivery->idempotency_key != NULL && delivery->queue != NULL, FALSE);

	memset(result_r, 0, sizeof(*result_r));
	pd_store_params_init(&params);
	build_params(&params, delivery, blank, store_warnings);
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
			return fetch_duplicate(store, delivery->idempotency_key, result_r, error);
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
				       delivery->mail->message_id != NULL ? delivery->mail->message_id
									 : "no-message-id",
				       local->message);
			if (blank_more(&failure, detail, &blank, store_warnings)) {
				pd_store_failure_clear(&failure);
				pd_store_params_clear(&params);
				pd_store_params_init(&params);
				build_params(&params, delivery, blank, store_warnings);
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
			    "database error: pd_deliver returned no row");
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
