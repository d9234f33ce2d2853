/* pd-jobs: [jobs] settings and one run of a job (see pd-jobs.h). */
#include "pd-jobs.h"
#include "core/pd-error.h"
#include "smtp/pd-outbound.h"

#include <string.h>

#define SECTION "jobs"

const char *const pd_jobs_names[] = { "expiry", "reminder", NULL };

gboolean
pd_jobs_parse_duration(const char *text, gint64 *seconds_r)
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

static gboolean
jobs_duration(GKeyFile *kf, const char *key, gint64 fallback, gint64 *seconds_r,
	      GError **error)
{
	g_autofree char *text = kf != NULL ? g_key_file_get_string(kf, SECTION, key, NULL) : NULL;

	*seconds_r = fallback;
	if (text == NULL)
		return TRUE;
	if (!pd_jobs_parse_duration(text, seconds_r)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[jobs] %s: a duration such as 30d, 12h, 90m or 3600 (seconds), "
			    "not \"%s\"", key, text);
		return FALSE;
	}
	return TRUE;
}

static gboolean
jobs_bool(GKeyFile *kf, const char *key, gboolean *value_r, GError **error)
{
	return pd_config_get_bool(kf, SECTION, key, TRUE, value_r, error);
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

/* The [jobs] keys. */
static gboolean
jobs_parse_own(GKeyFile *kf, PdJobsConfig *jc, GError **error)
{
	return jobs_duration(kf, "run_every", 3600, &jc->run_every, error) &&
	       jobs_duration(kf, "reminder_interval", 30 * 86400, &jc->reminder_interval,
			     error) &&
	       jobs_bool(kf, "reminder", &jc->reminder_enabled, error) &&
	       jobs_bool(kf, "expiry", &jc->expiry_enabled, error);
}

PdJobsConfig *
pd_jobs_config_load(const PdConfig *config, GError **error)
{
	g_autoptr(PdJobsConfig) jc = g_new0(PdJobsConfig, 1);
	GKeyFile *kf = config->keyfile;

	if (!jobs_parse_own(kf, jc, error))
		return NULL;
	if (kf != NULL && g_key_file_has_group(kf, "outbound")) {
		/* A broken [outbound] is the sender's to report (it sends
		 * nothing until it is fixed); the mails are queued anyway and go
		 * out then, from the null sender if the bounce address is unknown. */
		g_autoptr(PdOutboundConfig) outbound =
			pd_outbound_config_load(kf, config->hostname, NULL);
		const char *write_to = jobs_support_address(config);

		jc->outbound = TRUE;
		jc->envelope_from = g_strdup(outbound != NULL
					     ? pd_outbound_envelope_from(outbound, FALSE) : "");
		jc->write_to = g_strdup(write_to != NULL ? write_to
					: outbound != NULL ? outbound->reply_address : NULL);
		jc->welcome.envelope_from = jc->envelope_from;
		jc->welcome.write_to = jc->write_to;
	}
	return g_steal_pointer(&jc);
}

void
pd_jobs_config_free(PdJobsConfig *jc)
{
	if (jc == NULL)
		return;
	g_free(jc->envelope_from);
	g_free(jc->write_to);
	g_free(jc);
}

gboolean
pd_jobs_check_config(const PdConfig *config, GError **error)
{
	PdJobsConfig jc = { 0 };

	return jobs_parse_own(config->keyfile, &jc, error);
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
			    "reminder, expiry");
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
