/* Unit tests for lib/core: addresses, configuration, error mapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/pd-address.h"
#include "core/pd-config.h"
#include "core/pd-setting.h"
#include "core/pd-error.h"
#include "core/pd-json.h"

static void
test_address_canonical(void **state)
{
	static const struct {
		const char *in, *delim, *canonical, *sub;
	} cases[] = {
		{ "Alice@Example.COM", "+", "alice@example.com", NULL },
		{ "<support+billing@example.com>", "+", "support@example.com", "billing" },
		{ " bob+x+y@Example.org ", "+", "bob@example.org", "x+y" },
		{ "support+tag@example.com", NULL, "support+tag@example.com", NULL },
		{ "PostMaster", "+", "postmaster", NULL },
		{ "user@bücher.example", "+", "user@xn--bcher-kva.example", NULL },
		{ "+only@example.com", "+", "+only@example.com", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdAddress a;
		g_autofree char *c = NULL;

		assert_true(pd_address_parse(cases[i].in, cases[i].delim, &a, NULL));
		c = pd_address_canonical(&a);
		assert_string_equal(c, cases[i].canonical);
		if (cases[i].sub == NULL)
			assert_null(a.subaddress);
		else
			assert_string_equal(a.subaddress, cases[i].sub);
		pd_address_clear(&a);
	}
}

static void
test_address_invalid(void **state)
{
	static const char *const bad[] = {
		"", "@example.com", "user@", "user@exa mple.com", "a\r\nb@example.com",
		"<user@example.com", "user@-..com", "nobody", "user@ex<ample.com",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		PdAddress a;
		g_autoptr(GError) error = NULL;

		assert_false(pd_address_parse(bad[i], "+", &a, &error));
		assert_int_equal(error->code, PD_ERROR_PERMFAIL);
	}
}

static void
test_address_robot(void **state)
{
	assert_true(pd_address_is_robot("mailer-daemon@example.com"));
	assert_true(pd_address_is_robot("no-reply@example.com"));
	assert_true(pd_address_is_robot("owner-list@example.com"));
	assert_true(pd_address_is_robot("list-bounces@example.com"));
	assert_true(pd_address_is_robot(""));
	assert_false(pd_address_is_robot("alice@example.com"));
	assert_false(pd_address_is_robot("bounced-alice@example.com"));
}

static const char *const good_config =
	"[postdesk]\nconfig_version = 1\nhostname = h.test\n"
	"[lmtp]\nlisten = 127.0.0.1:2424, unix:/run/pd.sock\nmax_message_size = 10M\n"
	"[queue support]\naddresses = Support@Example.com, help@example.com\n"
	"[queue billing]\naddresses = billing@example.com\npermission = billing\n"
	"unknown_senders = known\nforward_to = Finance@Example.com\n";

static void
test_config_good(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = pd_config_load_data(good_config, NULL, &error);
	g_autofree char *sub = NULL;
	const PdQueueConfig *q;

	assert_non_null(config);
	assert_int_equal(config->lmtp_listen->len, 2);
	assert_int_equal(config->max_message_size, 10 * 1024 * 1024);
	assert_int_equal(config->db_timeout, 120);
	/* 6 x 10M is less than the 256M default */
	assert_int_equal(config->max_memory, 256 * 1024 * 1024);
	q = pd_config_queue_for(config, "support+urgent@EXAMPLE.com", &sub);
	assert_non_null(q);
	assert_string_equal(q->name, "support");
	assert_string_equal(sub, "urgent");
	q = pd_config_queue_for(config, "billing@example.com", NULL);
	assert_string_equal(q->name, "billing");
	assert_string_equal(q->permission, "billing");
	assert_int_equal(q->unknown_senders, PD_UNKNOWN_SENDERS_KNOWN);
	assert_string_equal(q->forward_to, "finance@example.com");
	q = pd_config_queue_for(config, "help@example.com", NULL);
	assert_null(q->permission);
	assert_int_equal(q->unknown_senders, PD_UNKNOWN_SENDERS_OPEN);
	assert_null(pd_config_queue_for(config, "nobody@example.com", NULL));
	assert_null(pd_config_queue_for(config, "not an address", NULL));
}

static void
test_config_bad(void **state)
{
	static const char *const bad[] = {
		"[postdesk]\n[queue a]\naddresses = a@b.c\n",		/* no version */
		"[postdesk]\nconfig_version = 2\n[queue a]\naddresses = a@b.c\n",
		"[postdesk]\nconfig_version = 1\n",			/* no queue */
		"[postdesk]\nconfig_version = 1\n[queue a]\naddresses = nope\n",
		"[postdesk]\nconfig_version = 1\n[queue a]\naddresses = a@b.c\n"
		"[queue b]\naddresses = A@B.C\n",			/* address twice */
		"[postdesk]\nconfig_version = 1\n[lmtp]\nmax_sessions = lots\n"
		"[queue a]\naddresses = a@b.c\n",
		"not an ini file",
		"[postdesk]\nconfig_version = 1\n[queue a]\naddresses = a@b.c\npermission = root\n",
		"[postdesk]\nconfig_version = 1\n[queue a]\naddresses = a@b.c\n"
		"unknown_senders = maybe\n",
		"[postdesk]\nconfig_version = 1\n[database]\ntimeout = 0\n"
		"[queue a]\naddresses = a@b.c\n",
		/* no room for one message of max_message_size (50M) */
		"[postdesk]\nconfig_version = 1\n[lmtp]\nmax_memory = 200M\n"
		"[queue a]\naddresses = a@b.c\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		PdConfig *config = pd_config_load_data(bad[i], NULL, &error);

		assert_null(config);
		assert_non_null(error);
		assert_int_equal(error->code, PD_ERROR_USAGE);
	}
}

/* [lmtp] max_memory by default holds one message of max_message_size. */
static void
test_config_max_memory(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = pd_config_load_data(
		"[postdesk]\nconfig_version = 1\n[queue a]\naddresses = a@b.c\n", NULL, &error);
	g_autoptr(PdConfig) big = pd_config_load_data(
		"[postdesk]\nconfig_version = 1\n[lmtp]\nmax_message_size = 100M\n"
		"[queue a]\naddresses = a@b.c\n", NULL, &error);

	assert_non_null(config);
	assert_int_equal(config->max_memory,
			 (guint64)PD_CONFIG_MEMORY_PER_BYTE * 50 * 1024 * 1024);
	assert_non_null(big);
	assert_int_equal(big->max_memory, (guint64)PD_CONFIG_MEMORY_PER_BYTE * 100 * 1024 * 1024);
}

/* A layer's table as the loader sees it: one yes/no key. */
typedef struct {
	gboolean k;
	gboolean missing;
} BoolLayer;

static const PdSetting bool_settings[] = {
	{ .key = "k", .type = PD_SETTING_BOOL, .offset = G_STRUCT_OFFSET(BoolLayer, k),
	  .def = "yes" },
	{ .key = "missing", .type = PD_SETTING_BOOL,
	  .offset = G_STRUCT_OFFSET(BoolLayer, missing), .def = "no" },
	{ NULL }
};

static const PdConfigTable bool_table = {
	.section = "s", .size = sizeof(BoolLayer), .settings = bool_settings,
};

static const PdConfigTable *const bool_tables[] = { &bool_table, NULL };

static void
test_config_bool(void **state)
{
	static const struct {
		const char *text;
		gboolean ok, value;
	} cases[] = {
		{ "yes", TRUE, TRUE }, { "No", TRUE, FALSE }, { "true", TRUE, TRUE },
		{ "OFF", TRUE, FALSE }, { "1", TRUE, TRUE }, { "0", TRUE, FALSE },
		{ " on ", TRUE, TRUE }, { "maybe", FALSE, TRUE }, { "", FALSE, TRUE },
	};
	static const PdSetting one[] = {
		{ .key = "k", .type = PD_SETTING_BOOL, .offset = 0, .def = "yes" }, { NULL }
	};
	static const PdConfigTable one_table = {
		.section = "s", .size = sizeof(BoolLayer), .settings = one,
	};
	static const PdConfigTable *const one_tables[] = { &one_table, NULL };

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("[postdesk]\nconfig_version = 1\n"
							"[queue a]\naddresses = a@b.c\n[s]\nk = %s\n",
							cases[i].text);
		g_autoptr(GError) error = NULL;
		g_autoptr(PdConfig) config = pd_config_load_data(text, one_tables, &error);
		gboolean value = config != NULL ? ((BoolLayer *)pd_config_layer(config, &one_table))->k
						: TRUE;

		assert_int_equal(config != NULL, cases[i].ok);
		assert_int_equal(value, cases[i].value);
		assert_true(cases[i].ok ? error == NULL : error->code == PD_ERROR_USAGE);
	}
	{
		g_autoptr(PdConfig) config = pd_config_load_data(
			"[postdesk]\nconfig_version = 1\n[queue a]\naddresses = a@b.c\n[s]\nk = yes\n",
			bool_tables, NULL);
		const BoolLayer *layer = pd_config_layer(config, &bool_table);

		/* a key the file leaves out has its default */
		assert_true(layer->k);
		assert_false(layer->missing);
	}
}

static void
test_json_string(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ NULL, "null" },
		{ "", "\"\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "l1\nl2\r\t", "\"l1\\nl2\\r\\t\"" },
		{ "\x01\x7f", "\"\\u0001\\u007f\"" },
		{ "Gr\xc3\xbc\xc3\x9f" "e", "\"Gr\xc3\xbc\xc3\x9f" "e\"" },
		{ "bad\xff", "\"bad\xef\xbf\xbd\"" },	/* repaired to U+FFFD */
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) out = g_string_new(NULL);

		pd_json_string(out, cases[i].in);
		assert_string_equal(out->str, cases[i].out);
	}
}

/* The writer puts commas and keys where they belong, nests, and escapes
 * every string it writes (keys too). */
static void
test_json_writer(void **state)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GPtrArray) strings = g_ptr_array_new();
	PdJson json;

	g_ptr_array_add(strings, "a");
	g_ptr_array_add(strings, NULL);
	pd_json_init(&json, out);
	pd_json_begin_object(&json, NULL);
	pd_json_add_string(&json, "s", "x\"y");
	pd_json_add_int(&json, "n", -42);
	pd_json_add_bool(&json, "t", TRUE);
	pd_json_add_null(&json, "z");
	pd_json_add_raw(&json, "raw", "{\"k\":1}");
	pd_json_add_raw(&json, "none", NULL);
	pd_json_add_strings(&json, "list", strings);
	pd_json_add_strings(&json, "empty", NULL);
	pd_json_begin_array(&json, "objects");
	pd_json_begin_object(&json, NULL);
	pd_json_add_string(&json, "k\n", NULL);
	pd_json_end_object(&json);
	pd_json_begin_object(&json, NULL);
	pd_json_end_object(&json);
	pd_json_end_array(&json);
	pd_json_end_object(&json);
	assert_int_equal(json.depth, 0);
	assert_string_equal(out->str,
			    "{\"s\": \"x\\\"y\", \"n\": -42, \"t\": true, \"z\": null, "
			    "\"raw\": {\"k\":1}, \"none\": null, \"list\": [\"a\", null], "
			    "\"empty\": [], \"objects\": [{\"k\\n\": null}, {}]}");
}

static void
test_error_mapping(void **state)
{
	g_autoptr(GError) temp = g_error_new(PD_ERROR, PD_ERROR_TEMPFAIL, "db down\r\n250 ok");
	g_autoptr(GError) perm = g_error_new(PD_ERROR, PD_ERROR_PERMFAIL, "too big");
	g_autofree char *r1 = pd_error_to_smtp_reply(temp);
	g_autofree char *r2 = pd_error_to_smtp_reply(perm);

	/* a temporary failure's text stays in the log: it may quote the
	 * database (issue 8) */
	assert_string_equal(r1, "451 4.3.0 Temporary local problem, please try again later");
	assert_string_equal(r2, "550 5.6.0 too big");
	assert_int_equal(pd_error_to_sysexit(temp), 75);
	assert_int_equal(pd_error_to_sysexit(perm), 65);
	assert_int_equal(pd_error_to_sysexit(NULL), 0);

	/* a filter rule's reject (RFC 5429 2.1): 5.7.1 with its reason */
	{
		g_autoptr(GError) rej = g_error_new(PD_ERROR, PD_ERROR_REJECTED, "no thanks");
		g_autofree char *r3 = pd_error_to_smtp_reply(rej);

		assert_string_equal(r3, "550 5.7.1 no thanks");
		assert_int_equal(pd_error_to_sysexit(rej), 77);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_canonical),
		cmocka_unit_test(test_address_invalid),
		cmocka_unit_test(test_address_robot),
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_max_memory),
		cmocka_unit_test(test_config_bool),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_error_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
