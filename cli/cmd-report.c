/* postdesk report: what the help desk did, from the reporting functions of
 * sql/functions/report.sql (issue 15 section 1).
 *
 *   postdesk report [--since DATE] [--until DATE] [--by day|week|month]
 *                   [--timezone TZ] [--queue Q] [--category C] [--agent A]
 *                   [--top N] [--format text|csv|json|html|png] [-o FILE]
 *
 * DATE is YYYY-MM-DD; both ends are included, days run from midnight in TZ
 * (default UTC).  Default range: the 30 days up to today.  --agent is the
 * assignee's address.  Sections and formats: lib/report/pd-report.h.
 * Read-only (one read-only transaction).  Exit codes: 0; 64 bad arguments
 * (a bad date, an empty or reversed range, more than 3660 days, an unknown
 * time zone); 67 an unknown queue; 75 the database unreachable; 78 its
 * schema not current; 73 when -o FILE cannot be written.
 */
#include "pd-cli.h"
#include "report/pd-report.h"

#include <stdio.h>
#include <string.h>

#define REPORT_USAGE "report [--since DATE] [--until DATE] [--by day|week|month] " \
	"[--timezone TZ] [--queue Q] [--category C] [--agent A] [--top N] " \
	"[--format text|csv|json|html|png] [-o FILE]"
static PdStore *
report_store(PdCli *cli, int *rc_r)
{
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_cli_store(cli, rc_r);

	if (store == NULL)
		return NULL;
	if (!pd_store_check_schema(store, &error)) {
		fprintf(stderr, "postdesk: %s\n", error->message);
		*rc_r = error->code == PD_ERROR_USAGE ? PD_EX_CONFIG : pd_error_to_sysexit(error);
		pd_store_free(store);
		return NULL;
	}
	return store;
}

int
pd_cmd_report(PdCli *cli, int argc, char **argv)
{
	PdReportArgs args = { 0 };
	const char *format_name = "text", *output = NULL;
	PdReportFormat format;
	PdReportQuery query = { 0 };
	g_autoptr(PdStore) store = NULL;
	g_autoptr(PdReport) report = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	PdConfig *config;
	int rc = PD_EX_OK;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char **slot = NULL;

		if (strcmp(opt, "--since") == 0)
			slot = &args.since;
		else if (strcmp(opt, "--until") == 0)
			slot = &args.until;
		else if (strcmp(opt, "--by") == 0)
			slot = &args.by;
		else if (strcmp(opt, "--timezone") == 0 || strcmp(opt, "--tz") == 0)
			slot = &args.timezone;
		else if (strcmp(opt, "--queue") == 0)
			slot = &args.queue;
		else if (strcmp(opt, "--category") == 0)
			slot = &args.category;
		else if (strcmp(opt, "--agent") == 0)
			slot = &args.agent;
		else if (strcmp(opt, "--top") == 0)
			slot = &args.top;
		else if (strcmp(opt, "--format") == 0)
			slot = &format_name;
		else if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0)
			slot = &output;
		else
			return pd_cli_usage(REPORT_USAGE, "unknown argument \"%s\"", opt);
		if (i + 1 >= argc)
			return pd_cli_usage(REPORT_USAGE, "%s needs a value", opt);
		*slot = argv[++i];
	}
	if (!pd_report_format_parse(format_name, &format))
		return pd_cli_usage(REPORT_USAGE, "--format %s: text, csv, json, html or png",
				    format_name);
	config = pd_cli_config(cli, &rc);
	if (config == NULL)
		return rc;
	if (!pd_report_query_parse(&args, config, &query, &error)) {
		if (error->code == PD_ERROR_USAGE)
			return pd_cli_usage(REPORT_USAGE, "--%s", error->message);
		return pd_cli_fail(error);
	}
	store = report_store(cli, &rc);
	if (store != NULL)
		report = pd_store_report(store, &query, &error);
	pd_report_query_clear(&query);
	if (store == NULL)
		return rc;
	if (report == NULL)
		return pd_cli_fail(error);
	pd_report_render(report, format, out);
	if (output == NULL) {
		fwrite(out->str, 1, out->len, stdout);
		return fflush(stdout) == 0 ? PD_EX_OK : PD_EX_IOERR;
	}
	if (!g_file_set_contents(output, out->str, (gssize)out->len, &error)) {
		fprintf(stderr, "postdesk: %s\n", error->message);
		return PD_EX_CANTCREAT;
	}
	return PD_EX_OK;
}
