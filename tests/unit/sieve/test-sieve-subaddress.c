/* subaddress (RFC 5233), table-driven: :user and :detail ("+" separated)
 * in address and envelope tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sieve-case.h"

#define S "require [\"subaddress\", \"envelope\"];\n"

static const SieveCase rows[] = {
	{ ":user", S "if address :user :is \"from\" \"bob\" { discard; }", "discard" },
	{ ":detail", S "if address :detail :is \"from\" \"billing\" { discard; }", "discard" },
	{ ":detail of an address without one is no value",
	  S "if address :detail :contains \"cc\" \"\" { discard; }", "keep (implicit)" },
	{ ":user of an address without detail is the local part",
	  S "if address :user :is \"cc\" \"carol\" { discard; }", "discard" },
	{ ":detail of \"user+\" is empty", S "if address :detail :is \"from\" \"\" { discard; }",
	  "discard", "From: bob+@customer.test\r\n" },
	{ "only the first + separates", S "if address :detail :is \"from\" \"a+b\" { discard; }",
	  "discard", "From: bob+a+b@customer.test\r\n" },
	{ "envelope :detail", S "if envelope :detail :is \"to\" \"urgent\" { discard; }", "discard" },
	{ "envelope :user", S "if envelope :user :is \"to\" \"support\" { discard; }", "discard" },
	{ ":detail :matches", S "if envelope :detail :matches \"to\" \"urg*\" { discard; }",
	  "discard" },
	{ ":user without require", "if address :user \"from\" \"bob\" { keep; }",
	  "compile: test.sieve:1:12: ':user' needs require \"subaddress\"" },
	{ ":user and :domain together", S "if address :user :domain \"from\" \"bob\" { keep; }",
	  "compile: test.sieve:2:18: more than one address part for 'address'" },
};

SIEVE_TABLE_MAIN(rows)
