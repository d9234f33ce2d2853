/* pd-filter: the settings, the compiled scripts, one delivery's run.
 *
 * A run takes each script in order over the same PdFilterRun message; the
 * score carries from one script to the next.  Each script's built-in
 * actions (keep, fileinto, redirect, discard, reject, ereject; imap4flags'
 * flags) and its vnd.postdesk actions become PdFilterActions; then the
 * outcome's ticket fields are drawn from them (the last queue wins, tags
 * add up) and pd_filter_decide says what becomes of the mail.
 */
#include "pd-filter-private.h"
#include "ticket/pd-plan.h"
#include "core/pd-error.h"
#include "core/pd-json.h"
#include "core/pd-log.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- settings ---- */

#define PD_FILTER_DEFAULT_HOLD 5.0
#define PD_FILTER_DEFAULT_QUARANTINE 10.0

static gboolean
filter_parse_score(const char *text, double *score_r)
{
	char *end = NULL;
	double v;

	if (text == NULL)
		return FALSE;
	errno = 0;
	v = g_ascii_strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || isnan(v) || isinf(v) ||
	    v < -10000 || v > 10000)
		return FALSE;
	*score_r = v;
	return TRUE;
}

static gboolean
check_score(gconstpointer field, GError **error)
{
	const char *text = *(const char *const *) field;
	double v;

	if (text == NULL || filter_parse_score(text, &v))
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "must be a number of points, e.g. 5 or 7.5");
	return FALSE;
}

#define FILTERS(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdFilterSettings, f)
#define SPAM(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdSpamSettings, f)

static const PdSetting filter_settings_rows[] = {
	{ FILTERS("dir", PD_SETTING_STRING, dir) },
	{ FILTERS("scripts", PD_SETTING_LIST, scripts) },
	{ NULL }
};

static const PdSetting spam_settings_rows[] = {
	{ SPAM("hold", PD_SETTING_STRING, hold_text), .def = "5", .check = check_score },
	{ SPAM("quarantine", PD_SETTING_STRING, quarantine_text), .def = "10",
	  .check = check_score },
	{ SPAM("quarantine_days", PD_SETTING_DURATION, quarantine_days), .def = "30d",
	  .min = 3600, .max = G_GINT64_CONSTANT(3650) * 86400 },
	{ NULL }
};

static gboolean
filter_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdFilterSettings *s = values;

	if (s->scripts != NULL && s->scripts->len > 0 && s->dir == NULL)
		pd_config_error(load, "filters", "scripts",
				"needs [filters] dir: the folder the scripts are in");
	if (s->dir != NULL && !g_path_is_absolute(s->dir) && config->path != NULL) {
		g_autofree char *base = g_path_get_dirname(config->path);
		char *full = g_build_filename(base, s->dir, NULL);

		g_free(s->dir);
		s->dir = full;
	}
	return TRUE;
}

static gboolean
spam_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdSpamSettings *s = values;

	if (!filter_parse_score(s->hold_text, &s->hold))
		s->hold = PD_FILTER_DEFAULT_HOLD;
	if (!filter_parse_score(s->quarantine_text, &s->quarantine))
		s->quarantine = PD_FILTER_DEFAULT_QUARANTINE;
	if (s->quarantine < s->hold)
		pd_config_error(load, "spam", "quarantine",
				"must not be below [spam] hold (%g): what is quarantined "
				"would otherwise never be held first", s->hold);
	return TRUE;
}

const PdConfigTable pd_filter_table = {
	.section = "filters", .size = sizeof(PdFilterSettings), .settings = filter_settings_rows,
	.finish = filter_finish,
};

const PdConfigTable pd_spam_table = {
	.section = "spam", .size = sizeof(PdSpamSettings), .settings = spam_settings_rows,
	.finish = spam_finish,
};

const PdFilterSettings *
pd_filter_settings(const PdConfig *config)
{
	return pd_config_layer(config, &pd_filter_table);
}

const PdSpamSettings *
pd_spam_settings(const PdConfig *config)
{
	return pd_config_layer(config, &pd_spam_table);
}

void
pd_filter_thresholds(const PdConfig *config, const PdQueueConfig *queue, double *hold_r,
		     double *quarantine_r)
{
	const PdSpamSettings *s = config != NULL ? pd_spam_settings(config) : NULL;

	*hold_r = s != NULL ? s->hold : PD_FILTER_DEFAULT_HOLD;
	*quarantine_r = s != NULL ? s->quarantine : PD_FILTER_DEFAULT_QUARANTINE;
	if (queue != NULL) {
		filter_parse_score(queue->spam_hold, hold_r);
		filter_parse_score(queue->spam_quarantine, quarantine_r);
	}
}

/* ---- actions and hits ---- */

PdFilterAction *
pd_filter_action_new(const char *action, const char *value, const char *script, guint line)
{
	PdFilterAction *a = g_new0(PdFilterAction, 1);

	a->action = g_strdup(action);
	a->value = g_strdup(value);
	a->script = script;
	a->line = line;
	return a;
}

void
pd_filter_action_free(gpointer data)
{
	PdFilterAction *a = data;

	if (a == NULL)
		return;
	g_free(a->action);
	g_free(a->value);
	g_free(a);
}

PdFilterHit *
pd_filter_hit_new(const char *name, double points)
{
	PdFilterHit *hit = g_new0(PdFilterHit, 1);

	hit->name = g_strdup(name);
	hit->points = points;
	return hit;
}

void
pd_filter_hit_free(gpointer data)
{
	PdFilterHit *hit = data;

	if (hit == NULL)
		return;
	g_free(hit->name);
	g_free(hit);
}

void
pd_filter_outcome_init(PdFilterOutcome *outcome)
{
	memset(outcome, 0, sizeof(*outcome));
	outcome->hits = g_ptr_array_new_with_free_func(pd_filter_hit_free);
	outcome->actions = g_ptr_array_new_with_free_func(pd_filter_action_free);
	outcome->errors = g_ptr_array_new_with_free_func(g_free);
	outcome->tags = g_ptr_array_new_with_free_func(g_free);
	outcome->forwards = g_ptr_array_new_with_free_func(g_free);
}

void
pd_filter_outcome_clear(PdFilterOutcome *outcome)
{
	g_clear_pointer(&outcome->hits, g_ptr_array_unref);
	g_clear_pointer(&outcome->actions, g_ptr_array_unref);
	g_clear_pointer(&outcome->errors, g_ptr_array_unref);
	g_clear_pointer(&outcome->tags, g_ptr_array_unref);
	g_clear_pointer(&outcome->forwards, g_ptr_array_unref);
	g_clear_pointer(&outcome->reason, g_free);
	g_clear_pointer(&outcome->queue, g_free);
	g_clear_pointer(&outcome->group, g_free);
	g_clear_pointer(&outcome->priority, g_free);
	g_clear_pointer(&outcome->category, g_free);
	g_clear_pointer(&outcome->assign, g_free);
	g_clear_pointer(&outcome->reply, g_free);
}

static void
json_number(PdJson *json, const char *key, double value)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (isnan(value) || isinf(value))
		value = 0;
	/* round to 1/1000 so 0.1 + 0.2 prints as 0.3 */
	value = round(value * 1000) / 1000;
	g_ascii_formatd(buf, sizeof(buf), "%.10g", value);
	pd_json_add_raw(json, key, buf);
}

static void
outcome_members(PdJson *json, gconstpointer data)
{
	const PdFilterOutcome *o = data;

	json_number(json, "score", o->score);
	pd_json_begin_array(json, "rules");
	for (guint i = 0; i < o->hits->len; i++) {
		const PdFilterHit *hit = o->hits->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "name", hit->name);
		json_number(json, "points", hit->points);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_begin_array(json, "actions");
	for (guint i = 0; i < o->actions->len; i++) {
		const PdFilterAction *a = o->actions->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "action", a->action);
		pd_json_add_string(json, "value", a->value);
		pd_json_add_string(json, "script", a->script);
		pd_json_add_int(json, "line", a->line);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_add_string(json, "disposition", pd_disposition_name(o->disposition));
	pd_json_add_string(json, "reason", o->reason);
	pd_json_add_bool(json, "by_score", o->by_score);
	pd_json_add_string(json, "queue", o->queue);
	pd_json_add_string(json, "group", o->group);
	pd_json_add_string(json, "priority", o->priority);
	pd_json_add_string(json, "category", o->category);
	pd_json_add_string(json, "assign", o->assign);
	pd_json_add_string(json, "reply", o->reply);
	pd_json_add_bool(json, "noack", o->noack);
	pd_json_add_strings(json, "tags", o->tags);
	pd_json_add_strings(json, "forwards", o->forwards);
	pd_json_add_strings(json, "errors", o->errors);
}

char *
pd_filter_outcome_json(const PdFilterOutcome *outcome)
{
	return pd_json_object(outcome_members, outcome);
}

char *
pd_filter_outcome_summary(const PdFilterOutcome *outcome)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "score=%g", round(outcome->score * 1000) / 1000);
	if (outcome->hits->len > 0) {
		g_string_append(out, " (");
		for (guint i = 0; i < outcome->hits->len && i < 20; i++) {
			const PdFilterHit *hit = outcome->hits->pdata[i];

			g_string_append_printf(out, "%s%s %g", i > 0 ? ", " : "", hit->name,
					       hit->points);
		}
		g_string_append(out, outcome->hits->len > 20 ? ", ...)" : ")");
	}
	return g_string_free(out, FALSE);
}

/* ---- the set ---- */

struct _PdFilterSet {
	gint refs;
	GPtrArray *names;	/* char * */
	GPtrArray *scripts;	/* PdSieveScript * */
};

static const PdSieveExtension *const filter_extensions[] = { &pd_filter_postdesk, NULL };

static PdFilterSet *
filter_set_alloc(void)
{
	PdFilterSet *set = g_new0(PdFilterSet, 1);

	set->refs = 1;
	set->names = g_ptr_array_new_with_free_func(g_free);
	set->scripts = g_ptr_array_new_with_free_func((GDestroyNotify) pd_sieve_script_free);
	return set;
}

/* Compile one script into set, or append its errors to errors. */
static void
filter_set_add(PdFilterSet *set, const char *name, const char *text, gsize len,
	       GString *errors)
{
	g_autoptr(GPtrArray) compile_errors = NULL;
	PdSieveScript *script = pd_sieve_compile_with(name, text, len, NULL, filter_extensions,
						      &compile_errors);

	if (script == NULL) {
		for (guint i = 0; i < compile_errors->len; i++)
			g_string_append_printf(errors, "%s%s", errors->len > 0 ? "\n" : "",
					       (char *) compile_errors->pdata[i]);
		return;
	}
	g_ptr_array_add(set->names, g_strdup(name));
	g_ptr_array_add(set->scripts, script);
}

PdFilterSet *
pd_filter_set_new(const char *const *names, const char *const *texts, guint n, GError **error)
{
	g_autoptr(PdFilterSet) set = filter_set_alloc();
	g_autoptr(GString) errors = g_string_new(NULL);

	for (guint i = 0; i < n; i++)
		filter_set_add(set, names[i], texts[i], strlen(texts[i]), errors);
	if (errors->len > 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", errors->str);
		return NULL;
	}
	return g_steal_pointer(&set);
}

PdFilterSet *
pd_filter_set_load(const PdConfig *config, GError **error)
{
	const PdFilterSettings *s = pd_filter_settings(config);
	g_autoptr(PdFilterSet) set = filter_set_alloc();
	g_autoptr(GString) errors = g_string_new(NULL);

	for (guint i = 0; s->scripts != NULL && i < s->scripts->len; i++) {
		const char *script = s->scripts->pdata[i];
		g_autofree char *path = g_path_is_absolute(script) ? g_strdup(script)
					: g_build_filename(s->dir != NULL ? s->dir : ".", script, NULL);
		g_autofree char *text = NULL;
		g_autoptr(GError) local = NULL;
		gsize len = 0;

		if (!g_file_get_contents(path, &text, &len, &local)) {
			g_string_append_printf(errors, "%s%s: %s", errors->len > 0 ? "\n" : "", path,
					       local->message);
			continue;
		}
		filter_set_add(set, path, text, len, errors);
	}
	if (errors->len > 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", errors->str);
		return NULL;
	}
	return g_steal_pointer(&set);
}

PdFilterSet *
pd_filter_set_ref(PdFilterSet *set)
{
	g_atomic_int_inc(&set->refs);
	return set;
}

void
pd_filter_set_unref(PdFilterSet *set)
{
	if (set == NULL || !g_atomic_int_dec_and_test(&set->refs))
		return;
	g_ptr_array_unref(set->scripts);
	g_ptr_array_unref(set->names);
	g_free(set);
}

guint
pd_filter_set_count(const PdFilterSet *set)
{
	return set != NULL ? set->scripts->len : 0;
}

/* ---- a run ---- */

static void
add_once(GPtrArray *list, const char *value)
{
	for (guint i = 0; i < list->len; i++)
		if (g_ascii_strcasecmp(list->pdata[i], value) == 0)
			return;
	g_ptr_array_add(list, g_strdup(value));
}

/* A script's built-in actions, as PdFilterActions (flags become tags). */
static void
run_builtin_actions(const PdSieveResult *result, const char *script, GPtrArray *actions)
{
	for (guint i = 0; i < result->actions->len; i++) {
		const PdSieveAction *a = result->actions->pdata[i];
		const char *name = pd_sieve_action_name(a->kind);

		if (a->kind == PD_SIEVE_KEEP && a->implicit)
			continue;	/* nothing decided */
		if (a->kind == PD_SIEVE_REDIRECT)
			name = "redirect";
		g_ptr_array_add(actions, pd_filter_action_new(name, a->argument, script, a->line));
		for (guint f = 0; a->flags != NULL && f < a->flags->len; f++) {
			const char *flag = a->flags->pdata[f];

			/* system flags (\Seen, \Flagged) mean nothing to a ticket */
			if (flag[0] != '\\')
				g_ptr_array_add(actions, pd_filter_action_new("tag", flag, script,
									      a->line));
		}
	}
}

static void
replace(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

/* The ticket's fields from the actions; unknown queues are errors. */
static void
outcome_fields(PdFilterOutcome *o, const PdConfig *config)
{
	for (guint i = 0; i < o->actions->len; i++) {
		const PdFilterAction *a = o->actions->pdata[i];

		if (strcmp(a->action, "queue") == 0 || strcmp(a->action, "fileinto") == 0) {
			if (config == NULL || pd_config_queue_named(config, a->value) != NULL)
				replace(&o->queue, a->value);
			else
				g_ptr_array_add(o->errors,
						g_strdup_printf("%s:%u: %s \"%s\": no such queue; "
								"the mail stays in its queue",
								a->script, a->line, a->action,
								a->value));
		} else if (strcmp(a->action, "group") == 0) {
			replace(&o->group, a->value);
		} else if (strcmp(a->action, "priority") == 0) {
			replace(&o->priority, a->value);
		} else if (strcmp(a->action, "category") == 0) {
			g_autofree char *known = NULL;

			if (config == NULL || pd_category_allowed(config, a->value, &known))
				replace(&o->category, a->value);
			else
				g_ptr_array_add(o->errors,
						g_strdup_printf("%s:%u: category \"%s\": not one of"
								" the configured categories (%s);"
								" the ticket keeps its own",
								a->script, a->line, a->value, known));
		} else if (strcmp(a->action, "assign") == 0) {
			replace(&o->assign, a->value);
		} else if (strcmp(a->action, "reply") == 0) {
			replace(&o->reply, a->value);
		} else if (strcmp(a->action, "noack") == 0) {
			o->noack = TRUE;
		} else if (strcmp(a->action, "tag") == 0) {
			add_once(o->tags, a->value);
		} else if (strcmp(a->action, "forward") == 0 || strcmp(a->action, "redirect") == 0) {
			add_once(o->forwards, a->value);
		}
	}
}

void
pd_filter_run(const PdFilterSet *set, const PdConfig *config, const PdFilterInput *input,
	      PdFilterOutcome *outcome_r)
{
	double hold, quarantine;
	const PdQueueConfig *final_queue;

	pd_filter_outcome_init(outcome_r);
	pd_filter_thresholds(config, input->queue, &hold, &quarantine);
	for (guint i = 0; set != NULL && i < set->scripts->len; i++) {
		const char *name = set->names->pdata[i];
		g_autoptr(PdSieveResult) result = NULL;
		PdFilterRun run;

		pd_filter_run_init(&run, input, name, outcome_r->score, quarantine);
		result = pd_sieve_run(set->scripts->pdata[i], &run.message);
		outcome_r->ran = TRUE;
		for (guint e = 0; e < result->errors->len; e++)
			g_ptr_array_add(outcome_r->errors, g_strdup(result->errors->pdata[e]));
		if (!result->failed) {
			/* in the order taken: vnd.postdesk actions as they ran,
			 * then the built-in ones (RFC 5228 executes those at the
			 * end of the script) */
			outcome_r->score = run.score;
			g_ptr_array_extend_and_steal(outcome_r->hits, g_steal_pointer(&run.hits));
			g_ptr_array_extend_and_steal(outcome_r->actions,
						     g_steal_pointer(&run.actions));
			run_builtin_actions(result, name, outcome_r->actions);
		}
		pd_filter_run_clear(&run);
	}
	outcome_fields(outcome_r, config);
	/* the thresholds of the queue the mail ends in */
	final_queue = pd_config_queue_named(config, outcome_r->queue);
	if (final_queue != NULL)
		pd_filter_thresholds(config, final_queue, &hold, &quarantine);
	pd_filter_decide(outcome_r, hold, quarantine, input->released);
}
