/* pd-http: postdeskd's pages on the [http] listener (lib/http serves them).
 *
 *   /metrics   the Prometheus text format (pd-pipeline-metrics.h lists the
 *              families); open on loopback, the operator token otherwise
 *   /report    `postdesk report` as HTML with its charts (or ?format=json,
 *              csv, text, png), with the CLI's options as query parameters
 *              (since, until, by, timezone, queue, category, agent, top);
 *              the operator token always.  400 for a bad parameter, 404 for
 *              an unknown queue, 503 when the database fails.
 *   /tickets   the latest tickets (?queue=, status=, search=, held), as
 *              `postdesk ticket list`; /tickets/N one ticket's history, as
 *              `ticket show` (404 for none); the operator token always
 *   /t/TOKEN   the customer's page of one ticket (lib/report/pd-ticket-page.h),
 *              no operator token, [http] page_rate per client address; 404
 *              alike for a malformed, forged, expired or unmatched token and
 *              when public_url is not set
 *
 * Bound with the LMTP listeners, before the privilege drop; serves after it;
 * stopped before the pipeline and the pool are freed.
 */
#include "pd-daemon.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "http/pd-http.h"
#include "pipeline/pd-pipeline-metrics.h"
#include "report/pd-report.h"
#include "report/pd-ticket-page.h"
#include "smtp/pd-outbound.h"
#include "store/pd-store-page.h"
#include "ticket/pd-token.h"

#include <string.h>

static PdConfig *
http_config(gpointer user_data)
{
	return pd_daemon_config(user_data);
}

static void
http_metrics(const PdHttpRequest *request, PdHttpResponse *response, gpointer user_data)
{
	PdDaemon *daemon = user_data;

	(void)request;
	pd_pipeline_metrics_scrape(daemon->pool, (guint)g_atomic_int_get(&daemon->open_sessions));
	pd_metrics_render(pd_pipeline_metrics(), response->body);
	response->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void
http_unavailable(const char *page, const GError *error, PdHttpResponse *response)
{
	pd_log_warning("http: %s: %s", page, error->message);
	response->status = 503;
	g_string_append(response->body, "the database is not available; try again later\n");
}

static void
http_report(const PdHttpRequest *request, PdHttpResponse *response, gpointer user_data)
{
	PdDaemon *daemon = user_data;
	g_autoptr(PdConfig) config = pd_daemon_config(daemon);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdReport) report = NULL;
	const char *format_name = pd_http_request_arg(request, "format");
	PdReportArgs args = {
		.since = pd_http_request_arg(request, "since"),
		.until = pd_http_request_arg(request, "until"),
		.by = pd_http_request_arg(request, "by"),
		.timezone = pd_http_request_arg(request, "timezone"),
		.queue = pd_http_request_arg(request, "queue"),
		.category = pd_http_request_arg(request, "category"),
		.agent = pd_http_request_arg(request, "agent"),
		.top = pd_http_request_arg(request, "top"),
	};
	PdReportFormat format = PD_REPORT_FORMAT_HTML;
	PdReportQuery query = { 0 };
	PdStore *store;

	if (format_name != NULL && !pd_report_format_parse(format_name, &format)) {
		response->status = 400;
		g_string_append(response->body, "format: text, csv, json, html or png\n");
		return;
	}
	if (!pd_report_query_parse(&args, config, &query, &error)) {
		response->status = error->code == PD_ERROR_NOTFOUND ? 404 : 400;
		g_string_append_printf(response->body, "%s\n", error->message);
		return;
	}
	store = pd_store_pool_get(daemon->pool, &error);
	if (store != NULL) {
		report = pd_store_report(store, &query, &error);
		pd_store_pool_put(daemon->pool, store);
	}
	pd_report_query_clear(&query);
	if (report == NULL) {
		http_unavailable("/report", error, response);
		return;
	}
	pd_report_render(report, format, response->body);
	response->content_type = pd_report_content_type(format);
}

/* A store from the pool for a page, or NULL with a 503 answered. */
static PdStore *
http_store(PdDaemon *daemon, const char *page, PdHttpResponse *response)
{
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_store_pool_get(daemon->pool, &error);

	if (store == NULL)
		http_unavailable(page, error, response);
	return store;
}

/* What /tickets says it shows. */
static const char *const ticket_args[] = { "queue", "status", "search" };

static void
http_tickets(const PdHttpRequest *request, PdHttpResponse *response, gpointer user_data)
{
	PdDaemon *daemon = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) tickets = NULL;
	g_autoptr(GString) asked = g_string_new(NULL);
	PdTicketFilter filter = {
		.queue = pd_http_request_arg(request, "queue"),
		.status = pd_http_request_arg(request, "status"),
		.search = pd_http_request_arg(request, "search"),
		.held_only = pd_http_request_arg(request, "held") != NULL,
		.limit = 100,
	};
	PdStore *store;
	gboolean ok;

	for (guint i = 0; i < G_N_ELEMENTS(ticket_args); i++)
		if (pd_http_request_arg(request, ticket_args[i]) != NULL)
			g_string_append_printf(asked, "%s%s: %s", asked->len > 0 ? ", " : "",
					       ticket_args[i],
					       pd_http_request_arg(request, ticket_args[i]));
	store = http_store(daemon, "/tickets", response);
	if (store == NULL)
		return;
	ok = pd_store_ticket_list(store, &filter, &tickets, &error);
	pd_store_pool_put(daemon->pool, store);
	if (!ok) {
		http_unavailable("/tickets", error, response);
		return;
	}
	pd_ticket_page_list(tickets, asked->str, response->body);
	response->content_type = "text/html; charset=utf-8";
}

static void
http_ticket(const PdHttpRequest *request, PdHttpResponse *response, gpointer user_data)
{
	PdDaemon *daemon = user_data;
	const char *number_text = pd_http_request_path(request) + strlen("/tickets/");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdTicketView) ticket = NULL;
	guint64 number;
	PdStore *store;
	gboolean ok;

	if (!g_ascii_string_to_unsigned(number_text, 10, 1, G_MAXINT64, &number, NULL)) {
		response->status = 404;
		g_string_append(response->body, "no such ticket\n");
		return;
	}
	store = http_store(daemon, "/tickets/N", response);
	if (store == NULL)
		return;
	ok = pd_store_ticket_get(store, (gint64)number, &ticket, &error);
	pd_store_pool_put(daemon->pool, store);
	if (!ok && g_error_matches(error, PD_ERROR, PD_ERROR_NOTFOUND)) {
		response->status = 404;
		g_string_append(response->body, "no such ticket\n");
		return;
	}
	if (!ok) {
		http_unavailable("/tickets/N", error, response);
		return;
	}
	pd_ticket_page_show(ticket, response->body);
	response->content_type = "text/html; charset=utf-8";
}

typedef struct {
	const PdTokenKeys *keys;
	const PdTokenInfo *info;
} PageMatch;

static gboolean
http_page_recipient(const char *address, gpointer user_data)
{
	const PageMatch *match = user_data;

	return pd_token_page_recipient(match->keys, match->info, address);
}

static void
http_not_found(PdHttpResponse *response)
{
	response->status = 404;
	g_string_append(response->body, "not found\n");
}

static void
http_customer(const PdHttpRequest *request, PdHttpResponse *response, gpointer user_data)
{
	PdDaemon *daemon = user_data;
	g_autoptr(PdConfig) config = pd_daemon_config(daemon);
	const PdOutboundConfig *outbound = pd_outbound_config(config);
	const char *token = pd_http_request_path(request) + strlen("/t/");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdCustomerPage) page = NULL;
	g_autofree char *reply = NULL;
	PdTokenInfo info;
	PageMatch match = { NULL, &info };
	PdStore *store;
	gboolean ok;

	if (pd_http_settings(config)->public_url == NULL || outbound == NULL ||
	    outbound->token_keys == NULL) {
		http_not_found(response);
		return;
	}
	match.keys = outbound->token_keys;
	/* only the HMAC decides here: nothing is read for a token we did not sign */
	if (pd_token_verify_page(match.keys, token, g_get_real_time() / G_USEC_PER_SEC, &info) !=
	    PD_TOKEN_VALID) {
		http_not_found(response);
		return;
	}
	store = http_store(daemon, "/t/", response);
	if (store == NULL)
		return;
	ok = pd_store_customer_page(store, info.ticket_id, http_page_recipient, &match, &page,
				    &error);
	pd_store_pool_put(daemon->pool, store);
	if (!ok && g_error_matches(error, PD_ERROR, PD_ERROR_NOTFOUND)) {
		http_not_found(response);
		return;
	}
	if (!ok) {
		http_unavailable("/t/", error, response);
		return;
	}
	if (outbound->reply_address != NULL)
		reply = pd_token_reply_address(match.keys, outbound->reply_address, info.ticket_id,
					       page->address, NULL);
	pd_ticket_page_customer(page, reply, response->body);
	response->content_type = "text/html; charset=utf-8";
}

static const PdHttpRoute http_routes[] = {
	{ "/metrics", PD_HTTP_LOCAL, http_metrics, FALSE },
	{ "/report", PD_HTTP_OPERATOR, http_report, FALSE },
	{ "/tickets", PD_HTTP_OPERATOR, http_tickets, FALSE },
	{ "/tickets/", PD_HTTP_OPERATOR, http_ticket, TRUE },
	{ "/t/", PD_HTTP_PUBLIC, http_customer, TRUE },
	{ NULL }
};

gboolean
pd_http_open(PdDaemon *daemon, GError **error)
{
	g_autoptr(PdConfig) config = pd_daemon_config(daemon);
	const PdHttpSettings *settings = pd_http_settings(config);

	pd_pipeline_metrics();	/* every family shows from the first scrape */
	if (settings->listen == NULL)
		return TRUE;
	daemon->http = pd_http_server_bind(settings, http_routes, http_config, daemon, error);
	return daemon->http != NULL;
}

gboolean
pd_http_start(PdDaemon *daemon, GError **error)
{
	g_autoptr(PdConfig) config = NULL;

	if (daemon->http == NULL)
		return TRUE;
	if (!pd_http_server_start(daemon->http, error))
		return FALSE;
	config = pd_daemon_config(daemon);
	pd_log_info("http: listening on %s (port %u)%s", pd_http_settings(config)->listen,
		    pd_http_server_port(daemon->http),
		    pd_http_settings(config)->operator_token != NULL ? ", operator pages on"
		    : ", no operator_token_file: operator pages off");
	return TRUE;
}

void
pd_http_stop(PdDaemon *daemon)
{
	g_clear_pointer(&daemon->http, pd_http_server_free);
}
