/* pd-json: the one JSON string writer (json-glib is not a dependency).
 *
 * Output for scripts (`--json`) and jsonb values handed to PostgreSQL:
 * text that may come from a peer is made valid UTF-8 (jsonb refuses
 * anything else) and every control character escaped.
 */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <glib.h>

/* Append text as a JSON string, or null when text is NULL. */
void pd_json_string(GString *out, const char *text);

#endif
