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
 * oversized message is read and discarded, then every recipient gets 552),
 * and the memory it takes is asked of the caller first (reserve: 452 4.3.1
 * when refused, RFC 3463 "insufficient system storage").
 * After DATA the caller gives one reply per accepted recipient, in order.
 *
 * Decisions, following Postfix smtpd (what its lmtp client expects):
 * - A command line may end in CRLF or in a bare LF (smtpd accepts both,
 *   smtpd_forbid_bare_newline=normalize); inside DATA a bare LF or CR is
 *   content and never ends a line.  A longer line than max_line_length is
 *   discarded up to its LF and answered 500 5.5.2, never buffered.
 * - MAIL, RCPT, DATA and XFORWARD need LHLO first (503 5.5.1); NOOP, RSET,
 *   VRFY and QUIT work at any time.  A second LHLO resets the session.
 * - XFORWARD data lasts for one transaction: it is cleared by RSET, LHLO and
 *   the end of DATA (smtpd's mail_reset); Postfix sends XFORWARD before
 *   every MAIL on a reused connection.
 * - Errors are counted as smtpd_hard_error_limit does: after
 *   PD_LMTP_ERROR_LIMIT of them the engine answers 421 4.7.0 and closes.
 *   Counted: replies to commands the client got wrong (syntax, sequence,
 *   unknown command, line too long, size and recipient limits) and every
 *   NOOP/RSET/VRFY/LHLO beyond PD_LMTP_JUNK_LIMIT.  Refusals decided by the
 *   callbacks (an unknown recipient) are not counted, so a trusted MTA is
 *   never cut off in the middle of a long recipient list.  A delivered
 *   message (a 2xx for some recipient) forgives both counts.
 */
#ifndef PD_LMTP_H
#define PD_LMTP_H

#include <glib.h>
#include "core/pd-envelope.h"

typedef struct _PdLmtpSession PdLmtpSession;

#define PD_LMTP_ERROR_LIMIT	20	/* Postfix smtpd_hard_error_limit */
#define PD_LMTP_JUNK_LIMIT	100	/* Postfix smtpd_junk_command_limit */

/* Defaults used for settings left 0. */
#define PD_LMTP_DEFAULT_LINE_LENGTH	2048		/* line_length_limit */
#define PD_LMTP_DEFAULT_MESSAGE_SIZE	10240000	/* message_size_limit */
#define PD_LMTP_DEFAULT_RECIPIENTS	1000		/* smtpd_recipient_limit */

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
	/* MAIL FROM accepted by syntax (envelope->mail_from, size_hint and
	 * body_8bit are set); return FALSE and fill reply_r to refuse.
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
	/* The message being received is about to hold size bytes: at DATA,
	 * before 354, when MAIL FROM gave SIZE= (announced TRUE; size: that,
	 * capped at max_message_size), and whenever the content outgrows
	 * what was granted (in steps of PD_LMTP_RESERVE_STEP).  Return FALSE
	 * to refuse: at DATA the reply is 452 4.3.1 and no content is read;
	 * in the content, the rest is read and dropped and every recipient
	 * gets 452 4.3.1.  size is the whole amount the message holds now,
	 * not the increase.  An announced reservation may wait (bounded) for
	 * others to release; one in the content should not (the session
	 * would stop reading, and no deadline of its own would run).  NULL:
	 * always granted. */
	gboolean (*reserve)(PdLmtpSession *session, gsize size, gboolean announced,
			    gpointer user_data);
	/* What reserve granted is no longer needed: once the data callback
	 * has returned and the content is freed, or the content was dropped
	 * (too big, refused, the session ended mid-DATA).  NULL: nothing. */
	void (*release)(PdLmtpSession *session, gpointer user_data);
} PdLmtpCallbacks;

/* How far a reservation grows past the content when it must grow: small,
 * so a client that drips its content holds little. */
#define PD_LMTP_RESERVE_STEP (64 * 1024)

/* Copied by pd_lmtp_session_new(); 0 or NULL fields take the defaults. */
typedef struct {
	const char *hostname;		/* greeting and LHLO reply; NULL: g_get_host_name() */
	gsize max_line_length;		/* bytes incl. CRLF; longer: 500 5.5.2 */
	gsize max_message_size;		/* bytes after dot-unstuffing; advertised as SIZE */
	guint max_recipients;		/* more: 452 4.5.3 */
	gboolean xforward_allowed;	/* client may use XFORWARD; also sets the
					 * envelope's client_trusted */
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

/* End the session with one reply, for timeouts and shutdown: appends
 * "<code> <text>\r\n" (code 0: 421; text NULL: "4.4.2 <host> Error: timeout
 * exceeded"; text starts with the enhanced status code).  Afterwards input
 * is ignored and returns PD_LMTP_CLOSE.  Nothing is appended when the
 * session is already closed. */
void pd_lmtp_session_abort(PdLmtpSession *session, guint code, const char *text,
			   GString *out);

/* TRUE once QUIT, a 421 or pd_lmtp_session_abort() ended the session. */
gboolean pd_lmtp_session_closed(PdLmtpSession *session);

/* TRUE while the engine reads message content (after 354), e.g. for a
 * longer DATA timeout. */
gboolean pd_lmtp_session_in_data(PdLmtpSession *session);

/* Command lines and messages read so far: when it grows, a record is
 * complete and the caller's per-record deadline starts again
 * (pd-lmtp-deadline.h). */
guint64 pd_lmtp_session_records(PdLmtpSession *session);

/* The envelope of the current transaction.  MAIL, RCPT and the XFORWARD
 * client data are reset by RSET, LHLO and after DATA; lhlo_name stays. */
const PdEnvelope *pd_lmtp_session_envelope(PdLmtpSession *session);

#endif
