/* encoded-character (RFC 5228 2.4.2.4), table-driven: ${hex:} and
 * ${unicode:} decoded once at compile time, malformed ones left as written,
 * values outside Unicode refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define E "require [\"encoded-character\", \"fileinto\"];\n"

static const SieveCase rows[] = {
	{ "hex", E "fileinto \"${hex:41 42}\";", "fileinto \"AB\"" },
	{ "hex, case and blanks", E "fileinto \"${HEX: 4a  6B }x\";", "fileinto \"Jkx\"" },
	{ "hex, one digit", E "fileinto \"${hex:9}\";", "fileinto \"\t\"" },
	{ "unicode", E "fileinto \"${unicode:263a}\";", "fileinto \"\xe2\x98\xba\"" },
	{ "unicode, several", E "fileinto \"${unicode: 48 0069}\";", "fileinto \"Hi\"" },
	{ "two sequences", E "fileinto \"${hex:61}-${unicode:62}\";", "fileinto \"a-b\"" },
	{ "malformed hex stays", E "fileinto \"${hex:zz}\";", "fileinto \"${hex:zz}\"" },
	{ "three hex digits stay", E "fileinto \"${hex:414}\";", "fileinto \"${hex:414}\"" },
	{ "empty stays", E "fileinto \"${hex:}\";", "fileinto \"${hex:}\"" },
	{ "unterminated stays", E "fileinto \"a${hex:41\";", "fileinto \"a${hex:41\"" },
	{ "an unknown kind stays", E "fileinto \"${oct:41}\";", "fileinto \"${oct:41}\"" },
	{ "in a match key", E "if header :is \"subject\" \"${hex:49}nvoice 42 overdue\" "
	  "{ fileinto \"x\"; }", "fileinto \"x\"" },
	{ "in a multi-line string", E "fileinto text:\n${hex:41}\n.\n;", "fileinto \"A\r\n\"" },
	{ "without require it is literal", "require \"fileinto\"; fileinto \"${hex:41}\";",
	  "fileinto \"${hex:41}\"" },
	{ "a surrogate is an error", E "fileinto \"${unicode:D800}\";",
	  "compile: test.sieve:2:10: invalid encoded character \"${unicode:D800}\"" },
	{ "beyond Unicode is an error", E "fileinto \"${unicode:110000}\";",
	  "compile: test.sieve:2:10: invalid encoded character \"${unicode:110000}\"" },
};

SIEVE_TABLE_MAIN(rows)
