/* spamtest and spamtestplus (RFC 5235), table-driven: the score the
 * message vtable gives ("0" when not tested), :percent, relational
 * comparisons on it, and the errors of misuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define S "require [\"spamtest\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
#define P "require [\"spamtestplus\", \"relational\", \"comparator-i;ascii-numeric\"];\n"
#define GE5 "spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"5\""

static const SieveCase rows[] = {
	{ "a high score", S "if " GE5 " { discard; }", "discard",
	  NULL, NULL, NULL, 0, NULL, "8", "75" },
	{ "a low score", S "if " GE5 " { discard; }", "keep (implicit)",
	  NULL, NULL, NULL, 0, NULL, "2", "12" },
	{ "the boundary", S "if " GE5 " { discard; }", "discard",
	  NULL, NULL, NULL, 0, NULL, "5", "50" },
	{ "not tested is 0", S "if spamtest :is \"0\" { discard; }", "discard" },
	{ "not tested is below every threshold", S "if " GE5 " { discard; }", "keep (implicit)" },
	{ "10 is the top", S "if spamtest :value \"eq\" :comparator \"i;ascii-numeric\" \"10\" "
	  "{ discard; }", "discard", NULL, NULL, NULL, 0, NULL, "10", "100" },
	{ ":percent", P "if spamtest :percent :value \"gt\" :comparator \"i;ascii-numeric\" \"70\" "
	  "{ discard; }", "discard", NULL, NULL, NULL, 0, NULL, "8", "75" },
	{ ":percent below", P "if spamtest :percent :value \"gt\" :comparator \"i;ascii-numeric\" "
	  "\"80\" { discard; }", "keep (implicit)", NULL, NULL, NULL, 0, NULL, "8", "75" },
	{ "spamtestplus implies spamtest", P "if " GE5 " { discard; }", "discard",
	  NULL, NULL, NULL, 0, NULL, "8", "75" },
	{ ":matches on the value", "require \"spamtest\";\nif spamtest :matches \"?\" { discard; }",
	  "discard", NULL, NULL, NULL, 0, NULL, "7", "70" },
	{ "spamtest without require", "if spamtest \"1\" { keep; }",
	  "compile: test.sieve:1:4: 'spamtest' needs require \"spamtest\"" },
	{ ":percent needs spamtestplus", S "if spamtest :percent \"1\" { keep; }",
	  "compile: test.sieve:2:13: ':percent' needs require \"spamtestplus\"" },
	{ "one value, not a list", S "if spamtest [\"1\", \"2\"] { keep; }",
	  "compile: test.sieve:2:13: argument 1 of 'spamtest' must be a string, found a string list" },
};

SIEVE_TABLE_MAIN(rows)
