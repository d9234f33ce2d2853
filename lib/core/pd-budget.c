/* pd-budget: a bounded shared quantity with bounded waits (see pd-budget.h). */
#include "pd-budget.h"

void
pd_budget_init(PdBudget *budget, guint64 limit)
{
	g_mutex_init(&budget->lock);
	g_cond_init(&budget->given);
	budget->limit = limit;
	budget->used = 0;
	budget->closed = FALSE;
}

void
pd_budget_clear(PdBudget *budget)
{
	g_warn_if_fail(budget->used == 0);
	g_mutex_clear(&budget->lock);
	g_cond_clear(&budget->given);
}

void
pd_budget_set_limit(PdBudget *budget, guint64 limit)
{
	g_mutex_lock(&budget->lock);
	budget->limit = limit;
	g_cond_broadcast(&budget->given);
	g_mutex_unlock(&budget->lock);
}

void
pd_budget_close(PdBudget *budget)
{
	g_mutex_lock(&budget->lock);
	budget->closed = TRUE;
	g_cond_broadcast(&budget->given);
	g_mutex_unlock(&budget->lock);
}

gboolean
pd_budget_take(PdBudget *budget, guint64 amount, gint64 timeout_us)
{
	gint64 deadline = g_get_monotonic_time() + MAX(timeout_us, 0);
	gboolean ok;

	g_mutex_lock(&budget->lock);
	for (;;) {
		ok = amount <= budget->limit && budget->used <= budget->limit - amount;
		/* more than all of it never fits: no use waiting */
		if (ok || amount > budget->limit || budget->closed ||
		    !g_cond_wait_until(&budget->given, &budget->lock, deadline))
			break;
	}
	if (!ok)	/* the last chance: given back just as the wait ended */
		ok = amount <= budget->limit && budget->used <= budget->limit - amount;
	if (ok)
		budget->used += amount;
	g_mutex_unlock(&budget->lock);
	return ok;
}

void
pd_budget_give(PdBudget *budget, guint64 amount)
{
	g_mutex_lock(&budget->lock);
	g_warn_if_fail(amount <= budget->used);
	budget->used -= MIN(amount, budget->used);
	g_cond_broadcast(&budget->given);
	g_mutex_unlock(&budget->lock);
}

guint64
pd_budget_used(PdBudget *budget)
{
	guint64 used;

	g_mutex_lock(&budget->lock);
	used = budget->used;
	g_mutex_unlock(&budget->lock);
	return used;
}
