/* copy (RFC 3894), table-driven: :copy keeps the implicit keep for
 * redirect and fileinto.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define C "require [\"copy\", \"fileinto\"];\n"

static const SieveCase rows[] = {
	{ "redirect :copy keeps", C "redirect :copy \"a@b.test\";",
	  "redirect \"a@b.test\" :copy\nkeep (implicit)" },
	{ "fileinto :copy keeps", C "fileinto :copy \"x\";", "fileinto \"x\" :copy\nkeep (implicit)" },
	{ "redirect without :copy cancels", C "redirect :copy \"a@b.test\"; redirect \"c@d.test\";",
	  "redirect \"a@b.test\" :copy\nredirect \"c@d.test\"" },
	{ ":copy then discard", C "fileinto :copy \"x\"; discard;",
	  "fileinto \"x\" :copy\ndiscard" },
	{ ":copy without require", "redirect :copy \"a@b.test\";",
	  "compile: test.sieve:1:10: ':copy' needs require \"copy\"" },
	{ ":copy on keep is unknown", C "keep :copy;",
	  "compile: test.sieve:2:6: unknown tagged argument ':copy' for 'keep'" },
	{ ":copy twice", C "redirect :copy :copy \"a@b.test\";",
	  "compile: test.sieve:2:16: more than one :copy for 'redirect'" },
};

SIEVE_TABLE_MAIN(rows)
