/* Unit tests: the configuration as every layer declares it (lib/settings,
 * lib/core/pd-setting.c).  A misspelt section or key, a bad value and a
 * config_version this release does not read are each refused with the line
 * they are on; the mail-path warnings are said with theirs.  Each row edits
 * one line of a realistic configuration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/pd-config.h"
#include "pipeline/pd-pipeline.h"
#include "settings/pd-settings.h"

/* Line numbers matter: the expected messages name them. */
static const char base[] =
	"[postdesk]\n"					/* 1 */
	"config_version = 1\n"				/* 2 */
	"hostname = desk.example.com\n"			/* 3 */
	"\n"						/* 4 */
	"[database]\n"					/* 5 */
	"conninfo = dbname=postdesk\n"			/* 6 */
	"\n"						/* 7 */
	"[lmtp]\n"					/* 8 */
	"listen = 127.0.0.1:2424\n"			/* 9 */
	"xforward_hosts = 127.0.0.1\n"			/* 10 */
	"\n"						/* 11 */
	"[queue support]\n"				/* 12 */
	"addresses = support@example.com\n"		/* 13 */
	"unknown_senders = moderate\n"			/* 14 */
	"\n"						/* 15 */
	"[queue billing]\n"				/* 16 */
	"addresses = billing@example.com\n"		/* 17 */
	"permission = billing\n"			/* 18 */
	"\n"						/* 19 */
	"[outbound]\n"					/* 20 */
	"from = Example Support <support@example.com>\n"	/* 21 */
	"token_keys = 0123456789abcdef0123456789\n"	/* 22 */
	"templates = /etc/postdesk/templates\n"		/* 23 */
	"reopen_days = 14\n"				/* 24 */
	"notify_agents = yes\n"				/* 25 */
	"\n"						/* 26 */
	"[auth]\n"					/* 27 */
	"mode = verify\n"				/* 28 */
	"\n"						/* 29 */
	"[jobs]\n"					/* 30 */
	"reminder = yes\n";				/* 31 */

/* base with the first occurrence of from replaced by to. */
static char *
edited(const char *from, const char *to)
{
	const char *at = strstr(base, from);

	if (at == NULL)
		fail_msg("\"%s\" is not in the base configuration", from);
	return g_strdup_printf("%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
}

static void
test_base(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = pd_config_load_data(base, pd_settings_tables, &error);

	(void)state;
	if (config == NULL)
		fail_msg("%s", error->message);
	assert_int_equal(config->warnings->len, 0);
}

/* Ten misspellings a postmaster makes, each with its exact message. */
static const struct {
	const char *from, *to;
	const char *error;
} misspellings[] = {
	{ "unknown_senders = moderate", "unknown_sender = moderate",
	  "config:14: unknown key 'unknown_sender' in [queue support]; "
	  "did you mean 'unknown_senders'?" },
	{ "[outbound]", "[outbund]",
	  "config:20: unknown section [outbund]; did you mean [outbound]?" },
	{ "xforward_hosts =", "xforward_host =",
	  "config:10: unknown key 'xforward_host' in [lmtp]; did you mean 'xforward_hosts'?" },
	{ "reopen_days =", "reopen_day =",
	  "config:24: unknown key 'reopen_day' in [outbound]; did you mean 'reopen_days'?" },
	{ "[queue billing]", "[queues billing]",
	  "config:16: unknown section [queues billing]; did you mean [queue billing]?" },
	{ "permission = billing", "permissions = billing",
	  "config:18: unknown key 'permissions' in [queue billing]; did you mean 'permission'?" },
	{ "notify_agents =", "notify_agent =",
	  "config:25: unknown key 'notify_agent' in [outbound]; did you mean 'notify_agents'?" },
	{ "[jobs]", "[job]", "config:30: unknown section [job]; did you mean [jobs]?" },
	{ "mode = verify", "mod = verify",
	  "config:28: unknown key 'mod' in [auth]; did you mean 'mode'?" },
	{ "conninfo =", "conn_info =",
	  "config:6: unknown key 'conn_info' in [database]; did you mean 'conninfo'?" },
	{ "templates =", "template =",
	  "config:23: unknown key 'template' in [outbound]; did you mean 'templates'?" },
	{ "hostname =", "hostnmae =",
	  "config:3: unknown key 'hostnmae' in [postdesk]; did you mean 'hostname'?" },
	/* nothing close: no guess */
	{ "[auth]", "[authentication]", "config:27: unknown section [authentication]" },
	{ "token_keys =", "token_key =",
	  "config:22: unknown key 'token_key' in [outbound]; did you mean 'token_keys'?" },
	/* every error of the file at once, in the order of its lines */
	{ "reopen_days = 14\nnotify_agents = yes", "reopen_day = 14\nnotify_agents = maybe",
	  "config:24: unknown key 'reopen_day' in [outbound]; did you mean 'reopen_days'?\n"
	  "config:25: [outbound] notify_agents = maybe: yes or no" },
};

/* A bad value names its line too; so does a version this release does not read. */
static const struct {
	const char *from, *to;
	const char *error;
} bad_values[] = {
	{ "reopen_days = 14", "reopen_days = two weeks",
	  "config:24: [outbound] reopen_days = two weeks: a number from 0 to 3650" },
	{ "unknown_senders = moderate", "unknown_senders = moderated",
	  "config:14: [queue support] unknown_senders = moderated: open, known or moderate" },
	{ "notify_agents = yes", "notify_agents = maybe",
	  "config:25: [outbound] notify_agents = maybe: yes or no" },
	{ "permission = billing", "permission = money",
	  "config:18: [queue billing] permission = money: not one of support, technical, "
	  "billing, records, contacts" },
	{ "listen = 127.0.0.1:2424", "listen = 127.0.0.1:lmtp",
	  "config:9: [lmtp] listen: \"127.0.0.1:lmtp\" is not host:port, [v6]:port, *:port or "
	  "unix:/path" },
	{ "mode = verify", "mode = trust-ar",
	  "config:28: [auth] mode = trust-ar needs authserv_id (the id your MTA's milters "
	  "write in Authentication-Results)" },
	{ "from = Example Support <support@example.com>", "from = Example Support",
	  "config:21: [outbound] from = Example Support: \"Name <address>\" or an address "
	  "is required" },
	{ "config_version = 1", "config_version = 2",
	  "config:2: [postdesk] config_version = 2: this release reads version 1 (see "
	  "config_version in postdesk.conf(5))" },
	{ "config_version = 1\n", "",
	  "config:1: [postdesk] config_version is missing (this release reads version 1)" },
	{ "reminder = yes", "reminder\n",
	  "config:31: Key file contains line “reminder” which is not a key-value pair, group, "
	  "or comment" },
};

static void
check_rows(const char *what, guint n, const char *const *from, const char *const *to,
	   const char *const *want)
{
	for (guint i = 0; i < n; i++) {
		g_autofree char *text = edited(from[i], to[i]);
		g_autoptr(GError) error = NULL;
		g_autoptr(PdConfig) config = pd_config_load_data(text, pd_settings_tables, &error);

		if (config != NULL)
			fail_msg("%s %u (%s): accepted", what, i, to[i]);
		if (strcmp(error->message, want[i]) != 0)
			fail_msg("%s %u (%s):\n got: %s\nwant: %s", what, i, to[i], error->message,
				 want[i]);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule config-%s: %u cases\n", what, n);
}

#define ROWS(table, what)							\
	do {									\
		const char *from[G_N_ELEMENTS(table)], *to[G_N_ELEMENTS(table)];	\
		const char *want[G_N_ELEMENTS(table)];				\
		for (guint i = 0; i < G_N_ELEMENTS(table); i++) {		\
			from[i] = table[i].from;				\
			to[i] = table[i].to;					\
			want[i] = table[i].error;				\
		}								\
		check_rows(what, G_N_ELEMENTS(table), from, to, want);		\
	} while (0)

static void
test_misspellings(void **state)
{
	(void)state;
	ROWS(misspellings, "misspellings");
}

static void
test_bad_values(void **state)
{
	(void)state;
	ROWS(bad_values, "bad-values");
}

/* The mail-path warnings: the configuration loads, and says them. */
static void
test_warnings(void **state)
{
	static const struct {
		const char *from, *to;
		const char *warnings;	/* "\n"-joined; "" none */
	} cases[] = {
		{ "mode = verify", "mode = trust-ar\nauthserv_id = mx.example.com", "" },
		{ "mode = verify", "mode = off",
		  "config:18: [queue billing] permission = billing: no contact can hold it while "
		  "[auth] mode is off (nobody is authenticated): every request here needs an "
		  "authorization, and no holder's approval by mail can give it\n"
		  "config:28: [outbound] is set but [auth] mode is off: nobody is authenticated, "
		  "so agents' answers are stored as customer mail (never relayed, no command "
		  "obeyed) and holders' approvals cannot act; set [auth] mode = verify or "
		  "trust-ar" },
		/* no [auth] at all is mode off: said at [outbound] */
		{ "[auth]\nmode = verify\n", "",
		  "config:18: [queue billing] permission = billing: no contact can hold it while "
		  "[auth] mode is off (nobody is authenticated): every request here needs an "
		  "authorization, and no holder's approval by mail can give it\n"
		  "config:20: [outbound] is set but [auth] mode is off: nobody is authenticated, "
		  "so agents' answers are stored as customer mail (never relayed, no command "
		  "obeyed) and holders' approvals cannot act; set [auth] mode = verify or "
		  "trust-ar" },
		/* without [outbound] nothing is sent: only the queue's permission */
		{ "[outbound]\nfrom = Example Support <support@example.com>\n"
		  "token_keys = 0123456789abcdef0123456789\ntemplates = /etc/postdesk/templates\n"
		  "reopen_days = 14\nnotify_agents = yes\n\n[auth]\nmode = verify\n", "",
		  "config:18: [queue billing] permission = billing: no contact can hold it while "
		  "[auth] mode is off (nobody is authenticated): every request here needs an "
		  "authorization, and no holder's approval by mail can give it" },
	};

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = edited(cases[i].from, cases[i].to);
		g_autoptr(GError) error = NULL;
		g_autoptr(PdConfig) config = pd_config_load_data(text, pd_settings_tables, &error);
		g_autofree char *got = NULL;

		if (config == NULL)
			fail_msg("case %u: %s", i, error->message);
		g_ptr_array_add(config->warnings, NULL);
		got = g_strjoinv("\n", (char **)config->warnings->pdata);
		g_ptr_array_remove_index(config->warnings, config->warnings->len - 1);
		if (strcmp(got, cases[i].warnings) != 0)
			fail_msg("case %u:\n got: %s\nwant: %s", i, got, cases[i].warnings);
	}
	printf("rule config-warnings: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

/* Built once per configuration, not per message. */
static void
test_derived(void **state)
{
	g_autoptr(PdConfig) config = pd_config_load_data(base, pd_settings_tables, NULL);
	const PdPipelineSettings *s = pd_config_layer(config, &pd_pipeline_table);

	(void)state;
	assert_non_null(s->token_keys);
	assert_string_equal(s->own_addresses->pdata[0], "support@example.com");
	assert_string_equal(s->own_addresses->pdata[1], "billing@example.com");
	assert_null(s->own_addresses->pdata[3]);	/* + from; no reply or bounce address */
	assert_string_equal(s->agent_envelope_from, "support@example.com");
	assert_int_equal(s->reopen_days, 14);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_misspellings),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_derived),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
