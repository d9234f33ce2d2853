/* pd-json: JSON string escaping. */
#include "pd-json.h"

void
pd_json_string(GString *out, const char *text)
{
	g_autofree char *valid = NULL;

	if (text == NULL) {
		g_string_append(out, "null");
		return;
	}
	if (!g_utf8_validate(text, -1, NULL))
		text = valid = g_utf8_make_valid(text, -1);
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		switch (*p) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}
