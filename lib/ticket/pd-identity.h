/* pd-identity: who is writing, and what that lets the mail do (issue 3).
 *
 * Pure policy, no I/O: the store looks up the facts of a canonical From
 * address (pd_store_identity_facts: the agent owning it, its contact rows,
 * the accounts whose domain it is in); pd_identity_decide() turns facts,
 * the authentication verdict ("the From domain is authenticated", lib/auth)
 * and the queue's policy into one decision that the delivery records on the
 * ticket.  DESIGN invariant 4: privileges apply only when the From domain is
 * authenticated; an unauthenticated mail from an agent's address is an
 * unverified customer mail, never an agent action.  Nothing is ever lost:
 * every decision still makes (or threads) a ticket; what changes is whether
 * it needs authorization or is held.
 */
#ifndef PD_IDENTITY_H
#define PD_IDENTITY_H

#include <glib.h>
#include "core/pd-config.h"

typedef enum {
	PD_REQUESTER_UNKNOWN,
	PD_REQUESTER_MEMBER,	/* From domain is an account's: known organisation */
	PD_REQUESTER_CONTACT,	/* an authorized contact of an account */
	PD_REQUESTER_AGENT,
} PdRequesterKind;

typedef enum {
	PD_CONTACT_ACTIVE,
	PD_CONTACT_SUSPENDED,
	PD_CONTACT_REMOVED,
} PdContactStatus;

typedef struct {
	gint64 id;
	gint64 account_id;
	char *account_name;
	char *account_plan;		/* accounts.plan; NULL: none */
	gboolean primary;
	char **permissions;		/* NULL-terminated */
	PdContactStatus status;
	gboolean expired;		/* expires_at has passed */
} PdContactFacts;

/* Everything the database knows about one From address. */
typedef struct {
	gint64 agent_id;		/* 0: no agent has this address */
	gboolean agent_active;
	char *agent_name;
	GPtrArray *contacts;		/* PdContactFacts *, every row for the address */
	gint64 member_account_id;	/* 0: the domain is no account's */
	char *member_account_name;
	char *member_account_plan;
} PdIdentityFacts;

PdIdentityFacts *pd_identity_facts_new(void);
void pd_identity_facts_free(PdIdentityFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdIdentityFacts, pd_identity_facts_free)
/* Adds a contact row; permissions is copied. */
PdContactFacts *pd_identity_facts_add_contact(PdIdentityFacts *facts, gint64 id,
					      gint64 account_id, const char *account_name,
					      gboolean primary, const char *const *permissions,
					      PdContactStatus status, gboolean expired);

typedef enum {
	PD_HOLD_NONE,
	PD_HOLD_KNOWN,		/* unknown sender, queue takes known people only:
				 * ticket kept but held, a polite reply queued */
	PD_HOLD_MODERATE,	/* unknown sender, held for an operator */
	PD_HOLD_RULE,		/* a filter rule's hold (lib/filter): no reply, held */
	PD_HOLD_SPAM,		/* the spam score reached the queue's hold threshold */
} PdHold;

typedef struct {
	PdRequesterKind kind;		/* what the From address matched */
	gboolean authenticated;		/* the verdict that was passed in */
	gboolean privileged;		/* kind's powers apply: authenticated and in good standing */
	gboolean agent_action;		/* privileged agent: may act as an agent */
	gboolean authorized;		/* privileged and holds the queue's permission */
	gboolean needs_authorization;	/* the queue needs a permission and !authorized */
	const char *permission;		/* the queue's permission (borrowed), NULL: none */
	PdHold hold;
	gint64 agent_id, account_id, contact_id;	/* 0 = none */
	char *reason;			/* one line for the ticket and events */
} PdIdentityDecision;

void pd_identity_decision_clear(PdIdentityDecision *decision);

/* The decision for a mail whose From has facts (NULL: nothing known),
 * given the authentication verdict and the queue it was sent to (NULL: no
 * policy: open, no permission).  decision_r is overwritten. */
void pd_identity_decide(const PdIdentityFacts *facts, gboolean from_authenticated,
			const PdQueueConfig *queue, PdIdentityDecision *decision_r);

/* The decision as a JSON object (for the delivery and `postdesk test`):
 * {kind, authenticated, privileged, agent_action, authorized,
 *  needs_authorization, permission, held, agent_id, account_id,
 *  contact_id, reason}; ids and held are null when none. */
char *pd_identity_decision_json(const PdIdentityDecision *decision);

const char *pd_requester_kind_name(PdRequesterKind kind);
const char *pd_hold_name(PdHold hold);	/* NULL for PD_HOLD_NONE */
gboolean pd_contact_status_parse(const char *text, PdContactStatus *status_r);

#endif
