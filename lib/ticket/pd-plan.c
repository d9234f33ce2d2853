/* pd-plan: the [plan NAME] sections; see pd-plan.h. */
#include "pd-plan.h"

#include <string.h>

static void
plan_clear(gpointer values)
{
	PdPlanConfig *plan = values;

	g_clear_pointer(&plan->name, g_free);
}

static gboolean
plan_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdPlanConfig *plan = values;
	g_autofree char *section = g_strconcat("plan", name, NULL);

	(void)config;
	plan->name = g_strstrip(g_strdup(name));
	if (!g_regex_match_simple("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", plan->name, 0, 0)) {
		pd_config_error(load, section, NULL, "[%s]: a plan's name is letters, digits,"
				" \".\", \"-\" and \"_\"", section);
		return FALSE;
	}
	return TRUE;
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
