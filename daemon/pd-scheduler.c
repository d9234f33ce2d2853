/* pd-scheduler: run lib/jobs periodically (see pd-scheduler.h). */
#include "pd-scheduler.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "jobs/pd-jobs.h"

#include <string.h>
#include <unistd.h>

typedef struct {
	PdDaemon *daemon;
	GThread *thread;
	PdWorkerStop stop;
	char *instance;			/* "postdeskd:host:pid", in job.run events */
	PdStore *store;			/* connected to config->conninfo */
	PdConfig *config;		/* jobs was made from it */
	const PdJobsConfig *jobs;	/* config's */
} PdScheduler;

static PdScheduler *the_scheduler;

static void
scheduler_refresh(PdScheduler *s)
{
	g_autoptr(PdConfig) config = pd_daemon_config(s->daemon);

	if (s->config == config)
		return;
	s->jobs = pd_jobs_config(config);
	if (s->jobs->reminder_enabled && !s->jobs->outbound)
		pd_log_info("jobs: no [outbound] section; contact reminders are not sent");
	if (s->store != NULL && g_strcmp0(s->config->conninfo, config->conninfo) != 0)
		g_clear_pointer(&s->store, pd_store_free);
	g_clear_pointer(&s->config, pd_config_unref);
	s->config = pd_config_ref(config);
}

static gboolean
scheduler_wanted(const PdJobsConfig *jobs, const char *job)
{
	if (strcmp(job, "reminder") == 0)
		return jobs->reminder_enabled && jobs->outbound;
	if (strcmp(job, "quarantine") == 0)
		return jobs->quarantine_enabled;
	return jobs->expiry_enabled;
}

static void
scheduler_tick(PdScheduler *s)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	for (guint i = 0; pd_jobs_names[i] != NULL; i++) {
		const char *job = pd_jobs_names[i];
		g_autoptr(GError) error = NULL;
		gboolean ran = FALSE;
		gint64 count = 0;

		if (!scheduler_wanted(s->jobs, job))
			continue;
		if (s->store != NULL && !pd_store_is_usable(s->store))
			g_clear_pointer(&s->store, pd_store_free);
		if (s->store == NULL) {
			s->store = pd_store_connect_timeout(s->config->conninfo,
							    s->config->db_timeout, &error);
			if (s->store == NULL) {
				pd_log_warning("jobs: %s; trying again later", error->message);
				return;
			}
		}
		if (!pd_jobs_run(s->store, s->jobs, job, s->instance, now, &ran, &count, &error))
			pd_log_warning("jobs: %s: %s; trying again later", job, error->message);
		else if (!ran)
			pd_log_debug("jobs: %s: another instance is running it", job);
		else if (count > 0)
			pd_log_info("jobs: %s: %" G_GINT64_FORMAT " %s", job, count,
				    strcmp(job, "reminder") == 0 ? "reminders queued"
				    : strcmp(job, "quarantine") == 0 ? "quarantined mails purged"
				    : "expired contacts recorded");
		else	/* once per run_every (1h): the mark that a run found nothing */
			pd_log_info("jobs: %s: nothing due", job);
	}
}

static gpointer
scheduler_thread(gpointer data)
{
	PdScheduler *s = data;

	do {
		scheduler_refresh(s);
		if (s->jobs != NULL)
			scheduler_tick(s);
	} while (!pd_worker_wait(&s->stop, (s->jobs != NULL ? s->jobs->run_every : 60) *
				    G_USEC_PER_SEC));
	return NULL;
}

void
pd_scheduler_start(PdDaemon *daemon)
{
	PdScheduler *s = g_new0(PdScheduler, 1);

	g_return_if_fail(the_scheduler == NULL);
	s->daemon = daemon;
	s->instance = g_strdup_printf("postdeskd:%s:%d", g_get_host_name(), (int)getpid());
	pd_worker_stop_init(&s->stop);
	s->thread = g_thread_new("scheduler", scheduler_thread, s);
	the_scheduler = s;
}

void
pd_scheduler_stop(void)
{
	PdScheduler *s = the_scheduler;

	if (s == NULL)
		return;
	pd_worker_stop(&s->stop, 0);
	g_thread_join(s->thread);
	g_clear_pointer(&s->store, pd_store_free);
	s->jobs = NULL;
	g_clear_pointer(&s->config, pd_config_unref);
	g_free(s->instance);
	pd_worker_stop_clear(&s->stop);
	g_free(s);
	the_scheduler = NULL;
}
