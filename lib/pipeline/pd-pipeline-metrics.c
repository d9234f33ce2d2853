/* pd-pipeline-metrics: the families of /metrics and their updates
 * (pd-pipeline-metrics.h). */
#include "pipeline/pd-pipeline-metrics.h"
#include "auth/pd-auth.h"
#include "core/pd-error.h"
#include "store/pd-store-status.h"

static const double delivery_buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

static void
metrics_declare(PdMetrics *m)
{
	pd_metrics_declare(m, "postdesk_deliveries_total", PD_METRIC_COUNTER,
			   "Recipients delivered, by queue and result (new, threaded, duplicate, "
			   "quarantined, discarded, deferred, rejected).", NULL, 0);
	pd_metrics_declare(m, "postdesk_delivery_duration_seconds", PD_METRIC_HISTOGRAM,
			   "Time from the end of DATA to a recipient's outcome (committed or not).",
			   delivery_buckets, G_N_ELEMENTS(delivery_buckets));
	pd_metrics_declare(m, "postdesk_auth_results_total", PD_METRIC_COUNTER,
			   "Sender authentication results by method (spf, dkim per signature, "
			   "dmarc).", NULL, 0);
	pd_metrics_declare(m, "postdesk_auth_verdicts_total", PD_METRIC_COUNTER,
			   "Messages whose From domain was authenticated, not, or undecided "
			   "(temporary DNS failure).", NULL, 0);
	pd_metrics_declare(m, "postdesk_lmtp_sessions_total", PD_METRIC_COUNTER,
			   "LMTP connections accepted.", NULL, 0);
	pd_metrics_declare(m, "postdesk_lmtp_sessions_refused_total", PD_METRIC_COUNTER,
			   "LMTP connections refused with 421, by reason.", NULL, 0);
	pd_metrics_declare(m, "postdesk_lmtp_sessions_open", PD_METRIC_GAUGE,
			   "LMTP sessions open now.", NULL, 0);
	pd_metrics_declare(m, "postdesk_outbound_total", PD_METRIC_COUNTER,
			   "Outbound delivery attempts by kind and result (sent, deferred, failed).",
			   NULL, 0);
	pd_metrics_declare(m, "postdesk_db_pool_connections", PD_METRIC_GAUGE,
			   "Database connections of the pool, in use or idle.", NULL, 0);
	pd_metrics_declare(m, "postdesk_db_pool_max_connections", PD_METRIC_GAUGE,
			   "The pool's limit ([database] pool_size).", NULL, 0);
	pd_metrics_declare(m, "postdesk_db_pool_waiting", PD_METRIC_GAUGE,
			   "Threads waiting now for a free database connection.", NULL, 0);
	pd_metrics_declare(m, "postdesk_db_pool_waits_total", PD_METRIC_COUNTER,
			   "Times a thread had to wait for a free database connection.", NULL, 0);
	pd_metrics_declare(m, "postdesk_db_pool_wait_timeouts_total", PD_METRIC_COUNTER,
			   "Waits for a database connection that gave up ([database] timeout).",
			   NULL, 0);
	pd_metrics_declare(m, "postdesk_db_pool_connect_errors_total", PD_METRIC_COUNTER,
			   "Database connections that could not be opened.", NULL, 0);
	pd_metrics_declare(m, "postdesk_outbound_queue", PD_METRIC_GAUGE,
			   "Outbound mail by state now: queued (due or backing off), sending, "
			   "failed (given up, waiting for an operator).", NULL, 0);
	pd_metrics_declare(m, "postdesk_outbound_oldest_queued_seconds", PD_METRIC_GAUGE,
			   "Age of the oldest queued outbound mail (0: none queued).", NULL, 0);
	pd_metrics_declare(m, "postdesk_tickets_held", PD_METRIC_GAUGE,
			   "Open tickets held for an operator.", NULL, 0);
	pd_metrics_declare(m, "postdesk_quarantine_waiting", PD_METRIC_GAUGE,
			   "Quarantined mail neither released nor expired.", NULL, 0);
	pd_metrics_declare(m, "postdesk_database_up", PD_METRIC_GAUGE,
			   "1 if the scrape could read the database, else 0.", NULL, 0);
	pd_metrics_declare(m, "postdesk_build_info", PD_METRIC_GAUGE,
			   "Always 1; the version in its label.", NULL, 0);
	pd_metrics_set(m, "postdesk_build_info", 1, "version", PD_VERSION, NULL);
}

PdMetrics *
pd_pipeline_metrics(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		metrics_declare(pd_metrics_default());
		g_once_init_leave(&once, 1);
	}
	return pd_metrics_default();
}

void
pd_pipeline_metrics_delivery(const char *queue, const PdRecipientOutcome *outcome, gint64 usec)
{
	PdMetrics *m = pd_pipeline_metrics();
	const char *result;

	if (outcome->error == NULL && outcome->bounce_id > 0)
		result = "bounce";	/* recorded by the bounce step, no ticket */
	else if (outcome->error == NULL && outcome->result.disposition != NULL)
		result = outcome->result.disposition;	/* quarantined, discarded */
	else if (outcome->error == NULL)
		result = outcome->result.duplicate ? "duplicate"
			 : outcome->result.new_ticket ? "new" : "threaded";
	else if (g_error_matches(outcome->error, PD_ERROR, PD_ERROR_PERMFAIL) ||
		 g_error_matches(outcome->error, PD_ERROR, PD_ERROR_NOTFOUND) ||
		 g_error_matches(outcome->error, PD_ERROR, PD_ERROR_REJECTED))
		result = "rejected";	/* the 5xx of pd_error_to_smtp_reply */
	else
		result = "deferred";
	pd_metrics_add(m, "postdesk_deliveries_total", 1, "queue", queue != NULL ? queue : "",
		       "result", result, NULL);
	pd_metrics_observe(m, "postdesk_delivery_duration_seconds", (double)usec / G_USEC_PER_SEC,
			   NULL);
}

void
pd_pipeline_metrics_auth(const PdPipelineAuthOutcome *outcome)
{
	PdMetrics *m = pd_pipeline_metrics();
	const PdAuthResult *r = outcome->result;

	if (r == NULL)
		return;		/* mode off */
	pd_metrics_add(m, "postdesk_auth_results_total", 1, "method", "spf", "result",
		       pd_auth_status_name(r->spf), NULL);
	if (r->dkim == NULL || r->dkim->len == 0)
		pd_metrics_add(m, "postdesk_auth_results_total", 1, "method", "dkim", "result",
			       "none", NULL);
	for (guint i = 0; r->dkim != NULL && i < r->dkim->len; i++) {
		const PdDkimSignature *sig = r->dkim->pdata[i];

		pd_metrics_add(m, "postdesk_auth_results_total", 1, "method", "dkim", "result",
			       pd_auth_status_name(sig->status), NULL);
	}
	pd_metrics_add(m, "postdesk_auth_results_total", 1, "method", "dmarc", "result",
		       pd_auth_status_name(r->dmarc), NULL);
	pd_metrics_add(m, "postdesk_auth_verdicts_total", 1, "verdict",
		       outcome->from_authenticated ? "authenticated"
		       : r->temporary ? "temporary" : "unauthenticated", NULL);
}

void
pd_pipeline_metrics_session(PdMetricsSession event)
{
	PdMetrics *m = pd_pipeline_metrics();
	const char *reason = NULL;

	switch (event) {
	case PD_METRICS_SESSION_ACCEPTED:
		pd_metrics_add(m, "postdesk_lmtp_sessions_total", 1, NULL);
		return;
	case PD_METRICS_SESSION_REFUSED_MAX:
		reason = "max_sessions";
		break;
	case PD_METRICS_SESSION_REFUSED_CLIENT:
		reason = "max_sessions_per_client";
		break;
	case PD_METRICS_SESSION_REFUSED_SHUTDOWN:
		reason = "shutting_down";
		break;
	}
	pd_metrics_add(m, "postdesk_lmtp_sessions_refused_total", 1, "reason", reason, NULL);
}

void
pd_pipeline_metrics_outbound(const char *kind, const char *result)
{
	pd_metrics_add(pd_pipeline_metrics(), "postdesk_outbound_total", 1, "kind",
		       kind != NULL ? kind : "", "result", result, NULL);
}

/* What `postdesk status` reads (pd-store-status.h), as gauges; the last
 * values stay when the database cannot be read, and database_up says so. */
static void
metrics_scrape_database(PdMetrics *m, PdStorePool *pool)
{
	g_autoptr(GError) error = NULL;
	PdStatusCounts counts = { 0 };
	PdStore *store = pd_store_pool_get(pool, &error);
	gboolean ok = store != NULL && pd_store_status_counts(store, &counts, &error);

	if (store != NULL)
		pd_store_pool_put(pool, store);
	pd_metrics_set(m, "postdesk_database_up", ok ? 1 : 0, NULL);
	if (!ok)
		return;
	pd_metrics_set(m, "postdesk_outbound_queue", (double)counts.queued, "state", "queued", NULL);
	pd_metrics_set(m, "postdesk_outbound_queue", (double)counts.sending, "state", "sending",
		       NULL);
	pd_metrics_set(m, "postdesk_outbound_queue", (double)counts.failed, "state", "failed", NULL);
	pd_metrics_set(m, "postdesk_outbound_oldest_queued_seconds",
		       (double)MAX(counts.oldest_queued_age, 0), NULL);
	pd_metrics_set(m, "postdesk_tickets_held", (double)counts.held, NULL);
	pd_metrics_set(m, "postdesk_quarantine_waiting", (double)counts.quarantined, NULL);
}

void
pd_pipeline_metrics_scrape(PdStorePool *pool, guint sessions_open)
{
	PdMetrics *m = pd_pipeline_metrics();
	PdStorePoolStats st = { 0 };

	pd_metrics_set(m, "postdesk_lmtp_sessions_open", sessions_open, NULL);
	if (pool == NULL)
		return;
	pd_store_pool_stats(pool, &st);
	pd_metrics_set(m, "postdesk_db_pool_connections", st.open - MIN(st.idle, st.open),
		       "state", "in_use", NULL);
	pd_metrics_set(m, "postdesk_db_pool_connections", st.idle, "state", "idle", NULL);
	pd_metrics_set(m, "postdesk_db_pool_max_connections", st.max_connections, NULL);
	pd_metrics_set(m, "postdesk_db_pool_waiting", st.waiting, NULL);
	pd_metrics_set(m, "postdesk_db_pool_waits_total", (double)st.waits, NULL);
	pd_metrics_set(m, "postdesk_db_pool_wait_timeouts_total", (double)st.wait_timeouts, NULL);
	pd_metrics_set(m, "postdesk_db_pool_connect_errors_total", (double)st.connect_errors,
		       NULL);
	metrics_scrape_database(m, pool);
}
