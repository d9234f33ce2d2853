/* pd-sieve-vars: the strings of a script that are more than their bytes.
 *
 * encoded-character (RFC 5228 2.4.2.4) is decoded once at compile time;
 * variables (RFC 5229) are expanded at run time: "${name}" and the match
 * variables "${0}".."${99}" of the last successful :matches.  An unknown
 * variable expands to "", a malformed reference stays as written.  Values
 * are cut to max_variable bytes (at a character boundary) and a run holds
 * at most max_variables of them.
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The inside of one ${hex:...} or ${unicode:...} (from p to the '}');
 * FALSE when it is not one (then it stays literal).  *range_r is set when
 * a unicode value is outside Unicode (an error). */
static gboolean
decode_sequence(const char *p, const char *close, gboolean unicode, GString *out,
		gboolean *range_r)
{
	gsize start = out->len;
	guint count = 0;

	while (p < close) {
		guint64 value = 0;
		guint digits = 0;

		while (p < close && is_blank(*p))
			p++;
		if (p == close)
			break;
		while (p < close && g_ascii_isxdigit(*p)) {
			if (value <= 0x10FFFF)
				value = value * 16 + g_ascii_xdigit_value(*p);
			digits++;
			p++;
		}
		if (digits == 0 || (p < close && !is_blank(*p)) || (!unicode && digits > 2))
			goto literal;
		if (unicode) {
			if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
				*range_r = TRUE;
				goto literal;
			}
			g_string_append_unichar(out, (gunichar) value);
		} else {
			g_string_append_c(out, (char) value);
		}
		count++;
	}
	if (count > 0)
		return TRUE;
literal:
	g_string_truncate(out, start);
	return FALSE;
}

gboolean
pd_sieve_decode_encoded(char **text, char **bad_r)
{
	const char *p = *text, *dollar;
	GString *out;

	if (strstr(p, "${") == NULL)
		return TRUE;
	out = g_string_new(NULL);
	while ((dollar = strstr(p, "${")) != NULL) {
		const char *inner = dollar + 2, *close = strchr(inner, '}');
		gboolean unicode = g_ascii_strncasecmp(inner, "unicode:", 8) == 0;
		gboolean range = FALSE;

		g_string_append_len(out, p, dollar - p);
		if (close == NULL ||
		    !(unicode || g_ascii_strncasecmp(inner, "hex:", 4) == 0) ||
		    !decode_sequence(inner + (unicode ? 8 : 4), close, unicode, out, &range)) {
			if (range) {
				*bad_r = g_strndup(dollar, close - dollar + 1);
				g_string_free(out, TRUE);
				return FALSE;
			}
			g_string_append(out, "${");
			p = inner;
			continue;
		}
		p = close + 1;
	}
	g_string_append(out, p);
	g_free(*text);
	*text = g_string_free(out, FALSE);
	return TRUE;
}

static gboolean
identifier_valid(const char *p, const char *end)
{
	if (p == end || !(g_ascii_isalpha(*p) || *p == '_'))
		return FALSE;
	for (; p < end; p++)
		if (!(g_ascii_isalnum(*p) || *p == '_'))
			return FALSE;
	return TRUE;
}

gboolean
pd_sieve_variable_name_valid(const char *name)
{
	return identifier_valid(name, name + strlen(name));
}

/* A reference's inside: a number, or identifiers joined by '.'. */
static gboolean
reference_valid(const char *p, const char *end)
{
	const char *dot;

	if (p < end && g_ascii_isdigit(*p)) {
		for (; p < end; p++)
			if (!g_ascii_isdigit(*p))
				return FALSE;
		return TRUE;
	}
	while ((dot = memchr(p, '.', end - p)) != NULL) {
		if (!identifier_valid(p, dot))
			return FALSE;
		p = dot + 1;
	}
	return identifier_valid(p, end);
}

char *
pd_sieve_namespace_reference(const char *text)
{
	const char *dollar;

	for (const char *p = text; (dollar = strstr(p, "${")) != NULL; p = dollar + 2) {
		const char *inner = dollar + 2, *close = strchr(inner, '}');

		if (close != NULL && reference_valid(inner, close) &&
		    memchr(inner, '.', close - inner) != NULL)
			return g_strndup(dollar, close - dollar + 1);
	}
	return NULL;
}

static const char *
lookup(PdSieveRun *run, const char *p, const char *end)
{
	if (g_ascii_isdigit(*p)) {
		guint64 index = 0;

		for (; p < end && index <= PD_SIEVE_MATCH_MAX; p++)
			index = index * 10 + (*p - '0');
		return run->match != NULL && index < run->match->len ?
		       g_ptr_array_index(run->match, index) : "";
	}
	if (memchr(p, '.', end - p) != NULL)
		return "";	/* no namespace is supported */

	g_autofree char *name = g_ascii_strdown(p, end - p);
	const char *value = run->variables != NULL ?
			    g_hash_table_lookup(run->variables, name) : NULL;

	return value != NULL ? value : "";
}

char *
pd_sieve_expand(PdSieveRun *run, const char *text)
{
	const char *p = text, *dollar;
	GString *out;

	if (!(run->script->capabilities & CAP_VARIABLES) || strstr(text, "${") == NULL)
		return g_strdup(text);
	out = g_string_new(NULL);
	while ((dollar = strstr(p, "${")) != NULL) {
		const char *inner = dollar + 2, *close = strchr(inner, '}');

		pd_sieve_run_charge(run, 1);
		g_string_append_len(out, p, dollar - p);
		if (close == NULL || !reference_valid(inner, close)) {
			g_string_append(out, "${");
			p = inner;
			continue;
		}
		g_string_append(out, lookup(run, inner, close));
		p = close + 1;
		if (out->len > run->script->limits.max_string)
			break;	/* no growth beyond a string's bound */
	}
	if (out->len <= run->script->limits.max_string)
		g_string_append(out, p);
	return g_string_free(out, FALSE);
}

static char *
case_map(const char *value, gboolean upper, gboolean first_only)
{
	gboolean utf8 = g_utf8_validate(value, -1, NULL);
	g_autofree char *head = NULL;
	const char *rest;

	if (!first_only) {
		if (utf8)
			return upper ? g_utf8_strup(value, -1) : g_utf8_strdown(value, -1);
		return upper ? g_ascii_strup(value, -1) : g_ascii_strdown(value, -1);
	}
	if (*value == '\0')
		return g_strdup(value);
	rest = utf8 ? g_utf8_next_char(value) : value + 1;
	if (utf8)
		head = upper ? g_utf8_strup(value, rest - value) :
		       g_utf8_strdown(value, rest - value);
	else
		head = upper ? g_ascii_strup(value, 1) : g_ascii_strdown(value, 1);
	return g_strconcat(head, rest, NULL);
}

char *
pd_sieve_modify(const char *value, guint modifiers)
{
	char *result = g_strdup(value), *next;

	if (modifiers & (MOD_LOWER | MOD_UPPER)) {
		next = case_map(result, (modifiers & MOD_UPPER) != 0, FALSE);
		g_free(result);
		result = next;
	}
	if (modifiers & (MOD_LOWERFIRST | MOD_UPPERFIRST)) {
		next = case_map(result, (modifiers & MOD_UPPERFIRST) != 0, TRUE);
		g_free(result);
		result = next;
	}
	if (modifiers & MOD_QUOTEWILDCARD) {
		GString *quoted = g_string_new(NULL);

		for (const char *p = result; *p != '\0'; p++) {
			if (*p == '*' || *p == '?' || *p == '\\')
				g_string_append_c(quoted, '\\');
			g_string_append_c(quoted, *p);
		}
		g_free(result);
		result = g_string_free(quoted, FALSE);
	}
	if (modifiers & MOD_QUOTEREGEX) {
		GString *quoted = g_string_new(NULL);

		for (const char *p = result; *p != '\0'; p++) {
			if (strchr("\\.*+?()[]{}|^$", *p) != NULL)
				g_string_append_c(quoted, '\\');
			g_string_append_c(quoted, *p);
		}
		g_free(result);
		result = g_string_free(quoted, FALSE);
	}
	if (modifiers & MOD_LENGTH) {
		glong length = g_utf8_validate(result, -1, NULL) ? g_utf8_strlen(result, -1) :
			       (glong) strlen(result);

		g_free(result);
		result = g_strdup_printf("%ld", length);
	}
	return result;
}

void
pd_sieve_variable_set(PdSieveRun *run, const char *name, const char *value, guint modifiers)
{
	char *stored = pd_sieve_modify(value, modifiers);
	char *key = g_ascii_strdown(name, -1);
	gsize max = run->script->limits.max_variable;

	if (strlen(stored) > max) {
		const char *cut = stored + max;

		if (g_utf8_validate(stored, -1, NULL))
			cut = g_utf8_find_prev_char(stored, cut + 1);
		stored[cut != NULL ? cut - stored : (gssize) max] = '\0';
	}
	if (run->variables == NULL)
		run->variables = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!g_hash_table_contains(run->variables, key) &&
	    g_hash_table_size(run->variables) >= run->script->limits.max_variables) {
		pd_sieve_run_error(run, "more than %u variables",
				   run->script->limits.max_variables);
		g_free(key);
		g_free(stored);
		return;
	}
	g_hash_table_replace(run->variables, key, stored);
}
