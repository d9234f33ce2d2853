/* fuzz-authres: the Authentication-Results parser (RFC 8601) and trust-ar mode.
 *
 * The input is parsed once as one header value, and once as a whole message
 * whose Authentication-Results headers are weighed by pd_auth_from_headers
 * (a trust-ar PdAuth over an empty static zone: no DNS, no network).
 */
#include <stddef.h>
#include <stdint.h>

#include "auth/pd-auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PdAuth *
fuzz_auth(void)
{
	static PdAuth *auth;

	if (auth == NULL) {
		PdAuthConfig *config = pd_auth_config_new();
		PdResolver *zone = pd_resolver_zone_new();

		config->mode = PD_AUTH_MODE_TRUST_AR;
		g_ptr_array_add(config->trusted_authserv_ids, g_strdup("mx.example"));
		auth = pd_auth_new(config, zone, NULL);
		pd_resolver_unref(zone);
		pd_auth_config_free(config);
	}
	return auth;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PdAuthRes *ar = pd_authres_parse((const char *) data, size, NULL);
	PdAuthResult *result;
	char *text;

	pd_authres_free(ar);
	result = pd_auth_from_headers(fuzz_auth(), (const char *) data, size, "example.com");
	text = pd_auth_result_to_string(result, "postdesk");
	g_free(text);
	pd_auth_result_free(result);
	return 0;
}
