/* Compile errors, table-driven: each row a broken script and the exact
 * "file:line:col: message" lines it must produce, with recovery (several
 * errors per run) and the compile-time bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sieve-case.h"

static const SieveCase lexical[] = {
	{ "unterminated string", "keep;\nif header :is \"a\" \"b { keep; }\n",
	  "compile: test.sieve:2:19: unterminated string" },
	{ "unterminated comment", "keep; /* no end\n",
	  "compile: test.sieve:1:7: unterminated comment" },
	{ "unterminated multi-line string", "if header :is \"a\" text:\nno dot\n",
	  "compile: test.sieve:1:19: unterminated multi-line string (no line \".\")" },
	{ "text: needs its line end", "if header :is \"a\" text: x\n.\n { keep; }",
	  "compile: test.sieve:1:25: expected the end of the line after text:" },
	{ "number too large", "if size :over 18446744073709551616 { keep; }",
	  "compile: test.sieve:1:15: number too large" },
	{ "number too large with a unit", "if size :over 18014398509481984K { keep; }",
	  "compile: test.sieve:1:15: number too large" },
	{ "the largest number is fine", "if size :over 18446744073709551615 { keep; }",
	  "keep (implicit)" },
	{ "a character outside the grammar", "keep; @",
	  "compile: test.sieve:1:7: unexpected character '@'" },
	{ "a control character", "keep;\n\x01",
	  "compile: test.sieve:2:1: unexpected character 0x01" },
};

static const SieveCase syntax[] = {
	{ "a missing semicolon makes the next command a test", "keep\ndiscard;",
	  "compile: test.sieve:1:1: 'keep' takes no test; is a ';' missing before 'discard' (line 2)?" },
	{ "a missing semicolon before a block", "keep;\nif true { keep }",
	  "compile: test.sieve:2:16: expected ';' or '{' after the arguments of 'keep', found '}'" },
	{ "recovery: two errors in one run",
	  "keep;\nif true { discard }\nif true { keep \"x\" }\nkeep;",
	  "compile: test.sieve:2:19: expected ';' or '{' after the arguments of 'discard', found '}'\n"
	  "test.sieve:3:20: expected ';' or '{' after the arguments of 'keep', found '}'" },
	{ "a stray closing brace", "keep; }\ndiscard",
	  "compile: test.sieve:1:7: expected a command, found '}'\n"
	  "test.sieve:2:8: expected ';' or '{' after the arguments of 'discard', found end of script" },
	{ "an unclosed block", "if true { keep;",
	  "compile: test.sieve:1:16: expected '}' closing the block, found end of script" },
	{ "an unclosed string list", "if header :is [\"a\", \"b\" \"c\" { keep; }",
	  "compile: test.sieve:1:25: expected ',' or ']' in the string list, found string" },
	{ "an unclosed test list", "if anyof (true false) { keep; }",
	  "compile: test.sieve:1:11: 'true' takes no test" },
	{ "a number in a string list", "if header :is [\"a\", 1] \"b\" { keep; }",
	  "compile: test.sieve:1:21: expected a string in the list, found number" },
	{ "a test list needs a test", "if anyof () { keep; }",
	  "compile: test.sieve:1:11: expected a test, found ')'" },
	{ "a string where a command goes", "\"keep\";",
	  "compile: test.sieve:1:1: expected a command, found string" },
};

static const SieveCase validation[] = {
	{ "an unsupported capability", "require \"mime\";",
	  "compile: test.sieve:1:1: unknown or unsupported capability \"mime\"" },
	{ "every unsupported capability of a list", "require [\"fileinto\", \"vacation\", \"enotify\"];",
	  "compile: test.sieve:1:1: unknown or unsupported capability \"vacation\"\n"
	  "test.sieve:1:1: unknown or unsupported capability \"enotify\"" },
	{ "a command of a capability we lack is not reported twice",
	  "require \"vacation\";\nvacation \"away\";\nfrob;",
	  "compile: test.sieve:1:1: unknown or unsupported capability \"vacation\"\n"
	  "test.sieve:3:1: unknown command 'frob'" },
	{ "require after a command", "keep;\nrequire \"fileinto\";",
	  "compile: test.sieve:2:1: require must come before every other command, at the top" },
	{ "require inside a block", "if true { require \"fileinto\"; }",
	  "compile: test.sieve:1:11: require must come before every other command, at the top" },
	{ "fileinto without its require", "fileinto \"x\";",
	  "compile: test.sieve:1:1: 'fileinto' needs require \"fileinto\"" },
	{ "envelope without its require", "if envelope \"from\" \"x\" { keep; }",
	  "compile: test.sieve:1:4: 'envelope' needs require \"envelope\"" },
	{ "an unknown command", "frobnicate;",
	  "compile: test.sieve:1:1: unknown command 'frobnicate'" },
	{ "an unknown test", "if frob { keep; }", "compile: test.sieve:1:4: unknown test 'frob'" },
	{ "a test as a command", "header \"a\" \"b\";",
	  "compile: test.sieve:1:1: 'header' is a test, not a command" },
	{ "a command as a test", "if keep { keep; }",
	  "compile: test.sieve:1:4: 'keep' is a command, not a test" },
	{ "too few arguments", "if header :is \"subject\" { keep; }",
	  "compile: test.sieve:1:4: 'header' takes 2 positional arguments (header names, key list), found 1" },
	{ "too many arguments", "redirect \"a@b.test\" \"c@d.test\";",
	  "compile: test.sieve:1:1: 'redirect' takes 1 positional argument (address), found 2" },
	{ "a list where a string goes", "redirect [\"a@b.test\"];",
	  "compile: test.sieve:1:10: argument 1 of 'redirect' must be a string, found a string list" },
	{ "a number where a list goes", "if header 1 \"b\" { keep; }",
	  "compile: test.sieve:1:11: argument 1 of 'header' must be a string list, found a number" },
	{ "a string where a number goes", "if size :over \"1\" { keep; }",
	  "compile: test.sieve:1:15: argument 1 of 'size' must be a number, found a string" },
	{ "size needs :over or :under", "if size 100 { keep; }",
	  "compile: test.sieve:1:4: 'size' needs :over or :under" },
	{ "size takes one of :over and :under", "if size :over :under 100 { keep; }",
	  "compile: test.sieve:1:15: more than one :over or :under for 'size'" },
	{ "a tag after the positional arguments (RFC 5228 2.6.2)", "if size 100 :over { keep; }",
	  "compile: test.sieve:1:13: ':over' after a positional argument of 'size': tags come first" },
	{ "a tag between the positional arguments", "if header \"a\" :is \"b\" { keep; }",
	  "compile: test.sieve:1:15: ':is' after a positional argument of 'header': tags come first" },
	{ "two match types", "if header :is :contains \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:15: more than one match type for 'header'" },
	{ "two comparators", "if header :comparator \"i;octet\" :comparator \"i;octet\" \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:33: more than one comparator for 'header'" },
	{ "an unknown tag", "if header :foo \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:11: unknown tagged argument ':foo' for 'header'" },
	{ "a tag of another test", "if header :localpart \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:11: unknown tagged argument ':localpart' for 'header'" },
	{ "an unknown comparator", "if header :comparator \"i;frob\" \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:23: unknown comparator \"i;frob\"" },
	{ "i;ascii-numeric without its require",
	  "if header :comparator \"i;ascii-numeric\" \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:23: unknown comparator \"i;ascii-numeric\" (it needs require \"comparator-i;ascii-numeric\")" },
	{ "i;ascii-numeric has no substring match",
	  "require \"comparator-i;ascii-numeric\";\n"
	  "if header :contains :comparator \"i;ascii-numeric\" \"a\" \"1\" { keep; }",
	  "compile: test.sieve:2:4: comparator \"i;ascii-numeric\" cannot be used with :contains" },
	{ ":comparator takes the next string", "if header :comparator \"a\" { keep; }",
	  "compile: test.sieve:1:23: unknown comparator \"a\"" },
	{ ":comparator followed by a tag", "if header :comparator :is \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:11: ':comparator' must be followed by a string" },
	{ "address reads address headers only (RFC 5228 5.1)",
	  "if address :is \"subject\" \"x\" { keep; }",
	  "compile: test.sieve:1:4: 'address' reads header fields that hold addresses, not "
	  "\"subject\" (use 'header')" },
	{ "address on Reply-To and Resent-Cc", "if address :is [\"Reply-To\", \"resent-cc\"] \"x\" "
	  "{ keep; }", "keep (implicit)" },
	{ "an invalid header name", "if header :is \"a b\" \"x\" { keep; }",
	  "compile: test.sieve:1:4: invalid header name \"a b\"" },
	{ "a header name with a colon", "if exists \"subject:\" { keep; }",
	  "compile: test.sieve:1:4: invalid header name \"subject:\"" },
	{ "an unknown envelope part", "require \"envelope\"; if envelope \"cc\" \"x\" { keep; }",
	  "compile: test.sieve:1:24: unknown envelope part \"cc\" (from, to or auth)" },
	{ "an invalid redirect address", "redirect \"not an address\";",
	  "compile: test.sieve:1:1: invalid redirect address \"not an address\"" },
	{ "redirect to two addresses", "redirect \"a@b.test, c@d.test\";",
	  "compile: test.sieve:1:1: invalid redirect address \"a@b.test, c@d.test\"" },
	{ "redirect without a domain", "redirect \"Bob <a>\";",
	  "compile: test.sieve:1:1: invalid redirect address \"Bob <a>\"" },
	{ "an empty mailbox", "require \"fileinto\"; fileinto \"\";",
	  "compile: test.sieve:1:21: invalid mailbox name" },
	{ "if needs a block", "if true;", "compile: test.sieve:1:1: 'if' needs a block \"{ ... }\"" },
	{ "if needs a test", "if { keep; }", "compile: test.sieve:1:1: 'if' takes exactly one test" },
	{ "if takes one test, not a list", "if (true) { keep; }",
	  "compile: test.sieve:1:1: 'if' takes exactly one test, not a test list" },
	{ "anyof needs a list", "if anyof true { keep; }",
	  "compile: test.sieve:1:4: 'anyof' takes a test list \"( ... )\"" },
	{ "keep takes no block", "keep { stop; }", "compile: test.sieve:1:1: 'keep' takes no block" },
	{ "stop takes no test", "stop true;", "compile: test.sieve:1:1: 'stop' takes no test" },
	{ "else without if", "else { keep; }",
	  "compile: test.sieve:1:1: 'else' without a preceding 'if'" },
	{ "elsif after else", "if true { keep; } else { keep; } elsif true { keep; }",
	  "compile: test.sieve:1:34: 'elsif' without a preceding 'if'" },
	{ "several validation errors in one run",
	  "fileinto \"x\";\nfrob;\nif header \"a\" { keep; }\nkeep;",
	  "compile: test.sieve:1:1: 'fileinto' needs require \"fileinto\"\n"
	  "test.sieve:2:1: unknown command 'frob'\n"
	  "test.sieve:3:4: 'header' takes 2 positional arguments (header names, key list), found 1" },
	{ "errors inside a block are found", "if true { frob; }",
	  "compile: test.sieve:1:11: unknown command 'frob'" },
	{ "the block of a wrong command is read too", "if frob { fileinto \"x\"; }",
	  "compile: test.sieve:1:4: unknown test 'frob'\n"
	  "test.sieve:1:11: 'fileinto' needs require \"fileinto\"" },
};

static void
test_lexical(void **state)
{
	sieve_cases_check(lexical, G_N_ELEMENTS(lexical), NULL);
}

static void
test_syntax(void **state)
{
	sieve_cases_check(syntax, G_N_ELEMENTS(syntax), NULL);
}

static void
test_validation(void **state)
{
	sieve_cases_check(validation, G_N_ELEMENTS(validation), NULL);
}

/* The bounds: nesting, string and list sizes, the script, the error count. */
static void
test_bounds(void **state)
{
	PdSieveLimits limits;
	GString *deep = g_string_new(NULL);
	GString *nots = g_string_new("if ");
	GString *many = g_string_new(NULL);
	g_autofree char *long_string = NULL;
	g_autofree char *long_list = NULL;

	pd_sieve_limits_init(&limits);
	limits.max_nesting = 4;
	limits.max_string = 8;
	limits.max_list = 3;
	limits.max_errors = 3;
	for (guint i = 0; i < 5; i++)
		g_string_append(deep, "if true { ");
	for (guint i = 0; i < 5; i++)
		g_string_append(deep, "} ");
	for (guint i = 0; i < 4; i++)
		g_string_append(nots, "not ");
	g_string_append(nots, "true { keep; }");
	for (guint i = 0; i < 5; i++)
		g_string_append(many, "frob;\n");
	const SieveCase rows[] = {
		{ "blocks nested deeper than the limit", deep->str,
		  "compile: test.sieve:1:44: nesting deeper than 4" },
		{ "tests nested deeper than the limit", nots->str,
		  "compile: test.sieve:1:20: nesting deeper than 4" },
		{ "nesting at the limit", "if true { if not not true { keep; } }", "keep" },
		{ "a string over the limit", "redirect \"abc@defgh\";",
		  "compile: test.sieve:1:10: string longer than 8 bytes" },
		{ "a string at the limit", "redirect \"abc@defg\";", "redirect \"abc@defg\"" },
		{ "a multi-line string over the limit", "redirect text:\nabcdefgh\n.\n;",
		  "compile: test.sieve:1:10: string longer than 8 bytes" },
		{ "a list over the limit", "if header :is [\"a\", \"b\", \"c\", \"d\"] \"x\" { keep; }",
		  "compile: test.sieve:1:31: string list longer than 3" },
		{ "errors stop at max_errors", many->str,
		  "compile: test.sieve:1:1: unknown command 'frob'\n"
		  "test.sieve:2:1: unknown command 'frob'\n"
		  "test.sieve:3:1: unknown command 'frob'\n"
		  "test.sieve:3:1: too many errors, giving up" },
	};

	sieve_cases_check(rows, G_N_ELEMENTS(rows), &limits);
	limits.max_script = 4;
	sieve_case_check(&(SieveCase) { "a script over the limit", "keep;",
		"compile: test.sieve:1:1: script longer than 4 bytes" }, &limits);
	g_string_free(deep, TRUE);
	g_string_free(nots, TRUE);
	g_string_free(many, TRUE);
}

/* A NUL inside the script (the table's strings cannot hold one). */
static void
test_nul(void **state)
{
	static const char text[] = "keep;\0discard;";
	g_autoptr(GPtrArray) errors = NULL;
	PdSieveScript *script = pd_sieve_compile("nul.sieve", text, sizeof(text) - 1, NULL,
						 &errors);

	assert_null(script);
	assert_int_equal(errors->len, 1);
	assert_string_equal(g_ptr_array_index(errors, 0),
			    "nul.sieve:1:1: script contains a NUL byte");
}

/* The compiled script says what it requires. */
static void
test_requires(void **state)
{
	static const char text[] = "require [\"fileinto\", \"variables\"];";
	g_autoptr(PdSieveScript) script = pd_sieve_compile("r.sieve", text, strlen(text), NULL,
							   NULL);

	assert_non_null(script);
	assert_true(pd_sieve_script_requires(script, "variables"));
	assert_true(pd_sieve_script_requires(script, "fileinto"));
	assert_false(pd_sieve_script_requires(script, "envelope"));
	assert_false(pd_sieve_script_requires(script, "regex"));
}

int
main(void)
{
	const struct CMUnitTest unit_tests[] = {
		cmocka_unit_test(test_lexical),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_requires),
	};

	return cmocka_run_group_tests(unit_tests, NULL, NULL);
}
