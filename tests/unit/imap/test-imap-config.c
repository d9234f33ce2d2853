/* test-imap-config: the [imap NAME] sections (imap/pd-imap-config.c) as a
 * table: each row edits one line of a realistic configuration and names
 * the file:line error it must give ("" : accepted). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include "core/pd-config.h"
#include "imap/pd-imap-config.h"
#include "settings/pd-settings.h"

static char *secret_dir;

/* Line numbers matter: the expected messages name them. */
static const char base[] =
	"[postdesk]\n"					/* 1 */
	"config_version = 1\n"				/* 2 */
	"\n"						/* 3 */
	"[database]\n"					/* 4 */
	"conninfo = dbname=postdesk\n"			/* 5 */
	"\n"						/* 6 */
	"[queue support]\n"				/* 7 */
	"addresses = support@example.com, help@example.com\n"	/* 8 */
	"\n"						/* 9 */
	"[imap support]\n"				/* 10 */
	"host = imap.example.com\n"			/* 11 */
	"tls = implicit\n"				/* 12 */
	"user = support@example.com\n"			/* 13 */
	"password_file = @DIR@/good\n"			/* 14 */
	"folder = INBOX\n"				/* 15 */
	"processed_folder = Processed\n"		/* 16 */
	"failed_folder = Failed\n"			/* 17 */
	"queue = support\n"				/* 18 */
	"poll_interval = 2.5\n"				/* 19 */
	"\n"						/* 20 */
	"[imap sales]\n"				/* 21 */
	"host = 127.0.0.1\n"				/* 22 */
	"tls = none\n"					/* 23 */
	"user = sales\n"				/* 24 */
	"password_file = @DIR@/good\n"			/* 25 */
	"queue = support\n";				/* 26 */

static const struct {
	const char *from, *to;	/* edit; from NULL: the base as it is */
	const char *want;	/* substring of the error, "" : loads */
} cases[] = {
	{ NULL, NULL, "" },
	{ "tls = none\n", "tls = starttls\n", "" },
	{ "host = 127.0.0.1\n", "host = mail.example.com\n",
	  "config:23: [imap sales] tls = none: only for a server on loopback" },
	{ "tls = implicit\n", "tls = ssl\n", "config:12:" },
	{ "queue = support\n", "queue = sales\n",
	  "config:18: [imap support] queue = sales: no [queue sales]" },
	{ "queue = support\n", "", "" },	/* routed per mail (pd-imap-route.h) */
	{ "@DIR@/good\n", "@DIR@/group\n",
	  "config:14: [imap support] password_file = " },
	{ "@DIR@/good\n", "@DIR@/world\n", "(mode 0600 or 0400, is 0644)" },
	{ "@DIR@/good\n", "@DIR@/empty\n", "config:14: [imap support] password_file = " },
	{ "@DIR@/good\n", "@DIR@/missing\n", "No such file" },
	{ "@DIR@/good\n", "@DIR@/readonly\n", "" },
	{ "processed_folder = Processed\n", "processed_folder = INBOX\n",
	  "config:16: [imap support]: mail is moved out of folder = INBOX" },
	{ "failed_folder = Failed\n", "failed_folder = \n", "" },
	{ "host = imap.example.com\n", "host = imap example.com\n", "config:11:" },
	{ "poll_interval = 2.5\n", "poll_interval = 0.01\n", "config:19:" },
	{ "[imap sales]\n", "[imap ]\n", "a mailbox needs one name" },
	{ "tls = implicit\n", "tls = implicit\ntimeout = 0\n", "config:13:" },
	{ "tls = implicit\n", "tls = implicit\npassword = x\n", "config:13:" },
	{ "password_file = @DIR@/good\n", "oauth2_token_file = @DIR@/good\n", "" },
	{ "password_file = @DIR@/good\n", "password_file = @DIR@/good\n"
	  "oauth2_token_file = @DIR@/good\n",
	  "config:15: [imap support]: one of password_file and oauth2_token_file" },
	{ "password_file = @DIR@/good\n", "", "config:10: [imap support]: one of password_file" },
	{ "password_file = @DIR@/good\n", "oauth2_token_file = @DIR@/world\n",
	  "config:14: [imap support] oauth2_token_file = @DIR@/world: a secret must be" },
};

static char *
config_text(const char *from, const char *to)
{
	g_autofree char *text = NULL;
	const char *at;
	g_auto(GStrv) parts = NULL;

	if (from == NULL) {
		text = g_strdup(base);
	} else {
		at = strstr(base, from);
		if (at == NULL)
			fail_msg("\"%s\" is not in the base configuration", from);
		text = g_strdup_printf("%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
	}
	parts = g_strsplit(text, "@DIR@", -1);
	return g_strjoinv(secret_dir, parts);
}

static void
secret(const char *name, const char *content, mode_t mode)
{
	g_autofree char *path = g_build_filename(secret_dir, name, NULL);

	assert_true(g_file_set_contents(path, content, -1, NULL));
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_table(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = config_text(cases[i].from, cases[i].to);
		g_autoptr(GError) error = NULL;
		PdConfig *config = pd_config_load_data(text, pd_settings_tables, &error);
		const char *got = error != NULL ? error->message : "";
		g_autofree char *want = NULL;
		g_auto(GStrv) parts = g_strsplit(cases[i].want, "@DIR@", -1);

		want = g_strjoinv(secret_dir, parts);
		if ((want[0] == '\0') != (config != NULL) || strstr(got, want) == NULL) {
			printf("case %zu (%s -> %s): got \"%s\", want \"%s\"\n", i,
			       cases[i].from, cases[i].to, got, want);
			bad++;
		}
		if (config != NULL)
			pd_config_unref(config);
	}
	assert_int_equal(bad, 0);
	printf("rule imap-config: %zu cases\n", G_N_ELEMENTS(cases));
}

/* What the fetcher reads of an accepted configuration. */
static void
test_values(void **state)
{
	g_autofree char *text = config_text(NULL, NULL);
	g_autoptr(GError) error = NULL;
	PdConfig *config = pd_config_load_data(text, pd_settings_tables, &error);
	const PdImapConfig *ic, *sales;

	(void)state;
	assert_non_null(config);
	assert_int_equal(pd_imap_configs(config)->len, 2);
	ic = pd_imap_config_find(config, "support");
	sales = pd_imap_config_find(config, "sales");
	assert_non_null(ic);
	assert_non_null(sales);
	assert_null(pd_imap_config_find(config, "nobody"));
	assert_int_equal(ic->port, 993);
	assert_int_equal(sales->port, 143);
	assert_string_equal(ic->password, "s3cret pass");
	assert_string_equal(ic->recipient, "support@example.com");
	assert_string_equal(ic->folder, "INBOX");
	assert_string_equal(sales->folder, "INBOX");
	assert_null(sales->processed_folder);
	assert_int_equal(ic->poll_ms, 2500);
	assert_int_equal(ic->timeout, 60);
	assert_int_equal(ic->max_message_size, config->max_message_size);
	pd_config_unref(config);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_values),
	};
	int rc;

	secret_dir = g_dir_make_tmp("pd-imap-config-XXXXXX", NULL);
	secret("good", "s3cret pass\nignored\n", 0600);
	secret("readonly", "s3cret\n", 0400);
	secret("group", "s3cret\n", 0640);
	secret("world", "s3cret\n", 0644);
	secret("empty", "\n", 0600);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	for (const char *const *n = (const char *const[]){ "good", "readonly", "group", "world",
							  "empty", NULL }; *n != NULL; n++) {
		g_autofree char *path = g_build_filename(secret_dir, *n, NULL);
		g_unlink(path);
	}
	g_rmdir(secret_dir);
	return rc;
}
