/* Unit tests for lib/report: the readable durations, the axis tops, the SVG
 * writer's escaping and numbers, and pd_report_query_parse's answers to
 * what a person (or a URL) asks for.  No database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>

#include "core/pd-error.h"
#include "report/pd-report.h"
#include "report/pd-svg.h"

static void
test_duration(void **state)
{
	static const struct { gint64 seconds; const char *text; } cases[] = {
		{ 0, "0s" }, { 40, "40s" }, { 59, "59s" }, { 60, "1m" }, { 720, "12m" },
		{ 3600, "1h 00m" }, { 5400, "1h 30m" }, { 11100, "3h 05m" }, { 86399, "23h 59m" },
		{ 86400, "1d" }, { 93784, "1d 2h" }, { 172800, "2d" }, { -1, "-" },
	};

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = pd_report_duration(cases[i].seconds);

		assert_string_equal(got, cases[i].text);
	}
}

static void
test_axis_top(void **state)
{
	static const double cases[][2] = {
		{ 0, 1 }, { -3, 1 }, { 0.3, 0.5 }, { 1, 1 }, { 1.5, 2 }, { 2, 2 }, { 3, 5 },
		{ 5, 5 }, { 6, 10 }, { 11, 20 }, { 21, 50 }, { 51, 100 }, { 1000, 1000 },
	};

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_true(pd_svg_axis_top(cases[i][0]) == cases[i][1]);
}

static void
test_svg(void **state)
{
	g_autoptr(GString) out = g_string_new(NULL);

	(void)state;
	/* numbers with '.' whatever the locale says */
	setlocale(LC_NUMERIC, "de_DE.UTF-8");
	pd_svg_begin(out, 400, 250.5, "a <b> & \"c\"");
	pd_svg_rect(out, 1.25, 2, 3, -4, "#fff", 0.5, "x</title><script>");
	pd_svg_text(out, 0, 0, "end", 11, "#000", "bad\x01\xff byte");
	pd_svg_end(out);
	setlocale(LC_NUMERIC, "C");
	assert_string_equal(out->str,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400.0\" height=\"250.5\" "
		"viewBox=\"0 0 400.0 250.5\" role=\"img\" font-family=\"sans-serif\"><title>"
		"a &lt;b&gt; &amp; &quot;c&quot;</title>\n"
		"<rect x=\"1.2\" y=\"2.0\" width=\"3.0\" height=\"0.0\" fill=\"#fff\" "
		"fill-opacity=\"0.5\"><title>x&lt;/title&gt;&lt;script&gt;</title></rect>\n"
		"<text x=\"0.0\" y=\"0.0\" text-anchor=\"end\" font-size=\"11.0\" fill=\"#000\">"
		"bad\xef\xbf\xbd\xef\xbf\xbd byte</text>\n"
		"</svg>\n");
}

static const char *
queue_name(guint i)
{
	return i == 0 ? "support" : "billing";
}

static void
test_query(void **state)
{
	static const struct {
		PdReportArgs args;
		int code;		/* -1: accepted */
		const char *text;	/* the error, or "since until by tz top" */
	} cases[] = {
		{ { .since = "2026-11-02", .until = "2026-11-08" }, -1,
		  "2026-11-02 2026-11-08 day UTC 10" },
		{ { .since = "2026-11-02", .until = "2026-11-02", .by = "month",
		    .timezone = "Europe/Berlin", .top = "3" }, -1,
		  "2026-11-02 2026-11-02 month Europe/Berlin 3" },
		{ { .until = "2026-03-01" }, -1, "2026-01-31 2026-03-01 day UTC 10" },
		{ { .since = "2026-02-29" }, PD_ERROR_USAGE, "since 2026-02-29: not a date" },
		{ { .since = "2026-1-1" }, PD_ERROR_USAGE, "since 2026-1-1: not a date" },
		{ { .until = "2026-11-08x" }, PD_ERROR_USAGE, "until 2026-11-08x: not a date" },
		{ { .since = "2026-11-09", .until = "2026-11-08" }, PD_ERROR_USAGE,
		  "the range is empty" },
		{ { .since = "2016-10-01", .until = "2026-11-08" }, PD_ERROR_USAGE,
		  "longer than 3660 days" },
		{ { .by = "year" }, PD_ERROR_USAGE, "by year: day, week or month" },
		{ { .timezone = "Mars/Olympus" }, PD_ERROR_USAGE, "not a time zone" },
		{ { .timezone = "UTC'; drop" }, PD_ERROR_USAGE, "not a time zone" },
		{ { .top = "0" }, PD_ERROR_USAGE, "top 0: a number from 1 to 1000" },
		{ { .top = "1001" }, PD_ERROR_USAGE, "top 1001" },
		{ { .agent = "not an address" }, PD_ERROR_USAGE, "agent not an address" },
		{ { .queue = "nope" }, PD_ERROR_NOTFOUND, "unknown queue \"nope\"" },
		{ { .queue = "billing", .since = "2026-11-01", .until = "2026-11-01" }, -1,
		  "2026-11-01 2026-11-01 day UTC 10" },
	};
	g_autoptr(GError) load_error = NULL;
	g_autoptr(PdConfig) config = pd_config_load_data(
		"[postdesk]\nconfig_version = 1\n[database]\nconninfo = dbname=x\n"
		"[lmtp]\nlisten = 127.0.0.1:2424\n[queue support]\naddresses = support@example.com\n"
		"[queue billing]\naddresses = billing@example.com\n", NULL, &load_error);

	(void)state;
	if (config == NULL)
		fail_msg("config: %s", load_error->message);
	assert_string_equal(queue_name(1),
			    ((PdQueueConfig *)config->queues->pdata[1])->name);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdReportQuery q;
		g_autoptr(GError) error = NULL;
		gboolean ok = pd_report_query_parse(&cases[i].args, config, &q, &error);

		if (cases[i].code < 0) {
			g_autofree char *got = NULL;

			if (!ok)
				fail_msg("case %u: %s", i, error->message);
			got = g_strdup_printf("%s %s %s %s %u", q.since, q.until, q.by, q.timezone,
					      q.top);
			assert_string_equal(got, cases[i].text);
			pd_report_query_clear(&q);
		} else {
			if (ok)
				fail_msg("case %u: accepted", i);
			assert_int_equal(error->code, cases[i].code);
			if (strstr(error->message, cases[i].text) == NULL)
				fail_msg("case %u: \"%s\" lacks \"%s\"", i, error->message,
					 cases[i].text);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_axis_top),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
