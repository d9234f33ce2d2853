/* The run-time bounds: the step budget, redirects, actions, variables.
 * Hitting one is an error of the run: its actions are dropped and the
 * implicit keep stands, never a stall.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sieve-case.h"

#define LONG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG_A4 LONG_A LONG_A LONG_A LONG_A
#define LONG_A16 LONG_A4 LONG_A4 LONG_A4 LONG_A4
#define LONG_A64 LONG_A16 LONG_A16 LONG_A16 LONG_A16

static void
test_steps(void **state)
{
	PdSieveLimits limits;
	GString *many = g_string_new(NULL);

	pd_sieve_limits_init(&limits);
	limits.max_steps = 1000;
	for (guint i = 0; i < 600; i++)
		g_string_append(many, "if true { keep; }\n");
	const SieveCase rows[] = {
		{ "a back-tracking pattern runs out of steps",
		  "if header :matches \"subject\" \"*" LONG_A "b\" { discard; }",
		  "run: test.sieve:1:4: step budget of 1000 exhausted", "Subject: " LONG_A64 "\r\n" },
		{ "many stars back-track only to the last one",
		  "if header :matches \"subject\" \"*a*a*a*a*a*a*a*b\" { discard; }", "keep (implicit)",
		  "Subject: " LONG_A16 "\r\n" },
		{ "the same pattern on a short value is fine",
		  "if header :matches \"subject\" \"*" LONG_A "b\" { discard; }", "keep (implicit)",
		  "Subject: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" },
		{ ":contains over a long value charges its work",
		  "if header :contains \"subject\" \"" LONG_A "b\" { discard; }",
		  "run: test.sieve:1:4: step budget of 1000 exhausted",
		  "Subject: " LONG_A64 "\r\n" },
		{ ":contains over ordinary text charges the scan, not the worst case",
		  "if header :contains \"subject\" \"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\" { discard; }",
		  "keep (implicit)", "Subject: " LONG_A64 "\r\n" },
		{ "a long script runs out of steps, and its actions are dropped", many->str,
		  "run: test.sieve:334:1: step budget of 1000 exhausted" },
		{ "the discard before the error is dropped too",
		  "discard; if header :matches \"subject\" \"*" LONG_A "b\" { stop; }",
		  "run: test.sieve:1:13: step budget of 1000 exhausted", "Subject: " LONG_A64 "\r\n" },
	};

	sieve_cases_check(rows, G_N_ELEMENTS(rows), &limits);
	/* the default budget stops the worst pattern on the longest string */
	{
		g_autofree char *a_pattern = g_strnfill(2000, 'a');
		g_autofree char *a_value = g_strnfill(64 * 1024, 'a');
		g_autofree char *script = g_strdup_printf(
			"if header :matches \"subject\" \"*%sb\" { discard; }", a_pattern);
		g_autofree char *headers = g_strdup_printf("Subject: %s\r\n", a_value);

		sieve_case_check(&(SieveCase) { "the default budget", script,
			"run: test.sieve:1:4: step budget of 1000000 exhausted", headers }, NULL);
	}
	g_string_free(many, TRUE);
}

static void
test_actions(void **state)
{
	PdSieveLimits limits;
	GString *redirects = g_string_new(NULL);
	GString *mailboxes = g_string_new("require \"fileinto\";\n");

	pd_sieve_limits_init(&limits);
	limits.max_redirects = 3;
	limits.max_actions = 4;
	for (guint i = 0; i < 4; i++)
		g_string_append_printf(redirects, "redirect \"r%u@b.test\";\n", i);
	for (guint i = 0; i < 5; i++)
		g_string_append_printf(mailboxes, "fileinto \"m%u\";\n", i);
	const SieveCase rows[] = {
		{ "more redirects than allowed", redirects->str,
		  "run: test.sieve:4:1: more than 3 redirects" },
		{ "the same redirect again is not one more",
		  "redirect \"a@b.test\"; redirect \"a@b.test\"; redirect \"a@b.test\"; "
		  "redirect \"a@b.test\";", "redirect \"a@b.test\"" },
		{ "more actions than allowed", mailboxes->str,
		  "run: test.sieve:6:1: more than 4 actions" },
	};

	sieve_cases_check(rows, G_N_ELEMENTS(rows), &limits);
	g_string_free(redirects, TRUE);
	g_string_free(mailboxes, TRUE);
}

/* A compiled script runs again and again with the same outcome. */
static void
test_reuse(void **state)
{
	static const char text[] = "require \"fileinto\";\n"
				   "if header :contains \"subject\" \"invoice\" { fileinto \"billing\"; }";
	g_autoptr(PdSieveScript) script = pd_sieve_compile("r.sieve", text, strlen(text), NULL,
							   NULL);

	for (guint i = 0; i < 3; i++) {
		g_autoptr(PdSieveMessage) message =
			pd_sieve_facts_new(i % 2 ? "Subject: Invoice\r\n" : "Subject: hi\r\n",
					   NULL, NULL, 0);
		g_autoptr(PdSieveResult) result = pd_sieve_run(script, message);
		g_autofree char *text_r = pd_sieve_result_to_string(result);

		assert_string_equal(text_r, i % 2 ? "fileinto \"billing\"" : "keep (implicit)");
		assert_false(result->failed);
		assert_true(result->steps > 0);
		assert_int_equal(((PdSieveAction *) g_ptr_array_index(result->actions, 0))->line,
				 i % 2 ? 2 : 0);
	}
}

int
main(void)
{
	const struct CMUnitTest unit_tests[] = {
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests(unit_tests, NULL, NULL);
}
