/* pd-sieve-facts: a message given as header text and envelope strings,
 * for tests and fuzzers (no GMime).  Decoded values are the raw ones.
 */
#include <string.h>

#include "sieve/pd-sieve.h"

typedef struct {
	PdSieveMessage message;
	GPtrArray *names;	/* char *, lower case */
	GPtrArray *values;	/* char *, unfolded */
	char *from, *to;
	guint64 size;
	char *body;		/* NULL: none */
	char *spam, *spam_percent;	/* NULL: not tested */
} Facts;

static void
facts_header(PdSieveMessage *message, const char *name, gboolean decoded, GPtrArray *values)
{
	Facts *facts = (Facts *) message;

	for (guint i = 0; i < facts->names->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(facts->names, i), name) == 0)
			g_ptr_array_add(values, g_strdup(g_ptr_array_index(facts->values, i)));
}

static const char *
facts_envelope(PdSieveMessage *message, const char *part)
{
	Facts *facts = (Facts *) message;

	return strcmp(part, "from") == 0 ? facts->from : strcmp(part, "to") == 0 ? facts->to : NULL;
}

static guint64
facts_size(PdSieveMessage *message)
{
	return ((Facts *) message)->size;
}

/* "" any, "text" the type, "text/plain" type and subtype. */
static gboolean
type_matches(const char *type, const char *wanted)
{
	gsize len = strlen(wanted);

	if (*wanted == '\0')
		return TRUE;
	if (g_ascii_strncasecmp(type, wanted, len) != 0)
		return FALSE;
	return type[len] == '\0' || (strchr(wanted, '/') == NULL && type[len] == '/');
}

static void
facts_body(PdSieveMessage *message, gboolean raw, const char *const *content_types,
	   GPtrArray *values)
{
	Facts *facts = (Facts *) message;
	g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *type = NULL;
	gboolean wanted = raw;

	if (facts->body == NULL)
		return;
	facts_header(message, "content-type", FALSE, types);
	type = types->len > 0 ? g_strstrip(g_strdup(g_ptr_array_index(types, 0))) :
	       g_strdup("text/plain");
	if (strchr(type, ';') != NULL)
		*strchr(type, ';') = '\0';
	g_strstrip(type);
	if (!raw && content_types == NULL)
		wanted = type_matches(type, "text");
	for (const char *const *t = content_types; !raw && t != NULL && *t != NULL; t++)
		wanted = wanted || type_matches(type, *t);
	if (wanted)
		g_ptr_array_add(values, g_strdup(facts->body));
}

static const char *
facts_spamtest(PdSieveMessage *message, gboolean percent)
{
	Facts *facts = (Facts *) message;

	return percent ? facts->spam_percent : facts->spam;
}

static const PdSieveMessageOps facts_ops = { facts_header, facts_envelope, facts_size,
					     facts_body, facts_spamtest };

void
pd_sieve_facts_set_spamtest(PdSieveMessage *message, const char *value, const char *percent)
{
	Facts *facts = (Facts *) message;

	g_free(facts->spam);
	g_free(facts->spam_percent);
	facts->spam = g_strdup(value);
	facts->spam_percent = g_strdup(percent);
}

void
pd_sieve_facts_set_body(PdSieveMessage *message, const char *body)
{
	Facts *facts = (Facts *) message;

	g_free(facts->body);
	facts->body = g_strdup(body);
}

PdSieveMessage *
pd_sieve_facts_new(const char *headers, const char *from, const char *to, guint64 size)
{
	Facts *facts = g_new0(Facts, 1);
	g_auto(GStrv) lines = g_strsplit(headers != NULL ? headers : "", "\n", -1);
	GString *value = NULL;

	facts->message.ops = &facts_ops;
	facts->names = g_ptr_array_new_with_free_func(g_free);
	facts->values = g_ptr_array_new_with_free_func(g_free);
	facts->from = g_strdup(from);
	facts->to = g_strdup(to);
	facts->size = size != 0 ? size : (headers != NULL ? strlen(headers) : 0);
	for (char **line = lines; *line != NULL; line++) {
		gsize len = strlen(*line);
		const char *colon;

		if (len > 0 && (*line)[len - 1] == '\r')
			(*line)[--len] = '\0';
		if ((**line == ' ' || **line == '\t') && value != NULL) {
			g_string_append(value, *line);	/* unfolding drops the CRLF only */
			continue;
		}
		if (value != NULL)
			g_ptr_array_add(facts->values, g_string_free(value, FALSE));
		value = NULL;
		colon = strchr(*line, ':');
		if (colon == NULL)
			continue;
		g_ptr_array_add(facts->names, g_strstrip(g_ascii_strdown(*line, colon - *line)));
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		value = g_string_new(colon);
	}
	if (value != NULL)
		g_ptr_array_add(facts->values, g_string_free(value, FALSE));
	return &facts->message;
}

void
pd_sieve_facts_free(PdSieveMessage *message)
{
	Facts *facts = (Facts *) message;

	if (facts == NULL)
		return;
	g_ptr_array_unref(facts->names);
	g_ptr_array_unref(facts->values);
	g_free(facts->from);
	g_free(facts->to);
	g_free(facts->body);
	g_free(facts->spam);
	g_free(facts->spam_percent);
	g_free(facts);
}
