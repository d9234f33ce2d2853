/* The extension seam (PdSieveExtension), table-driven: require, an
 * extension's commands and tests with their positional arguments, own
 * tags and match tags, blocks, variables in their arguments, and the
 * errors of misuse.  The rows run a small "vnd.test" extension whose
 * commands write what they saw into a log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sieve/pd-sieve.h"

static gboolean
run_tag(PdSieveCall *call, gpointer user_data)
{
	GString *log = user_data;
	g_autofree char *name = pd_sieve_call_string(call, 0);
	guint64 points;

	g_string_append_printf(log, "%stag %s", log->len > 0 ? "; " : "", name);
	if (pd_sieve_call_tag_number(call, "points", &points))
		g_string_append_printf(log, " points=%" G_GUINT64_FORMAT, points);
	if (pd_sieve_call_has_tag(call, "quiet"))
		g_string_append(log, " quiet");
	return TRUE;
}

static gboolean
run_score(PdSieveCall *call, gpointer user_data)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(values, g_strdup("7"));
	return pd_sieve_call_match(call, values, 0);
}

static gboolean
run_group(PdSieveCall *call, gpointer user_data)
{
	pd_sieve_call_run_block(call);
	return TRUE;
}

static gboolean
run_fail(PdSieveCall *call, gpointer user_data)
{
	pd_sieve_call_error(call, "failed on purpose at line %u", pd_sieve_call_line(call));
	return TRUE;
}

static const char *const tag_tags[] = { "points=N", "quiet", NULL };

static const PdSieveCommand commands[] = {
	{ "tag", FALSE, "S", 0, tag_tags, FALSE, run_tag },
	{ "score", TRUE, "L", PD_SIEVE_TAGS_MATCH | PD_SIEVE_TAGS_COMPARATOR, NULL, FALSE,
	  run_score },
	{ "group", FALSE, "", 0, NULL, TRUE, run_group },
	{ "fail", FALSE, "", 0, NULL, FALSE, run_fail },
};

typedef struct {
	const char *name;
	const char *script;
	const char *expect;	/* "compile: ERRORS", or "LOG | ACTIONS [| ERRORS]" */
} Row;

#define T "require \"vnd.test\";\n"

static const Row rows[] = {
	{ "a command", T "tag \"a\";", "tag a | keep (implicit)" },
	{ "without require", "tag \"a\";", "compile: test.sieve:1:1: 'tag' needs require \"vnd.test\"" },
	{ "an own tag with a number", T "tag :points 3 \"a\";", "tag a points=3 | keep (implicit)" },
	{ "an own tag alone", T "tag :quiet :points 1 \"a\";",
	  "tag a points=1 quiet | keep (implicit)" },
	{ "an own tag needs its number", T "tag :points \"x\" \"a\";",
	  "compile: test.sieve:2:5: ':points' must be followed by a number" },
	{ "an unknown tag", T "tag :frob \"a\";",
	  "compile: test.sieve:2:5: unknown tagged argument ':frob' for 'tag'" },
	{ "positional arguments are checked", T "tag;",
	  "compile: test.sieve:2:1: 'tag' takes 1 positional argument, found 0" },
	{ "a test with match tags", T "if score :is \"7\" { tag \"seven\"; }",
	  "tag seven | keep (implicit)" },
	{ "a test with :contains", T "if score :contains \"8\" { tag \"x\"; }", " | keep (implicit)" },
	{ "a test is not a command", T "score \"7\";",
	  "compile: test.sieve:2:1: 'score' is a test, not a command" },
	{ "a block; stop ends the block only", T "group { tag \"x\"; stop; tag \"y\"; } tag \"z\";",
	  "tag x; tag z | keep (implicit)" },
	{ "a block is required", T "group;", "compile: test.sieve:2:1: 'group' needs a block \"{ ... }\"" },
	{ "variables expand in arguments", "require [\"vnd.test\", \"variables\"];\n"
	  "set \"n\" \"v\"; tag \"${n}\";", "tag v | keep (implicit)" },
	{ "built-in actions mix in", T "tag \"a\"; discard;", "tag a | discard" },
	{ "a run-time error of an extension", T "discard; fail;",
	  " | keep (implicit) | test.sieve:2:10: failed on purpose at line 2" },
	{ "other capabilities are still refused", T "require \"vnd.other\";",
	  "compile: test.sieve:2:1: unknown or unsupported capability \"vnd.other\"" },
};

static char *
outcome(const Row *row)
{
	g_autoptr(GString) log = g_string_new(NULL);
	PdSieveExtension extension = { "vnd.test", commands, G_N_ELEMENTS(commands), log };
	const PdSieveExtension *extensions[] = { &extension, NULL };
	g_autoptr(GPtrArray) errors = NULL;
	g_autoptr(PdSieveScript) script = pd_sieve_compile_with("test.sieve", row->script,
								strlen(row->script), NULL,
								extensions, &errors);
	g_autoptr(PdSieveMessage) message = NULL;
	g_autoptr(PdSieveResult) result = NULL;
	g_autofree char *actions = NULL;
	GString *out;

	if (script == NULL) {
		out = g_string_new("compile: ");
		for (guint i = 0; i < errors->len; i++)
			g_string_append_printf(out, "%s%s", i > 0 ? "\n" : "",
					       (char *) g_ptr_array_index(errors, i));
		return g_string_free(out, FALSE);
	}
	assert_true(pd_sieve_script_requires(script, "vnd.test"));
	message = pd_sieve_facts_new("Subject: x\r\n", NULL, NULL, 0);
	result = pd_sieve_run(script, message);
	actions = pd_sieve_result_to_string(result);
	out = g_string_new(NULL);
	g_string_append_printf(out, "%s | %s", log->str, actions);
	for (guint i = 0; i < result->errors->len; i++)
		g_string_append_printf(out, " | %s", (char *) g_ptr_array_index(result->errors, i));
	return g_string_free(out, FALSE);
}

static void
test_extension(void **state)
{
	guint failed = 0;

	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *got = outcome(&rows[i]);

		if (strcmp(got, rows[i].expect) != 0) {
			print_error("%s:\n  expected: %s\n  got:      %s\n", rows[i].name,
				    rows[i].expect, got);
			failed++;
		}
	}
	if (failed > 0)
		fail_msg("%u rows failed", failed);
}

int
main(void)
{
	const struct CMUnitTest unit_tests[] = { cmocka_unit_test(test_extension) };

	return cmocka_run_group_tests(unit_tests, NULL, NULL);
}
