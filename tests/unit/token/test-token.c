/* Unit tests for lib/ticket/pd-token: signed reply addresses and
 * Message-IDs, and every way a token can be refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/pd-error.h"
#include "ticket/pd-token.h"

#define KEY_A "first-secret-key-0123456789abcdef"
#define KEY_B "second-secret-key-fedcba9876543210"

static PdTokenKeys *
keys_of(const char *k1, const char *k2)
{
	const char *list[] = { k1, k2, NULL };
	PdTokenKeys *keys = pd_token_keys_new(list, NULL);

	assert_non_null(keys);
	return keys;
}

/* The token part of "support+t-TOKEN@example.com". */
static char *
token_of(const char *address)
{
	const char *start = strstr(address, "+t-");
	const char *at = strchr(address, '@');

	assert_non_null(start);
	return g_strndup(start + 3, at - start - 3);
}

static void
test_reply_roundtrip(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	static const gint64 tickets[] = { 0, 1, 127, 128, 10042, 1234567, G_MAXINT64 };

	for (guint i = 0; i < G_N_ELEMENTS(tickets); i++) {
		g_autofree char *addr = pd_token_reply_address(keys, "Support@Example.com", tickets[i],
							       "Alice@Customer.test", NULL);
		g_autofree char *token = token_of(addr);
		PdTokenInfo info;

		assert_true(g_str_has_prefix(addr, "support+t-"));
		assert_true(g_str_has_suffix(addr, "@example.com"));
		/* short, lower-case base32: survives case folding, fits a local part */
		assert_true(strlen(addr) - strlen("@example.com") <= 64);
		for (const char *p = token; *p; p++)
			assert_true(strchr("abcdefghijklmnopqrstuvwxyz234567", *p) != NULL);
		assert_int_equal(pd_token_verify_reply_address(keys, addr, "alice@customer.test", &info),
				 PD_TOKEN_VALID);
		assert_true(info.ticket_id == tickets[i]);
		assert_int_equal(info.key_index, 0);
	}
}

static void
test_reply_length(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autofree char *addr = pd_token_reply_address(keys, "support@example.com", 123456,
						       "alice@customer.test", NULL);
	g_autofree char *token = token_of(addr);

	/* 3-byte ticket id + 1 + 4 + 10 MAC bytes = 18 bytes = 29 chars */
	assert_int_equal(strlen(token), 29);
}

static void
test_altered_token(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autofree char *addr = pd_token_reply_address(keys, "support@example.com", 4242,
						       "alice@customer.test", NULL);
	char *t = strstr(addr, "+t-") + 3;
	gsize n = strchr(addr, '@') - t;

	/* every single-character change is refused */
	for (gsize i = 0; i < n; i++) {
		const char orig = t[i];

		for (const char *c = "abcdefghijklmnopqrstuvwxyz234567"; *c; c++) {
			PdTokenVerdict v;

			if (*c == orig)
				continue;
			t[i] = *c;
			v = pd_token_verify_reply_address(keys, addr, "alice@customer.test", NULL);
			assert_true(v == PD_TOKEN_FORGED || v == PD_TOKEN_MALFORMED);
		}
		t[i] = orig;
	}
	assert_int_equal(pd_token_verify_reply_address(keys, addr, "alice@customer.test", NULL),
			 PD_TOKEN_VALID);
}

static void
test_truncated_and_garbage(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autofree char *addr = pd_token_reply_address(keys, "support@example.com", 7,
						       "alice@customer.test", NULL);
	g_autofree char *token = token_of(addr);
	static const char *const bad[] = { "", "!!!!", "0189", "a", "abcdefgh" };

	for (gsize cut = 1; cut < strlen(token); cut++) {
		g_autofree char *a = g_strdup_printf("support+t-%.*s@example.com", (int)cut, token);
		PdTokenVerdict v = pd_token_verify_reply_address(keys, a, "alice@customer.test", NULL);

		assert_true(v == PD_TOKEN_FORGED || v == PD_TOKEN_MALFORMED);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *a = g_strdup_printf("support+t-%s@example.com", bad[i]);
		PdTokenVerdict v = pd_token_verify_reply_address(keys, a, "alice@customer.test", NULL);

		assert_true(v == PD_TOKEN_MALFORMED || v == PD_TOKEN_ABSENT);
	}
	{
		g_autofree char *a = g_strdup_printf("support+t-%sa@example.com", token);
		PdTokenVerdict v = pd_token_verify_reply_address(keys, a, "alice@customer.test", NULL);

		assert_true(v == PD_TOKEN_FORGED || v == PD_TOKEN_MALFORMED);
	}
}

static void
test_wrong_key_and_rotation(void **state)
{
	g_autoptr(PdTokenKeys) old = keys_of(KEY_A, NULL);
	g_autoptr(PdTokenKeys) other = keys_of(KEY_B, NULL);
	g_autoptr(PdTokenKeys) rotated = keys_of(KEY_B, KEY_A);
	g_autofree char *addr = pd_token_reply_address(old, "support@example.com", 99,
						       "alice@customer.test", NULL);
	g_autofree char *fresh = pd_token_reply_address(rotated, "support@example.com", 99,
							"alice@customer.test", NULL);
	PdTokenInfo info;

	assert_int_equal(pd_token_verify_reply_address(other, addr, "alice@customer.test", &info),
			 PD_TOKEN_FORGED);
	assert_true(info.ticket_id == 0);
	/* after rotation: old tokens still verify, with the retired key */
	assert_int_equal(pd_token_verify_reply_address(rotated, addr, "alice@customer.test", &info),
			 PD_TOKEN_VALID);
	assert_int_equal(info.key_index, 1);
	assert_true(info.ticket_id == 99);
	/* new tokens are signed with the first key only */
	assert_string_not_equal(addr, fresh);
	assert_int_equal(pd_token_verify_reply_address(rotated, fresh, "alice@customer.test", &info),
			 PD_TOKEN_VALID);
	assert_int_equal(info.key_index, 0);
	assert_int_equal(pd_token_verify_reply_address(old, fresh, "alice@customer.test", NULL),
			 PD_TOKEN_FORGED);
}

static void
test_other_recipient(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autofree char *addr = pd_token_reply_address(keys, "support@example.com", 555,
						       "alice@customer.test", NULL);
	PdTokenInfo info;

	/* the ticket trick / a forwarded mail: authentic token, wrong sender */
	assert_int_equal(pd_token_verify_reply_address(keys, addr, "mallory@evil.test", &info),
			 PD_TOKEN_OTHER_RECIPIENT);
	assert_true(info.ticket_id == 555);
	assert_int_equal(pd_token_verify_reply_address(keys, addr, "alice+x@customer.test", NULL),
			 PD_TOKEN_OTHER_RECIPIENT);
	assert_int_equal(pd_token_verify_reply_address(keys, addr, NULL, NULL),
			 PD_TOKEN_OTHER_RECIPIENT);
	assert_int_equal(pd_token_verify_reply_address(keys, addr, "", NULL),
			 PD_TOKEN_OTHER_RECIPIENT);
	/* the sender compares canonically (domain and local part case) */
	assert_int_equal(pd_token_verify_reply_address(keys, addr, "<ALICE@customer.TEST>", NULL),
			 PD_TOKEN_VALID);
}

static void
test_case_folded(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autofree char *addr = pd_token_reply_address(keys, "support@example.com", 31337,
						       "alice@customer.test", NULL);
	g_autofree char *upper = g_ascii_strup(addr, -1);
	g_autofree char *bracketed = g_strdup_printf("<%s>", upper);
	PdTokenInfo info;

	assert_int_equal(pd_token_verify_reply_address(keys, upper, "alice@customer.test", &info),
			 PD_TOKEN_VALID);
	assert_true(info.ticket_id == 31337);
	assert_int_equal(pd_token_verify_reply_address(keys, bracketed, "alice@customer.test", NULL),
			 PD_TOKEN_VALID);
}

static void
test_replayed_elsewhere(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autofree char *addr = pd_token_reply_address(keys, "support@example.com", 8,
						       "alice@customer.test", NULL);
	g_autofree char *token = token_of(addr);
	g_autofree char *moved = g_strdup_printf("billing+t-%s@example.com", token);
	g_autofree char *mid = pd_token_message_id(keys, 8, 77, "alice@customer.test",
						   "postdesk.test", NULL);
	g_autofree char *as_reply = NULL;
	g_autofree char *as_mid = g_strdup_printf("<pd.%s@postdesk.test>", token);
	PdTokenInfo info;

	/* a token taken from support@ and sent to billing@ */
	assert_int_equal(pd_token_verify_reply_address(keys, moved, "alice@customer.test", &info),
			 PD_TOKEN_OTHER_ADDRESS);
	assert_true(info.ticket_id == 8);
	/* a Message-ID token turned into a reply address, and back */
	as_reply = g_strdup_printf("support+t-%.*s@example.com",
				   (int)(strchr(mid, '@') - mid - 3), mid + 3);
	assert_int_equal(pd_token_verify_reply_address(keys, as_reply, "alice@customer.test", NULL),
			 PD_TOKEN_WRONG_PURPOSE);
	assert_int_equal(pd_token_verify_message_id(keys, as_mid, "alice@customer.test", NULL),
			 PD_TOKEN_WRONG_PURPOSE);
}

static void
test_message_id(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, KEY_B);
	g_autofree char *a = pd_token_message_id(keys, 10042, 1, "alice@customer.test",
						 "desk.example.com", NULL);
	g_autofree char *b = pd_token_message_id(keys, 10042, 2, "alice@customer.test",
						 "desk.example.com", NULL);
	g_autofree char *bracketed = g_strdup_printf(" <%s>", a);
	g_autofree char *other_host = g_strdup_printf("%.*s@other.host",
						      (int)(strchr(a, '@') - a), a);
	PdTokenInfo info;

	assert_true(g_str_has_prefix(a, "pd."));
	assert_true(g_str_has_suffix(a, "@desk.example.com"));
	assert_string_not_equal(a, b);	/* unique per mail */
	assert_int_equal(pd_token_verify_message_id(keys, bracketed, "alice@customer.test", &info),
			 PD_TOKEN_VALID);
	assert_true(info.ticket_id == 10042);
	assert_true(info.serial == 1);
	/* several daemons: another host name is fine */
	assert_int_equal(pd_token_verify_message_id(keys, other_host, "alice@customer.test", NULL),
			 PD_TOKEN_VALID);
	assert_int_equal(pd_token_verify_message_id(keys, a, "bob@customer.test", &info),
			 PD_TOKEN_OTHER_RECIPIENT);
	assert_true(info.ticket_id == 10042);
	assert_int_equal(pd_token_verify_message_id(keys, "<1234@mail.example.org>", "a@b.c", NULL),
			 PD_TOKEN_ABSENT);
	assert_int_equal(pd_token_verify_message_id(keys, "<pd.nonsense>", "a@b.c", NULL),
			 PD_TOKEN_MALFORMED);
	assert_int_equal(pd_token_verify_message_id(keys, NULL, "a@b.c", NULL), PD_TOKEN_ABSENT);
}

static void
test_absent(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	static const char *const plain[] = {
		"support@example.com", "support+billing@example.com", "postmaster",
		"not an address", "", "support+tx@example.com",
	};

	for (guint i = 0; i < G_N_ELEMENTS(plain); i++)
		assert_int_equal(pd_token_verify_reply_address(keys, plain[i], "a@b.c", NULL),
				 PD_TOKEN_ABSENT);
	assert_int_equal(pd_token_verify_reply_address(keys, NULL, "a@b.c", NULL), PD_TOKEN_ABSENT);
}

static void
test_bad_input(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

	assert_null(pd_token_reply_address(keys, "support+x@example.com", 1, "a@b.c", &e1));
	assert_int_equal(e1->code, PD_ERROR_USAGE);
	assert_null(pd_token_reply_address(keys, "support@example.com", 1, "a\r\nb@c", &e2));
	assert_int_equal(e2->code, PD_ERROR_USAGE);
	assert_null(pd_token_message_id(keys, 1, 1, "nobody", "h", &e3));
	assert_int_equal(e3->code, PD_ERROR_USAGE);
}

static void
test_keys(void **state)
{
	const char *shortkey[] = { "too-short", NULL };
	const char *dup[] = { KEY_A, KEY_A, NULL };
	const char *none[] = { NULL };
	static const PdConfigTable *const tables[] = { &pd_token_table, NULL };
	static const char head[] = "[postdesk]\nconfig_version = 1\n"
				   "[queue a]\naddresses = a@b.c\n[outbound]\n";
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
	g_autoptr(PdConfig) config = NULL;
	const PdTokenKeys *fromfile = NULL;
	g_autofree char *text = NULL;
	g_autoptr(PdTokenKeys) direct = keys_of(KEY_A, NULL);
	g_autofree char *a1 = NULL, *a2 = NULL;

	assert_null(pd_token_keys_new(shortkey, &e1));
	assert_int_equal(e1->code, PD_ERROR_USAGE);
	assert_null(pd_token_keys_new(dup, &e2));
	assert_int_equal(e2->code, PD_ERROR_USAGE);
	assert_null(pd_token_keys_new(none, &e3));
	assert_null(pd_config_load_data(head, tables, &e4));
	assert_non_null(strstr(e4->message, "token_keys"));

	text = g_strconcat(head, "token_keys = " KEY_A ", " KEY_B "\n", NULL);
	config = pd_config_load_data(text, tables, NULL);
	fromfile = pd_token_keys_of(config);
	assert_non_null(fromfile);
	a1 = pd_token_reply_address(fromfile, "support@example.com", 5, "a@b.c", NULL);
	a2 = pd_token_reply_address(direct, "support@example.com", 5, "a@b.c", NULL);
	assert_string_equal(a1, a2);	/* the first key signs; deterministic */
}

static void
test_bounce_address(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, KEY_B);
	g_autoptr(PdTokenKeys) rotated = keys_of(KEY_B, KEY_A);
	g_autoptr(PdTokenKeys) strangers = keys_of(KEY_B, NULL);
	g_autofree char *a = pd_token_bounce_address(keys, "Bounces@Example.com", 987654,
						     "Alice@Customer.test", NULL);
	g_autofree char *b = pd_token_bounce_address(keys, "bounces@example.com", 987655,
						     "alice@customer.test", NULL);
	g_autofree char *upper = g_ascii_strup(a, -1);
	g_autofree char *reply = pd_token_reply_address(keys, "bounces@example.com", 987654,
							"alice@customer.test", NULL);
	g_autofree char *altered = g_strdup(a);
	char *p = strchr(altered, '@') - 1;
	g_autoptr(GError) e1 = NULL, e2 = NULL;
	PdTokenInfo info;

	assert_true(g_str_has_prefix(a, "bounces+b-"));
	assert_true(g_str_has_suffix(a, "@example.com"));
	assert_true(strlen(a) - strlen("@example.com") <= 64);	/* a local part's limit */
	assert_string_not_equal(a, b);
	/* the recipient the DSN reports, or none (MAILER-DAEMON has no token of its own) */
	assert_int_equal(pd_token_verify_bounce_address(keys, a, "alice@customer.test", &info),
			 PD_TOKEN_VALID);
	assert_true(info.serial == 987654);
	assert_true(info.ticket_id == 0);
	assert_int_equal(pd_token_verify_bounce_address(keys, a, NULL, &info), PD_TOKEN_VALID);
	assert_true(info.serial == 987654);
	assert_int_equal(pd_token_verify_bounce_address(keys, upper, NULL, &info), PD_TOKEN_VALID);
	assert_int_equal(pd_token_verify_bounce_address(rotated, a, NULL, &info), PD_TOKEN_VALID);
	assert_int_equal(info.key_index, 1);
	/* someone else's DSN with our token in it cannot fail another address */
	assert_int_equal(pd_token_verify_bounce_address(keys, a, "bob@customer.test", NULL),
			 PD_TOKEN_OTHER_RECIPIENT);
	/* forged: another key, one character changed */
	assert_int_equal(pd_token_verify_bounce_address(strangers, a, NULL, NULL), PD_TOKEN_FORGED);
	*p = *p == 'a' ? 'b' : 'a';
	assert_true(pd_token_verify_bounce_address(keys, altered, NULL, NULL) != PD_TOKEN_VALID);
	/* purposes never mix */
	assert_int_equal(pd_token_verify_bounce_address(keys, reply, NULL, NULL), PD_TOKEN_ABSENT);
	{
		g_autofree char *swapped = g_strdup(reply);

		swapped[strlen("bounces+")] = 'b';	/* +t- -> +b- */
		assert_int_equal(pd_token_verify_bounce_address(keys, swapped, NULL, NULL),
				 PD_TOKEN_WRONG_PURPOSE);
	}
	{
		g_autofree char *swapped = g_strdup(a);

		swapped[strlen("bounces+")] = 't';
		assert_int_equal(pd_token_verify_reply_address(keys, swapped, "alice@customer.test",
							       NULL), PD_TOKEN_WRONG_PURPOSE);
	}
	assert_int_equal(pd_token_verify_bounce_address(keys, "bounces@example.com", NULL, NULL),
			 PD_TOKEN_ABSENT);
	assert_int_equal(pd_token_verify_bounce_address(keys, "bounces+b-zz@example.com", NULL,
							NULL), PD_TOKEN_MALFORMED);
	assert_int_equal(pd_token_verify_bounce_address(keys, NULL, NULL, NULL), PD_TOKEN_ABSENT);
	assert_null(pd_token_bounce_address(keys, "bounces+x@example.com", 1, "a@b.c", &e1));
	assert_int_equal(e1->code, PD_ERROR_USAGE);
	assert_null(pd_token_bounce_address(keys, "bounces@example.com", 1, "nobody", &e2));
	assert_int_equal(e2->code, PD_ERROR_USAGE);
}

/* The customer's page token: one table of every way it is refused. */
static void
test_page_token(void **state)
{
	g_autoptr(PdTokenKeys) keys = keys_of(KEY_A, NULL);
	g_autoptr(PdTokenKeys) rotated = keys_of(KEY_B, KEY_A);
	g_autoptr(PdTokenKeys) other = keys_of(KEY_B, NULL);
	const gint64 day = 24 * 60 * 60, issued = 20000 * day + 3600;
	g_autofree char *token = pd_token_page(keys, 42, "Alice@Customer.test", issued + 90 * day,
					       NULL);
	g_autofree char *reply = pd_token_reply_address(keys, "support@example.com", 42,
							"alice@customer.test", NULL);
	g_autofree char *as_reply = token_of(reply);
	g_autofree char *upper = g_ascii_strup(token, -1);
	g_autofree char *altered = g_strdup(token);
	g_autofree char *longer = g_strconcat(token, "a", NULL);
	struct {
		const PdTokenKeys *keys;
		const char *token;
		gint64 now;
		PdTokenVerdict want;
		const char *reason;
	} rows[] = {
		{ keys, token, issued, PD_TOKEN_VALID, "as issued" },
		{ keys, token, issued + 90 * day, PD_TOKEN_VALID, "on its last day" },
		{ keys, token, issued + 91 * day, PD_TOKEN_EXPIRED, "the day after" },
		{ keys, upper, issued, PD_TOKEN_VALID, "case folded" },
		{ rotated, token, issued, PD_TOKEN_VALID, "a retired key still verifies" },
		{ other, token, issued, PD_TOKEN_FORGED, "another site's key" },
		{ keys, altered, issued, PD_TOKEN_FORGED, "one character changed" },
		{ keys, longer, issued, PD_TOKEN_MALFORMED, "one character more" },
		{ keys, as_reply, issued, PD_TOKEN_FORGED, "a reply token is no page token" },
		{ keys, "", issued, PD_TOKEN_ABSENT, "empty" },
		{ keys, "../../etc/passwd", issued, PD_TOKEN_MALFORMED, "not base32" },
		{ keys, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", issued,
		  PD_TOKEN_MALFORMED, "too long" },
	};

	(void)state;
	assert_non_null(token);
	/* a character of the MAC (the varints in front would no longer decode) */
	altered[strlen(altered) - 3] = altered[strlen(altered) - 3] == 'a' ? 'b' : 'a';
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		PdTokenInfo info;
		PdTokenVerdict got = pd_token_verify_page(rows[i].keys, rows[i].token, rows[i].now,
							  &info);

		if (got != rows[i].want)
			fail_msg("page token, %s: %s, want %s", rows[i].reason,
				 pd_token_verdict_str(got), pd_token_verdict_str(rows[i].want));
		if (got == PD_TOKEN_VALID) {
			assert_int_equal(info.ticket_id, 42);
			assert_true(pd_token_page_recipient(rows[i].keys, &info, "alice@customer.test"));
			assert_false(pd_token_page_recipient(rows[i].keys, &info, "bob@customer.test"));
			assert_false(pd_token_page_recipient(rows[i].keys, &info, "not an address"));
		} else {
			assert_int_equal(info.ticket_id, 0);
		}
	}
	printf("rule page-token: %u cases\n", (guint)G_N_ELEMENTS(rows));
	assert_null(pd_token_page(keys, 1, "nobody", issued, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_length),
		cmocka_unit_test(test_altered_token),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_wrong_key_and_rotation),
		cmocka_unit_test(test_other_recipient),
		cmocka_unit_test(test_case_folded),
		cmocka_unit_test(test_replayed_elsewhere),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bounce_address),
		cmocka_unit_test(test_page_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
