/* pd-autoreply: may postdesk answer this mail automatically? (DESIGN
 * invariant 3: no loops, no backscatter).
 *
 * A pure function of the facts of one received mail: never an automatic
 * reply to a null sender, a mail that says it is automatic (Auto-Submitted
 * other than "no", Precedence bulk/list/junk, X-Auto-Response-Suppress,
 * the vacation markers of common responders), a mailing list, a delivery,
 * disposition or feedback report (or what a bounce subject says), a robot
 * address (pd_address_is_robot, list admin addresses),
 * our own outbound mail (a Message-ID our token keys sign, or one of our
 * own addresses as sender), an unauthenticated sender whose domain
 * publishes DMARC p=reject (when authentication facts are known), or spam.
 * The answer names its reason, for the event row.
 *
 * The header names postdesk writes on inbound mail: X-Postdesk-Ticket (and
 * any X-Postdesk-*) is ignored, since a stranger can write it (Request
 * Tracker's CVE-2023-41259); our own mail coming back is known by its
 * signed Message-ID.  Auto-Submitted and X-Auto-Response-Suppress are the
 * sender's word about its own mail (RFC 3834, Microsoft's header), trusted
 * from anyone: they only make that sender's own mail count as automatic.
 *
 * The per-address cap is not decided here: it needs the history of what
 * was sent, which the store checks in the same transaction (the ledger, in
 * sql/functions/outbound.sql pd_outbound_ack).  No I/O.
 */
#ifndef PD_AUTOREPLY_H
#define PD_AUTOREPLY_H

#include <glib.h>
#include "mail/pd-mail.h"
#include "ticket/pd-token.h"

typedef struct {
	const char *envelope_sender;	/* MAIL FROM; "" or NULL: the null sender */
	const PdMail *mail;
	const PdTokenKeys *keys;	/* ours, to recognize our own mail; may be NULL */
	const char *const *own_addresses;	/* canonical, NULL-terminated; may be NULL */
	const char *delimiter;		/* subaddress delimiter ("+"), may be NULL */
	gboolean auth_known;		/* the authentication facts below are real */
	gboolean from_authenticated;	/* aligned SPF or DKIM pass */
	gboolean dmarc_reject;		/* the From domain publishes p=reject */
	gboolean spam;			/* the scoring said spam */
} PdAutoreplyFacts;

typedef struct {
	gboolean send;
	const char *reason;	/* static: why not ("null sender", ...), or "ok" */
	char *recipient;	/* canonical address to answer (when send), else NULL */
	char *recipient_name;	/* display name, may be NULL */
} PdAutoreplyDecision;

/* Decide; decision_r is filled (clear it with pd_autoreply_decision_clear). */
void pd_autoreply_decide(const PdAutoreplyFacts *facts, PdAutoreplyDecision *decision_r);
void pd_autoreply_decision_clear(PdAutoreplyDecision *decision);

/* TRUE when subject reads like a vacation / out-of-office answer. */
gboolean pd_autoreply_subject_is_automatic(const char *subject);

#endif
