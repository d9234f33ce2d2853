/* pd-imap-ack: what the IMAP fetcher does with a message on the server once
 * the delivery outcome is known (issue 13).  Pure policy, no I/O: the
 * fetcher asks this rule after COMMIT (or after a failure) and carries out
 * the answer.  Table: tests/unit/imap/test-imap-ack.c. */
#pragma once

#include <stdbool.h>

typedef enum {
	PD_IMAP_OUTCOME_DELIVERED,  /* committed (or absorbed by the idempotency key) */
	PD_IMAP_OUTCOME_TRANSIENT,  /* database down, timeout: try again later */
	PD_IMAP_OUTCOME_PERMANENT,  /* over the size limit, parse limits, rejected by a rule */
} PdImapOutcome;

typedef enum {
	PD_IMAP_LEAVE,          /* leave the message untouched; it is fetched again */
	PD_IMAP_MOVE,           /* UID MOVE to the target folder (RFC 6851) */
	PD_IMAP_COPY_EXPUNGE,   /* UID COPY, \Deleted, UID EXPUNGE (RFC 4315) */
	PD_IMAP_SEEN,           /* \Seen and the stored last UID only */
} PdImapAction;

typedef struct {
	bool move;              /* server offers MOVE */
	bool uidplus;           /* server offers UIDPLUS */
} PdImapCaps;

/* The action for a message whose delivery ended in `outcome`.  `target`
 * (the processed folder for a delivered mail, the failed folder for a
 * permanent failure) is NULL or "" when not configured.  *folder is set to
 * the folder the action moves or copies to (NULL otherwise). */
PdImapAction pd_imap_ack_decide(PdImapOutcome outcome, PdImapCaps caps,
                                const char *target, const char **folder);

const char *pd_imap_action_name(PdImapAction action);
