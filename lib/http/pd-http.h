/* pd-http: postdeskd's HTTP listener ([http]): /metrics and the operator pages.
 *
 *   [http]
 *   listen = 127.0.0.1:8025      ; unset (the default): no HTTP listener
 *   operator_token_file = /etc/postdesk/operator.token   ; 0600 or 0640, 16+ chars
 *   max_connections = 32         ; open connections at most
 *   threads = 2                  ; request threads
 *   timeout = 30                 ; seconds a connection may stay idle
 *   public_url = https://help.example.com   ; where customers reach /t/TOKEN
 *   link_days = 90               ; how long a mailed page link works
 *   page_rate = 30               ; /t/ requests per client address per minute
 *
 * public_url (http or https, no query) is what {{ticket.url}} of the mail
 * templates starts with; unset: mail carries no page link, and /t/ answers
 * 404.  /t/TOKEN is the only page open without the operator token.
 * One TCP listen address, numeric ("127.0.0.1:8025", "[::1]:8025"; "*:8025"
 * and "0.0.0.0:8025" are every address).  Nothing is served to the outside
 * by default: a listen address that is not loopback needs
 * operator_token_file, and then every page, /metrics included, asks for
 * the token.  On loopback /metrics is open (a local Prometheus scrapes it
 * as it scrapes node_exporter) and the operator pages ask for the token;
 * without operator_token_file they answer 403.  Pages (daemon/pd-http.c):
 * /metrics, and the operator pages /report, /tickets and /tickets/N.  The token comes as
 * `Authorization: Bearer TOKEN` (or the cookie `postdesk_operator=TOKEN`),
 * compared in constant time; GET /login?token=T&next=PATH sets that cookie
 * for a browser (pd-http-server.c).
 *
 * The server (libmicrohttpd, its own thread pool and connection limit)
 * binds before postdeskd drops its privileges and serves after; GET and
 * HEAD only, no request body.  Pages are handlers given by the daemon
 * (PdHttpRoute): this layer knows no ticket, no SQL and no metric.
 */
#ifndef PD_HTTP_H
#define PD_HTTP_H

#include <glib.h>
#include "core/pd-config.h"
#include "ticket/pd-token.h"

typedef struct {
	char *listen;			/* as written, NULL: off */
	char *operator_token_file;	/* NULL: no operator pages */
	guint max_connections;
	guint threads;
	guint timeout;			/* seconds */
	char *public_url;		/* without a trailing '/', NULL: no customer pages */
	guint link_days;
	guint page_rate;		/* public requests per address per minute */
	/* derived */
	char *host;			/* numeric, NULL: every address */
	char *port;
	gboolean loopback;		/* host is a loopback address */
	char *operator_token;		/* the file's first line, NULL: none */
} PdHttpSettings;

extern const PdConfigTable pd_http_table;
const PdHttpSettings *pd_http_settings(const PdConfig *config);

/* The customer's page link for ticket_id mailed to recipient at Unix time
 * now: public_url/t/TOKEN, good for link_days; NULL when public_url is
 * not set or the recipient is not an address. */
char *pd_http_page_url(const PdHttpSettings *settings, const PdTokenKeys *keys,
		       gint64 ticket_id, const char *recipient, gint64 now);

/* TRUE if the token (may be NULL) is settings' operator token. */
gboolean pd_http_token_matches(const PdHttpSettings *settings, const char *token);

/* ---- the server ---- */

typedef struct _PdHttpRequest PdHttpRequest;
typedef struct _PdHttpServer PdHttpServer;

typedef enum {
	PD_HTTP_LOCAL,		/* open on loopback, the token otherwise (/metrics) */
	PD_HTTP_OPERATOR,	/* the token always */
	PD_HTTP_PUBLIC,		/* no token; page_rate per client address (/t/) */
} PdHttpAccess;

typedef struct {
	guint status;		/* 200 unless set */
	const char *content_type;	/* static; "text/plain; charset=utf-8" unless set */
	GString *body;		/* the handler appends here */
	GPtrArray *headers;	/* more headers: name, value, name, value... (pd_http_response_header) */
} PdHttpResponse;

/* Add a header to the response (copied); a Content-Security-Policy
 * replaces the server's. */
void pd_http_response_header(PdHttpResponse *response, const char *name, const char *value);

/* A query parameter (?name=value, decoded), NULL when absent. */
const char *pd_http_request_arg(const PdHttpRequest *request, const char *name);
const char *pd_http_request_path(const PdHttpRequest *request);

typedef void (*PdHttpHandler)(const PdHttpRequest *request, PdHttpResponse *response,
			      gpointer user_data);

typedef struct {
	const char *path;	/* exact: "/metrics"; with prefix, "/tickets/" */
	PdHttpAccess access;
	PdHttpHandler handler;
	gboolean prefix;	/* every path starting with path (after the exact ones) */
} PdHttpRoute;

/* The current settings, referenced through their config (a reload swaps
 * the token): the server calls it once per request and unrefs it. */
typedef PdConfig *(*PdHttpConfigFunc)(gpointer user_data);

/* Bind settings' listen address (before the privilege drop); routes ends
 * with a NULL path and must outlive the server.  PD_ERROR_TEMPFAIL if the
 * address cannot be bound. */
PdHttpServer *pd_http_server_bind(const PdHttpSettings *settings, const PdHttpRoute *routes,
				  PdHttpConfigFunc config, gpointer user_data, GError **error);
/* Start serving (threads). */
gboolean pd_http_server_start(PdHttpServer *server, GError **error);
/* The port bound (the listen port, or the kernel's choice for port 0). */
guint pd_http_server_port(const PdHttpServer *server);
/* Stop serving, wait for running handlers, close the socket.  NULL-safe. */
void pd_http_server_free(PdHttpServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdHttpServer, pd_http_server_free)

#endif
