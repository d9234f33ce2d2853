/* store-fixture: throwaway databases and hand-built mails for store tests. */
#include "store-fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

static PGconn *
connect_or_die(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("connect %s: %s", conninfo, PQerrorMessage(conn));
	return conn;
}

static void
exec_or_die(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(r);
}

Fixture *
fixture_new(const char *host, const char *tag, gboolean migrate)
{
	Fixture *f;
	g_autofree char *postgres = NULL, *sql = NULL;
	PGconn *conn;

	if (host == NULL || *host == '\0')
		return NULL;
	f = g_new0(Fixture, 1);
	f->host = g_strdup(host);
	f->dbname = g_strdup_printf("pd_unit_%s_%d", tag, (int)getpid());
	postgres = g_strdup_printf("host=%s port=5432 user=postdesk dbname=postgres", host);
	f->conninfo = g_strdup_printf("host=%s port=5432 user=postdesk dbname=%s", host,
				      f->dbname);
	conn = connect_or_die(postgres);
	sql = g_strdup_printf("DROP DATABASE IF EXISTS %s WITH (FORCE)", f->dbname);
	exec_or_die(conn, sql);
	g_free(sql);
	sql = g_strdup_printf("CREATE DATABASE %s TEMPLATE template0", f->dbname);
	exec_or_die(conn, sql);
	PQfinish(conn);
	f->admin = connect_or_die(f->conninfo);
	if (migrate) {
		g_autoptr(GError) error = NULL;
		g_autoptr(PdStore) store = pd_store_connect(f->conninfo, &error);

		assert_non_null(store);
		if (!pd_store_migrate(store, NULL, NULL, &error))
			fail_msg("migrate: %s", error->message);
	}
	return f;
}

void
fixture_free(Fixture *f)
{
	g_autofree char *postgres = NULL, *sql = NULL;
	PGconn *conn;

	if (f == NULL)
		return;
	PQfinish(f->admin);
	postgres = g_strdup_printf("host=%s port=5432 user=postdesk dbname=postgres", f->host);
	conn = PQconnectdb(postgres);
	sql = g_strdup_printf("DROP DATABASE IF EXISTS %s WITH (FORCE)", f->dbname);
	if (PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, sql));
	PQfinish(conn);
	g_free(f->host);
	g_free(f->dbname);
	g_free(f->conninfo);
	g_free(f);
}

static const char *run_tag;
static Fixture **run_fixture;

static int
run_setup(void **state)
{
	*run_fixture = fixture_new(g_getenv("PD_TEST_PGHOST"), run_tag, TRUE);
	return *run_fixture != NULL ? 0 : -1;
}

static int
run_teardown(void **state)
{
	g_clear_pointer(run_fixture, fixture_free);
	return 0;
}

int
fixture_run_tests(const char *tag, const struct CMUnitTest *tests, size_t count, Fixture **fx_r)
{
	if (g_getenv("PD_TEST_PGHOST") == NULL || g_getenv("PD_SOURCE_DIR") == NULL) {
		printf("SKIP: needs PD_TEST_PGHOST (tests/run) and PD_SOURCE_DIR\n");
		return 77;
	}
	run_tag = tag;
	run_fixture = fx_r;
	return _cmocka_run_group_tests(tag, tests, count, run_setup, run_teardown);
}

void
fixture_exec(Fixture *f, const char *sql)
{
	exec_or_die(f->admin, sql);
}

char *
fixture_text(Fixture *f, const char *sql)
{
	PGresult *r = PQexec(f->admin, sql);
	char *value;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(f->admin));
	value = PQgetisnull(r, 0, 0) ? NULL : g_strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return value;
}

gint64
fixture_count(Fixture *f, const char *sql)
{
	g_autofree char *text = fixture_text(f, sql);

	return text != NULL ? g_ascii_strtoll(text, NULL, 10) : -1;
}

static char *
sha256_hex(const void *data, gsize len)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

static PdMailAddress *
address_new(const char *address, const char *name)
{
	PdMailAddress *a = g_new0(PdMailAddress, 1);

	a->address = g_strdup(address);
	a->name = g_strdup(name);
	return a;
}

static void
address_free(PdMailAddress *a)
{
	g_free(a->address);
	g_free(a->name);
	g_free(a);
}

static void
attachment_free(PdMailAttachment *a)
{
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->content_id);
	g_bytes_unref(a->content);
	g_free(a);
}

TestMail *
test_mail_new(const char *message_id, const char *in_reply_to, const char *const *references,
	      const char *subject, const char *body)
{
	TestMail *t = g_new0(TestMail, 1);
	PdMail *m = &t->mail;
	GString *raw = g_string_new(NULL);
	g_autofree char *raw_hash = NULL, *body_hash = NULL, *key_text = NULL;

	m->from.address = g_strdup("alice@customer.test");
	m->from.name = g_strdup("Alice Example");
	m->to = g_ptr_array_new_with_free_func((GDestroyNotify)address_free);
	g_ptr_array_add(m->to, address_new("support@example.com", NULL));
	m->cc = g_ptr_array_new_with_free_func((GDestroyNotify)address_free);
	g_ptr_array_add(m->cc, address_new("bob@customer.test", "Bob"));
	m->subject = g_strdup(subject);
	m->message_id = g_strdup(message_id);
	m->in_reply_to = g_strdup(in_reply_to);
	m->references = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; references != NULL && references[i] != NULL; i++)
		g_ptr_array_add(m->references, g_strdup(references[i]));
	m->date = 1795428000;	/* 2026-11-23 10:00:00 UTC */
	m->text_body = g_strdup(body);
	m->attachments = g_ptr_array_new_with_free_func((GDestroyNotify)attachment_free);
	m->warnings = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(m->warnings, g_strdup("test warning"));
	m->headers = g_ptr_array_new_with_free_func(g_free);
	m->class.list = TRUE;

	g_string_append_printf(raw, "From: Alice Example <alice@customer.test>\r\n"
			       "To: support@example.com\r\nSubject: %s\r\n", subject);
	if (message_id != NULL)
		g_string_append_printf(raw, "Message-ID: <%s>\r\n", message_id);
	if (in_reply_to != NULL)
		g_string_append_printf(raw, "In-Reply-To: <%s>\r\n", in_reply_to);
	g_string_append_printf(raw, "\r\n%s", body);
	raw_hash = sha256_hex(raw->str, raw->len);
	body_hash = sha256_hex(body, strlen(body));
	g_strlcpy(m->raw_sha256, raw_hash, sizeof(m->raw_sha256));
	g_strlcpy(m->body_sha256, body_hash, sizeof(m->body_sha256));
	m->raw_size = raw->len;
	t->raw = g_string_free_to_bytes(raw);

	key_text = g_strdup_printf("support@example.com|%s|%s", message_id ? message_id : "",
				   message_id ? body_hash : raw_hash);
	t->key = sha256_hex(key_text, strlen(key_text));
	t->candidates = g_ptr_array_new_with_free_func(g_free);
	if (in_reply_to != NULL)
		g_ptr_array_add(t->candidates, g_strdup(in_reply_to));
	for (guint i = m->references->len; i > 0; i--)
		g_ptr_array_add(t->candidates, g_strdup(m->references->pdata[i - 1]));

	t->envelope = pd_envelope_new("test");
	t->envelope->mail_from = g_strdup("alice@customer.test");
	pd_envelope_add_recipient(t->envelope, "support@example.com");
	t->envelope->client_address = g_strdup("192.0.2.7");
	t->envelope->client_helo = g_strdup("mail.customer.test");

	t->delivery.envelope = t->envelope;
	t->delivery.recipient = "support@example.com";
	t->delivery.queue = "support";
	t->delivery.mail = m;
	t->delivery.raw = t->raw;
	t->delivery.idempotency_key = t->key;
	t->delivery.thread_candidates = t->candidates;
	return t;
}

void
test_mail_attach(TestMail *t, const char *filename, const char *content_type,
		 const char *content)
{
	PdMailAttachment *a = g_new0(PdMailAttachment, 1);
	g_autofree char *hash = sha256_hex(content, strlen(content));

	a->filename = g_strdup(filename);
	a->content_type = g_strdup(content_type);
	a->size = strlen(content);
	a->content = g_bytes_new(content, strlen(content));
	g_strlcpy(a->sha256, hash, sizeof(a->sha256));
	g_ptr_array_add(t->mail.attachments, a);
}

void
test_mail_free(TestMail *t)
{
	PdMail *m = &t->mail;

	g_free(m->from.address);
	g_free(m->from.name);
	g_free(m->subject);
	g_free(m->message_id);
	g_free(m->in_reply_to);
	g_free(m->text_body);
	g_free(m->html_body);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	g_ptr_array_unref(m->references);
	g_ptr_array_unref(m->attachments);
	g_ptr_array_unref(m->warnings);
	g_ptr_array_unref(m->headers);
	g_bytes_unref(t->raw);
	g_free(t->key);
	g_ptr_array_unref(t->candidates);
	pd_envelope_free(t->envelope);
	g_free(t);
}
