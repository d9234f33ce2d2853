/* pd-http-limit: the per-address rate limit of the public pages ([http]
 * page_rate, pd-http.h): at most rate requests per client address in each
 * 60-second window that starts at the address's first request.
 *
 * An IPv6 client counts by its /64 (one host gets a /64 and picks any
 * address in it); IPv4 by its address.  The table holds max_addresses
 * at most: when it is full, windows that ended are dropped, and if none
 * has ended a new address is refused (memory stays bounded; a flood from
 * many addresses slows the public pages, never the daemon).  Thread safe;
 * the clock is the caller's (seconds), so the tests need no sleep.
 */
#ifndef PD_HTTP_LIMIT_H
#define PD_HTTP_LIMIT_H

#include <glib.h>
#include <sys/socket.h>

#define PD_HTTP_LIMIT_WINDOW 60	/* seconds */

typedef struct _PdHttpLimit PdHttpLimit;

PdHttpLimit *pd_http_limit_new(guint max_addresses);
void pd_http_limit_free(PdHttpLimit *limit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdHttpLimit, pd_http_limit_free)

/* The key an address counts under: "192.0.2.1", "2001:db8:1:2::/64";
 * NULL for an address family that is neither. */
char *pd_http_limit_key(const struct sockaddr *address);

/* TRUE if one more request from key at now is within rate; counts it. */
gboolean pd_http_limit_take(PdHttpLimit *limit, const char *key, guint rate, gint64 now);

#endif
