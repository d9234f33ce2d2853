/* pd-store-identity: accounts, contacts, agents in the database (issue 3).
 *
 * The mail path's one lookup (pd_store_identity_facts: everything known
 * about a canonical From address, one query) and the admin operations of
 * `postdesk account|contact|agent|queue`.  Every change is one statement
 * (a pd_admin_* function of sql/functions/admin.sql), so one transaction with
 * its event row, and nothing partial is ever written.  Addresses and domains
 * passed in must already be canonical (pd_address_canonicalize); names of
 * permissions already valid (pd_config_permission_valid): the database
 * checks again.  Errors: PD_ERROR_NOTFOUND for an unknown account, contact or
 * agent; PD_ERROR_USAGE for a bad argument (duplicate, second primary,
 * expiry in the past...); PD_ERROR_TEMPFAIL for database trouble.
 */
#ifndef PD_STORE_IDENTITY_H
#define PD_STORE_IDENTITY_H

#include <glib.h>
#include "store/pd-store.h"
#include "ticket/pd-identity.h"

/* --- the mail path ----------------------------------------------------- */

/* The facts for canonical ("local@domain") address; *facts_r NULL when
 * nothing is known about it. */
gboolean pd_store_identity_facts(PdStore *store, const char *canonical,
				 PdIdentityFacts **facts_r, GError **error);

/* What a ticket knows about its requester (postdesk ticket show). */
typedef struct {
	char *kind;			/* agent, contact, member, unknown */
	gboolean authenticated;
	gboolean authorized;
	gboolean needs_authorization;
	char *reason;			/* NULL: never identified */
	char *held;			/* "known", "moderate", NULL */
	char *account;			/* account name, NULL: none */
	char *contact;			/* "address (role; permissions; status)", NULL: none */
	/* the holder's approval (sql/functions/authorization.sql): "requested from ADDRESS
	 * (PERMISSION)", "approved by ...", "refused by ...", NULL: never asked */
	char *approval;
} PdTicketIdentity;

void pd_ticket_identity_clear(PdTicketIdentity *identity);
/* PD_ERROR_NOTFOUND when there is no ticket number. */
gboolean pd_store_ticket_identity(PdStore *store, gint64 number, PdTicketIdentity *identity_r,
				  GError **error);

/* --- admin: changes ---------------------------------------------------- */

/* strv arguments may be NULL (none / unchanged). */
gboolean pd_store_account_add(PdStore *store, const char *actor, const char *name,
			      const char *plan, const char *const *domains,
			      const char *manager, GError **error);
/* plan "" clears it; manager "" clears it; NULL leaves either unchanged. */
gboolean pd_store_account_set(PdStore *store, const char *actor, const char *name,
			      const char *plan, const char *const *add_domains,
			      const char *const *remove_domains, const char *manager,
			      GError **error);
/* permissions NULL: the default (all five for a primary, support for an
 * alternate); expires "YYYY-MM-DD" or NULL. */
gboolean pd_store_contact_add(PdStore *store, const char *actor, const char *account,
			      const char *address, const char *name, gboolean primary,
			      const char *const *permissions, const char *expires,
			      GError **error);
/* account NULL: the address must be a contact of one account only.
 * expires "" clears the expiry date. */
gboolean pd_store_contact_set(PdStore *store, const char *actor, const char *address,
			      const char *account, const char *name,
			      const char *const *permissions, const char *expires,
			      GError **error);
/* status: "suspended", "removed", or "active" (a suspended contact back). */
gboolean pd_store_contact_set_status(PdStore *store, const char *actor,
				     const char *address, const char *account,
				     const char *status, GError **error);
gboolean pd_store_agent_add(PdStore *store, const char *actor, const char *address,
			    const char *name, const char *const *groups,
			    const char *const *aliases, const char *signature,
			    GError **error);
/* active: -1 unchanged, 0 remove (deactivate), 1 reactivate. */
gboolean pd_store_agent_set(PdStore *store, const char *actor, const char *address,
			    const char *name, const char *const *groups,
			    const char *const *add_addresses,
			    const char *const *remove_addresses, int active,
			    const char *signature, GError **error);

/* --- admin: reading ---------------------------------------------------- */

/* One table for people: column names and rows of text (NULL = none);
 * lists are "a,b,c". */
typedef struct {
	char *title;		/* NULL for the main part of an answer */
	guint n_columns;
	char **columns;
	GPtrArray *rows;	/* char **, n_columns values each */
} PdAdminTable;

void pd_admin_table_free(PdAdminTable *table);

typedef enum {
	PD_ADMIN_ACCOUNT_LIST,	/* key unused */
	PD_ADMIN_ACCOUNT_SHOW,	/* key: account name */
	PD_ADMIN_CONTACT_LIST,	/* key: account name or NULL for all */
	PD_ADMIN_CONTACT_SHOW,	/* key: canonical address */
	PD_ADMIN_AGENT_LIST,
	PD_ADMIN_AGENT_SHOW,	/* key: canonical address */
	PD_ADMIN_QUEUE_COUNTS,	/* tickets per queue and status */
	PD_ADMIN_QUARANTINE_LIST,	/* key: NULL, or "all" with the released ones */
	PD_ADMIN_QUARANTINE_SHOW,	/* key: the id */
	PD_ADMIN_ADDRESS_LIST,	/* key: NULL, or "failing" for the failing ones only */
} PdAdminQuery;

/* A list answers with one table; a show with a one-row record table
 * followed by titled part tables.  json_r (when not NULL) gets the same
 * answer as one JSON value instead: an array for a list, an object (the
 * record with its parts as arrays) for a show.  A show of something that
 * does not exist is PD_ERROR_NOTFOUND. */
gboolean pd_store_admin_read(PdStore *store, PdAdminQuery query, const char *key,
			     GPtrArray **tables_r, char **json_r, GError **error);

#endif
