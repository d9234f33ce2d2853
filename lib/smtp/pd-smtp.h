/* pd-smtp: hand one rendered message to the relay, and say what happened.
 *
 * A PdSmtpSender is one libcurl easy handle, used by one sender thread at
 * a time: curl keeps the connection open between messages and reuses it.
 * The outcome is classified from the server's own replies (parsed from
 * curl's debug stream, see pd-smtp-reply.h), keeping the reply text:
 *   OK        the end-of-data reply was 2xx (even if QUIT then failed)
 *   TEMPFAIL  a 4xx, no reply at all (refused, reset, timeout, TLS), or a
 *             failure before MAIL FROM (greeting, EHLO, STARTTLS, AUTH,
 *             even 5xx; and 530 "authentication required" anywhere: that
 *             is the relay's configuration, not the message's fault;
 *             relay_problem is set so the daemon can warn)
 *   PERMFAIL  a 5xx to MAIL, RCPT or DATA.
 * A reply lost after the body was sent is TEMPFAIL: the relay may have
 * taken the message (RFC 1047), which the caller records before retrying.
 *
 * Envelope sender: the caller chooses (postdeskd: the signed bounce
 * address of pd-return-path.c, or the null sender without bounce_address;
 * see pd-outbound.h).
 */
#ifndef PD_SMTP_H
#define PD_SMTP_H

#include <glib.h>

typedef enum {
	PD_SMTP_TLS_NONE,	/* plain smtp:// (a loopback relay) */
	PD_SMTP_TLS_TRY,	/* STARTTLS when offered */
	PD_SMTP_TLS_REQUIRED,	/* STARTTLS or fail (TEMPFAIL); smtps:// is always TLS */
} PdSmtpTls;

typedef struct {
	char *url;		/* smtp://127.0.0.1:25 or smtps://relay.example:465 */
	char *helo;		/* EHLO name */
	PdSmtpTls tls;
	gboolean tls_verify;	/* certificate and host name */
	char *ca_file;		/* NULL: the system store */
	char *username;		/* AUTH when set */
	char *password;
	guint connect_timeout;	/* seconds */
	guint reply_timeout;	/* seconds to wait for any one reply */
	guint total_timeout;	/* seconds for the whole transaction */
} PdSmtpRelay;

void pd_smtp_relay_clear(PdSmtpRelay *relay);

typedef enum {
	PD_SMTP_OK,
	PD_SMTP_TEMPFAIL,
	PD_SMTP_PERMFAIL,
} PdSmtpStatus;

typedef struct {
	char *address;
	PdSmtpStatus status;	/* from its RCPT reply, then the end-of-data reply */
	char *reply;
} PdSmtpRecipientResult;

typedef struct {
	PdSmtpStatus status;
	guint code;		/* the deciding SMTP reply code; 0: none came */
	char *reply;		/* "550 5.1.1 text", or curl's words when no reply came */
	const char *stage;	/* "connect", "greeting", "EHLO", "STARTTLS", "AUTH",
				 * "MAIL", "RCPT", "DATA", "end of data" */
	gboolean relay_problem;	/* failed before MAIL: the relay, not this message */
	GPtrArray *recipients;	/* PdSmtpRecipientResult *, one per recipient */
	guint64 milliseconds;
} PdSmtpResult;

void pd_smtp_result_clear(PdSmtpResult *result);
const char *pd_smtp_status_str(PdSmtpStatus status);	/* "sent", "deferred", "bounced" */

typedef struct _PdSmtpSender PdSmtpSender;

/* Call once before threads start (curl_global_init). */
void pd_smtp_global_init(void);

PdSmtpSender *pd_smtp_sender_new(const PdSmtpRelay *relay);
void pd_smtp_sender_free(PdSmtpSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSmtpSender, pd_smtp_sender_free)

/* One SMTP transaction.  envelope_from "" or NULL sends MAIL FROM:<>.
 * message: RFC 5322 bytes with CRLF line ends, not dot-stuffed (curl
 * does that).  Recipients that the relay refuses at RCPT are reported in
 * result_r->recipients while the others still get the message.  Returns
 * result_r->status == PD_SMTP_OK. */
gboolean pd_smtp_send(PdSmtpSender *sender, const char *envelope_from,
		      const char *const *recipients, GBytes *message, PdSmtpResult *result_r);

/* Connections opened so far (reuse shows as fewer connections than sends). */
guint pd_smtp_sender_connections(const PdSmtpSender *sender);

#endif
