/* pd-store-report: the figures of `postdesk report` (and /report), read
 * through the reporting functions of sql/functions/report.sql.
 *
 * A report is a list of tables, one per section, each as PostgreSQL
 * returned it: column names, which columns are numbers, and the rows'
 * values as text (NULL for SQL NULL).  Sections, in order:
 *   volume      period, queue, opened, closed, backlog
 *   queues      queue (NULL: all queues), opened, closed, backlog, responded,
 *               first_response_p50/p90, resolution_p50/p90 (seconds)
 *   backlog     age, tickets (at the end of the range)
 *   requests    queue (NULL: all), needs_authorization, authorization_asked,
 *               approved, refused, waiting, held (tickets opened in the
 *               range), quarantined, released (mail kept out by the rules)
 *   agents      agent, name, answers, notes, tickets (answered), assigned_open
 *   requesters  requester, account, tickets, open (the top N)
 *   accounts    account, tickets, open, requesters (the top N)
 * lib/report renders it (text, CSV, JSON, SVG); nothing here formats.
 */
#ifndef PD_STORE_REPORT_H
#define PD_STORE_REPORT_H

#include <glib.h>
#include "store/pd-store.h"

typedef struct {
	char *since;		/* YYYY-MM-DD, included */
	char *until;		/* YYYY-MM-DD, included */
	char *by;		/* "day", "week" or "month" */
	char *timezone;		/* days start at midnight here: "UTC", "Europe/Berlin" */
	char *queue;		/* NULL: every queue */
	char *category;		/* NULL: any */
	char *agent;		/* the assignee's address, NULL: any */
	guint top;		/* rows of requesters and accounts */
} PdReportQuery;

typedef struct {
	char *name;		/* "volume" */
	GPtrArray *columns;	/* char * */
	GArray *numeric;	/* gboolean per column: an integer (or NULL) */
	GPtrArray *rows;	/* char ** of columns->len values, NULL: SQL NULL */
} PdReportTable;

typedef struct {
	PdReportQuery query;	/* the report's own copy */
	GPtrArray *tables;	/* PdReportTable *, in the order above */
} PdReport;

void pd_report_query_clear(PdReportQuery *query);
void pd_report_free(PdReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdReport, pd_report_free)
/* The section called name, NULL if none. */
const PdReportTable *pd_report_table(const PdReport *report, const char *name);

/* Every section for query (its dates, by and time zone already checked:
 * the caller's job, PD_ERROR_USAGE is not raised here); one read-only
 * transaction, so the sections agree.  PD_ERROR_TEMPFAIL when the
 * database fails. */
PdReport *pd_store_report(PdStore *store, const PdReportQuery *query, GError **error);

#endif
