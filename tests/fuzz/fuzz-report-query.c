/* fuzz-report-query: what /report's query parameters (or the CLI's options)
 * ask for, checked by pd_report_query_parse, and a report of the accepted
 * query rendered in every format with hostile cell values.  The input is
 * the eight arguments (since, until, by, timezone, queue, category, agent,
 * top) separated by newlines; a missing one is NULL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report/pd-report.h"
#include "report/pd-svg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PdConfig *
fuzz_config(void)
{
	static PdConfig *config;

	if (config == NULL)
		config = pd_config_load_data("[postdesk]\nconfig_version = 1\n[database]\n"
					     "conninfo = dbname=x\n[lmtp]\nlisten = 127.0.0.1:2424\n"
					     "[queue support]\naddresses = support@example.com\n",
					     NULL, NULL);
	return config;
}

/* A report with one volume and one queues row made of the query's text. */
static void
fuzz_render(const PdReportQuery *q)
{
	PdReport report = { .query = *q };
	PdReportTable volume = { .name = (char *)"volume" }, queues = { .name = (char *)"queues" };
	static const char *const vcols[] = { "period", "queue", "opened", "closed", "backlog" };
	static const char *const qcols[] = { "queue", "first_response_p50", "first_response_p90" };
	const char *vrow[] = { q->since, q->category != NULL ? q->category : "x", "3", "1", "2" };
	const char *qrow[] = { q->category, "86399", q->agent != NULL ? "-5" : "7200" };
	GString *out = g_string_new(NULL);

	volume.columns = g_ptr_array_new();
	volume.numeric = g_array_new(FALSE, FALSE, sizeof(gboolean));
	volume.rows = g_ptr_array_new();
	for (guint j = 0; j < G_N_ELEMENTS(vcols); j++) {
		gboolean numeric = j >= 2;

		g_ptr_array_add(volume.columns, (gpointer)vcols[j]);
		g_array_append_val(volume.numeric, numeric);
	}
	g_ptr_array_add(volume.rows, vrow);
	queues.columns = g_ptr_array_new();
	queues.numeric = g_array_new(FALSE, FALSE, sizeof(gboolean));
	queues.rows = g_ptr_array_new();
	for (guint j = 0; j < G_N_ELEMENTS(qcols); j++) {
		gboolean numeric = j >= 1;

		g_ptr_array_add(queues.columns, (gpointer)qcols[j]);
		g_array_append_val(queues.numeric, numeric);
	}
	g_ptr_array_add(queues.rows, qrow);
	report.tables = g_ptr_array_new();
	g_ptr_array_add(report.tables, &volume);
	g_ptr_array_add(report.tables, &queues);
	for (int f = PD_REPORT_FORMAT_TEXT; f <= PD_REPORT_FORMAT_HTML; f++) {
		g_string_truncate(out, 0);
		pd_report_render(&report, (PdReportFormat)f, out);
		g_assert(g_utf8_validate(out->str, (gssize)out->len, NULL));
	}
	g_ptr_array_unref(report.tables);
	g_ptr_array_unref(volume.columns);
	g_array_unref(volume.numeric);
	g_ptr_array_unref(volume.rows);
	g_ptr_array_unref(queues.columns);
	g_array_unref(queues.numeric);
	g_ptr_array_unref(queues.rows);
	g_string_free(out, TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	char **parts = g_strsplit(text, "\n", 8);
	const char *slot[8] = { NULL };
	PdReportArgs args;
	PdReportQuery query;
	GError *error = NULL;

	for (guint i = 0; i < 8 && parts[i] != NULL; i++)
		slot[i] = parts[i];
	args = (PdReportArgs){ slot[0], slot[1], slot[2], slot[3], slot[4], slot[5], slot[6],
			       slot[7] };
	if (pd_report_query_parse(&args, fuzz_config(), &query, &error)) {
		fuzz_render(&query);
		pd_report_query_clear(&query);
	} else {
		g_assert(error != NULL && g_utf8_validate(error->message, -1, NULL));
		g_error_free(error);
	}
	g_strfreev(parts);
	g_free(text);
	return 0;
}
