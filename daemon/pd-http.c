/* pd-http: postdeskd's pages on the [http] listener (lib/http serves them).
 *
 *   /metrics   the Prometheus text format (pd-pipeline-metrics.h lists the
 *              families); open on loopback, the operator token otherwise
 *
 * Bound with the LMTP listeners, before the privilege drop; serves after it;
 * stopped before the pipeline and the pool are freed.
 */
#include "pd-daemon.h"
#include "core/pd-log.h"
#include "http/pd-http.h"
#include "pipeline/pd-pipeline-metrics.h"

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

static const PdHttpRoute http_routes[] = {
	{ "/metrics", PD_HTTP_LOCAL, http_metrics },
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
