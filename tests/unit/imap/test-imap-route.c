/* test-imap-route: the recipient of a mail from a mailbox without queue =
 * (imap/pd-imap-route.c), as a table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "imap/pd-imap-route.h"
#include "settings/pd-settings.h"

static const char config_text[] =
	"[postdesk]\nconfig_version = 1\n[database]\nconninfo = dbname=x\n"
	"[queue support]\naddresses = support@example.com, help@example.com\n"
	"[queue billing]\naddresses = billing@example.com\n";

static const struct {
	const char *why;
	const char *headers;	/* the header block, CRLF, no end line */
	const char *want;	/* NULL: none */
} cases[] = {
	{ "To a queue", "To: Support <support@example.com>\r\n", "support@example.com" },
	{ "Delivered-To first, whatever To says",
	  "Delivered-To: billing@example.com\r\nTo: support@example.com\r\n",
	  "billing@example.com" },
	{ "the top Delivered-To that a queue has (a forwarder's own below)",
	  "Delivered-To: help@example.com\r\nDelivered-To: alias@elsewhere.test\r\n",
	  "help@example.com" },
	{ "a Delivered-To no queue has: on to the next",
	  "Delivered-To: staff@example.com\r\nDelivered-To: billing@example.com\r\n",
	  "billing@example.com" },
	{ "X-Original-To when no Delivered-To has a queue",
	  "Delivered-To: mailbox@provider.test\r\nX-Original-To: billing@example.com\r\n"
	  "To: support@example.com\r\n", "billing@example.com" },
	{ "Cc when To has none", "To: someone@else.test\r\nCc: Billing <billing@example.com>\r\n",
	  "billing@example.com" },
	{ "the second To address", "To: a@else.test, help@example.com\r\n", "help@example.com" },
	{ "case and +tag as LMTP routing has them", "To: SUPPORT+urgent@Example.COM\r\n",
	  "SUPPORT+urgent@Example.COM" },
	{ "Bcc'd: nothing names a queue", "To: someone@else.test\r\n", NULL },
	{ "no addresses at all", "Subject: hello\r\n", NULL },
	{ "a Delivered-To in the body does not count",
	  "To: someone@else.test\r\n\r\nDelivered-To: support@example.com", NULL },
};

static void
test_table(void **state)
{
	g_autoptr(GError) error = NULL;
	PdConfig *config = pd_config_load_data(config_text, pd_settings_tables, &error);
	PdMailLimits limits = { .max_depth = 20, .max_parts = 100, .max_headers = 1000,
				.max_header_bytes = 65536 };
	int bad = 0;

	(void)state;
	assert_non_null(config);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = strstr(cases[i].headers, "\r\n\r\n") != NULL
			? g_strdup(cases[i].headers)
			: g_strconcat(cases[i].headers, "From: a@b.test\r\n\r\nbody\r\n", NULL);
		g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
		g_autoptr(PdMail) mail = pd_mail_parse(raw, &limits, NULL);
		g_autofree char *got = pd_imap_route(config, (const guint8 *)text, strlen(text), mail);

		if (g_strcmp0(got, cases[i].want) != 0) {
			printf("case %zu (%s): got %s, want %s\n", i, cases[i].why,
			       got != NULL ? got : "none", cases[i].want != NULL ? cases[i].want
										: "none");
			bad++;
		}
	}
	pd_config_unref(config);
	assert_int_equal(bad, 0);
	printf("rule imap-route: %zu cases\n", G_N_ELEMENTS(cases));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
