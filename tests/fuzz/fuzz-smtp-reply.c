/* fuzz-smtp-reply: libFuzzer harness for the SMTP reply parser (lib/smtp).
 *
 * The input is what a relay sends back; byte 0 seeds the chunk sizes
 * (0: all at once), as curl's debug stream may split lines anywhere.
 * Besides memory errors it checks the parser's promises: codes are 0 or
 * 200..599, text stays within PD_SMTP_REPLY_MAX_TEXT and has no control
 * characters, the queue never holds more than PD_SMTP_REPLY_MAX_QUEUE, and
 * feeding byte by byte yields the same replies as feeding at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/pd-smtp-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static GPtrArray *
drain(PdSmtpReplyParser *parser)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	PdSmtpReply reply = { 0 };

	while (pd_smtp_reply_parser_next(parser, &reply)) {
		char *formatted = pd_smtp_reply_format(&reply);

		if (reply.code != 0 && (reply.code < 200 || reply.code > 599))
			abort();
		if (strlen(reply.text) > PD_SMTP_REPLY_MAX_TEXT)
			abort();
		for (const char *p = reply.text; *p != '\0'; p++)
			if ((*p != '\n' && (unsigned char)*p < 0x20) || *p == 0x7f)
				abort();
		if (reply.enhanced != NULL && strlen(reply.enhanced) > 9)
			abort();
		g_ptr_array_add(out, formatted);
		pd_smtp_reply_clear(&reply);
	}
	if (out->len > PD_SMTP_REPLY_MAX_QUEUE)
		abort();
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PdSmtpReplyParser *whole, *pieces;
	GPtrArray *a, *b;
	size_t chunk;

	if (size < 1)
		return 0;
	chunk = data[0];
	data++;
	size--;

	whole = pd_smtp_reply_parser_new();
	pd_smtp_reply_parser_feed(whole, (const char *)data, size);
	pd_smtp_reply_parser_finish(whole);
	a = drain(whole);

	pieces = pd_smtp_reply_parser_new();
	for (size_t off = 0; off < size; off += chunk != 0 ? chunk : size)
		pd_smtp_reply_parser_feed(pieces, (const char *)data + off,
					  MIN(chunk != 0 ? chunk : size, size - off));
	pd_smtp_reply_parser_finish(pieces);
	b = drain(pieces);

	if (a->len != b->len)
		abort();
	for (guint i = 0; i < a->len; i++)
		if (strcmp(a->pdata[i], b->pdata[i]) != 0)
			abort();
	g_ptr_array_unref(a);
	g_ptr_array_unref(b);
	pd_smtp_reply_parser_free(whole);
	pd_smtp_reply_parser_free(pieces);
	return 0;
}
