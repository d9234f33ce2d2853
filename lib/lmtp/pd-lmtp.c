/* pd-lmtp: session life cycle, byte input and the DATA scanner.
 *
 * Input is split into command lines (bounded by max_line_length, handed to
 * pd-lmtp-command.c) or, after 354, scanned as message content: only
 * CR LF "." CR LF ends it, a "." that starts a CRLF-started line is removed,
 * every other byte (bare LF, bare CR, NUL) is kept.  Content beyond
 * max_message_size is counted and dropped, never stored.  No I/O here.
 */
#include "pd-lmtp-private.h"

#include <string.h>

void
pd_lmtp_reply_set(PdLmtpReply *reply, guint code, const char *fmt, ...)
{
	va_list ap;

	g_return_if_fail(reply != NULL);
	g_free(reply->text);
	reply->code = code;
	va_start(ap, fmt);
	reply->text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
}

void
pd_lmtp_reply_set_line(PdLmtpReply *reply, const char *line)
{
	g_return_if_fail(reply != NULL);
	g_clear_pointer(&reply->text, g_free);
	if (line != NULL && line[0] >= '2' && line[0] <= '5' &&
	    g_ascii_isdigit(line[1]) && g_ascii_isdigit(line[2]) &&
	    (line[3] == ' ' || line[3] == '\0')) {
		reply->code = (guint)((line[0] - '0') * 100 + (line[1] - '0') * 10 +
				      (line[2] - '0'));
		if (line[3] == ' ' && line[4] != '\0')
			reply->text = g_strdup(line + 4);
		return;
	}
	reply->code = 451;
	reply->text = g_strdup("4.3.0 Internal error");
}

void
pd_lmtp_reply_clear(PdLmtpReply *reply)
{
	if (reply == NULL)
		return;
	g_clear_pointer(&reply->text, g_free);
	reply->code = 0;
}

/* A reply is one line of printable ASCII whatever the text holds. */
static void
append_printable(GString *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		g_string_append_c(out, (*p >= 0x20 && *p < 0x7f) ? (char)*p : '?');
}

static void
check_error_limit(PdLmtpSession *session, GString *out)
{
	if (session->state == PD_LMTP_STATE_CLOSED || session->errors < PD_LMTP_ERROR_LIMIT)
		return;
	g_string_append_printf(out, "421 4.7.0 ");
	append_printable(out, session->hostname);
	g_string_append(out, " Error: too many errors\r\n");
	session->state = PD_LMTP_STATE_CLOSED;
}

void
pd_lmtp_reply(PdLmtpSession *session, GString *out, gboolean error, guint code,
	      const char *fmt, ...)
{
	g_autofree char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_string_append_printf(out, "%03u ", code);
	append_printable(out, text);
	g_string_append(out, "\r\n");
	if (error)
		session->errors++;
}

/* The reply a callback gave, or 451 when it gave none that makes sense. */
static void
append_callback_reply(GString *out, const PdLmtpReply *reply)
{
	if (reply->code < 200 || reply->code > 599) {
		g_string_append(out, "451 4.3.0 Internal error\r\n");
		return;
	}
	g_string_append_printf(out, "%u ", reply->code);
	if (reply->text != NULL && reply->text[0] != '\0')
		append_printable(out, reply->text);
	else if (reply->code < 400)
		g_string_append(out, "2.0.0 Ok");
	else if (reply->code < 500)
		g_string_append(out, "4.0.0 Error");
	else
		g_string_append(out, "5.0.0 Error");
	g_string_append(out, "\r\n");
}

PdLmtpSession *
pd_lmtp_session_new(const PdLmtpSettings *settings, const PdLmtpCallbacks *callbacks,
		    gpointer user_data)
{
	PdLmtpSession *session = g_new0(PdLmtpSession, 1);

	g_return_val_if_fail(settings != NULL, NULL);
	session->hostname = g_strdup(settings->hostname != NULL ? settings->hostname
								: g_get_host_name());
	session->max_line_length = settings->max_line_length != 0 ?
		settings->max_line_length : PD_LMTP_DEFAULT_LINE_LENGTH;
	/* Room for at least "X\r\n": a shorter limit would refuse everything. */
	session->max_line_length = MAX(session->max_line_length, 3);
	session->max_message_size = settings->max_message_size != 0 ?
		settings->max_message_size : PD_LMTP_DEFAULT_MESSAGE_SIZE;
	/* A GByteArray holds at most G_MAXUINT bytes. */
	session->max_message_size = MIN(session->max_message_size, (gsize)G_MAXUINT - 1);
	session->max_recipients = settings->max_recipients != 0 ?
		settings->max_recipients : PD_LMTP_DEFAULT_RECIPIENTS;
	session->xforward_allowed = settings->xforward_allowed;
	if (callbacks != NULL)
		session->callbacks = *callbacks;
	session->user_data = user_data;
	session->state = PD_LMTP_STATE_CONNECTED;
	session->envelope = pd_envelope_new("lmtp");
	session->envelope->client_trusted = session->xforward_allowed;
	session->line = g_string_sized_new(MIN(session->max_line_length, 512));
	return session;
}

void
pd_lmtp_session_free(PdLmtpSession *session)
{
	if (session == NULL)
		return;
	g_clear_pointer(&session->message, g_byte_array_unref);
	pd_lmtp_release(session);
	g_free(session->hostname);
	pd_envelope_free(session->envelope);
	g_string_free(session->line, TRUE);
	g_free(session);
}

void
pd_lmtp_session_greeting(PdLmtpSession *session, GString *out)
{
	g_string_append(out, "220 ");
	append_printable(out, session->hostname);
	g_string_append(out, " LMTP postdesk ready\r\n");
}

void
pd_lmtp_session_abort(PdLmtpSession *session, guint code, const char *text, GString *out)
{
	if (session->state == PD_LMTP_STATE_CLOSED)
		return;
	g_string_append_printf(out, "%03u ", code != 0 ? MIN(code, 599) : 421);
	if (text != NULL) {
		append_printable(out, text);
	} else {
		g_string_append(out, "4.4.2 ");
		append_printable(out, session->hostname);
		g_string_append(out, " Error: timeout exceeded");
	}
	g_string_append(out, "\r\n");
	session->state = PD_LMTP_STATE_CLOSED;
}

gboolean
pd_lmtp_session_closed(PdLmtpSession *session)
{
	return session->state == PD_LMTP_STATE_CLOSED;
}

gboolean
pd_lmtp_session_in_data(PdLmtpSession *session)
{
	return session->state == PD_LMTP_STATE_DATA;
}

guint64
pd_lmtp_session_records(PdLmtpSession *session)
{
	return session->records;
}

const PdEnvelope *
pd_lmtp_session_envelope(PdLmtpSession *session)
{
	return session->envelope;
}

void
pd_lmtp_transaction_reset(PdLmtpSession *session)
{
	PdEnvelope *envelope = session->envelope;

	pd_envelope_reset(envelope);
	g_clear_pointer(&envelope->client_address, g_free);
	g_clear_pointer(&envelope->client_name, g_free);
	g_clear_pointer(&envelope->client_helo, g_free);
	g_clear_pointer(&envelope->protocol, g_free);
	if (session->message != NULL) {
		g_byte_array_unref(session->message);
		session->message = NULL;
	}
	pd_lmtp_release(session);
	session->message_size = 0;
	session->message_too_big = FALSE;
	session->message_refused = FALSE;
	if (session->state != PD_LMTP_STATE_CONNECTED && session->state != PD_LMTP_STATE_CLOSED)
		session->state = PD_LMTP_STATE_READY;
}

/* ---- DATA ---- */

gboolean
pd_lmtp_reserve(PdLmtpSession *session, gsize size, gboolean announced)
{
	if (size <= session->reserved)
		return TRUE;
	if (session->callbacks.reserve != NULL &&
	    !session->callbacks.reserve(session, size, announced, session->user_data))
		return FALSE;
	session->reserved = size;
	return TRUE;
}

void
pd_lmtp_release(PdLmtpSession *session)
{
	if (session->reserved == 0)
		return;
	session->reserved = 0;
	if (session->callbacks.release != NULL)
		session->callbacks.release(session, session->user_data);
}

static void
content_append(PdLmtpSession *session, const char *bytes, gsize len)
{
	if (session->message_too_big || session->message_refused)
		return;
	if (len > session->max_message_size - session->message_size) {
		/* Keep reading to the real end, but keep nothing. */
		session->message_too_big = TRUE;
		g_clear_pointer(&session->message, g_byte_array_unref);
		pd_lmtp_release(session);
		return;
	}
	if (session->message_size + len > session->reserved) {
		gsize want = MIN(session->message_size + len + PD_LMTP_RESERVE_STEP,
				 session->max_message_size);

		if (!pd_lmtp_reserve(session, want, FALSE)) {
			/* No memory for it now: read to the end, keep nothing. */
			session->message_refused = TRUE;
			g_clear_pointer(&session->message, g_byte_array_unref);
			pd_lmtp_release(session);
			return;
		}
	}
	session->message_size += len;
	if (session->message == NULL)
		session->message = g_byte_array_sized_new(
			(guint)MIN(session->max_message_size, 64 * 1024));
	g_byte_array_append(session->message, (const guint8 *)bytes, (guint)len);
}

static void
data_finish(PdLmtpSession *session, GString *out)
{
	const PdEnvelope *envelope = session->envelope;
	guint n = envelope->recipients->len;
	gboolean delivered = FALSE;

	if (session->message_too_big) {
		for (guint i = 0; i < n; i++)
			g_string_append(out, "552 5.3.4 Error: message file too big\r\n");
	} else if (session->message_refused) {
		for (guint i = 0; i < n; i++)
			g_string_append(out, "452 4.3.1 Insufficient system storage\r\n");
	} else {
		PdLmtpReply *replies = g_new0(PdLmtpReply, n);
		GByteArray *message = session->message != NULL ? session->message
							       : g_byte_array_new();
		g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes(message);

		session->message = NULL;
		if (session->callbacks.data != NULL)
			session->callbacks.data(session, envelope, bytes, replies,
						session->user_data);
		for (guint i = 0; i < n; i++) {
			append_callback_reply(out, &replies[i]);
			if (replies[i].code >= 200 && replies[i].code < 300)
				delivered = TRUE;
			pd_lmtp_reply_clear(&replies[i]);
		}
		g_free(replies);
	}
	session->records++;
	if (delivered) {
		/* As smtpd does: a delivered message forgives earlier errors. */
		session->errors = 0;
		session->junk_commands = 0;
	}
	session->state = PD_LMTP_STATE_READY;
	pd_lmtp_transaction_reset(session);
}

/* Scan message content; returns the bytes consumed (up to and including
 * the end-of-data line when it is seen). */
static gsize
data_input(PdLmtpSession *session, const char *data, gsize len, GString *out)
{
	gsize i = 0;

	while (i < len) {
		switch (session->data_state) {
		case PD_LMTP_DATA_MIDDLE: {
			/* Copy up to and including the next CR in one go. */
			const char *cr = memchr(data + i, '\r', len - i);
			gsize run = cr != NULL ? (gsize)(cr - (data + i)) + 1 : len - i;

			content_append(session, data + i, run);
			i += run;
			if (cr != NULL)
				session->data_state = PD_LMTP_DATA_CR;
			break;
		}
		case PD_LMTP_DATA_CR:
			content_append(session, data + i, 1);
			session->data_state = data[i] == '\n' ? PD_LMTP_DATA_LINE_START :
					      data[i] == '\r' ? PD_LMTP_DATA_CR :
					      PD_LMTP_DATA_MIDDLE;
			i++;
			break;
		case PD_LMTP_DATA_LINE_START:
			if (data[i] == '.') {
				session->data_state = PD_LMTP_DATA_DOT;
				i++;
			} else {
				session->data_state = PD_LMTP_DATA_MIDDLE;
			}
			break;
		case PD_LMTP_DATA_DOT:
			/* The dot is dropped unless ".\r\n" follows. */
			if (data[i] == '\r') {
				session->data_state = PD_LMTP_DATA_DOT_CR;
				i++;
			} else {
				session->data_state = PD_LMTP_DATA_MIDDLE;
			}
			break;
		case PD_LMTP_DATA_DOT_CR:
			if (data[i] == '\n') {
				data_finish(session, out);
				return i + 1;
			}
			/* "." CR then not LF: a stuffed line that goes on. */
			content_append(session, "\r", 1);
			session->data_state = PD_LMTP_DATA_CR;
			break;
		}
	}
	return i;
}

/* ---- command lines ---- */

static void
line_complete(PdLmtpSession *session, GString *out)
{
	GString *line = session->line;

	session->records++;
	/* Drop the LF and one CR before it. */
	g_string_truncate(line, line->len - 1);
	if (line->len > 0 && line->str[line->len - 1] == '\r')
		g_string_truncate(line, line->len - 1);
	pd_lmtp_command(session, line->str, line->len, out);
	g_string_truncate(session->line, 0);
}

/* Take bytes of a command line; returns the bytes consumed (through the LF
 * when one is found). */
static gsize
line_input(PdLmtpSession *session, const char *data, gsize len, GString *out)
{
	const char *lf = memchr(data, '\n', len);
	gsize take = lf != NULL ? (gsize)(lf - data) + 1 : len;

	if (!session->line_too_long && session->line->len + take > session->max_line_length - 1 &&
	    (lf == NULL || session->line->len + take > session->max_line_length)) {
		/* Without an LF a line of max_line_length bytes can only grow. */
		session->line_too_long = TRUE;
		g_string_truncate(session->line, 0);
	}
	if (session->line_too_long) {
		if (lf != NULL) {
			session->line_too_long = FALSE;
			session->records++;
			pd_lmtp_reply(session, out, TRUE, 500, "5.5.2 Error: line too long");
		}
		return take;
	}
	g_string_append_len(session->line, data, (gssize)take);
	if (lf != NULL)
		line_complete(session, out);
	return take;
}

PdLmtpStatus
pd_lmtp_session_input(PdLmtpSession *session, const char *data, gsize len, GString *out)
{
	while (len > 0 && session->state != PD_LMTP_STATE_CLOSED) {
		gsize used;

		if (session->state == PD_LMTP_STATE_DATA) {
			used = data_input(session, data, len, out);
		} else {
			used = line_input(session, data, len, out);
			if (session->state == PD_LMTP_STATE_DATA)
				session->data_state = PD_LMTP_DATA_LINE_START;
		}
		check_error_limit(session, out);
		data += used;
		len -= used;
	}
	return session->state == PD_LMTP_STATE_CLOSED ? PD_LMTP_CLOSE : PD_LMTP_CONTINUE;
}
