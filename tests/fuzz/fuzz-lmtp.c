/* fuzz-lmtp: libFuzzer harness for the LMTP engine (lib/lmtp).
 *
 * Input: byte 0 holds settings flags (bit 0: XFORWARD allowed), byte 1
 * seeds the chunk sizes (0: everything in one call), the rest is what the
 * client sends.  Limits are small so the fuzzer reaches them.  Besides
 * memory errors (ASan/UBSan) it checks what the engine promises: replies
 * are CRLF lines of printable ASCII starting with a 3-digit code, strings
 * handed to the callbacks are NUL-free UTF-8, a message never exceeds
 * max_message_size, data() gets one reply slot per recipient, memory is
 * asked for before it is held (reserve, refused past half the message
 * limit so both paths run) and released exactly once, by the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lmtp/pd-lmtp.h"

#define MAX_LINE 64
#define MAX_MESSAGE 512
#define MAX_RCPT 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_string(const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		abort();
}

static void
check_envelope(const PdEnvelope *envelope)
{
	check_string(envelope->mail_from);
	check_string(envelope->client_address);
	check_string(envelope->client_name);
	check_string(envelope->client_helo);
	check_string(envelope->protocol);
	check_string(envelope->lhlo_name);
	if (envelope->recipients->len > MAX_RCPT)
		abort();
	for (guint i = 0; i < envelope->recipients->len; i++)
		check_string(envelope->recipients->pdata[i]);
}

static gboolean
cb_mail_from(PdLmtpSession *session, const PdEnvelope *envelope, PdLmtpReply *reply_r,
	     gpointer user_data)
{
	check_envelope(envelope);
	if (envelope->mail_from == NULL)
		abort();
	return TRUE;
}

static gboolean
cb_rcpt_to(PdLmtpSession *session, const PdEnvelope *envelope, const char *recipient,
	   PdLmtpReply *reply_r, gpointer user_data)
{
	check_envelope(envelope);
	check_string(recipient);
	if (recipient[0] == '\0')
		abort();
	/* Refuse some, so both paths run. */
	if (recipient[0] == 'u') {
		pd_lmtp_reply_set(reply_r, 550, "5.1.1 <%s>: unknown", recipient);
		return FALSE;
	}
	return TRUE;
}

/* What reserve granted and release gave back (user_data). */
typedef struct {
	gsize held;
} Memory;

static gboolean
cb_reserve(PdLmtpSession *session, gsize size, gboolean announced, gpointer user_data)
{
	Memory *m = user_data;

	if (size == 0 || size > MAX_MESSAGE || size <= m->held)
		abort();	/* only growth, never past the limit */
	if (size > MAX_MESSAGE / 2)
		return FALSE;
	m->held = size;
	return TRUE;
}

static void
cb_release(PdLmtpSession *session, gpointer user_data)
{
	Memory *m = user_data;

	if (m->held == 0)
		abort();	/* nothing was granted */
	m->held = 0;
}

static void
cb_data(PdLmtpSession *session, const PdEnvelope *envelope, GBytes *message,
	PdLmtpReply *replies_r, gpointer user_data)
{
	Memory *m = user_data;

	check_envelope(envelope);
	if (envelope->recipients->len == 0 || g_bytes_get_size(message) > MAX_MESSAGE)
		abort();
	if (g_bytes_get_size(message) > m->held)
		abort();	/* held without being granted */
	for (guint i = 0; i < envelope->recipients->len; i++) {
		if (i % 3 == 2)
			continue;	/* left 0: the engine says 451 */
		pd_lmtp_reply_set(&replies_r[i], 250, "2.0.0 Ok\r\n%u", i);
	}
}

static const PdLmtpCallbacks callbacks = {
	.mail_from = cb_mail_from,
	.rcpt_to = cb_rcpt_to,
	.data = cb_data,
	.reserve = cb_reserve,
	.release = cb_release,
};

/* Every reply line: "ddd" then ' ' or '-', printable ASCII, CRLF. */
static void
check_replies(const GString *out)
{
	const char *p = out->str, *end = out->str + out->len;

	while (p < end) {
		const char *crlf = g_strstr_len(p, end - p, "\r\n");

		if (crlf == NULL || crlf - p < 4 || !g_ascii_isdigit(p[0]) ||
		    !g_ascii_isdigit(p[1]) || !g_ascii_isdigit(p[2]) || (p[3] != ' ' && p[3] != '-'))
			abort();
		for (const char *q = p; q < crlf; q++)
			if (*q < 0x20 || *q > 0x7e)
				abort();
		p = crlf + 2;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PdLmtpSettings settings = {
		.hostname = "fuzz.test",
		.max_line_length = MAX_LINE,
		.max_message_size = MAX_MESSAGE,
		.max_recipients = MAX_RCPT,
	};
	PdLmtpSession *session;
	GString *out;
	guint32 seed;
	Memory memory = { 0 };

	if (size < 2)
		return 0;
	settings.xforward_allowed = (data[0] & 1) != 0;
	seed = data[1];
	data += 2;
	size -= 2;

	session = pd_lmtp_session_new(&settings, &callbacks, &memory);
	out = g_string_new(NULL);
	pd_lmtp_session_greeting(session, out);
	for (size_t off = 0; off < size;) {
		size_t n = size - off;

		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			n = MIN(n, 1 + (seed >> 16) % 97);
		}
		if (pd_lmtp_session_input(session, (const char *)data + off, n, out) == PD_LMTP_CLOSE &&
		    !pd_lmtp_session_closed(session))
			abort();
		check_replies(out);
		g_string_truncate(out, 0);
		off += n;
	}
	pd_lmtp_session_abort(session, 421, NULL, out);
	check_replies(out);
	g_string_free(out, TRUE);
	pd_lmtp_session_free(session);
	if (memory.held != 0)
		abort();	/* not given back */
	return 0;
}
