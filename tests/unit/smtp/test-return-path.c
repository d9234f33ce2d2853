/* The rule "which MAIL FROM a mail of ours goes out with"
 * (lib/smtp/pd-return-path.c), as a table: every case names its reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "smtp/pd-outbound.h"
#include "ticket/pd-token.h"

#define KEY "return-path-test-key-0123456789"

typedef struct {
	const char *name;
	const char *bounce_base;	/* NULL: bounce_address unset */
	gint64 outbound_id;
	const char *recipient;
	const char *queued;
	const char *expect;		/* "SIGNED": bounces+b-TOKEN@ naming the row */
	const char *why;		/* start of the reason */
} Case;

static const Case cases[] = {
	{ "an acknowledgement: signed, not the null sender (bounces come back to postdesk)",
	  "bounces@example.com", 17, "alice@customer.test", "", "SIGNED", "signed" },
	{ "a notification queued with the bounce address: signed",
	  "bounces@example.com", 18, "agent@example.com", "bounces@example.com", "SIGNED", "signed" },
	{ "a relayed agent answer queued with the from address: signed",
	  "bounces@example.com", 19, "bob@customer.test", "support@example.com", "SIGNED", "signed" },
	{ "a welcome mail: signed", "bounces@example.com", 20, "new@acme.test",
	  "bounces@example.com", "SIGNED", "signed" },
	{ "the base's case is folded in the signed address", "Bounces@Example.COM", 21,
	  "alice@customer.test", "", "SIGNED", "signed" },
	{ "no bounce_address, an auto-reply: the null sender (RFC 3834 3.3)", NULL, 22,
	  "alice@customer.test", "", "", "no bounce_address: the null" },
	{ "no bounce_address, a relay: the from address it was queued with", NULL, 23,
	  "bob@customer.test", "support@example.com", "support@example.com",
	  "no bounce_address: the sender" },
	{ "no row id (a tool's send): as queued", "bounces@example.com", 0,
	  "alice@customer.test", "", "", "not an outbound row" },
	{ "a recipient that is no address: as queued (the row fails at render)",
	  "bounces@example.com", 24, "nobody", "", "", "recipient not an address" },
	{ "a bounce base with a +tag is refused by the config; here: as queued",
	  "bounces+x@example.com", 25, "alice@customer.test", "", "", "recipient not" },
};

static void
test_table(void **state)
{
	const char *secrets[] = { KEY, NULL };
	g_autoptr(PdTokenKeys) keys = pd_token_keys_new(secrets, NULL);

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const Case *c = &cases[i];
		PdReturnPathFacts facts = { c->bounce_base, keys, c->outbound_id, c->recipient,
					    c->queued };
		const char *why = NULL;
		g_autofree char *got = pd_return_path_decide(&facts, &why);

		if (strcmp(c->expect, "SIGNED") == 0) {
			PdTokenInfo info;

			if (!g_str_has_prefix(got, "bounces+b-") ||
			    !g_str_has_suffix(got, "@example.com"))
				fail_msg("%s: got \"%s\"", c->name, got);
			assert_int_equal(pd_token_verify_bounce_address(keys, got, c->recipient,
									&info),
					 PD_TOKEN_VALID);
			assert_true(info.serial == c->outbound_id);
		} else if (strcmp(got, c->expect) != 0) {
			fail_msg("%s: got \"%s\", expected \"%s\"", c->name, got, c->expect);
		}
		if (why == NULL || !g_str_has_prefix(why, c->why))
			fail_msg("%s: reason \"%s\", expected \"%s...\"", c->name,
				 why != NULL ? why : "(null)", c->why);
	}
	/* without keys nothing can be signed */
	{
		PdReturnPathFacts facts = { "bounces@example.com", NULL, 5, "a@b.c", "" };
		g_autofree char *got = pd_return_path_decide(&facts, NULL);

		assert_string_equal(got, "");
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule return-path: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
