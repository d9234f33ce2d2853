/* variables (RFC 5229), table-driven: set and its modifiers, ${...}
 * expansion everywhere a string is read, match variables of :matches, the
 * string test, and the errors of misuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define V "require [\"variables\", \"fileinto\"];\n"

static const SieveCase rows[] = {
	{ "set and expand", V "set \"queue\" \"billing\"; fileinto \"${queue}\";",
	  "fileinto \"billing\"" },
	{ "names are case-insensitive", V "set \"Queue\" \"b\"; fileinto \"${QUEUE}\";",
	  "fileinto \"b\"" },
	{ "an unknown variable is empty", V "fileinto \"x${nothing}y\";", "fileinto \"xy\"" },
	{ "a malformed reference stays", V "fileinto \"a${b\";", "fileinto \"a${b\"" },
	{ "a reference with a space stays", V "fileinto \"${a b}\";", "fileinto \"${a b}\"" },
	{ "expanded values are not expanded again",
	  V "set \"b\" \"no\"; if header :matches \"subject\" \"*\" { fileinto \"${1}\"; }",
	  "fileinto \"${b}\"", "Subject: ${b}\r\n" },
	{ "set expands its value", V "set \"a\" \"x\"; set \"b\" \"${a}${a}\"; fileinto \"${b}\";",
	  "fileinto \"xx\"" },
	{ "a namespace reference is an error (none is supported)", V "fileinto \"a${env.x}\";",
	  "compile: test.sieve:2:10: unknown variable namespace in \"${env.x}\"" },
	{ "a malformed namespace reference stays", V "fileinto \"a${env.}\";",
	  "fileinto \"a${env.}\"" },
	{ "without require, ${} is literal", "require \"fileinto\"; fileinto \"${a}\";",
	  "fileinto \"${a}\"" },
	{ ":lower", V "set :lower \"a\" \"MiXed\"; fileinto \"${a}\";", "fileinto \"mixed\"" },
	{ ":upper", V "set :upper \"a\" \"MiXed\"; fileinto \"${a}\";", "fileinto \"MIXED\"" },
	{ ":upperfirst", V "set :upperfirst \"a\" \"mixed\"; fileinto \"${a}\";",
	  "fileinto \"Mixed\"" },
	{ ":lowerfirst", V "set :lowerfirst \"a\" \"MIXED\"; fileinto \"${a}\";",
	  "fileinto \"mIXED\"" },
	{ ":lower then :upperfirst", V "set :upperfirst :lower \"a\" \"jOHN\"; fileinto \"${a}\";",
	  "fileinto \"John\"" },
	{ ":length counts characters", V "set :length \"a\" \"caf\xc3\xa9\"; fileinto \"${a}\";",
	  "fileinto \"4\"" },
	{ ":length of empty", V "set :length \"a\" \"\"; fileinto \"n${a}\";", "fileinto \"n0\"" },
	{ ":quotewildcard", V "set :quotewildcard \"a\" \"*?\\\\\"; fileinto \"${a}\";",
	  "fileinto \"\\\\*\\\\?\\\\\\\\\"" },
	{ ":quotewildcard makes a value literal in :matches",
	  V "set :quotewildcard \"p\" \"a*\"; if header :matches \"subject\" \"${p}\" "
	  "{ fileinto \"hit\"; }", "keep (implicit)", "Subject: abc\r\n" },
	{ "without :quotewildcard a value's * is a wildcard",
	  V "set \"p\" \"a*\"; if header :matches \"subject\" \"${p}\" { fileinto \"hit\"; }",
	  "fileinto \"hit\"", "Subject: abc\r\n" },
	{ "match variables of :matches",
	  V "if header :matches \"subject\" \"Invoice * *\" { fileinto \"inv-${1}-${2}\"; }",
	  "fileinto \"inv-42-overdue\"" },
	{ "${0} is the whole value",
	  V "if header :matches \"subject\" \"Inv*\" { fileinto \"${0}\"; }",
	  "fileinto \"Invoice 42 overdue\"" },
	{ "? fills a match variable",
	  V "if header :matches \"subject\" \"?nvoice*\" { fileinto \"${1}|${2}\"; }",
	  "fileinto \"I| 42 overdue\"" },
	{ "leftmost * is shortest",
	  V "if string :matches \"a.b.c\" \"*.*\" { fileinto \"${1}|${2}\"; }",
	  "fileinto \"a|b.c\"" },
	{ "RFC 5229 example: not greedy",
	  V "if string :matches \"frop.......frop.........frop....\" \"?*frop*\" "
	  "{ fileinto \"${1}${2}${3}\"; }", "fileinto \"frop................frop....\"" },
	{ "leading zeroes in an index", V "if string :matches \"x:y\" \"*:*\" { fileinto \"${002}\"; }",
	  "fileinto \"y\"" },
	{ "an index out of range is empty",
	  V "if string :matches \"test\" \"*\" { fileinto \"a${2}\"; }", "fileinto \"a\"" },
	{ "a failed match keeps the earlier values",
	  V "if string :matches \"cat\" \"c*\" { } if string :matches \"dog\" \"x*\" { } "
	  "fileinto \"${1}\";", "fileinto \"at\"" },
	{ "match variables of an address :matches",
	  V "if address :matches \"from\" \"*@*\" { fileinto \"${2}\"; }",
	  "fileinto \"customer.test\"" },
	{ "match variables of envelope",
	  "require [\"variables\", \"fileinto\", \"envelope\"];\n"
	  "if envelope :matches \"to\" \"*+*@*\" { fileinto \"${2}\"; }", "fileinto \"urgent\"" },
	{ "header names expand", V "set \"h\" \"subject\"; if header :contains \"${h}\" \"42\" "
	  "{ fileinto \"x\"; }", "fileinto \"x\"" },
	{ "string :is", V "set \"a\" \"x\"; if string :is \"${a}\" \"x\" { fileinto \"y\"; }",
	  "fileinto \"y\"" },
	{ "string over a list", V "if string :contains [\"ab\", \"cd\"] \"d\" { fileinto \"y\"; }",
	  "fileinto \"y\"" },
	{ "string: an empty variable is the empty string",
	  V "if string :is \"${none}\" \"\" { fileinto \"empty\"; }", "fileinto \"empty\"" },

	{ "set without require", "set \"a\" \"b\";",
	  "compile: test.sieve:1:1: 'set' needs require \"variables\"" },
	{ "string without require", "if string \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:4: 'string' needs require \"variables\"" },
	{ "a number is no variable name", V "set \"1\" \"b\";",
	  "compile: test.sieve:2:1: invalid variable name \"1\"" },
	{ "a dotted name cannot be set", V "set \"a.b\" \"c\";",
	  "compile: test.sieve:2:1: invalid variable name \"a.b\"" },
	{ "two modifiers of one precedence", V "set :lower :upper \"a\" \"b\";",
	  "compile: test.sieve:2:12: ':upper' conflicts with another modifier of its precedence" },
	{ "set takes two strings", V "set \"a\";",
	  "compile: test.sieve:2:1: 'set' takes 2 positional arguments (name, value), found 1" },
	{ "set's value is a string, not a list", V "set \"a\" [\"b\"];",
	  "compile: test.sieve:2:9: argument 2 of 'set' must be a string, found a string list" },
	{ "a modifier only on set", V "fileinto :lower \"a\";",
	  "compile: test.sieve:2:10: unknown tagged argument ':lower' for 'fileinto'" },
	{ "a redirect address may come from a variable, checked at run time",
	  V "set \"a\" \"nobody\"; redirect \"${a}\";",
	  "run: test.sieve:2:19: invalid redirect address \"nobody\"" },
	{ "an empty mailbox from a variable", V "fileinto \"${none}\";",
	  "run: test.sieve:2:1: invalid mailbox name" },
};

static void
test_variables(void **state)
{
	sieve_cases_check(rows, G_N_ELEMENTS(rows) , NULL);
}

/* a value longer than max_variable is cut at a character boundary */
static void
test_cut(void **state)
{
	PdSieveLimits limits;

	pd_sieve_limits_init(&limits);
	limits.max_variable = 4;
	sieve_case_check(&(SieveCase) { "cut at 4 bytes", V "set \"a\" \"abcdef\"; fileinto \"${a}\";",
		"fileinto \"abcd\"" }, &limits);
	sieve_case_check(&(SieveCase) { "cut before a split character",
		V "set \"a\" \"abc\xc3\xa9\"; fileinto \"${a}\";", "fileinto \"abc\"" }, &limits);
	limits.max_variables = 2;
	sieve_case_check(&(SieveCase) { "more variables than allowed",
		V "set \"a\" \"1\"; set \"b\" \"2\"; set \"a\" \"3\"; set \"c\" \"4\";",
		"run: test.sieve:2:40: more than 2 variables" }, &limits);
}

int
main(void)
{
	const struct CMUnitTest unit_tests[] = {
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(unit_tests, NULL, NULL);
}
