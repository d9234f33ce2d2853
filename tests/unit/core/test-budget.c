/* Unit tests for core/pd-budget: takes that fit, takes that wait for a
 * give and then fit, takes that time out, a take larger than the limit
 * (fails at once, no wait), a lower limit after a reload. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pd-budget.h"

#define MS 1000

static void
test_take_give(void **state)
{
	PdBudget b;
	gint64 start;

	pd_budget_init(&b, 100);
	assert_true(pd_budget_take(&b, 60, 0));
	assert_true(pd_budget_take(&b, 40, 0));
	assert_int_equal(pd_budget_used(&b), 100);
	/* full: a take that waits 50 ms and gets nothing */
	start = g_get_monotonic_time();
	assert_false(pd_budget_take(&b, 1, 50 * MS));
	assert_true(g_get_monotonic_time() - start >= 50 * MS);
	pd_budget_give(&b, 60);
	assert_true(pd_budget_take(&b, 60, 0));
	/* more than the whole limit: at once, however long it may wait */
	pd_budget_give(&b, 100);
	start = g_get_monotonic_time();
	assert_false(pd_budget_take(&b, 101, 10 * G_USEC_PER_SEC));
	assert_true(g_get_monotonic_time() - start < G_USEC_PER_SEC);
	assert_int_equal(pd_budget_used(&b), 0);
	/* a lower limit: what no longer fits waits */
	assert_true(pd_budget_take(&b, 50, 0));
	pd_budget_set_limit(&b, 60);
	assert_false(pd_budget_take(&b, 20, 0));
	assert_true(pd_budget_take(&b, 10, 0));
	pd_budget_give(&b, 60);
	pd_budget_clear(&b);
}

typedef struct {
	PdBudget *budget;
	gint64 wait_us;
	gboolean got;
} Taker;

static gpointer
taker_run(gpointer data)
{
	Taker *t = data;

	t->got = pd_budget_take(t->budget, 70, t->wait_us);
	return NULL;
}

/* Closing it ends a wait at once. */
static void
test_close_ends_wait(void **state)
{
	PdBudget b;
	Taker t = { &b, 30 * G_USEC_PER_SEC, TRUE };
	GThread *thread;
	gint64 start = g_get_monotonic_time();

	pd_budget_init(&b, 100);
	assert_true(pd_budget_take(&b, 50, 0));
	thread = g_thread_new("taker", taker_run, &t);
	pd_budget_close(&b);
	g_thread_join(thread);
	assert_false(t.got);
	assert_true(g_get_monotonic_time() - start < 10 * G_USEC_PER_SEC);
	assert_true(pd_budget_take(&b, 50, 0));	/* what fits still does */
	pd_budget_give(&b, 100);
	pd_budget_clear(&b);
}

/* A waiting take gets what another thread gives back in time. */
static void
test_wait_for_give(void **state)
{
	PdBudget b;
	Taker t = { &b, 10 * G_USEC_PER_SEC, FALSE };
	GThread *thread;

	pd_budget_init(&b, 100);
	assert_true(pd_budget_take(&b, 50, 0));
	thread = g_thread_new("taker", taker_run, &t);
	g_usleep(20 * MS);	/* not needed for correctness: the give may come first */
	pd_budget_give(&b, 50);
	g_thread_join(thread);
	assert_true(t.got);
	assert_int_equal(pd_budget_used(&b), 70);
	pd_budget_give(&b, 70);
	pd_budget_clear(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_give),
		cmocka_unit_test(test_wait_for_give),
		cmocka_unit_test(test_close_ends_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
