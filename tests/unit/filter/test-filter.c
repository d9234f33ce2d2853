/* The rules on the mail path, table-driven: the disposition rule
 * (pd-filter-decide.c), each vnd.postdesk action and test, and scripts
 * run in order over a parsed mail (the score carries to the next script).
 * Each row: a score script, a route script (NULL: none), the mail, and the
 * outcome as "disposition | queue | category | priority | tags | forwards |
 * score | rules" (pd_filter_outcome's fields).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "filter/pd-filter.h"
#include "settings/pd-settings.h"

#define R "require [\"vnd.postdesk\", \"fileinto\", \"imap4flags\", \"spamtest\", \"relational\", \"comparator-i;ascii-numeric\", \"body\", \"reject\"];\n"
#define MAIL "From: Ann <ann@example.com>\r\nTo: support@example.org\r\nSubject: %s\r\nMessage-ID: <1@example.com>\r\nDate: Mon, 1 Dec 2026 10:00:00 +0000\r\n\r\n%s\r\n"

typedef struct {
	const char *name;
	const char *score;	/* first script */
	const char *route;	/* second; NULL: none */
	const char *subject;
	const char *body;
	gboolean authenticated;
	gboolean released;
	const char *expect;
} Row;

static const Row rows[] = {
	{ "no rule matched: a ticket", R "if header :contains \"subject\" \"zzz\" { discard; }",
	  NULL, "Hello", "Hi", FALSE, FALSE, "ticket | - | - | - | - | - | 0 | -" },
	{ "score below hold: a ticket", R "score :add 4 \"A\";", NULL, "x", "y", FALSE, FALSE,
	  "ticket | - | - | - | - | - | 4 | A 4" },
	{ "score at hold (5): held", R "score :add 5 \"A\";", NULL, "x", "y", FALSE, FALSE,
	  "hold | - | - | - | - | - | 5 | A 5" },
	{ "score at quarantine (10): quarantined", R "score :add 6 \"A\"; score :add 4 \"B\";",
	  NULL, "x", "y", FALSE, FALSE, "quarantine | - | - | - | - | - | 10 | A 6, B 4" },
	{ ":sub lowers the score", R "score :add 12 \"A\"; score :sub 3 \"HAM\";", NULL, "x", "y",
	  FALSE, FALSE, "hold | - | - | - | - | - | 9 | A 12, HAM -3" },
	{ "released mail is no longer judged by its score", R "score :add 50 \"GTUBE\";", NULL,
	  "x", "y", FALSE, TRUE, "ticket | - | - | - | - | - | 50 | GTUBE 50" },
	{ "the route script reads the score with spamtest",
	  R "score :add 7 \"A\";", R "if spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"7\" { tag \"suspect\"; }",
	  "x", "y", FALSE, FALSE, "hold | - | - | - | suspect | - | 7 | A 7" },
	{ "a rule's quarantine wins over a low score", R "quarantine \"phish\";", NULL, "x", "y",
	  FALSE, FALSE, "quarantine | - | - | - | - | - | 0 | -" },
	{ "released: a rule's quarantine no longer applies", R "quarantine \"phish\";", NULL, "x",
	  "y", FALSE, TRUE, "ticket | - | - | - | - | - | 0 | -" },
	{ "reject wins over everything", R "score :add 20 \"A\"; reject \"go away\";", NULL, "x",
	  "y", FALSE, FALSE, "reject | - | - | - | - | - | 20 | A 20" },
	{ "discard without keep: dropped", R "discard;", NULL, "x", "y", FALSE, FALSE,
	  "discard | - | - | - | - | - | 0 | -" },
	{ "discard in one script, keep in the next: kept", R "discard;", R "keep;", "x", "y",
	  FALSE, FALSE, "ticket | - | - | - | - | - | 0 | -" },
	{ "a rule's hold", R "hold;", NULL, "x", "y", FALSE, FALSE,
	  "hold | - | - | - | - | - | 0 | -" },
	{ "queue, category, priority, tag, forward",
	  R "if header :contains \"subject\" \"invoice\" { queue \"billing\"; category \"invoices\"; priority \"high\"; tag \"money\"; forward \"books@example.net\"; }",
	  NULL, "Your invoice 42", "y", FALSE, FALSE,
	  "ticket | billing | invoices | high | money | books@example.net | 0 | -" },
	{ "fileinto is a queue; flags are tags, system flags are not",
	  R "fileinto :flags [\"\\\\Seen\", \"vip\"] \"billing\";", NULL, "x", "y", FALSE, FALSE,
	  "ticket | billing | - | - | vip | - | 0 | -" },
	{ "an unknown queue leaves the mail in its queue", R "queue \"nowhere\";", NULL, "x", "y",
	  FALSE, FALSE, "ticket | - | - | - | - | - | 0 | -" },
	{ "the last queue wins", R "queue \"billing\"; queue \"sales\";", NULL, "x", "y", FALSE,
	  FALSE, "ticket | sales | - | - | - | - | 0 | -" },
	{ "a bad priority is a run-time error: the script's actions are dropped",
	  R "tag \"a\"; priority \"asap\";", NULL, "x", "y", FALSE, FALSE,
	  "ticket | - | - | - | - | - | 0 | -" },
	{ "an error in one script leaves the other's actions",
	  R "score :add 3 \"A\";", R "tag \"b\"; priority \"asap\";", "x", "y", FALSE, FALSE,
	  "ticket | - | - | - | - | - | 3 | A 3" },
	{ "authenticated", R "if authenticated { tag \"auth\"; } else { tag \"anon\"; }", NULL, "x",
	  "y", TRUE, FALSE, "ticket | - | - | - | auth | - | 0 | -" },
	{ "not authenticated", R "if authenticated { tag \"auth\"; } else { tag \"anon\"; }", NULL,
	  "x", "y", FALSE, FALSE, "ticket | - | - | - | anon | - | 0 | -" },
	{ "identity unknown without a decision", R "if identity :kind \"unknown\" { tag \"u\"; }",
	  NULL, "x", "y", FALSE, FALSE, "ticket | - | - | - | u | - | 0 | -" },
	{ "fact missing: no Date", R "if fact \"missing\" \"date\" { score :add 1 \"NO_DATE\"; }",
	  NULL, "x", "y", FALSE, FALSE, "ticket | - | - | - | - | - | 0 | -" },
	{ "fact link-host", R "if fact \"link-host\" [\"bit.ly\", \"tinyurl.com\"] { score :add 2 \"SHORTENER\"; }",
	  NULL, "x", "see https://bit.ly/abc now", FALSE, FALSE,
	  "ticket | - | - | - | - | - | 2 | SHORTENER 2" },
	{ "an unknown fact is a run-time error", R "tag \"a\"; if fact \"colour\" \"red\" { stop; }",
	  NULL, "x", "y", FALSE, FALSE, "ticket | - | - | - | - | - | 0 | -" },
	{ "a tag that is not valid UTF-8 is a run-time error: the script's actions are dropped",
	  "require [\"vnd.postdesk\", \"encoded-character\"];\ncategory \"c\"; tag \"${hex:ff fe}\";",
	  "require \"vnd.postdesk\";\ntag \"kept\";", "x", "y", FALSE, FALSE,
	  "ticket | - | - | - | kept | - | 0 | -" },
	{ "a quarantine reason that is not valid UTF-8 is a run-time error",
	  "require [\"vnd.postdesk\", \"encoded-character\"];\nquarantine \"${hex:c3}\";",
	  NULL, "x", "y", FALSE, FALSE, "ticket | - | - | - | - | - | 0 | -" },
	{ "a category that is not configured is a run-time error: the ticket keeps its own",
	  R "category \"unlisted\"; tag \"t\";", NULL, "x", "y", FALSE, FALSE,
	  "ticket | - | - | - | t | - | 0 | -" },
	{ "auth off reads none", R "if auth \"spf\" \"none\" { tag \"nospf\"; }", NULL, "x", "y",
	  FALSE, FALSE, "ticket | - | - | - | nospf | - | 0 | -" },
	{ "body test: GTUBE", R "if body :contains \"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\" { score :add 1000 \"GTUBE\"; }",
	  NULL, "x", "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X", FALSE,
	  FALSE, "quarantine | - | - | - | - | - | 1000 | GTUBE 1000" },
	{ "X-Postdesk-* headers are hidden from rules",
	  R "if exists \"X-Postdesk-Score\" { tag \"forged\"; }", NULL, "x", "y", FALSE, FALSE,
	  "ticket | - | - | - | - | - | 0 | -" },
	{ "decoded header values", R "if header :is \"subject\" \"Jürgen Müller\" { tag \"decoded\"; }",
	  NULL, "=?UTF-8?B?SsO8cmdlbiA=?= =?UTF-8?B?TcO8bGxlcg==?=", "y", FALSE, FALSE,
	  "ticket | - | - | - | decoded | - | 0 | -" },
};

static const char *
dash(const char *s)
{
	return s != NULL ? s : "-";
}

static char *
join(GPtrArray *list)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? ", " : "", (char *) list->pdata[i]);
	if (out->len == 0)
		g_string_append(out, "-");
	return g_string_free(out, FALSE);
}

static char *
outcome_of(const Row *row)
{
	const char *names[] = { "score.sieve", "route.sieve" };
	const char *texts[] = { row->score, row->route };
	g_autoptr(GError) error = NULL;
	g_autoptr(PdFilterSet) set = pd_filter_set_new(names, texts, row->route != NULL ? 2 : 1,
						       &error);
	g_autofree char *text = g_strdup_printf(MAIL, row->subject, row->body);
	g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
	g_autoptr(PdMail) mail = NULL;
	g_autoptr(PdConfig) config = NULL;
	g_auto(PdFilterOutcome) outcome = { 0 };
	PdFilterInput input = { 0 };
	g_autoptr(GString) rules = g_string_new(NULL);
	g_autofree char *tags = NULL, *forwards = NULL;

	if (set == NULL)
		return g_strdup_printf("compile: %s", error->message);
	config = pd_config_load_data("[postdesk]\nconfig_version = 1\n"
				     "[queue support]\naddresses = support@example.org\n"
				     "[queue billing]\naddresses = billing@example.org\n"
				     "[queue sales]\naddresses = sales@example.org\n"
				     "[category invoices]\ndescription = Invoices\n"
				     "[category c]\ndescription = C\n",
				     pd_settings_tables, &error);
	g_assert_no_error(error);
	mail = pd_mail_parse(raw, NULL, &error);
	g_assert_no_error(error);
	input.mail = mail;
	input.raw = raw;
	input.recipient = "support@example.org";
	input.queue = config->queues->pdata[0];
	input.from_authenticated = row->authenticated;
	input.released = row->released;
	pd_filter_run(set, config, &input, &outcome);
	for (guint i = 0; i < outcome.hits->len; i++) {
		const PdFilterHit *hit = outcome.hits->pdata[i];

		g_string_append_printf(rules, "%s%s %g", i > 0 ? ", " : "", hit->name, hit->points);
	}
	tags = join(outcome.tags);
	forwards = join(outcome.forwards);
	return g_strdup_printf("%s | %s | %s | %s | %s | %s | %g | %s",
			       pd_disposition_name(outcome.disposition), dash(outcome.queue),
			       dash(outcome.category), dash(outcome.priority), tags, forwards,
			       outcome.score, rules->len > 0 ? rules->str : "-");
}

static void
test_rows(void **state)
{
	guint failed = 0;

	pd_mail_init();
	for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autofree char *got = outcome_of(&rows[i]);

		if (strcmp(got, rows[i].expect) != 0) {
			fprintf(stderr, "row \"%s\":\n  want %s\n  got  %s\n", rows[i].name,
				rows[i].expect, got);
			failed++;
		}
	}
	printf("rule filter-disposition: %zu cases\n", G_N_ELEMENTS(rows));
	assert_int_equal(failed, 0);
}

/* Compile errors name file:line:col, every script's. */
static void
test_compile_errors(void **state)
{
	const char *names[] = { "a.sieve", "b.sieve" };
	const char *texts[] = { R "queue;", "require \"vnd.postdesk\";\nscore :add 1;\n" };
	g_autoptr(GError) error = NULL;
	g_autoptr(PdFilterSet) set = pd_filter_set_new(names, texts, 2, &error);

	assert_null(set);
	assert_non_null(strstr(error->message, "a.sieve:2:1:"));
	assert_non_null(strstr(error->message, "b.sieve:2:1:"));
}

static void
test_spamtest_scale(void **state)
{
	static const struct { double score, q; gboolean percent; const char *want; } cases[] = {
		{ -3, 10, FALSE, "1" }, { 0, 10, FALSE, "1" }, { 5, 10, FALSE, "5" },
		{ 9.99, 10, FALSE, "9" }, { 10, 10, FALSE, "10" }, { 50, 10, FALSE, "10" },
		{ 5, 10, TRUE, "50" }, { 20, 10, TRUE, "100" }, { 0, 10, TRUE, "0" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = pd_filter_spamtest_value(cases[i].score, cases[i].q,
								cases[i].percent);

		assert_string_equal(got, cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_spamtest_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
