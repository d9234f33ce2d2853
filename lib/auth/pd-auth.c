/* pd-auth: the shared context, one check, and the result object.
 *
 * pd_auth_check runs SPF, then DKIM, then DMARC and alignment, all through
 * one PdAuthCheck (DNS budget) on the caller's stack.  The PSL context and
 * the DKIM library handle are created once and only read afterwards.
 */
#include "pd-auth-private.h"

#include <idn2.h>
#include <string.h>

#include "core/pd-error.h"

static PdAuthConfig *
config_copy(const PdAuthConfig *config)
{
	PdAuthConfig *copy = g_new0(PdAuthConfig, 1);

	*copy = *config;
	copy->authserv_id = g_strdup(config->authserv_id);
	copy->trusted_authserv_ids = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < config->trusted_authserv_ids->len; i++)
		g_ptr_array_add(copy->trusted_authserv_ids,
				g_strdup(g_ptr_array_index(config->trusted_authserv_ids, i)));
	copy->psl_file = g_strdup(config->psl_file);
	copy->receiving_host = g_strdup(config->receiving_host);
	copy->dns_server = g_strdup(config->dns_server);
	copy->zone_file = g_strdup(config->zone_file);
	copy->trusted_relays = NULL;	/* the pipeline's business */
	return copy;
}

PdAuth *
pd_auth_new(const PdAuthConfig *config, PdResolver *resolver, GError **error)
{
	g_autoptr(PdAuth) auth = g_new0(PdAuth, 1);

	g_return_val_if_fail(config != NULL, NULL);
	auth->config = config_copy(config);
	if (resolver != NULL) {
		auth->resolver = pd_resolver_ref(resolver);
	} else if (config->zone_file != NULL) {
		auth->resolver = pd_resolver_zone_new();
		if (!pd_resolver_zone_load_file(auth->resolver, config->zone_file, error))
			return NULL;
	} else if (config->dns_server != NULL)
		auth->resolver = pd_resolver_system_new_server(config->dns_server, error);
	else
		auth->resolver = pd_resolver_system_new();
	if (auth->resolver == NULL)
		return NULL;
	if (config->psl_file != NULL) {
		auth->psl = psl_load_file(config->psl_file);
		auth->psl_owned = TRUE;
	} else {
		auth->psl = psl_latest(NULL);
		auth->psl_owned = auth->psl != NULL;
		if (auth->psl == NULL)
			auth->psl = (psl_ctx_t *) psl_builtin();
	}
	if (auth->psl == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "cannot load the Public Suffix List%s%s",
			    config->psl_file ? " from " : "",
			    config->psl_file ? config->psl_file : "");
		return NULL;
	}
	pd_auth_spf_global_init();
	auth->dkim_lib = pd_auth_dkim_lib_new(auth->config, error);
	if (auth->dkim_lib == NULL)
		return NULL;
	return g_steal_pointer(&auth);
}

void
pd_auth_free(PdAuth *auth)
{
	if (auth == NULL)
		return;
	if (auth->dkim_lib != NULL)
		dkim_close(auth->dkim_lib);
	if (auth->psl_owned)
		psl_free(auth->psl);
	pd_resolver_unref(auth->resolver);
	pd_auth_config_free(auth->config);
	g_free(auth);
}

const PdAuthConfig *
pd_auth_get_config(const PdAuth *auth)
{
	return auth->config;
}

char *
pd_auth_domain_canonical(const char *domain)
{
	g_autofree char *copy = NULL;
	gsize len;

	if (domain == NULL)
		return NULL;
	copy = g_ascii_strdown(domain, -1);
	g_strstrip(copy);
	len = strlen(copy);
	if (len > 0 && copy[len - 1] == '.')
		copy[--len] = '\0';
	for (const char *p = copy; *p != '\0'; p++) {
		if ((unsigned char) *p >= 0x80) {
			/* a U-label From domain compares with A-label d= and MAIL FROM */
			char *ascii = NULL;

			if (!g_utf8_validate(copy, -1, NULL) ||
			    idn2_to_ascii_8z(copy, &ascii, IDN2_NONTRANSITIONAL) != IDN2_OK)
				return NULL;
			g_free(copy);
			copy = g_ascii_strdown(ascii, -1);
			idn2_free(ascii);
			len = strlen(copy);
			break;
		}
	}
	if (len == 0 || len > 253)
		return NULL;
	return g_steal_pointer(&copy);
}

char *
pd_auth_org_domain(PdAuth *auth, const char *domain)
{
	g_autofree char *canonical = pd_auth_domain_canonical(domain);
	g_autofree char *lower = NULL;
	const char *registrable;

	if (canonical == NULL || *canonical == '.' || strstr(canonical, "..") != NULL)
		return NULL;
	if (psl_str_to_utf8lower(canonical, "utf-8", NULL, &lower) != PSL_SUCCESS)
		return NULL;
	registrable = psl_registrable_domain(auth->psl, lower);
	return registrable != NULL ? g_strdup(registrable) : NULL;
}

/* ---- one check ---- */

void
pd_auth_check_init(PdAuthCheck *check, PdAuth *auth, PdAuthResult *result)
{
	memset(check, 0, sizeof *check);
	check->auth = auth;
	check->result = result;
	check->deadline = g_get_monotonic_time() +
			  (gint64) auth->config->check_timeout_ms * G_TIME_SPAN_MILLISECOND;
}

PdDnsStatus
pd_auth_lookup(PdAuthCheck *check, const char *name, PdDnsType type, GPtrArray **answers_r)
{
	gint64 left = check->deadline - g_get_monotonic_time();
	guint timeout_ms = check->auth->config->dns_timeout_ms;
	PdDnsStatus status;

	if (answers_r != NULL)
		*answers_r = NULL;
	if (left <= 0) {
		if (!check->budget_noted)
			pd_auth_result_add_note(check->result, "DNS budget of %u ms exhausted",
						check->auth->config->check_timeout_ms);
		check->budget_noted = TRUE;
		check->dns_temporary = TRUE;
		return PD_DNS_TEMPFAIL;
	}
	timeout_ms = MIN(timeout_ms, (guint) MAX(1, left / G_TIME_SPAN_MILLISECOND));
	check->lookups++;
	status = pd_resolver_lookup(check->auth->resolver, name, type, timeout_ms, answers_r);
	if (status == PD_DNS_TEMPFAIL)
		check->dns_temporary = TRUE;
	return status;
}

PdAuthResult *
pd_auth_check(PdAuth *auth, const PdEnvelope *envelope, const char *message, gsize message_len,
	      const char *from_domain)
{
	PdAuthResult *result;
	PdAuthCheck check;

	g_return_val_if_fail(auth != NULL && envelope != NULL, NULL);
	if (auth->config->mode == PD_AUTH_MODE_TRUST_AR)
		return pd_auth_from_headers(auth, message, message_len, from_domain);
	if (auth->config->mode == PD_AUTH_MODE_OFF) {
		result = pd_auth_result_new(PD_AUTH_SOURCE_NONE);
		pd_auth_result_add_note(result, "authentication is off ([auth] mode = off)");
		return result;
	}
	result = pd_auth_result_new(PD_AUTH_SOURCE_VERIFIED);
	result->from_domain = pd_auth_domain_canonical(from_domain);
	pd_auth_check_init(&check, auth, result);
	pd_auth_spf_check(&check, envelope->client_address, envelope->client_helo,
			  envelope->mail_from);
	if (message != NULL)
		pd_auth_dkim_check(&check, message, message_len);
	pd_auth_dmarc_check(&check);
	pd_auth_align(auth, result, TRUE);
	if (message != NULL)
		pd_auth_check_from_headers(result, message, message_len);
	return result;
}

/* ---- results ---- */

static void
dkim_signature_free(PdDkimSignature *sig)
{
	g_free(sig->domain);
	g_free(sig->selector);
	g_free(sig->reason);
	g_free(sig);
}

PdAuthResult *
pd_auth_result_new(PdAuthSource source)
{
	PdAuthResult *result = g_new0(PdAuthResult, 1);

	result->source = source;
	result->dkim = g_ptr_array_new_with_free_func((GDestroyNotify) dkim_signature_free);
	result->notes = g_ptr_array_new_with_free_func(g_free);
	return result;
}

void
pd_auth_result_free(PdAuthResult *result)
{
	if (result == NULL)
		return;
	g_free(result->spf_domain);
	g_free(result->spf_reason);
	g_ptr_array_unref(result->dkim);
	g_free(result->from_domain);
	g_free(result->org_domain);
	g_free(result->dmarc_record_domain);
	g_ptr_array_unref(result->notes);
	g_free(result);
}

void
pd_auth_result_add_note(PdAuthResult *result, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	g_ptr_array_add(result->notes, g_strdup_vprintf(format, args));
	va_end(args);
}

PdDkimSignature *
pd_auth_result_add_dkim(PdAuthResult *result, const char *domain, const char *selector,
			PdAuthStatus status, const char *reason)
{
	PdDkimSignature *sig = g_new0(PdDkimSignature, 1);

	sig->domain = pd_auth_domain_canonical(domain);
	sig->selector = g_strdup(selector);
	sig->status = status;
	sig->reason = g_strdup(reason);
	g_ptr_array_add(result->dkim, sig);
	return sig;
}

static const char *const status_names[] = {
	[PD_AUTH_NONE] = "none", [PD_AUTH_PASS] = "pass", [PD_AUTH_FAIL] = "fail",
	[PD_AUTH_SOFTFAIL] = "softfail", [PD_AUTH_NEUTRAL] = "neutral",
	[PD_AUTH_TEMPERROR] = "temperror", [PD_AUTH_PERMERROR] = "permerror",
	[PD_AUTH_POLICY] = "policy",
};

const char *
pd_auth_status_name(PdAuthStatus status)
{
	if ((guint) status < G_N_ELEMENTS(status_names))
		return status_names[status];
	return "?";
}

gboolean
pd_auth_status_parse(const char *name, PdAuthStatus *status_r)
{
	for (guint i = 0; i < G_N_ELEMENTS(status_names); i++) {
		if (g_ascii_strcasecmp(name, status_names[i]) == 0) {
			*status_r = (PdAuthStatus) i;
			return TRUE;
		}
	}
	/* RFC 7001/7208 legacy spellings */
	if (g_ascii_strcasecmp(name, "hardfail") == 0) {
		*status_r = PD_AUTH_FAIL;
		return TRUE;
	}
	if (g_ascii_strcasecmp(name, "temperror") == 0 ||
	    g_ascii_strcasecmp(name, "tempfail") == 0) {
		*status_r = PD_AUTH_TEMPERROR;
		return TRUE;
	}
	if (g_ascii_strcasecmp(name, "permfail") == 0) {
		*status_r = PD_AUTH_PERMERROR;
		return TRUE;
	}
	return FALSE;
}

const char *
pd_dmarc_policy_name(PdDmarcPolicy policy)
{
	switch (policy) {
	case PD_DMARC_POLICY_UNSET: return "unset";
	case PD_DMARC_POLICY_NONE: return "none";
	case PD_DMARC_POLICY_QUARANTINE: return "quarantine";
	case PD_DMARC_POLICY_REJECT: return "reject";
	}
	return "?";
}

char *
pd_auth_result_to_string(const PdAuthResult *result, const char *authserv_id)
{
	GString *out = g_string_new(authserv_id != NULL ? authserv_id : "postdesk");

	if (result->source == PD_AUTH_SOURCE_NONE) {
		g_string_append(out, "; none");
		return g_string_free(out, FALSE);
	}
	g_string_append_printf(out, ";\n\tspf=%s", pd_auth_status_name(result->spf));
	if (result->spf_domain != NULL)
		g_string_append_printf(out, " %s=%s", result->spf_helo ? "smtp.helo" : "smtp.mailfrom",
				       result->spf_domain);
	for (guint i = 0; i < result->dkim->len; i++) {
		const PdDkimSignature *sig = g_ptr_array_index(result->dkim, i);

		g_string_append_printf(out, ";\n\tdkim=%s", pd_auth_status_name(sig->status));
		if (sig->reason != NULL && sig->status != PD_AUTH_PASS)
			g_string_append_printf(out, " (%s)", sig->reason);
		if (sig->domain != NULL)
			g_string_append_printf(out, " header.d=%s", sig->domain);
		if (sig->selector != NULL)
			g_string_append_printf(out, " header.s=%s", sig->selector);
	}
	if (result->dkim->len == 0)
		g_string_append(out, ";\n\tdkim=none");
	g_string_append_printf(out, ";\n\tdmarc=%s", pd_auth_status_name(result->dmarc));
	if (result->dmarc_policy != PD_DMARC_POLICY_UNSET)
		g_string_append_printf(out, " (p=%s)", pd_dmarc_policy_name(result->dmarc_policy));
	if (result->from_domain != NULL)
		g_string_append_printf(out, " header.from=%s", result->from_domain);
	return g_string_free(out, FALSE);
}
