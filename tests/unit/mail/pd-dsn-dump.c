/* pd-dsn-dump FILE...: one JSON line per file, what pd_dsn_parse reads in
 * it (the bounce corpus test runs it). */
#include <stdio.h>

#include <gmime/gmime.h>

#include "mail/pd-dsn.h"

/* JSON string content; invalid UTF-8 becomes U+FFFD */
static char *
json_escape(const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s != NULL ? s : "", -1);
	GString *out = g_string_new(NULL);

	for (const char *p = valid; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(out, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			g_string_append_printf(out, "\\u%04x", (unsigned char)*p);
		else
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static void
dump(const char *path)
{
	g_autofree char *raw = NULL;
	gsize length = 0;
	g_autoptr(PdDsn) dsn = NULL;
	GString *out = g_string_new("{\"kind\": ");

	if (g_file_get_contents(path, &raw, &length, NULL))
		dsn = pd_dsn_parse(raw, length);
	if (dsn == NULL) {
		g_string_append(out, "null}");
	} else {
		g_autofree char *mid = dsn->returned_message_id ?
			json_escape(dsn->returned_message_id) : NULL;

		g_string_append_printf(out, "\"%s\", \"standard\": %s, \"message_id\": %s%s%s, \"recipients\": [",
				       pd_dsn_kind_name(dsn->kind), dsn->standard ? "true" : "false",
				       mid ? "\"" : "", mid ? mid : "null", mid ? "\"" : "");
		for (guint i = 0; i < dsn->recipients->len; i++) {
			PdDsnRecipient *r = dsn->recipients->pdata[i];
			g_autofree char *a = json_escape(r->address);
			g_autofree char *d = json_escape(r->diagnostic);

			g_string_append_printf(out, "%s{\"address\": \"%s\", \"status\": \"%s\", \"reply_code\": %d, \"kind\": \"%s\", \"diagnostic\": \"%s\"}",
					       i ? ", " : "", a, r->status ? r->status : "", r->reply_code,
					       pd_dsn_kind_name(r->kind), d);
		}
		g_string_append(out, "]}");
	}
	puts(out->str);
	g_string_free(out, TRUE);
}

int
main(int argc, char **argv)
{
	g_mime_init();
	for (int i = 1; i < argc; i++)
		dump(argv[i]);
	return 0;
}
