/* fuzz-mime: libFuzzer harness for pd_mail_parse() (the MIME path).
 *
 * Small limits so deep and wide inputs hit them; after each parse the
 * PdMail contract is checked (every string valid UTF-8, attachment sizes
 * and hashes consistent, an attachment's span of the raw bytes decodes to
 * its content) and abort()s if broken.  The HTML to text
 * converter gets the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/pd-mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_string(const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		abort();
}

static void
check_list(const GPtrArray *list, gboolean addresses)
{
	for (guint i = 0; i < list->len; i++) {
		if (addresses) {
			const PdMailAddress *a = list->pdata[i];

			check_string(a->address);
			check_string(a->name);
		} else {
			check_string(list->pdata[i]);
		}
	}
}

static void
check_mail(const PdMail *m, const uint8_t *raw, size_t raw_size)
{
	check_string(m->from.address);
	check_string(m->from.name);
	check_string(m->sender);
	check_string(m->reply_to.address);
	check_string(m->reply_to.name);
	check_list(m->to, TRUE);
	check_list(m->cc, TRUE);
	if (m->subject == NULL || m->text_body == NULL)
		abort();
	check_string(m->subject);
	check_string(m->message_id);
	check_string(m->in_reply_to);
	check_list(m->references, FALSE);
	check_string(m->text_body);
	check_string(m->html_body);
	check_list(m->warnings, FALSE);
	check_list(m->headers, FALSE);
	for (guint i = 0; i < m->attachments->len; i++) {
		const PdMailAttachment *a = m->attachments->pdata[i];

		check_string(a->filename);
		check_string(a->content_type);
		check_string(a->content_id);
		if (g_bytes_get_size(a->content) != a->size || strlen(a->sha256) != 64)
			abort();
		/* a reference into the raw bytes decodes to the same content */
		if (a->raw_encoding != NULL) {
			GBytes *again;

			if (a->raw_offset > raw_size || a->raw_length > raw_size - a->raw_offset)
				abort();
			again = pd_mail_decode(raw + a->raw_offset, a->raw_length, a->raw_encoding);
			if (!g_bytes_equal(again, a->content))
				abort();
			g_bytes_unref(again);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const PdMailLimits limits = { 8, 64, 200, 4096 };
	GBytes *raw = g_bytes_new_static(data, size);
	PdMail *mail = pd_mail_parse(raw, &limits, NULL);
	char *text;

	if (mail == NULL)
		abort();
	check_mail(mail, data, size);
	pd_mail_free(mail);
	g_bytes_unref(raw);
	text = pd_mail_html_to_text((const char *)data, size);
	check_string(text);
	g_free(text);
	return 0;
}
