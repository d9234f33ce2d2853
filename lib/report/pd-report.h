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
 * Text from mail (a requester's address, an account name) is made safe for
 * a terminal in text, quoted in CSV, escaped in JSON.
 */
#ifndef PD_REPORT_H
#define PD_REPORT_H

#include <glib.h>
#include "store/pd-store-report.h"

typedef enum {
	PD_REPORT_FORMAT_TEXT,
	PD_REPORT_FORMAT_CSV,
	PD_REPORT_FORMAT_JSON,
} PdReportFormat;

/* "text", "csv", "json" -> format; FALSE for anything else. */
gboolean pd_report_format_parse(const char *name, PdReportFormat *format_r);

void pd_report_render(const PdReport *report, PdReportFormat format, GString *out);

/* 93784 -> "1d 2h", 11100 -> "3h 05m", 720 -> "12m", 40 -> "40s". */
char *pd_report_duration(gint64 seconds);

#endif
