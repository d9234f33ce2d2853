/* pd-budget: a quantity shared by threads, e.g. the memory that messages
 * being received may take together ([lmtp] max_memory).
 *
 * A holder takes what it needs before it uses it and gives it back after;
 * a take that does not fit waits, for a bounded time, for others to give
 * back, and then fails, so the caller can refuse (452 4.3.1) instead of
 * running out.  A take larger than the whole limit fails at once.  Owns
 * nothing but its counters; thread-safe.
 */
#ifndef PD_BUDGET_H
#define PD_BUDGET_H

#include <glib.h>

typedef struct {
	GMutex lock;
	GCond given;
	guint64 limit;
	guint64 used;
	gboolean closed;	/* no more waiting (shutting down) */
} PdBudget;

void pd_budget_init(PdBudget *budget, guint64 limit);
void pd_budget_clear(PdBudget *budget);
/* A new limit (SIGHUP): holders keep what they have; a lower limit makes
 * new takes wait until enough is given back. */
void pd_budget_set_limit(PdBudget *budget, guint64 limit);

/* From now on a take that does not fit fails at once, and so do those
 * waiting (a daemon that stops must not wait for memory). */
void pd_budget_close(PdBudget *budget);

/* Take amount, waiting up to timeout_us (0: not at all) while it does
 * not fit; FALSE if it still does not. */
gboolean pd_budget_take(PdBudget *budget, guint64 amount, gint64 timeout_us);
void pd_budget_give(PdBudget *budget, guint64 amount);
/* What is taken now (for the log and tests). */
guint64 pd_budget_used(PdBudget *budget);

#endif
