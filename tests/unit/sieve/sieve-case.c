/* The table runner of tests/unit/sieve (sieve-case.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sieve-case.h"

static char *
joined(GPtrArray *lines)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; lines != NULL && i < lines->len; i++) {
		if (i > 0)
			g_string_append_c(out, '\n');
		g_string_append(out, g_ptr_array_index(lines, i));
	}
	return g_string_free(out, FALSE);
}

static const char *
envelope(const char *given, const char *fallback)
{
	if (given == NULL)
		return fallback;
	return strcmp(given, "-") == 0 ? NULL : given;
}

/* What the row produced, in the form of its expect. */
static char *
outcome(const SieveCase *row, const PdSieveLimits *limits)
{
	g_autoptr(GPtrArray) errors = NULL;
	g_autoptr(PdSieveScript) script = pd_sieve_compile("test.sieve", row->script,
							   strlen(row->script), limits, &errors);
	g_autoptr(PdSieveMessage) message = NULL;
	g_autoptr(PdSieveResult) result = NULL;
	g_autofree char *text = NULL;

	if (script == NULL) {
		text = joined(errors);
		return g_strconcat("compile: ", text, NULL);
	}
	message = pd_sieve_facts_new(row->headers != NULL ? row->headers : SIEVE_HEADERS,
				     envelope(row->from, "bob@customer.test"),
				     envelope(row->to, "support+urgent@desk.test"),
				     row->size != 0 ? row->size : 2048);
	if (row->body != NULL)
		pd_sieve_facts_set_body(message, row->body);
	pd_sieve_facts_set_spamtest(message, row->spam, row->spam_percent);
	result = pd_sieve_run(script, message);
	if (result->errors->len > 0) {
		g_autofree char *actions = pd_sieve_result_to_string(result);

		text = joined(result->errors);
		/* a failed run leaves exactly the implicit keep */
		if (!result->failed || strcmp(actions, "keep (implicit)") != 0)
			return g_strconcat("run (actions ", actions, "): ", text, NULL);
		return g_strconcat("run: ", text, NULL);
	}
	return pd_sieve_result_to_string(result);
}

void
sieve_case_check(const SieveCase *row, const PdSieveLimits *limits)
{
	g_autofree char *got = outcome(row, limits);

	if (strcmp(got, row->expect) != 0) {
		print_error("%s:\n  expected: %s\n  got:      %s\n", row->name, row->expect, got);
		fail();
	}
}

void
sieve_cases_check(const SieveCase *rows, gsize n, const PdSieveLimits *limits)
{
	guint failed = 0;

	for (gsize i = 0; i < n; i++) {
		g_autofree char *got = outcome(&rows[i], limits);

		if (strcmp(got, rows[i].expect) != 0) {
			print_error("%s:\n  expected: %s\n  got:      %s\n", rows[i].name,
				    rows[i].expect, got);
			failed++;
		}
	}
	if (failed > 0)
		fail_msg("%u of %" G_GSIZE_FORMAT " rows failed", failed, n);
}

char *
sieve_pigeonhole_root(void)
{
	const char *corpora = g_getenv("PD_CORPORA");
	char *root = g_build_filename(corpora != NULL ? corpora : "../shared/corpora",
				      "sieve-pigeonhole", NULL);

	if (!g_file_test(root, G_FILE_TEST_IS_DIR)) {
		printf("skipped: %s is absent\n", root);
		g_free(root);
		exit(77);
	}
	return root;
}
