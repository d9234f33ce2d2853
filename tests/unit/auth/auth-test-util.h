/* auth-test-util: helpers shared by the auth unit tests (see auth-test-util.c). */
#ifndef AUTH_TEST_UTIL_H
#define AUTH_TEST_UTIL_H

#include <opendkim/dkim.h>

#include "auth/pd-auth.h"

typedef struct {
	char *private_pem;
	char *public_b64;
} TestKey;

/* RSA keys made by setup_keys (a cmocka group setup): 1024, 512 bits, and
 * one for the attacker. */
extern TestKey key1024, key512, attacker_key;
int setup_keys(void **state);

/* A CRLF mail From: from with body, DKIM-signed by domain/selector with key
 * (unsigned when key is NULL); body_length adds l=. */
char *make_message_full(const char *from, const TestKey *key, const char *domain,
			const char *selector, gboolean body_length, dkim_canon_t canon,
			const char *body);
char *make_message_len(const char *from, const TestKey *key, const char *domain,
		       const char *selector, gboolean body_length);
char *make_message(const char *from, const TestKey *key, const char *domain,
		   const char *selector);

PdResolver *zone_from(const char *text);
/* A PdAuth in mode with authserv-id mx.desk.example over zone. */
PdAuth *auth_with(PdResolver *zone, PdAuthMode mode);
PdAuthResult *check(PdAuth *auth, const char *ip, const char *helo, const char *mail_from,
		    const char *message, const char *from_domain);
/* victim.example, mail.victim.example and attacker.example with SPF and DKIM
 * keys, _dmarc.victim.example = dmarc_record (none if NULL), plus extra lines. */
char *base_zone(const char *dmarc_record, const char *extra);

#endif
