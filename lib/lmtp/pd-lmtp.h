/* pd-lmtp: the LMTP protocol engine (RFC 2033), with no I/O of its own.
 *
 * The engine is fed the bytes the client sent and appends the bytes to send
 * back to a GString; the listener owns the socket, the timers and the
 * threads.  It knows nothing of tickets, SQL or MIME: decisions are asked of
 * the caller through PdLmtpCallbacks (Dovecot's smtp_server_callbacks).
 *
 * It implements LHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY (252), and
 * XFORWARD as Postfix's lmtp client sends it; extensions PIPELINING,
 * ENHANCEDSTATUSCODES, 8BITMIME, SIZE and (for authorized clients)
 * XFORWARD.  Only <CR><LF>.<CR><LF> ends DATA; dot-stuffing is undone; a
 * bare LF or CR inside DATA is kept as message content.  Command lines are
 * bounded by max_line_length, DATA by max_message_size (the rest of an
 * oversized message is read and discarded, then every recipient gets 552).
 * After DATA the caller gives one reply per accepted recipient, in order.
 */
#ifndef PD_LMTP_H
#define PD_LMTP_H

#include <glib.h>
#include "core/pd-envelope.h"

typedef struct _PdLmtpSession PdLmtpSession;

/* One reply: "250 2.1.5 Ok" style, without CRLF.  The engine sanitizes the
 * text (no CR/LF) and splits nothing: one line. */
typedef struct {
	guint code;		/* 250, 451, 550, ... */
	char *text;		/* "2.1.5 Ok" (enhanced status first), owned */
} PdLmtpReply;

void pd_lmtp_reply_set(PdLmtpReply *reply, guint code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Parse a full "451 4.3.0 text" line as made by pd_error_to_smtp_reply(). */
void pd_lmtp_reply_set_line(PdLmtpReply *reply, const char *line);
void pd_lmtp_reply_clear(PdLmtpReply *reply);

typedef struct {
	/* MAIL FROM accepted by syntax; return FALSE and fill reply to refuse.
	 * NULL callback: accept. */
	gboolean (*mail_from)(PdLmtpSession *session, const PdEnvelope *envelope,
			      PdLmtpReply *reply_r, gpointer user_data);
	/* RCPT TO: recipient is the forward-path without <>.  Return FALSE and
	 * fill reply_r (e.g. 550 5.1.1) to refuse; TRUE adds it.  NULL: accept. */
	gboolean (*rcpt_to)(PdLmtpSession *session, const PdEnvelope *envelope,
			    const char *recipient, PdLmtpReply *reply_r,
			    gpointer user_data);
	/* The message is complete.  replies_r has envelope->recipients->len
	 * entries, all zeroed; fill each one.  An entry left with code 0 is
	 * answered "451 4.3.0 Internal error".  message: the bytes as sent,
	 * dot-stuffing undone, line ends untouched. */
	void (*data)(PdLmtpSession *session, const PdEnvelope *envelope,
		     GBytes *message, PdLmtpReply *replies_r, gpointer user_data);
} PdLmtpCallbacks;

typedef struct {
	const char *hostname;		/* greeting and LHLO reply */
	gsize max_line_length;		/* bytes incl. CRLF; longer: 500 5.5.2 */
	gsize max_message_size;		/* bytes; advertised as SIZE */
	guint max_recipients;		/* more: 452 4.5.3 */
	gboolean xforward_allowed;	/* client may use XFORWARD */
} PdLmtpSettings;

typedef enum {
	PD_LMTP_CONTINUE,	/* keep reading */
	PD_LMTP_CLOSE,		/* send what is in out, then close (QUIT, 421) */
} PdLmtpStatus;

PdLmtpSession *pd_lmtp_session_new(const PdLmtpSettings *settings,
				   const PdLmtpCallbacks *callbacks,
				   gpointer user_data);
void pd_lmtp_session_free(PdLmtpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdLmtpSession, pd_lmtp_session_free)

/* "220 host LMTP postdesk ready" into out. */
void pd_lmtp_session_greeting(PdLmtpSession *session, GString *out);

/* Feed client bytes; replies are appended to out.  May call back into
 * the callbacks (the data callback runs synchronously).  Any byte sequence
 * is valid input: the engine never crashes on it. */
PdLmtpStatus pd_lmtp_session_input(PdLmtpSession *session, const char *data,
				   gsize len, GString *out);

/* A 421 for timeouts and shutdown: "421 4.4.2 host Error: timeout exceeded". */
void pd_lmtp_session_abort(PdLmtpSession *session, guint code, const char *text,
			   GString *out);

/* The envelope of the current transaction (client data persists across
 * transactions; MAIL/RCPT are reset by RSET and after DATA). */
const PdEnvelope *pd_lmtp_session_envelope(PdLmtpSession *session);

#endif
