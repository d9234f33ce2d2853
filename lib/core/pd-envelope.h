/* pd-envelope: what the MTA told us about a message besides its bytes.
 *
 * Filled by the LMTP engine (MAIL, RCPT, XFORWARD), by `postdesk deliver`
 * from its arguments, or by the IMAP fetcher.  Owned by whoever created it.
 */
#ifndef PD_ENVELOPE_H
#define PD_ENVELOPE_H

#include <glib.h>

typedef struct {
	char *mail_from;	/* reverse-path without <>, "" for the null sender */
	GPtrArray *recipients;	/* char *: forward-paths without <>, in RCPT order */
	char *client_address;	/* XFORWARD ADDR (no "IPv6:" prefix), NULL if unknown */
	char *client_name;	/* XFORWARD NAME, NULL if unknown */
	char *client_helo;	/* XFORWARD HELO, NULL if unknown */
	char *protocol;		/* XFORWARD PROTO (SMTP/ESMTP), NULL if unknown */
	char *lhlo_name;	/* LMTP LHLO argument (the MTA itself) */
	char *source;		/* "lmtp", "pipe", "imap", "test" */
	/* The ingest path vouches for the client: an LMTP client the operator
	 * trusts for XFORWARD, the pipe and the CLI (their caller can read the
	 * configuration).  When FALSE, no Received header is believed to name
	 * the SMTP client either: anyone can write one (issue 8). */
	gboolean client_trusted;
	/* Where the message came from besides the client, for the pipeline's
	 * log line ("imap=support uid=42"); not owned, NULL: nothing. */
	const char *log_origin;
	gint64 size_hint;	/* MAIL SIZE=, -1 if not given */
	gboolean body_8bit;	/* MAIL BODY=8BITMIME */
} PdEnvelope;

PdEnvelope *pd_envelope_new(const char *source);
void pd_envelope_free(PdEnvelope *envelope);
void pd_envelope_reset(PdEnvelope *envelope);	/* forget the transaction, keep client data */
void pd_envelope_add_recipient(PdEnvelope *envelope, const char *recipient);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdEnvelope, pd_envelope_free)

#endif
