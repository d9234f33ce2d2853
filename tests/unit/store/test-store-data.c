/* The store and input the database refuses as data (SQLSTATE class 22),
 * against a real PostgreSQL (PD_TEST_PGHOST).
 *
 * PdMail promises valid UTF-8, but the store does not count on it.  What
 * travels in the delivery document (lib/store/pd-delivery.c) is repaired on
 * the way (pd_json: U+FFFD for a bad sequence), so the server never sees it
 * invalid.  A body, which travels as a parameter of its own, that the
 * server refuses is sent blank on the next try, with a warning on the
 * message, and the mail is stored whole; the server's word for the
 * parameter (CONTEXT: unnamed portal parameter $N) picks which one.
 * Without such a word every field of the peer's goes blank, and such a
 * delivery still succeeds.
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
bad_text_body(TestMail *t)
{
	set_string(&t->mail.text_body, "Hello \xff\xfe");
}

static void
bad_html_body(TestMail *t)
{
	set_string(&t->mail.html_body, "<p>\xc3</p>");
}

static char *
stored(guint64 row, const char *column)
{
	g_autofree char *sql = g_strdup_printf("SELECT %s FROM messages m WHERE m.id = %"
					       G_GUINT64_FORMAT, column, row);

	return fixture_text(fx, sql);
}

static void
assert_raw_whole(guint64 row, TestMail *t)
{
	g_autofree char *sql = g_strdup_printf("SELECT r.size FROM messages m JOIN raw_messages r"
					       " ON r.sha256 = m.raw_sha256 WHERE m.id = %"
					       G_GUINT64_FORMAT, row);

	assert_int_equal(fixture_count(fx, sql), g_bytes_get_size(t->raw));
}

/* A field of the document: stored at once, the bad sequence repaired. */
static void
test_document_repaired(void **state)
{
	static const struct {
		void (*spoil)(TestMail *t);
		const char *what;
		const char *column;	/* the stored value */
		const char *want;
	} cases[] = {
		{ bad_content_type, "attachment content type",
		  "(SELECT content_type FROM message_attachments ma WHERE ma.message_row = m.id)",
		  "/\xef\xbf\xbd" },
		{ bad_warning, "parse warning", "m.parse_warnings[cardinality(m.parse_warnings)]",
		  "text body: cannot decode as declared charset utf-9\xef\xbf\xbd" },
		{ bad_subject, "Subject", "m.subject", "caf\xef\xbf\xbd" },
		{ bad_from_name, "From name", "m.from_name", "\xef\xbf\xbd" },
		{ bad_cc_name, "Cc name", "m.cc_names[1]", "B\xef\xbf\xbdob" },
		{ bad_helo, "client HELO", "m.client_helo", "h\xef\xbf\xbd.test" },
	};
	g_autoptr(PdStore) store = connect_store();

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		TestMail *t = mail_new("repaired");
		PdDeliveryResult r = { 0 };
		g_autoptr(GError) error = NULL;
		g_autofree char *got = NULL;

		cases[i].spoil(t);
		if (!pd_store_deliver(store, &t->delivery, &r, &error))
			fail_msg("%s: %s", cases[i].what, error->message);
		assert_true(r.new_ticket);
		got = stored((guint64)r.message_row, cases[i].column);
		if (!g_str_has_prefix(got, cases[i].want))
			fail_msg("%s: stored %s, want %s", cases[i].what, got, cases[i].want);
		assert_raw_whole((guint64)r.message_row, t);
		assert_true(pd_store_is_usable(store));
		pd_delivery_result_clear(&r);
		test_mail_free(t);
	}
}

/* A body the server refuses: that body blank, with a warning. */
static void
test_refused_body_blank(void **state)
{
	static const struct {
		void (*spoil)(TestMail *t);
		const char *param;	/* its name in the warning */
		const char *column;
		const char *want;
	} cases[] = {
		{ bad_text_body, "text body", "m.text_body", "" },
		{ bad_html_body, "HTML body", "coalesce(m.html_body, '(null)')", "(null)" },
	};
	g_autoptr(PdStore) store = connect_store();

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		TestMail *t = mail_new("blank");
		PdDeliveryResult r = { 0 };
		g_autoptr(GError) error = NULL;
		g_autofree char *got = NULL, *warnings = NULL, *want = NULL;

		cases[i].spoil(t);
		if (!pd_store_deliver(store, &t->delivery, &r, &error))
			fail_msg("%s: %s", cases[i].param, error->message);
		assert_true(r.new_ticket);
		got = stored((guint64)r.message_row, cases[i].column);
		if (g_strcmp0(got, cases[i].want) != 0)
			fail_msg("%s: stored %s, want %s", cases[i].param, got, cases[i].want);
		warnings = stored((guint64)r.message_row, "array_to_string(m.parse_warnings, '|')");
		want = g_strdup_printf("store: %s refused by the database (SQLSTATE 22021), left blank",
				       cases[i].param);
		if (strstr(warnings, want) == NULL)
			fail_msg("%s: warnings %s", cases[i].param, warnings);
		/* the rest is stored as it was */
		g_free(got);
		got = stored((guint64)r.message_row, "m.subject");
		assert_string_equal(got, "Printer on fire");
		assert_raw_whole((guint64)r.message_row, t);
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
	if (!pd_store_deliver(store, &t->delivery, &r, &error))
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
	assert_false(pd_store_deliver(store, &t->delivery, &r, &error));
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM messages"
				       " WHERE message_id LIKE 'always.%'"), 0);
	fixture_exec(fx, "DROP TRIGGER refuse_poison ON messages; DROP FUNCTION refuse_poison()");
	test_mail_free(t);
}

/* The document with every field of the peer's blank still delivers (no
 * NOT NULL column or step is broken by it), and keeps the raw bytes, the
 * key and the attachments' catalogue facts. */
static void
test_blank_document_delivers(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	TestMail *t = mail_new("every");
	g_autoptr(GPtrArray) warnings = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(PGresult) result = NULL;
	g_autofree char *got = NULL;
	PdStoreParams params;
	gsize raw_len = 0;
	const void *raw = g_bytes_get_data(t->raw, &raw_len);
	GByteArray *data = pd_store_array_new(PD_PG_OID_BYTEA, 1, TRUE);
	g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, raw, raw_len);

	g_ptr_array_add(warnings, "store: test");
	pd_store_array_add(data, "%PDF-1.4", 8);
	pd_store_params_init(&params);
	pd_store_param_take_text(&params, pd_delivery_json_stored(&t->delivery, sha, TRUE,
								  warnings));
	pd_store_param_binary(&params, raw, raw_len);
	pd_store_param_text(&params, "");
	pd_store_param_text(&params, NULL);
	pd_store_param_take_binary(&params, data);
	result = pd_store_exec(store, PD_STMT_DELIVER, &params, NULL, NULL, &error);
	if (result == NULL)
		fail_msg("blank: %s", error->message);
	assert_int_equal(PQntuples(result), 1);
	got = stored((guint64)pd_store_int(result, 0, 2),
		     "m.subject || '|' || coalesce(m.from_address, '-') || '|' ||"
		     " array_to_string(m.parse_warnings, ',') || '|' ||"
		     " (SELECT count(*) FROM message_attachments ma WHERE ma.message_row = m.id)");
	assert_string_equal(got, "|-|store: test|1");
	pd_store_params_clear(&params);
	test_mail_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document_repaired),
		cmocka_unit_test(test_refused_body_blank),
		cmocka_unit_test(test_refused_unnamed),
		cmocka_unit_test(test_blank_document_delivers),
	};

	return fixture_run_tests("data", tests, G_N_ELEMENTS(tests), &fx);
}
