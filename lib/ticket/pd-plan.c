/* pd-plan: the [plan NAME] sections; see pd-plan.h. */
#include "pd-plan.h"

#include <string.h>

static void
plan_clear(gpointer values)
{
	PdPlanConfig *plan = values;

	g_clear_pointer(&plan->name, g_free);
}

/* One of the named sections, [plan NAME] or [category NAME]: its name is
 * letters, digits, ".", "-" and "_" (a category's lower case, as agents
 * and the CLI write it). */
static gboolean
named_finish(char **name_r, const char *kind, const char *pattern, const char *name,
	     PdConfigLoad *load)
{
	g_autofree char *section = g_strconcat(kind, name, NULL);

	*name_r = g_strstrip(g_strdup(name));
	if (!g_regex_match_simple(pattern, *name_r, 0, 0)) {
		pd_config_error(load, section, NULL, "[%s]: a %s's name is %sletters, digits,"
				" \".\", \"-\" and \"_\"", section, kind,
				strcmp(kind, "category") == 0 ? "lower-case " : "");
		return FALSE;
	}
	return TRUE;
}

static gboolean
plan_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	(void)config;
	return named_finish(&((PdPlanConfig *)values)->name, "plan",
			    "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", name, load);
}

static gboolean
category_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	(void)config;
	return named_finish(&((PdCategoryConfig *)values)->name, "category",
			    "^[a-z0-9][a-z0-9_.-]{0,63}$", name, load);
}

static void
category_clear(gpointer values)
{
	g_clear_pointer(&((PdCategoryConfig *)values)->name, g_free);
}

static const PdSetting category_settings[] = {
	{ .key = "description", .type = PD_SETTING_STRING,
	  .offset = G_STRUCT_OFFSET(PdCategoryConfig, description) },
	{ NULL }
};

const PdConfigTable pd_category_table = {
	.section = "category", .named = TRUE, .size = sizeof(PdCategoryConfig),
	.settings = category_settings, .finish = category_finish, .clear = category_clear,
};

gboolean
pd_category_allowed(const PdConfig *config, const char *name, char **known_r)
{
	GPtrArray *categories = pd_config_layer(config, &pd_category_table);
	GString *known = g_string_new(NULL);
	gboolean found = categories == NULL || categories->len == 0;

	for (guint i = 0; categories != NULL && i < categories->len; i++) {
		const PdCategoryConfig *c = categories->pdata[i];

		g_string_append_printf(known, "%s%s", i > 0 ? ", " : "", c->name);
		found = found || g_strcmp0(c->name, name) == 0;
	}
	if (known_r != NULL)
		*known_r = g_string_free(known, FALSE);
	else
		g_string_free(known, TRUE);
	return found;
}

#define PLAN(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdPlanConfig, f)

static const PdSetting plan_settings[] = {
	{ PLAN("response_time", PD_SETTING_STRING, response_time) },
	{ NULL }
};

const PdConfigTable pd_plan_table = {
	.section = "plan", .named = TRUE, .size = sizeof(PdPlanConfig),
	.settings = plan_settings, .finish = plan_finish, .clear = plan_clear,
};

const PdPlanConfig *
pd_plan_named(const PdConfig *config, const char *name)
{
	GPtrArray *plans = pd_config_layer(config, &pd_plan_table);

	for (guint i = 0; name != NULL && plans != NULL && i < plans->len; i++)
		if (strcmp(((const PdPlanConfig *)plans->pdata[i])->name, name) == 0)
			return plans->pdata[i];
	return NULL;
}

char *
pd_plan_names(const PdConfig *config)
{
	GPtrArray *plans = pd_config_layer(config, &pd_plan_table);
	GString *out = g_string_new(NULL);

	for (guint i = 0; plans != NULL && i < plans->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? ", " : "",
				       ((const PdPlanConfig *)plans->pdata[i])->name);
	return g_string_free(out, FALSE);
}
