/* fuzz-template: libFuzzer harness for the template parser and renderer
 * (lib/template).
 *
 * Templates are operator input, but check-config runs the parser on
 * whatever is in the folder, and the values rendered into them come from
 * mail (subjects, display names).  Input: up to the first NUL byte is the
 * template text, the rest is one value given to every placeholder.
 * Checks: parsing either succeeds or reports an error naming a line;
 * rendering a parsed template never lets a value put CR or LF into a
 * header, and the whole message always comes out with CRLF line ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template/pd-template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PdTokenKeys *keys;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	char *text = g_strndup((const char *)data, nul != NULL ? (gsize)(nul - data) : size);
	char *value = nul != NULL ? g_strndup((const char *)nul + 1, size - (nul - data) - 1)
		: g_strdup("");
	GError *error = NULL;
	PdTemplate *tpl;

	if (keys == NULL) {
		const char *list[] = { "fuzz-template-key-0123456789", NULL };

		g_mime_init();
		keys = pd_token_keys_new(list, NULL);
	}
	tpl = pd_template_parse("f.txt", text, NULL, &error);
	if (tpl == NULL) {
		if (error == NULL || !g_str_has_prefix(error->message, "f.txt:"))
			abort();
		g_error_free(error);
	} else {
		GHashTable *values = g_hash_table_new(g_str_hash, g_str_equal);
		PdTemplateContext ctx = {
			.keys = keys, .ticket_id = 1, .ticket_number = 1, .serial = 1,
			.hostname = "fuzz.test", .from_name = value,
			.from_address = "support@example.com", .reply_base = "support@example.com",
			.to_name = value, .to_address = "a@b.example", .in_reply_to = value,
		};
		GMimeMessage *msg;
		char *subject;

		for (const char *const *p = pd_template_placeholders(); *p != NULL; p++)
			g_hash_table_insert(values, (gpointer)*p, value);
		subject = pd_template_render_subject(tpl, values);
		if (strchr(subject, '\r') != NULL || strchr(subject, '\n') != NULL)
			abort();
		g_free(pd_template_render_body(tpl, values));
		msg = pd_template_render(tpl, values, &ctx, NULL);
		if (msg != NULL) {
			GBytes *bytes = pd_template_message_bytes(msg);
			gsize len;
			const char *raw = g_bytes_get_data(bytes, &len);
			const char *end = raw + len;
			const char *body = g_strstr_len(raw, len, "\r\n\r\n");

			for (const char *p = raw; p < end; p++)
				if (*p == '\n' && (p == raw || p[-1] != '\r'))
					abort();
			/* the header block holds only our header names */
			for (const char *p = raw; body != NULL && p < body; ) {
				const char *eol = g_strstr_len(p, end - p, "\r\n");

				if (*p != ' ' && *p != '\t' &&
				    memchr(p, ':', (eol != NULL ? eol : end) - p) == NULL)
					abort();
				p = eol != NULL ? eol + 2 : end;
			}
			g_bytes_unref(bytes);
			g_object_unref(msg);
		}
		g_free(subject);
		g_hash_table_unref(values);
		pd_template_free(tpl);
	}
	g_free(text);
	g_free(value);
	return 0;
}
