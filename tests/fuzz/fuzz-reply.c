/* fuzz-reply: the reply trimmer (mail/pd-mail-reply.c) on any text.
 * abort()s when the new text is empty while the input is not blank, or
 * longer than the input (it only ever cuts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/pd-mail-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const separators[] = { "--cut--", NULL };
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autofree char *out = pd_mail_reply_trim(text, size > 0 && data[0] & 1 ? separators : NULL);

	if (strlen(out) > strlen(text))
		abort();
	if (out[0] == '\0' && text[0] != '\0')
		abort();
	return 0;
}
