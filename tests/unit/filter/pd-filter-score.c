/* pd-filter-score [--time] SCRIPT... -- MAIL...: the score the scripts give
 * each mail (no authentication, no network), one line per mail:
 *   SCORE<TAB>DISPOSITION<TAB>RULE,RULE...
 * An mbox "From " first line is skipped.  --time: no lines; the CPU time
 * of parsing and of the rules, per mail, on stderr (tests/bench/run
 * --rules).  The spam corpus test
 * (tests/corpus/test_spam_spamassassin.py) runs it with filters/score.sieve;
 * exit 78 when a script does not compile. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "filter/pd-filter.h"
#include "mail/pd-mail.h"

static gboolean timing;
static double parse_cpu, rules_cpu;	/* seconds */

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
score_file(const PdFilterSet *set, const char *path)
{
	g_autofree char *text = NULL;
	gsize length = 0;
	const char *start;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(PdMail) mail = NULL;
	g_autoptr(PdEnvelope) envelope = pd_envelope_new("test");
	g_auto(PdFilterOutcome) outcome = { 0 };
	PdFilterInput input = { 0 };
	GString *line = g_string_new(NULL);
	double t0;

	if (!g_file_get_contents(path, &text, &length, NULL)) {
		printf("error\tunreadable\t\n");
		g_string_free(line, TRUE);
		return;
	}
	start = text;
	if (length > 5 && strncmp(text, "From ", 5) == 0) {
		const char *nl = memchr(text, '\n', length);

		start = nl != NULL ? nl + 1 : text + length;
	}
	raw = g_bytes_new(start, length - (gsize)(start - text));
	t0 = cpu_now();
	mail = pd_mail_parse(raw, NULL, NULL);
	parse_cpu += cpu_now() - t0;
	if (mail == NULL) {
		printf("error\tunparsed\t\n");
		g_string_free(line, TRUE);
		return;
	}
	g_free(envelope->mail_from);
	envelope->mail_from = g_strdup(mail->from.address != NULL ? mail->from.address : "");
	pd_envelope_add_recipient(envelope, "support@example.com");
	input.mail = mail;
	input.raw = raw;
	input.envelope = envelope;
	input.recipient = "support@example.com";
	t0 = cpu_now();
	pd_filter_run(set, NULL, &input, &outcome);
	rules_cpu += cpu_now() - t0;
	if (timing) {
		g_string_free(line, TRUE);
		return;
	}
	g_string_printf(line, "%g\t%s\t", outcome.score, pd_disposition_name(outcome.disposition));
	for (guint i = 0; i < outcome.hits->len; i++) {
		const PdFilterHit *hit = outcome.hits->pdata[i];

		g_string_append_printf(line, "%s%s", i > 0 ? "," : "", hit->name);
	}
	puts(line->str);
	g_string_free(line, TRUE);
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdFilterSet) set = NULL;
	int i = 1, first;

	if (i < argc && strcmp(argv[i], "--time") == 0) {
		timing = TRUE;
		i++;
	}
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *text = NULL;

		if (!g_file_get_contents(argv[i], &text, NULL, &error)) {
			fprintf(stderr, "%s\n", error->message);
			return 66;
		}
		g_ptr_array_add(names, argv[i]);
		g_ptr_array_add(texts, text);
	}
	if (i >= argc) {
		fprintf(stderr, "usage: pd-filter-score [--time] SCRIPT... -- MAIL...\n");
		return 64;
	}
	pd_mail_init();
	set = pd_filter_set_new((const char *const *)names->pdata, (const char *const *)texts->pdata,
				names->len, &error);
	if (set == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return 78;
	}
	first = ++i;
	for (; i < argc; i++)
		score_file(set, argv[i]);
	if (timing && argc > first)
		fprintf(stderr, "%d mails: parse %.3f ms, rules %.3f ms per mail (CPU)\n",
			argc - first, parse_cpu * 1000 / (argc - first),
			rules_cpu * 1000 / (argc - first));
	return 0;
}
