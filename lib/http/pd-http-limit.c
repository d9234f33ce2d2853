/* pd-http-limit: per-address request windows (pd-http-limit.h). */
#include "http/pd-http-limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

typedef struct {
	gint64 start;		/* the window's first request */
	guint count;
} LimitWindow;

struct _PdHttpLimit {
	GMutex lock;
	GHashTable *windows;	/* key -> LimitWindow * */
	guint max_addresses;
};

PdHttpLimit *
pd_http_limit_new(guint max_addresses)
{
	PdHttpLimit *limit = g_new0(PdHttpLimit, 1);

	g_return_val_if_fail(max_addresses > 0, NULL);
	g_mutex_init(&limit->lock);
	limit->windows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	limit->max_addresses = max_addresses;
	return limit;
}

void
pd_http_limit_free(PdHttpLimit *limit)
{
	if (limit == NULL)
		return;
	g_hash_table_unref(limit->windows);
	g_mutex_clear(&limit->lock);
	g_free(limit);
}

char *
pd_http_limit_key(const struct sockaddr *address)
{
	char text[INET6_ADDRSTRLEN];

	if (address == NULL)
		return NULL;
	if (address->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)address;

		return inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != NULL
		       ? g_strdup(text) : NULL;
	}
	if (address->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)address;
		struct in6_addr prefix = in6->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(&prefix))	/* dual stack: the IPv4 client */
			return inet_ntop(AF_INET, prefix.s6_addr + 12, text, sizeof(text)) != NULL
			       ? g_strdup(text) : NULL;
		memset(prefix.s6_addr + 8, 0, 8);
		return inet_ntop(AF_INET6, &prefix, text, sizeof(text)) != NULL
		       ? g_strdup_printf("%s/64", text) : NULL;
	}
	return NULL;
}

static gboolean
window_ended(gpointer key, gpointer value, gpointer user_data)
{
	const LimitWindow *w = value;
	const gint64 *now = user_data;

	(void)key;
	return *now - w->start >= PD_HTTP_LIMIT_WINDOW;
}

gboolean
pd_http_limit_take(PdHttpLimit *limit, const char *key, guint rate, gint64 now)
{
	LimitWindow *w;
	gboolean ok;

	g_return_val_if_fail(limit != NULL && key != NULL, FALSE);
	g_mutex_lock(&limit->lock);
	w = g_hash_table_lookup(limit->windows, key);
	if (w == NULL) {
		if (g_hash_table_size(limit->windows) >= limit->max_addresses)
			g_hash_table_foreach_remove(limit->windows, window_ended, &now);
		if (g_hash_table_size(limit->windows) >= limit->max_addresses) {
			g_mutex_unlock(&limit->lock);
			return FALSE;
		}
		w = g_new0(LimitWindow, 1);
		w->start = now;
		g_hash_table_insert(limit->windows, g_strdup(key), w);
	} else if (now - w->start >= PD_HTTP_LIMIT_WINDOW || now < w->start) {
		w->start = now;
		w->count = 0;
	}
	ok = w->count < rate;
	if (ok)
		w->count++;
	g_mutex_unlock(&limit->lock);
	return ok;
}
