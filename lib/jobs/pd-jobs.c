/* pd-jobs: [jobs] settings and one run of a job (see pd-jobs.h). */
#include "pd-jobs.h"
#include "core/pd-error.h"
#include "smtp/pd-outbound.h"

#include <string.h>

#define SECTION "jobs"

const char *const pd_jobs_names[] = { "expiry", "reminder", "quarantine", NULL };

gboolean
pd_jobs_parse_duration(const char *text, gint64 *seconds_r)
{
	return pd_setting_parse_duration(text, seconds_r);
}

/* The address a new contact is told to write to: the first queue that
 * needs no permission (the general support address), else the first. */
static const char *
jobs_support_address(const PdConfig *config)
{
	const PdQueueConfig *first = NULL;

	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];

		if (q->addresses->len == 0)
			continue;
		if (q->permission == NULL)
			return q->addresses->pdata[0];
		if (first == NULL)
			first = q;
	}
	return first != NULL ? first->addresses->pdata[0] : NULL;
}

/* What [outbound] says about sending. */
static gboolean
jobs_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdJobsConfig *jc = values;
	const PdOutboundConfig *outbound = pd_outbound_config(config);
	const char *write_to;

	(void)name;
	(void)load;
	if (outbound == NULL)
		return TRUE;
	write_to = jobs_support_address(config);
	jc->outbound = TRUE;
	jc->envelope_from = g_strdup(pd_outbound_envelope_from(outbound, FALSE));
	jc->write_to = g_strdup(write_to != NULL ? write_to : outbound->reply_address);
	jc->welcome.envelope_from = jc->envelope_from;
	jc->welcome.write_to = jc->write_to;
	return TRUE;
}

static void
jobs_review(gconstpointer values, const PdConfig *config, PdConfigLoad *load)
{
	const PdJobsConfig *jc = values;

	(void)config;
	pd_config_need_template(load, "welcome", "postdesk contact add");
	if (jc->reminder_enabled)
		pd_config_need_template(load, "reminder", "[jobs] reminder = yes");
}

static void
jobs_clear(gpointer values)
{
	PdJobsConfig *jc = values;

	g_clear_pointer(&jc->envelope_from, g_free);
	g_clear_pointer(&jc->write_to, g_free);
}

#define JOBS(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdJobsConfig, f)

static const PdSetting jobs_settings[] = {
	{ JOBS("run_every", PD_SETTING_DURATION, run_every), .def = "1h", .min = 1,
	  .max = G_MAXINT64 },
	{ JOBS("reminder_interval", PD_SETTING_DURATION, reminder_interval), .def = "30d",
	  .min = 1, .max = G_MAXINT64 },
	{ JOBS("reminder", PD_SETTING_BOOL, reminder_enabled), .def = "yes" },
	{ JOBS("expiry", PD_SETTING_BOOL, expiry_enabled), .def = "yes" },
	{ JOBS("quarantine", PD_SETTING_BOOL, quarantine_enabled), .def = "yes" },
	{ NULL }
};

const PdConfigTable pd_jobs_table = {
	.section = SECTION, .size = sizeof(PdJobsConfig), .settings = jobs_settings,
	.finish = jobs_finish, .review = jobs_review, .clear = jobs_clear,
};

const PdJobsConfig *
pd_jobs_config(const PdConfig *config)
{
	return pd_config_layer(config, &pd_jobs_table);
}

const PdWelcome *
pd_jobs_welcome(const PdJobsConfig *jc)
{
	return jc->outbound ? &jc->welcome : NULL;
}

gboolean
pd_jobs_run(PdStore *store, const PdJobsConfig *jc, const char *job, const char *instance,
	    gint64 now, gboolean *ran_r, gint64 *count_r, GError **error)
{
	if (!g_strv_contains(pd_jobs_names, job)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "unknown job \"%s\" (%s)", job,
			    "reminder, expiry, quarantine");
		return FALSE;
	}
	if (strcmp(job, "reminder") == 0 && !jc->outbound) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the reminder job sends mail: configure [outbound] first");
		return FALSE;
	}
	return pd_store_job_run(store, job, instance, now, jc->reminder_interval,
				jc->envelope_from, ran_r, count_r, error);
}
