/* pd-auth-spf: SPF (RFC 7208) with libspf2 over the injected resolver.
 *
 * libspf2 asks its DNS layers (SPF_dns_server_t) for records; we give it a
 * one-layer stack whose lookup goes through pd_auth_lookup, so the check's
 * resolver, per-lookup timeout and DNS budget apply, and a DNS failure is
 * TRY_AGAIN, which libspf2 turns into temperror.  The layer and the
 * SPF_server_t are built per check on the caller's stack/heap: nothing is
 * shared between concurrent checks.  libspf2 prints warnings to stderr by
 * default; we route its messages to GLib's debug log instead.
 */
#include "pd-auth-private.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>
#include <string.h>

static void
spf_log_quiet(const char *file, int line, const char *message)
{
	g_debug("libspf2 %s:%d: %s", file, line, message);
}

void
pd_auth_spf_global_init(void)
{
	static gsize done = 0;

	if (g_once_init_enter(&done)) {
		SPF_warning_handler = spf_log_quiet;
		SPF_info_handler = spf_log_quiet;
		SPF_debug_handler = spf_log_quiet;
		g_once_init_leave(&done, 1);
	}
}

static PdDnsType
spf_type(ns_type type)
{
	switch ((int) type) {
	case ns_t_a: return PD_DNS_A;
	case ns_t_aaaa: return PD_DNS_AAAA;
	case ns_t_mx: return PD_DNS_MX;
	case ns_t_ptr: return PD_DNS_PTR;
	case ns_t_txt: return PD_DNS_TXT;
	case ns_t_spf: return PD_DNS_SPF;
	default: return 0;
	}
}

static gboolean
spf_rr_add(SPF_dns_rr_t *rr, int index, ns_type type, const char *value)
{
	size_t len = strlen(value) + 1;

	switch ((int) type) {
	case ns_t_a:
		if (SPF_dns_rr_buf_realloc(rr, index, sizeof(struct in_addr)) != SPF_E_SUCCESS)
			return FALSE;
		return inet_pton(AF_INET, value, &rr->rr[index]->a) == 1;
	case ns_t_aaaa:
		if (SPF_dns_rr_buf_realloc(rr, index, sizeof(struct in6_addr)) != SPF_E_SUCCESS)
			return FALSE;
		return inet_pton(AF_INET6, value, &rr->rr[index]->aaaa) == 1;
	default:	/* text: TXT, SPF, MX, PTR */
		if (SPF_dns_rr_buf_realloc(rr, index, len) != SPF_E_SUCCESS)
			return FALSE;
		memcpy(rr->rr[index]->txt, value, len);
		return TRUE;
	}
}

static SPF_dns_rr_t *
spf_layer_lookup(SPF_dns_server_t *server, const char *domain, ns_type type, int should_cache)
{
	PdAuthCheck *check = server->hook;
	g_autoptr(GPtrArray) answers = NULL;
	PdDnsStatus status = PD_DNS_NODATA;
	PdDnsType pd_type = spf_type(type);
	SPF_dns_rr_t *rr;
	int herrno;

	if (pd_type != 0)
		status = pd_auth_lookup(check, domain, pd_type, &answers);
	switch (status) {
	case PD_DNS_OK: herrno = NETDB_SUCCESS; break;
	case PD_DNS_NXDOMAIN: herrno = HOST_NOT_FOUND; break;
	case PD_DNS_NODATA: herrno = NO_DATA; break;
	default: herrno = TRY_AGAIN; break;
	}
	rr = SPF_dns_rr_new_init(server, domain, type, 0, herrno);
	if (rr == NULL || answers == NULL)
		return rr;
	for (guint i = 0; i < answers->len; i++) {
		/* a record libspf2 cannot hold (bad address) is skipped */
		if (spf_rr_add(rr, rr->num_rr, type, g_ptr_array_index(answers, i)))
			rr->num_rr++;
	}
	if (rr->num_rr == 0)
		rr->herrno = NO_DATA;
	return rr;
}

static PdAuthStatus
spf_status(SPF_result_t result)
{
	switch (result) {
	case SPF_RESULT_PASS: return PD_AUTH_PASS;
	case SPF_RESULT_FAIL: return PD_AUTH_FAIL;
	case SPF_RESULT_SOFTFAIL: return PD_AUTH_SOFTFAIL;
	case SPF_RESULT_NEUTRAL: return PD_AUTH_NEUTRAL;
	case SPF_RESULT_NONE: return PD_AUTH_NONE;
	case SPF_RESULT_TEMPERROR: return PD_AUTH_TEMPERROR;
	case SPF_RESULT_PERMERROR: return PD_AUTH_PERMERROR;
	default: return PD_AUTH_PERMERROR;
	}
}

/* libspf2 leaves the result unset when the record lookup itself failed:
 * a DNS error is temperror, no v=spf1 record is none, and a record that
 * does not compile (the only case with other errors logged) is permerror. */
static PdAuthStatus
spf_error_status(SPF_response_t *response, SPF_errcode_t err)
{
	if (err == SPF_E_DNS_ERROR)
		return PD_AUTH_TEMPERROR;
	if (err == SPF_E_NOT_SPF) {
		for (int i = 0; i < SPF_response_messages(response); i++) {
			SPF_error_t *message = SPF_response_message(response, i);

			if (SPF_error_errorp(message) && SPF_error_code(message) != SPF_E_NOT_SPF)
				return PD_AUTH_PERMERROR;
		}
		return PD_AUTH_NONE;
	}
	return PD_AUTH_PERMERROR;
}

/* RFC 7208 5: an IPv4-mapped IPv6 address is checked as the IPv4 address
 * (libspf2 would match it against ip6: terms). */
static SPF_errcode_t
spf_set_address(SPF_request_t *request, const char *address)
{
	struct in6_addr v6;
	struct in_addr v4;

	if (inet_pton(AF_INET6, address, &v6) == 1) {
		if (!IN6_IS_ADDR_V4MAPPED(&v6))
			return SPF_request_set_ipv6(request, v6);
		memcpy(&v4.s_addr, &v6.s6_addr[12], 4);
		return SPF_request_set_ipv4(request, v4);
	}
	if (inet_pton(AF_INET, address, &v4) == 1)
		return SPF_request_set_ipv4(request, v4);
	return SPF_E_INVALID_IP4;
}

static gboolean
spf_is_loopback(const char *address)
{
	struct in6_addr v6;
	struct in_addr v4;

	if (inet_pton(AF_INET6, address, &v6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&v6))
			return TRUE;
		if (!IN6_IS_ADDR_V4MAPPED(&v6))
			return FALSE;
		memcpy(&v4.s_addr, &v6.s6_addr[12], 4);
	} else if (inet_pton(AF_INET, address, &v4) != 1) {
		return FALSE;
	}
	return (ntohl(v4.s_addr) >> 24) == 127;
}

/* The domain part of a reverse-path ("" and "postmaster" have none). */
static const char *
mail_from_domain(const char *mail_from)
{
	const char *at = mail_from != NULL ? strrchr(mail_from, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

void
pd_auth_spf_check(PdAuthCheck *check, const char *client_address, const char *helo,
		  const char *mail_from)
{
	PdAuthResult *result = check->result;
	const PdAuthConfig *config = check->auth->config;
	SPF_dns_server_t layer;
	SPF_server_t *server = NULL;
	SPF_request_t *request = NULL;
	SPF_response_t *response = NULL;
	g_autofree char *sender = NULL;
	const char *domain;
	SPF_errcode_t err;

	result->spf = PD_AUTH_NONE;
	domain = mail_from_domain(mail_from);
	result->spf_helo = (mail_from == NULL || *mail_from == '\0');
	if (result->spf_helo) {
		if (helo == NULL || *helo == '\0' || strchr(helo, '.') == NULL ||
		    helo[0] == '[') {
			result->spf_reason = g_strdup("null sender and no usable HELO name");
			return;
		}
		domain = helo;
		sender = g_strconcat("postmaster@", helo, NULL);
	} else if (domain == NULL) {
		/* a local part alone: RFC 7208 4.3 uses the HELO domain */
		domain = helo;
		sender = g_strdup(mail_from);
	} else {
		sender = g_strdup(mail_from);
	}
	result->spf_domain = pd_auth_domain_canonical(domain);
	if (client_address == NULL || *client_address == '\0') {
		result->spf_reason = g_strdup("client address unknown (no XFORWARD ADDR)");
		return;
	}
	/* libspf2 passes loopback clients whatever the record says: the LMTP
	 * peer (our own MTA) must never stand in for the real client. */
	if (spf_is_loopback(client_address)) {
		result->spf_reason = g_strdup("loopback client address: not checked");
		return;
	}

	memset(&layer, 0, sizeof layer);
	layer.lookup = spf_layer_lookup;
	layer.name = "postdesk";
	layer.hook = check;
	server = SPF_server_new_dns(&layer, 0);
	if (server == NULL) {
		result->spf = PD_AUTH_TEMPERROR;
		result->spf_reason = g_strdup("libspf2: cannot create a server");
		return;
	}
	SPF_server_set_rec_dom(server, config->receiving_host ? config->receiving_host : "unknown");
	/* libspf2's default points at the defunct openspf.org */
	SPF_server_set_explanation(server, PD_AUTH_SPF_DEFAULT_EXPLANATION, &response);
	if (response != NULL) {
		SPF_response_free(response);
		response = NULL;
	}
	request = SPF_request_new(server);
	err = spf_set_address(request, client_address);
	if (err != SPF_E_SUCCESS) {
		result->spf = PD_AUTH_PERMERROR;
		result->spf_reason = g_strdup_printf("client address \"%s\" is not an IP address",
						     client_address);
		goto out;
	}
	if (helo != NULL && *helo != '\0')
		SPF_request_set_helo_dom(request, helo);
	if (SPF_request_set_env_from(request, sender) != 0) {
		result->spf = PD_AUTH_PERMERROR;
		result->spf_reason = g_strdup("MAIL FROM is not a usable address");
		goto out;
	}
	err = SPF_request_query_mailfrom(request, &response);
	if (response == NULL) {
		result->spf = PD_AUTH_TEMPERROR;
		result->spf_reason = g_strdup("libspf2 gave no response");
		goto out;
	}
	result->spf = spf_status(SPF_response_result(response));
	if (err != SPF_E_SUCCESS && SPF_response_result(response) == SPF_RESULT_INVALID)
		result->spf = spf_error_status(response, err);
	if (result->spf == PD_AUTH_FAIL && SPF_response_get_explanation(response) != NULL)
		result->spf_reason = g_strdup(SPF_response_get_explanation(response));
	else if (SPF_response_get_smtp_comment(response) != NULL)
		result->spf_reason = g_strdup(SPF_response_get_smtp_comment(response));
out:
	if (response != NULL)
		SPF_response_free(response);
	if (request != NULL)
		SPF_request_free(request);
	SPF_server_free(server);
}
