/* auth-test-util: what unit-auth and unit-auth-seams share: RSA keys, DKIM-signed
 * test mails (signed here with libopendkim), static zones and a one-call check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth-test-util.h"

TestKey key1024, key512, attacker_key;

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

int
setup_keys(void **state)
{
	make_key(&key1024, 1024);
	make_key(&key512, 512);
	make_key(&attacker_key, 1024);
	return 0;
}

/* A CRLF message, DKIM-signed by domain/selector with key when key != NULL. */
char *
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

char *
make_message_len(const char *from, const TestKey *key, const char *domain,
		 const char *selector, gboolean body_length)
{
	return make_message_full(from, key, domain, selector, body_length, DKIM_CANON_RELAXED,
				 "Hello,\r\nplease help.\r\n");
}

char *
make_message(const char *from, const TestKey *key, const char *domain, const char *selector)
{
	return make_message_len(from, key, domain, selector, FALSE);
}

PdResolver *
zone_from(const char *text)
{
	PdResolver *zone = pd_resolver_zone_new();
	g_autoptr(GError) error = NULL;

	assert_true(pd_resolver_zone_load_data(zone, text, &error));
	return zone;
}

PdAuth *
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

PdAuthResult *
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
char *
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
