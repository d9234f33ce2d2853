/* pd-ticket: help-desk policy as pure functions (no I/O, no SQL).
 *
 * What a message's identity is for deduplication, which stored Message-IDs
 * may thread it, and how a public ticket number is written.  The store
 * executes these decisions; it does not make them.
 */
#ifndef PD_TICKET_H
#define PD_TICKET_H

#include <glib.h>
#include "mail/pd-mail.h"

/* Idempotency key (DESIGN invariant 2): the recipient's queue + Message-ID
 * + hash of the normalized body, so a redelivery after a crash between
 * COMMIT and the 250 is recognized, while two different mails that reuse
 * one Message-ID (broken clients) are not merged.  Per queue, not per
 * recipient: one mail to two addresses of one queue (support@ and help@,
 * or a "reply all" to a reply address and support@) is one ticket, each
 * recipient still answered 250 (the second "already stored").  A mail
 * without Message-ID is identified by the hash of its whole raw bytes
 * instead.  Hex SHA-256. */
char *pd_ticket_idempotency_key(const char *queue, const PdMail *mail);

/* The Message-IDs that may thread this mail into an existing ticket, in
 * order of preference: In-Reply-To first, then References newest first.
 * Duplicates removed; at most max entries (a peer controls References). */
GPtrArray *pd_ticket_thread_candidates(const PdMail *mail, guint max);

/* The first line of the mail agents get (filters/templates/
 * agent-notification.txt, forward.txt): what an agent's reply has above
 * it (or above the quoted copy of it, "> " prefixed) is the answer; the
 * line and everything after it are the quoted notification.  Documented
 * in filters/templates/README.md; an operator who edits the template
 * keeps it. */
#define PD_TICKET_REPLY_MARKER "##- Reply above this line -##"

/* "[#10042]"-style subject tag for a public ticket number. */
char *pd_ticket_subject_tag(gint64 number);

/* Ticket number cited in a subject ("Re: [#10042] printer"), or 0. */
gint64 pd_ticket_subject_number(const char *subject);

#endif
