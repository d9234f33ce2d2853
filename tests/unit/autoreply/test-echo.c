/* Unit tests for ticket/pd-echo: what an acknowledgement may echo of an
 * unauthenticated sender's mail (issue 8, item 6), one row per rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>

#include "ticket/pd-echo.h"

static void
test_echo_table(void **state)
{
	g_autofree char *a100 = g_strnfill(100, 'a');
	g_autofree char *a80 = g_strnfill(80, 'a');
	g_autofree char *a80_cut = g_strconcat(a80, "…", NULL);
	g_autoptr(GString) e100 = g_string_new(NULL), e80 = g_string_new(NULL);
	g_autofree char *x75 = g_strnfill(75, 'x');
	g_autofree char *x75_url = g_strconcat(x75, " http://evil.example", NULL);
	g_autofree char *x75_cut = g_strconcat(x75, " http…", NULL);

	for (int i = 0; i < 100; i++) {
		g_string_append(e100, "é");
		if (i < 80)
			g_string_append(e80, "é");
	}
	g_string_append(e80, "…");
	const struct {
		const char *in, *want;
	} cases[] = {
		{ "Printer on fire", "Printer on fire" },
		{ NULL, "" },
		/* schemes */
		{ "Visit http://evil.example/x now", "Visit hxxp[:]//evil[.]example/x now" },
		{ "HTTPS://Evil.Example", "hxxps[:]//Evil[.]Example" },
		{ "ftp://files.evil.example", "fxp[:]//files[.]evil[.]example" },
		{ "javascript://x", "javascript[:]//x" },
		{ "mailto:x@y.zz", "mailto[:]x@y[.]zz" },
		/* bare host names and addresses */
		{ "www.evil.example", "www[.]evil[.]example" },
		{ "write to bill@evil.example.", "write to bill@evil[.]example." },
		{ "evil\xe3\x80\x82" "example", "evil[.]example" },	/* U+3002 */
		{ "evil\xef\xbc\x8e" "example", "evil[.]example" },	/* U+FF0E */
		/* not host names: stay */
		{ "version 3.5, e.g. 1.2.3.4", "version 3.5, e.g. 1.2.3.4" },
		{ "a.b and end.", "a.b and end." },
		{ "...dots... .com", "...dots... .com" },
		/* invisible characters */
		{ "left\xe2\x80\xaeright", "left right" },		/* U+202E */
		{ "tab\there", "tab here" },
		/* 80 characters, on a character boundary */
		{ a100, a80_cut },
		{ a80, a80 },
		{ e100->str, e80->str },
		/* cut before the URL is whole: nothing left to click */
		{ x75_url, x75_cut },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = pd_echo_text(cases[i].in, PD_ECHO_MAX_CHARS);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %u: got \"%s\", want \"%s\"", i, got, cases[i].want);
		if (!g_utf8_validate(got, -1, NULL))
			fail_msg("case %u: not UTF-8", i);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule ack-echo: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
