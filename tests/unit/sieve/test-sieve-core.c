/* RFC 5228 core, table-driven: control, actions and the implicit keep,
 * every test, match types, comparators and address parts, each row a
 * script over SIEVE_HEADERS (sieve-case.h) and the actions it must take.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define FI "require \"fileinto\";\n"

static const SieveCase actions[] = {
	{ "an empty script keeps implicitly", "", "keep (implicit)" },
	{ "a comment only", "# nothing\n/* at all */", "keep (implicit)" },
	{ "explicit keep replaces the implicit one", "keep;", "keep" },
	{ "discard cancels the implicit keep", "discard;", "discard" },
	{ "keep after discard keeps", "discard; keep;", "discard\nkeep" },
	{ "fileinto", FI "fileinto \"billing\";", "fileinto \"billing\"" },
	{ "fileinto the same mailbox twice is once", FI "fileinto \"a\"; fileinto \"a\";",
	  "fileinto \"a\"" },
	{ "fileinto two mailboxes", FI "fileinto \"a\"; fileinto \"b\";",
	  "fileinto \"a\"\nfileinto \"b\"" },
	{ "redirect", "redirect \"shipper@partner.test\";", "redirect \"shipper@partner.test\"" },
	{ "redirect to the same address twice is once (any case)",
	  "redirect \"a@b.test\"; redirect \"A@B.test\";", "redirect \"a@b.test\"" },
	{ "redirect to a mailbox with a display name", "redirect \"Bob <a@b.test>\";",
	  "redirect \"a@b.test\"" },
	{ "redirect: white space around the address", "redirect \" a @ b.test \";",
	  "redirect \"a@b.test\"" },
	{ "redirect: the same address in two forms is once",
	  "redirect \"a@b.test\"; redirect \"Bob <a@b.test>\";", "redirect \"a@b.test\"" },
	{ "redirect: a quoted local part", "redirect \"\\\"a b\\\"@b.test\";",
	  "redirect \"\\\"a b\\\"@b.test\"" },
	{ "stop ends the script", "keep; stop; discard;", "keep" },
	{ "stop inside a block", "if true { stop; } discard;", "keep (implicit)" },
	{ "keep twice is one keep", "keep; keep;", "keep" },
	{ "commands are case-insensitive", "KEEP; Discard;", "keep\ndiscard" },
};

static const SieveCase control[] = {
	{ "if true", "if true { discard; }", "discard" },
	{ "if false", "if false { discard; }", "keep (implicit)" },
	{ "else after a false if", "if false { discard; } else { redirect \"a@b.test\"; }",
	  "redirect \"a@b.test\"" },
	{ "else skipped after a true if", "if true { discard; } else { redirect \"a@b.test\"; }",
	  "discard" },
	{ "the first true elsif only",
	  FI "if false { fileinto \"1\"; } elsif true { fileinto \"2\"; } "
	  "elsif true { fileinto \"3\"; } else { fileinto \"4\"; }", "fileinto \"2\"" },
	{ "else after false elsifs",
	  FI "if false { fileinto \"1\"; } elsif false { fileinto \"2\"; } else { fileinto \"4\"; }",
	  "fileinto \"4\"" },
	{ "a new if starts a new chain",
	  FI "if true { fileinto \"1\"; } if false { fileinto \"2\"; } else { fileinto \"3\"; }",
	  "fileinto \"1\"\nfileinto \"3\"" },
	{ "nested ifs", FI "if true { if false { fileinto \"x\"; } else { fileinto \"y\"; } }",
	  "fileinto \"y\"" },
	{ "not", "if not false { discard; }", "discard" },
	{ "not not", "if not not false { discard; }", "keep (implicit)" },
	{ "anyof one true", "if anyof (false, true) { discard; }", "discard" },
	{ "anyof all false", "if anyof (false, false) { discard; }", "keep (implicit)" },
	{ "allof all true", "if allof (true, true) { discard; }", "discard" },
	{ "allof one false", "if allof (true, false) { discard; }", "keep (implicit)" },
	{ "allof nested in anyof", "if anyof (false, allof (true, not false)) { discard; }",
	  "discard" },
};

static const SieveCase tests[] = {
	{ "header :is, case-insensitive by default",
	  "if header :is \"subject\" \"invoice 42 OVERDUE\" { discard; }", "discard" },
	{ "header :is with i;octet is exact",
	  "if header :is :comparator \"i;octet\" \"subject\" \"invoice 42 overdue\" { discard; }",
	  "keep (implicit)" },
	{ "header :contains is the default? no, :is",
	  "if header \"subject\" \"invoice\" { discard; }", "keep (implicit)" },
	{ "header :contains", "if header :contains \"Subject\" \"42\" { discard; }", "discard" },
	{ "header :contains, casemap", "if header :contains \"Subject\" \"OVERDUE\" { discard; }",
	  "discard" },
	{ "header :contains, octet",
	  "if header :contains :comparator \"i;octet\" \"Subject\" \"OVERDUE\" { discard; }",
	  "keep (implicit)" },
	{ "header :contains the empty string matches a present header",
	  "if header :contains \"subject\" \"\" { discard; }", "discard" },
	{ "header :contains on an absent header is false",
	  "if header :contains \"x-absent\" \"\" { discard; }", "keep (implicit)" },
	{ "header names and keys are lists, any pair matches",
	  "if header :contains [\"x-absent\", \"subject\"] [\"nope\", \"42\"] { discard; }",
	  "discard" },
	{ "every value of a repeated header",
	  "if header :is \"received\" \"from b.test\" { discard; }", "discard" },
	{ "address :all", "if address :is \"from\" \"bob+billing@customer.test\" { discard; }",
	  "discard" },
	{ "address is the default part :all",
	  "if address :is :all \"from\" \"bob+billing@customer.test\" { discard; }", "discard" },
	{ "address :localpart", "if address :localpart :is \"from\" \"bob+billing\" { discard; }",
	  "discard" },
	{ "address :domain", "if address :domain :is \"from\" \"CUSTOMER.test\" { discard; }",
	  "discard" },
	{ "address: the display name is not the address",
	  "if address :contains \"from\" \"Smith\" { discard; }", "keep (implicit)" },
	{ "address: every address of a list, comments dropped",
	  "if address :domain :is \"to\" \"desk.test\" { if address :is \"to\" \"alice@desk.test\" "
	  "{ discard; } }", "discard" },
	{ "address :matches", "if address :matches \"cc\" \"*@other.*\" { discard; }", "discard" },
	{ "address: a group", "if address :is \"to\" \"x@y.test\" { discard; }", "discard",
	  "To: team: x@y.test, \"q,uoted\" <z@y.test>;\r\n" },
	{ "address: a group's quoted address", "if address :is \"to\" \"z@y.test\" { discard; }",
	  "discard", "To: team: x@y.test, \"q,uoted\" <z@y.test>;\r\n" },
	{ "envelope from", "require \"envelope\"; if envelope :is \"from\" \"bob@customer.test\" "
	  "{ discard; }", "discard" },
	{ "envelope to :domain", "require \"envelope\"; if envelope :domain :is \"to\" \"desk.test\" "
	  "{ discard; }", "discard" },
	{ "envelope :localpart", "require \"envelope\"; if envelope :localpart :is \"to\" "
	  "\"support+urgent\" { discard; }", "discard" },
	{ "envelope: the null sender is \"\"", "require \"envelope\"; if envelope :is \"from\" \"\" "
	  "{ discard; }", "discard", NULL, "" },
	{ "envelope: the null sender's domain is \"\"",
	  "require \"envelope\"; if envelope :domain :is \"from\" \"\" { discard; }", "discard",
	  NULL, "" },
	{ "envelope: an unknown part of the envelope is no value",
	  "require \"envelope\"; if envelope :contains \"to\" \"\" { discard; }", "keep (implicit)",
	  NULL, NULL, "-" },
	{ "envelope part names are case-insensitive",
	  "require \"envelope\"; if envelope :is \"FROM\" \"bob@customer.test\" { discard; }",
	  "discard" },
	{ "exists", "if exists [\"from\", \"subject\"] { discard; }", "discard" },
	{ "exists needs all", "if exists [\"from\", \"x-absent\"] { discard; }", "keep (implicit)" },
	{ "size :over", "if size :over 1K { discard; }", "discard" },
	{ "size :over is strict", "if size :over 2048 { discard; }", "keep (implicit)" },
	{ "size :under", "if size :under 2049 { discard; }", "discard" },
	{ "size :under is strict", "if size :under 2048 { discard; }", "keep (implicit)" },
	{ "size with M", "if size :under 1M { discard; }", "discard" },
	{ "size with G", "if size :over 1G { discard; }", "keep (implicit)", NULL, NULL, NULL,
	  G_GUINT64_CONSTANT(1073741824) },
};

static const SieveCase matching[] = {
	{ ":matches *", "if header :matches \"subject\" \"*\" { discard; }", "discard" },
	{ ":matches * in the middle",
	  "if header :matches \"subject\" \"invoice * overdue\" { discard; }", "discard" },
	{ ":matches ?", "if header :matches \"subject\" \"?nvoice 4? overdue\" { discard; }",
	  "discard" },
	{ ":matches ? is one character, not none",
	  "if header :matches \"subject\" \"invoice 42? overdue\" { discard; }", "keep (implicit)" },
	{ ":matches is anchored",
	  "if header :matches \"subject\" \"invoice\" { discard; }", "keep (implicit)" },
	{ ":matches two stars", "if header :matches \"subject\" \"*4*due\" { discard; }", "discard" },
	{ ":matches needs back-tracking",
	  "if header :matches \"subject\" \"*e*e\" { discard; }", "discard" },
	{ ":matches an escaped star is literal",
	  "if header :matches \"subject\" \"a\\\\*b\" { discard; }", "discard", "Subject: a*b\r\n" },
	{ ":matches an escaped star does not match other text",
	  "if header :matches \"subject\" \"a\\\\*b\" { discard; }", "keep (implicit)",
	  "Subject: axb\r\n" },
	{ ":matches an escaped question mark",
	  "if header :matches \"subject\" \"why\\\\?\" { discard; }", "discard",
	  "Subject: why?\r\n" },
	{ ":matches ? is one UTF-8 character with i;ascii-casemap",
	  "if header :matches \"subject\" \"caf?\" { discard; }", "discard",
	  "Subject: caf\xc3\xa9\r\n" },
	{ ":matches ? is one octet with i;octet",
	  "if header :matches :comparator \"i;octet\" \"subject\" \"caf?\" { discard; }",
	  "keep (implicit)", "Subject: caf\xc3\xa9\r\n" },
	{ ":matches casemap folds ASCII only",
	  "if header :matches \"subject\" \"*\xc3\xa9*\" { discard; }", "keep (implicit)",
	  "Subject: CAF\xc3\x89\r\n" },
	{ ":matches the empty string", "if header :matches \"subject\" \"\" { discard; }",
	  "discard", "Subject: \r\n" },
	{ ":is the empty string on an empty header", "if header :is \"subject\" \"\" { discard; }",
	  "discard", "Subject:\r\n" },
	{ "i;ascii-numeric :is compares numbers",
	  "require \"comparator-i;ascii-numeric\";\n"
	  "if header :is :comparator \"i;ascii-numeric\" \"x-spam-score\" \"007\" { discard; }",
	  "discard" },
	{ "i;ascii-numeric: no digits is infinity, equal to itself",
	  "require \"comparator-i;ascii-numeric\";\n"
	  "if header :is :comparator \"i;ascii-numeric\" \"subject\" \"none\" { discard; }",
	  "discard" },
	{ "i;ascii-numeric: only the leading digits count",
	  "require \"comparator-i;ascii-numeric\";\n"
	  "if header :is :comparator \"i;ascii-numeric\" \"subject\" \"12\" { discard; }",
	  "discard", "Subject: 12 apples\r\n" },
	{ "folded header values are unfolded",
	  "if header :is \"subject\" \"one two\" { discard; }", "discard",
	  "Subject: one\r\n two\r\n" },
	{ "text: multi-line string",
	  "if header :is \"subject\" text:\r\nhello\r\n.\r\n { discard; }", "keep (implicit)" },
	{ "strings: escapes", "if header :is \"subject\" \"a\\\"b\\\\c\\d\" { discard; }",
	  "discard", "Subject: a\"b\\cd\r\n" },
};

static void
test_actions(void **state)
{
	sieve_cases_check(actions, G_N_ELEMENTS(actions), NULL);
}

static void
test_control(void **state)
{
	sieve_cases_check(control, G_N_ELEMENTS(control), NULL);
}

static void
test_tests(void **state)
{
	sieve_cases_check(tests, G_N_ELEMENTS(tests), NULL);
}

static void
test_matching(void **state)
{
	sieve_cases_check(matching, G_N_ELEMENTS(matching), NULL);
}

int
main(void)
{
	const struct CMUnitTest unit_tests[] = {
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_tests),
		cmocka_unit_test(test_matching),
	};

	return cmocka_run_group_tests(unit_tests, NULL, NULL);
}
