/* pd-store-report: the report's sections from sql/functions/report.sql
 * (pd-store-report.h). */
#include "pd-store-private.h"
#include "store/pd-store-report.h"
#include "core/pd-error.h"

#include <string.h>

/* PostgreSQL's type oids of the integer columns the functions return. */
#define OID_INT8 20
#define OID_INT4 23

/* Each section's function and its arguments, by letter: s since, u until,
 * b by, z time zone, q queue, c category, a agent, l limit. */
static const struct {
	const char *name;
	const char *function;
	const char *args;
} report_sections[] = {
	{ "volume", "pd_report_volume", "subzqca" },
	{ "queues", "pd_report_queues", "suzqca" },
	{ "backlog", "pd_report_backlog", "suzqca" },
	{ "requests", "pd_report_requests", "suzqca" },
	{ "agents", "pd_report_agents", "suzqca" },
	{ "requesters", "pd_report_requesters", "suzqcal" },
	{ "accounts", "pd_report_accounts", "suzqcal" },
};

/* "SELECT * FROM f($1::date, ...)" with the parameters args names. */
static char *
report_call(const PdReportQuery *q, const char *function, const char *args,
	    PdStoreParams *params)
{
	GString *sql = g_string_new(NULL);

	g_string_printf(sql, "SELECT * FROM %s(", function);
	for (guint i = 0; args[i] != '\0'; i++) {
		const char *cast = "";

		g_string_append_printf(sql, "%s$%u", i > 0 ? ", " : "", i + 1);
		switch (args[i]) {
		case 's': pd_store_param_text(params, q->since); cast = "::date"; break;
		case 'u': pd_store_param_text(params, q->until); cast = "::date"; break;
		case 'b': pd_store_param_text(params, q->by); cast = "::text"; break;
		case 'z': pd_store_param_text(params, q->timezone); cast = "::text"; break;
		case 'q': pd_store_param_text(params, q->queue); cast = "::text"; break;
		case 'c': pd_store_param_text(params, q->category); cast = "::text"; break;
		case 'a': pd_store_param_text(params, q->agent); cast = "::text"; break;
		case 'l': pd_store_param_int(params, q->top); cast = "::integer"; break;
		default: g_assert_not_reached();
		}
		g_string_append(sql, cast);
	}
	g_string_append_c(sql, ')');
	return g_string_free(sql, FALSE);
}

void
pd_report_query_clear(PdReportQuery *query)
{
	g_clear_pointer(&query->since, g_free);
	g_clear_pointer(&query->until, g_free);
	g_clear_pointer(&query->by, g_free);
	g_clear_pointer(&query->timezone, g_free);
	g_clear_pointer(&query->queue, g_free);
	g_clear_pointer(&query->category, g_free);
	g_clear_pointer(&query->agent, g_free);
}

static void
report_table_free(gpointer p)
{
	PdReportTable *t = p;

	for (guint i = 0; i < t->rows->len; i++) {
		char **row = t->rows->pdata[i];

		for (guint j = 0; j < t->columns->len; j++)
			g_free(row[j]);
		g_free(row);
	}
	g_ptr_array_unref(t->rows);
	g_ptr_array_unref(t->columns);
	g_array_unref(t->numeric);
	g_free(t->name);
	g_free(t);
}

void
pd_report_free(PdReport *report)
{
	if (report == NULL)
		return;
	pd_report_query_clear(&report->query);
	g_ptr_array_unref(report->tables);
	g_free(report);
}

const PdReportTable *
pd_report_table(const PdReport *report, const char *name)
{
	for (guint i = 0; i < report->tables->len; i++) {
		const PdReportTable *t = report->tables->pdata[i];

		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

static PdReportTable *
report_table_new(const char *name, const PGresult *result)
{
	PdReportTable *t = g_new0(PdReportTable, 1);
	int n_columns = PQnfields(result), n_rows = PQntuples(result);

	t->name = g_strdup(name);
	t->columns = g_ptr_array_new_with_free_func(g_free);
	t->numeric = g_array_new(FALSE, FALSE, sizeof(gboolean));
	t->rows = g_ptr_array_new();
	for (int j = 0; j < n_columns; j++) {
		Oid type = PQftype(result, j);
		gboolean numeric = type == OID_INT8 || type == OID_INT4;

		g_ptr_array_add(t->columns, g_strdup(PQfname(result, j)));
		g_array_append_val(t->numeric, numeric);
	}
	for (int i = 0; i < n_rows; i++) {
		char **row = g_new0(char *, MAX(n_columns, 1));

		for (int j = 0; j < n_columns; j++)
			row[j] = pd_store_dup(result, i, j);
		g_ptr_array_add(t->rows, row);
	}
	return t;
}

PdReport *
pd_store_report(PdStore *store, const PdReportQuery *query, GError **error)
{
	g_autoptr(PdReport) report = g_new0(PdReport, 1);
	PdStoreParams params;
	gboolean ok = TRUE;

	report->query.since = g_strdup(query->since);
	report->query.until = g_strdup(query->until);
	report->query.by = g_strdup(query->by);
	report->query.timezone = g_strdup(query->timezone);
	report->query.queue = g_strdup(query->queue);
	report->query.category = g_strdup(query->category);
	report->query.agent = g_strdup(query->agent);
	report->query.top = query->top;
	report->tables = g_ptr_array_new_with_free_func(report_table_free);
	if (!pd_store_exec_simple(store, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
				  "report", error))
		return NULL;
	for (guint i = 0; ok && i < G_N_ELEMENTS(report_sections); i++) {
		g_autofree char *sql = NULL;
		g_autoptr(PGresult) result = NULL;

		pd_store_params_init(&params);
		sql = report_call(query, report_sections[i].function, report_sections[i].args,
				  &params);
		result = pd_store_exec_sql(store, sql, &params, "report", error);
		pd_store_params_clear(&params);
		ok = result != NULL;
		if (ok)
			g_ptr_array_add(report->tables,
					report_table_new(report_sections[i].name, result));
	}
	/* read only: the end of the transaction changes nothing either way */
	if (!pd_store_exec_simple(store, "COMMIT", "report", ok ? error : NULL) || !ok) {
		pd_store_exec_simple(store, "ROLLBACK", "report", NULL);
		return NULL;
	}
	return g_steal_pointer(&report);
}
