/* pd-mail-dump: print what pd_mail_parse() makes of messages, as JSON.
 *
 *   pd-mail-dump [--max-depth N] [--max-parts N] FILE...
 *
 * One JSON object per file, one per line, in argument order (the corpus
 * tests read them).  Attachment bytes are given as size and SHA-256; with
 * --content, also as base64.  Exit 0, or 1 if a file cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/pd-mail.h"
#include "core/pd-json.h"

static void
json_address(GString *out, const PdMailAddress *a)
{
	g_string_append(out, "{\"address\":");
	pd_json_string(out, a->address);
	g_string_append(out, ",\"name\":");
	pd_json_string(out, a->name);
	g_string_append_c(out, '}');
}

static void
json_addresses(GString *out, const GPtrArray *list)
{
	g_string_append_c(out, '[');
	for (guint i = 0; i < list->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		json_address(out, list->pdata[i]);
	}
	g_string_append_c(out, ']');
}

static void
json_strings(GString *out, const GPtrArray *list)
{
	g_string_append_c(out, '[');
	for (guint i = 0; i < list->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		pd_json_string(out, list->pdata[i]);
	}
	g_string_append_c(out, ']');
}

static void
json_bool(GString *out, const char *name, gboolean value)
{
	g_string_append_printf(out, "\"%s\":%s", name, value ? "true" : "false");
}

static void
dump(GString *out, const PdMail *m, GBytes *raw, gboolean content)
{
	g_string_append(out, "{\"from\":");
	json_address(out, &m->from);
	g_string_append(out, ",\"sender\":");
	pd_json_string(out, m->sender);
	g_string_append(out, ",\"to\":");
	json_addresses(out, m->to);
	g_string_append(out, ",\"cc\":");
	json_addresses(out, m->cc);
	g_string_append(out, ",\"reply_to\":");
	json_address(out, &m->reply_to);
	g_string_append(out, ",\"subject\":");
	pd_json_string(out, m->subject);
	g_string_append(out, ",\"message_id\":");
	pd_json_string(out, m->message_id);
	g_string_append(out, ",\"in_reply_to\":");
	pd_json_string(out, m->in_reply_to);
	g_string_append(out, ",\"references\":");
	json_strings(out, m->references);
	g_string_append_printf(out, ",\"date\":%" G_GINT64_FORMAT ",\"text_body\":", m->date);
	pd_json_string(out, m->text_body);
	g_string_append_c(out, ',');
	json_bool(out, "text_from_html", m->text_from_html);
	g_string_append(out, ",\"html_body\":");
	pd_json_string(out, m->html_body);
	g_string_append(out, ",\"attachments\":[");
	for (guint i = 0; i < m->attachments->len; i++) {
		const PdMailAttachment *a = m->attachments->pdata[i];

		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append(out, "{\"filename\":");
		pd_json_string(out, a->filename);
		g_string_append(out, ",\"content_type\":");
		pd_json_string(out, a->content_type);
		g_string_append(out, ",\"content_id\":");
		pd_json_string(out, a->content_id);
		g_string_append_c(out, ',');
		json_bool(out, "inline", a->inline_part);
		g_string_append_printf(out, ",\"size\":%" G_GSIZE_FORMAT ",\"sha256\":\"%s\"",
				       a->size, a->sha256);
		/* an attachment stored as a reference into the raw message:
		 * decoding that span must give the same bytes */
		g_string_append(out, ",\"raw_span\":");
		pd_json_string(out, a->raw_encoding);
		if (a->raw_encoding != NULL) {
			gsize raw_len = 0;
			const guint8 *raw_data = g_bytes_get_data(raw, &raw_len);
			gboolean ok = a->raw_offset + a->raw_length <= raw_len;

			if (ok) {
				g_autoptr(GBytes) again = pd_mail_decode(raw_data + a->raw_offset,
									 a->raw_length,
									 a->raw_encoding);

				ok = g_bytes_equal(again, a->content);
			}
			g_string_append_c(out, ',');
			json_bool(out, "raw_span_ok", ok);
		}
		if (content) {
			gsize len = 0;
			const guchar *data = g_bytes_get_data(a->content, &len);
			g_autofree char *b64 = g_base64_encode(data, len);

			g_string_append(out, ",\"content\":");
			pd_json_string(out, b64);
		}
		g_string_append_c(out, '}');
	}
	g_string_append(out, "],\"warnings\":");
	json_strings(out, m->warnings);
	g_string_append(out, ",\"class\":{");
	json_bool(out, "auto_submitted", m->class.auto_submitted);
	g_string_append_c(out, ',');
	json_bool(out, "bulk", m->class.bulk);
	g_string_append_c(out, ',');
	json_bool(out, "list", m->class.list);
	g_string_append_c(out, ',');
	json_bool(out, "bounce", m->class.bounce);
	g_string_append_c(out, ',');
	json_bool(out, "auto_reply_suppressed", m->class.auto_reply_suppressed);
	g_string_append(out, "},\"headers\":");
	json_strings(out, m->headers);
	g_string_append_printf(out, ",\"body_sha256\":\"%s\",\"raw_sha256\":\"%s\","
			       "\"raw_size\":%" G_GSIZE_FORMAT "}\n",
			       m->body_sha256, m->raw_sha256, m->raw_size);
}

int
main(int argc, char **argv)
{
	PdMailLimits limits = { 32, 500, 1000, 64 * 1024 };
	gboolean content = FALSE;
	int status = 0;

	for (int i = 1; i < argc; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdMail) mail = NULL;
		g_autoptr(GString) out = NULL;
		char *data = NULL;
		gsize len = 0;
		GBytes *raw;

		if (strcmp(argv[i], "--max-depth") == 0 && i + 1 < argc) {
			limits.max_depth = (guint)atoi(argv[++i]);
			continue;
		}
		if (strcmp(argv[i], "--max-parts") == 0 && i + 1 < argc) {
			limits.max_parts = (guint)atoi(argv[++i]);
			continue;
		}
		if (strcmp(argv[i], "--content") == 0) {
			content = TRUE;
			continue;
		}
		if (!g_file_get_contents(argv[i], &data, &len, &error)) {
			fprintf(stderr, "pd-mail-dump: %s\n", error->message);
			status = 1;
			continue;
		}
		raw = g_bytes_new_take(data, len);
		mail = pd_mail_parse(raw, &limits, &error);
		if (mail == NULL) {
			fprintf(stderr, "pd-mail-dump: %s: %s\n", argv[i], error->message);
			g_bytes_unref(raw);
			status = 1;
			continue;
		}
		out = g_string_new(NULL);
		dump(out, mail, raw, content);
		g_bytes_unref(raw);
		fwrite(out->str, 1, out->len, stdout);
	}
	return status;
}
