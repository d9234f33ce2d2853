/* fuzz-sieve: the Sieve compiler (lexer, parser, validation) and, when the
 * input compiles, one run over a fixed message.
 *
 * The input is compiled twice: with the default bounds, and syntax-only
 * (the mode that reads foreign test files).  A run uses a small step
 * budget so that every input finishes fast; its result is printed to a
 * string, as the pipeline's log will.
 */
#include <stddef.h>
#include <stdint.h>

#include "sieve/pd-sieve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static PdSieveMessage *message;
	PdSieveLimits limits;
	GPtrArray *errors = NULL;
	PdSieveScript *script;

	if (message == NULL) {
		message = pd_sieve_facts_new(
			"From: \"Bob\" <bob+tag@customer.test>\r\n"
			"To: support@desk.test, team: a@b.test, <c@d.test>;\r\n"
			"Subject: Invoice 42 overdue\r\n"
			"X-Spam-Score: 7\r\n"
			"Received: from a\r\nReceived: from b\r\n",
			"bob@customer.test", "support+urgent@desk.test", 4096);
		pd_sieve_facts_set_body(message, "Please refund my order 42.\r\n");
	}

	pd_sieve_limits_init(&limits);
	limits.max_steps = 20000;
	script = pd_sieve_compile("fuzz.sieve", (const char *) data, size, &limits, &errors);
	if (script != NULL) {
		PdSieveResult *result = pd_sieve_run(script, message);
		char *text = pd_sieve_result_to_string(result);

		g_free(text);
		pd_sieve_result_free(result);
		pd_sieve_script_free(script);
	}
	g_clear_pointer(&errors, g_ptr_array_unref);
	limits.syntax_only = TRUE;
	script = pd_sieve_compile("fuzz.sieve", (const char *) data, size, &limits, &errors);
	pd_sieve_script_free(script);
	g_clear_pointer(&errors, g_ptr_array_unref);
	return 0;
}
