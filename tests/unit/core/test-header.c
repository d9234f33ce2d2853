/* Unit tests for core/pd-header: the raw header block split as GMime 3.2
 * splits it (gmime-parser.c), one table row per rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/pd-header.h"

/* Each field as "Name" (valid) or "!first line" (dropped by GMime), joined
 * by '|', then "#" and the body. */
static char *
describe(const char *data)
{
	GString *out = g_string_new(NULL);
	PdHeaderScan scan;
	PdHeaderField f;

	pd_header_scan_init(&scan, data, strlen(data));
	while (pd_header_scan_next(&scan, &f)) {
		if (out->len > 0)
			g_string_append_c(out, '|');
		if (f.valid) {
			g_string_append_len(out, f.name, f.name_len);
		} else {
			const char *nl = memchr(f.start, '\n', f.end - f.start);

			g_string_append_c(out, '!');
			g_string_append_len(out, f.start, (nl != NULL ? nl : f.end) - f.start);
		}
	}
	g_string_append_printf(out, "#%s%s", scan.body, scan.unterminated ? " (unterminated)" : "");
	return g_string_free(out, FALSE);
}

static void
test_header_split(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "From: a@b\nTo: c@d\n\nbody\n", "From|To#body\n" },
		{ "From: a@b\r\nTo: c@d\r\n\r\nbody", "From|To#body" },
		/* blanks between the name and the colon are not part of the name */
		{ "From : a\nFrom\t: b\nFROM  :c\n\nx", "From|From|FROM#x" },
		/* a blank inside a name, a control character, an empty name: dropped */
		{ "To: t\nFrom x: a\nFr\x01om: b\n: c\nFrom\x7f: d\n\nx",
		  "To|!From x: a|!Fr\x01om: b|!: c|!From\x7f: d#x" },
		/* ... and their continuation lines with them; the block goes on */
		{ "To: t\nnot a header\n From: hidden\nFrom: a\n\nx",
		  "To|!not a header|From#x" },
		/* continuation lines belong to the field above */
		{ "Subject: a\n b\n\tc\nFrom: d\n\nx", "Subject|From#x" },
		/* mbox markers before the first field are skipped */
		{ "From bill@acme.test Mon Jan 1\n>From x\nTo: t\n\nx", "To#x" },
		/* ... but `From :` is a field, not an mbox marker */
		{ "From : Bill <bill@acme.test>\nFrom: eve@evil.test\n\nx", "From|From#x" },
		/* any other invalid first line ends the block (GMime finds no message) */
		{ "hello world\nFrom: a\n\nx", "#hello world\nFrom: a\n\nx (unterminated)" },
		{ " From: a\n\nx", "# From: a\n\nx (unterminated)" },
		/* no empty line: everything is header */
		{ "From: a\nTo: b", "From|To#" },
		{ "", "#" },
		{ "\nbody", "#body" },
		/* a line of blanks is a continuation, not the end */
		{ "A: 1\n \nB: 2\n\nx", "A|B#x" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = describe(cases[i].in);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %u: got \"%s\", want \"%s\"", i, got, cases[i].want);
	}
}

static void
test_header_looks_like(void **state)
{
	static const struct {
		const char *in;
		guint from;	/* fields that look like From */
		guint valid;	/* ... of which valid From fields */
	} cases[] = {
		{ "From: a\n\n", 1, 1 },
		{ "From : a\nfrom:b\nFROM\t\t: c\n\n", 3, 3 },
		{ "To: t\nFrom\x01: a\n\n", 1, 0 },		/* GMime drops it, a reader might not */
		{ "To: t\n  From: a\n\n", 0, 0 },		/* a continuation of To */
		{ "To: t\nFrom x: a\nFromage: b\nFrom-X: c\n\n", 0, 0 },
		{ "To: t\n\nFrom: in the body\n", 0, 0 },
		{ "From : Bill <bill@acme.test>\nFrom: eve@evil.test\n\n", 2, 2 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdHeaderScan scan;
		PdHeaderField f;
		guint valid = 0;

		pd_header_scan_init(&scan, cases[i].in, strlen(cases[i].in));
		while (pd_header_scan_next(&scan, &f))
			valid += pd_header_field_is(&f, "From");
		if (pd_header_count_like(cases[i].in, strlen(cases[i].in), "From", 100) != cases[i].from ||
		    valid != cases[i].valid)
			fail_msg("case %u: %u/%u From fields, want %u/%u", i,
				 pd_header_count_like(cases[i].in, strlen(cases[i].in), "From", 100),
				 valid, cases[i].from, cases[i].valid);
	}
}

static void
test_header_unfold(void **state)
{
	const char *in = "Received: from a [192.0.2.1]\r\n\tby mx.test;\r\n  Mon\r\n\r\n";
	PdHeaderScan scan;
	PdHeaderField f;
	g_autofree char *value = NULL;

	pd_header_scan_init(&scan, in, strlen(in));
	assert_true(pd_header_scan_next(&scan, &f));
	assert_true(pd_header_field_is(&f, "received"));
	value = pd_header_field_unfold(&f);
	assert_string_equal(value, "from a [192.0.2.1] by mx.test; Mon");
	assert_false(pd_header_scan_next(&scan, &f));
	assert_string_equal(scan.body, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_split),
		cmocka_unit_test(test_header_looks_like),
		cmocka_unit_test(test_header_unfold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
