/* Unit tests for lib/core/pd-secrets: which settings are secrets (a table
 * of conninfo strings and config files), and which file modes expose them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pd-error.h"
#include "core/pd-secrets.h"

#define HEAD "[postdesk]\nconfig_version = 1\n[queue a]\naddresses = a@b.test\n"

static void
test_conninfo_password(void **state)
{
	static const struct {
		const char *conninfo;
		gboolean password;
	} cases[] = {
		{ "dbname=postdesk", FALSE },
		{ "host=/run/postgresql dbname=postdesk user=postdesk", FALSE },
		{ "host=db password=s3cret dbname=postdesk", TRUE },
		{ "host=db password = 's3 cret' dbname=postdesk", TRUE },
		{ "PASSWORD=x", TRUE },
		{ "host=db passfile=/etc/postdesk/pgpass", FALSE },	/* a file, checked apart */
		{ "dbname='password=x'", FALSE },			/* a value, not a key */
		{ "application_name=password", FALSE },
		{ "postgresql://postdesk:s3cret@db/postdesk", TRUE },
		{ "postgres://postdesk@db/postdesk", FALSE },
		{ "postgresql://db/postdesk?user=u&password=x", TRUE },
		{ "postgresql://db/postdesk?password=x", TRUE },
		{ "postgresql://[::1]:5432/postdesk", FALSE },
		{ "", FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		if (pd_secrets_conninfo_has_password(cases[i].conninfo) != cases[i].password)
			fail_msg("%s: got %d", cases[i].conninfo, !cases[i].password);
}

static void
test_secrets_in_keyfile(void **state)
{
	static const struct {
		const char *config;
		const char *secrets;	/* NULL: none */
	} cases[] = {
		{ HEAD, NULL },
		{ HEAD "[database]\nconninfo = dbname=postdesk\n", NULL },
		{ HEAD "[outbound]\ntoken_keys = k1 k2\n", "[outbound] token_keys" },
		{ HEAD "[outbound]\nrelay = smtp://x\npassword_file = /f\n", NULL },
		{ HEAD "[outbound]\npassword = x\ntoken_keys = k\n"
		  "[database]\nconninfo = password=x\n",
		  "[outbound] token_keys, [outbound] password, [database] conninfo password" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GKeyFile) kf = g_key_file_new();
		g_autofree char *got = NULL;

		assert_true(g_key_file_load_from_data(kf, cases[i].config, -1, 0, NULL));
		got = pd_secrets_in_keyfile(kf);
		if (g_strcmp0(got, cases[i].secrets) != 0)
			fail_msg("case %u: got %s", i, got != NULL ? got : "(none)");
	}
}

static char *
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = g_build_filename(dir, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* The modes: o+r or o+w exposes a secret, group access does not. */
/* [outbound] as lib/core sees it: keys it does not parse itself (lib/ticket
 * and lib/smtp declare them; only their presence matters here). */
typedef struct {
	char *token_keys, *password, *password_file;
} OutboundKeys;

static const PdSetting outbound_settings[] = {
	{ .key = "token_keys", .type = PD_SETTING_STRING,
	  .offset = G_STRUCT_OFFSET(OutboundKeys, token_keys) },
	{ .key = "password", .type = PD_SETTING_STRING,
	  .offset = G_STRUCT_OFFSET(OutboundKeys, password) },
	{ .key = "password_file", .type = PD_SETTING_STRING,
	  .offset = G_STRUCT_OFFSET(OutboundKeys, password_file) },
	{ NULL }
};

static const PdConfigTable outbound_table = {
	.section = "outbound", .size = sizeof(OutboundKeys), .settings = outbound_settings,
};

static const PdConfigTable *const outbound_tables[] = { &outbound_table, NULL };

static void
test_secrets_check(void **state)
{
	static const struct {
		const char *extra;	/* after HEAD; "@" stands for the secret file */
		mode_t config_mode, file_mode;
		const char *error;	/* NULL: fine */
	} cases[] = {
		{ "", 0644, 0644, NULL },				/* no secret */
		{ "[outbound]\ntoken_keys = k\n", 0640, 0644, NULL },
		{ "[outbound]\ntoken_keys = k\n", 0600, 0644, NULL },
		{ "[outbound]\ntoken_keys = k\n", 0644, 0600,
		  "holds [outbound] token_keys and is readable by every local user (mode 0644)" },
		{ "[outbound]\ntoken_keys = k\n", 0602, 0600, "is writable by every local user" },
		{ "[database]\nconninfo = host=db password=x\n", 0604, 0600,
		  "holds [database] conninfo password and is readable" },
		{ "[outbound]\npassword_file = @\n", 0644, 0640, NULL },
		{ "[outbound]\npassword_file = @\n", 0644, 0644,
		  "holds the [outbound] password_file secret and is readable" },
		{ "[outbound]\npassword_file = /nonexistent/pd\n", 0644, 0644, NULL },
		{ "[database]\nconninfo = host=db passfile=@\n", 0644, 0604,
		  "holds the [database] conninfo passfile passwords" },
	};
	g_autofree char *dir = g_dir_make_tmp("pd-secrets-XXXXXX", NULL);

	assert_non_null(dir);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *secret = write_file(dir, "secret", "x\n", cases[i].file_mode);
		g_auto(GStrv) parts = g_strsplit(cases[i].extra, "@", -1);
		g_autofree char *extra = g_strjoinv(secret, parts);
		g_autofree char *text = g_strconcat(HEAD, extra, NULL);
		g_autofree char *path = write_file(dir, "postdesk.conf", text,
						   cases[i].config_mode);
		g_autoptr(GError) error = NULL;
		g_autoptr(PdConfig) config = pd_config_load(path, outbound_tables, &error);
		gboolean ok;

		assert_non_null(config);
		ok = pd_secrets_check(config, &error);
		if (ok != (cases[i].error == NULL) ||
		    (!ok && strstr(error->message, cases[i].error) == NULL))
			fail_msg("case %u: %s", i, ok ? "accepted" : error->message);
		unlink(path);
		unlink(secret);
	}
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conninfo_password),
		cmocka_unit_test(test_secrets_in_keyfile),
		cmocka_unit_test(test_secrets_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
