/* pd-auth: who really sent this mail? SPF, DKIM, DMARC alignment -> one verdict.
 *
 * The "authenticate" step of the pipeline (DESIGN.md).  Computes facts, never
 * decides what to do with them: SPF (libspf2) for MAIL FROM, or for HELO
 * when the sender is null; DKIM (libopendkim) per signature; the DMARC record
 * (parsed by libopendmarc) and identifier alignment against the From domain,
 * with the organizational domain from the Public Suffix List (libpsl); and
 * the verdict the rest of postdesk relies on: from_authenticated, true only
 * for an aligned SPF pass or an aligned DKIM pass.
 *
 * Alternatively (mode trust-ar) the Authentication-Results headers that a
 * configured authserv-id added are trusted and every other one is ignored.
 *
 * A PdAuth is shared by all sessions: checks run concurrently with no lock
 * (the DKIM library handle is shared, every per-message handle is per call);
 * DNS goes through the injected PdResolver with a per-lookup timeout and a
 * per-check budget.  A DNS failure is temperror, never a pass.
 */
#ifndef PD_AUTH_H
#define PD_AUTH_H

#include <glib.h>

#include "auth/pd-resolver.h"
#include "core/pd-config.h"
#include "core/pd-envelope.h"

/* RFC 8601 result values, shared by the three methods. */
typedef enum {
	PD_AUTH_NONE,
	PD_AUTH_PASS,
	PD_AUTH_FAIL,
	PD_AUTH_SOFTFAIL,	/* SPF only */
	PD_AUTH_NEUTRAL,
	PD_AUTH_TEMPERROR,
	PD_AUTH_PERMERROR,
	PD_AUTH_POLICY,		/* DKIM: valid but refused by local policy */
} PdAuthStatus;

typedef enum {
	PD_DMARC_POLICY_UNSET,	/* no (usable) DMARC record */
	PD_DMARC_POLICY_NONE,
	PD_DMARC_POLICY_QUARANTINE,
	PD_DMARC_POLICY_REJECT,
} PdDmarcPolicy;

typedef enum {
	PD_AUTH_MODE_VERIFY,	/* check SPF, DKIM and DMARC ourselves */
	PD_AUTH_MODE_TRUST_AR,	/* trust Authentication-Results of our MTA */
	PD_AUTH_MODE_OFF,	/* nothing is authenticated */
} PdAuthMode;

typedef enum {
	PD_AUTH_SOURCE_NONE,	/* mode off */
	PD_AUTH_SOURCE_VERIFIED,
	PD_AUTH_SOURCE_TRUSTED_AR,
} PdAuthSource;

typedef struct {
	char *domain;		/* d= */
	char *selector;		/* s= */
	PdAuthStatus status;	/* pass fail neutral temperror permerror policy */
	char *reason;		/* "signature verified", "body hash mismatch", ... */
	gboolean aligned;	/* d= aligns with the From domain (DMARC adkim) */
} PdDkimSignature;

typedef struct {
	PdAuthSource source;

	PdAuthStatus spf;
	char *spf_domain;	/* the domain checked: MAIL FROM's, or HELO's */
	gboolean spf_helo;	/* the HELO identity was checked (null sender) */
	char *spf_reason;	/* explanation or diagnostic, may be NULL */
	gboolean spf_aligned;	/* spf_domain aligns with the From domain */

	GPtrArray *dkim;	/* PdDkimSignature *, in header order */

	char *from_domain;	/* as given, lowercased; NULL if none */
	char *org_domain;	/* organizational domain of from_domain */
	PdAuthStatus dmarc;	/* pass fail none temperror permerror */
	PdDmarcPolicy dmarc_policy;	/* p= (or sp= for a subdomain) */
	gboolean dmarc_strict_spf;	/* aspf=s */
	gboolean dmarc_strict_dkim;	/* adkim=s */
	char *dmarc_record_domain;	/* where the record was found */

	/* The verdict: the From domain is authenticated (aligned SPF pass or
	 * aligned DKIM pass).  FALSE whenever in doubt. */
	gboolean from_authenticated;
	/* A DNS failure or timeout left a result undecided: a later retry may
	 * authenticate the mail (the pipeline may defer, never trust). */
	gboolean temporary;
	/* Human-readable remarks: ignored Authentication-Results, budget
	 * exhausted, unparsable record... (char *) */
	GPtrArray *notes;
} PdAuthResult;

typedef struct {
	PdAuthMode mode;
	char *authserv_id;		/* our own authserv-id (trust-ar: trusted too) */
	GPtrArray *trusted_authserv_ids;	/* char *: further ids trusted in trust-ar */
	guint dns_timeout_ms;		/* one lookup */
	guint check_timeout_ms;		/* all lookups of one message */
	guint dkim_max_signatures;	/* signatures verified per message */
	guint dkim_min_key_bits;	/* RFC 8301: 1024; smaller keys are permerror */
	char *psl_file;			/* NULL: the system list (libpsl) */
	char *dns_server;		/* NULL: resolv.conf; else "IPV4[:PORT]" */
	char *zone_file;		/* tests/benchmarks: answer DNS from this static zone */
	char *receiving_host;		/* SPF %{r}; NULL: "unknown" */
	gint64 fixed_time;		/* tests: DKIM clock (Unix time); 0 = real */
	/* char *, lowercase: hosts whose Received header names the client when
	 * the envelope has no client address (IMAP, pipe without -a): host
	 * names as they write "by NAME", and the addresses of internal hops
	 * between them (loopback always is one); read by
	 * the pipeline, not by pd_auth_check (NULL in pd_auth_get_config()'s) */
	GPtrArray *trusted_relays;
} PdAuthConfig;

typedef struct PdAuth PdAuth;

/* ---- configuration: the [auth] section ---- */

/* Defaults: mode verify, authserv_id "postdesk", dns_timeout 5 s,
 * check_timeout 20 s, 8 DKIM signatures. */
PdAuthConfig *pd_auth_config_new(void);
/* [auth]: mode = verify|trust-ar|off (default off: nobody is authenticated),
 * authserv_id, trusted_authserv_ids (list), dns_timeout and check_timeout
 * (seconds, may be fractional), dkim_max_signatures, dkim_min_key_bits,
 * psl_file, receiving_host, dns_server, trusted_relays (host names and
 * addresses), zone_file (tests and benchmarks only: all DNS answers come
 * from that file, see pd_resolver_zone_load_data).  trust-ar needs an
 * explicit authserv_id.  The table, and the struct the loader fills. */
extern const PdConfigTable pd_auth_table;
const PdAuthConfig *pd_auth_settings(const PdConfig *config);
void pd_auth_config_free(PdAuthConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdAuthConfig, pd_auth_config_free)

/* ---- the shared context ---- */

/* resolver: NULL means config->zone_file's static zone if set, else the
 * system resolver (config->dns_server if set).  Keeps a reference to it and a
 * copy of config.  Fails (PD_ERROR_USAGE) when the PSL cannot be loaded. */
PdAuth *pd_auth_new(const PdAuthConfig *config, PdResolver *resolver, GError **error);
void pd_auth_free(PdAuth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdAuth, pd_auth_free)
const PdAuthConfig *pd_auth_get_config(const PdAuth *auth);

/* Checks one message.  envelope gives client_address, client_helo and
 * mail_from ("" = null sender); message is the raw message (CRLF or LF);
 * from_domain is the domain of the From header address (NULL if none).
 * Never fails: every problem is a result (temperror/permerror) and a note. */
PdAuthResult *pd_auth_check(PdAuth *auth, const PdEnvelope *envelope,
			    const char *message, gsize message_len, const char *from_domain);

/* The organizational domain (RFC 7489 3.2) of a domain, lowercase, NULL for
 * a public suffix or an invalid name. */
char *pd_auth_org_domain(PdAuth *auth, const char *domain);

/* ---- results ---- */

PdAuthResult *pd_auth_result_new(PdAuthSource source);
void pd_auth_result_free(PdAuthResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdAuthResult, pd_auth_result_free)
void pd_auth_result_add_note(PdAuthResult *result, const char *format, ...) G_GNUC_PRINTF(2, 3);
PdDkimSignature *pd_auth_result_add_dkim(PdAuthResult *result, const char *domain,
					 const char *selector, PdAuthStatus status,
					 const char *reason);
/* An Authentication-Results value (without the header name) describing
 * the result, for storing and for `postdesk test`. */
char *pd_auth_result_to_string(const PdAuthResult *result, const char *authserv_id);

const char *pd_auth_status_name(PdAuthStatus status);
gboolean pd_auth_status_parse(const char *name, PdAuthStatus *status_r);
const char *pd_dmarc_policy_name(PdDmarcPolicy policy);
const char *pd_auth_mode_name(PdAuthMode mode);

/* ---- Authentication-Results (RFC 8601), peer input ---- */

typedef struct {
	char *method;		/* "spf", "dkim", "dmarc", ... lowercase */
	PdAuthStatus status;
	gboolean known_status;	/* the result word was one we know */
	GHashTable *props;	/* "smtp.mailfrom", "header.d", ... -> value */
} PdAuthResInfo;

typedef struct {
	char *authserv_id;	/* lowercase */
	GPtrArray *results;	/* PdAuthResInfo * */
} PdAuthRes;

/* Parses one header value.  NULL (and PD_ERROR_PERMFAIL) when malformed;
 * bounded: at most 64 results, values truncated nowhere but the input is
 * never longer than the header. */
PdAuthRes *pd_authres_parse(const char *value, gsize len, GError **error);
void pd_authres_free(PdAuthRes *ar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdAuthRes, pd_authres_free)

/* Fills a result from the Authentication-Results headers of a raw message:
 * only those whose authserv-id is trusted count; the others are ignored and
 * noted.  The DKIM/SPF alignment and the verdict are computed against
 * from_domain as in verify mode. */
PdAuthResult *pd_auth_from_headers(PdAuth *auth, const char *message, gsize message_len,
				   const char *from_domain);

#endif
