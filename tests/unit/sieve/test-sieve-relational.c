/* relational (RFC 5231), table-driven: :value and :count with every
 * relation and the comparators, and the errors of misuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define R "require [\"relational\", \"comparator-i;ascii-numeric\"];\n"

static const SieveCase rows[] = {
	{ ":value gt, numeric", R "if header :value \"gt\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"5\" { discard; }", "discard" },
	{ ":value gt is strict", R "if header :value \"gt\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"7\" { discard; }", "keep (implicit)" },
	{ ":value ge", R "if header :value \"ge\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"7\" { discard; }", "discard" },
	{ ":value lt", R "if header :value \"lt\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"10\" { discard; }", "discard" },
	{ ":value lt, casemap compares text", R "if header :value \"lt\" "
	  "\"x-spam-score\" \"10\" { discard; }", "keep (implicit)" },
	{ ":value le", R "if header :value \"le\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"7\" { discard; }", "discard" },
	{ ":value eq", R "if header :value \"eq\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"07\" { discard; }", "discard" },
	{ ":value ne", R "if header :value \"ne\" :comparator \"i;ascii-numeric\" "
	  "\"x-spam-score\" \"7\" { discard; }", "keep (implicit)" },
	{ ":value, relations are case-insensitive", R "if header :value \"GT\" "
	  ":comparator \"i;ascii-numeric\" \"x-spam-score\" \"5\" { discard; }", "discard" },
	{ ":value on text, casemap", R "if header :value \"gt\" \"subject\" \"INVOICE\" "
	  "{ discard; }", "discard" },
	{ ":value: a value without digits is above every number",
	  R "if header :value \"gt\" :comparator \"i;ascii-numeric\" \"subject\" \"999\" "
	  "{ discard; }", "discard" },
	{ ":count of header fields", R "if header :count \"eq\" :comparator \"i;ascii-numeric\" "
	  "\"received\" \"2\" { discard; }", "discard" },
	{ ":count of addresses", R "if address :count \"eq\" :comparator \"i;ascii-numeric\" "
	  "[\"to\", \"cc\"] \"3\" { discard; }", "discard" },
	{ ":count of an absent header is 0", R "if header :count \"eq\" "
	  ":comparator \"i;ascii-numeric\" \"x-absent\" \"0\" { discard; }", "discard" },
	{ ":count ge over a key list, any key", R "if header :count \"ge\" "
	  ":comparator \"i;ascii-numeric\" \"received\" [\"5\", \"1\"] { discard; }", "discard" },
	{ ":count of envelope", "require [\"relational\", \"envelope\", "
	  "\"comparator-i;ascii-numeric\"];\nif envelope :count \"eq\" "
	  ":comparator \"i;ascii-numeric\" \"to\" \"1\" { discard; }", "discard" },
	{ ":count of strings skips empty ones", "require [\"relational\", \"variables\", "
	  "\"comparator-i;ascii-numeric\"];\nif string :count \"eq\" "
	  ":comparator \"i;ascii-numeric\" [\"a\", \"\", \"b\"] \"2\" { discard; }", "discard" },
	{ "an unknown relation", R "if header :value \"xx\" \"a\" \"b\" { keep; }",
	  "compile: test.sieve:2:18: unknown relation \"xx\" (gt, ge, lt, le, eq or ne)" },
	{ ":value without require", "if header :value \"gt\" \"a\" \"b\" { keep; }",
	  "compile: test.sieve:1:11: ':value' needs require \"relational\"" },
	{ ":count and :is together", R "if header :count \"eq\" :is \"a\" \"b\" { keep; }",
	  "compile: test.sieve:2:23: more than one match type for 'header'" },
	{ ":value needs its relation", R "if header :value :is \"a\" \"b\" { keep; }",
	  "compile: test.sieve:2:11: ':value' must be followed by a string" },
};

SIEVE_TABLE_MAIN(rows)
