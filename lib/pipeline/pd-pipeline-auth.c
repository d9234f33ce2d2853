/* pd-pipeline-auth: the authenticate step (issue 3) for every ingest path.
 *
 * Holds the shared PdAuth built from the [auth] section (reference counted,
 * so a SIGHUP swaps it while in-flight messages keep the old one) and runs
 * ONE check per message, before the per-recipient transactions.  Decisions
 * made here (documented in postdesk.conf(5), [auth]):
 *   - no `mode` key in [auth] means mode off: nobody is ever authenticated,
 *     so nobody gets privileges (fail closed; a missing section must not
 *     start DNS traffic or trust anyone);
 *   - a temporary result (DNS failure, timeout) is never trusted and never
 *     deferred: the mail is stored unauthenticated (nothing waits days in
 *     the MTA's queue) and the result says "temporary";
 *   - the client address and HELO are the envelope's (XFORWARD, deliver
 *     -a/-h); when there are none, the topmost Received header written by a
 *     configured trusted relay ([auth] trusted_relays) gives them, unless
 *     the client that handed the mail over is not trusted (an LMTP client
 *     the operator did not name: envelope->client_trusted);
 *   - Authentication-Results headers in the mail are never read in verify
 *     mode, and only the trusted authserv-ids count in trust-ar mode;
 *   - the From domain is the domain of the identity's own address (GMime's
 *     first From mailbox), and a mail whose author is not read one way
 *     (PdMail.author_doubt: several From fields under any spelling, a From
 *     the raw scan and GMime read differently, none, several mailboxes) is
 *     never authenticated: the note and the parse warning say why;
 *   - every raw header read here splits the header block as GMime does
 *     (core/pd-header.h).
 */
#include "pd-pipeline-auth.h"
#include "core/pd-header.h"
#include "core/pd-json.h"

#include <arpa/inet.h>
#include <string.h>

struct _PdPipelineAuth {
	PdAuth *auth;		/* NULL: mode off */
	PdAuthMode mode;
	PdConfig *holder;	/* holds config */
	const PdAuthConfig *config;	/* its [auth] settings */
};

static void
pipeline_auth_clear(gpointer data)
{
	PdPipelineAuth *pa = data;

	pd_auth_free(pa->auth);
	pd_config_unref(pa->holder);
}

PdPipelineAuth *
pd_pipeline_auth_new(const PdConfig *config, GError **error)
{
	PdPipelineAuth *pa = g_atomic_rc_box_new0(PdPipelineAuth);

	pa->holder = pd_config_ref((PdConfig *)config);
	pa->config = pd_auth_settings(config);
	pa->mode = pa->config->mode;
	if (pa->mode != PD_AUTH_MODE_OFF) {
		pa->auth = pd_auth_new(pa->config, NULL, error);
		if (pa->auth == NULL) {
			g_atomic_rc_box_release_full(pa, pipeline_auth_clear);
			return NULL;
		}
	}
	return pa;
}

PdPipelineAuth *
pd_pipeline_auth_ref(PdPipelineAuth *pa)
{
	return pa != NULL ? g_atomic_rc_box_acquire(pa) : NULL;
}

void
pd_pipeline_auth_unref(PdPipelineAuth *pa)
{
	if (pa != NULL)
		g_atomic_rc_box_release_full(pa, pipeline_auth_clear);
}

PdAuthMode
pd_pipeline_auth_mode(const PdPipelineAuth *pa)
{
	return pa != NULL ? pa->mode : PD_AUTH_MODE_OFF;
}

char *
pd_pipeline_auth_advice(const PdPipelineAuth *pa)
{
	g_autoptr(GString) ids = NULL;

	if (pd_pipeline_auth_mode(pa) != PD_AUTH_MODE_TRUST_AR)
		return NULL;
	ids = g_string_new(pa->config->authserv_id);
	for (guint i = 0; i < pa->config->trusted_authserv_ids->len; i++)
		g_string_append_printf(ids, ", %s",
				       (const char *)pa->config->trusted_authserv_ids->pdata[i]);
	return g_strdup_printf("[auth] mode = trust-ar: the MTA must remove the "
			       "Authentication-Results headers that incoming mail carries with "
			       "authserv-id %s (RFC 8601 section 5); postdesk counts only the "
			       "topmost such header of each id", ids->str);
}

/* --- header scanning ------------------------------------------------------ */

/* The unfolded values of the header fields named name, top to bottom, of
 * the raw header block as GMime splits it (bounded: at most 100); each
 * fold is one space. */
static GPtrArray *
header_values(const char *raw, gsize len, const char *name)
{
	GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
	PdHeaderScan scan;
	PdHeaderField field;

	pd_header_scan_init(&scan, raw, len);
	while (values->len < 100 && pd_header_scan_next(&scan, &field)) {
		if (pd_header_field_is(&field, name))
			g_ptr_array_add(values, pd_header_field_unfold(&field));
	}
	return values;
}

/* The From domain for DMARC: the domain of the very mailbox the identity
 * is (GMime's first From mailbox), and only when the author is read one
 * way (mail->author_doubt, which also requires exactly one mailbox: RFC
 * 7489 6.6.1); NULL otherwise. */
static char *
from_domain(const PdMail *mail)
{
	const char *at;

	if (mail == NULL || mail->author_doubt != NULL || mail->from.address == NULL)
		return NULL;
	at = strrchr(mail->from.address, '@');
	return at != NULL && at[1] != '\0' ? g_ascii_strdown(at + 1, -1) : NULL;
}

/* The word after keyword (" by ", "from ") in a Received value. */
static char *
received_word(const char *value, const char *keyword)
{
	const char *p = NULL;
	gsize klen = strlen(keyword);

	if (g_ascii_strncasecmp(value, keyword + 1, klen - 1) == 0)
		p = value + klen - 1;	/* at the start, without the leading space */
	for (const char *s = value; p == NULL && *s != '\0' && *s != ';'; s++)
		if (g_ascii_strncasecmp(s, keyword, klen) == 0)
			p = s + klen;
	if (p == NULL)
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	gsize n = strcspn(p, " \t;()");
	return n > 0 ? g_ascii_strdown(p, (gssize)n) : NULL;
}

/* The first "[address]" of a Received value's from clause. */
static char *
received_address(const char *value)
{
	const char *open = strchr(value, '[');
	const char *close = open != NULL ? strchr(open, ']') : NULL;
	const char *by = strstr(value, " by ");
	unsigned char buf[sizeof(struct in6_addr)];
	char *address;

	if (open == NULL || close == NULL || close - open < 3 || (by != NULL && open > by))
		return NULL;
	open++;
	if (g_ascii_strncasecmp(open, "IPv6:", 5) == 0)
		open += 5;
	address = g_strndup(open, (gsize)(close - open));
	/* "[UNAVAILABLE]" and other words are no address */
	if (inet_pton(AF_INET, address, buf) != 1 && inet_pton(AF_INET6, address, buf) != 1)
		g_clear_pointer(&address, g_free);
	return address;
}

static gboolean
trusted_relay(const PdAuthConfig *config, const char *host)
{
	if (host == NULL)
		return FALSE;
	for (guint i = 0; i < config->trusted_relays->len; i++)
		if (g_ascii_strcasecmp(config->trusted_relays->pdata[i], host) == 0)
			return TRUE;
	return FALSE;
}

/* An internal hop: the connecting host was one of ours (a trusted relay
 * given by address, or loopback).  Decided by the address the relay saw,
 * never by the HELO name, which the client chooses. */
static gboolean
internal_hop(const PdAuthConfig *config, const char *address)
{
	return trusted_relay(config, address) || g_str_has_prefix(address, "127.") ||
	       strcmp(address, "::1") == 0;
}

/* Walks the Received headers from the top while a trusted relay (by host
 * name) wrote them; the first one whose client is not an internal hop
 * names the client.  A header below one written by any other host is
 * never believed. */
static gboolean
client_from_received(const PdAuthConfig *config, const char *raw, gsize len,
		     char **address_r, char **helo_r)
{
	g_autoptr(GPtrArray) received = NULL;

	if (config->trusted_relays->len == 0)
		return FALSE;
	received = header_values(raw, len, "Received");
	for (guint i = 0; i < received->len; i++) {
		const char *value = received->pdata[i];
		g_autofree char *by = NULL;
		g_autofree char *address = NULL;

		while (*value == ' ' || *value == '\t')
			value++;
		by = received_word(value, " by ");
		if (!trusted_relay(config, by))
			return FALSE;
		address = received_address(value);
		if (address == NULL)
			return FALSE;
		if (internal_hop(config, address))
			continue;
		*address_r = g_steal_pointer(&address);
		*helo_r = received_word(value, " from ");
		return TRUE;
	}
	return FALSE;
}

/* --- the check ------------------------------------------------------------- */

void
pd_pipeline_auth_outcome_clear(PdPipelineAuthOutcome *outcome)
{
	g_clear_pointer(&outcome->result, pd_auth_result_free);
	g_clear_pointer(&outcome->results, g_free);
	g_clear_pointer(&outcome->json, g_free);
	g_clear_pointer(&outcome->client_address, g_free);
	g_clear_pointer(&outcome->client_helo, g_free);
	outcome->from_authenticated = FALSE;
}

/* "key":value, value a JSON string (pd_json_string repairs peer input:
 * d=, HELO, an SPF explanation) or null. */
static void
json_str(GString *out, const char *key, const char *text)
{
	if (key != NULL)
		g_string_append_printf(out, "\"%s\":", key);
	pd_json_string(out, text);
}

static char *
outcome_json(const PdPipelineAuth *pa, const PdPipelineAuthOutcome *o)
{
	const PdAuthResult *r = o->result;
	GString *out = g_string_new("{");

	json_str(out, "mode", pd_auth_mode_name(pd_pipeline_auth_mode(pa)));
	g_string_append_printf(out, ",\"from_authenticated\":%s,\"temporary\":%s,",
			       o->from_authenticated ? "true" : "false",
			       r != NULL && r->temporary ? "true" : "false");
	json_str(out, "client_address", o->client_address);
	g_string_append_c(out, ',');
	json_str(out, "client_helo", o->client_helo);
	g_string_append_c(out, ',');
	json_str(out, "client_source", o->client_source);
	g_string_append_c(out, ',');
	json_str(out, "results", o->results);
	if (r == NULL) {
		g_string_append(out, ",\"spf\":null,\"dkim\":[],\"dmarc\":null,\"notes\":[]}");
		return g_string_free(out, FALSE);
	}
	g_string_append(out, ",\"spf\":{");
	json_str(out, "result", pd_auth_status_name(r->spf));
	g_string_append_c(out, ',');
	json_str(out, "domain", r->spf_domain);
	g_string_append_printf(out, ",\"helo\":%s,\"aligned\":%s,",
			       r->spf_helo ? "true" : "false", r->spf_aligned ? "true" : "false");
	json_str(out, "reason", r->spf_reason);
	g_string_append(out, "},\"dkim\":[");
	for (guint i = 0; i < r->dkim->len; i++) {
		const PdDkimSignature *sig = r->dkim->pdata[i];

		g_string_append(out, i > 0 ? ",{" : "{");
		json_str(out, "result", pd_auth_status_name(sig->status));
		g_string_append_c(out, ',');
		json_str(out, "domain", sig->domain);
		g_string_append_c(out, ',');
		json_str(out, "selector", sig->selector);
		g_string_append_printf(out, ",\"aligned\":%s,", sig->aligned ? "true" : "false");
		json_str(out, "reason", sig->reason);
		g_string_append_c(out, '}');
	}
	g_string_append(out, "],\"dmarc\":{");
	json_str(out, "result", pd_auth_status_name(r->dmarc));
	g_string_append_c(out, ',');
	json_str(out, "policy", pd_dmarc_policy_name(r->dmarc_policy));
	g_string_append_c(out, ',');
	json_str(out, "from_domain", r->from_domain);
	g_string_append_c(out, ',');
	json_str(out, "org_domain", r->org_domain);
	g_string_append(out, "},\"notes\":[");
	for (guint i = 0; i < r->notes->len; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		json_str(out, NULL, r->notes->pdata[i]);
	}
	g_string_append(out, "]}");
	return g_string_free(out, FALSE);
}

void
pd_pipeline_authenticate(PdPipelineAuth *pa, const PdEnvelope *envelope, GBytes *raw,
			 const PdMail *mail, PdPipelineAuthOutcome *outcome_r)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(raw, &len);

	memset(outcome_r, 0, sizeof(*outcome_r));
	outcome_r->client_source = "none";
	if (envelope->client_address != NULL) {
		outcome_r->client_address = g_strdup(envelope->client_address);
		outcome_r->client_helo = g_strdup(envelope->client_helo);
		outcome_r->client_source = "envelope";
	} else if (pa != NULL && envelope->client_trusted &&
		   client_from_received(pa->config, data, len, &outcome_r->client_address,
					&outcome_r->client_helo)) {
		outcome_r->client_source = "received";
	}
	if (pa != NULL && pa->auth != NULL) {
		g_autofree char *domain = from_domain(mail);
		PdEnvelope check = *envelope;

		check.client_address = outcome_r->client_address;
		check.client_helo = outcome_r->client_helo;
		outcome_r->result = pd_auth_check(pa->auth, &check, data, len, domain);
		if (mail == NULL || mail->author_doubt != NULL) {
			outcome_r->result->from_authenticated = FALSE;
			pd_auth_result_add_note(outcome_r->result, "author: %s: not authenticated",
						mail != NULL ? mail->author_doubt : "no parsed message");
		}
		/* temporary: cannot verify now, so not verified */
		outcome_r->from_authenticated = outcome_r->result->from_authenticated &&
						!outcome_r->result->temporary;
		g_autofree char *folded = pd_auth_result_to_string(outcome_r->result,
								   pa->config->authserv_id);
		g_auto(GStrv) parts = g_strsplit_set(folded, "\r\n\t", -1);
		GString *line = g_string_new(NULL);

		/* one line: for the database column, the log and the CLI */
		for (guint i = 0; parts[i] != NULL; i++) {
			if (*parts[i] == '\0')
				continue;
			if (line->len > 0)
				g_string_append_c(line, ' ');
			g_string_append(line, parts[i]);
		}
		outcome_r->results = g_string_free(line, FALSE);
	}
	outcome_r->json = outcome_json(pa, outcome_r);
}

/* One line for logs and `postdesk test`: "spf=pass dkim=none dmarc=pass". */
char *
pd_pipeline_auth_summary(const PdPipelineAuthOutcome *o)
{
	const PdAuthResult *r = o->result;
	GString *out;

	if (r == NULL)
		return g_strdup("off (nobody is authenticated)");
	out = g_string_new(NULL);
	g_string_append_printf(out, "spf=%s dkim=", pd_auth_status_name(r->spf));
	if (r->dkim->len == 0)
		g_string_append(out, "none");
	for (guint i = 0; i < r->dkim->len; i++) {
		const PdDkimSignature *sig = r->dkim->pdata[i];

		g_string_append_printf(out, "%s%s(d=%s)", i > 0 ? "," : "",
				       pd_auth_status_name(sig->status),
				       sig->domain != NULL ? sig->domain : "?");
	}
	g_string_append_printf(out, " dmarc=%s: %s%s", pd_auth_status_name(r->dmarc),
			       o->from_authenticated ? "From domain authenticated"
						     : "From domain NOT authenticated",
			       r->temporary ? " (temporary failure)" : "");
	return g_string_free(out, FALSE);
}
