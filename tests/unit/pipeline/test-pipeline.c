/* Unit tests: the listener settings (lib/core/pd-listen), the reply lines
 * of pipeline outcomes, and pd_pipeline_explain() without a database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "settings/pd-settings.h"
#include "core/pd-error.h"
#include "core/pd-listen.h"
#include "pipeline/pd-pipeline.h"

static PdConfig *
config_try(const char *lmtp_extra, GError **error)
{
	g_autofree char *text = g_strdup_printf(
		"[postdesk]\nconfig_version = 1\nhostname = t.test\n"
		"[lmtp]\n%s\n[queue support]\naddresses = support@example.com\n", lmtp_extra);

	return pd_config_load_data(text, pd_settings_tables, error);
}

static PdConfig *
config_with(const char *lmtp_extra)
{
	g_autoptr(GError) error = NULL;
	PdConfig *config = config_try(lmtp_extra, &error);

	assert_non_null(config);
	return config;
}

static void
test_listen_parse(void **state)
{
	static const struct {
		const char *spec;
		gboolean ok;
		PdListenKind kind;
		const char *host, *port, *path;
	} cases[] = {
		{ "127.0.0.1:2424", TRUE, PD_LISTEN_TCP, "127.0.0.1", "2424", NULL },
		{ "[::1]:24", TRUE, PD_LISTEN_TCP, "::1", "24", NULL },
		{ "*:24", TRUE, PD_LISTEN_TCP, NULL, "24", NULL },
		{ "localhost:0", TRUE, PD_LISTEN_TCP, "localhost", "0", NULL },
		{ "unix:/run/postdesk/lmtp", TRUE, PD_LISTEN_UNIX, NULL, NULL, "/run/postdesk/lmtp" },
		{ "unix:relative", FALSE, 0, NULL, NULL, NULL },
		{ "host", FALSE, 0, NULL, NULL, NULL },
		{ ":24", FALSE, 0, NULL, NULL, NULL },
		{ "1.2.3.4:65536", FALSE, 0, NULL, NULL, NULL },
		{ "1.2.3.4:http", FALSE, 0, NULL, NULL, NULL },
		{ "[::1]24", FALSE, 0, NULL, NULL, NULL },
		{ "[nonsense]:24", FALSE, 0, NULL, NULL, NULL },
		{ "::1:24", FALSE, 0, NULL, NULL, NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdListenAddress address;
		g_autoptr(GError) error = NULL;
		gboolean ok = pd_listen_parse(cases[i].spec, &address, &error);

		if (ok != cases[i].ok)
			fail_msg("%s: got %d", cases[i].spec, ok);
		if (!ok) {
			assert_true(g_error_matches(error, PD_ERROR, PD_ERROR_USAGE));
			continue;
		}
		assert_int_equal(address.kind, cases[i].kind);
		assert_true(g_strcmp0(address.host, cases[i].host) == 0);
		assert_true(g_strcmp0(address.port, cases[i].port) == 0);
		assert_true(g_strcmp0(address.path, cases[i].path) == 0);
		pd_listen_address_clear(&address);
	}
}

/* The [lmtp] listener keys are checked when the configuration loads. */
static void
test_listen_config(void **state)
{
	g_autoptr(PdConfig) good = config_with("xforward_hosts = 127.0.0.1 10.0.0.0/8 ::1\n"
					       "socket_mode = 0620");
	g_autoptr(GError) error = NULL;

	assert_int_equal(good->socket_mode, 0620);
	assert_true(pd_listen_xforward_allowed(good, "127.0.0.1"));
	assert_true(pd_listen_xforward_allowed(good, "::ffff:127.0.0.1"));
	assert_true(pd_listen_xforward_allowed(good, "10.200.3.4"));
	assert_true(pd_listen_xforward_allowed(good, "::1"));
	assert_false(pd_listen_xforward_allowed(good, "127.0.0.2"));
	assert_false(pd_listen_xforward_allowed(good, "192.0.2.1"));
	assert_false(pd_listen_xforward_allowed(good, "garbage"));

	assert_null(config_try("socket_mode = 999", &error));
	assert_non_null(strstr(error->message, "socket_mode"));
	g_clear_error(&error);
	assert_null(config_try("xforward_hosts = 127.0.0.1 nope", &error));
	assert_non_null(strstr(error->message, "nope"));
	g_clear_error(&error);
	assert_null(config_try("listen = 127.0.0.1:24, unix:x", &error));
	assert_non_null(strstr(error->message, "unix:x"));
}

/* Who gets XFORWARD trust (issue 8): nobody unless named; unix-socket
 * peers by uid or gid; a socket every local user may connect to is refused. */
static void
test_listen_xforward_trust(void **state)
{
	static const struct {
		const char *lmtp;
		const char *error;	/* NULL: valid */
	} checks[] = {
		{ "", NULL },
		{ "socket_mode = 0660\nsocket_group = 0", NULL },
		{ "socket_mode = 0666", "lets every local user connect" },
		{ "socket_mode = 0602", "lets every local user connect" },
		{ "socket_mode = 0777", "lets every local user connect" },
		{ "socket_group = no-such-group-pd", "socket_group: no group" },
		{ "socket_owner = nobody\nsocket_mode = 0600", NULL },
		{ "socket_owner = 65534", NULL },
		{ "socket_owner = no-such-user-pd", "socket_owner: no user" },
		{ "xforward_users = root, 4242", NULL },
		{ "xforward_users = no-such-user-pd", "xforward_users: no user" },
		{ "xforward_groups = root 4243", NULL },
		{ "xforward_groups = no-such-group-pd", "xforward_groups: no group" },
	};
	static const struct {
		const char *lmtp;
		guint uid, gid;
		gboolean trusted;
	} peers[] = {
		{ "", 0, 0, FALSE },			/* not even root by default */
		{ "xforward_users = root", 0, 4243, TRUE },
		{ "xforward_users = root", 4242, 0, FALSE },
		{ "xforward_users = 4242", 4242, 1, TRUE },
		{ "xforward_groups = 4243", 4242, 4243, TRUE },
		{ "xforward_groups = root", 4242, 4243, FALSE },
		{ "xforward_users = 4242\nxforward_groups = 4243", 1, 4243, TRUE },
		{ "xforward_users = 4242\nxforward_groups = 4243", 1, 1, FALSE },
	};
	g_autoptr(PdConfig) none = config_with("");

	/* Loopback is no credential: any local user reaches it. */
	assert_false(pd_listen_xforward_allowed(none, "127.0.0.1"));
	assert_false(pd_listen_xforward_allowed(none, "::1"));
	for (guint i = 0; i < G_N_ELEMENTS(checks); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdConfig) config = config_try(checks[i].lmtp, &error);
		gboolean ok = config != NULL;

		if (ok != (checks[i].error == NULL) ||
		    (!ok && strstr(error->message, checks[i].error) == NULL))
			fail_msg("%s: %s", checks[i].lmtp, ok ? "accepted" : error->message);
	}
	for (guint i = 0; i < G_N_ELEMENTS(peers); i++) {
		g_autoptr(PdConfig) config = config_with(peers[i].lmtp);

		if (pd_listen_xforward_peer_allowed(config, peers[i].uid, peers[i].gid) !=
		    peers[i].trusted)
			fail_msg("%s: uid %u gid %u", peers[i].lmtp, peers[i].uid, peers[i].gid);
	}
}

static void
test_outcome_reply(void **state)
{
	PdRecipientOutcome outcome = { 0 };
	g_autofree char *ok = NULL, *dup = NULL, *unknown = NULL, *temp = NULL, *longer = NULL;
	g_autoptr(GString) big = g_string_new("refused: ");

	outcome.result.ticket_number = 10042;
	ok = pd_recipient_outcome_reply(&outcome);
	assert_string_equal(ok, "250 2.0.0 Ok: ticket 10042");
	outcome.result.duplicate = TRUE;
	dup = pd_recipient_outcome_reply(&outcome);
	assert_string_equal(dup, "250 2.0.0 Ok: already stored, ticket 10042");

	pd_pipeline_set_unknown_recipient(&outcome.error);
	unknown = pd_recipient_outcome_reply(&outcome);
	assert_string_equal(unknown, "550 5.1.1 Recipient address rejected: unknown queue");
	assert_int_equal(pd_error_to_sysexit(outcome.error), PD_EX_NOUSER);
	g_clear_error(&outcome.error);

	/* the database's words never reach the peer (issue 8) */
	g_set_error(&outcome.error, PD_ERROR, PD_ERROR_TEMPFAIL,
		    "database error (pd_deliver): ERROR:  invalid byte sequence for encoding");
	temp = pd_recipient_outcome_reply(&outcome);
	assert_string_equal(temp, "451 4.3.0 Temporary local problem, please try again later");
	g_clear_error(&outcome.error);

	/* a long policy reason is cut, on a character boundary, to 200 bytes */
	for (guint i = 0; i < 100; i++)
		g_string_append(big, "é context ");
	g_set_error_literal(&outcome.error, PD_ERROR, PD_ERROR_PERMFAIL, big->str);
	longer = pd_recipient_outcome_reply(&outcome);
	assert_true(strlen(longer) <= 203);
	assert_true(g_str_has_prefix(longer, "550 5.6.0 refused: "));
	assert_true(g_str_has_suffix(longer, "..."));
	assert_true(g_utf8_validate(longer, -1, NULL));
	pd_recipient_outcome_clear(&outcome);
}

static void
test_explain_no_database(void **state)
{
	static const char mail[] =
		"From: \"Zo\\\"e\" <zoe@customer.test>\r\nTo: support@example.com\r\n"
		"Subject: tab\there \\ back\r\nMessage-ID: <x.1@customer.test>\r\n"
		"In-Reply-To: <x.0@customer.test>\r\n\r\nbell\a and \x1b\r\n";
	g_autoptr(PdConfig) config = config_with("");
	g_autoptr(PdEnvelope) envelope = pd_envelope_new("test");
	g_autoptr(GBytes) raw = g_bytes_new_static(mail, sizeof(mail) - 1);
	g_autoptr(GError) error = NULL;
	g_autofree char *json = NULL, *text = NULL;

	json = pd_pipeline_explain(config, NULL, envelope, raw, TRUE, &error);
	assert_non_null(json);
	assert_true(json[0] == '{');
	assert_non_null(strstr(json, "\"subject\":\"tab here \\\\ back\""));	/* unfolded */
	assert_non_null(strstr(json, "\"name\":\"Zo\\\"e\""));
	assert_non_null(strstr(json, "\\u0007"));
	assert_non_null(strstr(json, "\\u001b"));
	assert_non_null(strstr(json, "\"recipient\":\"support@example.com\""));
	assert_non_null(strstr(json, "\"queue\":\"support\""));
	assert_non_null(strstr(json, "\"thread\":{\"decision\":\"unknown\",\"ticket\":null,"
				     "\"reason\":\"no database\"}"));
	assert_non_null(strstr(json, "\"thread_candidates\":[\"x.0@customer.test\"]"));
	assert_non_null(strstr(json, "\"stored\":false}"));
	/* no raw control character escapes into the JSON */
	for (const char *p = json; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			fail_msg("raw control character 0x%02x in JSON", *p);

	pd_envelope_add_recipient(envelope, "nobody@example.com");
	text = pd_pipeline_explain(config, NULL, envelope, raw, FALSE, &error);
	assert_non_null(text);
	assert_non_null(strstr(text, "Recipient:       nobody@example.com"));
	assert_non_null(strstr(text, "(none: 550 5.1.1 unknown queue)"));
	assert_non_null(strstr(text, "unknown (no database)"));
	assert_non_null(strstr(text, "Nothing was stored."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_listen_config),
		cmocka_unit_test(test_listen_xforward_trust),
		cmocka_unit_test(test_outcome_reply),
		cmocka_unit_test(test_explain_no_database),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
