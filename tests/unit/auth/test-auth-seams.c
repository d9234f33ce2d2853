/* unit-auth-seams: the parts of pd_auth that face the outside, with no network.
 *
 * The static zone and the system resolver (against a small DNS server on
 * loopback), the [auth] configuration, the Authentication-Results parser
 * (well-formed and malformed peer input) and trust-ar mode, and mode off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <glib/gstdio.h>

#include "auth-test-util.h"
#include "core/pd-error.h"

/* ---- resolver ---- */

static void
test_zone_resolver(void **state)
{
	g_autoptr(PdResolver) zone = zone_from(
		"# comment\n"
		"Example.COM. A 192.0.2.7\n"
		"example.com TXT  two spaces\\x21\n"
		"alias.example.com CNAME example.com\n"
		"*.wild.example TXT wildcard\n"
		"slow.example TIMEOUT\n"
		"slow.example A 192.0.2.8\n"
		"gone.example NXDOMAIN\n"
		"empty.example NODATA\n");
	g_autoptr(GPtrArray) answers = NULL;
	g_autoptr(GError) error = NULL;

	assert_int_equal(pd_resolver_lookup(zone, "example.com", PD_DNS_A, 100, &answers), PD_DNS_OK);
	assert_string_equal(g_ptr_array_index(answers, 0), "192.0.2.7");
	g_clear_pointer(&answers, g_ptr_array_unref);
	assert_int_equal(pd_resolver_lookup(zone, "EXAMPLE.com.", PD_DNS_TXT, 100, &answers),
			 PD_DNS_OK);
	assert_string_equal(g_ptr_array_index(answers, 0), " two spaces!");
	g_clear_pointer(&answers, g_ptr_array_unref);
	assert_int_equal(pd_resolver_lookup(zone, "alias.example.com", PD_DNS_A, 100, &answers),
			 PD_DNS_OK);
	g_clear_pointer(&answers, g_ptr_array_unref);
	assert_int_equal(pd_resolver_lookup(zone, "a.b.wild.example", PD_DNS_TXT, 100, &answers),
			 PD_DNS_OK);
	assert_string_equal(g_ptr_array_index(answers, 0), "wildcard");
	g_clear_pointer(&answers, g_ptr_array_unref);
	assert_int_equal(pd_resolver_lookup(zone, "example.com", PD_DNS_MX, 100, NULL), PD_DNS_NODATA);
	assert_int_equal(pd_resolver_lookup(zone, "nowhere.example", PD_DNS_A, 100, NULL),
			 PD_DNS_NXDOMAIN);
	assert_int_equal(pd_resolver_lookup(zone, "slow.example", PD_DNS_TXT, 100, NULL),
			 PD_DNS_TEMPFAIL);
	assert_int_equal(pd_resolver_lookup(zone, "slow.example", PD_DNS_A, 100, NULL), PD_DNS_OK);
	assert_int_equal(pd_resolver_lookup(zone, "gone.example", PD_DNS_A, 100, NULL),
			 PD_DNS_NXDOMAIN);
	assert_int_equal(pd_resolver_lookup(zone, "empty.example", PD_DNS_A, 100, NULL),
			 PD_DNS_NODATA);
	assert_int_equal(pd_resolver_lookup(zone, "", PD_DNS_A, 100, NULL), PD_DNS_NXDOMAIN);
	assert_true(pd_resolver_zone_lookups(zone) >= 9);
	assert_false(pd_resolver_zone_load_data(zone, "x.example BOGUS 1\n", &error));
	assert_int_equal(error->code, PD_ERROR_USAGE);
	g_clear_error(&error);
	assert_false(pd_resolver_zone_load_data(zone, "x.example TXT bad\\q\n", &error));
}

/* ---- the system resolver against a small DNS server on loopback ---- */

typedef struct {
	int fd;
	volatile gint stop;
} DnsServer;

/* Answers txt.test (TXT in two strings), a.test (A); nx.test is NXDOMAIN,
 * fail.test SERVFAIL, and silent.test never gets an answer. */
static gpointer
dns_server_thread(gpointer data)
{
	DnsServer *server = data;

	while (!g_atomic_int_get(&server->stop)) {
		struct pollfd pfd = { server->fd, POLLIN, 0 };
		unsigned char q[512], r[600];
		struct sockaddr_in peer;
		socklen_t peer_len = sizeof peer;
		ssize_t n;
		gsize pos = 12, rlen;
		GString *name = g_string_new(NULL);
		guint16 ancount = 0;
		guint8 rcode = 0;

		if (poll(&pfd, 1, 50) <= 0) {
			g_string_free(name, TRUE);
			continue;
		}
		n = recvfrom(server->fd, q, sizeof q, 0, (struct sockaddr *) &peer, &peer_len);
		while (n > 12 && pos < (gsize) n && q[pos] != 0 && pos + q[pos] < (gsize) n) {
			g_string_append_printf(name, "%s%.*s", name->len ? "." : "", q[pos],
					       (const char *) q + pos + 1);
			pos += q[pos] + 1u;
		}
		pos += 5;	/* root label, QTYPE, QCLASS */
		if (n < 12 || pos > (gsize) n || strcmp(name->str, "silent.test") == 0) {
			g_string_free(name, TRUE);
			continue;
		}
		memcpy(r, q, pos);
		rlen = pos;
		if (strcmp(name->str, "txt.test") == 0) {
			static const unsigned char txt[] = {
				0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 13,
				7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l' };
			memcpy(r + rlen, txt, sizeof txt);
			rlen += sizeof txt;
			ancount = 1;
		} else if (strcmp(name->str, "a.test") == 0) {
			static const unsigned char a[] = {
				0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 5 };
			memcpy(r + rlen, a, sizeof a);
			rlen += sizeof a;
			ancount = 1;
		} else if (strcmp(name->str, "fail.test") == 0) {
			rcode = 2;
		} else {
			rcode = 3;
		}
		r[2] = 0x84 | (q[2] & 0x01);
		r[3] = 0x80 | rcode;
		r[6] = 0;
		r[7] = (unsigned char) ancount;
		memset(r + 8, 0, 4);
		sendto(server->fd, r, rlen, 0, (struct sockaddr *) &peer, peer_len);
		g_string_free(name, TRUE);
	}
	return NULL;
}

static void
test_system_resolver(void **state)
{
	DnsServer server = { 0 };
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof addr;
	g_autoptr(PdResolver) resolver = NULL;
	g_autoptr(GPtrArray) answers = NULL;
	g_autofree char *where = NULL;
	g_autoptr(GError) error = NULL;
	GThread *thread;
	gint64 start;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(server.fd >= 0);
	assert_int_equal(bind(server.fd, (struct sockaddr *) &addr, sizeof addr), 0);
	assert_int_equal(getsockname(server.fd, (struct sockaddr *) &addr, &len), 0);
	where = g_strdup_printf("127.0.0.1:%u", ntohs(addr.sin_port));
	resolver = pd_resolver_system_new_server(where, &error);
	assert_non_null(resolver);
	assert_null(pd_resolver_system_new_server("localhost:53", NULL));
	assert_null(pd_resolver_system_new_server("127.0.0.1:99999", NULL));
	thread = g_thread_new("dns", dns_server_thread, &server);

	assert_int_equal(pd_resolver_lookup(resolver, "txt.test", PD_DNS_TXT, 1000, &answers),
			 PD_DNS_OK);
	assert_string_equal(g_ptr_array_index(answers, 0), "v=spf1 -all");
	g_clear_pointer(&answers, g_ptr_array_unref);
	assert_int_equal(pd_resolver_lookup(resolver, "a.test", PD_DNS_A, 1000, &answers),
			 PD_DNS_OK);
	assert_string_equal(g_ptr_array_index(answers, 0), "192.0.2.5");
	assert_int_equal(pd_resolver_lookup(resolver, "a.test", PD_DNS_MX, 1000, NULL),
			 PD_DNS_NODATA);
	assert_int_equal(pd_resolver_lookup(resolver, "nx.test", PD_DNS_TXT, 1000, NULL),
			 PD_DNS_NXDOMAIN);
	assert_int_equal(pd_resolver_lookup(resolver, "fail.test", PD_DNS_TXT, 1000, NULL),
			 PD_DNS_TEMPFAIL);
	start = g_get_monotonic_time();
	assert_int_equal(pd_resolver_lookup(resolver, "silent.test", PD_DNS_TXT, 1000, NULL),
			 PD_DNS_TEMPFAIL);
	assert_true(g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC);

	g_atomic_int_set(&server.stop, 1);
	g_thread_join(thread);
	close(server.fd);
}

/* ---- configuration ---- */

/* [auth] as the configuration loader reads it (lib/auth's table). */
static PdConfig *
auth_config(const char *auth, GError **error)
{
	static const PdConfigTable *const tables[] = { &pd_auth_table, NULL };
	g_autofree char *text = g_strdup_printf("[postdesk]\nconfig_version = 1\n"
						"[queue a]\naddresses = a@b.c\n%s", auth);

	return pd_config_load_data(text, tables, error);
}

static void
test_config(void **state)
{
	g_autoptr(PdAuthConfig) config = NULL;
	g_autoptr(PdConfig) loaded = NULL;
	const PdAuthConfig *c;
	g_autoptr(GError) error = NULL;
	static const char *const bad[] = {
		"[auth]\nmode = maybe\n",
		"[auth]\ndns_timeout = 0\n",
		"[auth]\ndns_timeout = soon\n",
		"[auth]\nauthserv_id = a;b\n",
		"[auth]\nmystery = 1\n",
		"[auth]\ndkim_max_signatures = 0\n",
		"[auth]\ntrusted_authserv_ids = ok.example;bad id\n",
		"[auth]\ndns_server = resolver.example\n",
		"[auth]\nmode = trust-ar\n",
		"[auth]\nzone_file = /nonexistent/zone\n",
	};

	config = pd_auth_config_new();
	assert_non_null(config);
	assert_int_equal(config->mode, PD_AUTH_MODE_VERIFY);
	assert_int_equal(config->dns_timeout_ms, 5000);
	assert_int_equal(config->dkim_min_key_bits, 1024);
	g_clear_pointer(&config, pd_auth_config_free);

	loaded = auth_config("[auth]\nmode = trust-ar\nauthserv_id = MX.Desk.Example\n"
			     "trusted_authserv_ids = relay1.example;relay2.example\n"
			     "dns_timeout = 1.5\ncheck_timeout = 4\ndkim_max_signatures = 3\n",
			     &error);
	assert_non_null(loaded);
	c = pd_auth_settings(loaded);
	assert_int_equal(c->mode, PD_AUTH_MODE_TRUST_AR);
	assert_string_equal(c->authserv_id, "mx.desk.example");
	assert_int_equal(c->trusted_authserv_ids->len, 2);
	assert_string_equal(g_ptr_array_index(c->trusted_authserv_ids, 1), "relay2.example");
	assert_int_equal(c->dns_timeout_ms, 1500);
	assert_int_equal(c->check_timeout_ms, 4000);
	assert_int_equal(c->dkim_max_signatures, 3);

	{
		/* zone_file: the whole PdAuth answers from it, no network */
		g_autofree char *path = NULL;
		int fd = g_file_open_tmp("zone-XXXXXX", &path, NULL);
		g_autofree char *data = NULL;
		g_autoptr(PdConfig) zc = NULL;
		g_autoptr(PdAuth) auth = NULL;
		g_autoptr(PdAuthResult) r = NULL;

		assert_true(fd >= 0);
		close(fd);
		assert_true(g_file_set_contents(path, "victim.example TXT v=spf1 ip4:192.0.2.1 -all\n",
						-1, NULL));
		data = g_strdup_printf("[auth]\nmode = verify\nzone_file = %s\n", path);
		zc = auth_config(data, &error);
		assert_non_null(zc);
		auth = pd_auth_new(pd_auth_settings(zc), NULL, &error);
		assert_non_null(auth);
		r = check(auth, "192.0.2.1", "mx.victim.example", "a@victim.example", NULL,
			  "victim.example");
		assert_int_equal(r->spf, PD_AUTH_PASS);
		g_unlink(path);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) e = NULL;

		assert_null(auth_config(bad[i], &e));
		assert_non_null(e);
		assert_int_equal(e->code, PD_ERROR_USAGE);
	}
}

/* ---- Authentication-Results ---- */

static void
test_authres_parse(void **state)
{
	static const char value[] =
		" mx.desk.example 1; (comment (nested)) spf=pass (sender IP is 192.0.2.1)\r\n"
		"\tsmtp.mailfrom=bounce@victim.example smtp.helo=mx.victim.example;\r\n"
		" dkim=pass header.d=victim.example header.s=\"sel\" header.b=abcd;\r\n"
		" dmarc=pass (p=reject dis=none) header.from=victim.example;\r\n"
		" arc=none";
	g_autoptr(GError) error = NULL;
	g_autoptr(PdAuthRes) ar = pd_authres_parse(value, strlen(value), &error);
	const PdAuthResInfo *info;

	assert_non_null(ar);
	assert_string_equal(ar->authserv_id, "mx.desk.example");
	assert_int_equal(ar->results->len, 4);
	info = g_ptr_array_index(ar->results, 0);
	assert_string_equal(info->method, "spf");
	assert_int_equal(info->status, PD_AUTH_PASS);
	assert_string_equal(g_hash_table_lookup(info->props, "smtp.mailfrom"),
			    "bounce@victim.example");
	info = g_ptr_array_index(ar->results, 1);
	assert_string_equal(g_hash_table_lookup(info->props, "header.s"), "sel");
	g_clear_pointer(&ar, pd_authres_free);
	ar = pd_authres_parse("example.org; none", 17, &error);
	assert_non_null(ar);
	assert_int_equal(ar->results->len, 0);
}

static void
test_authres_malformed(void **state)
{
	static const char *const bad[] = {
		"", ";", "   ", "id; spf", "id; spf=", "id; =pass", "id; spf=pass smtp.mailfrom",
		"id; spf=pass smtp.mailfrom=", "id; spf=pass (unterminated", "\"unterminated",
		"id; spf=pass;;", "id x; spf=pass", "id; spf=pass notaproperty=x",
		"id; dkim=pass header.d=a.example @@@", "(((((((((((((((((((((((((((",
		"id; spf=pass header.d=\"x", "id 1 2; spf=pass",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdAuthRes) ar = pd_authres_parse(bad[i], strlen(bad[i]), &error);

		if (ar != NULL)
			fail_msg("accepted malformed \"%s\"", bad[i]);
		assert_int_equal(error->code, PD_ERROR_PERMFAIL);
	}
	/* NUL bytes and a length that stops mid-token */
	assert_null(pd_authres_parse("id; spf=pa\0ss", 13, NULL));
	{
		g_autoptr(PdAuthRes) ar = pd_authres_parse("id; spf=pass smtp.mailfrom=x@y", 12, NULL);

		assert_non_null(ar);
		assert_int_equal(((PdAuthResInfo *) g_ptr_array_index(ar->results, 0))->status,
				 PD_AUTH_PASS);
	}
}

static void
test_trust_ar(void **state)
{
	g_autoptr(PdResolver) zone = pd_resolver_zone_new();
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_TRUST_AR);
	static const char trusted_pass[] =
		"Authentication-Results: mx.desk.example;\r\n"
		"\tdkim=pass header.d=victim.example header.s=sel;\r\n"
		"\tspf=fail smtp.mailfrom=victim.example\r\n"
		"Authentication-Results: evil.example; dmarc=pass header.from=victim.example;\r\n"
		"\tspf=pass smtp.mailfrom=victim.example\r\n"
		"Authentication-Results: broken; spf=\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	static const char only_untrusted[] =
		"Authentication-Results: evil.example; dkim=pass header.d=victim.example\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	/* the MTA's real header on top, forged ones with its id below: only
	 * the topmost one per authserv-id counts (issue 8, item 6) */
	static const char forged_below_real[] =
		"Authentication-Results: mx.desk.example; spf=fail smtp.mailfrom=victim.example;"
		" dmarc=fail header.from=victim.example\r\n"
		"Authentication-Results: mx.desk.example; spf=pass smtp.mailfrom=victim.example;"
		" dmarc=pass header.from=victim.example\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	static const char forged_dkim_below_real[] =
		"Authentication-Results: mx.desk.example; dkim=none; spf=none"
		" smtp.mailfrom=victim.example\r\n"
		"Subject: hi\r\n"
		"Authentication-Results: mx.desk.example; dkim=pass header.d=victim.example\r\n"
		"Authentication-Results: mx.desk.example; dmarc=pass header.from=victim.example\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	/* two trusted hops (authserv-ids): the topmost of each counts */
	static const char two_ids[] =
		"Authentication-Results: mx.desk.example; spf=fail smtp.mailfrom=victim.example\r\n"
		"Authentication-Results: relay.desk.example; dkim=pass header.d=victim.example\r\n"
		"Authentication-Results: relay.desk.example; dkim=fail header.d=other.example\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	static const char other_from[] =
		"Authentication-Results: mx.desk.example; dmarc=pass header.from=attacker.example\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	g_autoptr(PdAuthResult) a = check(auth, NULL, NULL, "", trusted_pass, "victim.example");
	g_autoptr(PdAuthResult) b = check(auth, NULL, NULL, "", only_untrusted, "victim.example");
	g_autoptr(PdAuthResult) c = check(auth, NULL, NULL, "", forged_below_real,
					  "victim.example");
	g_autoptr(PdAuthResult) e = check(auth, NULL, NULL, "", forged_dkim_below_real,
					  "victim.example");
	g_autoptr(PdAuthConfig) two_config = pd_auth_config_new();
	g_autoptr(PdAuth) two_auth = NULL;
	g_autoptr(PdAuthResult) f = NULL;
	gboolean noted_lower = FALSE;
	g_autoptr(PdAuthResult) d = check(auth, NULL, NULL, "", other_from, "victim.example");
	gboolean noted_untrusted = FALSE, noted_malformed = FALSE;

	two_config->mode = PD_AUTH_MODE_TRUST_AR;
	g_free(two_config->authserv_id);
	two_config->authserv_id = g_strdup("mx.desk.example");
	g_ptr_array_add(two_config->trusted_authserv_ids, g_strdup("relay.desk.example"));
	two_auth = pd_auth_new(two_config, zone, NULL);
	f = check(two_auth, NULL, NULL, "", two_ids, "victim.example");

	assert_int_equal(a->source, PD_AUTH_SOURCE_TRUSTED_AR);
	assert_int_equal(a->spf, PD_AUTH_FAIL);		/* the untrusted pass is ignored */
	assert_int_equal(a->dmarc, PD_AUTH_NONE);
	assert_int_equal(a->dkim->len, 1);
	assert_true(a->from_authenticated);		/* aligned DKIM pass */
	for (guint i = 0; i < a->notes->len; i++) {
		const char *note = g_ptr_array_index(a->notes, i);

		noted_untrusted |= strstr(note, "untrusted authserv-id evil.example") != NULL;
		noted_malformed |= strstr(note, "malformed") != NULL;
	}
	assert_true(noted_untrusted);
	assert_true(noted_malformed);
	assert_int_equal(b->dkim->len, 0);
	assert_false(b->from_authenticated);
	assert_int_equal(c->spf, PD_AUTH_FAIL);
	assert_int_equal(c->dmarc, PD_AUTH_FAIL);
	assert_false(c->from_authenticated);
	assert_false(d->from_authenticated);
	assert_int_equal(e->dkim->len, 1);
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(e->dkim, 0))->status,
			 PD_AUTH_NONE);
	assert_int_equal(e->dmarc, PD_AUTH_NONE);
	assert_false(e->from_authenticated);
	for (guint i = 0; i < e->notes->len; i++)
		noted_lower |= strstr(g_ptr_array_index(e->notes, i),
				      "only the topmost one counts") != NULL;
	assert_true(noted_lower);
	assert_int_equal(f->dkim->len, 1);
	assert_true(f->from_authenticated);		/* relay's aligned DKIM pass */
}

static void
test_mode_off(void **state)
{
	g_autoptr(PdResolver) zone = pd_resolver_zone_new();
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_OFF);
	g_autoptr(PdAuthResult) r = check(auth, "192.0.2.1", "x", "a@victim.example", NULL,
					  "victim.example");

	assert_int_equal(r->source, PD_AUTH_SOURCE_NONE);
	assert_false(r->from_authenticated);
	assert_int_equal(pd_resolver_zone_lookups(zone), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_resolver),
		cmocka_unit_test(test_system_resolver),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_authres_parse),
		cmocka_unit_test(test_authres_malformed),
		cmocka_unit_test(test_trust_ar),
		cmocka_unit_test(test_mode_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
