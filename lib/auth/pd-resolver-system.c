/* pd-resolver-system: the host's stub resolver behind the PdResolver seam.
 *
 * Each lookup gets its own resolver state (res_ninit/res_nquery/res_nclose),
 * so concurrent sessions share nothing and need no lock.  The timeout is
 * the resolver's per-try timeout (whole seconds, at least 1) with one try.
 * Any answer that is not a clean NOERROR/NXDOMAIN is PD_DNS_TEMPFAIL.
 * pd_resolver_system_new_server asks one given name server instead of
 * resolv.conf's (a local validating resolver, or a test's server).
 */
#include "pd-resolver.h"

#include "core/pd-error.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>

#define ANSWER_MAX 65536

static void
append_rdata(ns_msg *msg, ns_rr *rr, PdDnsType type, GPtrArray *answers)
{
	const unsigned char *rdata = ns_rr_rdata(*rr);
	guint rdlen = ns_rr_rdlen(*rr);
	char host[NS_MAXDNAME];
	char addr[INET6_ADDRSTRLEN];

	switch (type) {
	case PD_DNS_A:
		if (rdlen == 4 && inet_ntop(AF_INET, rdata, addr, sizeof addr) != NULL)
			g_ptr_array_add(answers, g_strdup(addr));
		break;
	case PD_DNS_AAAA:
		if (rdlen == 16 && inet_ntop(AF_INET6, rdata, addr, sizeof addr) != NULL)
			g_ptr_array_add(answers, g_strdup(addr));
		break;
	case PD_DNS_MX:
		if (rdlen > 2 && ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg),
						    rdata + 2, host, sizeof host) >= 0)
			g_ptr_array_add(answers, g_strdup(host));
		break;
	case PD_DNS_PTR:
	case PD_DNS_CNAME:
		if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rdata,
				       host, sizeof host) >= 0)
			g_ptr_array_add(answers, g_strdup(host));
		break;
	case PD_DNS_TXT:
	case PD_DNS_SPF: {
		GString *text = g_string_sized_new(rdlen);

		for (guint i = 0; i < rdlen;) {
			guint n = rdata[i++];

			if (i + n > rdlen)
				n = rdlen - i;
			g_string_append_len(text, (const char *) rdata + i, n);
			i += n;
		}
		g_ptr_array_add(answers, g_string_free(text, FALSE));
		break;
	}
	}
}

typedef struct {
	PdResolver parent;
	gboolean have_server;
	struct sockaddr_in server;	/* only this name server, when set */
} PdSystemResolver;

static PdDnsStatus
system_lookup(PdResolver *resolver, const char *name, PdDnsType type, guint timeout_ms,
	      GPtrArray *answers)
{
	PdSystemResolver *system = (PdSystemResolver *) resolver;
	struct __res_state state;
	g_autofree unsigned char *answer = g_malloc(ANSWER_MAX);
	ns_msg msg;
	int len, herr;

	memset(&state, 0, sizeof state);
	if (res_ninit(&state) != 0)
		return PD_DNS_TEMPFAIL;
	state.retrans = MAX(1, (int) ((timeout_ms + 999) / 1000));
	state.retry = 1;
	if (system->have_server) {
		state.nscount = 1;
		state.nsaddr_list[0] = system->server;
	}
	len = res_nquery(&state, name, ns_c_in, (int) type, answer, ANSWER_MAX);
	herr = state.res_h_errno;
	res_nclose(&state);
	if (len < 0) {
		switch (herr) {
		case HOST_NOT_FOUND:
			return PD_DNS_NXDOMAIN;
		case NO_DATA:
			return PD_DNS_NODATA;
		default:	/* TRY_AGAIN, NO_RECOVERY, NETDB_INTERNAL */
			return PD_DNS_TEMPFAIL;
		}
	}
	if (ns_initparse(answer, MIN(len, ANSWER_MAX), &msg) < 0)
		return PD_DNS_TEMPFAIL;
	for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		ns_rr rr;

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return PD_DNS_TEMPFAIL;
		if (ns_rr_type(rr) == (ns_type) type && ns_rr_class(rr) == ns_c_in)
			append_rdata(&msg, &rr, type, answers);
	}
	return answers->len > 0 ? PD_DNS_OK : PD_DNS_NODATA;
}

static void
system_destroy(PdResolver *resolver)
{
	g_free(resolver);
}

static const PdResolverOps system_ops = {
	.lookup = system_lookup,
	.destroy = system_destroy,
};

PdResolver *
pd_resolver_system_new(void)
{
	PdSystemResolver *system = g_new0(PdSystemResolver, 1);

	pd_resolver_init(&system->parent, &system_ops);
	return &system->parent;
}

PdResolver *
pd_resolver_system_new_server(const char *server, GError **error)
{
	g_autofree char *host = NULL;
	const char *colon = server != NULL ? strrchr(server, ':') : NULL;
	guint64 port = 53;
	PdSystemResolver *system;
	struct in_addr addr;

	host = colon != NULL ? g_strndup(server, colon - server) : g_strdup(server);
	if (server == NULL || inet_pton(AF_INET, host, &addr) != 1 ||
	    (colon != NULL && (!g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL)))) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "dns_server \"%s\" is not IPV4-ADDRESS[:PORT]", server ? server : "");
		return NULL;
	}
	system = g_new0(PdSystemResolver, 1);
	pd_resolver_init(&system->parent, &system_ops);
	system->have_server = TRUE;
	system->server.sin_family = AF_INET;
	system->server.sin_addr = addr;
	system->server.sin_port = htons((guint16) port);
	return &system->parent;
}
