/* pd-report: text, CSV and JSON of a report (pd-report.h). */
#include "report/pd-report.h"
#include "core/pd-json.h"

#include <string.h>

static const struct {
	const char *section;
	const char *title;
} report_titles[] = {
	{ "volume", "Tickets opened and closed, backlog at the end of each period" },
	{ "queues", "Per queue (first response: tickets opened in the range; resolution: "
		    "closed in it)" },
	{ "backlog", "Backlog at the end of the range, by age" },
	{ "requests", "Authorizations, held and quarantined (tickets opened in the range; "
		      "mail quarantined in it)" },
	{ "agents", "Agents (answers and notes received in the range; open tickets assigned "
		    "at its end)" },
	{ "requesters", "Top requesters (tickets opened in the range)" },
	{ "accounts", "Top accounts (tickets opened in the range)" },
};

gboolean
pd_report_format_parse(const char *name, PdReportFormat *format_r)
{
	static const char *const names[] = { "text", "csv", "json", "html", "png" };

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_strcmp0(name, names[i]) == 0) {
			*format_r = (PdReportFormat)i;
			return TRUE;
		}
	}
	return FALSE;
}

char *
pd_report_duration(gint64 seconds)
{
	gint64 d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60;

	if (seconds < 0)
		return g_strdup("-");
	if (d > 0)
		return h > 0 ? g_strdup_printf("%" G_GINT64_FORMAT "d %" G_GINT64_FORMAT "h", d, h)
			     : g_strdup_printf("%" G_GINT64_FORMAT "d", d);
	if (h > 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "h %02" G_GINT64_FORMAT "m", h, m);
	if (m > 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "m", m);
	return g_strdup_printf("%" G_GINT64_FORMAT "s", seconds);
}

/* A column of seconds: first_response_p50 ... resolution_p90. */
static gboolean
column_is_duration(const char *name)
{
	return g_str_has_suffix(name, "_p50") || g_str_has_suffix(name, "_p90");
}

const char *
pd_report_section_title(const char *section)
{
	for (guint i = 0; i < G_N_ELEMENTS(report_titles); i++)
		if (strcmp(report_titles[i].section, section) == 0)
			return report_titles[i].title;
	return section;
}

/* Safe for a terminal: control characters become U+FFFD. */
static char *
text_printable(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	GString *out = g_string_new(NULL);

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			g_string_append_unichar(out, 0xfffd);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

char *
pd_report_cell_text(const PdReportTable *t, guint column, const char *value)
{
	const char *name = t->columns->pdata[column];

	if (value == NULL)
		return g_strdup(strcmp(name, "queue") == 0 ? "all" : "-");
	if (column_is_duration(name))
		return pd_report_duration(g_ascii_strtoll(value, NULL, 10));
	return text_printable(value);
}

static void
render_text_table(const PdReportTable *t, GString *out)
{
	guint n = t->columns->len;
	g_autofree guint *width = g_new0(guint, n);
	g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);

	g_string_append_printf(out, "\n%s\n", pd_report_section_title(t->name));
	for (guint j = 0; j < n; j++) {
		char *head = g_strdelimit(g_strdup(t->columns->pdata[j]), "_", ' ');

		g_ptr_array_add(cells, head);
		width[j] = g_utf8_strlen(head, -1);
	}
	for (guint i = 0; i < t->rows->len; i++) {
		char **row = t->rows->pdata[i];

		for (guint j = 0; j < n; j++) {
			char *cell = pd_report_cell_text(t, j, row[j]);

			width[j] = MAX(width[j], (guint)g_utf8_strlen(cell, -1));
			g_ptr_array_add(cells, cell);
		}
	}
	for (guint i = 0; i < cells->len; i++) {
		guint j = i % n;
		const char *cell = cells->pdata[i];
		guint pad = width[j] - g_utf8_strlen(cell, -1);
		gboolean right = g_array_index(t->numeric, gboolean, j);

		if (right)
			g_string_append_printf(out, "%*s", pad, "");
		g_string_append(out, cell);
		if (j + 1 == n)
			g_string_append_c(out, '\n');
		else
			g_string_append_printf(out, "%*s", right ? 2 : pad + 2, "");
	}
	if (t->rows->len == 0)
		g_string_append(out, "(none)\n");
}

void
pd_report_heading(const PdReport *report, GString *out)
{
	const PdReportQuery *q = &report->query;

	g_string_append_printf(out, "postdesk report %s to %s (%s), by %s", q->since, q->until,
			       q->timezone, q->by);
	if (q->queue != NULL)
		g_string_append_printf(out, ", queue %s", q->queue);
	if (q->category != NULL)
		g_string_append_printf(out, ", category %s", q->category);
	if (q->agent != NULL)
		g_string_append_printf(out, ", agent %s", q->agent);
}

static void
render_text(const PdReport *report, GString *out)
{
	g_autoptr(GString) heading = g_string_new(NULL);
	g_autofree char *safe = NULL;

	pd_report_heading(report, heading);
	safe = text_printable(heading->str);
	g_string_append_printf(out, "%s\n", safe);
	for (guint i = 0; i < report->tables->len; i++)
		render_text_table(report->tables->pdata[i], out);
}

static void
csv_field(GString *out, const char *value)
{
	if (value == NULL)
		return;
	if (strpbrk(value, ",\"\r\n") == NULL) {
		g_string_append(out, value);
		return;
	}
	g_string_append_c(out, '"');
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void
render_csv(const PdReport *report, GString *out)
{
	for (guint k = 0; k < report->tables->len; k++) {
		const PdReportTable *t = report->tables->pdata[k];

		if (k > 0)
			g_string_append(out, "\r\n");
		g_string_append(out, "section");
		for (guint j = 0; j < t->columns->len; j++) {
			g_string_append_c(out, ',');
			csv_field(out, t->columns->pdata[j]);
		}
		g_string_append(out, "\r\n");
		for (guint i = 0; i < t->rows->len; i++) {
			char **row = t->rows->pdata[i];

			csv_field(out, t->name);
			for (guint j = 0; j < t->columns->len; j++) {
				g_string_append_c(out, ',');
				csv_field(out, row[j]);
			}
			g_string_append(out, "\r\n");
		}
	}
}

static void
render_json(const PdReport *report, GString *out)
{
	const PdReportQuery *q = &report->query;
	PdJson json;

	pd_json_init(&json, out);
	pd_json_begin_object(&json, NULL);
	pd_json_add_string(&json, "since", q->since);
	pd_json_add_string(&json, "until", q->until);
	pd_json_add_string(&json, "by", q->by);
	pd_json_add_string(&json, "timezone", q->timezone);
	pd_json_add_string(&json, "queue", q->queue);
	pd_json_add_string(&json, "category", q->category);
	pd_json_add_string(&json, "agent", q->agent);
	for (guint k = 0; k < report->tables->len; k++) {
		const PdReportTable *t = report->tables->pdata[k];

		pd_json_begin_array(&json, t->name);
		for (guint i = 0; i < t->rows->len; i++) {
			char **row = t->rows->pdata[i];

			pd_json_begin_object(&json, NULL);
			for (guint j = 0; j < t->columns->len; j++) {
				const char *key = t->columns->pdata[j];

				if (row[j] == NULL)
					pd_json_add_null(&json, key);
				else if (g_array_index(t->numeric, gboolean, j))
					pd_json_add_int(&json, key, g_ascii_strtoll(row[j], NULL, 10));
				else
					pd_json_add_string(&json, key, row[j]);
			}
			pd_json_end_object(&json);
		}
		pd_json_end_array(&json);
	}
	pd_json_end_object(&json);
	g_string_append_c(out, '\n');
}

void
pd_report_render(const PdReport *report, PdReportFormat format, GString *out)
{
	switch (format) {
	case PD_REPORT_FORMAT_TEXT:
		render_text(report, out);
		break;
	case PD_REPORT_FORMAT_CSV:
		render_csv(report, out);
		break;
	case PD_REPORT_FORMAT_JSON:
		render_json(report, out);
		break;
	case PD_REPORT_FORMAT_HTML:
		pd_report_render_html(report, out);
		break;
	case PD_REPORT_FORMAT_PNG:
		pd_report_render_png(report, out);
		break;
	}
}

const char *
pd_report_content_type(PdReportFormat format)
{
	switch (format) {
	case PD_REPORT_FORMAT_CSV:
		return "text/csv; charset=utf-8";
	case PD_REPORT_FORMAT_JSON:
		return "application/json";
	case PD_REPORT_FORMAT_HTML:
		return "text/html; charset=utf-8";
	case PD_REPORT_FORMAT_PNG:
		return "image/png";
	case PD_REPORT_FORMAT_TEXT:
		break;
	}
	return "text/plain; charset=utf-8";
}
