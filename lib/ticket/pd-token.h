/* pd-token: signed reply tokens (DESIGN "thread", invariant 4).
 *
 * Every outbound mail carries a reply address "support+t-TOKEN@example.com"
 * and a Message-ID "pd.TOKEN@host" whose TOKEN names the ticket and the
 * recipient the mail went to, under an HMAC-SHA256 the outside world cannot
 * compute.  An inbound mail threads by token only when the token is
 * authentic AND was issued to the sender of that mail, so a stranger who
 * quotes or is forwarded someone's token starts a ticket of its own.
 *
 * TOKEN is unpadded base32 (RFC 4648 alphabet, lower case) of
 *   varint(ticket id) varint(extra) rcpt[4] mac[10]
 * (a bounce token: varint(outbound row id) varint(0) rcpt[4] mac[10]).
 * extra: for a reply address 7 bits of a keyed digest of the address it was
 * issued on (support@ vs billing@); for a Message-ID the caller's serial
 * (outbound row id) so two mails of one ticket never share a Message-ID.
 * rcpt: 32 bits of HMAC(key, canonical recipient): the recipient address is
 * not in the token (no address leaks into headers), only a keyed check.
 * mac: 80 bits of HMAC(key, "pd-token-1" purpose payload).  Decoding is case
 * insensitive (MTAs and clients fold local parts) and canonical (one byte
 * string has one encoding, so no altered spelling verifies).
 *
 * Keys rotate: a PdTokenKeys is an ordered list; the first signs, all of
 * them verify.  Pure functions; no I/O; what a verdict means for threading
 * is the ticket policy's decision, not this module's.
 */
#ifndef PD_TOKEN_H
#define PD_TOKEN_H

#include <glib.h>
#include "core/pd-config.h"

#define PD_TOKEN_REPLY_PREFIX	"t-"	/* subaddress: support+t-TOKEN@ */
#define PD_TOKEN_DELIMITER	"+"
#define PD_TOKEN_MSGID_PREFIX	"pd."	/* Message-ID local part */
#define PD_TOKEN_BOUNCE_PREFIX	"b-"	/* subaddress: bounces+b-TOKEN@ (MAIL FROM) */
#define PD_TOKEN_MIN_KEY_LEN	16	/* bytes of secret */

typedef struct _PdTokenKeys PdTokenKeys;

/* secrets: NULL-terminated, first one signs; each at least
 * PD_TOKEN_MIN_KEY_LEN bytes, no duplicates.  PD_ERROR_USAGE otherwise. */
PdTokenKeys *pd_token_keys_new(const char *const *secrets, GError **error);
/* [outbound] token_keys = KEY1, KEY2 ... (comma or space separated),
 * required with [outbound]: the table, and the keys made of it once per
 * configuration (NULL without [outbound]). */
extern const PdConfigTable pd_token_table;
const PdTokenKeys *pd_token_keys_of(const PdConfig *config);
void pd_token_keys_free(PdTokenKeys *keys);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdTokenKeys, pd_token_keys_free)

typedef enum {
	PD_TOKEN_VALID,			/* authentic, for this address and sender */
	PD_TOKEN_ABSENT,		/* no token of ours in it: not an error */
	PD_TOKEN_MALFORMED,		/* our prefix, but not a decodable token */
	PD_TOKEN_FORGED,		/* decodes, no key authenticates it */
	PD_TOKEN_WRONG_PURPOSE,		/* authentic Message-ID token used as address, or vice versa */
	PD_TOKEN_OTHER_ADDRESS,		/* authentic, issued on another of our addresses */
	PD_TOKEN_OTHER_RECIPIENT,	/* authentic, issued to someone else */
	PD_TOKEN_EXPIRED,		/* authentic page token past its day (pd_token_verify_page) */
} PdTokenVerdict;

typedef struct {
	gint64 ticket_id;	/* set for every authentic verdict, else 0 */
	gint64 serial;		/* Message-ID serial, bounce address: the outbound
				 * row id; 0 for reply addresses */
	guint key_index;	/* which key verified: > 0 means a retired key */
	guint8 recipient_tag[4];	/* page tokens: the keyed tag of the recipient */
} PdTokenInfo;

/* "valid", "forged", ...: for logs and events. */
const char *pd_token_verdict_str(PdTokenVerdict verdict);

/* "support+t-TOKEN@example.com" for a mail about ticket_id sent to
 * recipient; base is our plain address ("support@example.com").
 * NULL (PD_ERROR_USAGE) when base or recipient is not an address. */
char *pd_token_reply_address(const PdTokenKeys *keys, const char *base, gint64 ticket_id,
			     const char *recipient, GError **error);

/* "pd.TOKEN@hostname" (no angle brackets); serial must be unique per
 * mail (the outbound row id).  NULL (PD_ERROR_USAGE) on a bad recipient. */
char *pd_token_message_id(const PdTokenKeys *keys, gint64 ticket_id, gint64 serial,
			  const char *recipient, const char *hostname, GError **error);

/* Verify the recipient address of an inbound mail ("support+t-..@", with or
 * without <>, any case) against the sender of that mail (its From or
 * envelope sender).  info_r (may be NULL) gets the ticket of an authentic
 * token even when the verdict refuses it, for the log. */
PdTokenVerdict pd_token_verify_reply_address(const PdTokenKeys *keys, const char *address,
					     const char *sender, PdTokenInfo *info_r);

/* Same for one Message-ID out of In-Reply-To/References ("<pd.X@h>" or
 * "pd.X@h"; the host part is not checked: several daemons share tickets). */
PdTokenVerdict pd_token_verify_message_id(const PdTokenKeys *keys, const char *message_id,
					  const char *sender, PdTokenInfo *info_r);

/* The MAIL FROM of outbound row outbound_id sent to recipient:
 * "bounces+b-TOKEN@example.com" for base "bounces@example.com" (VERP):
 * a bounce names the exact mail that failed, and nobody can forge one.
 * NULL (PD_ERROR_USAGE) when base or recipient is not an address. */
char *pd_token_bounce_address(const PdTokenKeys *keys, const char *base, gint64 outbound_id,
			      const char *recipient, GError **error);

/* Verify a bounce address (a DSN's envelope recipient).  info_r->serial
 * gets the outbound row id.  recipient: the address the DSN reports as
 * failed; NULL when it reports none (then only the signature is checked:
 * the store checks the row's own recipients).  A bounce comes from
 * MAILER-DAEMON, so there is no sender to check. */
PdTokenVerdict pd_token_verify_bounce_address(const PdTokenKeys *keys, const char *address,
					      const char *recipient, PdTokenInfo *info_r);

/* The customer's ticket page ([http] public_url + "/t/TOKEN", issue 15):
 * TOKEN (the same encoding, its own purpose) names the ticket and the
 * recipient the link was mailed to, and the last day it is good for
 * (expires: Unix time; the day it falls in is the last).  NULL
 * (PD_ERROR_USAGE) on a bad recipient. */
char *pd_token_page(const PdTokenKeys *keys, gint64 ticket_id, const char *recipient,
		    gint64 expires, GError **error);

/* Verify a page TOKEN at Unix time now: VALID (info_r gets the ticket and
 * the recipient tag), MALFORMED, FORGED (no key signs it as a page token)
 * or EXPIRED.  Only the HMAC decides: nothing here depends on the ticket.
 * The caller then asks pd_token_page_recipient which of the ticket's
 * addresses the link was mailed to. */
PdTokenVerdict pd_token_verify_page(const PdTokenKeys *keys, const char *token, gint64 now,
				    PdTokenInfo *info_r);

/* TRUE if recipient is the address a VALID page token (its info) was
 * issued to. */
gboolean pd_token_page_recipient(const PdTokenKeys *keys, const PdTokenInfo *info,
				 const char *recipient);

#endif
