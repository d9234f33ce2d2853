/* Unit tests for lib/jobs: [jobs] durations and settings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/pd-error.h"
#include "jobs/pd-jobs.h"
#include "settings/pd-settings.h"

static void
test_duration(void **state)
{
	static const struct { const char *text; gint64 seconds; } good[] = {
		{ "30d", 30 * 86400 }, { "12h", 43200 }, { "90m", 5400 }, { "45s", 45 },
		{ "2w", 14 * 86400 }, { "3600", 3600 }, { " 1D ", 86400 }, { "1s", 1 },
	};
	static const char *const bad[] = {
		"", "d", "0", "0d", "-1d", "1.5d", "30 days", "1y", "12hh", "99999999999d", NULL,
	};
	gint64 v;

	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		v = 0;
		assert_true(pd_jobs_parse_duration(good[i].text, &v));
		assert_int_equal(v, good[i].seconds);
	}
	for (guint i = 0; bad[i] != NULL; i++) {
		if (pd_jobs_parse_duration(bad[i], &v))
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_false(pd_jobs_parse_duration(NULL, &v));
}

static PdConfig *
config_try(const char *extra, GError **error_r)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	g_autofree char *text = g_strdup_printf(
		"[postdesk]\nconfig_version = 1\nhostname = postdesk.test\n\n"
		"[database]\nconninfo = dbname=none\n\n"
		"[queue billing]\naddresses = billing@example.com\npermission = billing\n\n"
		"[queue support]\naddresses = support@example.com, help@example.com\n\n%s", extra);
	int fd = g_file_open_tmp("pdtest-jobs-XXXXXX.conf", &path, &error);
	PdConfig *config;

	assert_true(fd >= 0);
	assert_true(g_file_set_contents(path, text, -1, &error));
	close(fd);
	config = pd_config_load(path, pd_settings_tables, &error);
	unlink(path);
	if (config == NULL && error_r == NULL)
		fail_msg("%s", error->message);
	if (error_r != NULL)
		*error_r = g_steal_pointer(&error);
	return config;
}

static PdConfig *
config_of(const char *extra)
{
	return config_try(extra, NULL);
}

static void
test_config(void **state)
{
	g_autoptr(GError) error = NULL;
	PdConfig *config;
	const PdJobsConfig *jc;

	(void)state;
	config = config_of("");
	jc = pd_jobs_config(config);
	assert_non_null(jc);
	assert_int_equal(jc->reminder_interval, 30 * 86400);
	assert_int_equal(jc->run_every, 3600);
	assert_true(jc->reminder_enabled && jc->expiry_enabled);
	assert_false(jc->outbound);
	assert_null(pd_jobs_welcome(jc));
	pd_config_unref(config);

	config = config_of("[outbound]\nrelay = smtp://127.0.0.1:25\n"
			   "from = Support <support@example.com>\n"
			   "bounce_address = bounces@example.com\n"
			   "token_keys = 0123456789abcdef0123\n"
			   "[jobs]\nreminder_interval = 2w\nrun_every = 10m\nexpiry = no\n");
	jc = pd_jobs_config(config);
	assert_int_equal(jc->reminder_interval, 14 * 86400);
	assert_int_equal(jc->run_every, 600);
	assert_false(jc->expiry_enabled);
	assert_non_null(pd_jobs_welcome(jc));
	assert_string_equal(pd_jobs_welcome(jc)->envelope_from, "bounces@example.com");
	/* the first queue that needs no permission */
	assert_string_equal(pd_jobs_welcome(jc)->write_to, "support@example.com");
	pd_config_unref(config);

	assert_null(config_try("[jobs]\nreminder_interval = monthly\n", &error));
	assert_true(g_error_matches(error, PD_ERROR, PD_ERROR_USAGE));
	assert_non_null(strstr(error->message, "reminder_interval"));
	g_clear_error(&error);

	assert_null(config_try("[jobs]\nexpiry = maybe\n", &error));
	assert_non_null(strstr(error->message, "expiry"));
	g_clear_error(&error);

	/* a broken [outbound] is refused when the configuration loads, for
	 * the jobs as for everything else (issue 9: validated once) */
	assert_null(config_try("[outbound]\nrelay = smtp://127.0.0.1:25\n[jobs]\nexpiry = off\n",
			       &error));
	assert_non_null(strstr(error->message, "[outbound] from is required"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
