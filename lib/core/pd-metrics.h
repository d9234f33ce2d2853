/* pd-metrics: the daemon's counters, gauges and histograms, rendered in
 * the Prometheus text format (exposition format 0.0.4) for /metrics.
 *
 * A family is declared once (name, type, help; histograms with their
 * bucket bounds); code anywhere then adds to a series of it, named by its
 * labels: pd_metrics_add("postdesk_deliveries_total", 1, "queue", q,
 * "disposition", "stored", NULL).  This is the hook for the engineers of
 * rule hits, spam verdicts and IMAP lag: declare a family, add to it.
 * Label values are escaped here; a series of an undeclared family is a
 * programming error.  Owns its families and series; thread-safe; never
 * does I/O.
 */
#ifndef PD_METRICS_H
#define PD_METRICS_H

#include <glib.h>

typedef enum {
	PD_METRIC_COUNTER,
	PD_METRIC_GAUGE,
	PD_METRIC_HISTOGRAM,
} PdMetricType;

typedef struct _PdMetrics PdMetrics;

PdMetrics *pd_metrics_new(void);
void pd_metrics_free(PdMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdMetrics, pd_metrics_free)

/* The process's registry (what /metrics shows). */
PdMetrics *pd_metrics_default(void);

/* Declare a family; declaring it again with the same type is harmless.
 * buckets: ascending upper bounds for a histogram (n_buckets of them,
 * +Inf is implied), NULL otherwise. */
void pd_metrics_declare(PdMetrics *metrics, const char *name, PdMetricType type,
			const char *help, const double *buckets, guint n_buckets);

/* Counters: add value (>= 0).  Gauges: add (may be negative) or set.
 * Histograms: observe.  The varargs are label name, value pairs, ended
 * by NULL. */
void pd_metrics_add(PdMetrics *metrics, const char *name, double value, ...)
	G_GNUC_NULL_TERMINATED;
void pd_metrics_set(PdMetrics *metrics, const char *name, double value, ...)
	G_GNUC_NULL_TERMINATED;
void pd_metrics_observe(PdMetrics *metrics, const char *name, double value, ...)
	G_GNUC_NULL_TERMINATED;

/* The value of one series (tests); 0 when it does not exist.  For a
 * histogram, its count. */
double pd_metrics_value(PdMetrics *metrics, const char *name, ...)
	G_GNUC_NULL_TERMINATED;

/* Append the whole registry in the text format, families in name order. */
void pd_metrics_render(PdMetrics *metrics, GString *out);

#endif
