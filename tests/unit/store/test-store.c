/* Unit tests for lib/store against a real PostgreSQL (PD_TEST_PGHOST).
 *
 * Schema: migrate twice is a no-op, the compiled-in and the source sql/
 * agree, an unmigrated or newer database is refused, and so are functions
 * of another build or changed by hand.  Mail path: one
 * delivery fills every table, a redelivery and a concurrent delivery write
 * nothing, threading by In-Reply-To / References, content-addressed
 * attachments, a failure half-way writes nothing, a killed connection is
 * TEMPFAIL and unusable, the pool drops dead connections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "store-fixture.h"
#include "core/pd-error.h"

#include <glib/gstdio.h>

static Fixture *fx;

static PdStore *
connect_store(void)
{
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_store_connect(fx->conninfo, &error);

	if (store == NULL)
		fail_msg("connect: %s", error->message);
	return store;
}

static void
deliver_ok(PdStore *store, TestMail *t, PdDeliveryResult *result)
{
	g_autoptr(GError) error = NULL;

	if (!pd_store_deliver(store, &t->delivery, result, &error))
		fail_msg("deliver: %s", error->message);
}

static gint64
count_rows(const char *table)
{
	g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM %s", table);

	return fixture_count(fx, sql);
}

static const char *const all_tables[] = {
	"queues", "tickets", "raw_messages", "messages", "attachments",
	"message_attachments", "participants", "events",
};

static void
count_all(gint64 counts[G_N_ELEMENTS(all_tables)])
{
	for (guint i = 0; i < G_N_ELEMENTS(all_tables); i++)
		counts[i] = count_rows(all_tables[i]);
}

/* --- schema ------------------------------------------------------------ */

static void
test_migrate_twice(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = connect_store();
	g_autofree char *sql_dir = g_build_filename(g_getenv("PD_SOURCE_DIR"), "sql", NULL);
	guint applied = 99;
	int version = -1;

	/* the fixture migrated already: both paths find nothing to do */
	assert_true(pd_store_migrate(store, NULL, &applied, &error));
	assert_int_equal(applied, 0);
	if (!pd_store_migrate(store, sql_dir, &applied, &error))
		fail_msg("migrate from %s: %s", sql_dir, error->message);
	assert_int_equal(applied, 0);
	assert_true(pd_store_schema_version(store, &version, &error));
	assert_int_equal(version, pd_store_schema_known());
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM schema_version"),
			 pd_store_schema_known());
	assert_string_equal(pd_store_schema_name(1), "baseline");
	assert_null(pd_store_schema_name(pd_store_schema_known() + 1));
	assert_true(pd_store_check_schema(store, &error));
	assert_true(pd_store_is_usable(store));
}

static void
record_applied(int version, const char *name, gpointer user_data)
{
	g_ptr_array_add(user_data, g_strdup_printf("%04d_%s", version, name));
}

static void
test_check_schema_refuses(void **state)
{
	Fixture *other = fixture_new(fx->host, "schema", FALSE);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *sql_dir = g_build_filename(g_getenv("PD_SOURCE_DIR"), "sql", NULL);
	g_autofree char *newer = NULL;
	PdStore *store;
	guint applied = 0;

	store = pd_store_connect(other->conninfo, &error);
	assert_non_null(store);

	/* nothing applied yet */
	assert_false(pd_store_check_schema(store, &error));
	assert_int_equal(error->code, PD_ERROR_USAGE);
	assert_non_null(strstr(error->message, "db migrate"));
	g_clear_error(&error);

	/* from the source directory, reporting each migration */
	if (!pd_store_migrate_notify(store, sql_dir, record_applied, names, &applied, &error))
		fail_msg("migrate from %s: %s", sql_dir, error->message);
	assert_int_equal(applied, pd_store_schema_known());
	assert_int_equal(names->len, applied);
	assert_string_equal(names->pdata[0], "0001_baseline");
	assert_true(pd_store_check_schema(store, &error));

	/* functions of another build: refused until migrated again */
	fixture_exec(other, "UPDATE schema_functions SET sha256 = repeat('0', 64)");
	assert_false(pd_store_check_schema(store, &error));
	assert_int_equal(error->code, PD_ERROR_USAGE);
	assert_non_null(strstr(error->message, "functions out of date"));
	assert_non_null(strstr(error->message, pd_store_functions_digest()));
	g_clear_error(&error);
	/* a function changed by hand: the same */
	assert_true(pd_store_migrate(store, NULL, &applied, &error));
	assert_int_equal(applied, 0);
	assert_true(pd_store_check_schema(store, &error));
	fixture_exec(other, "CREATE OR REPLACE FUNCTION pd_contact_may_not(p_permissions text[])"
			    " RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT '' $$");
	assert_false(pd_store_check_schema(store, &error));
	assert_int_equal(error->code, PD_ERROR_USAGE);
	assert_non_null(strstr(error->message, "changed since"));
	g_clear_error(&error);
	assert_true(pd_store_migrate(store, NULL, &applied, &error));
	assert_true(pd_store_check_schema(store, &error));

	/* older: a version below what this build knows */
	fixture_exec(other, "UPDATE schema_version SET version = version - 1000");
	assert_false(pd_store_check_schema(store, &error));
	assert_int_equal(error->code, PD_ERROR_USAGE);
	g_clear_error(&error);
	fixture_exec(other, "UPDATE schema_version SET version = version + 1000");

	/* newer: refused by check and by migrate */
	newer = g_strdup_printf("INSERT INTO schema_version (version, name)"
				" VALUES (%d, 'from_the_future')", pd_store_schema_known() + 1);
	fixture_exec(other, newer);
	assert_false(pd_store_check_schema(store, &error));
	assert_int_equal(error->code, PD_ERROR_USAGE);
	assert_non_null(strstr(error->message, "newer"));
	g_clear_error(&error);
	assert_false(pd_store_migrate(store, NULL, NULL, &error));
	assert_non_null(strstr(error->message, "newer"));
	g_clear_error(&error);

	/* a directory with a gap is refused before anything runs */
	{
		g_autofree char *dir = g_dir_make_tmp("pd-sql-XXXXXX", NULL);
		g_autofree char *path = g_build_filename(dir, "0002_gap.sql", NULL);

		assert_true(g_file_set_contents(path, "SELECT 1;", -1, NULL));
		assert_false(pd_store_migrate(store, dir, NULL, &error));
		assert_int_equal(error->code, PD_ERROR_USAGE);
		g_clear_error(&error);
		g_unlink(path);
		g_rmdir(dir);
	}
	pd_store_free(store);
	fixture_free(other);
}

typedef struct {
	const char *conninfo;
	guint applied;
	GError *error;
} Migrator;

static gpointer
migrate_thread(gpointer data)
{
	Migrator *m = data;
	PdStore *store = pd_store_connect(m->conninfo, &m->error);

	if (store != NULL) {
		pd_store_migrate(store, NULL, &m->applied, &m->error);
		pd_store_free(store);
	}
	return NULL;
}

/* Two daemons (or operators) migrating at once: each step applied once. */
static void
test_migrate_concurrent(void **state)
{
	Fixture *other = fixture_new(fx->host, "migrace", FALSE);
	Migrator m[4];
	GThread *threads[G_N_ELEMENTS(m)];
	guint total = 0;

	memset(m, 0, sizeof(m));
	for (guint i = 0; i < G_N_ELEMENTS(m); i++) {
		m[i].conninfo = other->conninfo;
		threads[i] = g_thread_new("migrate", migrate_thread, &m[i]);
	}
	for (guint i = 0; i < G_N_ELEMENTS(m); i++) {
		g_thread_join(threads[i]);
		if (m[i].error != NULL)
			fail_msg("migrator %u: %s", i, m[i].error->message);
		total += m[i].applied;
	}
	assert_int_equal(total, pd_store_schema_known());
	assert_int_equal(fixture_count(other, "SELECT count(*) FROM schema_version"),
			 pd_store_schema_known());
	fixture_free(other);
}

/* --- the mail path ----------------------------------------------------- */

static void
test_deliver_new_ticket(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	TestMail *t = test_mail_new("new.1@customer.test", NULL, NULL, "Printer on fire",
				    "Hello,\r\nthe printer is on fire.\r\n");
	PdDeliveryResult r;
	gint64 before[G_N_ELEMENTS(all_tables)], after[G_N_ELEMENTS(all_tables)];
	g_autofree char *sql = NULL, *value = NULL;

	count_all(before);
	test_mail_attach(t, "photo.txt", "text/plain", "a photo of the fire");
	deliver_ok(store, t, &r);
	assert_true(r.new_ticket);
	assert_false(r.duplicate);
	assert_true(r.ticket_number >= 10001);
	assert_string_equal(r.thread_reason, "new ticket");
	count_all(after);
	/* a row in every table (the queue row only the first time) */
	for (guint i = 1; i < G_N_ELEMENTS(all_tables); i++)
		assert_true(after[i] > before[i]);
	assert_int_equal(count_rows("queues"), 1);

	sql = g_strdup_printf("SELECT concat_ws('|', t.number, t.status, q.name, t.subject,"
			      " t.requester_address, t.requester_name, m.direction, m.kind,"
			      " m.from_address, m.message_id, array_to_string(m.to_addresses, ','),"
			      " array_to_string(m.cc_names, ','), m.date AT TIME ZONE 'UTC',"
			      " m.envelope_recipient, m.client_address, m.list, m.bulk,"
			      " array_to_string(m.parse_warnings, ','), r.size, m.text_body)"
			      " FROM tickets t JOIN queues q ON q.id = t.queue_id"
			      " JOIN messages m ON m.ticket_id = t.id"
			      " JOIN raw_messages r ON r.sha256 = m.raw_sha256"
			      " WHERE m.id = %" G_GINT64_FORMAT, r.message_row);
	value = fixture_text(fx, sql);
	g_clear_pointer(&sql, g_free);
	sql = g_strdup_printf("%" G_GINT64_FORMAT "|new|support|Printer on fire|"
			      "alice@customer.test|Alice Example|in|customer|alice@customer.test|"
			      "new.1@customer.test|support@example.com|Bob|2026-11-23 10:00:00|"
			      "support@example.com|192.0.2.7|t|f|test warning|%zu|"
			      "Hello,\r\nthe printer is on fire.\r\n",
			      r.ticket_number, g_bytes_get_size(t->raw));
	assert_string_equal(value, sql);
	g_clear_pointer(&value, g_free);
	g_clear_pointer(&sql, g_free);

	sql = g_strdup_printf("SELECT string_agg(kind, ',' ORDER BY id) FROM events"
			      " WHERE message_row = %" G_GINT64_FORMAT, r.message_row);
	value = fixture_text(fx, sql);
	assert_string_equal(value, "ticket.created,message.received");
	g_clear_pointer(&value, g_free);
	g_clear_pointer(&sql, g_free);

	sql = g_strdup_printf("SELECT concat_ws('|', ma.filename, ma.content_type, a.size,"
			      " convert_from(a.data, 'UTF8'), p.role, p.address)"
			      " FROM message_attachments ma JOIN attachments a USING (sha256)"
			      " JOIN participants p ON p.ticket_id = %" G_GINT64_FORMAT
			      " WHERE ma.message_row = %" G_GINT64_FORMAT,
			      r.ticket_id, r.message_row);
	value = fixture_text(fx, sql);
	assert_string_equal(value, "photo.txt|text/plain|19|a photo of the fire|"
			    "requester|alice@customer.test");
	pd_delivery_result_clear(&r);
	test_mail_free(t);
}

static void
test_deliver_twice(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	TestMail *t = test_mail_new("twice@customer.test", NULL, NULL, "Twice", "once\r\n");
	PdDeliveryResult first, second;
	gint64 before[G_N_ELEMENTS(all_tables)], after[G_N_ELEMENTS(all_tables)];

	deliver_ok(store, t, &first);
	count_all(before);
	deliver_ok(store, t, &second);
	count_all(after);
	assert_true(second.duplicate);
	assert_false(second.new_ticket);
	assert_int_equal(second.ticket_number, first.ticket_number);
	assert_int_equal(second.message_row, first.message_row);
	assert_memory_equal(before, after, sizeof(before));
	pd_delivery_result_clear(&first);
	pd_delivery_result_clear(&second);
	test_mail_free(t);
}

typedef struct {
	GMutex lock;
	GCond go;
	gboolean started;
	GCond connected;
	guint ready;			/* threads connected, waiting for go */
	TestMail *mail;
	PdDeliveryResult results[8];
	GError *errors[8];
} Race;

static gpointer
race_thread(gpointer data)
{
	Race *race = data;
	static gint next;
	int me = g_atomic_int_add(&next, 1) % G_N_ELEMENTS(race->results);
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_store_connect(fx->conninfo, &error);

	assert_non_null(store);
	g_mutex_lock(&race->lock);
	race->ready++;
	g_cond_signal(&race->connected);
	while (!race->started)
		g_cond_wait(&race->go, &race->lock);
	g_mutex_unlock(&race->lock);
	pd_store_deliver(store, &race->mail->delivery, &race->results[me],
				 &race->errors[me]);
	pd_store_free(store);
	return NULL;
}

static void
test_deliver_concurrent(void **state)
{
	for (int round = 0; round < 5; round++) {
		g_autofree char *mid = g_strdup_printf("race.%d@customer.test", round);
		Race race = { 0 };
		GThread *threads[G_N_ELEMENTS(race.results)];
		g_autofree char *sql = NULL;
		guint winners = 0;
		gint64 number, row;

		race.mail = test_mail_new(mid, NULL, NULL, "Race", "same mail, many threads\r\n");
		g_mutex_init(&race.lock);
		g_cond_init(&race.go);
		g_cond_init(&race.connected);
		for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
			threads[i] = g_thread_new("race", race_thread, &race);
		g_mutex_lock(&race.lock);
		while (race.ready < G_N_ELEMENTS(threads))	/* all connected and waiting */
			g_cond_wait(&race.connected, &race.lock);
		race.started = TRUE;
		g_cond_broadcast(&race.go);
		g_mutex_unlock(&race.lock);
		for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
			g_thread_join(threads[i]);

		number = race.results[0].ticket_number;
		row = race.results[0].message_row;
		for (guint i = 0; i < G_N_ELEMENTS(threads); i++) {
			if (race.errors[i] != NULL)
				fail_msg("thread %u: %s", i, race.errors[i]->message);
			if (!race.results[i].duplicate)
				winners++;
			assert_int_equal(race.results[i].ticket_number, number);
			assert_int_equal(race.results[i].message_row, row);
			pd_delivery_result_clear(&race.results[i]);
		}
		assert_int_equal(winners, 1);
		sql = g_strdup_printf("SELECT count(*) FROM messages WHERE message_id = '%s'", mid);
		assert_int_equal(fixture_count(fx, sql), 1);
		g_clear_pointer(&sql, g_free);
		sql = g_strdup_printf("SELECT count(*) FROM tickets t WHERE EXISTS (SELECT 1"
				      " FROM messages m WHERE m.ticket_id = t.id"
				      " AND m.message_id = '%s')", mid);
		assert_int_equal(fixture_count(fx, sql), 1);
		g_mutex_clear(&race.lock);
		g_cond_clear(&race.go);
		g_cond_clear(&race.connected);
		test_mail_free(race.mail);
	}
}

static void
test_threading(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	const char *refs_known[] = { "thread.root@customer.test", "not.stored@elsewhere", NULL };
	const char *refs_unknown[] = { "never.seen@elsewhere", NULL };
	TestMail *root = test_mail_new("thread.root@customer.test", NULL, NULL, "Root", "root\r\n");
	TestMail *reply = test_mail_new("thread.reply@customer.test",
					"thread.root@customer.test", NULL, "Re: Root", "reply\r\n");
	TestMail *by_refs = test_mail_new("thread.refs@customer.test", "not.stored@elsewhere",
					  refs_known, "Re: Re: Root", "refs\r\n");
	TestMail *stranger = test_mail_new("thread.stranger@customer.test",
					   "never.seen@elsewhere", refs_unknown, "Re: Other",
					   "other\r\n");
	PdDeliveryResult r0, r1, r2, r3;
	gint64 number = -1;
	g_autofree char *reason = NULL;
	g_autoptr(GError) error = NULL;

	deliver_ok(store, root, &r0);
	deliver_ok(store, reply, &r1);
	assert_false(r1.new_ticket);
	assert_int_equal(r1.ticket_number, r0.ticket_number);
	assert_string_equal(r1.thread_reason, "In-Reply-To <thread.root@customer.test>");
	deliver_ok(store, by_refs, &r2);
	assert_false(r2.new_ticket);
	assert_int_equal(r2.ticket_number, r0.ticket_number);
	assert_string_equal(r2.thread_reason, "References <thread.root@customer.test>");
	deliver_ok(store, stranger, &r3);
	assert_true(r3.new_ticket);
	assert_true(r3.ticket_number != r0.ticket_number);

	/* the dry run agrees, and writes nothing */
	assert_true(pd_store_thread_lookup(store, by_refs->candidates, &number, &reason, &error));
	assert_int_equal(number, r0.ticket_number);
	assert_string_equal(reason, "Message-ID <thread.root@customer.test>");
	g_clear_pointer(&reason, g_free);
	{
		g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func(g_free);

		g_ptr_array_add(none, g_strdup("nothing.like.it@nowhere"));
		assert_true(pd_store_thread_lookup(store, none, &number, &reason, &error));
		assert_int_equal(number, 0);
		assert_string_equal(reason, "new ticket");
	}

	pd_delivery_result_clear(&r0);
	pd_delivery_result_clear(&r1);
	pd_delivery_result_clear(&r2);
	pd_delivery_result_clear(&r3);
	test_mail_free(root);
	test_mail_free(reply);
	test_mail_free(by_refs);
	test_mail_free(stranger);
}

static void
test_attachment_dedup(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	TestMail *a = test_mail_new("att.a@customer.test", NULL, NULL, "A", "a\r\n");
	TestMail *b = test_mail_new("att.b@customer.test", NULL, NULL, "B", "b\r\n");
	const char *content = "the same invoice, attached twice";
	g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, content, -1);
	g_autofree char *sql = NULL;
	PdDeliveryResult ra, rb;

	test_mail_attach(a, "invoice.pdf", "application/pdf", content);
	test_mail_attach(b, "copy.pdf", "application/pdf", content);
	test_mail_attach(b, "again.pdf", "application/pdf", content);
	test_mail_attach(b, "empty.txt", "text/plain", "");	/* NULL data in GBytes */
	deliver_ok(store, a, &ra);
	deliver_ok(store, b, &rb);
	sql = g_strdup_printf("SELECT count(*) FROM attachments WHERE sha256 = '%s'", hash);
	assert_int_equal(fixture_count(fx, sql), 1);
	g_clear_pointer(&sql, g_free);
	sql = g_strdup_printf("SELECT count(*) FROM message_attachments WHERE sha256 = '%s'", hash);
	assert_int_equal(fixture_count(fx, sql), 3);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM attachments WHERE size = 0"
				       " AND data = ''::bytea AND sha256 = encode(sha256(''), 'hex')"),
			 1);
	pd_delivery_result_clear(&ra);
	pd_delivery_result_clear(&rb);
	test_mail_free(a);
	test_mail_free(b);
}

/* The decoded bytes of an attachment, read back through the store. */
static void
assert_attachment_bytes(PdStore *store, const char *content)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) got = NULL;
	g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, content, -1);

	assert_true(pd_store_attachment_get(store, hash, &got, &error));
	assert_null(error);
	assert_int_equal(g_bytes_get_size(got), strlen(content));
	assert_memory_equal(g_bytes_get_data(got, NULL), content, strlen(content));
}

/* message_attachments: an attachment that is a span of the raw message is stored as
 * that span (no decoded copy) and read back decoded; content that is not
 * a span keeps its bytes; one catalogue row per content either way. */
static void
test_attachment_span(void **state)
{
	static const char encoded[] = "JVBERi0xLjQK\r\n";	/* "%PDF-1.4\n" */
	g_autoptr(PdStore) store = connect_store();
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) none = NULL;
	g_autofree char *sql = NULL, *rows = NULL, *want = NULL;
	TestMail *a = test_mail_new("span.a@customer.test", NULL, NULL, "A",
				    "see attached\r\nJVBERi0xLjQK\r\n");
	TestMail *b = test_mail_new("span.b@customer.test", NULL, NULL, "B", "again\r\n");
	TestMail *c = test_mail_new("span.c@customer.test", NULL, NULL, "C", "bad span\r\n");
	TestMail *d = test_mail_new("span.d@customer.test", NULL, NULL, "D",
				    "parsed from other bytes\r\nJVBERi0xLjUK\r\n");
	PdMailAttachment *att;
	PdDeliveryResult ra, rb, rc, rd;

	/* a: the PDF as a base64 span at the end of its raw bytes */
	test_mail_attach(a, "a.pdf", "application/pdf", "%PDF-1.4\n");
	att = a->mail.attachments->pdata[0];
	att->raw_encoding = "base64";
	att->raw_length = strlen(encoded);
	att->raw_offset = g_bytes_get_size(a->raw) - att->raw_length;
	/* b: the same content, not a span (bytes sent, catalogue row kept) */
	test_mail_attach(b, "copy.pdf", "application/pdf", "%PDF-1.4\n");
	/* c: a span outside its raw bytes is not trusted: bytes stored */
	test_mail_attach(c, "c.txt", "text/plain", "not a span");
	att = c->mail.attachments->pdata[0];
	att->raw_encoding = "binary";
	att->raw_offset = g_bytes_get_size(c->raw);
	att->raw_length = 10;
	/* d: a good span, but the bytes stored are not the bytes parsed (a
	 * caller added a header line): not trusted, bytes stored */
	test_mail_attach(d, "d.pdf", "application/pdf", "%PDF-1.5\n");
	att = d->mail.attachments->pdata[0];
	att->raw_encoding = "base64";
	att->raw_length = strlen(encoded);
	att->raw_offset = g_bytes_get_size(d->raw) - att->raw_length;
	d->mail.raw_size += 7;
	deliver_ok(store, a, &ra);
	deliver_ok(store, b, &rb);
	deliver_ok(store, c, &rc);
	deliver_ok(store, d, &rd);

	sql = g_strdup_printf("SELECT string_agg(concat_ws('|', ma.position, ma.raw_offset,"
			      " ma.raw_length, ma.transfer_encoding, a.size, a.data IS NULL), ','"
			      " ORDER BY ma.message_row)"
			      " FROM message_attachments ma JOIN attachments a USING (sha256)"
			      " WHERE ma.message_row >= %" G_GINT64_FORMAT, ra.message_row);
	rows = fixture_text(fx, sql);
	want = g_strdup_printf("0|%zu|%zu|base64|9|t,0|9|t,0|10|f,0|9|f",
			       g_bytes_get_size(a->raw) - strlen(encoded), strlen(encoded));
	assert_string_equal(rows, want);
	assert_attachment_bytes(store, "%PDF-1.4\n");
	assert_attachment_bytes(store, "not a span");
	assert_attachment_bytes(store, "%PDF-1.5\n");
	assert_false(pd_store_attachment_get(store, "00000000000000000000000000000000"
					     "00000000000000000000000000000000", &none, &error));
	assert_true(g_error_matches(error, PD_ERROR, PD_ERROR_NOTFOUND));
	assert_null(none);
	pd_delivery_result_clear(&ra);
	pd_delivery_result_clear(&rb);
	pd_delivery_result_clear(&rc);
	pd_delivery_result_clear(&rd);
	test_mail_free(a);
	test_mail_free(b);
	test_mail_free(c);
	test_mail_free(d);
}

static void
test_atomic_failure(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	TestMail *t = test_mail_new("atomic@customer.test", NULL, NULL, "Atomic", "all or none\r\n");
	gint64 before[G_N_ELEMENTS(all_tables)], after[G_N_ELEMENTS(all_tables)];
	g_autoptr(GError) error = NULL;
	PdDeliveryResult r;

	test_mail_attach(t, "x.bin", "application/octet-stream", "bytes never stored");
	/* the last write of a delivery fails: everything before it must go */
	fixture_exec(fx, "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
		     " $$BEGIN RAISE EXCEPTION 'refused by test'; END$$");
	fixture_exec(fx, "CREATE TRIGGER test_refuse BEFORE INSERT ON events"
		     " FOR EACH ROW EXECUTE FUNCTION test_refuse()");
	count_all(before);
	assert_false(pd_store_deliver(store, &t->delivery, &r, &error));
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	assert_non_null(strstr(error->message, "refused by test"));
	g_clear_error(&error);
	count_all(after);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM messages"
				       " WHERE message_id = 'atomic@customer.test'"), 0);
	/* the connection survives a failed statement */
	assert_true(pd_store_is_usable(store));

	fixture_exec(fx, "DROP TRIGGER test_refuse ON events; DROP FUNCTION test_refuse()");
	deliver_ok(store, t, &r);
	assert_true(r.new_ticket);
	pd_delivery_result_clear(&r);
	test_mail_free(t);
}

static void
test_connection_killed(void **state)
{
	PdStore *store = connect_store();
	TestMail *t = test_mail_new("killed@customer.test", NULL, NULL, "Killed", "gone\r\n");
	g_autoptr(GError) error = NULL;
	PdDeliveryResult r;

	fixture_exec(fx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		     " WHERE application_name = 'postdesk' AND datname = current_database()");
	g_usleep(100 * 1000);
	assert_false(pd_store_deliver(store, &t->delivery, &r, &error));
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	assert_false(pd_store_is_usable(store));
	g_clear_error(&error);
	/* and stays so, without touching the dead socket */
	assert_false(pd_store_deliver(store, &t->delivery, &r, &error));
	assert_int_equal(error->code, PD_ERROR_TEMPFAIL);
	pd_store_free(store);
	assert_int_equal(fixture_count(fx, "SELECT count(*) FROM messages"
				       " WHERE message_id = 'killed@customer.test'"), 0);
	test_mail_free(t);
}

typedef struct {
	PdStorePool *pool;
	PdStore *got;
	gint done;
} PoolWaiter;

static gpointer
pool_waiter(gpointer data)
{
	PoolWaiter *w = data;

	w->got = pd_store_pool_get(w->pool, NULL);
	g_atomic_int_set(&w->done, 1);
	return NULL;
}

static void
test_pool(void **state)
{
	PdStorePool *pool = pd_store_pool_new(fx->conninfo, 2);
	g_autoptr(GError) error = NULL;
	PdStore *a, *b;
	PoolWaiter w = { pool, NULL, 0 };
	GThread *thread;
	TestMail *t = test_mail_new("pool@customer.test", NULL, NULL, "Pool", "pool\r\n");
	PdDeliveryResult r;

	a = pd_store_pool_get(pool, &error);
	b = pd_store_pool_get(pool, &error);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a != b);

	/* bounded: a third get waits for a put */
	thread = g_thread_new("waiter", pool_waiter, &w);
	for (int i = 0; pd_store_pool_waiting(pool) == 0; i++) {
		assert_true(i < 10000);	/* 10 s */
		g_usleep(1000);
	}
	assert_int_equal(g_atomic_int_get(&w.done), 0);
	pd_store_pool_put(pool, a);
	g_thread_join(thread);
	assert_true(w.got == a);

	/* a connection the server closed while idle is not handed out */
	pd_store_pool_put(pool, w.got);
	pd_store_pool_put(pool, b);
	fixture_exec(fx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		     " WHERE application_name = 'postdesk' AND datname = current_database()");
	g_usleep(200 * 1000);
	a = pd_store_pool_get(pool, &error);
	assert_non_null(a);
	deliver_ok(a, t, &r);
	assert_true(r.new_ticket);
	pd_delivery_result_clear(&r);

	/* a broken one put back is dropped, not reused */
	fixture_exec(fx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		     " WHERE application_name = 'postdesk' AND datname = current_database()");
	g_usleep(100 * 1000);
	assert_false(pd_store_check_schema(a, &error));
	g_clear_error(&error);
	assert_false(pd_store_is_usable(a));
	pd_store_pool_put(pool, a);
	a = pd_store_pool_get(pool, &error);
	assert_non_null(a);
	assert_true(pd_store_check_schema(a, &error));
	pd_store_pool_put(pool, a);
	pd_store_pool_free(pool);
	test_mail_free(t);
}

static void
test_ticket_read(void **state)
{
	g_autoptr(PdStore) store = connect_store();
	TestMail *t = test_mail_new("read.1@customer.test", NULL, NULL, "Readable", "read me\r\n");
	TestMail *u = test_mail_new("read.2@customer.test", "read.1@customer.test", NULL,
				    "Re: Readable", "again\r\n");
	g_autoptr(PdTicketView) view = NULL;
	PdTicketView *missing = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GError) error = NULL;
	PdDeliveryResult r;
	PdMessageView *m;

	test_mail_attach(u, "log.txt", "text/plain", "log lines");
	deliver_ok(store, t, &r);
	pd_delivery_result_clear(&r);
	deliver_ok(store, u, &r);

	assert_true(pd_store_ticket_get(store, r.ticket_number, &view, &error));
	assert_string_equal(view->subject, "Readable");
	assert_string_equal(view->queue, "support");
	assert_string_equal(view->status, "new");
	assert_int_equal(view->participants->len, 1);
	assert_int_equal(view->messages->len, 2);
	m = view->messages->pdata[1];
	assert_string_equal(m->subject, "Re: Readable");
	assert_string_equal(m->cc, "bob@customer.test");
	assert_int_equal(m->date, 1795428000);
	assert_int_equal(m->attachments->len, 1);
	assert_int_equal(((PdAttachmentView *)m->attachments->pdata[0])->size, 9);
	assert_int_equal(view->events->len, 4);
	assert_true(pd_store_is_usable(store));

	assert_false(pd_store_ticket_get(store, 999999, &missing, &error));
	assert_null(missing);
	assert_int_equal(error->code, PD_ERROR_NOTFOUND);
	g_clear_error(&error);
	assert_true(pd_store_is_usable(store));

	{
		PdTicketFilter filter = { .queue = "support", .status = "new", .limit = 1 };

		assert_true(pd_store_ticket_list(store, &filter, &list, &error));
	}
	assert_int_equal(list->len, 1);
	assert_int_equal(((PdTicketSummary *)list->pdata[0])->number, r.ticket_number);
	assert_int_equal(((PdTicketSummary *)list->pdata[0])->messages, 2);
	g_clear_pointer(&list, g_ptr_array_unref);
	{
		PdTicketFilter filter = { .queue = "no-such-queue", .limit = 10 };

		assert_true(pd_store_ticket_list(store, &filter, &list, &error));
	}
	assert_int_equal(list->len, 0);
	pd_delivery_result_clear(&r);
	test_mail_free(t);
	test_mail_free(u);
}

static int
setup(void **state)
{
	fx = fixture_new(g_getenv("PD_TEST_PGHOST"), "store", TRUE);
	return fx != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	g_clear_pointer(&fx, fixture_free);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_twice),
		cmocka_unit_test(test_check_schema_refuses),
		cmocka_unit_test(test_migrate_concurrent),
		cmocka_unit_test(test_deliver_new_ticket),
		cmocka_unit_test(test_deliver_twice),
		cmocka_unit_test(test_deliver_concurrent),
		cmocka_unit_test(test_threading),
		cmocka_unit_test(test_attachment_dedup),
		cmocka_unit_test(test_attachment_span),
		cmocka_unit_test(test_atomic_failure),
		cmocka_unit_test(test_ticket_read),
		cmocka_unit_test(test_connection_killed),
		cmocka_unit_test(test_pool),
	};

	if (g_getenv("PD_TEST_PGHOST") == NULL || g_getenv("PD_SOURCE_DIR") == NULL) {
		printf("SKIP: needs PD_TEST_PGHOST (tests/run) and PD_SOURCE_DIR\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
