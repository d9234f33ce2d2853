/* pd-json: the one JSON writer (json-glib is not a dependency).
 *
 * Output for scripts (`--json`) and jsonb values handed to PostgreSQL:
 * text that may come from a peer is made valid UTF-8 (jsonb refuses
 * anything else) and every control character escaped.  PdJson writes one
 * document of nested objects and arrays into a GString and puts the commas
 * where they belong; it never parses.
 */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <glib.h>

/* Append text as a JSON string, or null when text is NULL. */
void pd_json_string(GString *out, const char *text);

#define PD_JSON_MAX_DEPTH 16

typedef struct {
	GString *out;
	guint depth;
	gboolean has_member[PD_JSON_MAX_DEPTH];	/* a comma before the next one */
} PdJson;

/* Start a document in out (appended to). */
void pd_json_init(PdJson *json, GString *out);

/* In the functions below, key is the member's name inside an object and
 * NULL inside an array (or for the document itself). */
void pd_json_begin_object(PdJson *json, const char *key);
void pd_json_end_object(PdJson *json);
void pd_json_begin_array(PdJson *json, const char *key);
void pd_json_end_array(PdJson *json);
/* value NULL writes null */
void pd_json_add_string(PdJson *json, const char *key, const char *value);
void pd_json_add_int(PdJson *json, const char *key, gint64 value);
void pd_json_add_bool(PdJson *json, const char *key, gboolean value);
void pd_json_add_null(PdJson *json, const char *key);
/* A value that already is JSON (another module's document); NULL: null. */
void pd_json_add_raw(PdJson *json, const char *key, const char *value_json);
/* An array of strings (NULL entries as null); array NULL: an empty array. */
void pd_json_add_strings(PdJson *json, const char *key, GPtrArray *strings);

/* A whole document: one object whose members members() writes from data. */
typedef void (*PdJsonMembersFunc)(PdJson *json, gconstpointer data);
char *pd_json_object(PdJsonMembersFunc members, gconstpointer data);

#endif
