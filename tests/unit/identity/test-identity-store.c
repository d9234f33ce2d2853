/* The identity data against a real PostgreSQL (tests/run's PD_TEST_PGHOST;
 * skipped without it): pd_store_identity_facts finds agents, contacts and
 * members in one query, and a delivery carrying an identity decision
 * records it on the new ticket in the same transaction (authenticated and
 * authorized flags, account, requester contact, reason, held) with its
 * events; a reply on the ticket or a duplicate delivery never rewrites the
 * requester.  The authenticated rows the LMTP tests cannot reach yet (no
 * authentication verdict on the mail path) are proven here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "../store/store-fixture.h"
#include "store/pd-store-identity.h"

static Fixture *fx;

static void
seed(PdStore *store)
{
	g_autoptr(GError) error = NULL;
	const char *const all[] = { "support", "billing", NULL };
	const char *const support[] = { "support", NULL };
	const char *const domains[] = { "acme.test", NULL };
	const char *const aliases[] = { "robert@example.com", NULL };

	assert_true(pd_store_agent_add(store, "t", "bob@example.com", "Bob", NULL, aliases,
				       NULL, &error));
	assert_true(pd_store_account_add(store, "t", "Acme", NULL, domains, NULL, &error));
	assert_true(pd_store_account_add(store, "t", "Globex", NULL, NULL, NULL, &error));
	assert_true(pd_store_contact_add(store, "t", "Acme", "bill@acme.test", NULL, FALSE, all,
					 NULL, &error));
	assert_true(pd_store_contact_add(store, "t", "Acme", "sam@acme.test", NULL, FALSE,
					 support, NULL, &error));
	assert_true(pd_store_contact_add(store, "t", "Globex", "sam@acme.test", NULL, FALSE,
					 all, NULL, &error));
	assert_true(pd_store_contact_add(store, "t", "Acme", "old@acme.test", NULL, FALSE, all,
					 NULL, &error));
	assert_true(pd_store_contact_set_status(store, "t", "old@acme.test", NULL, "suspended",
						&error));
}

static void
test_facts(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = pd_store_connect(fx->conninfo, &error);
	PdIdentityFacts *facts = NULL;

	(void)state;
	assert_non_null(store);
	seed(store);

	assert_true(pd_store_identity_facts(store, "robert@example.com", &facts, &error));
	assert_non_null(facts);
	assert_true(facts->agent_id > 0 && facts->agent_active);
	assert_string_equal(facts->agent_name, "Bob");
	assert_int_equal(facts->contacts->len, 0);
	g_clear_pointer(&facts, pd_identity_facts_free);

	assert_true(pd_store_identity_facts(store, "sam@acme.test", &facts, &error));
	assert_int_equal(facts->contacts->len, 2);
	assert_true(facts->member_account_id > 0);
	assert_string_equal(facts->member_account_name, "Acme");
	for (guint i = 0; i < facts->contacts->len; i++) {
		const PdContactFacts *c = facts->contacts->pdata[i];

		assert_int_equal(c->status, PD_CONTACT_ACTIVE);
		assert_false(c->expired);
		assert_true(g_strv_contains((const char *const *)c->permissions, "support"));
	}
	g_clear_pointer(&facts, pd_identity_facts_free);

	assert_true(pd_store_identity_facts(store, "old@acme.test", &facts, &error));
	assert_int_equal(((PdContactFacts *)facts->contacts->pdata[0])->status,
			 PD_CONTACT_SUSPENDED);
	g_clear_pointer(&facts, pd_identity_facts_free);

	fixture_exec(fx, "UPDATE contacts SET expires_at = now() - interval '1 day'"
		     " WHERE address = 'old@acme.test'");
	assert_true(pd_store_identity_facts(store, "old@acme.test", &facts, &error));
	assert_true(((PdContactFacts *)facts->contacts->pdata[0])->expired);
	g_clear_pointer(&facts, pd_identity_facts_free);

	assert_true(pd_store_identity_facts(store, "stranger@elsewhere.test", &facts, &error));
	assert_null(facts);
}

/* Deliver a mail from `from` to a queue with the decision the pipeline
 * would make for it (authenticated as given). */
static gint64
deliver(PdStore *store, const char *from, const char *in_reply_to, gboolean authenticated,
	const char *permission, PdUnknownSenders policy, gboolean *duplicate_r)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdIdentityFacts) facts = NULL;
	g_autofree char *msgid = g_strdup_printf("<%s.%" G_GINT64_FORMAT "@t>", from,
						 g_get_real_time());
	TestMail *t = test_mail_new(msgid, in_reply_to, NULL, "Subject", "Body\n");
	PdQueueConfig queue = { 0 };
	PdIdentityDecision decision;
	PdDeliveryResult result = { 0 };
	gint64 number;

	g_free(t->mail.from.address);
	t->mail.from.address = g_strdup(from);
	queue.name = (char *)"billing";
	queue.permission = (char *)permission;
	queue.unknown_senders = policy;
	assert_true(pd_store_identity_facts(store, from, &facts, &error));
	pd_identity_decide(facts, authenticated, &queue, &decision);
	t->delivery.queue = "billing";
	t->delivery.identity = &decision;
	if (!pd_store_deliver(store, &t->delivery, &result, &error))
		fail_msg("deliver: %s", error->message);
	if (duplicate_r != NULL) {
		/* the same mail again: a duplicate, nothing written */
		PdDeliveryResult again = { 0 };

		assert_true(pd_store_deliver(store, &t->delivery, &again, &error));
		*duplicate_r = again.duplicate;
		pd_delivery_result_clear(&again);
	}
	number = result.ticket_number;
	pd_delivery_result_clear(&result);
	pd_identity_decision_clear(&decision);
	test_mail_free(t);
	return number;
}

static char *
ticket_row(gint64 number)
{
	g_autofree char *sql = g_strdup_printf(
		"SELECT concat_ws('|', requester_kind, requester_authenticated,"
		" requester_authorized, needs_authorization, coalesce(a.name, '-'),"
		" coalesce(c.address, '-'), coalesce(held, '-'), authorization_reason)"
		" FROM tickets t LEFT JOIN accounts a ON a.id = t.account_id"
		" LEFT JOIN contacts c ON c.id = t.requester_contact_id"
		" WHERE t.number = %" G_GINT64_FORMAT, number);

	return fixture_text(fx, sql);
}

static void
test_deliver_records_identity(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = pd_store_connect(fx->conninfo, &error);
	g_autofree char *row = NULL;
	gint64 n, events_before;
	gboolean duplicate = FALSE;

	(void)state;
	assert_non_null(store);

	/* billing contact, authenticated -> authorized */
	n = deliver(store, "bill@acme.test", NULL, TRUE, "billing", PD_UNKNOWN_SENDERS_OPEN,
		    &duplicate);
	assert_true(duplicate);
	row = ticket_row(n);
	assert_string_equal(row, "contact|t|t|f|Acme|bill@acme.test|-|"
			    "authenticated contact with permission billing");
	g_clear_pointer(&row, g_free);
	/* one requester.identified event, not two (the duplicate wrote none) */
	{
		g_autofree char *sql = g_strdup_printf(
			"SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id"
			" WHERE t.number = %" G_GINT64_FORMAT " AND e.kind = 'requester.identified'",
			n);

		assert_int_equal(fixture_count(fx, sql), 1);
	}

	/* the same contact, not authenticated -> needs authorization */
	row = ticket_row(deliver(store, "bill@acme.test", NULL, FALSE, "billing",
				 PD_UNKNOWN_SENDERS_OPEN, NULL));
	assert_non_null(strstr(row, "contact|f|f|t|Acme|bill@acme.test|-|"));
	assert_non_null(strstr(row, "not authenticated"));
	g_clear_pointer(&row, g_free);

	/* support-only contact of Acme, billing contact of Globex: Globex's
	 * row is the one that authorizes */
	row = ticket_row(deliver(store, "sam@acme.test", NULL, TRUE, "billing",
				 PD_UNKNOWN_SENDERS_OPEN, NULL));
	assert_non_null(strstr(row, "contact|t|t|f|Globex|sam@acme.test|"));
	g_clear_pointer(&row, g_free);
	fixture_exec(fx, "UPDATE contacts SET status = 'removed'"
		     " WHERE address = 'sam@acme.test' AND account_id ="
		     " (SELECT id FROM accounts WHERE name = 'Globex')");
	row = ticket_row(deliver(store, "sam@acme.test", NULL, TRUE, "billing",
				 PD_UNKNOWN_SENDERS_OPEN, NULL));
	assert_string_equal(row, "contact|t|f|t|Acme|sam@acme.test|-|"
			    "contact lacks permission billing");
	g_clear_pointer(&row, g_free);

	/* suspended (and by now expired) contact -> no privileges */
	row = ticket_row(deliver(store, "old@acme.test", NULL, TRUE, "billing",
				 PD_UNKNOWN_SENDERS_OPEN, NULL));
	assert_non_null(strstr(row, "contact|t|f|t|Acme|old@acme.test|-|contact suspended"));
	g_clear_pointer(&row, g_free);

	/* a member of the known organisation, and an agent */
	row = ticket_row(deliver(store, "someone@acme.test", NULL, TRUE, NULL,
				 PD_UNKNOWN_SENDERS_KNOWN, NULL));
	assert_non_null(strstr(row, "member|t|t|f|Acme|-|-|"));
	g_clear_pointer(&row, g_free);
	row = ticket_row(deliver(store, "robert@example.com", NULL, TRUE, "billing",
				 PD_UNKNOWN_SENDERS_KNOWN, NULL));
	assert_non_null(strstr(row, "agent|t|t|f|-|-|-|authenticated agent"));
	g_clear_pointer(&row, g_free);

	/* unknown sender to a "known" queue: kept, held, and the hook event
	 * for the polite reply */
	events_before = fixture_count(fx, "SELECT count(*) FROM events WHERE kind = 'ticket.held'");
	n = deliver(store, "stranger@elsewhere.test", NULL, TRUE, NULL, PD_UNKNOWN_SENDERS_KNOWN,
		    NULL);
	row = ticket_row(n);
	assert_non_null(strstr(row, "unknown|t|f|f|-|-|known|unknown sender"));
	g_clear_pointer(&row, g_free);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM events WHERE kind = 'ticket.held'"
				       " AND detail->>'reply' = 'true'"), events_before + 1);

	/* a reply by an unverified stranger on bill's ticket keeps bill as the
	 * requester but raises needs_authorization (the stranger takes part,
	 * e.g. was Cc'd: a non-participant does not thread at all, see
	 * sql/functions/thread.sql and tests/integration/test_threading.py) */
	{
		g_autofree char *sql = NULL;
		g_autofree char *first_msgid = NULL;
		gint64 first = deliver(store, "bill@acme.test", NULL, TRUE, "billing",
				       PD_UNKNOWN_SENDERS_OPEN, NULL);

		sql = g_strdup_printf("SELECT m.message_id FROM messages m JOIN tickets t"
				      " ON t.id = m.ticket_id WHERE t.number = %" G_GINT64_FORMAT,
				      first);
		first_msgid = fixture_text(fx, sql);
		g_free(sql);
		sql = g_strdup_printf("INSERT INTO participants (ticket_id, address, role)"
				      " SELECT id, 'stranger@elsewhere.test', 'cc' FROM tickets"
				      " WHERE number = %" G_GINT64_FORMAT, first);
		fixture_exec(fx, sql);
		assert_int_equal(deliver(store, "stranger@elsewhere.test", first_msgid, FALSE,
					 "billing", PD_UNKNOWN_SENDERS_OPEN, NULL), first);
		row = ticket_row(first);
		assert_non_null(strstr(row, "contact|t|t|t|Acme|bill@acme.test|-|unknown sender"));
		g_clear_pointer(&row, g_free);
	}
}

static int
setup(void **state)
{
	(void)state;
	fx = fixture_new(g_getenv("PD_TEST_PGHOST"), "identity", TRUE);
	return fx != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	g_clear_pointer(&fx, fixture_free);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_deliver_records_identity),
	};

	if (g_getenv("PD_TEST_PGHOST") == NULL || g_getenv("PD_SOURCE_DIR") == NULL) {
		printf("SKIP: needs PD_TEST_PGHOST (tests/run) and PD_SOURCE_DIR\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
