/* pd-auth-dmarc: DMARC (RFC 7489) record discovery, alignment and verdict.
 *
 * We fetch _dmarc.<From domain> (then _dmarc.<organizational domain>)
 * through the injected resolver ourselves and hand the record to
 * libopendmarc to parse (p, sp, adkim, aspf).  Alignment is computed here
 * with the organizational domain from libpsl: libopendmarc's own alignment
 * uses a process-global TLD table and, without one, a two-label guess that
 * would align example.co.uk with attacker.co.uk.
 *
 * The verdict, from_authenticated, needs no DMARC record: an SPF or DKIM
 * pass aligned (relaxed unless the record says strict) with the From
 * domain.  Doubt never authenticates.
 */
#include "pd-auth-private.h"

#include <opendmarc/dmarc.h>
#include <string.h>

/* The one DMARC record at name: OK with *record_r set, NODATA when there is
 * none or more than one (RFC 7489 6.6.3), TEMPFAIL. */
static PdDnsStatus
dmarc_fetch(PdAuthCheck *check, const char *domain, char **record_r)
{
	g_autofree char *name = g_strconcat("_dmarc.", domain, NULL);
	g_autoptr(GPtrArray) answers = NULL;
	PdDnsStatus status = pd_auth_lookup(check, name, PD_DNS_TXT, &answers);
	const char *found = NULL;
	guint count = 0;

	*record_r = NULL;
	if (status == PD_DNS_TEMPFAIL)
		return status;
	if (status != PD_DNS_OK)
		return PD_DNS_NODATA;
	for (guint i = 0; i < answers->len; i++) {
		const char *txt = g_ptr_array_index(answers, i);

		if (g_ascii_strncasecmp(txt, "v=DMARC1", 8) == 0 &&
		    (txt[8] == '\0' || txt[8] == ';' || txt[8] == ' ' || txt[8] == '\t')) {
			found = txt;
			count++;
		}
	}
	if (count != 1) {
		if (count > 1)
			pd_auth_result_add_note(check->result,
						"DMARC: %u records at %s, none applies", count, name);
		return PD_DNS_NODATA;
	}
	*record_r = g_strdup(found);
	return PD_DNS_OK;
}

static PdDmarcPolicy
dmarc_policy(int p)
{
	switch (p) {
	case DMARC_RECORD_P_NONE: return PD_DMARC_POLICY_NONE;
	case DMARC_RECORD_P_QUARANTINE: return PD_DMARC_POLICY_QUARANTINE;
	case DMARC_RECORD_P_REJECT: return PD_DMARC_POLICY_REJECT;
	default: return PD_DMARC_POLICY_UNSET;
	}
}

/* Parses record with libopendmarc into result; FALSE if it is unusable. */
static gboolean
dmarc_parse(PdAuthResult *result, const char *record, const char *record_domain)
{
	DMARC_POLICY_T *pctx;
	int p = 0, sp = 0, adkim = 0, aspf = 0;
	OPENDMARC_STATUS_T status;
	gboolean ok = FALSE;

	pctx = opendmarc_policy_connect_init((u_char *) "0.0.0.0", DMARC_POLICY_IP_TYPE_IPV4);
	if (pctx == NULL)
		return FALSE;
	if (opendmarc_policy_store_from_domain(pctx, (u_char *) result->from_domain) !=
	    DMARC_PARSE_OKAY)
		goto out;
	status = opendmarc_policy_store_dmarc(pctx, (u_char *) record,
					      (u_char *) result->from_domain,
					      (u_char *) record_domain);
	if (status != DMARC_PARSE_OKAY) {
		pd_auth_result_add_note(result, "DMARC record at _dmarc.%s unusable: %s",
					record_domain, opendmarc_policy_status_to_str(status));
		goto out;
	}
	opendmarc_policy_fetch_p(pctx, &p);
	opendmarc_policy_fetch_sp(pctx, &sp);
	opendmarc_policy_fetch_adkim(pctx, &adkim);
	opendmarc_policy_fetch_aspf(pctx, &aspf);
	result->dmarc_strict_dkim = adkim == DMARC_RECORD_A_STRICT;
	result->dmarc_strict_spf = aspf == DMARC_RECORD_A_STRICT;
	result->dmarc_policy = dmarc_policy(p);
	/* sp= applies to subdomains, i.e. when the record is the org domain's */
	if (strcmp(record_domain, result->from_domain) != 0 && dmarc_policy(sp) !=
	    PD_DMARC_POLICY_UNSET)
		result->dmarc_policy = dmarc_policy(sp);
	ok = result->dmarc_policy != PD_DMARC_POLICY_UNSET;
out:
	opendmarc_policy_connect_shutdown(pctx);
	return ok;
}

void
pd_auth_dmarc_check(PdAuthCheck *check)
{
	PdAuthResult *result = check->result;
	g_autofree char *record = NULL;
	const char *record_domain;
	PdDnsStatus status;

	result->dmarc = PD_AUTH_NONE;
	if (result->from_domain == NULL) {
		pd_auth_result_add_note(result, "DMARC: no From domain");
		return;
	}
	result->org_domain = pd_auth_org_domain(check->auth, result->from_domain);
	record_domain = result->from_domain;
	status = dmarc_fetch(check, record_domain, &record);
	if (status == PD_DNS_NODATA && result->org_domain != NULL &&
	    strcmp(result->org_domain, result->from_domain) != 0) {
		record_domain = result->org_domain;
		status = dmarc_fetch(check, record_domain, &record);
	}
	if (status == PD_DNS_TEMPFAIL) {
		result->dmarc = PD_AUTH_TEMPERROR;
		return;
	}
	if (record == NULL)
		return;
	result->dmarc_record_domain = g_strdup(record_domain);
	if (!dmarc_parse(result, record, record_domain)) {
		result->dmarc = PD_AUTH_PERMERROR;
		result->dmarc_policy = PD_DMARC_POLICY_UNSET;
		return;
	}
	result->dmarc = PD_AUTH_FAIL;	/* until pd_auth_align finds an aligned pass */
}

/* RFC 7489 3.1: strict = same domain; relaxed = same organizational domain. */
static gboolean
dmarc_aligned(PdAuth *auth, const char *domain, const char *from_domain, gboolean strict)
{
	g_autofree char *a = pd_auth_domain_canonical(domain);
	g_autofree char *org_a = NULL;
	g_autofree char *org_b = NULL;

	if (a == NULL || from_domain == NULL)
		return FALSE;
	if (strcmp(a, from_domain) == 0)
		return TRUE;
	if (strict)
		return FALSE;
	org_a = pd_auth_org_domain(auth, a);
	org_b = pd_auth_org_domain(auth, from_domain);
	return org_a != NULL && org_b != NULL && strcmp(org_a, org_b) == 0;
}

void
pd_auth_align(PdAuth *auth, PdAuthResult *result, gboolean evaluate_dmarc)
{
	gboolean spf_pass, dkim_pass = FALSE, temporary;
	/* the record could not be read: it might say strict, so assume it */
	gboolean unknown = evaluate_dmarc && result->dmarc == PD_AUTH_TEMPERROR;

	result->spf_aligned = dmarc_aligned(auth, result->spf_domain, result->from_domain,
					    result->dmarc_strict_spf || unknown);
	spf_pass = result->spf == PD_AUTH_PASS && result->spf_aligned;
	temporary = result->spf == PD_AUTH_TEMPERROR || result->dmarc == PD_AUTH_TEMPERROR;
	for (guint i = 0; i < result->dkim->len; i++) {
		PdDkimSignature *sig = g_ptr_array_index(result->dkim, i);

		sig->aligned = dmarc_aligned(auth, sig->domain, result->from_domain,
					     result->dmarc_strict_dkim || unknown);
		if (sig->status == PD_AUTH_PASS && sig->aligned)
			dkim_pass = TRUE;
		if (sig->status == PD_AUTH_TEMPERROR)
			temporary = TRUE;
	}
	if (evaluate_dmarc) {
		result->from_authenticated = spf_pass || dkim_pass;
		if (result->dmarc == PD_AUTH_FAIL && result->from_authenticated)
			result->dmarc = PD_AUTH_PASS;
		else if (result->dmarc == PD_AUTH_FAIL && temporary)
			result->dmarc = PD_AUTH_TEMPERROR;
	} else if (result->dmarc == PD_AUTH_PASS || result->dmarc == PD_AUTH_FAIL) {
		/* the trusted verifier saw the record (and its strictness) */
		result->from_authenticated = result->dmarc == PD_AUTH_PASS &&
					     result->from_domain != NULL;
	} else {
		result->from_authenticated = spf_pass || dkim_pass;
	}
	result->temporary = !result->from_authenticated && temporary;
}
