/* pd-http-server: the [http] listener over libmicrohttpd (pd-http.h).
 *
 * Binds its own socket (so postdeskd can bind as root and serve after the
 * privilege drop) and hands it to libmicrohttpd, which runs a thread pool
 * with a connection limit and an idle timeout.  Every request: GET or HEAD
 * (405 otherwise), no body (413), an exact path (404), the access rule of
 * its route (401 without the token, 403 without any token configured),
 * then the route's handler.  Owns the socket and the libmicrohttpd daemon.
 */
#include "http/pd-http.h"
#include "http/pd-http-limit.h"
#include "core/pd-error.h"
#include "core/pd-log.h"

#include <microhttpd.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct _PdHttpServer {
	const PdHttpRoute *routes;
	PdHttpConfigFunc config;
	gpointer user_data;
	gboolean loopback;
	int fd;
	guint port;
	guint threads, max_connections, timeout;
	struct MHD_Daemon *mhd;
	PdHttpLimit *limit;	/* PD_HTTP_PUBLIC routes */
};

/* Client addresses the public pages' rate limit remembers at most. */
#define HTTP_LIMIT_ADDRESSES 10000

/* The public pages: no script, no frame, styles only from us. */
#define HTTP_PUBLIC_CSP "default-src 'none'; style-src 'self'; frame-ancestors 'none'"
#define HTTP_OPERATOR_CSP "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"

void
pd_http_response_header(PdHttpResponse *response, const char *name, const char *value)
{
	g_ptr_array_add(response->headers, g_strdup(name));
	g_ptr_array_add(response->headers, g_strdup(value));
}

struct _PdHttpRequest {
	struct MHD_Connection *connection;
	const char *path;
};

const char *
pd_http_request_arg(const PdHttpRequest *request, const char *name)
{
	return MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, name);
}

const char *
pd_http_request_path(const PdHttpRequest *request)
{
	return request->path;
}

static int
http_socket(const PdHttpSettings *settings, guint *port_r, GError **error)
{
	struct addrinfo hints = { 0 }, *result = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc, fd = -1, one = 1, saved;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST;
	rc = getaddrinfo(settings->host, settings->port, &hints, &result);
	if (rc != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[http] listen %s: %s",
			    settings->listen, gai_strerror(rc));
		return -1;
	}
	/* "*" gives the IPv4 and the IPv6 wildcard: the IPv6 one, dual stack,
	 * when there is one, so one socket serves both */
	const struct addrinfo *ai = result;
	for (const struct addrinfo *p = result; p != NULL; p = p->ai_next)
		if (settings->host == NULL && p->ai_family == AF_INET6)
			ai = p;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		saved = errno;
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "[http] listen %s: %s",
			    settings->listen, g_strerror(saved));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(result);
		return -1;
	}
	freeaddrinfo(result);
	*port_r = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					   : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

PdHttpServer *
pd_http_server_bind(const PdHttpSettings *settings, const PdHttpRoute *routes,
		    PdHttpConfigFunc config, gpointer user_data, GError **error)
{
	PdHttpServer *server;
	guint port = 0;
	int fd;

	g_return_val_if_fail(settings->listen != NULL, NULL);
	fd = http_socket(settings, &port, error);
	if (fd < 0)
		return NULL;
	server = g_new0(PdHttpServer, 1);
	server->routes = routes;
	server->config = config;
	server->user_data = user_data;
	server->loopback = settings->loopback;
	server->fd = fd;
	server->port = port;
	server->threads = settings->threads;
	server->max_connections = settings->max_connections;
	server->timeout = settings->timeout;
	server->limit = pd_http_limit_new(HTTP_LIMIT_ADDRESSES);
	return server;
}

guint
pd_http_server_port(const PdHttpServer *server)
{
	return server->port;
}

static enum MHD_Result
http_queue_with(struct MHD_Connection *connection, guint status, const char *content_type,
		GString *body, const char *authenticate, const char *csp, GPtrArray *headers)
{
	struct MHD_Response *response;
	enum MHD_Result rc;
	gsize len = body->len;

	response = MHD_create_response_from_buffer_with_free_callback(
		len, g_string_free(body, FALSE), g_free);
	if (response == NULL)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(response, "X-Frame-Options", "DENY");
	MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
	for (guint i = 0; headers != NULL && i + 1 < headers->len; i += 2) {
		if (g_ascii_strcasecmp(headers->pdata[i], "Content-Security-Policy") == 0)
			csp = headers->pdata[i + 1];
		else
			MHD_add_response_header(response, headers->pdata[i], headers->pdata[i + 1]);
	}
	MHD_add_response_header(response, "Content-Security-Policy", csp);
	if (authenticate != NULL)
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, authenticate);
	rc = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return rc;
}

static enum MHD_Result
http_queue(struct MHD_Connection *connection, guint status, const char *content_type,
	   GString *body, const char *authenticate)
{
	return http_queue_with(connection, status, content_type, body, authenticate,
			       HTTP_OPERATOR_CSP, NULL);
}

/* FALSE when the client's address is over [http] page_rate. */
static gboolean
http_public_allowed(PdHttpServer *server, struct MHD_Connection *connection,
		    const PdHttpSettings *settings)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	g_autofree char *key = info != NULL ? pd_http_limit_key(info->client_addr) : NULL;

	return pd_http_limit_take(server->limit, key != NULL ? key : "unknown",
				  settings->page_rate, g_get_monotonic_time() / G_USEC_PER_SEC);
}

static enum MHD_Result
http_error(struct MHD_Connection *connection, guint status, const char *text,
	   const char *authenticate)
{
	GString *body = g_string_new(text);

	g_string_append_c(body, '\n');
	return http_queue(connection, status, "text/plain; charset=utf-8", body, authenticate);
}

/* The token of the request: "Authorization: Bearer X", else the cookie. */
static const char *
http_request_token(struct MHD_Connection *connection)
{
	const char *auth = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);

	if (auth != NULL && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0) {
		auth += 7;
		while (*auth == ' ')
			auth++;
		return auth;
	}
	return MHD_lookup_connection_value(connection, MHD_COOKIE_KIND, "postdesk_operator");
}

/* A cookie-octet of RFC 6265 4.1.1: what a cookie value may hold. */
static gboolean
http_cookie_safe(const char *value)
{
	for (const char *p = value; *p != '\0'; p++)
		if (!g_ascii_isgraph(*p) || strchr("\",;\\", *p) != NULL)
			return FALSE;
	return TRUE;
}

/* "/login?token=T[&next=/path]": the operator cookie for a browser (the
 * pages take `Authorization: Bearer` or this cookie).  Without a token, a
 * form that asks for it; with the right one, Set-Cookie (HttpOnly,
 * SameSite=Strict, a session cookie) and 303 to next, a path of ours
 * ("/tickets" by default; never another site: "//host" is refused). */
static enum MHD_Result
http_login(struct MHD_Connection *connection, const PdHttpSettings *settings)
{
	const char *token = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "token");
	const char *next = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "next");
	g_autoptr(GPtrArray) headers = g_ptr_array_new_with_free_func(g_free);
	GString *body;

	if (settings->operator_token == NULL)
		return http_error(connection, MHD_HTTP_FORBIDDEN, "operator pages are off: [http] "
				  "operator_token_file is not set", NULL);
	if (token == NULL || *token == '\0') {
		body = g_string_new("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
				    "lang=\"en\">\n<head><meta charset=\"utf-8\"/>"
				    "<title>postdesk operator</title></head>\n<body>\n"
				    "<form method=\"get\" action=\"/login\">"
				    "<p><label>Operator token <input type=\"password\" "
				    "name=\"token\" autocomplete=\"current-password\"/></label> "
				    "<input type=\"submit\" value=\"Sign in\"/></p></form>\n"
				    "</body>\n</html>\n");
		return http_queue(connection, MHD_HTTP_OK, "text/html; charset=utf-8", body, NULL);
	}
	if (!pd_http_token_matches(settings, token))
		return http_error(connection, MHD_HTTP_UNAUTHORIZED, "not the operator token", NULL);
	if (!http_cookie_safe(settings->operator_token))
		return http_error(connection, MHD_HTTP_FORBIDDEN, "the operator token holds a "
				  "character a cookie cannot (space \" , ; \\): use Authorization: "
				  "Bearer, or a token of letters and digits", NULL);
	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strpbrk(next, "\r\n") != NULL)
		next = "/tickets";
	g_ptr_array_add(headers, g_strdup("Set-Cookie"));
	g_ptr_array_add(headers, g_strdup_printf("postdesk_operator=%s; Path=/; HttpOnly; "
						 "SameSite=Strict", settings->operator_token));
	g_ptr_array_add(headers, g_strdup("Location"));
	g_ptr_array_add(headers, g_strdup(next));
	body = g_string_new("signed in\n");
	return http_queue_with(connection, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", body,
			       NULL, HTTP_OPERATOR_CSP, headers);
}

static enum MHD_Result
http_answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
	    const char *version, const char *upload_data, size_t *upload_data_size,
	    void **request_state)
{
	static int first_call;
	PdHttpServer *server = cls;
	const PdHttpRoute *route = NULL;
	g_autoptr(PdConfig) config = NULL;
	const PdHttpSettings *settings;
	PdHttpRequest request = { connection, url };
	PdHttpResponse response = { 0 };
	enum MHD_Result rc;

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD are served here", NULL);
	if (*request_state == NULL) {	/* the headers; a body would follow */
		*request_state = &first_call;
		return MHD_YES;
	}
	if (*upload_data_size != 0)
		return http_error(connection, MHD_HTTP_CONTENT_TOO_LARGE,
				  "a GET request has no body", NULL);
	for (const PdHttpRoute *r = server->routes; route == NULL && r->path != NULL; r++)
		if (!r->prefix && strcmp(r->path, url) == 0)
			route = r;
	for (const PdHttpRoute *r = server->routes; route == NULL && r->path != NULL; r++)
		if (r->prefix && g_str_has_prefix(url, r->path))
			route = r;
	if (route == NULL && strcmp(url, "/login") != 0)
		return http_error(connection, MHD_HTTP_NOT_FOUND, "not found", NULL);
	config = server->config(server->user_data);
	settings = pd_http_settings(config);
	if (route == NULL)
		return http_login(connection, settings);
	if (route->access == PD_HTTP_PUBLIC) {
		if (!http_public_allowed(server, connection, settings)) {
			g_autoptr(GPtrArray) retry = g_ptr_array_new_with_free_func(g_free);

			g_ptr_array_add(retry, g_strdup("Retry-After"));
			g_ptr_array_add(retry, g_strdup_printf("%d", PD_HTTP_LIMIT_WINDOW));
			return http_queue_with(connection, MHD_HTTP_TOO_MANY_REQUESTS,
					       "text/plain; charset=utf-8",
					       g_string_new("too many requests; try again in a "
							    "minute\n"), NULL, HTTP_PUBLIC_CSP, retry);
		}
	} else if (route->access == PD_HTTP_OPERATOR || !server->loopback) {
		if (settings->operator_token == NULL)
			return http_error(connection, MHD_HTTP_FORBIDDEN,
					  "operator pages are off: [http] operator_token_file "
					  "is not set", NULL);
		if (!pd_http_token_matches(settings, http_request_token(connection)))
			return http_error(connection, MHD_HTTP_UNAUTHORIZED,
					  "the operator token is needed "
					  "(Authorization: Bearer TOKEN)",
					  "Bearer realm=\"postdesk\"");
	}
	response.status = MHD_HTTP_OK;
	response.content_type = "text/plain; charset=utf-8";
	response.body = g_string_new(NULL);
	response.headers = g_ptr_array_new_with_free_func(g_free);
	route->handler(&request, &response, server->user_data);
	rc = http_queue_with(connection, response.status, response.content_type, response.body,
			     NULL, route->access == PD_HTTP_PUBLIC ? HTTP_PUBLIC_CSP : HTTP_OPERATOR_CSP,
			     response.headers);
	g_ptr_array_unref(response.headers);
	return rc;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
http_log(void *cls, const char *format, va_list ap)
{
	g_autofree char *text = g_strdup_vprintf(format, ap);

	(void)cls;
	g_strchomp(text);
	pd_log_warning("http: %s", text);
}
#pragma GCC diagnostic pop

gboolean
pd_http_server_start(PdHttpServer *server, GError **error)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (server->threads <= 1)
		flags |= MHD_USE_POLL;
	else
		flags |= MHD_USE_EPOLL;
	server->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, http_answer, server,
		MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)server->fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)server->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)server->timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(server->threads > 1 ? server->threads : 0),
		MHD_OPTION_END);
	if (server->mhd == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "[http] listener on port %u: libmicrohttpd did not start", server->port);
		return FALSE;
	}
	server->fd = -1;	/* libmicrohttpd's now, closed by MHD_stop_daemon */
	return TRUE;
}

void
pd_http_server_free(PdHttpServer *server)
{
	if (server == NULL)
		return;
	if (server->mhd != NULL)
		MHD_stop_daemon(server->mhd);
	if (server->fd >= 0)
		close(server->fd);
	pd_http_limit_free(server->limit);
	g_free(server);
}
