/* pd-store-pool: connections shared by the daemon's worker threads.
 *
 * Bounded (at most max_connections open, pd_store_pool_get waits while all
 * are in use, for the pool's timeout at most), lazy (a connection is opened when first needed, outside the
 * lock), and self-healing: a connection that broke, or that the server
 * closed while it sat idle (restart, idle timeout), is dropped, and the next
 * get opens a fresh one.  Thread-safe: one GMutex, one GCond.
 */
#include "pd-store-private.h"
#include "core/pd-error.h"

#include <poll.h>

struct _PdStorePool {
	GMutex lock;
	GCond released;
	char *conninfo;
	guint max_connections;
	guint timeout;			/* seconds, for connections and the wait */
	guint open;			/* idle + handed out + being opened */
	guint waiting;			/* in pd_store_pool_get for a free one */
	guint64 waits;			/* gets that had to wait (/metrics) */
	guint64 wait_timeouts;		/* ... and gave up */
	guint64 connect_errors;		/* connections that could not be opened */
	GQueue idle;			/* PdStore * */
};

PdStorePool *
pd_store_pool_new(const char *conninfo, guint max_connections)
{
	PdStorePool *pool;

	g_return_val_if_fail(conninfo != NULL, NULL);
	pool = g_new0(PdStorePool, 1);
	g_mutex_init(&pool->lock);
	g_cond_init(&pool->released);
	pool->conninfo = g_strdup(conninfo);
	pool->max_connections = MAX(max_connections, 1);
	pool->timeout = PD_STORE_DEFAULT_TIMEOUT;
	g_queue_init(&pool->idle);
	return pool;
}

void
pd_store_pool_set_timeout(PdStorePool *pool, guint timeout)
{
	g_return_if_fail(pool != NULL);
	g_mutex_lock(&pool->lock);
	pool->timeout = timeout > 0 ? timeout : PD_STORE_DEFAULT_TIMEOUT;
	g_mutex_unlock(&pool->lock);
}

void
pd_store_pool_free(PdStorePool *pool)
{
	PdStore *store;

	if (pool == NULL)
		return;
	/* Every connection must have been put back. */
	g_mutex_lock(&pool->lock);
	g_warn_if_fail(pool->open == pool->idle.length);
	while ((store = g_queue_pop_head(&pool->idle)) != NULL)
		pd_store_free(store);
	g_mutex_unlock(&pool->lock);
	g_mutex_clear(&pool->lock);
	g_cond_clear(&pool->released);
	g_free(pool->conninfo);
	g_free(pool);
}

/* An idle connection the server has closed (shutdown, restart, idle
 * timeout, pg_terminate_backend) has its FATAL message and EOF waiting on
 * the socket.  An idle connection expects nothing (postdesk uses no
 * LISTEN), so anything readable means: do not use it, open a fresh one. */
static gboolean
idle_is_alive(PdStore *store)
{
	struct pollfd pfd = { .fd = PQsocket(store->conn), .events = POLLIN };

	if (!pd_store_is_usable(store) || pfd.fd < 0)
		return FALSE;
	if (poll(&pfd, 1, 0) != 0) {
		store->broken = TRUE;
		return FALSE;
	}
	return TRUE;
}

PdStore *
pd_store_pool_get(PdStorePool *pool, GError **error)
{
	PdStore *store;
	guint timeout;
	gint64 deadline;
	gboolean ok;

	g_return_val_if_fail(pool != NULL, NULL);

	g_mutex_lock(&pool->lock);
	timeout = pool->timeout;
	deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
	for (;;) {
		store = g_queue_pop_head(&pool->idle);
		if (store != NULL) {
			if (idle_is_alive(store)) {
				g_mutex_unlock(&pool->lock);
				return store;
			}
			pd_store_free(store);
			pool->open--;
			continue;
		}
		if (pool->open < pool->max_connections)
			break;
		/* every connection busy, maybe each stuck on a stalled server:
		 * no session waits longer than a call may take */
		pool->waiting++;
		pool->waits++;
		ok = g_cond_wait_until(&pool->released, &pool->lock, deadline);
		pool->waiting--;
		if (!ok) {
			pool->wait_timeouts++;
			g_mutex_unlock(&pool->lock);
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
				    "all %u database connections stayed busy for %u s",
				    pool->max_connections, timeout);
			return NULL;
		}
	}
	pool->open++;
	g_mutex_unlock(&pool->lock);

	store = pd_store_connect_timeout(pool->conninfo, timeout, error);
	if (store == NULL) {
		g_mutex_lock(&pool->lock);
		pool->open--;
		pool->connect_errors++;
		g_cond_signal(&pool->released);
		g_mutex_unlock(&pool->lock);
	}
	return store;
}

guint
pd_store_pool_waiting(PdStorePool *pool)
{
	guint n;

	g_return_val_if_fail(pool != NULL, 0);
	g_mutex_lock(&pool->lock);
	n = pool->waiting;
	g_mutex_unlock(&pool->lock);
	return n;
}

void
pd_store_pool_stats(PdStorePool *pool, PdStorePoolStats *stats_r)
{
	g_return_if_fail(pool != NULL);
	g_mutex_lock(&pool->lock);
	stats_r->max_connections = pool->max_connections;
	stats_r->open = pool->open;
	stats_r->idle = pool->idle.length;
	stats_r->waiting = pool->waiting;
	stats_r->waits = pool->waits;
	stats_r->wait_timeouts = pool->wait_timeouts;
	stats_r->connect_errors = pool->connect_errors;
	g_mutex_unlock(&pool->lock);
}

void
pd_store_pool_put(PdStorePool *pool, PdStore *store)
{
	gboolean keep;

	g_return_if_fail(pool != NULL);
	if (store == NULL)
		return;
	keep = pd_store_is_usable(store);
	if (!keep)
		pd_store_free(store);
	g_mutex_lock(&pool->lock);
	if (keep)
		g_queue_push_head(&pool->idle, store);
	else
		pool->open--;
	g_cond_signal(&pool->released);
	g_mutex_unlock(&pool->lock);
}
