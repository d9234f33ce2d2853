/* pd-resolver: the DNS seam of sender authentication.
 *
 * A small vtable (STYLE.md: seams are small vtables) answering the few
 * record types SPF, DKIM and DMARC need, with a per-lookup timeout.  Two
 * implementations: the system stub resolver (res_nquery on a per-call
 * resolver state, so concurrent lookups share nothing) and a static zone for
 * tests (records from a table or a text file, no network ever).
 *
 * A lookup never fails open: a timeout, SERVFAIL or any transport problem is
 * PD_DNS_TEMPFAIL, which the callers turn into "temperror", never "pass".
 * Resolvers are refcounted and safe to use from many threads at once once
 * built (the static zone must be filled before it is shared).
 */
#ifndef PD_RESOLVER_H
#define PD_RESOLVER_H

#include <glib.h>

typedef enum {
	PD_DNS_OK,		/* answers_r holds at least one record */
	PD_DNS_NXDOMAIN,	/* the name does not exist */
	PD_DNS_NODATA,		/* the name exists, no record of that type */
	PD_DNS_TEMPFAIL,	/* timeout, SERVFAIL, network: try again later */
} PdDnsStatus;

typedef enum {
	PD_DNS_A = 1,
	PD_DNS_CNAME = 5,
	PD_DNS_PTR = 12,
	PD_DNS_MX = 15,
	PD_DNS_TXT = 16,
	PD_DNS_AAAA = 28,
	PD_DNS_SPF = 99,
} PdDnsType;

typedef struct PdResolver PdResolver;

typedef struct {
	/* Look up name/type within timeout_ms.  On PD_DNS_OK appends the
	 * records to answers (char *, g_free): A/AAAA in presentation form,
	 * MX and PTR as host names without the trailing dot (MX without its
	 * preference), TXT as the concatenation of its character-strings. */
	PdDnsStatus (*lookup)(PdResolver *resolver, const char *name, PdDnsType type,
			      guint timeout_ms, GPtrArray *answers);
	void (*destroy)(PdResolver *resolver);
} PdResolverOps;

struct PdResolver {
	const PdResolverOps *ops;
	gint ref_count;
};

/* For implementations: set ops and the first reference. */
void pd_resolver_init(PdResolver *resolver, const PdResolverOps *ops);
PdResolver *pd_resolver_ref(PdResolver *resolver);
void pd_resolver_unref(PdResolver *resolver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdResolver, pd_resolver_unref)

/* answers_r (may be NULL) gets a new array of char * on PD_DNS_OK, NULL
 * otherwise. */
PdDnsStatus pd_resolver_lookup(PdResolver *resolver, const char *name, PdDnsType type,
			       guint timeout_ms, GPtrArray **answers_r);

const char *pd_dns_status_name(PdDnsStatus status);
const char *pd_dns_type_name(PdDnsType type);
/* "TXT" -> PD_DNS_TXT; FALSE for a name we do not serve. */
gboolean pd_dns_type_parse(const char *name, PdDnsType *type_r);

/* The host's resolver (/etc/resolv.conf), one res_nquery state per call. */
PdResolver *pd_resolver_system_new(void);
/* The same stub resolver asking only server ("127.0.0.1" or "127.0.0.1:5353",
 * IPv4); PD_ERROR_USAGE for anything else. */
PdResolver *pd_resolver_system_new_server(const char *server, GError **error);

/* A static zone.  Names are case-insensitive, a trailing dot is ignored,
 * "*.example" is a wildcard for names below example that have no record of
 * their own, and a CNAME is followed (8 steps at most).  Besides the
 * record types, a name can be marked TIMEOUT (a lookup of a type it has no
 * record of is PD_DNS_TEMPFAIL, as in the openspf suite; SERVFAIL is a
 * synonym) or NXDOMAIN. */
PdResolver *pd_resolver_zone_new(void);
void pd_resolver_zone_add(PdResolver *zone, const char *name, PdDnsType type, const char *value);
void pd_resolver_zone_set_timeout(PdResolver *zone, const char *name);
void pd_resolver_zone_set_nxdomain(PdResolver *zone, const char *name);
/* Lines of "NAME TYPE VALUE": TYPE one of A AAAA MX PTR TXT SPF CNAME, or
 * TIMEOUT / SERVFAIL / NXDOMAIN / NODATA (the name exists) with no value.  VALUE is the rest of the
 * line with C escapes (\\ \t \n \r \xHH); '#' starts a comment line. */
gboolean pd_resolver_zone_load_data(PdResolver *zone, const char *text, GError **error);
gboolean pd_resolver_zone_load_file(PdResolver *zone, const char *path, GError **error);
/* How many lookups the zone answered (tests check caching and limits). */
guint pd_resolver_zone_lookups(PdResolver *zone);

#endif
