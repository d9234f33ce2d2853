/* regex (draft-ietf-sieve-regex), table-driven: POSIX extended matching
 * with the comparators, match variables of groups, :quoteregex, keys from
 * variables compiled at run time, and the bounds (size, back-references).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define R "require [\"regex\", \"variables\", \"fileinto\"];\n"

static const SieveCase rows[] = {
	{ "a match anywhere", R "if header :regex \"subject\" \"[0-9]+\" { discard; }", "discard" },
	{ "anchors", R "if header :regex \"subject\" \"^Invoice [0-9]+ overdue$\" { discard; }",
	  "discard" },
	{ "no match", R "if header :regex \"subject\" \"^overdue\" { discard; }", "keep (implicit)" },
	{ "case-insensitive by default", R "if header :regex \"subject\" \"^INVOICE\" { discard; }",
	  "discard" },
	{ "i;octet is case-sensitive", R "if header :regex :comparator \"i;octet\" \"subject\" "
	  "\"^INVOICE\" { discard; }", "keep (implicit)" },
	{ "alternation", R "if header :regex \"subject\" \"(refund|invoice)\" { discard; }",
	  "discard" },
	{ "groups fill match variables", R "if header :regex \"subject\" \"^([a-z]+) ([0-9]+)\" "
	  "{ fileinto \"${2}-${1}\"; }", "fileinto \"42-Invoice\"" },
	{ "${0} is the whole match", R "if header :regex \"subject\" \"[0-9]+ o\" "
	  "{ fileinto \"${0}\"; }", "fileinto \"42 o\"" },
	{ "an unmatched group is empty", R "if header :regex \"subject\" \"(x)?Invoice\" "
	  "{ fileinto \"a${1}b\"; }", "fileinto \"ab\"" },
	{ "address :regex", R "if address :domain :regex \"from\" \"^customer\\\\.\" { discard; }",
	  "discard" },
	{ ":quoteregex makes a value literal", R "set :quoteregex \"p\" \"a.c\"; "
	  "if header :regex \"subject\" \"${p}\" { discard; }", "keep (implicit)",
	  "Subject: abc\r\n" },
	{ "without :quoteregex the dot is any character", R "set \"p\" \"a.c\"; "
	  "if header :regex \"subject\" \"${p}\" { discard; }", "discard", "Subject: abc\r\n" },
	{ ":quoteregex quotes every special", R "set :quoteregex \"p\" \"^a+(b)[c]{1}|$\\\\\\\\\"; "
	  "fileinto \"${p}\";", "fileinto \"\\\\^a\\\\+\\\\(b\\\\)\\\\[c\\\\]\\\\{1\\\\}\\\\|\\\\$\\\\\\\\\\\\\\\\\"" },
	{ "a key a variable made invalid is a rule error: that test is false, the run goes on",
	  R "set \"p\" \"(\"; if header :regex \"subject\" \"${p}\" { discard; } "
	  "fileinto \"after\";",
	  "run (actions fileinto \"after\"): test.sieve:2:17: invalid regular expression \"(\": "
	  "Unmatched ( or \\(" },
	{ "an invalid expression", R "if header :regex \"subject\" \"a(\" { keep; }",
	  "compile: test.sieve:2:4: invalid regular expression \"a(\": Unmatched ( or \\(" },
	{ "back-references are refused", R "if header :regex \"subject\" \"(a)\\\\1\" { keep; }",
	  "compile: test.sieve:2:4: invalid regular expression \"(a)\\1\": back-references are not supported" },
	{ "a digit after a backslash in brackets is no back-reference",
	  R "if header :regex \"subject\" \"[\\\\1]\" { keep; }", "keep" , "Subject: \\\r\n" },
	{ "i;ascii-numeric has no :regex", "require [\"regex\", \"comparator-i;ascii-numeric\"];\n"
	  "if header :regex :comparator \"i;ascii-numeric\" \"a\" \"1\" { keep; }",
	  "compile: test.sieve:2:4: comparator \"i;ascii-numeric\" cannot be used with :regex" },
	{ ":regex without require", "if header :regex \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:11: ':regex' needs require \"regex\"" },
	{ ":quoteregex without require regex", "require \"variables\"; set :quoteregex \"a\" \"b\";",
	  "compile: test.sieve:1:26: ':quoteregex' needs require \"regex\"" },
	{ ":quotewildcard and :quoteregex share a precedence",
	  R "set :quotewildcard :quoteregex \"a\" \"b\";",
	  "compile: test.sieve:2:20: ':quoteregex' conflicts with another modifier of its precedence" },
};

static void
test_table(void **state)
{
	sieve_cases_check(rows, G_N_ELEMENTS(rows), NULL);
}

/* the expression's size, and the part of a value it sees */
static void
test_bounds(void **state)
{
	g_autofree char *pattern = g_strnfill(1025, 'a');
	g_autofree char *script = g_strdup_printf(R "if header :regex \"subject\" \"%s\" { keep; }",
						  pattern);
	g_autofree char *error = g_strdup_printf("compile: test.sieve:2:4: invalid regular "
						 "expression \"%s\": longer than 1024 bytes",
						 pattern);
	g_autofree char *long_value = g_strnfill(70 * 1024, 'b');
	g_autofree char *long_headers = g_strdup_printf("Subject: %sc\r\n", long_value);
	g_autofree char *short_value = g_strnfill(1024, 'b');
	g_autofree char *short_headers = g_strdup_printf("Subject: %sc\r\n", short_value);

	sieve_case_check(&(SieveCase) { "longer than 1 KiB", script, error }, NULL);
	pattern[1024] = '\0';
	g_free(script);
	script = g_strdup_printf(R "if header :regex \"subject\" \"%s\" { keep; }", pattern);
	sieve_case_check(&(SieveCase) { "1 KiB is fine", script, "keep (implicit)" }, NULL);
	sieve_case_check(&(SieveCase) { "the expression sees the first 64 KiB only",
		R "if header :regex \"subject\" \"c$\" { discard; }", "keep (implicit)",
		long_headers }, NULL);
	sieve_case_check(&(SieveCase) { "a shorter value is seen whole",
		R "if header :regex \"subject\" \"c$\" { discard; }", "discard",
		short_headers }, NULL);
}

int
main(void)
{
	const struct CMUnitTest unit_tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(unit_tests, NULL, NULL);
}
