/* A stalled server under the store (issue 8, item 6): the backend of the
 * store's connection is stopped with SIGSTOP, so its socket stays open and
 * nothing answers, as with a hung disk or a dead network path.  libpq has
 * no client-side timeout; the store's calls are bounded anyway: a delivery
 * fails TEMPFAIL after its timeout (plus the grace), the connection is
 * unusable, and a delivery whose raw bytes cannot even be sent (the
 * server reads nothing, the socket buffers fill) is bounded the same way.
 * Only this connection's backend is stopped, on the shared test server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "store-fixture.h"
#include "store/pd-store-private.h"
#include "core/pd-error.h"

static Fixture *fx;

static pid_t
backend_pid(PdStore *store)
{
	return PQbackendPID(store->conn);
}

static void
deliver_stalled(gsize raw_size)
{
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_store_connect_timeout(fx->conninfo, 1, &error);
	g_autofree char *id = g_strdup_printf("stall.%" G_GSIZE_FORMAT "@customer.test", raw_size);
	g_autofree char *warm_id = g_strdup_printf("warm.%" G_GSIZE_FORMAT "@customer.test", raw_size);
	TestMail *t = test_mail_new(id, NULL, NULL, "Stalled", "s\r\n");
	TestMail *warm = test_mail_new(warm_id, NULL, NULL, "Warm", "w\r\n");
	PdDeliveryResult r = { 0 };
	pid_t pid;
	gint64 start;
	gboolean ok;

	assert_non_null(store);
	pid = backend_pid(store);
	/* a first delivery prepares the statement: the stalled one is the
	 * statement itself, its parameters sent or not */
	if (!pd_store_deliver(store, &warm->delivery, &r, &error))
		fail_msg("warm-up: %s", error->message);
	pd_delivery_result_clear(&r);
	if (raw_size > 0) {
		/* raw bytes bigger than any socket buffer: the send must wait */
		GString *raw = g_string_new(NULL);

		g_string_append(raw, "Subject: big\r\n\r\n");
		while (raw->len < raw_size)
			g_string_append(raw, "0123456789abcdef0123456789abcdef0123456789abcdef\r\n");
		g_bytes_unref(t->raw);
		t->raw = g_string_free_to_bytes(raw);
		t->delivery.raw = t->raw;
	}
	if (kill(pid, SIGSTOP) != 0) {
		if (errno == EPERM)
			skip();
		fail_msg("SIGSTOP %d: %s", (int)pid, g_strerror(errno));
	}
	start = g_get_monotonic_time();
	ok = pd_store_deliver(store, &t->delivery, &r, &error);
	kill(pid, SIGCONT);
	assert_false(ok);
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	assert_non_null(strstr(error->message, "no answer from PostgreSQL within 3 s"));
	/* 1 s + 2 s grace, not for ever */
	assert_true(g_get_monotonic_time() - start < 10 * G_USEC_PER_SEC);
	assert_false(pd_store_is_usable(store));
	pd_store_free(store);
	test_mail_free(t);
	test_mail_free(warm);
}

static void
test_stalled_answer(void **state)
{
	deliver_stalled(0);
}

static void
test_stalled_send(void **state)
{
	deliver_stalled(8 * 1024 * 1024);
}

/* The pool's wait for a free connection is bounded too. */
static void
test_pool_wait_bounded(void **state)
{
	PdStorePool *pool = pd_store_pool_new(fx->conninfo, 1);
	g_autoptr(GError) error = NULL;
	PdStore *held;
	gint64 start;

	pd_store_pool_set_timeout(pool, 1);
	held = pd_store_pool_get(pool, &error);
	assert_non_null(held);
	start = g_get_monotonic_time();
	assert_null(pd_store_pool_get(pool, &error));
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	assert_non_null(strstr(error->message, "stayed busy for 1 s"));
	assert_true(g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC);
	pd_store_pool_put(pool, held);
	pd_store_pool_free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_answer),
		cmocka_unit_test(test_stalled_send),
		cmocka_unit_test(test_pool_wait_bounded),
	};

	return fixture_run_tests("stall", tests, G_N_ELEMENTS(tests), &fx);
}
