/* PostgreSQL stopped under the store, on a PRIVATE cluster (never the
 * shared PD_TEST_PGHOST one: other tests use it in parallel).
 *
 * While the server is down every delivery is PD_ERROR_TEMPFAIL and writes
 * nothing, the connection that saw it is unusable, the pool cannot hand
 * one out (TEMPFAIL, not a hang); once the server is back the same pool
 * serves again, the mail that failed is accepted, and a redelivery of the
 * mail accepted before the outage is a duplicate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store-fixture.h"
#include "core/pd-error.h"

#include <glib/gstdio.h>

static char *cluster_dir;

static void
pg_ctl(const char *action)
{
	g_autofree char *script = g_strdup_printf(". '%s/tests/lib/pg.sh' && pd_pg_%s '%s'",
						  g_getenv("PD_SOURCE_DIR"), action, cluster_dir);
	const char *argv[] = { "sh", "-c", script, NULL };
	g_autoptr(GError) error = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
			  &status, &error) || !g_spawn_check_wait_status(status, &error))
		fail_msg("pd_pg_%s: %s", action, error->message);
}

static void
deliver_ok(PdStore *store, TestMail *t, PdDeliveryResult *r)
{
	g_autoptr(GError) error = NULL;

	if (!pd_store_deliver(store, &t->delivery, r, &error))
		fail_msg("deliver: %s", error->message);
}

static void
test_postgresql_down(void **state)
{
	Fixture *fx = fixture_new(cluster_dir, "pgdown", TRUE);
	PdStorePool *pool = pd_store_pool_new(fx->conninfo, 2);
	TestMail *before = test_mail_new("before@customer.test", NULL, NULL, "Before", "b\r\n");
	TestMail *during = test_mail_new("during@customer.test", NULL, NULL, "During", "d\r\n");
	g_autoptr(GError) error = NULL;
	PdStore *idle, *held, *store;
	PdDeliveryResult r;

	/* one connection idle in the pool, one held by a "worker" */
	idle = pd_store_pool_get(pool, &error);
	held = pd_store_pool_get(pool, &error);
	assert_non_null(idle);
	assert_non_null(held);
	deliver_ok(idle, before, &r);
	assert_true(r.new_ticket);
	pd_delivery_result_clear(&r);
	pd_store_pool_put(pool, idle);

	pg_ctl("stop");

	assert_false(pd_store_deliver(held, &during->delivery, &r, &error));
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	g_clear_error(&error);
	assert_false(pd_store_is_usable(held));
	pd_store_pool_put(pool, held);	/* dropped */

	store = pd_store_pool_get(pool, &error);
	assert_null(store);
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	g_clear_error(&error);

	pg_ctl("start");
	PQreset(fx->admin);

	store = pd_store_pool_get(pool, &error);
	if (store == NULL)
		fail_msg("pool after restart: %s", error->message);
	deliver_ok(store, during, &r);
	assert_true(r.new_ticket);
	pd_delivery_result_clear(&r);
	deliver_ok(store, before, &r);
	assert_true(r.duplicate);
	pd_delivery_result_clear(&r);
	pd_store_pool_put(pool, store);

	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM tickets"), 2);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM events"), 4);

	pd_store_pool_free(pool);
	test_mail_free(before);
	test_mail_free(during);
	fixture_free(fx);
}

static int
setup(void **state)
{
	cluster_dir = g_dir_make_tmp("pd-pgdown-XXXXXX", NULL);
	if (cluster_dir == NULL)
		return -1;
	g_chmod(cluster_dir, 0755);
	pg_ctl("start");
	return 0;
}

static int
teardown(void **state)
{
	g_autofree char *rm = NULL;

	pg_ctl("stop");
	rm = g_strdup_printf("rm -rf '%s'", cluster_dir);
	g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL);
	g_clear_pointer(&cluster_dir, g_free);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgresql_down),
	};

	if (g_getenv("PD_SOURCE_DIR") == NULL) {
		printf("SKIP: needs PD_SOURCE_DIR\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
