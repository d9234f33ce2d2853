/* Unit tests for core/pd-metrics: counters and gauges by labels, label
 * values escaped, a histogram's cumulative buckets with +Inf, _sum and
 * _count, families rendered in name order with HELP and TYPE; the exact
 * text a Prometheus scraper reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pd-metrics.h"

static void
test_counter_gauge(void **state)
{
	g_autoptr(PdMetrics) m = pd_metrics_new();
	g_autoptr(GString) out = g_string_new(NULL);

	(void)state;
	pd_metrics_declare(m, "pd_deliveries_total", PD_METRIC_COUNTER,
			   "Deliveries by disposition.", NULL, 0);
	pd_metrics_declare(m, "pd_sessions", PD_METRIC_GAUGE, "Open sessions.", NULL, 0);
	pd_metrics_add(m, "pd_deliveries_total", 1, "queue", "support",
		       "disposition", "stored", NULL);
	pd_metrics_add(m, "pd_deliveries_total", 2, "queue", "support",
		       "disposition", "stored", NULL);
	pd_metrics_add(m, "pd_deliveries_total", 1, "queue", "a\"b\\c\nd",
		       "disposition", "tempfail", NULL);
	pd_metrics_add(m, "pd_sessions", 3, NULL);
	pd_metrics_add(m, "pd_sessions", -1, NULL);
	assert_true(pd_metrics_value(m, "pd_deliveries_total", "queue", "support",
				     "disposition", "stored", NULL) == 3);
	assert_true(pd_metrics_value(m, "pd_sessions", NULL) == 2);
	assert_true(pd_metrics_value(m, "pd_nothing", NULL) == 0);
	pd_metrics_render(m, out);
	assert_string_equal(out->str,
		"# HELP pd_deliveries_total Deliveries by disposition.\n"
		"# TYPE pd_deliveries_total counter\n"
		"pd_deliveries_total{queue=\"a\\\"b\\\\c\\nd\",disposition=\"tempfail\"} 1\n"
		"pd_deliveries_total{queue=\"support\",disposition=\"stored\"} 3\n"
		"# HELP pd_sessions Open sessions.\n"
		"# TYPE pd_sessions gauge\n"
		"pd_sessions 2\n");
	pd_metrics_set(m, "pd_sessions", 7, NULL);
	assert_true(pd_metrics_value(m, "pd_sessions", NULL) == 7);
}

static void
test_histogram(void **state)
{
	static const double bounds[] = { 0.1, 1, 10 };
	g_autoptr(PdMetrics) m = pd_metrics_new();
	g_autoptr(GString) out = g_string_new(NULL);

	(void)state;
	pd_metrics_declare(m, "pd_latency_seconds", PD_METRIC_HISTOGRAM,
			   "Delivery latency.", bounds, G_N_ELEMENTS(bounds));
	pd_metrics_observe(m, "pd_latency_seconds", 0.05, NULL);
	pd_metrics_observe(m, "pd_latency_seconds", 1, NULL);	/* le is inclusive */
	pd_metrics_observe(m, "pd_latency_seconds", 2.5, NULL);
	pd_metrics_observe(m, "pd_latency_seconds", 99, NULL);
	assert_true(pd_metrics_value(m, "pd_latency_seconds", NULL) == 4);
	pd_metrics_render(m, out);
	assert_string_equal(out->str,
		"# HELP pd_latency_seconds Delivery latency.\n"
		"# TYPE pd_latency_seconds histogram\n"
		"pd_latency_seconds_bucket{le=\"0.1\"} 1\n"
		"pd_latency_seconds_bucket{le=\"1\"} 2\n"
		"pd_latency_seconds_bucket{le=\"10\"} 3\n"
		"pd_latency_seconds_bucket{le=\"+Inf\"} 4\n"
		"pd_latency_seconds_sum 102.55\n"
		"pd_latency_seconds_count 4\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_gauge),
		cmocka_unit_test(test_histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
