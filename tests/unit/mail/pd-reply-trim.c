/* pd-reply-trim: prints the new text of the text on stdin (the corpus
 * test tests/corpus/test_reply_trim.py runs it). */
#include <stdio.h>

#include "mail/pd-mail-reply.h"

int
main(void)
{
	GString *in = g_string_new(NULL);
	char buf[4096];
	size_t n;
	g_autofree char *out = NULL;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		g_string_append_len(in, buf, (gssize)n);
	out = pd_mail_reply_trim(in->str, NULL);
	fputs(out, stdout);
	g_string_free(in, TRUE);
	return 0;
}
