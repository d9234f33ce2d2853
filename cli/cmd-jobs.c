/* postdesk jobs run reminder|expiry|quarantine [--now DATE]: one run of a scheduled job.
 *
 * The same code postdeskd's scheduler runs (lib/jobs), under the same
 * advisory lock, so cron may call it on any machine of a cluster while the
 * daemons run too: one of them does the work.  --now (YYYY-MM-DD, midnight
 * UTC, or an ISO 8601 time) runs it as of another moment, for tests and to
 * catch up.  Exit 0 also when another instance was running the job (it says
 * so); 64 for bad usage or a reminder without [outbound]; 75 for database
 * trouble.
 */
#include "cmd-admin.h"
#include "jobs/pd-jobs.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define JOBS_USAGE "jobs run reminder|expiry|quarantine [--now YYYY-MM-DD|ISO-8601]"

static char *opt_now;

static const GOptionEntry run_entries[] = {
	{ "now", 0, 0, G_OPTION_ARG_STRING, &opt_now,
	  "Run as of this date (midnight UTC) or ISO 8601 time", "DATE" },
	G_OPTION_ENTRY_NULL
};

/* YYYY-MM-DD (UTC midnight) or ISO 8601 with a time -> Unix time. */
static gboolean
jobs_parse_now(const char *text, gint64 *now_r)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) when = NULL;
	g_autofree char *full = NULL;

	if (strlen(text) == 10) {
		full = g_strconcat(text, "T00:00:00Z", NULL);
		text = full;
	}
	when = g_date_time_new_from_iso8601(text, utc);
	if (when == NULL)
		return FALSE;
	*now_r = g_date_time_to_unix(when);
	return TRUE;
}

int
pd_cmd_jobs(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	const PdJobsConfig *jobs = NULL;
	g_autofree char *instance = NULL;
	const char *job;
	gint64 now = g_get_real_time() / G_USEC_PER_SEC, count = 0;
	gboolean ran = FALSE;
	PdConfig *config;
	int rc;

	if (argc < 2 || strcmp(argv[1], "run") != 0)
		return pd_cli_usage(JOBS_USAGE, "jobs: run?");
	rc = pd_admin_args_parse(&args, "jobs", JOBS_USAGE, run_entries, 1, 1, argc - 1, argv + 1);
	if (rc != 0) {
		g_clear_pointer(&opt_now, g_free);
		return rc;
	}
	job = args.argv[0];
	if (!g_strv_contains(pd_jobs_names, job)) {
		rc = pd_admin_bad(&args, "unknown job \"%s\" (reminder, expiry, quarantine)", job);
		goto out;
	}
	if (opt_now != NULL && !jobs_parse_now(opt_now, &now)) {
		rc = pd_admin_bad(&args, "invalid --now \"%s\" (want YYYY-MM-DD or ISO 8601)",
				  opt_now);
		goto out;
	}
	if ((config = pd_cli_config(cli, &rc)) == NULL)
		goto out;
	jobs = pd_jobs_config(config);
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		goto out;
	instance = g_strdup_printf("postdesk:%s:%d", g_get_host_name(), (int)getpid());
	if (!pd_jobs_run(store, jobs, job, instance, now, &ran, &count, &error)) {
		rc = pd_admin_fail(&args, error);
		goto out;
	}
	if (!ran)
		printf("%s: skipped, another instance is running it\n", job);
	else if (strcmp(job, "reminder") == 0)
		printf("reminder: %" G_GINT64_FORMAT " mails queued\n", count);
	else if (strcmp(job, "quarantine") == 0)
		printf("quarantine: %" G_GINT64_FORMAT " quarantined mails purged\n", count);
	else
		printf("expiry: %" G_GINT64_FORMAT " expired contacts recorded\n", count);
out:
	pd_admin_args_clear(&args);
	g_clear_pointer(&opt_now, g_free);
	return rc;
}
