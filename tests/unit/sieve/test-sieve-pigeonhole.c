/* Pigeonhole's test suite (../shared/corpora/sieve-pigeonhole, see its
 * SOURCE.txt) through our compiler, for the parts postdesk implements:
 *  - every .svtest of the base tests and of the supported extensions
 *    parses (syntax only: they require vnd.dovecot.testsuite, which is not
 *    ours yet);
 *  - every .sieve script they compile compiles fully (validation too), or
 *    is refused only for a capability we do not implement (a skip);
 *  - every .sieve under errors/ and recover/ (scripts that must not
 *    compile) is refused.
 * A file that does otherwise fails the test unless listed in accepted[]
 * with its reason.  Skips with exit 77 when the corpus is absent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sieve-case.h"

/* the parts of the suite for what postdesk implements */
static const char *const areas[] = {
	"comparators", "compile", "execute", "match-types", "failures", "multiscript",
	"lexer.svtest", "control-if.svtest", "control-stop.svtest", "test-allof.svtest",
	"test-anyof.svtest", "test-exists.svtest", "test-header.svtest", "test-size.svtest",
	"testsuite.svtest",
	"extensions/envelope.svtest", "extensions/encoded-character.svtest",
	"extensions/variables", "extensions/relational", "extensions/subaddress",
	"extensions/imap4flags", "extensions/reject", "extensions/body",
	"extensions/spamvirustest",
	"extensions/regex",
};

typedef struct {
	const char *path;	/* relative to the corpus */
	const char *reason;
} Accepted;

/* Files whose outcome differs from the rule above, each with why. */
static const Accepted accepted[] = {
	{ "compile/warnings/invalid-headers.sieve",
	  "a header name that can never match (\"from:\") is an error for postdesk, "
	  "a warning for Pigeonhole: it is always a typo" },
};

typedef struct {
	guint parsed, parse_failed;		/* .svtest */
	guint compiled, skipped, compile_failed;	/* .sieve that should compile */
	guint refused, not_refused;		/* .sieve that should not */
	guint accepted;
	GString *report;
} Tally;

static const char *
accepted_reason(const char *path)
{
	for (gsize i = 0; i < G_N_ELEMENTS(accepted); i++)
		if (strcmp(accepted[i].path, path) == 0)
			return accepted[i].reason;
	return NULL;
}

static gboolean
must_fail(const char *path)
{
	/* execute/errors/ holds scripts that fail at run time */
	/* ... and regex's errors/runtime.sieve one whose expression is bad at run time */
	return (strstr(path, "/errors/") != NULL && !g_str_has_prefix(path, "execute/") &&
		!g_str_has_suffix(path, "/errors/runtime.sieve")) ||
	       strstr(path, "/recover/") != NULL || g_str_has_prefix(path, "failures/");
}

/* A capability we do not implement stands in the way (the errors after
 * it are its commands and tags). */
static gboolean
unsupported_capability(GPtrArray *errors)
{
	for (guint i = 0; i < errors->len; i++)
		if (strstr(g_ptr_array_index(errors, i), "unknown or unsupported capability") != NULL)
			return TRUE;
	return FALSE;
}

static void
check_file(const char *root, const char *path, Tally *tally)
{
	g_autofree char *full = g_build_filename(root, path, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) errors = NULL;
	PdSieveLimits limits;
	PdSieveScript *script;
	const char *reason = accepted_reason(path);
	gboolean svtest = g_str_has_suffix(path, ".svtest");
	gboolean ok;
	gsize len;

	if (!g_str_has_suffix(path, ".sieve") && !svtest)
		return;
	assert_true(g_file_get_contents(full, &text, &len, NULL));
	pd_sieve_limits_init(&limits);
	limits.syntax_only = svtest;
	script = pd_sieve_compile(path, text, len, &limits, &errors);
	pd_sieve_script_free(script);
	if (svtest) {
		ok = script != NULL;
		ok ? tally->parsed++ : tally->parse_failed++;
	} else if (must_fail(path) && g_str_has_prefix(path, "failures/")) {
		return;	/* failures/ holds .svtest files only */
	} else if (must_fail(path)) {
		ok = script == NULL;
		ok ? tally->refused++ : tally->not_refused++;
	} else if (script == NULL && unsupported_capability(errors)) {
		tally->skipped++;
		g_string_append_printf(tally->report, "  skip %s: %s\n", path,
				       (char *) g_ptr_array_index(errors, 0));
		return;
	} else {
		ok = script != NULL;
		ok ? tally->compiled++ : tally->compile_failed++;
	}
	if (ok && reason == NULL)
		return;
	if (!ok && reason != NULL) {
		tally->accepted++;
		g_string_append_printf(tally->report, "  accepted %s: %s\n", path, reason);
		return;
	}
	g_string_append_printf(tally->report, "  FAIL %s: %s\n", path,
			       reason != NULL ? "listed as accepted, but passes now" :
			       errors != NULL ? (char *) g_ptr_array_index(errors, 0) :
			       "compiled, but must be refused");
	for (guint i = 1; errors != NULL && i < errors->len && i < 4; i++)
		g_string_append_printf(tally->report, "       %s\n",
				       (char *) g_ptr_array_index(errors, i));
}

static int
path_order(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Pigeonhole's own error count for each file of compile/errors/ (from
 * compile/errors.svtest; it counts one more, "compilation failed"). */
static GHashTable *
expected_counts(const char *root)
{
	g_autofree char *path = g_build_filename(root, "compile", "errors.svtest", NULL);
	g_autofree char *text = NULL;
	GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GRegex) regex = g_regex_new(
		"test_script_compile \"(errors/[^\"]+)\".*?test_error :count \"eq\" "
		":comparator \"i;ascii-numeric\" \"([0-9]+)\"", G_REGEX_DOTALL, 0, NULL);
	GMatchInfo *match = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return counts;
	g_regex_match(regex, text, 0, &match);
	while (g_match_info_matches(match)) {
		char *file = g_match_info_fetch(match, 1);
		g_autofree char *count = g_match_info_fetch(match, 2);

		g_hash_table_replace(counts, g_strconcat("compile/", file, NULL),
				     GUINT_TO_POINTER(atoi(count)));
		g_free(file);
		g_match_info_next(match, NULL);
	}
	g_match_info_free(match);
	return counts;
}

/* How many of those files get as many errors from us (reported, not
 * asserted: error granularity is a choice). */
static void
compare_counts(const char *root)
{
	g_autoptr(GHashTable) counts = expected_counts(root);
	GHashTableIter iter;
	gpointer key, value;
	guint same = 0, files = 0;

	g_hash_table_iter_init(&iter, counts);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		g_autofree char *full = g_build_filename(root, key, NULL);
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) errors = NULL;
		PdSieveLimits limits;
		gsize len;

		if (!g_file_get_contents(full, &text, &len, NULL))
			continue;
		pd_sieve_limits_init(&limits);
		limits.max_errors = 100;
		pd_sieve_script_free(pd_sieve_compile(key, text, len, &limits, &errors));
		files++;
		if (errors != NULL && errors->len + 1 == GPOINTER_TO_UINT(value))
			same++;
		else
			printf("  count %s: ours %u, Pigeonhole's %u\n", (char *) key,
			       errors != NULL ? errors->len : 0, GPOINTER_TO_UINT(value) - 1);
	}
	printf("pigeonhole: compile/errors: the same error count as Pigeonhole for %u of %u "
	       "files\n", same, files);
}

static void
walk(const char *root, const char *path, Tally *tally)
{
	g_autofree char *full = g_build_filename(root, path, NULL);
	GDir *dir = g_dir_open(full, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (dir == NULL) {
		check_file(root, path, tally);
		return;
	}
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_build_filename(path, name, NULL));
	g_dir_close(dir);
	g_ptr_array_sort(names, path_order);
	for (guint i = 0; i < names->len; i++)
		walk(root, g_ptr_array_index(names, i), tally);
}

static void
test_pigeonhole(void **state)
{
	g_autofree char *root = sieve_pigeonhole_root();
	Tally tally = { .report = g_string_new(NULL) };

	for (gsize i = 0; i < G_N_ELEMENTS(areas); i++)
		walk(root, areas[i], &tally);
	printf("%s", tally.report->str);
	printf("pigeonhole: .svtest parsed %u, failed %u; .sieve compiled %u, skipped %u "
	       "(capability), failed %u; error scripts refused %u, not refused %u; "
	       "accepted %u\n", tally.parsed, tally.parse_failed, tally.compiled, tally.skipped,
	       tally.compile_failed, tally.refused, tally.not_refused, tally.accepted);
	g_string_free(tally.report, TRUE);
	compare_counts(root);
	assert_int_equal(tally.parse_failed + tally.compile_failed + tally.not_refused,
			 tally.accepted);
}

int
main(void)
{
	const struct CMUnitTest unit_tests[] = { cmocka_unit_test(test_pigeonhole) };

	return cmocka_run_group_tests(unit_tests, NULL, NULL);
}
