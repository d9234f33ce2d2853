/* pd-setting: the generic loader of the configuration tables (pd-setting.h).
 *
 * Reads the file with GKeyFile (quoting, escapes) and scans it a second
 * time for what GKeyFile does not keep: the line of every section and key,
 * so every error and warning names file:line.  Owns nothing after the load
 * but what it stored in the layers' structs.
 */
#include "pd-setting-private.h"
#include "pd-address.h"
#include "pd-error.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* --- where things are in the file ----------------------------------------- */

static char *
line_key(const char *section, const char *key)
{
	return key != NULL ? g_strconcat(section, "\n", key, NULL) : g_strdup(section);
}

/* Records the line of each section (its first header) and key (its last
 * assignment, the one GKeyFile keeps).  Returns the first line that is no
 * section, key, comment or blank line (0: none), for GKeyFile's errors. */
static guint
scan_lines(const char *data, GHashTable *lines)
{
	g_auto(GStrv) text = g_strsplit(data, "\n", -1);
	g_autofree char *section = NULL;
	guint bad = 0;

	for (guint i = 0; text[i] != NULL; i++) {
		char *line = g_strstrip(text[i]);
		char *eq;

		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[' && strrchr(line, ']') != NULL) {
			g_free(section);
			section = g_strndup(line + 1, strrchr(line, ']') - line - 1);
			if (!g_hash_table_contains(lines, section))
				g_hash_table_insert(lines, g_strdup(section), GUINT_TO_POINTER(i + 1));
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL || section == NULL) {
			if (bad == 0)
				bad = i + 1;
			continue;
		}
		*eq = '\0';
		g_hash_table_insert(lines, line_key(section, g_strchomp(line)),
				    GUINT_TO_POINTER(i + 1));
	}
	return bad;
}

static guint
load_line(PdConfigLoad *load, const char *section, const char *key)
{
	g_autofree char *k = NULL;
	gpointer line;

	if (section == NULL)
		return 0;
	if (key != NULL) {
		k = line_key(section, key);
		line = g_hash_table_lookup(load->lines, k);
		if (line != NULL)
			return GPOINTER_TO_UINT(line);
	}
	return GPOINTER_TO_UINT(g_hash_table_lookup(load->lines, section));
}

static char *
load_where(PdConfigLoad *load, const char *section, const char *key, const char *text)
{
	guint line = load_line(load, section, key);

	if (line > 0)
		return g_strdup_printf("%s:%u: %s", load->name, line, text);
	return g_strdup_printf("%s: %s", load->name, text);
}

/* Messages in the order of their lines (those of no line last), so a
 * postmaster reads them as the file goes. */
static void
load_add(PdConfigLoad *load, GPtrArray *to, const char *section, const char *key,
	 const char *format, va_list args)
{
	g_autofree char *text = g_strdup_vprintf(format, args);
	GArray *lines = to == load->errors ? load->error_lines : load->warning_lines;
	guint line = load_line(load, section, key), at;

	for (at = 0; at < lines->len; at++) {
		guint other = g_array_index(lines, guint, at);

		if (line != 0 && (other == 0 || other > line))
			break;
	}
	g_array_insert_val(lines, at, line);
	g_ptr_array_insert(to, (gint)at, load_where(load, section, key, text));
}

void
pd_config_error(PdConfigLoad *load, const char *section, const char *key,
		const char *format, ...)
{
	va_list args;

	va_start(args, format);
	load_add(load, load->errors, section, key, format, args);
	va_end(args);
}

void
pd_config_warning(PdConfigLoad *load, const char *section, const char *key,
		  const char *format, ...)
{
	va_list args;

	va_start(args, format);
	load_add(load, load->config->warnings, section, key, format, args);
	va_end(args);
}

gboolean
pd_config_load_is_set(PdConfigLoad *load, const char *section, const char *key)
{
	return g_key_file_has_key(load->kf, section, key, NULL);
}

void
pd_config_need_template(PdConfigLoad *load, const char *name, const char *feature)
{
	PdTemplateNeed need = { name, feature };

	g_array_append_val(load->config->needed_templates, need);
}

/* --- "did you mean" ------------------------------------------------------- */

guint
pd_setting_distance(const char *a, const char *b)
{
	gsize n = strlen(a), m = strlen(b);
	g_autofree guint *d = g_new0(guint, (n + 1) * (m + 1));
#define D(i, j) d[(i) * (m + 1) + (j)]

	for (gsize i = 0; i <= n; i++)
		D(i, 0) = i;
	for (gsize j = 0; j <= m; j++)
		D(0, j) = j;
	for (gsize i = 1; i <= n; i++) {
		for (gsize j = 1; j <= m; j++) {
			guint cost = g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]);
			guint best = MIN(D(i - 1, j) + 1, D(i, j - 1) + 1);

			best = MIN(best, D(i - 1, j - 1) + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				best = MIN(best, D(i - 2, j - 2) + 1);
			D(i, j) = best;
		}
	}
	return D(n, m);
#undef D
}

/* The closest of candidates to word, when it is close enough to be a typo. */
static const char *
closest(const char *word, GPtrArray *candidates)
{
	const char *best = NULL;
	guint best_distance = G_MAXUINT;

	for (guint i = 0; i < candidates->len; i++) {
		guint d = pd_setting_distance(word, candidates->pdata[i]);

		if (d < best_distance) {
			best = candidates->pdata[i];
			best_distance = d;
		}
	}
	return best != NULL && best_distance <= MAX(2, strlen(word) / 4) &&
	       best_distance < strlen(word) ? best : NULL;
}

/* --- values --------------------------------------------------------------- */

static gboolean
parse_bool(const char *text, gboolean *value_r)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	g_autofree char *lower = g_ascii_strdown(text, -1);

	if (g_strv_contains(yes, lower))
		*value_r = TRUE;
	else if (g_strv_contains(no, lower))
		*value_r = FALSE;
	else
		return FALSE;
	return TRUE;
}

static gboolean
parse_size(const char *text, gboolean suffix, guint64 *value_r)
{
	char *end;
	guint64 value, mult = 1;

	if (!g_ascii_isdigit(*text))
		return FALSE;
	value = g_ascii_strtoull(text, &end, 10);
	if (suffix) {
		switch (g_ascii_tolower(*end)) {
		case 'k': mult = 1024; end++; break;
		case 'm': mult = 1024 * 1024; end++; break;
		case 'g': mult = 1024 * 1024 * 1024; end++; break;
		}
	}
	if (*end != '\0' || value > G_MAXUINT64 / mult)
		return FALSE;
	*value_r = value * mult;
	return TRUE;
}

static gboolean
parse_msec(const char *text, guint64 *ms_r)
{
	char *end = NULL;
	double seconds = g_ascii_strtod(text, &end);

	if (end == text || *end != '\0' || !isfinite(seconds) || seconds < 0 ||
	    seconds > G_MAXUINT / 1000)
		return FALSE;
	*ms_r = seconds > 0 ? MAX(1, (guint64)(seconds * 1000.0)) : 0;
	return TRUE;
}

gboolean
pd_setting_parse_duration(const char *text, gint64 *seconds_r)
{
	static const struct { char unit; gint64 seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
	};
	g_autofree char *copy = NULL;
	gsize len;
	gint64 factor = 1;
	guint64 n;

	if (text == NULL)
		return FALSE;
	copy = g_strstrip(g_strdup(text));
	len = strlen(copy);
	if (len == 0)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
		if (g_ascii_tolower(copy[len - 1]) == units[i].unit) {
			factor = units[i].seconds;
			copy[--len] = '\0';
			break;
		}
	}
	if (len == 0 || !g_ascii_string_to_unsigned(copy, 10, 1, G_MAXINT32, &n, NULL) ||
	    (gint64)n > G_MAXINT64 / factor / 1000)
		return FALSE;
	*seconds_r = (gint64)n * factor;
	return TRUE;
}

static GPtrArray *
parse_list(const char *text, const char *separators)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = NULL;

	if (text == NULL)
		return list;
	parts = g_strsplit_set(text, separators != NULL ? separators : ", \t", -1);
	for (guint i = 0; parts[i] != NULL; i++)
		if (*g_strstrip(parts[i]) != '\0')
			g_ptr_array_add(list, g_strdup(parts[i]));
	return list;
}

static char *
enum_names(const char *const *values)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; values[i] != NULL; i++)
		g_string_append_printf(out, "%s%s", i == 0 ? "" : values[i + 1] == NULL ? " or " :
				       ", ", values[i]);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Stores text (never NULL) in field; FALSE with what it must be. */
static gboolean
setting_store(const PdSetting *s, const char *text, gpointer field, char **expected_r)
{
	guint64 n;

	switch (s->type) {
	case PD_SETTING_BOOL:
		if (parse_bool(text, field))
			return TRUE;
		*expected_r = g_strdup("yes or no");
		return FALSE;
	case PD_SETTING_UINT:
	case PD_SETTING_SIZE:
		if (parse_size(text, s->type == PD_SETTING_SIZE, &n) && n >= s->min && n <= s->max) {
			if (s->type == PD_SETTING_UINT)
				*(guint *)field = (guint)n;
			else
				*(gsize *)field = (gsize)n;
			return TRUE;
		}
		*expected_r = g_strdup_printf("a number from %" G_GUINT64_FORMAT " to %"
					      G_GUINT64_FORMAT "%s", s->min, s->max,
					      s->type == PD_SETTING_SIZE
					      ? " (bytes; k, M or G may follow)" : "");
		return FALSE;
	case PD_SETTING_MSEC:
		if (parse_msec(text, &n) && n >= s->min && n <= s->max) {
			*(guint *)field = (guint)n;
			return TRUE;
		}
		*expected_r = g_strdup_printf("a number of seconds from %g to %g",
					      s->min / 1000.0, s->max / 1000.0);
		return FALSE;
	case PD_SETTING_DURATION:
		if (pd_setting_parse_duration(text, field) &&
		    *(gint64 *)field >= (gint64)s->min && *(gint64 *)field <= (gint64)s->max)
			return TRUE;
		*expected_r = g_strdup("a duration such as 30d, 12h, 90m or 3600 (seconds)");
		return FALSE;
	case PD_SETTING_STRING:
		*(char **)field = g_strdup(text);
		return TRUE;
	case PD_SETTING_LIST:
		*(GPtrArray **)field = parse_list(text, s->separators);
		return TRUE;
	case PD_SETTING_ENUM:
		for (guint i = 0; s->values[i] != NULL; i++) {
			if (g_ascii_strcasecmp(text, s->values[i]) == 0) {
				*(int *)field = (int)i;
				return TRUE;
			}
		}
		*expected_r = enum_names(s->values);
		return FALSE;
	case PD_SETTING_ADDRESS:
		*(char **)field = pd_address_canonicalize(text, NULL);
		if (*(char **)field != NULL)
			return TRUE;
		*expected_r = g_strdup("not a mail address");
		return FALSE;
	}
	g_assert_not_reached();
}

/* One key of one section into values. */
static void
setting_load(PdConfigLoad *load, const char *section, const PdSetting *s, gpointer values)
{
	gpointer field = (char *)values + s->offset;
	g_autofree char *text = g_key_file_get_string(load->kf, section, s->key, NULL);
	g_autofree char *expected = NULL;
	g_autoptr(GError) error = NULL;
	const char *value;

	/* an empty text value is no value; an empty number is a bad one */
	if (text != NULL && *g_strstrip(text) == '\0' && !(s->flags & PD_SETTING_EMPTY_OK) &&
	    (s->type == PD_SETTING_STRING || s->type == PD_SETTING_ADDRESS ||
	     s->type == PD_SETTING_LIST))
		g_clear_pointer(&text, g_free);
	if (text == NULL && (s->flags & PD_SETTING_REQUIRED) &&
	    g_key_file_has_group(load->kf, section)) {
		pd_config_error(load, section, NULL, "[%s] %s is required", section, s->key);
		return;
	}
	value = text != NULL ? text : s->def;
	if (value == NULL) {
		if (s->type == PD_SETTING_LIST)
			*(GPtrArray **)field = parse_list(NULL, NULL);
		return;
	}
	if (!setting_store(s, value, field, &expected)) {
		if (text == NULL)
			g_error("[%s] %s: the default \"%s\" is not %s", section, s->key, s->def,
				expected);
		pd_config_error(load, section, s->key, "[%s] %s = %s: %s", section, s->key, text,
				expected);
		return;
	}
	if (s->check != NULL && !s->check(field, &error))
		pd_config_error(load, section, s->key, "[%s] %s = %s: %s", section, s->key, value,
				error->message);
}

static void
table_load(PdConfigLoad *load, const PdConfigTable *table, const char *section, gpointer values)
{
	for (const PdSetting *s = table->settings; s->key != NULL; s++)
		setting_load(load, section, s, values);
}

/* --- the sections --------------------------------------------------------- */

/* The NAME of "[queue NAME]" for a named table, or NULL. */
static const char *
named_part(const PdConfigTable *table, const char *group)
{
	gsize len = strlen(table->section);

	if (!table->named || strncmp(group, table->section, len) != 0 ||
	    (group[len] != ' ' && group[len] != '\0'))
		return NULL;
	return group + len;
}

static gboolean
table_covers(const PdConfigTable *table, const char *group)
{
	return table->named ? named_part(table, group) != NULL
			    : strcmp(table->section, group) == 0;
}

/* Unknown sections and keys, each with its line and a suggestion. */
static void
check_names(PdConfigLoad *load, char **groups)
{
	for (guint g = 0; groups[g] != NULL; g++) {
		g_autoptr(GPtrArray) keys = g_ptr_array_new();
		g_autoptr(GPtrArray) sections = g_ptr_array_new_with_free_func(g_free);
		g_auto(GStrv) present = NULL;
		gboolean known = FALSE;

		for (guint t = 0; t < load->tables->len; t++) {
			const PdConfigTable *table = load->tables->pdata[t];
			const char *space = strchr(groups[g], ' ');

			if (!table_covers(table, groups[g])) {
				g_ptr_array_add(sections, table->named
						? g_strconcat(table->section, space != NULL ? space
							      : " NAME", NULL)
						: g_strdup(table->section));
				continue;
			}
			known = TRUE;
			for (const PdSetting *s = table->settings; s->key != NULL; s++)
				g_ptr_array_add(keys, (gpointer)s->key);
		}
		if (!known) {
			const char *guess = closest(groups[g], sections);

			pd_config_error(load, groups[g], NULL, "unknown section [%s]%s%s%s", groups[g],
					guess != NULL ? "; did you mean [" : "",
					guess != NULL ? guess : "", guess != NULL ? "]?" : "");
			continue;
		}
		present = g_key_file_get_keys(load->kf, groups[g], NULL, NULL);
		for (guint k = 0; present != NULL && present[k] != NULL; k++) {
			const char *guess;

			if (g_ptr_array_find_with_equal_func(keys, present[k], g_str_equal, NULL))
				continue;
			guess = closest(present[k], keys);
			pd_config_error(load, groups[g], present[k], "unknown key '%s' in [%s]%s%s%s",
					present[k], groups[g],
					guess != NULL ? "; did you mean '" : "",
					guess != NULL ? guess : "", guess != NULL ? "'?" : "");
		}
	}
}

static gboolean
check_version(PdConfigLoad *load)
{
	g_autofree char *version = g_key_file_get_string(load->kf, "postdesk", "config_version",
							NULL);

	if (version == NULL) {
		pd_config_error(load, "postdesk", NULL, "[postdesk] config_version is missing "
				"(this release reads version %d)", PD_CONFIG_VERSION);
		return FALSE;
	}
	if (strcmp(g_strstrip(version), G_STRINGIFY(PD_CONFIG_VERSION)) != 0) {
		pd_config_error(load, "postdesk", "config_version",
				"[postdesk] config_version = %s: this release reads version %d "
				"(see config_version in postdesk.conf(5))", version, PD_CONFIG_VERSION);
		return FALSE;
	}
	return TRUE;
}

static gpointer
table_values(PdConfig *config, const PdConfigTable *table)
{
	return table->size == 0 ? (gpointer)config : g_malloc0(table->size);
}

/* Every table's structs, parsed; then finish and review in table order. */
static void
load_tables(PdConfigLoad *load, char **groups)
{
	PdConfig *config = load->config;

	for (guint t = 0; t < load->tables->len; t++) {
		const PdConfigTable *table = load->tables->pdata[t];
		GPtrArray *named;
		gpointer values;

		if (!table->named) {
			values = table_values(config, table);
			g_hash_table_insert(config->layers, (gpointer)table, values);
			table_load(load, table, table->section, values);
			continue;
		}
		named = g_ptr_array_new();
		g_hash_table_insert(config->layers, (gpointer)table, named);
		for (guint g = 0; groups[g] != NULL; g++) {
			if (named_part(table, groups[g]) == NULL)
				continue;
			values = g_malloc0(table->size);
			g_ptr_array_add(named, values);
			table_load(load, table, groups[g], values);
		}
	}
	if (load->errors->len > 0)
		return;
	for (guint t = 0; t < load->tables->len; t++) {
		const PdConfigTable *table = load->tables->pdata[t];
		gpointer values = g_hash_table_lookup(config->layers, table);
		guint done = 0;

		if (table->finish == NULL)
			continue;
		if (!table->named) {
			table->finish(values, NULL, config, load);
			continue;
		}
		for (guint g = 0; groups[g] != NULL; g++) {
			const char *name = named_part(table, groups[g]);

			if (name != NULL)
				table->finish(((GPtrArray *)values)->pdata[done++], name, config, load);
		}
	}
	if (load->errors->len > 0)
		return;
	for (guint t = 0; t < load->tables->len; t++) {
		const PdConfigTable *table = load->tables->pdata[t];
		gpointer values = g_hash_table_lookup(config->layers, table);

		if (table->review != NULL)
			table->review(values, config, load);
	}
}

gboolean
pd_setting_load(PdConfig *config, const char *name, const char *data, GPtrArray *tables,
		GError **error)
{
	PdConfigLoad load = { .config = config, .name = name, .tables = tables };
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) groups = NULL;
	gboolean ok;
	guint bad;

	load.kf = g_key_file_new();
	load.lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	load.errors = g_ptr_array_new_with_free_func(g_free);
	load.error_lines = g_array_new(FALSE, FALSE, sizeof(guint));
	load.warning_lines = g_array_new(FALSE, FALSE, sizeof(guint));
	bad = scan_lines(data, load.lines);
	if (!g_key_file_load_from_data(load.kf, data, -1, G_KEY_FILE_NONE, &local)) {
		if (bad > 0)
			g_ptr_array_add(load.errors, g_strdup_printf("%s:%u: %s", name, bad,
								      local->message));
		else
			g_ptr_array_add(load.errors, g_strdup_printf("%s: %s", name,
								      local->message));
	} else if (check_version(&load)) {
		groups = g_key_file_get_groups(load.kf, NULL);
		for (guint g = 0; groups[g] != NULL; g++)
			g_hash_table_add(config->sections, g_strdup(groups[g]));
		check_names(&load, groups);
		load_tables(&load, groups);
	}
	ok = load.errors->len == 0;
	if (!ok) {
		g_autofree char *text = NULL;

		g_ptr_array_add(load.errors, NULL);
		text = g_strjoinv("\n", (char **)load.errors->pdata);
		g_set_error_literal(error, PD_ERROR, PD_ERROR_USAGE, text);
	}
	g_key_file_unref(load.kf);
	g_hash_table_unref(load.lines);
	g_ptr_array_unref(load.errors);
	g_array_unref(load.error_lines);
	g_array_unref(load.warning_lines);
	return ok;
}

/* --- freeing -------------------------------------------------------------- */

static void
values_clear(const PdConfigTable *table, gpointer values)
{
	if (table->clear != NULL)
		table->clear(values);
	for (const PdSetting *s = table->settings; s->key != NULL; s++) {
		gpointer field = (char *)values + s->offset;

		if (s->type == PD_SETTING_STRING || s->type == PD_SETTING_ADDRESS)
			g_clear_pointer((char **)field, g_free);
		else if (s->type == PD_SETTING_LIST)
			g_clear_pointer((GPtrArray **)field, g_ptr_array_unref);
	}
	if (table->size > 0)
		g_free(values);
}

void
pd_setting_free(const PdConfigTable *table, gpointer values)
{
	if (values == NULL)
		return;
	if (!table->named) {
		values_clear(table, values);
		return;
	}
	for (guint i = 0; i < ((GPtrArray *)values)->len; i++)
		values_clear(table, ((GPtrArray *)values)->pdata[i]);
	g_ptr_array_unref(values);
}
