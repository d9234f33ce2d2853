/* Unit tests for pd-identity: every row of the identify/authorize decision
 * (issue 3): who the From is, whether privileges apply (only when the From
 * domain is authenticated), whether the queue's permission is held, and the
 * unknown-sender policy of the queue.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ticket/pd-identity.h"

enum { NONE = PD_HOLD_NONE, KNOWN = PD_HOLD_KNOWN, MODERATE = PD_HOLD_MODERATE };

/* Who the From address is, as the store would report it. */
typedef enum {
	F_NOBODY,		/* no row at all */
	F_AGENT,		/* active agent address */
	F_AGENT_INACTIVE,	/* removed agent, no other row */
	F_SUPPORT,		/* active contact with support only */
	F_BILLING,		/* active contact with support + billing */
	F_SUSPENDED,		/* suspended contact with billing */
	F_REMOVED,		/* removed contact with billing */
	F_EXPIRED,		/* active contact with billing, expired */
	F_MEMBER,		/* domain of an account, no contact row */
	F_REMOVED_MEMBER,	/* removed contact whose domain is still the account's */
	F_TWO_ACCOUNTS,		/* support-only in one account, billing in another */
} FactsKind;

typedef struct {
	const char *name;
	FactsKind facts;
	gboolean authenticated;
	const char *permission;		/* of the queue */
	PdUnknownSenders policy;
	/* expected */
	PdRequesterKind kind;
	gboolean privileged, authorized, needs_authorization, agent_action;
	int hold;
	gint64 contact_id, account_id;
	const char *reason_has;
} Row;

#define O PD_UNKNOWN_SENDERS_OPEN
#define K PD_UNKNOWN_SENDERS_KNOWN
#define M PD_UNKNOWN_SENDERS_MODERATE
#define AGENT PD_REQUESTER_AGENT
#define CONTACT PD_REQUESTER_CONTACT
#define MEMBER PD_REQUESTER_MEMBER
#define UNKNOWN PD_REQUESTER_UNKNOWN

static const Row rows[] = {
	/* agents: powers only when authenticated */
	{ "agent auth", F_AGENT, TRUE, NULL, O, AGENT, TRUE, TRUE, FALSE, TRUE, NONE, 0, 0, "authenticated agent" },
	{ "agent auth billing@", F_AGENT, TRUE, "billing", K, AGENT, TRUE, TRUE, FALSE, TRUE, NONE, 0, 0, "agent" },
	{ "agent forged", F_AGENT, FALSE, NULL, O, AGENT, FALSE, FALSE, FALSE, FALSE, NONE, 0, 0, "not an agent action" },
	{ "agent forged billing@", F_AGENT, FALSE, "billing", O, AGENT, FALSE, FALSE, TRUE, FALSE, NONE, 0, 0, "unverified customer" },
	{ "agent inactive", F_AGENT_INACTIVE, TRUE, NULL, K, UNKNOWN, FALSE, FALSE, FALSE, FALSE, KNOWN, 0, 0, "unknown sender" },
	/* contacts and the queue's permission */
	{ "support contact to support", F_SUPPORT, TRUE, "support", O, CONTACT, TRUE, TRUE, FALSE, FALSE, NONE, 11, 1, "permission support" },
	{ "support contact to billing", F_SUPPORT, TRUE, "billing", O, CONTACT, TRUE, FALSE, TRUE, FALSE, NONE, 11, 1, "lacks permission billing" },
	{ "billing contact to billing", F_BILLING, TRUE, "billing", O, CONTACT, TRUE, TRUE, FALSE, FALSE, NONE, 12, 1, "permission billing" },
	{ "billing contact no permission queue", F_BILLING, TRUE, NULL, O, CONTACT, TRUE, TRUE, FALSE, FALSE, NONE, 12, 1, "authenticated contact" },
	{ "billing contact forged", F_BILLING, FALSE, "billing", O, CONTACT, FALSE, FALSE, TRUE, FALSE, NONE, 12, 1, "not authenticated" },
	{ "billing contact forged, known queue", F_BILLING, FALSE, "billing", K, CONTACT, FALSE, FALSE, TRUE, FALSE, NONE, 12, 1, "unverified" },
	{ "suspended contact", F_SUSPENDED, TRUE, "billing", O, CONTACT, FALSE, FALSE, TRUE, FALSE, NONE, 13, 1, "suspended" },
	{ "suspended contact no permission queue", F_SUSPENDED, TRUE, NULL, O, CONTACT, FALSE, FALSE, FALSE, FALSE, NONE, 13, 1, "no privileges" },
	{ "suspended contact, known queue", F_SUSPENDED, TRUE, "billing", K, CONTACT, FALSE, FALSE, TRUE, FALSE, KNOWN, 13, 1, "suspended" },
	{ "removed contact", F_REMOVED, TRUE, "billing", O, CONTACT, FALSE, FALSE, TRUE, FALSE, NONE, 14, 1, "removed" },
	{ "removed contact, moderate queue", F_REMOVED, TRUE, NULL, M, CONTACT, FALSE, FALSE, FALSE, FALSE, MODERATE, 14, 1, "removed" },
	{ "expired contact", F_EXPIRED, TRUE, "billing", O, CONTACT, FALSE, FALSE, TRUE, FALSE, NONE, 15, 1, "expired" },
	{ "removed contact, domain still member", F_REMOVED_MEMBER, TRUE, "billing", K, CONTACT, FALSE, FALSE, TRUE, FALSE, NONE, 14, 1, "removed" },
	{ "best of two accounts", F_TWO_ACCOUNTS, TRUE, "billing", O, CONTACT, TRUE, TRUE, FALSE, FALSE, NONE, 22, 2, "permission billing" },
	{ "best of two accounts, support", F_TWO_ACCOUNTS, TRUE, "support", O, CONTACT, TRUE, TRUE, FALSE, FALSE, NONE, 11, 1, "permission support" },
	/* members of a known organisation: a support request only */
	{ "member to support", F_MEMBER, TRUE, "support", K, MEMBER, TRUE, TRUE, FALSE, FALSE, NONE, 0, 1, "known organisation" },
	{ "member to open queue", F_MEMBER, TRUE, NULL, O, MEMBER, TRUE, TRUE, FALSE, FALSE, NONE, 0, 1, "known organisation" },
	{ "member to billing", F_MEMBER, TRUE, "billing", O, MEMBER, TRUE, FALSE, TRUE, FALSE, NONE, 0, 1, "only open a support request" },
	{ "member forged", F_MEMBER, FALSE, "support", M, MEMBER, FALSE, FALSE, TRUE, FALSE, NONE, 0, 1, "not authenticated" },
	/* unknown senders and the queue policy */
	{ "unknown open", F_NOBODY, TRUE, NULL, O, UNKNOWN, FALSE, FALSE, FALSE, FALSE, NONE, 0, 0, "unknown sender" },
	{ "unknown open billing@", F_NOBODY, TRUE, "billing", O, UNKNOWN, FALSE, FALSE, TRUE, FALSE, NONE, 0, 0, "unknown sender" },
	{ "unknown known", F_NOBODY, TRUE, NULL, K, UNKNOWN, FALSE, FALSE, FALSE, FALSE, KNOWN, 0, 0, "unknown sender" },
	{ "unknown unauthenticated known", F_NOBODY, FALSE, "support", K, UNKNOWN, FALSE, FALSE, TRUE, FALSE, KNOWN, 0, 0, "unverified" },
	{ "unknown moderate", F_NOBODY, FALSE, NULL, M, UNKNOWN, FALSE, FALSE, FALSE, FALSE, MODERATE, 0, 0, "unknown sender" },
};

static const char *const perm_support[] = { "support", NULL };
static const char *const perm_billing[] = { "support", "billing", NULL };

static PdIdentityFacts *
facts_for(FactsKind kind)
{
	PdIdentityFacts *facts;

	if (kind == F_NOBODY)
		return NULL;
	facts = pd_identity_facts_new();
	switch (kind) {
	case F_AGENT:
	case F_AGENT_INACTIVE:
		facts->agent_id = 7;
		facts->agent_active = kind == F_AGENT;
		facts->agent_name = g_strdup("Bob");
		break;
	case F_SUPPORT:
		pd_identity_facts_add_contact(facts, 11, 1, "Acme", FALSE, perm_support,
					      PD_CONTACT_ACTIVE, FALSE);
		break;
	case F_BILLING:
		pd_identity_facts_add_contact(facts, 12, 1, "Acme", FALSE, perm_billing,
					      PD_CONTACT_ACTIVE, FALSE);
		break;
	case F_SUSPENDED:
		pd_identity_facts_add_contact(facts, 13, 1, "Acme", FALSE, perm_billing,
					      PD_CONTACT_SUSPENDED, FALSE);
		break;
	case F_REMOVED_MEMBER:
		facts->member_account_id = 1;
		facts->member_account_name = g_strdup("Acme");
		/* fall through */
	case F_REMOVED:
		pd_identity_facts_add_contact(facts, 14, 1, "Acme", TRUE, perm_billing,
					      PD_CONTACT_REMOVED, FALSE);
		break;
	case F_EXPIRED:
		pd_identity_facts_add_contact(facts, 15, 1, "Acme", FALSE, perm_billing,
					      PD_CONTACT_ACTIVE, TRUE);
		break;
	case F_MEMBER:
		facts->member_account_id = 1;
		facts->member_account_name = g_strdup("Acme");
		break;
	case F_TWO_ACCOUNTS:
		pd_identity_facts_add_contact(facts, 11, 1, "Acme", FALSE, perm_support,
					      PD_CONTACT_ACTIVE, FALSE);
		pd_identity_facts_add_contact(facts, 21, 2, "Globex", FALSE, perm_billing,
					      PD_CONTACT_REMOVED, FALSE);
		pd_identity_facts_add_contact(facts, 22, 2, "Globex", FALSE, perm_billing,
					      PD_CONTACT_ACTIVE, FALSE);
		break;
	case F_NOBODY:
		break;
	}
	return facts;
}

static void
test_decision_table(void **state)
{
	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		const Row *r = &rows[i];
		g_autoptr(PdIdentityFacts) facts = facts_for(r->facts);
		PdQueueConfig queue = { 0 };
		PdIdentityDecision d;
		g_autofree char *json = NULL;

		queue.name = (char *)"q";
		queue.permission = (char *)r->permission;
		queue.unknown_senders = r->policy;
		pd_identity_decide(facts, r->authenticated, &queue, &d);
		print_message("row %u: %s -> %s, %s\n", i, r->name,
			      pd_requester_kind_name(d.kind), d.reason);
		assert_int_equal(d.kind, r->kind);
		assert_int_equal(d.authenticated, r->authenticated);
		assert_int_equal(d.privileged, r->privileged);
		assert_int_equal(d.authorized, r->authorized);
		assert_int_equal(d.needs_authorization, r->needs_authorization);
		assert_int_equal(d.agent_action, r->agent_action);
		assert_int_equal(d.hold, r->hold);
		assert_int_equal(d.contact_id, r->contact_id);
		assert_int_equal(d.account_id, r->account_id);
		assert_int_equal(d.agent_id, r->kind == AGENT ? 7 : 0);
		assert_non_null(d.reason);
		assert_non_null(strstr(d.reason, r->reason_has));
		/* invariant 4: no privilege without authentication */
		if (!r->authenticated)
			assert_false(d.privileged || d.authorized || d.agent_action);
		/* nothing needs authorization where the queue needs nothing */
		if (r->permission == NULL)
			assert_false(d.needs_authorization);
		json = pd_identity_decision_json(&d);
		assert_non_null(strstr(json, d.needs_authorization
					     ? "\"needs_authorization\": true"
					     : "\"needs_authorization\": false"));
		pd_identity_decision_clear(&d);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule identity: %u cases\n", (guint)G_N_ELEMENTS(rows));
}

static void
test_no_queue_is_open(void **state)
{
	PdIdentityDecision d;

	(void)state;
	pd_identity_decide(NULL, FALSE, NULL, &d);
	assert_int_equal(d.kind, PD_REQUESTER_UNKNOWN);
	assert_int_equal(d.hold, PD_HOLD_NONE);
	assert_false(d.needs_authorization);
	assert_null(d.permission);
	pd_identity_decision_clear(&d);
}

static void
test_json(void **state)
{
	g_autoptr(PdIdentityFacts) facts = facts_for(F_SUPPORT);
	PdQueueConfig queue = { 0 };
	PdIdentityDecision d;
	g_autofree char *json = NULL;

	(void)state;
	queue.permission = (char *)"billing";
	queue.unknown_senders = PD_UNKNOWN_SENDERS_KNOWN;
	pd_identity_decide(facts, TRUE, &queue, &d);
	json = pd_identity_decision_json(&d);
	assert_string_equal(json,
		"{\"kind\": \"contact\", \"authenticated\": true, \"privileged\": true, "
		"\"agent_action\": false, \"authorized\": false, "
		"\"needs_authorization\": true, \"permission\": \"billing\", \"held\": null, "
		"\"agent_id\": null, \"account_id\": 1, \"contact_id\": 11, "
		"\"reason\": \"contact lacks permission billing\"}");
	pd_identity_decision_clear(&d);
}

static void
test_status_parse(void **state)
{
	PdContactStatus s;

	(void)state;
	assert_true(pd_contact_status_parse("active", &s));
	assert_int_equal(s, PD_CONTACT_ACTIVE);
	assert_true(pd_contact_status_parse("suspended", &s));
	assert_int_equal(s, PD_CONTACT_SUSPENDED);
	assert_true(pd_contact_status_parse("removed", &s));
	assert_int_equal(s, PD_CONTACT_REMOVED);
	assert_false(pd_contact_status_parse("Active", &s));
	assert_false(pd_contact_status_parse(NULL, &s));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_no_queue_is_open),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_status_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
