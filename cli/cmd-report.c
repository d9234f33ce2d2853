/* postdesk report: what the help desk did, from the reporting functions of
 * sql/functions/report.sql (issue 15 section 1).
 *
 *   postdesk report [--since DATE] [--until DATE] [--by day|week|month]
 *                   [--timezone TZ] [--queue Q] [--category C] [--agent A]
 *                   [--top N] [--format text|csv|json] [-o FILE]
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
#include "core/pd-address.h"
#include "report/pd-report.h"

#include <stdio.h>
#include <string.h>

#define REPORT_USAGE "report [--since DATE] [--until DATE] [--by day|week|month] " \
	"[--timezone TZ] [--queue Q] [--category C] [--agent A] [--top N] " \
	"[--format text|csv|json] [-o FILE]"
#define REPORT_DEFAULT_DAYS 30
#define REPORT_MAX_DAYS 3660
#define REPORT_DEFAULT_TOP 10

/* YYYY-MM-DD into date; FALSE if it is not one. */
static gboolean
report_date(const char *text, GDate *date)
{
	int y, m, d;
	char tail;

	g_date_clear(date, 1);
	if (text == NULL || strlen(text) != 10 ||
	    sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return FALSE;
	g_date_set_dmy(date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	return TRUE;
}

static char *
report_date_text(const GDate *date)
{
	return g_strdup_printf("%04u-%02u-%02u", g_date_get_year(date), g_date_get_month(date),
			       g_date_get_day(date));
}

/* Today in the time zone. */
static void
report_today(GTimeZone *tz, GDate *date_r)
{
	g_autoptr(GDateTime) now = g_date_time_new_now(tz);

	g_date_clear(date_r, 1);
	g_date_set_dmy(date_r, (GDateDay)g_date_time_get_day_of_month(now),
		       (GDateMonth)g_date_time_get_month(now),
		       (GDateYear)g_date_time_get_year(now));
}

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
	const char *since = NULL, *until = NULL, *by = "day", *tz_name = "UTC", *format_name = "text";
	const char *queue = NULL, *category = NULL, *agent = NULL, *output = NULL;
	guint64 top = REPORT_DEFAULT_TOP;
	PdReportFormat format;
	PdReportQuery query = { 0 };
	g_autoptr(GTimeZone) tz = NULL;
	g_autoptr(PdStore) store = NULL;
	g_autoptr(PdReport) report = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	PdConfig *config;
	GDate from, to;
	int rc = PD_EX_OK;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		const char **slot = NULL;

		if (strcmp(opt, "--since") == 0)
			slot = &since;
		else if (strcmp(opt, "--until") == 0)
			slot = &until;
		else if (strcmp(opt, "--by") == 0)
			slot = &by;
		else if (strcmp(opt, "--timezone") == 0 || strcmp(opt, "--tz") == 0)
			slot = &tz_name;
		else if (strcmp(opt, "--queue") == 0)
			slot = &queue;
		else if (strcmp(opt, "--category") == 0)
			slot = &category;
		else if (strcmp(opt, "--agent") == 0)
			slot = &agent;
		else if (strcmp(opt, "--format") == 0)
			slot = &format_name;
		else if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0)
			slot = &output;
		else if (strcmp(opt, "--top") == 0) {
			if (value == NULL ||
			    !g_ascii_string_to_unsigned(value, 10, 1, 1000, &top, NULL))
				return pd_cli_usage(REPORT_USAGE, "--top: a number from 1 to 1000");
			i++;
			continue;
		} else
			return pd_cli_usage(REPORT_USAGE, "unknown argument \"%s\"", opt);
		if (value == NULL)
			return pd_cli_usage(REPORT_USAGE, "%s needs a value", opt);
		*slot = value;
		i++;
	}
	if (strcmp(by, "day") != 0 && strcmp(by, "week") != 0 && strcmp(by, "month") != 0)
		return pd_cli_usage(REPORT_USAGE, "--by %s: day, week or month", by);
	if (!pd_report_format_parse(format_name, &format))
		return pd_cli_usage(REPORT_USAGE, "--format %s: text, csv or json", format_name);
	tz = g_time_zone_new_identifier(tz_name);
	if (tz == NULL || strchr(tz_name, '\'') != NULL)
		return pd_cli_usage(REPORT_USAGE, "--timezone %s: not a time zone (UTC, "
				    "Europe/Berlin...)", tz_name);
	if (until != NULL && !report_date(until, &to))
		return pd_cli_usage(REPORT_USAGE, "--until %s: not a date (YYYY-MM-DD)", until);
	if (until == NULL)
		report_today(tz, &to);
	if (since != NULL && !report_date(since, &from))
		return pd_cli_usage(REPORT_USAGE, "--since %s: not a date (YYYY-MM-DD)", since);
	if (since == NULL) {
		from = to;
		g_date_subtract_days(&from, REPORT_DEFAULT_DAYS - 1);
	}
	if (g_date_compare(&from, &to) > 0)
		return pd_cli_usage(REPORT_USAGE, "the range is empty: --since is after --until");
	if (g_date_days_between(&from, &to) >= REPORT_MAX_DAYS)
		return pd_cli_usage(REPORT_USAGE, "the range is longer than %d days",
				    REPORT_MAX_DAYS);
	config = pd_cli_config(cli, &rc);
	if (config == NULL)
		return rc;
	if (queue != NULL) {
		gboolean known = FALSE;

		for (guint i = 0; i < config->queues->len; i++)
			known |= strcmp(((PdQueueConfig *)config->queues->pdata[i])->name, queue) == 0;
		if (!known) {
			fprintf(stderr, "postdesk: unknown queue \"%s\"\n", queue);
			return PD_EX_NOUSER;
		}
	}
	store = report_store(cli, &rc);
	if (store == NULL)
		return rc;
	query.since = report_date_text(&from);
	query.until = report_date_text(&to);
	query.by = g_strdup(by);
	query.timezone = g_strdup(tz_name);
	query.queue = g_strdup(queue);
	query.category = g_strdup(category);
	query.agent = agent != NULL ? pd_address_canonicalize(agent, config->recipient_delimiter) : NULL;
	query.top = (guint)top;
	if (agent != NULL && query.agent == NULL) {
		pd_report_query_clear(&query);
		return pd_cli_usage(REPORT_USAGE, "--agent %s: not an address", agent);
	}
	report = pd_store_report(store, &query, &error);
	pd_report_query_clear(&query);
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
