/* pd-store-deliver-params: the 49 parameters of pd_deliver, and which of
 * them may go blank.
 *
 * Every value is bound; bulk values (raw bytes, attachment contents,
 * address lists) travel in PostgreSQL's binary format.  A parameter the
 * database refuses as data (SQLSTATE class 22: an invalid byte sequence, a
 * value out of range) must not make the mail fail for ever, so the
 * parameters that carry what the peer wrote can be sent blank instead
 * (deliver_params[]: NULL, "", an empty list, or a list of NULLs of the
 * same length where lists run in parallel), and the store's own warnings
 * join the message's parse warnings ($31).  The raw bytes ($5) never go
 * blank: they are the mail.
 */
#include "pd-store-private.h"

#include <string.h>

typedef enum {
	BLANK_NEVER,		/* ours, or the mail itself */
	BLANK_NULL,		/* SQL NULL */
	BLANK_EMPTY,		/* "" (the column is NOT NULL, or "" means none) */
	BLANK_NO_ELEMENTS,	/* an empty text[] */
	BLANK_NULL_ELEMENTS,	/* a text[] of NULLs, the same length (parallel lists) */
} BlankKind;

static const struct {
	const char *name;
	BlankKind blank;
} deliver_params[PD_STORE_DELIVER_PARAMS] = {
	{ "idempotency key", BLANK_NEVER },		/* 1 */
	{ "queue", BLANK_NEVER },
	{ "thread candidates", BLANK_NEVER },
	{ "raw SHA-256", BLANK_NEVER },
	{ "raw message", BLANK_NEVER },			/* 5 */
	{ "Message-ID", BLANK_NULL },
	{ "In-Reply-To", BLANK_NULL },
	{ "References", BLANK_NO_ELEMENTS },
	{ "From address", BLANK_NULL },
	{ "From name", BLANK_NULL },			/* 10 */
	{ "Sender", BLANK_NULL },
	{ "To addresses", BLANK_NULL_ELEMENTS },
	{ "To names", BLANK_NULL_ELEMENTS },
	{ "Cc addresses", BLANK_NULL_ELEMENTS },
	{ "Cc names", BLANK_NULL_ELEMENTS },		/* 15 */
	{ "Reply-To address", BLANK_NULL },
	{ "Reply-To name", BLANK_NULL },
	{ "Subject", BLANK_EMPTY },
	{ "Date", BLANK_NULL },
	{ "text body", BLANK_EMPTY },			/* 20 */
	{ "text from HTML", BLANK_NEVER },
	{ "HTML body", BLANK_NULL },
	{ "envelope sender", BLANK_EMPTY },
	{ "envelope recipient", BLANK_NEVER },
	{ "subaddress", BLANK_NULL },			/* 25 */
	{ "client address", BLANK_NULL },
	{ "client name", BLANK_NULL },
	{ "client HELO", BLANK_NULL },
	{ "client protocol", BLANK_NULL },
	{ "source", BLANK_NEVER },			/* 30 */
	{ "parse warnings", BLANK_NO_ELEMENTS },
	{ "classification", BLANK_NEVER },
	{ "attachment hashes", BLANK_NEVER },
	{ "attachment contents", BLANK_NEVER },
	{ "attachment filenames", BLANK_NULL_ELEMENTS },	/* 35 */
	{ "attachment content types", BLANK_NULL_ELEMENTS },
	{ "attachment inline flags", BLANK_NEVER },
	{ "attachment Content-IDs", BLANK_NULL_ELEMENTS },
	{ "identity", BLANK_NEVER },
	{ "acknowledgement request", BLANK_NULL },	/* 40 */
	{ "authentication results", BLANK_NULL },
	{ "thread facts", BLANK_NULL },
	{ "notification request", BLANK_NULL },
	{ "attachment sizes", BLANK_NEVER },
	{ "attachment offsets", BLANK_NEVER },		/* 45 */
	{ "attachment lengths", BLANK_NEVER },
	{ "attachment encodings", BLANK_NEVER },
	{ "agent answer", BLANK_NULL },
	{ "approval answer", BLANK_NULL },
};

G_STATIC_ASSERT(PD_STORE_DELIVER_PARAMS <= PD_STORE_MAX_PARAMS);
G_STATIC_ASSERT(PD_STORE_DELIVER_PARAMS <= 64);

const char *
pd_store_deliver_param_name(int number)
{
	g_return_val_if_fail(number >= 1 && number <= PD_STORE_DELIVER_PARAMS, NULL);
	return deliver_params[number - 1].name;
}

gboolean
pd_store_deliver_param_blankable(int number)
{
	return number >= 1 && number <= PD_STORE_DELIVER_PARAMS &&
	       deliver_params[number - 1].blank != BLANK_NEVER;
}

guint64
pd_store_deliver_blank_all(void)
{
	guint64 all = 0;

	for (int i = 0; i < PD_STORE_DELIVER_PARAMS; i++) {
		if (deliver_params[i].blank != BLANK_NEVER)
			all |= G_GUINT64_CONSTANT(1) << i;
	}
	return all;
}

typedef struct {
	PdStoreParams *params;
	guint64 blank;
} Build;

/* How the parameter about to be added goes blank, BLANK_NEVER if it does
 * not. */
static BlankKind
next_blank(const Build *b)
{
	int i = b->params->n;

	g_assert(i < PD_STORE_DELIVER_PARAMS);
	if ((b->blank & (G_GUINT64_CONSTANT(1) << i)) == 0)
		return BLANK_NEVER;
	return deliver_params[i].blank;
}

static void
add_text(Build *b, const char *value)
{
	switch (next_blank(b)) {
	case BLANK_NEVER:
		pd_store_param_text(b->params, value);
		break;
	case BLANK_EMPTY:
		pd_store_param_text(b->params, "");
		break;
	default:
		pd_store_param_text(b->params, NULL);
		break;
	}
}

/* A text[] whose elements are element(list, i), i < count. */
static void
add_text_array(Build *b, GPtrArray *list, const char *(*element)(GPtrArray *, guint))
{
	BlankKind blank = next_blank(b);
	guint count = list != NULL ? list->len : 0;
	GByteArray *array;

	if (blank == BLANK_NO_ELEMENTS)
		count = 0;
	array = pd_store_array_new(PD_PG_OID_TEXT, count, TRUE);
	for (guint i = 0; i < count; i++)
		pd_store_array_add(array, blank == BLANK_NEVER ? element(list, i) : NULL, -1);
	pd_store_param_take_binary(b->params, array);
}

/* A list of key/value pairs for jsonb_object (NULL: SQL NULL). */
static void
add_pairs(Build *b, GPtrArray *pairs)
{
	pd_store_param_text_array(b->params, next_blank(b) == BLANK_NEVER ? pairs : NULL);
}

static const char *
string_at(GPtrArray *list, guint i)
{
	return list->pdata[i] != NULL ? list->pdata[i] : "";
}

static const char *
address_at(GPtrArray *list, guint i)
{
	return ((const PdMailAddress *)list->pdata[i])->address;
}

static const char *
name_at(GPtrArray *list, guint i)
{
	return ((const PdMailAddress *)list->pdata[i])->name;
}

static const char *
filename_at(GPtrArray *list, guint i)
{
	return ((const PdMailAttachment *)list->pdata[i])->filename;
}

static const char *
content_type_at(GPtrArray *list, guint i)
{
	return ((const PdMailAttachment *)list->pdata[i])->content_type;
}

static const char *
content_id_at(GPtrArray *list, guint i)
{
	return ((const PdMailAttachment *)list->pdata[i])->content_id;
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
 * decoded bytes are not sent (message_attachments).  raw_len is
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

/* $33-$38: hash, bytes (NULL for a span of the raw message), name, type,
 * inline, Content-ID; the decoded size and the span (offset, length,
 * transfer encoding; NULL where none) into spans_r[4], for $44-$47. */
static void
add_attachments(Build *b, GPtrArray *attachments, gsize raw_len, GByteArray *spans_r[4])
{
	guint count = attachments != NULL ? attachments->len : 0;
	GByteArray *sha = pd_store_array_new(PD_PG_OID_TEXT, count, FALSE);
	GByteArray *data = pd_store_array_new(PD_PG_OID_BYTEA, count, TRUE);
	GByteArray *inline_part = pd_store_array_new(PD_PG_OID_BOOL, count, FALSE);

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
		pd_store_array_add(inline_part, &flag, 1);
		int8_add(spans_r[0], (gint64)len, FALSE);
		int8_add(spans_r[1], (gint64)a->raw_offset, !span);
		int8_add(spans_r[2], (gint64)a->raw_length, !span);
		pd_store_array_add(spans_r[3], span ? a->raw_encoding : NULL, -1);
	}
	pd_store_param_take_binary(b->params, sha);
	pd_store_param_take_binary(b->params, data);
	add_text_array(b, attachments, filename_at);
	add_text_array(b, attachments, content_type_at);
	pd_store_param_take_binary(b->params, inline_part);
	add_text_array(b, attachments, content_id_at);
}

/* $31: the parse warnings, then the store's own. */
static void
add_warnings(Build *b, GPtrArray *warnings, GPtrArray *store_warnings)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();

	if (next_blank(b) == BLANK_NEVER && warnings != NULL)
		g_ptr_array_extend(all, warnings, NULL, NULL);
	if (store_warnings != NULL)
		g_ptr_array_extend(all, store_warnings, NULL, NULL);
	pd_store_param_take_binary(b->params, pd_store_text_array(all));
}

void
pd_store_deliver_params(PdStoreParams *params, const PdInbound *in, guint64 blank,
			GPtrArray *store_warnings, char raw_sha256[65])
{
	Build build = { params, blank }, *b = &build;
	const PdMail *mail = in->mail;
	const PdEnvelope *env = in->envelope;
	GByteArray *class, *spans[4];
	gsize raw_len = 0;
	const void *raw = g_bytes_get_data(in->raw, &raw_len);
	const guint8 flags[] = { mail->class.auto_submitted, mail->class.bulk, mail->class.list,
				 mail->class.bounce, mail->class.auto_reply_suppressed };

	if (strlen(mail->raw_sha256) == 64 && mail->raw_size == raw_len)
		g_strlcpy(raw_sha256, mail->raw_sha256, 65);
	else
		sha256_hex(raw, raw_len, raw_sha256);

	g_assert(params->n == 0);
	pd_store_param_text(params, in->idempotency_key);		/* 1 */
	pd_store_param_text(params, in->queue);
	pd_store_param_take_binary(params, pd_store_text_array(in->thread_candidates));
	pd_store_param_text(params, raw_sha256);
	pd_store_param_binary(params, raw, raw_len);			/* 5 */
	add_text(b, mail->message_id);
	add_text(b, mail->in_reply_to);
	add_text_array(b, mail->references, string_at);
	add_text(b, mail->from.address);
	add_text(b, mail->from.name);					/* 10 */
	add_text(b, mail->sender);
	add_text_array(b, mail->to, address_at);
	add_text_array(b, mail->to, name_at);
	add_text_array(b, mail->cc, address_at);
	add_text_array(b, mail->cc, name_at);				/* 15 */
	add_text(b, mail->reply_to.address);
	add_text(b, mail->reply_to.name);
	add_text(b, mail->subject != NULL ? mail->subject : "");
	if (next_blank(b) == BLANK_NEVER)
		pd_store_param_take_text(params, timestamp_text(mail->date));
	else
		pd_store_param_text(params, NULL);
	add_text(b, mail->text_body);					/* 20 */
	pd_store_param_bool(params, mail->text_from_html);
	add_text(b, mail->html_body);
	add_text(b, env != NULL ? env->mail_from : NULL);
	pd_store_param_text(params, in->recipient);
	add_text(b, in->subaddress);					/* 25 */
	add_text(b, env != NULL ? env->client_address : NULL);
	add_text(b, env != NULL ? env->client_name : NULL);
	add_text(b, env != NULL ? env->client_helo : NULL);
	add_text(b, env != NULL ? env->protocol : NULL);
	pd_store_param_text(params, env != NULL ? env->source : NULL);	/* 30 */
	add_warnings(b, mail->warnings, store_warnings);
	class = pd_store_array_new(PD_PG_OID_BOOL, G_N_ELEMENTS(flags), FALSE);
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		guint8 flag = flags[i] ? 1 : 0;

		pd_store_array_add(class, &flag, 1);
	}
	pd_store_param_take_binary(params, class);
	add_attachments(b, mail->attachments,				/* 33-38 */
			mail->raw_size == raw_len ? raw_len : 0, spans);
	/* 39: the identity decision for pd_ticket_identify (sql/functions/identity.sql) */
	pd_store_param_take_text(params, in->identity != NULL
				 ? pd_identity_decision_json(in->identity) : NULL);
	/* 40: the acknowledgement request for pd_outbound_ack (sql/functions/outbound.sql) */
	add_pairs(b, in->autoreply);
	/* 41: the authenticate step's outcome for pd_message_auth
	 * (sql/functions/deliver.sql) */
	add_text(b, in->auth);
	/* 42: the thread step's facts for pd_deliver_inbound (sql/functions/deliver.sql) */
	add_pairs(b, in->thread);
	/* 43: what agents hear of it, for pd_outbound_notify (sql/functions/notify.sql) */
	add_pairs(b, in->notify);
	/* 44-47: attachments as spans of the raw bytes (message_attachments) */
	for (guint i = 0; i < G_N_ELEMENTS(spans); i++)
		pd_store_param_take_binary(params, spans[i]);
	/* 48: an agent's answer for pd_agent_answer (sql/functions/agent.sql) */
	add_text(b, in->agent);
	/* 49: the approval answer for pd_authorization_answer
	 * (sql/functions/authorization.sql) */
	add_text(b, in->approval_answer);
	g_assert(params->n == PD_STORE_DELIVER_PARAMS);
}
