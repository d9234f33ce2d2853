/* pd-auth-private: what the auth modules share and nobody else sees.
 *
 * PdAuthCheck is the state of one pd_auth_check call: the DNS budget (a
 * deadline), the counters and whether a lookup failed temporarily.  It
 * lives on the caller's stack and is handed to the library callbacks as
 * their per-call context, so no check ever touches another's state.
 */
#ifndef PD_AUTH_PRIVATE_H
#define PD_AUTH_PRIVATE_H

#include <libpsl.h>
#include <opendkim/dkim.h>

#include "auth/pd-auth.h"

struct PdAuth {
	PdAuthConfig *config;
	PdResolver *resolver;
	DKIM_LIB *dkim_lib;	/* shared; thread-safe for verification */
	psl_ctx_t *psl;		/* owned unless it is the builtin list */
	gboolean psl_owned;
};

typedef struct {
	PdAuth *auth;
	PdAuthResult *result;
	gint64 deadline;	/* g_get_monotonic_time() microseconds */
	guint lookups;
	gboolean dns_temporary;	/* some lookup failed temporarily */
	gboolean budget_noted;
} PdAuthCheck;

void pd_auth_check_init(PdAuthCheck *check, PdAuth *auth, PdAuthResult *result);
/* A lookup within the check's budget; an exhausted budget is TEMPFAIL. */
PdDnsStatus pd_auth_lookup(PdAuthCheck *check, const char *name, PdDnsType type,
			   GPtrArray **answers_r);

/* pd-auth-spf.c */
#define PD_AUTH_SPF_DEFAULT_EXPLANATION "the sending host is not authorized by the SPF record"
void pd_auth_spf_global_init(void);
void pd_auth_spf_check(PdAuthCheck *check, const char *client_address, const char *helo,
		       const char *mail_from);

/* pd-auth-dkim.c */
DKIM_LIB *pd_auth_dkim_lib_new(const PdAuthConfig *config, GError **error);
void pd_auth_dkim_check(PdAuthCheck *check, const char *message, gsize message_len);

/* pd-auth-dmarc.c: the DMARC record lookup and evaluation, then the
 * alignment of every result against the From domain and the verdict. */
void pd_auth_dmarc_check(PdAuthCheck *check);
void pd_auth_align(PdAuth *auth, PdAuthResult *result, gboolean evaluate_dmarc);

/* pd-authres.c: calls func on every header field named name, the header
 * block split as GMime splits it (core/pd-header.h) (its value with
 * folding kept, without the name and colon), in order, up to the body. */
void pd_auth_foreach_header(const char *message, gsize len, const char *name,
			    void (*func)(const char *value, gsize value_len, gpointer data),
			    gpointer data);
/* The verdict needs exactly one From header in the message. */
void pd_auth_check_from_headers(PdAuthResult *result, const char *message, gsize message_len);

/* A domain in canonical form: lowercase, no trailing dot; NULL if empty. */
char *pd_auth_domain_canonical(const char *domain);

#endif
