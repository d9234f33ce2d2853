/* pd-report: a report (lib/store/pd-store-report.h) as text, CSV or JSON.
 *
 * Pure formatting of the figures the store read: no SQL, no I/O.
 *   text  for a terminal: a heading line, then each section as aligned
 *         columns; durations as "1d 2h", "3h 05m", "12m", "40s"; NULL "-"
 *   csv   RFC 4180: each section a block with its own header row whose
 *         first column is "section", blocks separated by an empty line;
 *         durations in seconds, NULL empty
 *   json  one object: since, until, by, timezone, queue, category, agent,
 *         then one array of objects per section (numbers as numbers,
 *         durations in seconds, NULL as null)
 *   html  one XHTML document (well-formed XML): the heading, then each
 *         section's title, its charts (inline SVG, pd-report-html.c) and its
 *         table; no script, no external resource
 *   png   the three charts, one under the other, drawn by cairo from the
 *         same drawing code (pd-canvas.h), for mail clients without SVG
 * Text from mail (a requester's address, an account name) is made safe for
 * a terminal in text, quoted in CSV, escaped in JSON, HTML and SVG.
 *
 * pd_report_query_parse checks what a person asked for (the CLI's options,
 * /report's query parameters) into a PdReportQuery, the same way for both.
 */
#ifndef PD_REPORT_H
#define PD_REPORT_H

#include <glib.h>
#include "core/pd-config.h"
#include "store/pd-store-report.h"

typedef enum {
	PD_REPORT_FORMAT_TEXT,
	PD_REPORT_FORMAT_CSV,
	PD_REPORT_FORMAT_JSON,
	PD_REPORT_FORMAT_HTML,
	PD_REPORT_FORMAT_PNG,
} PdReportFormat;

/* "text", "csv", "json", "html", "png" -> format; FALSE for anything else. */
gboolean pd_report_format_parse(const char *name, PdReportFormat *format_r);

void pd_report_render(const PdReport *report, PdReportFormat format, GString *out);
/* The content type of a format ("text/html; charset=utf-8"...). */
const char *pd_report_content_type(PdReportFormat format);
/* One chart alone as an SVG document: "volume", "backlog" or "response";
 * nothing for another name. */
void pd_report_svg(const PdReport *report, const char *chart, GString *out);
/* The same chart on any canvas (pd-canvas.h). */
struct _PdCanvas;
void pd_report_draw(const PdReport *report, const char *chart, struct _PdCanvas *canvas);

/* What was asked, as given (NULL: the default): dates YYYY-MM-DD (default
 * until today in the time zone, since 29 days before), by (day), timezone
 * (UTC), queue (one of config's), category, agent (an address), top (10,
 * 1 to 1000). */
typedef struct {
	const char *since, *until, *by, *timezone, *queue, *category, *agent, *top;
} PdReportArgs;

#define PD_REPORT_MAX_DAYS 3660

/* PD_ERROR_USAGE naming the bad argument (a bad date, an empty or reversed
 * range, more than PD_REPORT_MAX_DAYS days, an unknown time zone or by, a
 * bad top or agent); PD_ERROR_NOTFOUND for an unknown queue.  query_r is
 * cleared with pd_report_query_clear. */
gboolean pd_report_query_parse(const PdReportArgs *args, const PdConfig *config,
			       PdReportQuery *query_r, GError **error);

/* For the renderers: "postdesk report 2026-11-02 to 2026-11-08 (UTC), by day...",
 * a section's title, and a cell as text shows it (durations readable, NULL
 * "-", the all-queues row "all"). */
void pd_report_heading(const PdReport *report, GString *out);
const char *pd_report_section_title(const char *section);
char *pd_report_cell_text(const PdReportTable *table, guint column, const char *value);
void pd_report_render_html(const PdReport *report, GString *out);
/* PNG bytes (binary: use out->len): the three charts stacked (cairo). */
void pd_report_render_png(const PdReport *report, GString *out);

/* 93784 -> "1d 2h", 11100 -> "3h 05m", 720 -> "12m", 40 -> "40s". */
char *pd_report_duration(gint64 seconds);

#endif
