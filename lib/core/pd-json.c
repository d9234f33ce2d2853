/* pd-json: JSON string escaping and a writer of nested documents. */
#include "pd-json.h"

#include <string.h>

/* Bytes that need no escape: everything but '"', '\\' and controls. */
static gsize
plain_run(const unsigned char *p)
{
	const unsigned char *start = p;

	while (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
		p++;
	return (gsize)(p - start);
}

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
		gsize run = plain_run(p);

		if (run > 0) {
			g_string_append_len(out, (const char *)p, (gssize)run);
			p += run;
			if (*p == '\0')
				break;
		}
		switch (*p) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default: g_string_append_printf(out, "\\u%04x", *p);
		}
	}
	g_string_append_c(out, '"');
}

void
pd_json_init(PdJson *json, GString *out)
{
	memset(json, 0, sizeof(*json));
	json->out = out;
}

/* The comma and "key": before a value at the current depth, spaced as
 * people write JSON by hand (and as --json output always was). */
static void
member(PdJson *json, const char *key)
{
	if (json->has_member[json->depth])
		g_string_append(json->out, ", ");
	json->has_member[json->depth] = TRUE;
	if (key != NULL) {
		pd_json_string(json->out, key);
		g_string_append(json->out, ": ");
	}
}

static void
open_level(PdJson *json, const char *key, char bracket)
{
	member(json, key);
	g_string_append_c(json->out, bracket);
	g_assert(json->depth + 1 < PD_JSON_MAX_DEPTH);
	json->depth++;
	json->has_member[json->depth] = FALSE;
}

static void
close_level(PdJson *json, char bracket)
{
	g_assert(json->depth > 0);
	json->depth--;
	g_string_append_c(json->out, bracket);
}

void
pd_json_begin_object(PdJson *json, const char *key)
{
	open_level(json, key, '{');
}

void
pd_json_end_object(PdJson *json)
{
	close_level(json, '}');
}

void
pd_json_begin_array(PdJson *json, const char *key)
{
	open_level(json, key, '[');
}

void
pd_json_end_array(PdJson *json)
{
	close_level(json, ']');
}

void
pd_json_add_string(PdJson *json, const char *key, const char *value)
{
	member(json, key);
	pd_json_string(json->out, value);
}

void
pd_json_add_int(PdJson *json, const char *key, gint64 value)
{
	member(json, key);
	g_string_append_printf(json->out, "%" G_GINT64_FORMAT, value);
}

void
pd_json_add_bool(PdJson *json, const char *key, gboolean value)
{
	member(json, key);
	g_string_append(json->out, value ? "true" : "false");
}

void
pd_json_add_null(PdJson *json, const char *key)
{
	member(json, key);
	g_string_append(json->out, "null");
}

void
pd_json_add_raw(PdJson *json, const char *key, const char *value_json)
{
	member(json, key);
	g_string_append(json->out, value_json != NULL ? value_json : "null");
}

void
pd_json_add_strings(PdJson *json, const char *key, GPtrArray *strings)
{
	pd_json_begin_array(json, key);
	for (guint i = 0; strings != NULL && i < strings->len; i++)
		pd_json_add_string(json, NULL, strings->pdata[i]);
	pd_json_end_array(json);
}

char *
pd_json_object(PdJsonMembersFunc members, gconstpointer data)
{
	GString *out = g_string_new(NULL);
	PdJson json;

	pd_json_init(&json, out);
	pd_json_begin_object(&json, NULL);
	members(&json, data);
	pd_json_end_object(&json);
	return g_string_free(out, FALSE);
}
