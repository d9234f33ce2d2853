/* pd-pipeline-metrics: every metric family postdeskd shows on /metrics,
 * declared in one place, with the calls that update them.
 *
 *   postdesk_deliveries_total{queue,result}     one per recipient: result
 *       new | threaded | duplicate (stored) | bounce (recorded, no ticket) |
 *       quarantined | discarded (the filter rules) | deferred (4xx) |
 *       rejected (5xx: policy, a rule's reject)
 *   postdesk_delivery_duration_seconds          DATA received -> recipient's outcome
 *   postdesk_auth_results_total{method,result}  spf, dkim (each signature; none
 *       when unsigned), dmarc: once per message when [auth] mode is not off
 *   postdesk_auth_verdicts_total{verdict}       authenticated | unauthenticated | temporary
 *   postdesk_lmtp_sessions_total                LMTP connections accepted
 *   postdesk_lmtp_sessions_refused_total{reason} max_sessions | max_sessions_per_client |
 *       shutting_down
 *   postdesk_lmtp_sessions_open                 (gauge, at scrape time)
 *   postdesk_outbound_total{kind,result}        sent | deferred | failed, per attempt outcome
 *   postdesk_db_pool_connections{state}         in_use | idle (gauge, at scrape time)
 *   postdesk_db_pool_max_connections, postdesk_db_pool_waiting (gauges)
 *   postdesk_db_pool_waits_total, postdesk_db_pool_wait_timeouts_total,
 *   postdesk_db_pool_connect_errors_total       (counters, from the pool)
 *   postdesk_outbound_queue{state}              queued | sending | failed (gauge,
 *   postdesk_outbound_oldest_queued_seconds     at scrape time, read like `postdesk
 *   postdesk_tickets_held, postdesk_quarantine_waiting   status` does)
 *   postdesk_database_up                        1: the scrape read the database
 *   postdesk_build_info{version}                1
 *
 * The family names are what dashboards and alerts depend on: renaming one
 * breaks them.  The registry is pd_metrics_default(); nothing here does I/O.
 */
#ifndef PD_PIPELINE_METRICS_H
#define PD_PIPELINE_METRICS_H

#include "core/pd-metrics.h"
#include "pipeline/pd-pipeline.h"
#include "pipeline/pd-pipeline-auth.h"

/* The registry with every family declared (once). */
PdMetrics *pd_pipeline_metrics(void);

/* queue NULL: no queue matched the recipient. */
void pd_pipeline_metrics_delivery(const char *queue, const PdRecipientOutcome *outcome,
				  gint64 usec);
void pd_pipeline_metrics_auth(const PdPipelineAuthOutcome *outcome);

typedef enum {
	PD_METRICS_SESSION_ACCEPTED,
	PD_METRICS_SESSION_REFUSED_MAX,
	PD_METRICS_SESSION_REFUSED_CLIENT,
	PD_METRICS_SESSION_REFUSED_SHUTDOWN,
} PdMetricsSession;
void pd_pipeline_metrics_session(PdMetricsSession event);

/* result: "sent", "deferred", "failed". */
void pd_pipeline_metrics_outbound(const char *kind, const char *result);

/* The gauges read at scrape time. */
void pd_pipeline_metrics_scrape(PdStorePool *pool, guint sessions_open);

#endif
