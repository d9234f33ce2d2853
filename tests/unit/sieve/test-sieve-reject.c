/* reject and ereject (RFC 5429), table-driven: each cancels the implicit
 * keep; with keep, fileinto or another reject it is a run-time error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define J "require [\"reject\", \"ereject\", \"fileinto\", \"variables\"];\n"

static const SieveCase rows[] = {
	{ "reject", J "reject \"no thanks\";", "reject \"no thanks\"" },
	{ "ereject", J "ereject \"not here\";", "ereject \"not here\"" },
	{ "a multi-line reason", J "reject text:\nline one\nline two\n.\n;",
	  "reject \"line one\r\nline two\r\n\"" },
	{ "the reason expands variables", J "set \"q\" \"sales\"; reject \"write to ${q}\";",
	  "reject \"write to sales\"" },
	{ "reject with redirect is allowed", J "redirect \"a@b.test\"; reject \"x\";",
	  "redirect \"a@b.test\"\nreject \"x\"" },
	{ "reject with discard", J "reject \"x\"; discard;", "reject \"x\"\ndiscard" },
	{ "a reason that is not UTF-8 is a run error (a Subject's 8-bit bytes)",
	  J "if header :matches \"subject\" \"*\" { reject \"no ${1}\"; }",
	  "run: test.sieve:2:36: the argument of 'reject' is not valid UTF-8",
	  .headers = "Subject: caf\xe9\r\n" },
	{ "reject after keep", J "keep; reject \"x\";",
	  "run: test.sieve:2:7: 'reject' after keep or fileinto" },
	{ "fileinto after reject", J "reject \"x\"; fileinto \"y\";",
	  "run: test.sieve:2:13: 'fileinto' after reject" },
	{ "keep after ereject", J "ereject \"x\"; keep;", "run: test.sieve:2:14: 'keep' after reject" },
	{ "two rejects", J "reject \"x\"; ereject \"y\";",
	  "run: test.sieve:2:13: more than one reject or ereject" },
	{ "reject without require", "reject \"x\";",
	  "compile: test.sieve:1:1: 'reject' needs require \"reject\"" },
	{ "ereject needs its own require", "require \"reject\"; ereject \"x\";",
	  "compile: test.sieve:1:19: 'ereject' needs require \"ereject\"" },
	{ "reject takes a string", J "reject;",
	  "compile: test.sieve:2:1: 'reject' takes 1 positional argument (reason), found 0" },
};

SIEVE_TABLE_MAIN(rows)
