/* body (RFC 5173), table-driven: the transforms :text (the default),
 * :raw and :content over the message's body as the vtable gives it, with
 * the match types, and the errors of misuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define B "require \"body\";\n"
#define HTML "Content-Type: text/html; charset=utf-8\r\n"
#define GTUBE "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

static const SieveCase rows[] = {
	{ ":text is the default", B "if body :contains \"refund\" { discard; }", "discard",
	  NULL, NULL, NULL, 0, "Please refund my order.\r\n" },
	{ "case-insensitive by default", B "if body :contains \"REFUND\" { discard; }", "discard",
	  NULL, NULL, NULL, 0, "Please refund my order.\r\n" },
	{ "no match", B "if body :contains \"invoice\" { discard; }", "keep (implicit)",
	  NULL, NULL, NULL, 0, "Please refund my order.\r\n" },
	{ "GTUBE", B "if body :contains \"" GTUBE "\" { discard; }", "discard",
	  NULL, NULL, NULL, 0, "test\r\n" GTUBE "\r\n" },
	{ ":text skips a part that is not text", B "if body :text :contains \"x\" { discard; }",
	  "keep (implicit)", "Content-Type: image/png\r\n", NULL, NULL, 0, "xxx" },
	{ ":raw reads any part", B "if body :raw :contains \"x\" { discard; }", "discard",
	  "Content-Type: image/png\r\n", NULL, NULL, 0, "xxx" },
	{ ":content by type", B "if body :content \"text\" :contains \"<b>\" { discard; }",
	  "discard", HTML, NULL, NULL, 0, "<b>hi</b>" },
	{ ":content by type and subtype", B "if body :content [\"text/plain\", \"text/html\"] "
	  ":contains \"hi\" { discard; }", "discard", HTML, NULL, NULL, 0, "<b>hi</b>" },
	{ ":content of another subtype", B "if body :content \"text/plain\" :contains \"hi\" "
	  "{ discard; }", "keep (implicit)", HTML, NULL, NULL, 0, "<b>hi</b>" },
	{ ":content \"\" is any type", B "if body :content \"\" :contains \"x\" { discard; }",
	  "discard", "Content-Type: image/png\r\n", NULL, NULL, 0, "xxx" },
	{ "\"tex\" is no type of \"text/html\"", B "if body :content \"tex\" :contains \"hi\" "
	  "{ discard; }", "keep (implicit)", HTML, NULL, NULL, 0, "hi" },
	{ ":matches over the whole body", B "if body :matches \"*order*\" { discard; }", "discard",
	  NULL, NULL, NULL, 0, "Please refund my order.\r\n" },
	{ "body sets no match variables", "require [\"body\", \"variables\", \"fileinto\"];\n"
	  "if header :matches \"subject\" \"Invoice *\" { } if body :matches \"*order*\" "
	  "{ fileinto \"${1}\"; }", "fileinto \"42 overdue\"", NULL, NULL, NULL, 0,
	  "Please refund my order.\r\n" },
	{ "no body known is no match", B "if body :contains \"\" { discard; }", "keep (implicit)" },
	{ "an empty body", B "if body :is \"\" { discard; }", "discard", NULL, NULL, NULL, 0, "" },
	{ "body without require", "if body :contains \"x\" { keep; }",
	  "compile: test.sieve:1:4: 'body' needs require \"body\"" },
	{ "two transforms", B "if body :raw :text \"x\" { keep; }",
	  "compile: test.sieve:2:14: more than one body transform for 'body'" },
	{ ":content needs its types", B "if body :content :contains \"x\" { keep; }",
	  "compile: test.sieve:2:9: ':content' must be followed by a string list" },
	{ "body takes one key list", B "if body \"a\" \"b\" { keep; }",
	  "compile: test.sieve:2:4: 'body' takes 1 positional argument (key list), found 2" },
};

SIEVE_TABLE_MAIN(rows)
