/* pd-report-query: what a person asked for, checked (pd_report_query_parse
 * in pd-report.h): the CLI and /report share it. */
#include "report/pd-report.h"
#include "core/pd-address.h"
#include "core/pd-error.h"

#include <stdio.h>
#include <string.h>

#define REPORT_DEFAULT_DAYS 30
#define REPORT_DEFAULT_TOP 10

/* YYYY-MM-DD into date; FALSE if it is not one. */
static gboolean
query_date(const char *text, GDate *date)
{
	int y, m, d;
	char tail;

	g_date_clear(date, 1);
	if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return FALSE;
	g_date_set_dmy(date, (GDateDay)d, (GDateMonth)m, (GDateYear)y);
	return TRUE;
}

static char *
query_date_text(const GDate *date)
{
	return g_strdup_printf("%04u-%02u-%02u", g_date_get_year(date), g_date_get_month(date),
			       g_date_get_day(date));
}

/* "NAME VALUE: WHY" */
static gboolean
query_bad(GError **error, const char *name, const char *value, const char *why)
{
	g_autofree char *safe = g_utf8_make_valid(value, MIN(strlen(value), 64));

	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s %s: %s", name, safe, why);
	return FALSE;
}

gboolean
pd_report_query_parse(const PdReportArgs *args, const PdConfig *config, PdReportQuery *query_r,
		      GError **error)
{
	const char *by = args->by != NULL ? args->by : "day";
	const char *tz_name = args->timezone != NULL ? args->timezone : "UTC";
	g_autoptr(GTimeZone) tz = NULL;
	guint64 top = REPORT_DEFAULT_TOP;
	GDate from, to;

	memset(query_r, 0, sizeof(*query_r));
	if (strcmp(by, "day") != 0 && strcmp(by, "week") != 0 && strcmp(by, "month") != 0)
		return query_bad(error, "by", by, "day, week or month");
	tz = g_utf8_validate(tz_name, -1, NULL) && strlen(tz_name) < 64 &&
	     strspn(tz_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-")
	     == strlen(tz_name) ? g_time_zone_new_identifier(tz_name) : NULL;
	if (tz == NULL)
		return query_bad(error, "timezone", tz_name,
				 "not a time zone (UTC, Europe/Berlin...)");
	if (args->until != NULL && !query_date(args->until, &to))
		return query_bad(error, "until", args->until, "not a date (YYYY-MM-DD)");
	if (args->until == NULL) {
		g_autoptr(GDateTime) now = g_date_time_new_now(tz);

		g_date_clear(&to, 1);
		g_date_set_dmy(&to, (GDateDay)g_date_time_get_day_of_month(now),
			       (GDateMonth)g_date_time_get_month(now),
			       (GDateYear)g_date_time_get_year(now));
	}
	if (args->since != NULL && !query_date(args->since, &from))
		return query_bad(error, "since", args->since, "not a date (YYYY-MM-DD)");
	if (args->since == NULL) {
		from = to;
		g_date_subtract_days(&from, REPORT_DEFAULT_DAYS - 1);
	}
	if (g_date_compare(&from, &to) > 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "since, until: the range is empty (since is after until)");
		return FALSE;
	}
	if (g_date_days_between(&from, &to) >= PD_REPORT_MAX_DAYS) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "since, until: the range is longer than %d days", PD_REPORT_MAX_DAYS);
		return FALSE;
	}
	if (args->top != NULL && !g_ascii_string_to_unsigned(args->top, 10, 1, 1000, &top, NULL))
		return query_bad(error, "top", args->top, "a number from 1 to 1000");
	if (args->queue != NULL) {
		gboolean known = FALSE;

		for (guint i = 0; i < config->queues->len; i++)
			known |= strcmp(((PdQueueConfig *)config->queues->pdata[i])->name,
					args->queue) == 0;
		if (!known) {
			g_autofree char *safe = g_utf8_make_valid(args->queue, -1);

			g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "unknown queue \"%s\"", safe);
			return FALSE;
		}
	}
	if (args->agent != NULL) {
		query_r->agent = pd_address_canonicalize(args->agent, config->recipient_delimiter);
		if (query_r->agent == NULL)
			return query_bad(error, "agent", args->agent, "not an address");
	}
	query_r->since = query_date_text(&from);
	query_r->until = query_date_text(&to);
	query_r->by = g_strdup(by);
	query_r->timezone = g_strdup(tz_name);
	query_r->queue = g_strdup(args->queue);
	query_r->category = g_utf8_make_valid(args->category != NULL ? args->category : "", -1);
	if (args->category == NULL)
		g_clear_pointer(&query_r->category, g_free);
	query_r->top = (guint)top;
	return TRUE;
}
