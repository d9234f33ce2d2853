/* pd-worker: the stop signal of the daemon's worker threads (see pd-daemon.h). */
#include "pd-daemon.h"

void
pd_worker_stop_init(PdWorkerStop *st)
{
	g_mutex_init(&st->lock);
	g_cond_init(&st->cond);
	st->stop = FALSE;
	st->finished = FALSE;
}

void
pd_worker_stop_clear(PdWorkerStop *st)
{
	g_mutex_clear(&st->lock);
	g_cond_clear(&st->cond);
}

gboolean
pd_worker_wait(PdWorkerStop *st, gint64 usec)
{
	gint64 end = g_get_monotonic_time() + usec;
	gboolean stop;

	g_mutex_lock(&st->lock);
	while (!st->stop && g_cond_wait_until(&st->cond, &st->lock, end))
		;
	stop = st->stop;
	g_mutex_unlock(&st->lock);
	return stop;
}

gboolean
pd_worker_stopping(PdWorkerStop *st)
{
	gboolean stop;

	g_mutex_lock(&st->lock);
	stop = st->stop;
	g_mutex_unlock(&st->lock);
	return stop;
}

void
pd_worker_finished(PdWorkerStop *st)
{
	g_mutex_lock(&st->lock);
	st->finished = TRUE;
	g_cond_broadcast(&st->cond);
	g_mutex_unlock(&st->lock);
}

gboolean
pd_worker_stop(PdWorkerStop *st, gint64 deadline)
{
	gboolean finished;

	g_mutex_lock(&st->lock);
	st->stop = TRUE;
	g_cond_broadcast(&st->cond);
	while (deadline > 0 && !st->finished &&
	       g_cond_wait_until(&st->cond, &st->lock, deadline))
		;
	finished = st->finished;
	g_mutex_unlock(&st->lock);
	return finished;
}
