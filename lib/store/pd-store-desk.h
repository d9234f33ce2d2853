/* pd-store-desk: tickets worked by people (issue 14 section 1).
 *
 * The changes of `postdesk ticket set|note|reply|participant`, each one
 * call of a pd_desk_* function (sql/functions/desk.sql): one transaction
 * on the locked ticket with its event row (the actor), nothing partial.
 * Addresses must be canonical (pd_address_canonicalize), a queue one of the
 * configuration's.  Errors: PD_ERROR_NOTFOUND for an unknown ticket, agent
 * or participant; PD_ERROR_USAGE for a bad value (with the database's
 * message, written for the operator); PD_ERROR_TEMPFAIL for database
 * trouble.
 */
#ifndef PD_STORE_DESK_H
#define PD_STORE_DESK_H

#include <glib.h>
#include "store/pd-store.h"

/* What `ticket set` changes: NULL leaves a field as it is; "" clears the
 * category and the assignee. */
typedef struct {
	const char *status;
	const char *priority;
	const char *category;
	const char *queue;
	const char *assign;	/* an agent's address */
	const char *const *tags;	/* added (NULL: none) */
	const char *const *untags;	/* removed */
} PdTicketChanges;

/* changes_r (may be NULL): [{field, old, new, changed}] as JSON text. */
gboolean pd_store_ticket_set(PdStore *store, const char *actor, gint64 number,
			     const PdTicketChanges *changes, char **changes_r, GError **error);
/* An internal note (never sent); agent: who writes it (NULL: the actor). */
gboolean pd_store_ticket_note(PdStore *store, const char *actor, gint64 number,
			      const char *agent, const char *text, gint64 *message_row_r,
			      GError **error);

/* An answer relayed to the requester and participants like an agent's
 * answer by mail (template "agent-reply" unless set).  reply: the canned
 * reply rendered before text (NULL: none); envelope_from: the relay's MAIL
 * FROM (pd_pipeline_settings()->agent_envelope_from). */
typedef struct {
	const char *agent;		/* NULL: none */
	const char *text;		/* may be "" with a reply */
	const char *template_name;	/* NULL: agent-reply */
	const char *reply;
	const char *envelope_from;
} PdTicketReply;

/* relayed_r (may be NULL): the addresses, comma separated. */
gboolean pd_store_ticket_reply(PdStore *store, const char *actor, gint64 number,
			       const PdTicketReply *reply, char **relayed_r, GError **error);
/* Merge ticket from into ticket into (sql/functions/desk.sql
 * pd_desk_ticket_merge); result_r (may be NULL): {messages,
 * participants_added} as JSON text. */
gboolean pd_store_ticket_merge(PdStore *store, const char *actor, gint64 from, gint64 into,
			       char **result_r, GError **error);
/* add: as a 'cc' participant (PD_ERROR_USAGE when already one); else
 * removed (never the requester). */
gboolean pd_store_ticket_participant(PdStore *store, const char *actor, gint64 number,
				     const char *address, gboolean add, GError **error);

#endif
