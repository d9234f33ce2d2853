/* fuzz-approval: the first-line reader of a holder's answer to an approval
 * request (pd_approval_answer_parse), on any bytes, NUL-terminated. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ticket/pd-authorization.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_malloc(size + 1);
	PdApprovalAnswer answer;

	memcpy(text, data, size);
	text[size] = '\0';
	answer = pd_approval_answer_parse(text);
	g_assert(answer == PD_APPROVAL_NONE || pd_approval_answer_name(answer) != NULL);
	g_free(text);
	return 0;
}
