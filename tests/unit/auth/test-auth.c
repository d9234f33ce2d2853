/* unit-auth: sender authentication with static zones, no network.
 *
 * Resolver seam, [auth] configuration, DMARC alignment and policy, the
 * spoofing cases the help desk relies on (a forged From never gets
 * privileges, a DNS failure is temporary and never a pass), the DNS budget,
 * Authentication-Results trust, and concurrent checks on one PdAuth.
 * DKIM signatures are made here with libopendkim and a fresh RSA key.
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <opendkim/dkim.h>

#include "auth/pd-auth.h"
#include "core/pd-error.h"

/* ---- helpers ---- */

typedef struct {
	char *private_pem;
	char *public_b64;
} TestKey;

static TestKey key1024, key512, attacker_key;

static void
make_key(TestKey *key, int bits)
{
	EVP_PKEY *pkey = EVP_RSA_gen((unsigned) bits);
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *pem;
	long len;
	int der_len;

	assert_non_null(pkey);
	assert_true(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1);
	len = BIO_get_mem_data(bio, &pem);
	key->private_pem = g_strndup(pem, (gsize) len);
	der_len = i2d_PUBKEY(pkey, &der);
	assert_true(der_len > 0);
	key->public_b64 = g_base64_encode(der, (gsize) der_len);
	OPENSSL_free(der);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
}

static int
setup_keys(void **state)
{
	make_key(&key1024, 1024);
	make_key(&key512, 512);
	make_key(&attacker_key, 1024);
	return 0;
}

/* A CRLF message, DKIM-signed by domain/selector with key when key != NULL. */
static char *
make_message_full(const char *from, const TestKey *key, const char *domain,
		  const char *selector, gboolean body_length, dkim_canon_t canon,
		  const char *body)
{
	g_autofree char *plain = g_strdup_printf(
		"From: Someone <%s>\r\nTo: support@desk.example\r\nSubject: Please reset "
		"my password\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: "
		"<1@test>\r\n\r\n%s", from, body);
	DKIM_LIB *lib;
	DKIM *dkim;
	DKIM_STAT status;
	unsigned char header[4096];
	unsigned int min_bits = 512;

	if (key == NULL)
		return g_steal_pointer(&plain);
	lib = dkim_init(NULL, NULL);
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &min_bits, sizeof min_bits);
	if (body_length) {
		unsigned int flags = DKIM_LIBFLAGS_SIGNLEN;

		dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
	}
	dkim = dkim_sign(lib, (const unsigned char *) "test",
			 NULL, (dkim_sigkey_t) key->private_pem, (const unsigned char *) selector,
			 (const unsigned char *) domain, canon, canon,
			 DKIM_SIGN_RSASHA256, -1, &status);
	assert_non_null(dkim);
	assert_int_equal(dkim_chunk(dkim, (u_char *) plain, strlen(plain)), DKIM_STAT_OK);
	assert_int_equal(dkim_chunk(dkim, NULL, 0), DKIM_STAT_OK);
	status = dkim_eom(dkim, NULL);
	if (status != DKIM_STAT_OK)
		fail_msg("signing failed (%d) for body \"%s\"", status, body);
	assert_int_equal(dkim_getsighdr(dkim, header, sizeof header, 16), DKIM_STAT_OK);
	dkim_free(dkim);
	dkim_close(lib);
	return g_strdup_printf("DKIM-Signature: %s\r\n%s", header, plain);
}

static char *
make_message_len(const char *from, const TestKey *key, const char *domain,
		 const char *selector, gboolean body_length)
{
	return make_message_full(from, key, domain, selector, body_length, DKIM_CANON_RELAXED,
				 "Hello,\r\nplease help.\r\n");
}

static char *
make_message(const char *from, const TestKey *key, const char *domain, const char *selector)
{
	return make_message_len(from, key, domain, selector, FALSE);
}

static PdResolver *
zone_from(const char *text)
{
	PdResolver *zone = pd_resolver_zone_new();
	g_autoptr(GError) error = NULL;

	assert_true(pd_resolver_zone_load_data(zone, text, &error));
	return zone;
}

static PdAuth *
auth_with(PdResolver *zone, PdAuthMode mode)
{
	g_autoptr(PdAuthConfig) config = pd_auth_config_new();
	g_autoptr(GError) error = NULL;
	PdAuth *auth;

	config->mode = mode;
	config->authserv_id = (g_free(config->authserv_id), g_strdup("mx.desk.example"));
	auth = pd_auth_new(config, zone, &error);
	assert_non_null(auth);
	return auth;
}

static PdAuthResult *
check(PdAuth *auth, const char *ip, const char *helo, const char *mail_from,
      const char *message, const char *from_domain)
{
	g_autoptr(PdEnvelope) env = pd_envelope_new("test");

	g_free(env->mail_from);
	env->mail_from = g_strdup(mail_from);
	env->client_address = g_strdup(ip);
	env->client_helo = g_strdup(helo);
	return pd_auth_check(auth, env, message, message ? strlen(message) : 0, from_domain);
}

/* The zone of the victim, the attacker and their DKIM keys. */
static char *
base_zone(const char *dmarc_record, const char *extra)
{
	return g_strdup_printf(
		"victim.example TXT v=spf1 ip4:192.0.2.1 -all\n"
		"mail.victim.example TXT v=spf1 ip4:192.0.2.2 -all\n"
		"attacker.example TXT v=spf1 ip4:203.0.113.9 -all\n"
		"sel._domainkey.victim.example TXT v=DKIM1; k=rsa; p=%s\n"
		"sel._domainkey.mail.victim.example TXT v=DKIM1; k=rsa; p=%s\n"
		"small._domainkey.victim.example TXT v=DKIM1; k=rsa; p=%s\n"
		"sel._domainkey.attacker.example TXT v=DKIM1; k=rsa; p=%s\n"
		"%s%s%s\n%s\n",
		key1024.public_b64, key1024.public_b64, key512.public_b64,
		attacker_key.public_b64, dmarc_record ? "_dmarc.victim.example TXT " : "",
		dmarc_record ? dmarc_record : "", dmarc_record ? "" : "", extra ? extra : "");
}

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

static void
test_config(void **state)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(PdAuthConfig) config = NULL;
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
	};

	config = pd_auth_config_load(NULL, &error);
	assert_non_null(config);
	assert_int_equal(config->mode, PD_AUTH_MODE_VERIFY);
	assert_int_equal(config->dns_timeout_ms, 5000);
	assert_int_equal(config->dkim_min_key_bits, 1024);
	g_clear_pointer(&config, pd_auth_config_free);

	assert_true(g_key_file_load_from_data(kf,
		"[auth]\nmode = trust-ar\nauthserv_id = MX.Desk.Example\n"
		"trusted_authserv_ids = relay1.example;relay2.example\n"
		"dns_timeout = 1.5\ncheck_timeout = 4\ndkim_max_signatures = 3\n", -1, 0, NULL));
	config = pd_auth_config_load(kf, &error);
	assert_non_null(config);
	assert_int_equal(config->mode, PD_AUTH_MODE_TRUST_AR);
	assert_string_equal(config->authserv_id, "mx.desk.example");
	assert_int_equal(config->trusted_authserv_ids->len, 2);
	assert_string_equal(g_ptr_array_index(config->trusted_authserv_ids, 1), "relay2.example");
	assert_int_equal(config->dns_timeout_ms, 1500);
	assert_int_equal(config->check_timeout_ms, 4000);
	assert_int_equal(config->dkim_max_signatures, 3);

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GKeyFile) k = g_key_file_new();
		g_autoptr(GError) e = NULL;

		assert_true(g_key_file_load_from_data(k, bad[i], -1, 0, NULL));
		assert_null(pd_auth_config_load(k, &e));
		assert_non_null(e);
		assert_int_equal(e->code, PD_ERROR_USAGE);
	}
}

/* ---- DMARC and alignment ---- */

static void
test_dmarc_aligned_dkim_pass(void **state)
{
	g_autofree char *text = base_zone("v=DMARC1; p=reject", NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("ceo@victim.example", &key1024, "victim.example", "sel");
	/* forwarded: SPF fails for the forwarder's IP, the signature survives */
	g_autoptr(PdAuthResult) r = check(auth, "198.51.100.3", "fwd.example", "ceo@victim.example",
					  msg, "victim.example");
	const PdDkimSignature *sig;

	assert_int_equal(r->spf, PD_AUTH_FAIL);
	assert_int_equal(r->dkim->len, 1);
	sig = g_ptr_array_index(r->dkim, 0);
	assert_int_equal(sig->status, PD_AUTH_PASS);
	assert_string_equal(sig->domain, "victim.example");
	assert_string_equal(sig->selector, "sel");
	assert_true(sig->aligned);
	assert_int_equal(r->dmarc, PD_AUTH_PASS);
	assert_int_equal(r->dmarc_policy, PD_DMARC_POLICY_REJECT);
	assert_true(r->from_authenticated);
	assert_false(r->temporary);
}

static void
test_dmarc_aligned_spf_pass(void **state)
{
	g_autofree char *text = base_zone("v=DMARC1; p=quarantine", NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("ceo@victim.example", NULL, NULL, NULL);
	g_autoptr(PdAuthResult) r = check(auth, "192.0.2.1", "mx.victim.example",
					  "bounce@victim.example", msg, "victim.example");

	assert_int_equal(r->spf, PD_AUTH_PASS);
	assert_string_equal(r->spf_domain, "victim.example");
	assert_true(r->spf_aligned);
	assert_int_equal(r->dkim->len, 0);
	assert_int_equal(r->dmarc, PD_AUTH_PASS);
	assert_int_equal(r->dmarc_policy, PD_DMARC_POLICY_QUARANTINE);
	assert_true(r->from_authenticated);
}

static void
test_dmarc_relaxed_vs_strict(void **state)
{
	static const struct {
		const char *record;
		gboolean authenticated;
	} cases[] = {
		{ "v=DMARC1; p=reject", TRUE },			/* relaxed by default */
		{ "v=DMARC1; p=reject; aspf=r; adkim=r", TRUE },
		{ "v=DMARC1; p=reject; aspf=s; adkim=s", FALSE },
		{ "v=DMARC1; p=reject; aspf=s", TRUE },		/* DKIM still relaxed */
		{ "v=DMARC1; p=reject; adkim=s", TRUE },	/* SPF still relaxed */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = base_zone(cases[i].record, NULL);
		g_autoptr(PdResolver) zone = zone_from(text);
		g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
		/* both identities are the subdomain mail.victim.example */
		g_autofree char *msg = make_message("ceo@victim.example", &key1024,
						    "mail.victim.example", "sel");
		g_autoptr(PdAuthResult) r = check(auth, "192.0.2.2", "mx.victim.example",
						  "bounce@mail.victim.example", msg,
						  "victim.example");

		assert_int_equal(r->spf, PD_AUTH_PASS);
		assert_int_equal(((PdDkimSignature *) g_ptr_array_index(r->dkim, 0))->status,
				 PD_AUTH_PASS);
		if (r->from_authenticated != cases[i].authenticated)
			fail_msg("record \"%s\": authenticated=%d", cases[i].record,
				 r->from_authenticated);
		assert_int_equal(r->dmarc, cases[i].authenticated ? PD_AUTH_PASS : PD_AUTH_FAIL);
	}
}

static void
test_dmarc_reject_failing_and_subdomain_policy(void **state)
{
	g_autofree char *text = base_zone("v=DMARC1; p=reject; sp=quarantine", NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("ceo@victim.example", NULL, NULL, NULL);
	g_autoptr(PdAuthResult) r = check(auth, "203.0.113.9", "evil.example",
					  "ceo@victim.example", msg, "victim.example");
	g_autoptr(PdAuthResult) sub = NULL;

	assert_int_equal(r->spf, PD_AUTH_FAIL);
	assert_int_equal(r->dmarc, PD_AUTH_FAIL);
	assert_int_equal(r->dmarc_policy, PD_DMARC_POLICY_REJECT);
	assert_false(r->from_authenticated);
	assert_false(r->temporary);
	/* a subdomain without its own record gets sp= from the org domain */
	sub = check(auth, "203.0.113.9", "evil.example", "x@attacker.example", msg,
		    "billing.victim.example");
	assert_string_equal(sub->org_domain, "victim.example");
	assert_string_equal(sub->dmarc_record_domain, "victim.example");
	assert_int_equal(sub->dmarc_policy, PD_DMARC_POLICY_QUARANTINE);
	assert_int_equal(sub->dmarc, PD_AUTH_FAIL);
}

static void
test_dmarc_no_record(void **state)
{
	g_autofree char *text = base_zone(NULL, NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("ceo@victim.example", NULL, NULL, NULL);
	g_autoptr(PdAuthResult) pass = check(auth, "192.0.2.1", "mx.victim.example",
					     "bounce@victim.example", msg, "victim.example");
	g_autoptr(PdAuthResult) fail = check(auth, "203.0.113.9", "evil.example",
					     "bounce@victim.example", msg, "victim.example");

	assert_int_equal(pass->dmarc, PD_AUTH_NONE);
	assert_int_equal(pass->dmarc_policy, PD_DMARC_POLICY_UNSET);
	assert_true(pass->from_authenticated);	/* aligned SPF pass needs no record */
	assert_int_equal(fail->dmarc, PD_AUTH_NONE);
	assert_false(fail->from_authenticated);
}

static void
test_dmarc_dns_temperror(void **state)
{
	g_autofree char *text = base_zone(NULL, "_dmarc.victim.example TIMEOUT");
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("ceo@victim.example", NULL, NULL, NULL);
	g_autoptr(PdAuthResult) r = check(auth, "203.0.113.9", "evil.example",
					  "bounce@victim.example", msg, "victim.example");

	assert_int_equal(r->dmarc, PD_AUTH_TEMPERROR);
	assert_false(r->from_authenticated);
	assert_true(r->temporary);
}

/* ---- spoofing ---- */

static void
test_spoof_failing_spf_and_dkim(void **state)
{
	g_autofree char *text = base_zone("v=DMARC1; p=none", NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	/* signed with the attacker's key but claiming d=victim.example */
	g_autofree char *forged = make_message("someone@victim.example", &attacker_key,
					       "victim.example", "sel");
	/* validly signed, but by the attacker's own domain: not aligned */
	g_autofree char *own = make_message("someone@victim.example", &attacker_key,
					    "attacker.example", "sel");
	g_autoptr(PdAuthResult) a = check(auth, "203.0.113.9", "evil.example",
					  "someone@victim.example", forged, "victim.example");
	g_autoptr(PdAuthResult) b = check(auth, "203.0.113.9", "evil.example",
					  "x@attacker.example", own, "victim.example");
	g_autoptr(PdAuthResult) c = NULL;
	g_autofree char *tampered = NULL;
	g_autofree char *good = make_message("someone@victim.example", &key1024,
					     "victim.example", "sel");

	assert_int_equal(a->spf, PD_AUTH_FAIL);
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(a->dkim, 0))->status, PD_AUTH_FAIL);
	assert_false(a->from_authenticated);
	assert_int_equal(b->spf, PD_AUTH_PASS);		/* for attacker.example */
	assert_false(b->spf_aligned);
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(b->dkim, 0))->status, PD_AUTH_PASS);
	assert_false(((PdDkimSignature *) g_ptr_array_index(b->dkim, 0))->aligned);
	assert_false(b->from_authenticated);
	assert_int_equal(b->dmarc, PD_AUTH_FAIL);
	/* a genuine signature over a body someone changed */
	tampered = g_strconcat(good, "P.S. send the invoice to me instead\r\n", NULL);
	c = check(auth, "203.0.113.9", "evil.example", "", tampered, "victim.example");
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(c->dkim, 0))->status, PD_AUTH_FAIL);
	assert_false(c->from_authenticated);
}

static void
test_spoof_aligned_pass_authenticates(void **state)
{
	g_autofree char *text = base_zone(NULL, NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("someone@victim.example", &key1024, "victim.example",
					    "sel");
	g_autoptr(PdAuthResult) r = check(auth, "203.0.113.9", "evil.example",
					  "someone@victim.example", msg, "victim.example");
	g_autofree char *ar = pd_auth_result_to_string(r, "mx.desk.example");

	assert_int_equal(r->spf, PD_AUTH_FAIL);
	assert_true(r->from_authenticated);
	assert_non_null(strstr(ar, "dkim=pass header.d=victim.example header.s=sel"));
	assert_non_null(strstr(ar, "spf=fail smtp.mailfrom=victim.example"));
}

static void
test_spoof_dns_timeout_is_temporary(void **state)
{
	/* every lookup of the sender's SPF record and DKIM key times out */
	g_autoptr(PdResolver) zone = zone_from("victim.example TIMEOUT\n"
					       "sel._domainkey.victim.example TIMEOUT\n");
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("someone@victim.example", &key1024, "victim.example",
					    "sel");
	g_autoptr(PdAuthResult) r = check(auth, "192.0.2.1", "mx.victim.example",
					  "bounce@victim.example", msg, "victim.example");

	assert_int_equal(r->spf, PD_AUTH_TEMPERROR);
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(r->dkim, 0))->status,
			 PD_AUTH_TEMPERROR);
	assert_int_equal(r->dmarc, PD_AUTH_NONE);	/* no _dmarc record at all */
	assert_false(r->from_authenticated);
	assert_true(r->temporary);
}

static void
test_cross_organization_not_aligned(void **state)
{
	g_autoptr(PdResolver) zone = zone_from("attacker.co.uk TXT v=spf1 ip4:203.0.113.9 -all\n");
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autoptr(PdAuthResult) r = check(auth, "203.0.113.9", "attacker.co.uk",
					  "x@attacker.co.uk", NULL, "victim.co.uk");
	g_autofree char *org = pd_auth_org_domain(auth, "A.B.Example.CO.UK.");

	assert_string_equal(org, "example.co.uk");
	assert_null(pd_auth_org_domain(auth, "co.uk"));
	assert_int_equal(r->spf, PD_AUTH_PASS);
	assert_false(r->spf_aligned);
	assert_false(r->from_authenticated);
}

static void
test_dkim_small_key_and_null_sender(void **state)
{
	g_autofree char *text = base_zone(NULL, "mx.victim.example TXT v=spf1 ip4:192.0.2.1 -all");
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("someone@victim.example", &key512, "victim.example",
					    "small");
	/* a bounce: SPF checks the HELO identity */
	g_autoptr(PdAuthResult) r = check(auth, "192.0.2.1", "mx.victim.example", "", msg,
					  "victim.example");
	const PdDkimSignature *sig = g_ptr_array_index(r->dkim, 0);

	assert_int_equal(sig->status, PD_AUTH_PERMERROR);	/* RFC 8301: < 1024 bits */
	assert_true(r->spf_helo);
	assert_string_equal(r->spf_domain, "mx.victim.example");
	assert_int_equal(r->spf, PD_AUTH_PASS);
	assert_true(r->from_authenticated);	/* HELO domain aligns (relaxed) */
}

static void
test_dkim_body_length_limit(void **state)
{
	g_autofree char *text = base_zone(NULL, NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *signed_l = make_message_len("a@victim.example", &key1024,
						     "victim.example", "sel", TRUE);
	g_autofree char *appended = g_strconcat(signed_l, "Please wire the money to me.\r\n",
						NULL);
	g_autoptr(PdAuthResult) whole = check(auth, "203.0.113.9", "evil.example",
					      "x@attacker.example", signed_l, "victim.example");
	g_autoptr(PdAuthResult) more = check(auth, "203.0.113.9", "evil.example",
					     "x@attacker.example", appended, "victim.example");

	assert_non_null(strstr(signed_l, "l="));
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(whole->dkim, 0))->status,
			 PD_AUTH_PASS);
	assert_true(whole->from_authenticated);
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(more->dkim, 0))->status,
			 PD_AUTH_POLICY);
	assert_false(more->from_authenticated);

	/* l= covering the whole body passes whatever the body's whitespace */
	static const char *const bodies[] = {
		"", "\r\n", "\r\n\r\n", "a  b \t\r\n\r\n \r\n", "x\r\n \r\ny\r\n",
		"  lead\r\n\ttab\tin  the middle  \r\nend\r\n", "only\r\n\r\n\r\n",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
		for (int canon = DKIM_CANON_SIMPLE; canon <= DKIM_CANON_RELAXED; canon++) {
			g_autofree char *msg = make_message_full("a@victim.example", &key1024,
								 "victim.example", "sel", TRUE,
								 canon, bodies[i]);
			g_autoptr(PdAuthResult) r = check(auth, "203.0.113.9", "evil.example",
							  "x@attacker.example", msg,
							  "victim.example");
			const PdDkimSignature *sig = g_ptr_array_index(r->dkim, 0);

			if (sig->status != PD_AUTH_PASS)
				fail_msg("body %zu canon %d: %s (%s)", i, canon,
					 pd_auth_status_name(sig->status), sig->reason);
		}
	}
}

static void
test_idn_from_domain(void **state)
{
	g_autofree char *text = g_strdup_printf(
		"sel._domainkey.xn--bcher-kva.example TXT v=DKIM1; k=rsa; p=%s\n",
		key1024.public_b64);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("info@xn--bcher-kva.example", &key1024,
					    "xn--bcher-kva.example", "sel");
	g_autoptr(PdAuthResult) r = check(auth, "203.0.113.9", "evil.example",
					  "x@attacker.example", msg, "B\xc3\xbc" "cher.example");
	g_autoptr(PdAuthResult) bad = check(auth, "203.0.113.9", "evil.example",
					    "x@attacker.example", msg, "b\xfc" "cher.example");

	assert_string_equal(r->from_domain, "xn--bcher-kva.example");
	assert_true(r->from_authenticated);
	assert_null(bad->from_domain);		/* not UTF-8: nothing to authenticate */
	assert_false(bad->from_authenticated);
}

/* ---- the DNS budget, with a resolver of our own behind the seam ---- */

typedef struct {
	PdResolver parent;
	PdResolver *inner;
	guint delay_ms;
} SlowResolver;

static PdDnsStatus
slow_lookup(PdResolver *resolver, const char *name, PdDnsType type, guint timeout_ms,
	    GPtrArray *answers)
{
	SlowResolver *slow = (SlowResolver *) resolver;

	if (timeout_ms < slow->delay_ms) {
		g_usleep(timeout_ms * 1000);
		return PD_DNS_TEMPFAIL;
	}
	g_usleep(slow->delay_ms * 1000);
	return slow->inner->ops->lookup(slow->inner, name, type, timeout_ms, answers);
}

static void
slow_destroy(PdResolver *resolver)
{
	pd_resolver_unref(((SlowResolver *) resolver)->inner);
	g_free(resolver);
}

static const PdResolverOps slow_ops = { slow_lookup, slow_destroy };

static void
test_dns_budget(void **state)
{
	g_autofree char *text = base_zone("v=DMARC1; p=reject", NULL);
	SlowResolver *slow = g_new0(SlowResolver, 1);
	g_autoptr(PdAuthConfig) config = pd_auth_config_new();
	g_autoptr(PdAuth) auth = NULL;
	g_autoptr(PdAuthResult) r = NULL;
	g_autofree char *msg = make_message("someone@victim.example", &key1024, "victim.example",
					    "sel");
	gint64 start;

	pd_resolver_init(&slow->parent, &slow_ops);
	slow->inner = zone_from(text);
	slow->delay_ms = 60;
	config->dns_timeout_ms = 1000;
	config->check_timeout_ms = 100;	/* room for one lookup, not three */
	auth = pd_auth_new(config, &slow->parent, NULL);
	pd_resolver_unref(&slow->parent);
	start = g_get_monotonic_time();
	r = check(auth, "192.0.2.1", "mx.victim.example", "bounce@victim.example", msg,
		  "victim.example");
	assert_true(g_get_monotonic_time() - start < 1000 * 1000);
	assert_int_equal(r->spf, PD_AUTH_PASS);
	assert_int_equal(((PdDkimSignature *) g_ptr_array_index(r->dkim, 0))->status,
			 PD_AUTH_TEMPERROR);
	assert_int_equal(r->dmarc, PD_AUTH_TEMPERROR);
	/* the SPF domain is the From domain itself: aligned even if strict */
	assert_true(r->from_authenticated);
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
	static const char forged_beside_real[] =
		"Authentication-Results: mx.desk.example; spf=pass smtp.mailfrom=victim.example;"
		" dmarc=pass header.from=victim.example\r\n"
		"Authentication-Results: mx.desk.example; spf=fail smtp.mailfrom=victim.example;"
		" dmarc=fail header.from=victim.example\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	static const char other_from[] =
		"Authentication-Results: mx.desk.example; dmarc=pass header.from=attacker.example\r\n"
		"From: someone@victim.example\r\n\r\nbody\r\n";
	g_autoptr(PdAuthResult) a = check(auth, NULL, NULL, "", trusted_pass, "victim.example");
	g_autoptr(PdAuthResult) b = check(auth, NULL, NULL, "", only_untrusted, "victim.example");
	g_autoptr(PdAuthResult) c = check(auth, NULL, NULL, "", forged_beside_real,
					  "victim.example");
	g_autoptr(PdAuthResult) d = check(auth, NULL, NULL, "", other_from, "victim.example");
	gboolean noted_untrusted = FALSE, noted_malformed = FALSE;

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

/* ---- concurrency: one PdAuth, many threads ---- */

typedef struct {
	PdAuth *auth;
	const char *good, *forged;
	guint wrong;
} Worker;

static gpointer
worker(gpointer data)
{
	Worker *w = data;

	for (int i = 0; i < 40; i++) {
		g_autoptr(PdAuthResult) good = check(w->auth, "203.0.113.9", "evil.example",
						     "x@attacker.example", w->good,
						     "victim.example");
		g_autoptr(PdAuthResult) forged = check(w->auth, "203.0.113.9", "evil.example",
						       "x@victim.example", w->forged,
						       "victim.example");

		if (!good->from_authenticated || forged->from_authenticated)
			w->wrong++;
	}
	return NULL;
}

static void
test_concurrent_checks(void **state)
{
	g_autofree char *text = base_zone("v=DMARC1; p=reject", NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *good = make_message("a@victim.example", &key1024, "victim.example", "sel");
	g_autofree char *forged = make_message("a@victim.example", &attacker_key,
					       "victim.example", "sel");
	Worker w[4];
	GThread *t[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (Worker) { auth, good, forged, 0 };
		t[i] = g_thread_new("check", worker, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		g_thread_join(t[i]);
		assert_int_equal(w[i].wrong, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zone_resolver),
		cmocka_unit_test(test_system_resolver),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_dmarc_aligned_dkim_pass),
		cmocka_unit_test(test_dmarc_aligned_spf_pass),
		cmocka_unit_test(test_dmarc_relaxed_vs_strict),
		cmocka_unit_test(test_dmarc_reject_failing_and_subdomain_policy),
		cmocka_unit_test(test_dmarc_no_record),
		cmocka_unit_test(test_dmarc_dns_temperror),
		cmocka_unit_test(test_spoof_failing_spf_and_dkim),
		cmocka_unit_test(test_spoof_aligned_pass_authenticates),
		cmocka_unit_test(test_spoof_dns_timeout_is_temporary),
		cmocka_unit_test(test_cross_organization_not_aligned),
		cmocka_unit_test(test_dkim_small_key_and_null_sender),
		cmocka_unit_test(test_dkim_body_length_limit),
		cmocka_unit_test(test_idn_from_domain),
		cmocka_unit_test(test_dns_budget),
		cmocka_unit_test(test_authres_parse),
		cmocka_unit_test(test_authres_malformed),
		cmocka_unit_test(test_trust_ar),
		cmocka_unit_test(test_mode_off),
		cmocka_unit_test(test_concurrent_checks),
	};

	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
