/* pd-template: parsing, loading, lookup and text rendering of templates. */
#include "pd-template-private.h"

#include <string.h>

#include "core/pd-address.h"
#include "core/pd-error.h"

#define TEMPLATE_MAX_FILE	(256 * 1024)
#define TEMPLATE_MAX_DEPTH	8	/* nested {{#if}} */
#define HEADER_VALUE_MAX	200	/* characters of one value in a header */

static const char *const placeholders[] = {
	"site.name",
	"ticket.number", "ticket.subject", "ticket.url", "ticket.status", "ticket.priority",
	"ticket.response_time",
	"requester.name", "requester.email",
	"contact.name", "contact.email", "contact.role", "contact.may", "contact.may_not",
	"contact.added_by",
	"account.name", "account.plan", "account.contacts",
	"queue.name", "queue.address",
	"agent.name", "agent.signature",
	"request.permission", "request.summary", "approval.address",
	"message.from", "message.subject", "message.text",
	"attachments.left_out",
	"bounce.address", "bounce.reason",
	NULL
};

static const char *const groups[] = {
	"site", "ticket", "requester", "contact", "account", "queue", "agent", "request",
	"approval", "message", "attachments", "bounce", NULL
};

const char *const *
pd_template_placeholders(void)
{
	return placeholders;
}

static gboolean
name_in(const char *const *list, const char *name)
{
	for (guint i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return TRUE;
	return FALSE;
}

/* --- nodes ------------------------------------------------------------- */

typedef enum { NODE_TEXT, NODE_VAR, NODE_IF } NodeKind;

typedef struct {
	NodeKind kind;
	char *text;		/* literal text, or the name */
	GPtrArray *then_nodes;	/* NODE_IF */
	GPtrArray *else_nodes;	/* NODE_IF */
} Node;

static void
node_free(Node *node)
{
	g_free(node->text);
	if (node->then_nodes != NULL)
		g_ptr_array_unref(node->then_nodes);
	if (node->else_nodes != NULL)
		g_ptr_array_unref(node->else_nodes);
	g_free(node);
}

static GPtrArray *
nodes_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
}

static void
nodes_add(GPtrArray *nodes, NodeKind kind, const char *text, gsize len)
{
	Node *node = g_new0(Node, 1);

	node->kind = kind;
	node->text = g_strndup(text, len);
	if (kind == NODE_IF) {
		node->then_nodes = nodes_new();
		node->else_nodes = nodes_new();
	}
	g_ptr_array_add(nodes, node);
}

static guint
count_lines(const char *start, const char *end)
{
	guint n = 0;

	for (const char *p = start; p < end; p++)
		if (*p == '\n')
			n++;
	return n;
}

static gboolean
only_blanks(const char *start, const char *end)
{
	for (const char *p = start; p < end; p++)
		if (*p != ' ' && *p != '\t')
			return FALSE;
	return TRUE;
}

#define PARSE_ERROR(...) do { \
		g_string_append_printf(errors, "%s:%u: ", source, line); \
		g_string_append_printf(errors, __VA_ARGS__); \
		g_string_append_c(errors, '\n'); \
	} while (0)

/* Parse text into nodes.  blocks: {{#if}} allowed (bodies, not headers).
 * line: the file line text starts on.  Problems are appended to errors. */
static GPtrArray *
parse_nodes(const char *text, const char *source, guint line, gboolean blocks, GString *errors)
{
	GPtrArray *root = nodes_new();
	GPtrArray *lists[TEMPLATE_MAX_DEPTH + 1];
	Node *ifs[TEMPLATE_MAX_DEPTH + 1];
	guint if_lines[TEMPLATE_MAX_DEPTH + 1];
	gboolean in_else[TEMPLATE_MAX_DEPTH + 1];
	guint depth = 0;
	const char *p = text;

	lists[0] = root;
	while (*p != '\0') {
		const char *open = strstr(p, "{{");
		const char *close, *text_end, *after;
		g_autofree char *tag = NULL;
		gboolean block;

		if (open == NULL) {
			nodes_add(lists[depth], NODE_TEXT, p, strlen(p));
			break;
		}
		close = strstr(open + 2, "}}");
		if (close == NULL || memchr(open, '\n', close - open) != NULL) {
			line += count_lines(p, open);
			PARSE_ERROR("\"{{\" without \"}}\" on the same line");
			nodes_add(lists[depth], NODE_TEXT, p, open + 2 - p);
			p = open + 2;
			continue;
		}
		tag = g_strstrip(g_strndup(open + 2, close - open - 2));
		block = tag[0] == '#' || tag[0] == '/' || strcmp(tag, "else") == 0;
		text_end = open;
		after = close + 2;
		if (block) {
			/* A block tag alone on its line takes the line with it. */
			const char *line_start = open;
			const char *line_end = strchr(after, '\n');

			while (line_start > text && line_start[-1] != '\n')
				line_start--;
			if (line_end == NULL)
				line_end = after + strlen(after);
			if (line_start >= p && only_blanks(line_start, open) &&
			    only_blanks(after, line_end)) {
				text_end = line_start;
				after = *line_end == '\n' ? line_end + 1 : line_end;
			}
		}
		if (text_end > p)
			nodes_add(lists[depth], NODE_TEXT, p, text_end - p);
		line += count_lines(p, open);

		if (block && !blocks) {
			PARSE_ERROR("{{%s}}: blocks are not allowed in a header", tag);
		} else if (g_str_has_prefix(tag, "#if ") || g_str_has_prefix(tag, "#if\t")) {
			const char *name = g_strstrip(tag + 3);

			if (!name_in(placeholders, name) && !name_in(groups, name))
				PARSE_ERROR("{{#if %s}}: unknown name", name);
			if (depth == TEMPLATE_MAX_DEPTH) {
				PARSE_ERROR("{{#if}} nested more than %d deep", TEMPLATE_MAX_DEPTH);
			} else {
				nodes_add(lists[depth], NODE_IF, name, strlen(name));
				ifs[depth + 1] = g_ptr_array_index(lists[depth], lists[depth]->len - 1);
				if_lines[depth + 1] = line;
				in_else[depth + 1] = FALSE;
				depth++;
				lists[depth] = ifs[depth]->then_nodes;
			}
		} else if (strcmp(tag, "else") == 0) {
			if (depth == 0 || in_else[depth]) {
				PARSE_ERROR("{{else}} outside an {{#if}}");
			} else {
				in_else[depth] = TRUE;
				lists[depth] = ifs[depth]->else_nodes;
			}
		} else if (strcmp(tag, "/if") == 0) {
			if (depth == 0)
				PARSE_ERROR("{{/if}} without {{#if}}");
			else
				depth--;
		} else if (block) {
			PARSE_ERROR("{{%s}}: unknown block (only #if, else, /if)", tag);
		} else if (!name_in(placeholders, tag)) {
			PARSE_ERROR("{{%s}}: unknown placeholder", tag);
		} else {
			nodes_add(lists[depth], NODE_VAR, tag, strlen(tag));
		}
		line += count_lines(open, after);
		p = after;
	}
	for (; depth > 0; depth--) {
		guint at = line;

		line = if_lines[depth];
		PARSE_ERROR("{{#if %s}} is not closed", ifs[depth]->text);
		line = at;
	}
	return root;
}

/* --- rendering ---------------------------------------------------------- */

static gboolean
value_true(GHashTable *values, const char *name)
{
	GHashTableIter iter;
	gpointer key, value;
	gsize len = strlen(name);

	if (values == NULL)
		return FALSE;
	value = g_hash_table_lookup(values, name);
	if (value != NULL)
		return *(const char *)value != '\0';
	if (!name_in(groups, name))
		return FALSE;
	g_hash_table_iter_init(&iter, values);
	while (g_hash_table_iter_next(&iter, &key, &value))
		if (strncmp(key, name, len) == 0 && ((const char *)key)[len] == '.' &&
		    value != NULL && *(const char *)value != '\0')
			return TRUE;
	return FALSE;
}

static void
append_value(GString *out, const char *value, PdRenderMode mode)
{
	g_autofree char *valid = g_utf8_make_valid(value, -1);

	if (mode == PD_RENDER_HTML) {
		g_autofree char *escaped = g_markup_escape_text(valid, -1);

		g_string_append(out, escaped);
	} else if (mode == PD_RENDER_HEADER) {
		/* No CR/LF (header injection), no other controls, bounded. */
		glong n = 0;

		for (const char *p = valid; *p != '\0' && n < HEADER_VALUE_MAX;
		     p = g_utf8_next_char(p), n++) {
			gunichar c = g_utf8_get_char(p);

			if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 ||
			    c == 0x2029)
				g_string_append_c(out, ' ');
			else
				g_string_append_unichar(out, c);
		}
	} else {
		g_string_append(out, valid);
	}
}

static void
render_into(GString *out, GPtrArray *nodes, GHashTable *values, PdRenderMode mode)
{
	for (guint i = 0; i < nodes->len; i++) {
		const Node *node = g_ptr_array_index(nodes, i);
		const char *value;

		switch (node->kind) {
		case NODE_TEXT:
			g_string_append(out, node->text);
			break;
		case NODE_VAR:
			value = values != NULL ? g_hash_table_lookup(values, node->text) : NULL;
			if (value != NULL)
				append_value(out, value, mode);
			break;
		case NODE_IF:
			render_into(out, value_true(values, node->text) ? node->then_nodes
			       : node->else_nodes, values, mode);
			break;
		}
	}
}

char *
pd_template_render_nodes(GPtrArray *nodes, GHashTable *values, PdRenderMode mode)
{
	GString *out = g_string_new(NULL);

	if (nodes != NULL)
		render_into(out, nodes, values, mode);
	if (mode == PD_RENDER_HEADER) {
		/* the literal text of a header line is the operator's, but a
		 * folded or CR-bearing template must not reach the wire either */
		for (gsize i = 0; i < out->len; i++)
			if (out->str[i] == '\r' || out->str[i] == '\n' || out->str[i] == '\t')
				out->str[i] = ' ';
		g_strstrip(out->str);
		out->len = strlen(out->str);
	}
	return g_string_free(out, FALSE);
}

char *
pd_template_header_value(const char *value)
{
	GString *out = g_string_new(NULL);

	append_value(out, value, PD_RENDER_HEADER);
	g_strstrip(out->str);
	out->len = strlen(out->str);
	return g_string_free(out, FALSE);
}

char *
pd_template_render_subject(const PdTemplate *tpl, GHashTable *values)
{
	return pd_template_render_nodes(tpl->subject.nodes, values, PD_RENDER_HEADER);
}

char *
pd_template_render_body(const PdTemplate *tpl, GHashTable *values)
{
	return pd_template_render_nodes(tpl->body, values, PD_RENDER_TEXT);
}

char *
pd_template_render_html(const PdTemplate *tpl, GHashTable *values)
{
	if (tpl->html == NULL)
		return NULL;
	return pd_template_render_nodes(tpl->html, values, PD_RENDER_HTML);
}

/* --- one template -------------------------------------------------------- */

static void
header_clear(PdTemplateHeader *header)
{
	if (header->nodes != NULL)
		g_ptr_array_unref(header->nodes);
	g_free(header->address);
	memset(header, 0, sizeof(*header));
}

void
pd_template_free(PdTemplate *tpl)
{
	if (tpl == NULL)
		return;
	g_free(tpl->source);
	header_clear(&tpl->subject);
	header_clear(&tpl->from);
	header_clear(&tpl->reply_to);
	if (tpl->body != NULL)
		g_ptr_array_unref(tpl->body);
	if (tpl->html != NULL)
		g_ptr_array_unref(tpl->html);
	g_free(tpl);
}

/* "Name {{agent.name}} <support@example.com>", a bare address, or a
 * display name alone (the configured address is kept). */
static void
parse_address_header(PdTemplateHeader *header, const char *value, const char *source,
		     guint line, GString *errors)
{
	const char *lt = strrchr(value, '<');
	g_autofree char *address = NULL;
	g_autofree char *name = NULL;
	PdAddress parsed = { 0 };

	if (lt != NULL && g_str_has_suffix(value, ">")) {
		address = g_strndup(lt + 1, strlen(lt + 1) - 1);
		name = g_strstrip(g_strndup(value, lt - value));
	} else if (strstr(value, "{{") == NULL && strchr(value, '@') != NULL) {
		address = g_strdup(value);
		name = g_strdup("");
	} else {
		name = g_strdup(value);
	}
	if (address != NULL) {
		if (strstr(address, "{{") != NULL || !pd_address_parse(address, NULL, &parsed, NULL) ||
		    parsed.domain == NULL) {
			PARSE_ERROR("\"%s\" is not an address (placeholders go in the display name only)",
				    address);
			pd_address_clear(&parsed);
			return;
		}
		header->address = pd_address_canonical(&parsed);
		pd_address_clear(&parsed);
	}
	if (name[0] == '"' && g_str_has_suffix(name, "\"") && strlen(name) >= 2) {
		char *unquoted = g_strndup(name + 1, strlen(name) - 2);

		g_free(name);
		name = unquoted;
	}
	if (name[0] != '\0')
		header->nodes = parse_nodes(name, source, line, FALSE, errors);
}

PdTemplate *
pd_template_parse(const char *source, const char *text, const char *html, GError **error)
{
	g_autoptr(PdTemplate) tpl = g_new0(PdTemplate, 1);
	g_autoptr(GString) errors = g_string_new(NULL);
	g_autofree char *copy = NULL;
	char *p, *body = NULL;
	guint line = 1;

	tpl->source = g_strdup(source);
	if (!g_utf8_validate(text, -1, NULL) || (html != NULL && !g_utf8_validate(html, -1, NULL))) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s:1: not valid UTF-8", source);
		return NULL;
	}
	/* CRLF files from Windows editors read like LF ones. */
	{
		g_auto(GStrv) parts = g_strsplit(text, "\r\n", -1);

		copy = g_strjoinv("\n", parts);
	}
	for (p = copy; p != NULL; line++) {
		char *eol = strchr(p, '\n');
		char *colon;
		PdTemplateHeader *header = NULL;
		const char *name;

		if (eol != NULL)
			*eol = '\0';
		if (*p == '\0') {
			body = eol != NULL ? eol + 1 : p;
			line++;
			break;
		}
		colon = strchr(p, ':');
		if (colon == NULL || *p == ' ' || *p == '\t') {
			PARSE_ERROR("header line expected (Subject:, From:, Reply-To:), then an "
				    "empty line before the body");
			p = eol != NULL ? eol + 1 : NULL;
			continue;
		}
		*colon = '\0';
		name = g_strstrip(p);
		if (g_ascii_strcasecmp(name, "Subject") == 0)
			header = &tpl->subject;
		else if (g_ascii_strcasecmp(name, "From") == 0)
			header = &tpl->from;
		else if (g_ascii_strcasecmp(name, "Reply-To") == 0)
			header = &tpl->reply_to;
		if (header == NULL) {
			PARSE_ERROR("unknown header \"%s\" (only Subject, From, Reply-To)", name);
		} else if (header->present) {
			PARSE_ERROR("%s: given twice", name);
		} else {
			const char *value = g_strstrip(colon + 1);

			header->present = TRUE;
			if (header == &tpl->subject)
				header->nodes = parse_nodes(value, source, line, FALSE, errors);
			else
				parse_address_header(header, value, source, line, errors);
		}
		p = eol != NULL ? eol + 1 : NULL;
	}
	if (body == NULL) {
		line = 1;
		PARSE_ERROR("no empty line between the header block and the body");
	} else {
		tpl->body = parse_nodes(body, source, line, TRUE, errors);
	}
	if (!tpl->subject.present) {
		line = 1;
		PARSE_ERROR("Subject: is required");
	}
	if (html != NULL) {
		g_autofree char *html_source = NULL;

		html_source = g_str_has_suffix(source, ".txt")
			? g_strdup_printf("%.*s.html", (int)strlen(source) - 4, source)
			: g_strdup_printf("%s (html)", source);
		tpl->html = parse_nodes(html, html_source, 1, TRUE, errors);
	}
	if (errors->len > 0) {
		g_string_truncate(errors, errors->len - 1);
		g_set_error_literal(error, PD_ERROR, PD_ERROR_USAGE, errors->str);
		return NULL;
	}
	return g_steal_pointer(&tpl);
}

/* --- the set ------------------------------------------------------------- */

struct _PdTemplateSet {
	gint refs;
	GHashTable *by_key;	/* "support/de/ack" -> PdTemplate * */
};

typedef struct {
	char *txt;
	char *html;
} FilePair;

static void
file_pair_free(FilePair *pair)
{
	g_free(pair->txt);
	g_free(pair->html);
	g_free(pair);
}

static void
collect_files(const char *dir, const char *rel, guint depth, GHashTable *pairs,
	      GString *errors)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &local);
	const char *entry;

	if (d == NULL) {
		g_string_append_printf(errors, "%s: %s\n", dir, local->message);
		return;
	}
	while ((entry = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(dir, entry, NULL);
		g_autofree char *key_rel = rel[0] != '\0' ? g_strdup_printf("%s/%s", rel, entry)
			: g_strdup(entry);
		gboolean txt = g_str_has_suffix(entry, ".txt");
		FilePair *pair;
		char *key;

		if (entry[0] == '.')
			continue;
		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			if (depth < 2)
				collect_files(path, key_rel, depth + 1, pairs, errors);
			continue;
		}
		if (!txt && !g_str_has_suffix(entry, ".html"))
			continue;
		key = g_strndup(key_rel, strlen(key_rel) - (txt ? 4 : 5));
		pair = g_hash_table_lookup(pairs, key);
		if (pair == NULL) {
			pair = g_new0(FilePair, 1);
			g_hash_table_insert(pairs, key, pair);
		} else {
			g_free(key);
		}
		if (txt)
			pair->txt = g_steal_pointer(&path);
		else
			pair->html = g_steal_pointer(&path);
	}
}

static char *
read_template_file(const char *path, GString *errors)
{
	g_autoptr(GError) local = NULL;
	char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_string_append_printf(errors, "%s: %s\n", path, local->message);
		return NULL;
	}
	if (len > TEMPLATE_MAX_FILE || memchr(text, '\0', len) != NULL) {
		g_string_append_printf(errors, "%s: larger than %d bytes or contains NUL\n", path,
				       TEMPLATE_MAX_FILE);
		g_free(text);
		return NULL;
	}
	return text;
}

PdTemplateSet *
pd_template_set_load(const char *dir, GError **error)
{
	g_autoptr(GHashTable) pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							    (GDestroyNotify)file_pair_free);
	g_autoptr(GString) errors = g_string_new(NULL);
	g_autoptr(PdTemplateSet) set = g_new0(PdTemplateSet, 1);
	GHashTableIter iter;
	gpointer key, value;

	set->refs = 1;
	set->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)pd_template_free);
	collect_files(dir, "", 0, pairs, errors);
	g_hash_table_iter_init(&iter, pairs);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		FilePair *pair = value;
		g_autofree char *text = NULL, *html = NULL;
		g_autoptr(GError) local = NULL;
		PdTemplate *tpl;

		if (pair->txt == NULL) {
			g_string_append_printf(errors, "%s: an HTML part needs %s.txt beside it\n",
					       pair->html, (const char *)key);
			continue;
		}
		text = read_template_file(pair->txt, errors);
		html = pair->html != NULL ? read_template_file(pair->html, errors) : NULL;
		if (text == NULL || (pair->html != NULL && html == NULL))
			continue;
		tpl = pd_template_parse(pair->txt, text, html, &local);
		if (tpl == NULL) {
			g_string_append_printf(errors, "%s\n", local->message);
			continue;
		}
		g_free(tpl->source);
		tpl->source = g_strdup_printf("%s.txt", (const char *)key);
		g_hash_table_insert(set->by_key, g_strdup(key), tpl);
	}
	if (errors->len > 0) {
		g_string_truncate(errors, errors->len - 1);
		g_set_error_literal(error, PD_ERROR, PD_ERROR_USAGE, errors->str);
		return NULL;
	}
	return g_steal_pointer(&set);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
pd_template_set_keys(const PdTemplateSet *set)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, set->by_key);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(keys, g_strdup(key));
	g_ptr_array_sort(keys, compare_strings);
	return keys;
}

const PdTemplate *
pd_template_set_get(const PdTemplateSet *set, const char *key)
{
	return g_hash_table_lookup(set->by_key, key);
}

char *
pd_template_set_names(const PdTemplateSet *set)
{
	g_autoptr(GPtrArray) keys = pd_template_set_keys(set);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < keys->len; i++) {
		const char *slash = strrchr(keys->pdata[i], '/');
		const char *name = slash != NULL ? slash + 1 : keys->pdata[i];
		guint n;

		for (n = 0; n < names->len && strcmp(names->pdata[n], name) != 0; n++)
			;
		if (n == names->len)
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_strings);
	for (guint i = 0; i < names->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? ", " : "", (char *)names->pdata[i]);
	return g_string_free(out, FALSE);
}

PdTemplateSet *
pd_template_set_ref(PdTemplateSet *set)
{
	g_atomic_int_inc(&set->refs);
	return set;
}

void
pd_template_set_unref(PdTemplateSet *set)
{
	if (set == NULL || !g_atomic_int_dec_and_test(&set->refs))
		return;
	g_hash_table_unref(set->by_key);
	g_free(set);
}

guint
pd_template_set_size(const PdTemplateSet *set)
{
	return g_hash_table_size(set->by_key);
}

/* A lookup segment: safe characters only, or NULL to skip it. */
static char *
segment(const char *text)
{
	char *s;

	if (text == NULL || *text == '\0' || strlen(text) > 64)
		return NULL;
	s = g_ascii_strdown(text, -1);
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '_')
			*p = '-';
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.') {
			g_free(s);
			return NULL;
		}
	}
	if (s[0] == '.') {
		g_free(s);
		return NULL;
	}
	return s;
}

const PdTemplate *
pd_template_set_lookup(const PdTemplateSet *set, const char *name, const char *queue,
		       const char *lang, GError **error)
{
	g_autofree char *q = segment(queue);
	g_autofree char *l = segment(lang);
	g_autofree char *base = NULL;
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	const char *langs[2];
	guint nlangs = 0;

	if (l != NULL) {
		char *dash = strchr(l, '-');

		langs[nlangs++] = l;
		if (dash != NULL) {
			base = g_strndup(l, dash - l);
			langs[nlangs++] = base;
		}
	}
	for (guint i = 0; q != NULL && i < nlangs; i++)
		g_ptr_array_add(keys, g_strdup_printf("%s/%s/%s", q, langs[i], name));
	if (q != NULL)
		g_ptr_array_add(keys, g_strdup_printf("%s/%s", q, name));
	for (guint i = 0; i < nlangs; i++)
		g_ptr_array_add(keys, g_strdup_printf("%s/%s", langs[i], name));
	g_ptr_array_add(keys, g_strdup(name));
	for (guint i = 0; i < keys->len; i++) {
		const PdTemplate *tpl = g_hash_table_lookup(set->by_key, keys->pdata[i]);

		if (tpl != NULL)
			return tpl;
	}
	g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "no template \"%s\" (queue %s, language %s)",
		    name, queue != NULL ? queue : "-", lang != NULL ? lang : "-");
	return NULL;
}

const char *
pd_template_source(const PdTemplate *tpl)
{
	return tpl->source;
}
