/* pd-report-html: the HTML report with its inline SVG charts (pd-report.h).
 *
 * Charts, drawn with pd-svg from the report's own tables (so they show the
 * very figures of the tables below them):
 *   volume    per period, two bars: opened (left) and closed (right, lighter),
 *             each stacked by queue
 *   backlog   per queue, a line of the backlog at the end of each period
 *   response  per queue and for all: first-response p50 and p90 (lighter)
 * The document is well-formed XML (an XML parser reads it whole), has no
 * script and no external resource, and escapes every value.
 */
#include "report/pd-report.h"
#include "report/pd-svg.h"
#include "report/pd-canvas.h"

#include <math.h>
#include <string.h>

static const char *const palette[] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
};

#define CHART_TOP 40.0
#define CHART_HEIGHT 180.0
#define CHART_LEFT 56.0

static int
column_of(const PdReportTable *t, const char *name)
{
	for (guint j = 0; j < t->columns->len; j++)
		if (strcmp(t->columns->pdata[j], name) == 0)
			return (int)j;
	return -1;
}

static double
cell_number(const PdReportTable *t, guint row, const char *column)
{
	int j = column_of(t, column);
	const char *v = j >= 0 ? ((char **)t->rows->pdata[row])[j] : NULL;

	return v != NULL ? g_ascii_strtod(v, NULL) : 0;
}

static const char *
cell_text(const PdReportTable *t, guint row, const char *column)
{
	int j = column_of(t, column);

	return j >= 0 ? ((char **)t->rows->pdata[row])[j] : NULL;
}

/* The distinct values of a column, in first-seen order. */
static GPtrArray *
distinct(const PdReportTable *t, const char *column)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < t->rows->len; i++) {
		const char *v = cell_text(t, i, column);

		if (v != NULL && !g_ptr_array_find_with_equal_func(out, v, g_str_equal, NULL))
			g_ptr_array_add(out, (gpointer)v);
	}
	return out;
}

static guint
index_of(GPtrArray *values, const char *v)
{
	guint i = 0;

	g_ptr_array_find_with_equal_func(values, v, g_str_equal, &i);
	return i;
}

/* Ticks on whole steps: top is 1, 2 or 5 times a power of ten. */
static guint
axis_ticks(double top)
{
	if (top <= 5)
		return (guint)top;
	return fmod(top, 5) == 0 ? 5 : 4;
}

static void
axis(PdCanvas *out, double top, double width)
{
	guint ticks = axis_ticks(top);

	for (guint k = 0; k <= ticks; k++) {
		double value = top * k / ticks;
		double y = CHART_TOP + CHART_HEIGHT - CHART_HEIGHT * k / ticks;
		g_autofree char *label = g_strdup_printf("%g", value);

		out->ops->line(out, CHART_LEFT, y, width - 10, y, k == 0 ? "#666" : "#ddd", 1);
		out->ops->text(out, CHART_LEFT - 6, y + 4, "end", 11, "#444", label);
	}
}

/* Period labels under the plot, as far apart as they need: "11-02" by day
 * and week, "2026-11" by month. */
static void
period_labels(PdCanvas *out, GPtrArray *periods, double group, const char *by)
{
	gboolean month = g_strcmp0(by, "month") == 0;
	guint every = (guint)(44 / group) + 1;

	for (guint i = 0; i < periods->len; i += every) {
		const char *p = periods->pdata[i];
		g_autofree char *label = strlen(p) == 10 ? (month ? g_strndup(p, 7)
							 : g_strdup(p + 5)) : g_strdup(p);

		out->ops->text(out, CHART_LEFT + group * (i + 0.5), CHART_TOP + CHART_HEIGHT + 16,
			    "middle", 10, "#444", label);
	}
}

static void
legend(PdCanvas *out, GPtrArray *queues, const char *note)
{
	double x = CHART_LEFT;

	for (guint q = 0; q < queues->len; q++) {
		out->ops->rect(out, x, 12, 12, 12, palette[q % G_N_ELEMENTS(palette)], 1, NULL);
		out->ops->text(out, x + 16, 22, "start", 12, "#222", queues->pdata[q]);
		x += 24 + 7.5 * g_utf8_strlen(queues->pdata[q], -1);
	}
	if (note != NULL)
		out->ops->text(out, x + 8, 22, "start", 11, "#666", note);
}

static double
group_width(guint n)
{
	return CLAMP(640.0 / MAX(n, 1), 8.0, 48.0);
}

static void
chart_volume(const PdReportTable *t, const char *by, PdCanvas *out)
{
	g_autoptr(GPtrArray) periods = distinct(t, "period");
	g_autoptr(GPtrArray) queues = distinct(t, "queue");
	guint np = periods->len, nq = queues->len;
	g_autofree double *opened = g_new0(double, MAX(np * nq, 1));
	g_autofree double *closed = g_new0(double, MAX(np * nq, 1));
	double group = group_width(np), width = CHART_LEFT + group * np + 20, max = 0, top;

	for (guint i = 0; i < t->rows->len; i++) {
		guint p = index_of(periods, cell_text(t, i, "period"));
		guint q = index_of(queues, cell_text(t, i, "queue"));

		opened[p * nq + q] = cell_number(t, i, "opened");
		closed[p * nq + q] = cell_number(t, i, "closed");
	}
	for (guint p = 0; p < np; p++) {
		double so = 0, sc = 0;

		for (guint q = 0; q < nq; q++) {
			so += opened[p * nq + q];
			sc += closed[p * nq + q];
		}
		max = MAX(max, MAX(so, sc));
	}
	top = pd_svg_axis_top(max);
	out->ops->begin(out, MAX(width, 420), CHART_TOP + CHART_HEIGHT + 30,
		     "Tickets opened and closed per period, by queue");
	legend(out, queues, "left: opened, right: closed");
	axis(out, top, MAX(width, 420));
	for (guint p = 0; p < np; p++) {
		double yo = CHART_TOP + CHART_HEIGHT, yc = yo;
		double x = CHART_LEFT + group * p;

		for (guint q = 0; q < nq; q++) {
			const char *color = palette[q % G_N_ELEMENTS(palette)];
			double ho = CHART_HEIGHT * opened[p * nq + q] / top;
			double hc = CHART_HEIGHT * closed[p * nq + q] / top;
			g_autofree char *to = g_strdup_printf("%s %s: %g opened",
							      (char *)periods->pdata[p],
							      (char *)queues->pdata[q],
							      opened[p * nq + q]);
			g_autofree char *tc = g_strdup_printf("%s %s: %g closed",
							      (char *)periods->pdata[p],
							      (char *)queues->pdata[q],
							      closed[p * nq + q]);

			if (ho > 0) {
				yo -= ho;
				out->ops->rect(out, x + group * 0.1, yo, group * 0.4, ho, color, 1, to);
			}
			if (hc > 0) {
				yc -= hc;
				out->ops->rect(out, x + group * 0.5, yc, group * 0.4, hc, color, 0.45,
					    tc);
			}
		}
	}
	period_labels(out, periods, group, by);
	out->ops->end(out);
}

static void
chart_backlog(const PdReportTable *t, const char *by, PdCanvas *out)
{
	g_autoptr(GPtrArray) periods = distinct(t, "period");
	g_autoptr(GPtrArray) queues = distinct(t, "queue");
	guint np = periods->len, nq = queues->len;
	g_autofree double *backlog = g_new0(double, MAX(np * nq, 1));
	g_autofree double *xy = g_new0(double, 2 * MAX(np, 1));
	double group = group_width(np), width = CHART_LEFT + group * np + 20, max = 0, top;

	for (guint i = 0; i < t->rows->len; i++) {
		guint p = index_of(periods, cell_text(t, i, "period"));
		guint q = index_of(queues, cell_text(t, i, "queue"));

		backlog[p * nq + q] = cell_number(t, i, "backlog");
		max = MAX(max, backlog[p * nq + q]);
	}
	top = pd_svg_axis_top(max);
	out->ops->begin(out, MAX(width, 420), CHART_TOP + CHART_HEIGHT + 30,
		     "Backlog at the end of each period, by queue");
	legend(out, queues, NULL);
	axis(out, top, MAX(width, 420));
	for (guint q = 0; q < nq; q++) {
		for (guint p = 0; p < np; p++) {
			xy[2 * p] = CHART_LEFT + group * (p + 0.5);
			xy[2 * p + 1] = CHART_TOP + CHART_HEIGHT -
					CHART_HEIGHT * backlog[p * nq + q] / top;
		}
		out->ops->polyline(out, xy, np, palette[q % G_N_ELEMENTS(palette)], 2);
	}
	period_labels(out, periods, group, by);
	out->ops->end(out);
}

static void
chart_response(const PdReportTable *t, PdCanvas *out)
{
	double max = 0, top, row_height = 34, width = 640, left = 110;
	double height = CHART_TOP + row_height * t->rows->len + 24;

	for (guint i = 0; i < t->rows->len; i++)
		max = MAX(max, cell_number(t, i, "first_response_p90") / 3600);
	top = pd_svg_axis_top(max);
	out->ops->begin(out, width, height, "First-response time per queue: p50 and p90 (lighter), "
		     "hours");
	out->ops->text(out, left, 22, "start", 11, "#666", "first response, hours: p50 (dark), "
		    "p90 (light)");
	for (guint k = 0; k <= axis_ticks(top); k++) {
		double x = left + (width - left - 20) * k / axis_ticks(top);
		g_autofree char *label = g_strdup_printf("%g", top * k / axis_ticks(top));

		out->ops->line(out, x, CHART_TOP - 6, x, height - 20, "#ddd", 1);
		out->ops->text(out, x, height - 6, "middle", 10, "#444", label);
	}
	for (guint i = 0; i < t->rows->len; i++) {
		const char *queue = cell_text(t, i, "queue");
		const char *p50 = cell_text(t, i, "first_response_p50");
		double y = CHART_TOP + row_height * i, span = width - left - 20;
		const char *color = queue != NULL ? palette[i % G_N_ELEMENTS(palette)] : "#555";

		out->ops->text(out, left - 8, y + 18, "end", 12, "#222", queue != NULL ? queue : "all");
		if (p50 == NULL) {
			out->ops->text(out, left + 4, y + 18, "start", 11, "#666", "no first response");
			continue;
		}
		for (guint k = 0; k < 2; k++) {
			const char *column = k == 0 ? "first_response_p90" : "first_response_p50";
			gint64 seconds = (gint64)cell_number(t, i, column);
			g_autofree char *d = pd_report_duration(seconds);
			g_autofree char *tip = g_strdup_printf("%s %s: %s", queue != NULL ? queue : "all",
							       k == 0 ? "p90" : "p50", d);

			out->ops->rect(out, left, y + 4 + 4 * k, span * (seconds / 3600.0) / top,
				    20 - 8 * k, color, k == 0 ? 0.35 : 1, tip);
		}
	}
	out->ops->end(out);
}

void
pd_report_draw(const PdReport *report, const char *chart, PdCanvas *out)
{
	const PdReportTable *volume = pd_report_table(report, "volume");
	const PdReportTable *queues = pd_report_table(report, "queues");

	if (strcmp(chart, "volume") == 0 && volume != NULL)
		chart_volume(volume, report->query.by, out);
	else if (strcmp(chart, "backlog") == 0 && volume != NULL)
		chart_backlog(volume, report->query.by, out);
	else if (strcmp(chart, "response") == 0 && queues != NULL)
		chart_response(queues, out);
}

void
pd_report_svg(const PdReport *report, const char *chart, GString *out)
{
	PdCanvas canvas;

	pd_svg_canvas_init(&canvas, out);
	pd_report_draw(report, chart, &canvas);
}

static void
html_table(const PdReportTable *t, GString *out)
{
	g_string_append(out, "<table>\n<tr>");
	for (guint j = 0; j < t->columns->len; j++) {
		g_autofree char *head = g_strdelimit(g_strdup(t->columns->pdata[j]), "_", ' ');

		g_string_append(out, "<th>");
		pd_xml_escape(out, head);
		g_string_append(out, "</th>");
	}
	g_string_append(out, "</tr>\n");
	for (guint i = 0; i < t->rows->len; i++) {
		char **row = t->rows->pdata[i];

		g_string_append(out, "<tr>");
		for (guint j = 0; j < t->columns->len; j++) {
			g_autofree char *cell = pd_report_cell_text(t, j, row[j]);

			g_string_append(out, g_array_index(t->numeric, gboolean, j) ?
					"<td class=\"n\">" : "<td>");
			pd_xml_escape(out, cell);
			g_string_append(out, "</td>");
		}
		g_string_append(out, "</tr>\n");
	}
	g_string_append(out, "</table>\n");
}

void
pd_html_begin(GString *out, const char *title)
{
	g_string_append(out, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
			"lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>");
	pd_xml_escape(out, title);
	g_string_append(out, "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}"
			"table{border-collapse:collapse;margin:.5em 0 1.5em}"
			"th,td{border:1px solid #ccc;padding:2px 8px;vertical-align:top}"
			"td.n{text-align:right}svg{display:block;margin:.5em 0}"
			"pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}</style>\n"
			"</head>\n<body>\n<h1>");
	pd_xml_escape(out, title);
	g_string_append(out, "</h1>\n");
}

void
pd_html_end(GString *out)
{
	g_string_append(out, "</body>\n</html>\n");
}

void
pd_report_render_html(const PdReport *report, GString *out)
{
	g_autoptr(GString) heading = g_string_new(NULL);

	pd_report_heading(report, heading);
	pd_html_begin(out, heading->str);
	for (guint i = 0; i < report->tables->len; i++) {
		const PdReportTable *t = report->tables->pdata[i];

		g_string_append(out, "<h2>");
		pd_xml_escape(out, pd_report_section_title(t->name));
		g_string_append(out, "</h2>\n");
		if (strcmp(t->name, "volume") == 0) {
			pd_report_svg(report, "volume", out);
			pd_report_svg(report, "backlog", out);
		} else if (strcmp(t->name, "queues") == 0) {
			pd_report_svg(report, "response", out);
		}
		html_table(t, out);
	}
	pd_html_end(out);
}
