/* pd-lmtp-private: the session state shared by the engine's two files.
 *
 * pd-lmtp.c owns the session, the byte input (command lines and DATA) and
 * reply formatting; pd-lmtp-command.c parses and answers one command line.
 */
#ifndef PD_LMTP_PRIVATE_H
#define PD_LMTP_PRIVATE_H

#include "pd-lmtp.h"

typedef enum {
	PD_LMTP_STATE_CONNECTED,	/* before LHLO */
	PD_LMTP_STATE_READY,		/* after LHLO, no transaction */
	PD_LMTP_STATE_MAIL,		/* MAIL accepted, RCPTs may follow */
	PD_LMTP_STATE_DATA,		/* reading message content */
	PD_LMTP_STATE_CLOSED,		/* QUIT, 421 or abort: ignore input */
} PdLmtpState;

/* Where the DATA scanner stands; "line start" means after CRLF (or 354). */
typedef enum {
	PD_LMTP_DATA_LINE_START,
	PD_LMTP_DATA_MIDDLE,
	PD_LMTP_DATA_CR,		/* a CR was the last byte */
	PD_LMTP_DATA_DOT,		/* "." at line start */
	PD_LMTP_DATA_DOT_CR,		/* ".\r" at line start */
} PdLmtpDataState;

struct _PdLmtpSession {
	char *hostname;
	gsize max_line_length;
	gsize max_message_size;
	guint max_recipients;
	gboolean xforward_allowed;
	PdLmtpCallbacks callbacks;
	gpointer user_data;

	PdLmtpState state;
	PdEnvelope *envelope;
	GString *line;			/* partial command line, < max_line_length */
	gboolean line_too_long;		/* discarding up to the next LF */
	guint errors;
	guint junk_commands;
	guint64 records;		/* command lines and messages read */

	PdLmtpDataState data_state;
	GByteArray *message;		/* content so far; NULL once too big */
	gsize message_size;
	gboolean message_too_big;
	gboolean message_refused;	/* reserve said no: 452 4.3.1 at the end */
	gsize reserved;			/* granted by reserve, 0: nothing held */
};

/* Append "code text\r\n"; text is made printable ASCII.  error: count it
 * towards PD_LMTP_ERROR_LIMIT. */
void pd_lmtp_reply(PdLmtpSession *session, GString *out, gboolean error,
		   guint code, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* Forget MAIL, RCPT and the XFORWARD data; back to READY (or CONNECTED). */
void pd_lmtp_transaction_reset(PdLmtpSession *session);

/* Ask callbacks.reserve for size bytes (TRUE if granted or no callback),
 * and give back what was granted. */
gboolean pd_lmtp_reserve(PdLmtpSession *session, gsize size, gboolean announced);
void pd_lmtp_release(PdLmtpSession *session);

/* Answer one command line (CRLF removed; may hold any byte). */
void pd_lmtp_command(PdLmtpSession *session, const char *line, gsize len, GString *out);

#endif
