/* imap4flags (RFC 5232), table-driven: setflag, addflag, removeflag on the
 * internal variable and on named variables, hasflag, :flags on keep and
 * fileinto, and the implicit keep carrying the internal flags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define F "require [\"imap4flags\", \"fileinto\"];\n"
#define FV "require [\"imap4flags\", \"fileinto\", \"variables\"];\n"

static const SieveCase rows[] = {
	{ "setflag then keep", F "setflag \"\\\\Seen\"; keep;", "keep :flags [\"\\\\Seen\"]" },
	{ "the implicit keep carries the flags", F "addflag \"urgent\";",
	  "keep :flags [\"urgent\"] (implicit)" },
	{ "addflag adds, once", F "addflag \"a\"; addflag [\"b\", \"A\"]; keep;",
	  "keep :flags [\"a\", \"b\"]" },
	{ "a string of several flags", F "addflag \"a b  c\"; keep;",
	  "keep :flags [\"a\", \"b\", \"c\"]" },
	{ "removeflag", F "addflag \"a b c\"; removeflag \"B\"; keep;",
	  "keep :flags [\"a\", \"c\"]" },
	{ "setflag replaces", F "addflag \"a\"; setflag \"z\"; keep;", "keep :flags [\"z\"]" },
	{ "no flags left", F "addflag \"a\"; removeflag \"a\"; keep;", "keep" },
	{ "a flag that is not UTF-8 is dropped (a Subject's 8-bit bytes)",
	  FV "if header :matches \"subject\" \"*\" { addflag \"${1} ok\"; } keep;",
	  "keep :flags [\"ok\"]", .headers = "Subject: caf\xe9\r\n" },
	{ "fileinto takes the current flags", F "addflag \"a\"; fileinto \"x\"; addflag \"b\"; "
	  "fileinto \"y\";", "fileinto \"x\" :flags [\"a\"]\nfileinto \"y\" :flags [\"a\", \"b\"]" },
	{ ":flags wins over the internal ones", F "addflag \"a\"; fileinto :flags \"q r\" \"x\";",
	  "fileinto \"x\" :flags [\"q\", \"r\"]" },
	{ "keep :flags", F "keep :flags [\"\\\\Flagged\"];", "keep :flags [\"\\\\Flagged\"]" },
	{ "hasflag", F "addflag \"urgent\"; if hasflag :is \"URGENT\" { fileinto \"u\"; }",
	  "fileinto \"u\" :flags [\"urgent\"]" },
	{ "hasflag false", F "if hasflag \"urgent\" { fileinto \"u\"; }", "keep (implicit)" },
	{ "hasflag :contains", F "addflag \"vip-customer\"; if hasflag :contains \"vip\" "
	  "{ discard; }", "discard" },
	{ "a named variable", FV "setflag \"f\" \"a\"; addflag \"f\" \"b\"; "
	  "if hasflag \"f\" \"b\" { fileinto \"${f}\"; }", "fileinto \"a b\"" },
	{ "a named variable leaves the internal one", FV "setflag \"f\" \"a\"; keep;", "keep" },
	{ "hasflag over several variables", FV "set \"x\" \"p\"; set \"y\" \"q r\"; "
	  "if hasflag [\"x\", \"y\"] \"r\" { discard; }", "discard" },
	{ "flags expand variables", FV "set \"n\" \"hot\"; addflag \"${n}\"; keep;",
	  "keep :flags [\"hot\"]" },
	{ "setflag without require", "setflag \"a\";",
	  "compile: test.sieve:1:1: 'setflag' needs require \"imap4flags\"" },
	{ ":flags without require", "keep :flags \"a\";",
	  "compile: test.sieve:1:6: ':flags' needs require \"imap4flags\"" },
	{ "a variable name without require variables", F "setflag \"v\" \"a\";",
	  "compile: test.sieve:2:1: a variable name in 'setflag' needs require \"variables\"" },
	{ "setflag needs flags", F "setflag;",
	  "compile: test.sieve:2:1: 'setflag' takes up to 2 positional arguments (variable name, flags), found 0" },
};

SIEVE_TABLE_MAIN(rows)
