/* Unit tests for lib/http/pd-http-limit: the public pages' per-address
 * rate limit ([http] page_rate), as a table of requests on a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "http/pd-http-limit.h"

static char *
key_of(const char *text)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
		return pd_http_limit_key((struct sockaddr *)&in);
	assert_int_equal(inet_pton(AF_INET6, text, &in6.sin6_addr), 1);
	return pd_http_limit_key((struct sockaddr *)&in6);
}

static void
test_keys(void **state)
{
	static const struct { const char *address, *key; } rows[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2::ffff", "2001:db8:1:2::/64" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },	/* dual stack: the IPv4 client */
	};

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *key = key_of(rows[i].address);

		assert_string_equal(key, rows[i].key);
	}
	assert_null(pd_http_limit_key(NULL));
}

static void
test_windows(void **state)
{
	/* rate 3 per window, a table of 2 addresses */
	static const struct {
		gint64 now;
		const char *key;
		gboolean allowed;
		const char *reason;
	} rows[] = {
		{ 100, "a", TRUE, "first request" },
		{ 101, "a", TRUE, "second" },
		{ 102, "a", TRUE, "third: the rate" },
		{ 103, "a", FALSE, "fourth in the window" },
		{ 103, "b", TRUE, "another address has its own window" },
		{ 110, "c", FALSE, "table full, no window ended: a new address waits" },
		{ 159, "a", FALSE, "a's window lasts 60 s from its first request" },
		{ 160, "a", TRUE, "a new window" },
		{ 161, "a", TRUE, "counted afresh" },
		{ 163, "c", TRUE, "b's window ended: dropped for c" },
		{ 164, "b", FALSE, "b again: the table is full (a and c)" },
		{ 50, "a", TRUE, "a clock that went back starts a new window" },
	};
	g_autoptr(PdHttpLimit) limit = pd_http_limit_new(2);

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++)
		if (pd_http_limit_take(limit, rows[i].key, 3, rows[i].now) != rows[i].allowed)
			fail_msg("row %u (%s): %s, want %s", i, rows[i].reason,
				 rows[i].allowed ? "refused" : "allowed",
				 rows[i].allowed ? "allowed" : "refused");
	printf("rule page-rate: %u cases\n", (guint)G_N_ELEMENTS(rows));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
