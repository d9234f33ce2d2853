/* unit-auth: sender authentication with static zones, no network.
 *
 * DMARC alignment and policy, the spoofing cases the help desk relies on (a
 * forged From never gets privileges, a DNS failure is temporary and never a
 * pass), DKIM key size, l= and IDN domains, the DNS budget, and concurrent
 * checks on one PdAuth.  DKIM signatures are made with libopendkim and fresh
 * RSA keys (auth-test-util.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "auth-test-util.h"

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
test_spoof_loopback_client(void **state)
{
	/* a record that would even allow everyone must not matter either */
	g_autofree char *text = base_zone(NULL, NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	static const char *const loopbacks[] = { "127.0.0.1", "127.1.2.3", "::1",
						 "::ffff:127.0.0.1" };

	for (gsize i = 0; i < G_N_ELEMENTS(loopbacks); i++) {
		g_autoptr(PdAuthResult) r = check(auth, loopbacks[i], "localhost",
						  "ceo@victim.example", NULL, "victim.example");

		assert_int_equal(r->spf, PD_AUTH_NONE);
		assert_false(r->from_authenticated);
	}
}

static void
test_spoof_second_from_header(void **state)
{
	g_autofree char *text = base_zone(NULL, NULL);
	g_autoptr(PdResolver) zone = zone_from(text);
	g_autoptr(PdAuth) auth = auth_with(zone, PD_AUTH_MODE_VERIFY);
	g_autofree char *msg = make_message("a@attacker.example", &attacker_key,
					    "attacker.example", "sel");
	/* the signed From is the attacker's; a reader may show the other one */
	g_autofree char *two = g_strconcat("From: ceo@victim.example\r\n", msg, NULL);
	g_autoptr(PdAuthResult) r = check(auth, "203.0.113.9", "evil.example",
					  "x@attacker.example", two, "attacker.example");
	g_autoptr(PdAuthResult) one = check(auth, "203.0.113.9", "evil.example",
					    "x@attacker.example", msg, "attacker.example");

	assert_true(one->from_authenticated);
	assert_false(r->from_authenticated);
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
		cmocka_unit_test(test_dmarc_aligned_dkim_pass),
		cmocka_unit_test(test_dmarc_aligned_spf_pass),
		cmocka_unit_test(test_dmarc_relaxed_vs_strict),
		cmocka_unit_test(test_dmarc_reject_failing_and_subdomain_policy),
		cmocka_unit_test(test_dmarc_no_record),
		cmocka_unit_test(test_dmarc_dns_temperror),
		cmocka_unit_test(test_spoof_failing_spf_and_dkim),
		cmocka_unit_test(test_spoof_aligned_pass_authenticates),
		cmocka_unit_test(test_spoof_dns_timeout_is_temporary),
		cmocka_unit_test(test_spoof_loopback_client),
		cmocka_unit_test(test_spoof_second_from_header),
		cmocka_unit_test(test_cross_organization_not_aligned),
		cmocka_unit_test(test_dkim_small_key_and_null_sender),
		cmocka_unit_test(test_dkim_body_length_limit),
		cmocka_unit_test(test_idn_from_domain),
		cmocka_unit_test(test_dns_budget),
		cmocka_unit_test(test_concurrent_checks),
	};

	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
