/* pd-auth-corpus: runs third-party SPF/DKIM/PSL corpora through pd_auth.
 *
 * The Python corpus tests (tests/corpus/test_spf_openspf.py, test_dkim_corpora.py,
 * test_psl.py) turn each corpus into a static zone file plus simple cases and
 * compare what this prints with the expected results.  Nothing here touches
 * the network: every lookup is answered by the static zone.
 *
 *   pd-auth-corpus spf ZONE CASES      CASES: id \t ip \t helo \t mailfrom
 *        -> id \t result \t explanation
 *   pd-auth-corpus dkim ZONE TIME MINBITS FILE...
 *        -> file \t n \t status \t domain \t selector \t reason   (per signature)
 *        -> file \t - \t none                                     (no signature)
 *   pd-auth-corpus psl [LIST]          stdin: one domain a line -> org domain | null
 *   pd-auth-corpus bench ZONE MESSAGE N THREADS IP HELO MAILFROM FROMDOMAIN
 *        -> checks/s
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/pd-auth.h"

static PdAuth *
new_auth(const char *zone_file, gint64 fixed_time, guint min_bits, const char *psl_file)
{
	g_autoptr(PdResolver) zone = pd_resolver_zone_new();
	g_autoptr(PdAuthConfig) config = pd_auth_config_new();
	g_autoptr(GError) error = NULL;
	PdAuth *auth;

	if (zone_file != NULL && !pd_resolver_zone_load_file(zone, zone_file, &error)) {
		fprintf(stderr, "%s\n", error->message);
		exit(2);
	}
	config->fixed_time = fixed_time;
	if (min_bits > 0)
		config->dkim_min_key_bits = min_bits;
	config->psl_file = g_strdup(psl_file);
	config->receiving_host = g_strdup("receivingdomain.example");
	auth = pd_auth_new(config, zone, &error);
	if (auth == NULL) {
		fprintf(stderr, "%s\n", error->message);
		exit(2);
	}
	return auth;
}

static char *
one_line(const char *text)
{
	char *copy = g_strdup(text != NULL ? text : "");

	for (char *p = copy; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	return copy;
}

static int
run_spf(const char *zone_file, const char *cases_file)
{
	g_autoptr(PdAuth) auth = new_auth(zone_file, 0, 0, NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(cases_file, &text, NULL, NULL))
		return 2;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) f = g_strsplit(lines[i], "\t", 4);
		g_autoptr(PdEnvelope) env = NULL;
		g_autoptr(PdAuthResult) result = NULL;
		g_autofree char *reason = NULL;

		if (g_strv_length(f) != 4)
			continue;
		env = pd_envelope_new("test");
		g_free(env->mail_from);
		env->mail_from = g_strdup(f[3]);
		env->client_address = g_strdup(f[1]);
		env->client_helo = g_strdup(f[2]);
		result = pd_auth_check(auth, env, NULL, 0, NULL);
		reason = one_line(result->spf_reason);
		printf("%s\t%s\t%s\n", f[0], pd_auth_status_name(result->spf), reason);
	}
	return 0;
}

static int
run_dkim(const char *zone_file, gint64 fixed_time, guint min_bits, char **files, int n)
{
	g_autoptr(PdAuth) auth = new_auth(zone_file, fixed_time, min_bits, NULL);

	for (int i = 0; i < n; i++) {
		g_autofree char *message = NULL;
		gsize len = 0;
		g_autoptr(PdEnvelope) env = pd_envelope_new("test");
		g_autoptr(PdAuthResult) result = NULL;

		if (!g_file_get_contents(files[i], &message, &len, NULL)) {
			printf("%s\t-\tunreadable\n", files[i]);
			continue;
		}
		result = pd_auth_check(auth, env, message, len, NULL);
		for (guint k = 0; k < result->notes->len; k++)
			fprintf(stderr, "%s: %s\n", files[i], (char *) g_ptr_array_index(result->notes, k));
		if (result->dkim->len == 0)
			printf("%s\t-\tnone\n", files[i]);
		for (guint s = 0; s < result->dkim->len; s++) {
			const PdDkimSignature *sig = g_ptr_array_index(result->dkim, s);
			g_autofree char *reason = one_line(sig->reason);

			printf("%s\t%u\t%s\t%s\t%s\t%s\n", files[i], s + 1,
			       pd_auth_status_name(sig->status), sig->domain ? sig->domain : "",
			       sig->selector ? sig->selector : "", reason);
		}
	}
	return 0;
}

static int
run_psl(const char *psl_file)
{
	g_autoptr(PdAuth) auth = new_auth(NULL, 0, 0, psl_file);
	char line[1024];

	while (fgets(line, sizeof line, stdin) != NULL) {
		g_autofree char *org = NULL;

		line[strcspn(line, "\r\n")] = '\0';
		org = pd_auth_org_domain(auth, line);
		printf("%s\n", org != NULL ? org : "null");
	}
	return 0;
}

typedef struct {
	PdAuth *auth;
	const char *message;
	gsize len;
	const char *ip, *helo, *mail_from, *from_domain;
	guint count;
	guint authenticated;
} Bench;

static gpointer
bench_thread(gpointer data)
{
	Bench *b = data;
	g_autoptr(PdEnvelope) env = pd_envelope_new("test");

	g_free(env->mail_from);
	env->mail_from = g_strdup(b->mail_from);
	env->client_address = g_strdup(b->ip);
	env->client_helo = g_strdup(b->helo);
	for (guint i = 0; i < b->count; i++) {
		g_autoptr(PdAuthResult) result =
			pd_auth_check(b->auth, env, b->message, b->len, b->from_domain);

		if (result->from_authenticated)
			b->authenticated++;
	}
	return NULL;
}

static int
run_bench(char **argv)
{
	g_autoptr(PdAuth) auth = new_auth(argv[0], 0, 0, NULL);
	g_autofree char *message = NULL;
	gsize len = 0;
	guint n = (guint) atoi(argv[2]), threads = (guint) MAX(1, atoi(argv[3]));
	g_autofree Bench *b = g_new0(Bench, threads);
	g_autofree GThread **t = g_new0(GThread *, threads);
	gint64 start;
	double secs;
	guint authenticated = 0;

	if (!g_file_get_contents(argv[1], &message, &len, NULL))
		return 2;
	start = g_get_monotonic_time();
	for (guint i = 0; i < threads; i++) {
		b[i] = (Bench) { auth, message, len, argv[4], argv[5], argv[6], argv[7],
				 n / threads, 0 };
		t[i] = g_thread_new("bench", bench_thread, &b[i]);
	}
	for (guint i = 0; i < threads; i++) {
		g_thread_join(t[i]);
		authenticated += b[i].authenticated;
	}
	secs = (double) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	printf("%u checks in %.3f s with %u threads: %.0f checks/s, %.1f us/check, "
	       "%u authenticated\n", n / threads * threads, secs, threads,
	       (n / threads * threads) / secs, secs * 1e6 / (n / threads * threads),
	       authenticated);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "spf") == 0)
		return run_spf(argv[2], argv[3]);
	if (argc >= 5 && strcmp(argv[1], "dkim") == 0)
		return run_dkim(argv[2], g_ascii_strtoll(argv[3], NULL, 10),
				(guint) atoi(argv[4]), argv + 5, argc - 5);
	if (argc >= 2 && strcmp(argv[1], "psl") == 0)
		return run_psl(argc >= 3 ? argv[2] : NULL);
	if (argc >= 10 && strcmp(argv[1], "bench") == 0)
		return run_bench(argv + 2);
	fprintf(stderr, "usage: see the comment at the top of pd-auth-corpus.c\n");
	return 64;
}
