/* Unit tests: the thread step's facts (lib/pipeline/pd-pipeline-thread.c):
 * which tokens name a ticket for which sender, the subject's [#N], the Cc
 * participants (never our own addresses) and reopen_days.  The store's
 * half (participants, reopening) is tested over LMTP in
 * tests/integration/test_threading.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "settings/pd-settings.h"
#include "pipeline/pd-pipeline-private.h"
#include "ticket/pd-ticket.h"
#include "ticket/pd-token.h"

#define KEY "unit-thread-key-0123456789"

/* outbound: "[outbound]\n" and more keys; from and token_keys are added
 * when it has none (an [outbound] needs both). */
static PdConfig *
config_try(const char *outbound, GError **error)
{
	gboolean section = *outbound != '\0';
	g_autofree char *text = g_strdup_printf(
		"[postdesk]\nconfig_version = 1\nhostname = t.test\n[lmtp]\n"
		"[queue support]\naddresses = support@example.com, help@example.com\n%s%s%s",
		outbound, section && strstr(outbound, "\nfrom =") == NULL
		? "from = support@example.com\n" : "",
		section && strstr(outbound, "token_keys") == NULL ? "token_keys = " KEY "\n" : "");

	return pd_config_load_data(text, pd_settings_tables, error);
}

static PdConfig *
config_with(const char *outbound)
{
	g_autoptr(GError) error = NULL;
	PdConfig *config = config_try(outbound, &error);

	if (config == NULL)
		fail_msg("%s", error->message);
	return config;
}

static PdMail *
mail_from(const PdConfig *config, const char *from, const char *headers)
{
	g_autofree char *text = g_strdup_printf(
		"From: %s\r\nTo: support@example.com\r\n"
		"Cc: Bob <BOB@partner.test>, help@example.com, %s\r\n"
		"Subject: Re: [#10042] printer\r\nMessage-ID: <m.1@customer.test>\r\n%s\r\nhi\r\n",
		from, from, headers);
	g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
	g_autoptr(GError) error = NULL;
	PdMail *mail = pd_mail_parse(raw, &config->mail_limits, &error);

	assert_non_null(mail);
	return mail;
}

static const char *
value(GPtrArray *pairs, const char *key)
{
	for (guint i = 0; i + 1 < pairs->len; i += 2)
		if (strcmp(pairs->pdata[i], key) == 0)
			return pairs->pdata[i + 1];
	return NULL;
}

static void
pair_add(GPtrArray *pairs, const char *key, char *value)
{
	if (value == NULL)
		return;
	g_ptr_array_add(pairs, g_strdup(key));
	g_ptr_array_add(pairs, value);
}

static char *
id_text(gint64 id)
{
	return id != 0 ? g_strdup_printf("%" G_GINT64_FORMAT, id) : NULL;
}

/* The facts as key/value pairs, so each case reads as one line: key
 * absent when a field is unset, the Cc list space separated. */
static GPtrArray *
facts(const PdConfig *config, const char *rcpt, const PdMail *mail)
{
	g_autoptr(GPtrArray) candidates = pd_ticket_thread_candidates(mail, 20);
	GPtrArray *pairs = g_ptr_array_new_with_free_func(g_free);
	PdThreadFacts f;

	pd_pipeline_thread_facts(config, rcpt, NULL, mail, candidates, &f);
	pair_add(pairs, "sender", g_strdup(f.sender));
	pair_add(pairs, "token_ticket", id_text(f.token_ticket));
	pair_add(pairs, "token_via", g_strdup(f.token_via));
	pair_add(pairs, "token_refused", g_strdup(f.token_refused));
	pair_add(pairs, "token_refused_via", g_strdup(f.token_refused_via));
	pair_add(pairs, "token_refused_ticket", id_text(f.token_refused_ticket));
	pair_add(pairs, "subject_number", id_text(f.subject_number));
	if (f.cc != NULL && f.cc->len > 0) {
		g_ptr_array_add(f.cc, NULL);
		pair_add(pairs, "cc", g_strjoinv(" ", (char **)f.cc->pdata));
		g_ptr_array_remove_index(f.cc, f.cc->len - 1);
	}
	pair_add(pairs, "reopen_days", g_strdup_printf("%u", f.reopen_days));
	pd_thread_facts_clear(&f);
	return pairs;
}

static void
test_plain(void **state)
{
	g_autoptr(PdConfig) config = config_with("");
	g_autoptr(PdMail) mail = mail_from(config, "Alice <Alice@Customer.test>", "");
	g_autoptr(GPtrArray) pairs = facts(config, "support@example.com", mail);

	(void)state;
	assert_string_equal(value(pairs, "sender"), "alice@customer.test");
	assert_string_equal(value(pairs, "subject_number"), "10042");
	/* ours (help@) and the sender are not Cc participants */
	assert_string_equal(value(pairs, "cc"), "bob@partner.test");
	assert_string_equal(value(pairs, "reopen_days"), "14");
	assert_null(value(pairs, "token_ticket"));
	assert_null(value(pairs, "token_refused"));
}

static void
test_config(void **state)
{
	g_autoptr(PdConfig) off = config_with("[outbound]\nparticipants_from_cc = no\n"
					      "reopen_days = 3\n");
	g_autoptr(PdConfig) defaults = config_with("[outbound]\n");
	g_autoptr(PdConfig) yes = config_with("[outbound]\nparticipants_from_cc = yes\n");
	g_autoptr(PdMail) mail = mail_from(off, "alice@customer.test", "");
	g_autoptr(GPtrArray) a = facts(off, "support@example.com", mail);
	g_autoptr(GPtrArray) b = facts(defaults, "support@example.com", mail);
	g_autoptr(GPtrArray) c = facts(yes, "support@example.com", mail);
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_null(value(a, "cc"));
	assert_string_equal(value(a, "reopen_days"), "3");
	assert_string_equal(value(b, "reopen_days"), "14");
	/* validated once, when the configuration loads, not on every message */
	assert_null(config_try("[outbound]\nreopen_days = soon\n", &error));
	assert_non_null(strstr(error->message, "reopen_days = soon"));
	assert_string_equal(value(c, "cc"), "bob@partner.test");	/* "yes", as documented */
}

static void
test_tokens(void **state)
{
	g_autoptr(PdConfig) config = config_with("[outbound]\ntoken_keys = " KEY "\n");
	const char *secrets[] = { KEY, NULL };
	const char *wrong_secrets[] = { "some-other-key-9876543210", NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(secrets, NULL);
	g_autoptr(PdTokenKeys) wrong = pd_token_keys_new(wrong_secrets, NULL);
	g_autofree char *rcpt = pd_token_reply_address(keys, "support@example.com", 5,
						       "alice@customer.test", NULL);
	g_autofree char *forged = pd_token_reply_address(wrong, "support@example.com", 5,
							 "alice@customer.test", NULL);
	g_autofree char *msgid = pd_token_message_id(keys, 6, 9, "alice@customer.test",
						     "t.test", NULL);
	g_autofree char *irt = g_strdup_printf("In-Reply-To: <%s>\r\n", msgid);
	g_autoptr(PdMail) alice = mail_from(config, "alice@customer.test", "");
	g_autoptr(PdMail) mallory = mail_from(config, "mallory@evil.test", "");
	g_autoptr(PdMail) alice_irt = mail_from(config, "alice@customer.test", irt);
	g_autoptr(PdMail) mallory_irt = mail_from(config, "mallory@evil.test", irt);
	g_autoptr(GPtrArray) valid = facts(config, rcpt, alice);
	g_autoptr(GPtrArray) trick = facts(config, rcpt, mallory);
	g_autoptr(GPtrArray) forgery = facts(config, forged, alice);
	g_autoptr(GPtrArray) by_msgid = facts(config, "support@example.com", alice_irt);
	g_autoptr(GPtrArray) msgid_trick = facts(config, "support@example.com", mallory_irt);

	(void)state;
	assert_non_null(rcpt);
	assert_string_equal(value(valid, "token_ticket"), "5");
	assert_string_equal(value(valid, "token_via"), "recipient");
	assert_null(value(trick, "token_ticket"));
	assert_string_equal(value(trick, "token_refused"), "issued to another recipient");
	assert_string_equal(value(trick, "token_refused_ticket"), "5");
	assert_null(value(forgery, "token_ticket"));
	assert_string_equal(value(forgery, "token_refused"), "forged or unknown key");
	assert_string_equal(value(by_msgid, "token_ticket"), "6");
	assert_non_null(strstr(value(by_msgid, "token_via"), msgid));
	assert_null(value(msgid_trick, "token_ticket"));
	assert_string_equal(value(msgid_trick, "token_refused"), "issued to another recipient");
}

/* Who takes part in a new ticket besides its requester (postdeskd(8) "Who joins a
 * ticket"): the addresses in Cc of its first mail, canonical, unless
 * participants_from_cc = no; never one of ours (a queue's address, the
 * [outbound] from, reply_address or bounce_address) nor the sender. */
static const struct {
	const char *name;
	const char *outbound;	/* [outbound] settings */
	const char *from, *cc;	/* the header values */
	const char *want;	/* the "cc" fact, NULL: nobody */
} participant_cases[] = {
	{ "a Cc'd person takes part", "", "alice@customer.test", "Bob <bob@partner.test>",
	  "bob@partner.test" },
	{ "every Cc'd person, in the order of the header", "", "alice@customer.test",
	  "bob@partner.test, Carl <carl@customer.test>", "bob@partner.test carl@customer.test" },
	{ "canonical: the domain in lower case", "", "alice@customer.test",
	  "bob@PARTNER.Test", "bob@partner.test" },
	{ "canonical: without the subaddress", "", "alice@customer.test",
	  "bob+tickets@partner.test", "bob@partner.test" },
	{ "participants_from_cc = no: nobody", "participants_from_cc = no\n",
	  "alice@customer.test", "bob@partner.test", NULL },
	{ "a queue's address is ours", "", "alice@customer.test",
	  "help@example.com, bob@partner.test", "bob@partner.test" },
	{ "a queue's address with a subaddress is ours", "", "alice@customer.test",
	  "support+t-x@example.com", NULL },
	{ "the [outbound] from address is ours", "from = Desk <desk@example.com>\n",
	  "alice@customer.test", "desk@example.com, bob@partner.test", "bob@partner.test" },
	{ "the bounce address is ours", "bounce_address = bounces@example.com\n",
	  "alice@customer.test", "bounces@example.com", NULL },
	{ "the reply address is ours", "reply_address = replies@example.com\n",
	  "alice@customer.test", "replies@example.com", NULL },
	{ "the sender is the requester, not a Cc participant", "", "alice@customer.test",
	  "alice@customer.test, bob@partner.test", "bob@partner.test" },
	{ "the sender in Cc under a subaddress is still the sender", "", "alice@customer.test",
	  "alice+cc@customer.test", NULL },
	{ "no Cc: nobody", "", "alice@customer.test", NULL, NULL },
	{ "a Cc group without addresses: nobody", "", "alice@customer.test",
	  "undisclosed-recipients:;", NULL },
};

static void
test_participants_table(void **state)
{
	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(participant_cases); i++) {
		const char *outbound = participant_cases[i].outbound;
		g_autofree char *section = g_strdup_printf("[outbound]\n%s", outbound);
		g_autoptr(PdConfig) config = config_with(section);
		g_autofree char *cc = participant_cases[i].cc != NULL
			? g_strdup_printf("Cc: %s\r\n", participant_cases[i].cc) : g_strdup("");
		g_autofree char *text = g_strdup_printf(
			"From: %s\r\nTo: support@example.com\r\n%sSubject: printer\r\n"
			"Message-ID: <p.%u@customer.test>\r\n\r\nhi\r\n",
			participant_cases[i].from, cc, i);
		g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
		g_autoptr(GError) error = NULL;
		g_autoptr(PdMail) mail = pd_mail_parse(raw, &config->mail_limits, &error);
		g_autoptr(GPtrArray) pairs = NULL;

		assert_non_null(mail);
		pairs = facts(config, "support@example.com", mail);
		if (g_strcmp0(value(pairs, "cc"), participant_cases[i].want) != 0)
			fail_msg("%s: cc %s, want %s", participant_cases[i].name,
				 value(pairs, "cc"), participant_cases[i].want);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule participants: %u cases\n", (guint)G_N_ELEMENTS(participant_cases));
}

/* Who the pipeline vouches for as the account's contact (the "contact"
 * fact pd_thread_takes_part reads, sql/functions/thread.sql): only an
 * authenticated contact in good standing who holds the queue's permission
 * (identity: privileged and authorized), and only for the delivery's queue. */
static const struct {
	const char *name;
	PdRequesterKind kind;
	gboolean privileged, authorized;
	gint64 account;
	gint64 want;		/* the fact's account_id; 0: no fact */
} contact_cases[] = {
	{ "an authenticated contact holding the queue's permission", PD_REQUESTER_CONTACT,
	  TRUE, TRUE, 7, 7 },
	{ "an authenticated contact lacking the queue's permission", PD_REQUESTER_CONTACT,
	  TRUE, FALSE, 7, 0 },
	{ "a contact whose From domain is not authenticated (or suspended, removed, expired)",
	  PD_REQUESTER_CONTACT, FALSE, FALSE, 7, 0 },
	{ "an authenticated member of the account's domain is no contact", PD_REQUESTER_MEMBER,
	  TRUE, TRUE, 7, 0 },
	{ "an agent threads by tokens, not as a contact", PD_REQUESTER_AGENT, TRUE, TRUE, 0, 0 },
	{ "an unknown sender", PD_REQUESTER_UNKNOWN, FALSE, FALSE, 0, 0 },
};

static void
test_contact_table(void **state)
{
	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(contact_cases); i++) {
		PdIdentityDecision identity = { 0 };
		PdThreadFacts facts = { 0 };
		g_autofree char *json = NULL;

		identity.kind = contact_cases[i].kind;
		identity.privileged = contact_cases[i].privileged;
		identity.authorized = contact_cases[i].authorized;
		identity.account_id = contact_cases[i].account;
		pd_pipeline_thread_contact(&identity, "billing", &facts);
		if (facts.contact_account != contact_cases[i].want)
			fail_msg("%s: account %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT,
				 contact_cases[i].name, facts.contact_account, contact_cases[i].want);
		json = pd_thread_facts_json(&facts);
		if (contact_cases[i].want != 0)
			assert_non_null(strstr(json, "\"contact\": {\"account_id\": 7, \"queue\": \"billing\"}"));
		else
			assert_non_null(strstr(json, "\"contact\": null"));
	}
	printf("rule thread-contact: %u cases\n", (guint)G_N_ELEMENTS(contact_cases));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_participants_table),
		cmocka_unit_test(test_contact_table),
	};

	pd_mail_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
