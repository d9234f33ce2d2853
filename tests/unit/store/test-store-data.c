/* The store and input the database refuses as data (SQLSTATE class 22),
 * against a real PostgreSQL (PD_TEST_PGHOST).
 *
 * PdMail promises valid UTF-8, but the store does not count on it: a
 * value the server refuses (invalid UTF-8 in a field, as a parser bug or
 * an envelope would carry) is sent blank on the next try, with a warning
 * on the message, and the mail is stored whole; the server's word for the
 * field (CONTEXT: unnamed portal parameter $N) picks which one.  Without
 * such a word every field of the peer's goes blank.  Every parameter that
 * may go blank really can (the delivery still succeeds).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store-fixture.h"
#include "store/pd-store-private.h"
#include "core/pd-error.h"

static Fixture *fx;
static guint serial;

static PdStore *
connect_store(void)
{
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_store_connect(fx->conninfo, &error);

	if (store == NULL)
		fail_msg("connect: %s", error->message);
	return store;
}

static TestMail *
mail_new(const char *tag)
{
	g_autofree char *id = g_strdup_printf("%s.%u@customer.test", tag, ++serial);
	TestMail *t = test_mail_new(id, NULL, NULL, "Printer on fire", "Hello\r\n");

	test_mail_attach(t, "report.pdf", "application/pdf", "%PDF-1.4");
	return t;
}

static void
set_string(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

/* How each row spoils its field (invalid UTF-8, as the issue-8 poison
 * mails carried before PdMail repaired them). */
static void
bad_content_type(TestMail *t)
{
	PdMailAttachment *a = t->mail.attachments->pdata[0];

	set_string(&a->content_type, "/\xf6\x9a\x91\x95");
}

static void
bad_warning(TestMail *t)
{
	g_ptr_array_add(t->mail.warnings,
			g_strdup("text body: cannot decode as declared charset utf-9\xf6\xbc\x90\x91"));
}

static void
bad_subject(TestMail *t)
{
	set_string(&t->mail.subject, "caf\xe9");
}

static void
bad_from_name(TestMail *t)
{
	set_string(&t->mail.from.name, "\xc3");
}

static void
bad_cc_name(TestMail *t)
{
	PdMailAddress *a = t->mail.cc->pdata[0];

	set_string(&a->name, "B\xffob");
}

static void
bad_helo(TestMail *t)
{
	set_string(&t->envelope->client_helo, "h\xfe.test");
}

static void
test_refused_field_blank(void **state)
{
	static const struct {
		void (*spoil)(TestMail *t);
		const char *param;	/* its name in the warning */
		const char *column;	/* the stored value, NULL as "(null)" */
		const char *want;
	} cases[] = {
		{ bad_content_type, "attachment content types",
		  "(SELECT content_type FROM message_attachments ma WHERE ma.message_row = m.id)",
		  "application/octet-stream" },
		{ bad_warning, "parse warnings", "cardinality(m.parse_warnings)::text", "1" },
		{ bad_subject, "Subject", "m.subject", "" },
		{ bad_from_name, "From name", "coalesce(m.from_name, '(null)')", "(null)" },
		{ bad_cc_name, "Cc names", "coalesce(m.cc_names[1], '(null)')", "(null)" },
		{ bad_helo, "client HELO", "coalesce(m.client_helo, '(null)')", "(null)" },
	};
	g_autoptr(PdStore) store = connect_store();

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		TestMail *t = mail_new("blank");
		PdDeliveryResult r = { 0 };
		g_autoptr(GError) error = NULL;
		g_autofree char *sql = NULL, *got = NULL, *warnings = NULL, *want = NULL;

		cases[i].spoil(t);
		if (!pd_store_deliver_inbound(store, &t->inbound, &r, &error))
			fail_msg("%s: %s", cases[i].param, error->message);
		assert_true(r.new_ticket);
		sql = g_strdup_printf("SELECT %s FROM messages m WHERE m.id = %" G_GINT64_FORMAT,
				      cases[i].column, r.message_row);
		got = fixture_text(fx, sql);
		if (g_strcmp0(got, cases[i].want) != 0)
			fail_msg("%s: stored %s, want %s", cases[i].param, got, cases[i].want);
		g_free(sql);
		sql = g_strdup_printf("SELECT array_to_string(parse_warnings, '|') FROM messages"
				      " WHERE id = %" G_GINT64_FORMAT, r.message_row);
		warnings = fixture_text(fx, sql);
		want = g_strdup_printf("store: %s refused by the database (SQLSTATE 22021), left blank",
				       cases[i].param);
		if (strstr(warnings, want) == NULL)
			fail_msg("%s: warnings %s", cases[i].param, warnings);
		/* the raw message is the one sent */
		g_free(sql);
		sql = g_strdup_printf("SELECT r.size FROM messages m JOIN raw_messages r"
				      " ON r.sha256 = m.raw_sha256 WHERE m.id = %" G_GINT64_FORMAT,
				      r.message_row);
		assert_int_equal(fixture_count(fx, sql), g_bytes_get_size(t->raw));
		assert_true(pd_store_is_usable(store));
		pd_delivery_result_clear(&r);
		test_mail_free(t);
	}
}

/* A data exception that names no parameter: a trigger refuses the
 * subject.  Every field of the peer's goes blank; the mail is stored. */
static void
test_refused_unnamed(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	TestMail *t = mail_new("unnamed");
	PdDeliveryResult r = { 0 };
	g_autoptr(GError) error = NULL;
	g_autofree char *sql = NULL, *warnings = NULL;

	fixture_exec(fx, "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$"
			 " BEGIN IF NEW.subject = 'poison' THEN"
			 " RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END IF;"
			 " RETURN NEW; END $$;"
			 "CREATE TRIGGER refuse_poison BEFORE INSERT ON messages"
			 " FOR EACH ROW EXECUTE FUNCTION refuse_poison()");
	set_string(&t->mail.subject, "poison");
	if (!pd_store_deliver_inbound(store, &t->inbound, &r, &error))
		fail_msg("deliver: %s", error->message);
	sql = g_strdup_printf("SELECT subject || '|' || array_to_string(parse_warnings, '|')"
			      " FROM messages WHERE id = %" G_GINT64_FORMAT, r.message_row);
	warnings = fixture_text(fx, sql);
	assert_non_null(strstr(warnings, "store: the database refused the parsed fields"
			       " (SQLSTATE 22023); stored raw, the parsed fields left blank"));
	assert_true(g_str_has_prefix(warnings, "|"));	/* the subject went blank */
	pd_delivery_result_clear(&r);
	test_mail_free(t);

	/* refused whatever is blank: not the mail's data after all, so
	 * deferred (TEMPFAIL), never a bounce, and nothing written */
	fixture_exec(fx, "CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger"
			 " LANGUAGE plpgsql AS $$ BEGIN"
			 " RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END $$");
	t = mail_new("always");
	g_clear_error(&error);
	assert_false(pd_store_deliver_inbound(store, &t->inbound, &r, &error));
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM messages"
				       " WHERE message_id LIKE 'always.%'"), 0);
	fixture_exec(fx, "DROP TRIGGER refuse_poison ON messages; DROP FUNCTION refuse_poison()");
	test_mail_free(t);
}

/* Each parameter that may go blank, alone, and all of them at once: the
 * delivery still goes through (no NOT NULL or parallel list is broken). */
static void
test_every_blank_delivers(void **state)
{
	g_autoptr(PdStore) store = connect_store();

	for (int n = 0; n <= PD_STORE_DELIVER_PARAMS; n++) {
		guint64 blank = n == 0 ? pd_store_deliver_blank_all()
				       : G_GUINT64_CONSTANT(1) << (n - 1);
		TestMail *t;
		PdStoreParams params;
		char raw_sha256[65];
		g_autoptr(GError) error = NULL;
		g_autoptr(PGresult) result = NULL;

		if (n > 0 && !pd_store_deliver_param_blankable(n))
			continue;
		t = mail_new("every");
		pd_store_params_init(&params);
		pd_store_deliver_params(&params, &t->inbound, blank, NULL, raw_sha256);
		result = pd_store_exec(store, PD_STMT_DELIVER, &params, NULL, NULL, &error);
		if (result == NULL)
			fail_msg("$%d (%s) blank: %s", n, n > 0 ? pd_store_deliver_param_name(n) : "all",
				 error->message);
		assert_int_equal(PQntuples(result), 1);
		pd_store_params_clear(&params);
		test_mail_free(t);
	}
	/* the raw message, the envelope recipient and our own facts never */
	assert_false(pd_store_deliver_param_blankable(5));
	assert_false(pd_store_deliver_param_blankable(24));
	assert_false(pd_store_deliver_param_blankable(39));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_field_blank),
		cmocka_unit_test(test_refused_unnamed),
		cmocka_unit_test(test_every_blank_delivers),
	};

	return fixture_run_tests("data", tests, G_N_ELEMENTS(tests), &fx);
}
