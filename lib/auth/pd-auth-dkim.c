/* pd-auth-dkim: DKIM verification (RFC 6376, RFC 8463) with libopendkim.
 *
 * One DKIM_LIB per PdAuth, shared by all checks; one DKIM handle per
 * message.  Public keys come through the library's key-lookup callback,
 * which reads the per-message PdAuthCheck from the handle's user context
 * and asks the injected resolver, so the check's timeout and budget apply.
 * libopendkim has no callback status for "temporary DNS failure" that lets
 * it go on with the other signatures, so a failed lookup is reported to
 * the library as "no key" and remembered here: such a signature is
 * temperror, not permerror.  Signature expiry (x=) and future timestamps
 * (t=) are checked here against our clock (fixed in tests), because the
 * library's check uses time() whatever DKIM_OPTS_FIXEDTIME says.
 */
#include "pd-auth-private.h"

#include <string.h>

#include "core/pd-error.h"

/* RFC 6376 leaves the tolerance to the verifier; libopendkim's default. */
#define DKIM_CLOCK_DRIFT 300

typedef struct {
	PdAuthCheck *check;
	DKIM *dkim;
	const char *body;		/* CRLF wire form */
	gsize body_len;
	GHashTable *temp_failed;	/* DKIM_SIGINFO * whose key lookup failed */
	GHashTable *ignored;		/* DKIM_SIGINFO * over the signature limit */
	GHashTable *bad_query;		/* DKIM_SIGINFO * with no q=dns/txt */
} DkimCall;

static gboolean
dkim_query_ok(const char *q)
{
	g_auto(GStrv) methods = NULL;

	if (q == NULL)
		return TRUE;
	methods = g_strsplit(q, ":", -1);
	for (guint i = 0; methods[i] != NULL; i++)
		if (g_ascii_strcasecmp(g_strstrip(methods[i]), "dns/txt") == 0)
			return TRUE;
	return FALSE;
}

static DKIM_CBSTAT
dkim_key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	DkimCall *call = dkim_get_user_context(dkim);
	const char *selector = (const char *) dkim_sig_getselector(sig);
	const char *domain = (const char *) dkim_sig_getdomain(sig);
	g_autofree char *name = NULL;
	g_autoptr(GPtrArray) answers = NULL;
	const char *key;
	gsize len;

	if (call == NULL || selector == NULL || domain == NULL)
		return DKIM_CBSTAT_ERROR;
	/* With a lookup callback the library no longer checks q= itself:
	 * RFC 6376 3.5 knows only dns/txt (the default). */
	if (!dkim_query_ok((const char *) dkim_sig_gettagvalue(sig, FALSE, (u_char *) "q"))) {
		g_hash_table_add(call->bad_query, sig);
		return DKIM_CBSTAT_NOTFOUND;
	}
	name = g_strdup_printf("%s._domainkey.%s", selector, domain);
	switch (pd_auth_lookup(call->check, name, PD_DNS_TXT, &answers)) {
	case PD_DNS_OK:
		break;
	case PD_DNS_TEMPFAIL:
		g_hash_table_add(call->temp_failed, sig);
		return DKIM_CBSTAT_NOTFOUND;
	default:
		return DKIM_CBSTAT_NOTFOUND;
	}
	/* RFC 6376 3.6.2.2: several records are ambiguous; use the first. */
	key = g_ptr_array_index(answers, 0);
	len = strlen(key);
	if (len + 1 > buflen)
		len = buflen - 1;	/* the key then fails to decode: permerror */
	memcpy(buf, key, len);
	buf[len] = '\0';
	return DKIM_CBSTAT_CONTINUE;
}

static DKIM_CBSTAT
dkim_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	DkimCall *call = dkim_get_user_context(dkim);
	guint max = call != NULL ? call->check->auth->config->dkim_max_signatures : 8;

	for (int i = (int) max; i < nsigs; i++) {
		dkim_sig_ignore(sigs[i]);
		if (call != NULL)
			g_hash_table_add(call->ignored, sigs[i]);
	}
	return DKIM_CBSTAT_CONTINUE;
}

DKIM_LIB *
pd_auth_dkim_lib_new(const PdAuthConfig *config, GError **error)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	unsigned int flags = DKIM_LIBFLAGS_NONE;
	uint64_t drift;
	unsigned int min_bits = config->dkim_min_key_bits;

	if (lib == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL, "dkim_init failed");
		return NULL;
	}
	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) !=
		    DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &min_bits,
			 sizeof min_bits) != DKIM_STAT_OK) {
		dkim_close(lib);
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL, "dkim_options failed");
		return NULL;
	}
	/* Expiry is ours (dkim_check_clock): the library's uses time().  A drift
	 * of ~31 years turns its checks off for every t= after 2001; it must
	 * stay below t= because the library computes t - drift unsigned. */
	drift = 1000000000;
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT, &drift, sizeof drift);
	dkim_set_key_lookup(lib, dkim_key_lookup);
	dkim_set_prescreen(lib, dkim_prescreen);
	return lib;
}

/* The length of the canonicalized body (RFC 6376 3.4.3, 3.4.4). */
static gsize
dkim_canonical_body_length(const char *body, gsize len, gboolean relaxed)
{
	gsize total = 0, pending_empty = 0, pos = 0;

	while (pos < len) {
		const char *nl = memchr(body + pos, '\n', len - pos);
		gsize end = nl != NULL ? (gsize) (nl - body) : len;	/* at '\n' or len */
		gsize text_end = end > pos && body[end - 1] == '\r' ? end - 1 : end;
		gsize line = 0;
		gboolean space = FALSE;

		for (gsize i = pos; i < text_end; i++) {
			gboolean wsp = body[i] == ' ' || body[i] == '\t';

			if (relaxed && wsp) {
				space = TRUE;
				continue;
			}
			if (space)
				line++;		/* a run of WSP inside the line is one SP */
			space = FALSE;
			line++;
		}
		if (!relaxed)
			line = text_end - pos;
		if (line == 0) {
			if (nl != NULL)
				pending_empty++;
		} else {
			total += pending_empty * 2 + line + 2;	/* a CRLF ends every line */
			pending_empty = 0;
		}
		pos = nl != NULL ? end + 1 : len;
	}
	/* trailing empty lines are ignored; simple makes an empty body one CRLF */
	return total == 0 && !relaxed ? 2 : total;
}

/* The RFC 8601 result of one signature, and why. */
static PdAuthStatus
dkim_sig_status(DkimCall *call, DKIM_SIGINFO *sig, const char **reason_r)
{
	unsigned int flags = dkim_sig_getflags(sig);
	int error = dkim_sig_geterror(sig);
	int bh = dkim_sig_getbh(sig);

	*reason_r = NULL;
	if (g_hash_table_contains(call->ignored, sig)) {
		*reason_r = "not verified: too many signatures";
		return PD_AUTH_NEUTRAL;
	}
	if ((flags & DKIM_SIGFLAG_IGNORE) != 0) {
		*reason_r = "ignored";
		return PD_AUTH_NEUTRAL;
	}
	if (g_hash_table_contains(call->bad_query, sig)) {
		*reason_r = "unsupported query method (q=)";
		return PD_AUTH_PERMERROR;
	}
	if (g_hash_table_contains(call->temp_failed, sig)) {
		*reason_r = "key lookup failed temporarily";
		return PD_AUTH_TEMPERROR;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) != 0 && bh == DKIM_SIGBH_MATCH &&
	    (error == DKIM_SIGERROR_OK || error == DKIM_SIGERROR_UNKNOWN)) {
		ssize_t signlen = -1;
		dkim_canon_t hdr_canon, body_canon = DKIM_CANON_SIMPLE;

		/* l=: text appended to a genuinely signed mail would pass too */
		if (dkim_sig_getcanonlen(call->dkim, sig, NULL, NULL, &signlen) == DKIM_STAT_OK &&
		    signlen >= 0 &&
		    dkim_sig_getcanons(sig, &hdr_canon, &body_canon) == DKIM_STAT_OK &&
		    dkim_canonical_body_length(call->body, call->body_len,
					       body_canon == DKIM_CANON_RELAXED) >
			    (gsize) signlen) {
			*reason_r = "the body goes on past the signed length (l=)";
			return PD_AUTH_POLICY;
		}
		*reason_r = "signature verified";
		return PD_AUTH_PASS;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) != 0 && bh == DKIM_SIGBH_MISMATCH) {
		*reason_r = "body hash mismatch";
		return PD_AUTH_FAIL;
	}
	switch (error) {
	case DKIM_SIGERROR_BADSIG:
		*reason_r = "signature did not verify";
		return PD_AUTH_FAIL;
	case DKIM_SIGERROR_KEYFAIL:
		*reason_r = "key lookup failed";
		return PD_AUTH_TEMPERROR;
	case DKIM_SIGERROR_UNKNOWN:
	case DKIM_SIGERROR_OK:
		if (call->check->dns_temporary) {
			*reason_r = "not verified after a DNS failure";
			return PD_AUTH_TEMPERROR;
		}
		*reason_r = "not verified";
		return PD_AUTH_PERMERROR;
	default:
		*reason_r = dkim_sig_geterrorstr(error);
		if (*reason_r == NULL)
			*reason_r = "invalid signature";
		return PD_AUTH_PERMERROR;
	}
}

/* The message with every line ending CRLF (libopendkim's dkim_header and
 * dkim_body want wire form). */
static GString *
dkim_crlf_copy(const char *message, gsize len)
{
	GString *out = g_string_sized_new(len + len / 32 + 2);

	for (gsize i = 0; i < len; i++) {
		if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r'))
			g_string_append_c(out, '\r');
		g_string_append_c(out, message[i]);
	}
	return out;
}

/* Feeds the header fields one by one: a malformed DKIM-Signature makes
 * dkim_header fail for that field only, and must not hide the others. */
static gsize
dkim_feed_headers(DKIM *dkim, PdAuthResult *result, const GString *wire)
{
	gsize pos = 0;

	while (pos + 1 < wire->len && !(wire->str[pos] == '\r' && wire->str[pos + 1] == '\n')) {
		gsize end = pos;
		DKIM_STAT status;

		for (;;) {
			const char *nl = memchr(wire->str + end, '\n', wire->len - end);

			end = nl != NULL ? (gsize) (nl - wire->str) + 1 : wire->len;
			if (end >= wire->len || (wire->str[end] != ' ' && wire->str[end] != '\t'))
				break;
		}
		if (end - pos > 2) {
			status = dkim_header(dkim, (u_char *) wire->str + pos, end - pos - 2);
			if (status != DKIM_STAT_OK &&
			    g_ascii_strncasecmp(wire->str + pos, "DKIM-Signature:", 15) == 0)
				pd_auth_result_add_note(result, "DKIM: an unusable DKIM-Signature "
							"was skipped: %s", dkim_getresultstr(status));
		}
		pos = end;
	}
	return MIN(pos + 2, wire->len);
}

/* RFC 6376 x= and t= against our clock (libopendkim would use time()). */
static PdAuthStatus
dkim_check_clock(PdAuthCheck *check, DKIM_SIGINFO *sig, PdAuthStatus status,
		 const char **reason_r)
{
	gint64 now = check->auth->config->fixed_time > 0 ? check->auth->config->fixed_time
							 : g_get_real_time() / G_USEC_PER_SEC;
	const char *x = (const char *) dkim_sig_gettagvalue(sig, FALSE, (u_char *) "x");
	const char *t = (const char *) dkim_sig_gettagvalue(sig, FALSE, (u_char *) "t");

	if (status != PD_AUTH_PASS && status != PD_AUTH_FAIL)
		return status;
	if (x != NULL && g_ascii_strtoll(x, NULL, 10) + DKIM_CLOCK_DRIFT < now) {
		*reason_r = "signature expired";
		return PD_AUTH_PERMERROR;
	}
	if (t != NULL && g_ascii_strtoll(t, NULL, 10) > now + DKIM_CLOCK_DRIFT) {
		*reason_r = "signature in the future";
		return PD_AUTH_PERMERROR;
	}
	return status;
}

void
pd_auth_dkim_check(PdAuthCheck *check, const char *message, gsize message_len)
{
	DkimCall call = { .check = check };
	DKIM_STAT status = DKIM_STAT_OK;
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	DKIM *dkim;
	g_autoptr(GString) wire = dkim_crlf_copy(message, message_len);
	gsize body;

	dkim = dkim_verify(check->auth->dkim_lib, (const unsigned char *) "postdesk", NULL,
			   &status);
	if (dkim == NULL) {
		pd_auth_result_add_note(check->result, "DKIM: cannot start verification: %s",
					dkim_getresultstr(status));
		return;
	}
	call.temp_failed = g_hash_table_new(NULL, NULL);
	call.ignored = g_hash_table_new(NULL, NULL);
	call.bad_query = g_hash_table_new(NULL, NULL);
	call.dkim = dkim;
	dkim_set_user_context(dkim, &call);
	body = dkim_feed_headers(dkim, check->result, wire);
	call.body = wire->str + body;
	call.body_len = wire->len - body;
	status = dkim_eoh(dkim);
	if (status == DKIM_STAT_OK && body < wire->len)
		status = dkim_body(dkim, (u_char *) wire->str + body, wire->len - body);
	if (status == DKIM_STAT_OK)
		status = dkim_eom(dkim, NULL);
	if (status != DKIM_STAT_OK && status != DKIM_STAT_NOSIG && status != DKIM_STAT_BADSIG &&
	    status != DKIM_STAT_CANTVRFY && status != DKIM_STAT_REVOKED &&
	    status != DKIM_STAT_NOKEY && status != DKIM_STAT_KEYFAIL)
		pd_auth_result_add_note(check->result, "DKIM: %s", dkim_getresultstr(status));
	if (status != DKIM_STAT_NOSIG && dkim_getsiglist(dkim, &sigs, &nsigs) == DKIM_STAT_OK) {
		for (int i = 0; i < nsigs; i++) {
			const char *reason;
			PdAuthStatus sig_status = dkim_sig_status(&call, sigs[i], &reason);

			sig_status = dkim_check_clock(check, sigs[i], sig_status, &reason);
			/* verification did not complete: nothing passed */
			if (sig_status == PD_AUTH_PASS && status != DKIM_STAT_OK)
				sig_status = PD_AUTH_PERMERROR;
			pd_auth_result_add_dkim(check->result,
						(const char *) dkim_sig_getdomain(sigs[i]),
						(const char *) dkim_sig_getselector(sigs[i]),
						sig_status, reason);
		}
	}
	dkim_free(dkim);
	g_hash_table_destroy(call.temp_failed);
	g_hash_table_destroy(call.ignored);
	g_hash_table_destroy(call.bad_query);
}
