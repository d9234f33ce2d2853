/* fuzz-authres: the Authentication-Results parser (RFC 8601), trust-ar mode, and
 * the message path of verify mode.
 *
 * The input is parsed once as one header value, once as a whole message whose
 * Authentication-Results headers are weighed by pd_auth_from_headers, and once
 * as a message for pd_auth_check (DKIM header splitting, libopendkim, DMARC),
 * with a static zone: no DNS, no network.
 */
#include <stddef.h>
#include <stdint.h>

#include "auth/pd-auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PdAuth *
fuzz_auth(PdAuthMode mode)
{
	static PdAuth *auths[2];
	PdAuth **auth = &auths[mode == PD_AUTH_MODE_VERIFY];

	if (*auth == NULL) {
		PdAuthConfig *config = pd_auth_config_new();
		PdResolver *zone = pd_resolver_zone_new();

		pd_resolver_zone_load_data(zone,
			"example.com TXT v=spf1 ip4:192.0.2.1 -all\n"
			"_dmarc.example.com TXT v=DMARC1; p=reject; adkim=s\n"
			"s1._domainkey.example.com TXT v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAw"
			"SAJBALgSoqXVSEmfcIsOzw7oRuCCOwsmtX/SJnTWxYyj2leFxfS/AVJ+dYfY+hXqMsT7l+MZvvh/"
			"R1WzN4MO/kI/7XsCAwEAAQ==\n", NULL);
		config->mode = mode;
		config->dkim_min_key_bits = 512;
		g_ptr_array_add(config->trusted_authserv_ids, g_strdup("mx.example"));
		*auth = pd_auth_new(config, zone, NULL);
		pd_resolver_unref(zone);
		pd_auth_config_free(config);
	}
	return *auth;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PdAuthRes *ar = pd_authres_parse((const char *) data, size, NULL);
	PdAuthResult *result;
	char *text;

	PdEnvelope *envelope = pd_envelope_new("fuzz");

	pd_authres_free(ar);
	result = pd_auth_from_headers(fuzz_auth(PD_AUTH_MODE_TRUST_AR), (const char *) data, size,
				      "example.com");
	text = pd_auth_result_to_string(result, "postdesk");
	g_free(text);
	pd_auth_result_free(result);

	envelope->client_address = g_strdup("192.0.2.1");
	envelope->client_helo = g_strdup("mx.example.com");
	result = pd_auth_check(fuzz_auth(PD_AUTH_MODE_VERIFY), envelope, (const char *) data, size,
			       "example.com");
	pd_auth_result_free(result);
	pd_envelope_free(envelope);
	return 0;
}
