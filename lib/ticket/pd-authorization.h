/* pd-authorization: the primary holder's answer to an approval request
 * (issue 4 item 3).
 *
 * A request that needs a permission its contact lacks waits for the
 * account's primary holder; the holder answers by replying to the approval
 * request with APPROVE or REFUSE on the first line.  This module only reads
 * that first line, a pure function of peer text: no I/O, no policy.  Who
 * may answer (the authenticated primary holder, through the token of the
 * approval request) is checked by the store in the delivery transaction
 * (sql/functions/authorization.sql).
 */
#ifndef PD_AUTHORIZATION_H
#define PD_AUTHORIZATION_H

#include <glib.h>

typedef enum {
	PD_APPROVAL_NONE,	/* the first line is not an answer */
	PD_APPROVAL_APPROVE,
	PD_APPROVAL_REFUSE,
} PdApprovalAnswer;

/* At most this many bytes of text are looked at: a first line longer
 * than that is no answer. */
#define PD_APPROVAL_SCAN_MAX 256

/* The answer in the first non-blank line of a reply's text (NULL: none).
 * The line must be the word alone, in any case, with surrounding
 * whitespace and one trailing '.' or '!' allowed: "APPROVE", " approve.",
 * "Refuse!".  "APPROVE it", "I approve", "> APPROVE" (a quote) are no
 * answer. */
PdApprovalAnswer pd_approval_answer_parse(const char *text);

/* "approve", "refuse", or NULL for PD_APPROVAL_NONE. */
const char *pd_approval_answer_name(PdApprovalAnswer answer);

#endif
