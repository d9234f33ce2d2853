/* pd-identity: the identify/authorize decision (see pd-identity.h).
 *
 * Order of the checks: an active agent address, then the best contact row
 * of the address, then the account whose domain it is in, then unknown.
 * Privileges need the authentication verdict AND good standing (contact
 * active and not expired, agent active).  The unknown-sender policy of the
 * queue ("known", "moderate") applies to anyone who is none of: an active
 * agent address, a contact in good standing, a member of a known
 * organisation.  No I/O, no clock: the store says whether a contact expired.
 */
#include "pd-identity.h"
#include "core/pd-json.h"

#include <string.h>

static void
contact_facts_free(gpointer data)
{
	PdContactFacts *contact = data;

	g_free(contact->account_name);
	g_free(contact->account_plan);
	g_strfreev(contact->permissions);
	g_free(contact);
}

PdIdentityFacts *
pd_identity_facts_new(void)
{
	PdIdentityFacts *facts = g_new0(PdIdentityFacts, 1);

	facts->contacts = g_ptr_array_new_with_free_func(contact_facts_free);
	return facts;
}

void
pd_identity_facts_free(PdIdentityFacts *facts)
{
	if (facts == NULL)
		return;
	g_free(facts->agent_name);
	g_free(facts->member_account_name);
	g_free(facts->member_account_plan);
	g_ptr_array_unref(facts->contacts);
	g_free(facts);
}

PdContactFacts *
pd_identity_facts_add_contact(PdIdentityFacts *facts, gint64 id, gint64 account_id,
			      const char *account_name, gboolean primary,
			      const char *const *permissions, PdContactStatus status,
			      gboolean expired)
{
	PdContactFacts *contact = g_new0(PdContactFacts, 1);

	contact->id = id;
	contact->account_id = account_id;
	contact->account_name = g_strdup(account_name);
	contact->primary = primary;
	contact->permissions = g_strdupv((char **)permissions);
	if (contact->permissions == NULL)
		contact->permissions = g_new0(char *, 1);
	contact->status = status;
	contact->expired = expired;
	g_ptr_array_add(facts->contacts, contact);
	return contact;
}

void
pd_identity_decision_clear(PdIdentityDecision *decision)
{
	g_clear_pointer(&decision->reason, g_free);
	memset(decision, 0, sizeof(*decision));
}

const char *
pd_requester_kind_name(PdRequesterKind kind)
{
	switch (kind) {
	case PD_REQUESTER_AGENT: return "agent";
	case PD_REQUESTER_CONTACT: return "contact";
	case PD_REQUESTER_MEMBER: return "member";
	case PD_REQUESTER_UNKNOWN: break;
	}
	return "unknown";
}

const char *
pd_hold_name(PdHold hold)
{
	switch (hold) {
	case PD_HOLD_KNOWN: return "known";
	case PD_HOLD_MODERATE: return "moderate";
	case PD_HOLD_RULE: return "rule";
	case PD_HOLD_SPAM: return "spam";
	case PD_HOLD_NONE: break;
	}
	return NULL;
}

gboolean
pd_contact_status_parse(const char *text, PdContactStatus *status_r)
{
	if (g_strcmp0(text, "active") == 0)
		*status_r = PD_CONTACT_ACTIVE;
	else if (g_strcmp0(text, "suspended") == 0)
		*status_r = PD_CONTACT_SUSPENDED;
	else if (g_strcmp0(text, "removed") == 0)
		*status_r = PD_CONTACT_REMOVED;
	else
		return FALSE;
	return TRUE;
}

static gboolean
contact_in_good_standing(const PdContactFacts *contact)
{
	return contact->status == PD_CONTACT_ACTIVE && !contact->expired;
}

static gboolean
contact_has(const PdContactFacts *contact, const char *permission)
{
	return permission == NULL ||
	       g_strv_contains((const char *const *)contact->permissions, permission);
}

/* 0 is best: in good standing with the permission, in good standing,
 * suspended, expired, removed. */
static guint
contact_rank(const PdContactFacts *contact, const char *permission)
{
	if (contact_in_good_standing(contact))
		return contact_has(contact, permission) ? 0 : 1;
	if (contact->status == PD_CONTACT_SUSPENDED)
		return 2;
	if (contact->status == PD_CONTACT_ACTIVE)
		return 3;
	return 4;
}

static const PdContactFacts *
best_contact(const PdIdentityFacts *facts, const char *permission)
{
	const PdContactFacts *best = NULL;

	for (guint i = 0; i < facts->contacts->len; i++) {
		const PdContactFacts *c = facts->contacts->pdata[i];

		if (best == NULL || contact_rank(c, permission) < contact_rank(best, permission))
			best = c;
	}
	return best;
}

static const char *
contact_standing_name(const PdContactFacts *contact)
{
	if (contact->status == PD_CONTACT_SUSPENDED)
		return "suspended";
	if (contact->status == PD_CONTACT_REMOVED)
		return "removed";
	return "expired";
}

static const char *
unverified_note(gboolean authenticated)
{
	return authenticated ? "" : " (From domain not authenticated: unverified requester)";
}

/* Sets kind, ids, privileged, authorized, reason; returns whether the
 * sender counts as known for the queue's unknown-sender policy. */
static gboolean
decide_requester(const PdIdentityFacts *facts, gboolean auth, const char *permission,
		 PdIdentityDecision *d)
{
	const PdContactFacts *contact;

	if (facts == NULL) {
		d->reason = g_strdup_printf("unknown sender%s", unverified_note(auth));
		return FALSE;
	}
	if (facts->agent_id != 0 && facts->agent_active) {
		d->kind = PD_REQUESTER_AGENT;
		d->agent_id = facts->agent_id;
		if (auth) {
			d->privileged = d->agent_action = d->authorized = TRUE;
			d->reason = g_strdup("authenticated agent");
		} else {
			d->reason = g_strdup("agent address but From domain not authenticated: "
					     "unverified customer mail, not an agent action");
		}
		return TRUE;
	}
	contact = best_contact(facts, permission);
	if (contact != NULL) {
		d->kind = PD_REQUESTER_CONTACT;
		d->contact_id = contact->id;
		d->account_id = contact->account_id;
		if (!contact_in_good_standing(contact)) {
			d->reason = g_strdup_printf("contact %s: no privileges%s",
						    contact_standing_name(contact),
						    unverified_note(auth));
			return facts->member_account_id != 0;
		}
		if (!auth) {
			d->reason = g_strdup("contact, but From domain not authenticated: "
					     "unverified requester, no privileges");
			return TRUE;
		}
		d->privileged = TRUE;
		d->authorized = contact_has(contact, permission);
		if (!d->authorized)
			d->reason = g_strdup_printf("contact lacks permission %s", permission);
		else if (permission != NULL)
			d->reason = g_strdup_printf("authenticated contact with permission %s",
						    permission);
		else
			d->reason = g_strdup("authenticated contact");
		return TRUE;
	}
	if (facts->member_account_id != 0) {
		d->kind = PD_REQUESTER_MEMBER;
		d->account_id = facts->member_account_id;
		if (!auth) {
			d->reason = g_strdup("known organisation, but From domain not "
					     "authenticated: unverified requester");
			return TRUE;
		}
		d->privileged = TRUE;
		d->authorized = permission == NULL || strcmp(permission, "support") == 0;
		d->reason = d->authorized
			? g_strdup("authenticated member of a known organisation")
			: g_strdup_printf("member of a known organisation may only open a "
					  "support request, not %s", permission);
		return TRUE;
	}
	d->reason = g_strdup_printf("unknown sender%s", unverified_note(auth));
	return FALSE;
}

void
pd_identity_decide(const PdIdentityFacts *facts, gboolean from_authenticated,
		   const PdQueueConfig *queue, PdIdentityDecision *decision_r)
{
	PdIdentityDecision *d = decision_r;
	PdUnknownSenders policy = queue != NULL ? queue->unknown_senders
						: PD_UNKNOWN_SENDERS_OPEN;
	gboolean known;

	memset(d, 0, sizeof(*d));
	d->authenticated = from_authenticated;
	d->permission = queue != NULL ? queue->permission : NULL;
	known = decide_requester(facts, from_authenticated, d->permission, d);
	d->needs_authorization = d->permission != NULL && !d->authorized;
	if (!known && policy == PD_UNKNOWN_SENDERS_KNOWN)
		d->hold = PD_HOLD_KNOWN;
	else if (!known && policy == PD_UNKNOWN_SENDERS_MODERATE)
		d->hold = PD_HOLD_MODERATE;
}

static void
json_id(GString *out, const char *key, gint64 id)
{
	g_string_append_printf(out, ", \"%s\": ", key);
	if (id == 0)
		g_string_append(out, "null");
	else
		g_string_append_printf(out, "%" G_GINT64_FORMAT, id);
}

char *
pd_identity_decision_json(const PdIdentityDecision *d)
{
	GString *out = g_string_new("{\"kind\": ");

	pd_json_string(out, pd_requester_kind_name(d->kind));
	g_string_append_printf(out, ", \"authenticated\": %s, \"privileged\": %s, "
			       "\"agent_action\": %s, \"authorized\": %s, "
			       "\"needs_authorization\": %s, \"permission\": ",
			       d->authenticated ? "true" : "false",
			       d->privileged ? "true" : "false",
			       d->agent_action ? "true" : "false",
			       d->authorized ? "true" : "false",
			       d->needs_authorization ? "true" : "false");
	pd_json_string(out, d->permission);
	g_string_append(out, ", \"held\": ");
	pd_json_string(out, pd_hold_name(d->hold));
	json_id(out, "agent_id", d->agent_id);
	json_id(out, "account_id", d->account_id);
	json_id(out, "contact_id", d->contact_id);
	g_string_append(out, ", \"reason\": ");
	pd_json_string(out, d->reason);
	g_string_append_c(out, '}');
	return g_string_free(out, FALSE);
}
