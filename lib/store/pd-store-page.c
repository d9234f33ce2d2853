/* pd-store-page: the customer's ticket page (pd-store-page.h). */
#include "store/pd-store-page.h"
#include "pd-store-private.h"
#include "core/pd-error.h"

static const char page_addresses_sql[] =
	"SELECT DISTINCT lower(a) FROM ("
	" SELECT requester_address AS a FROM tickets WHERE id = $1"
	" UNION ALL SELECT address FROM participants WHERE ticket_id = $1"
	" UNION ALL SELECT unnest(recipients) FROM outbound"
	"  WHERE ticket_id = $1 AND kind IN ('ack', 'relay')) x WHERE a IS NOT NULL";

static const char page_ticket_sql[] =
	"SELECT t.number, t.subject, t.status, q.name"
	" FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = $1";

/* the recipient's own mail, and the answers relayed to the recipient */
static const char page_entries_sql[] =
	"SELECT * FROM ("
	" SELECT extract(epoch FROM m.received_at)::bigint AS at, true, NULL::text,"
	"  m.subject, m.text_body,"
	"  (SELECT string_agg(coalesce(ma.filename, 'unnamed ' || ma.content_type), E'\\n'"
	"   ORDER BY ma.position) FROM message_attachments ma"
	"   WHERE ma.message_row = m.id AND NOT ma.inline), m.id AS n"
	" FROM messages m WHERE m.ticket_id = $1 AND m.direction = 'in'"
	"  AND m.kind = 'customer' AND lower(m.from_address) = $2"
	" UNION ALL"
	" SELECT extract(epoch FROM coalesce(o.sent_at, o.created_at))::bigint, false,"
	"  o.template_values->>'agent.name', NULL, o.template_values->>'message.text', NULL,"
	"  o.id"
	" FROM outbound o WHERE o.ticket_id = $1 AND o.kind = 'relay'"
	"  AND o.status <> 'cancelled'"
	"  AND EXISTS (SELECT 1 FROM unnest(o.recipients) r WHERE lower(r) = $2)"
	") e ORDER BY at, n";

static void
page_entry_free(PdPageEntry *e)
{
	g_free(e->author);
	g_free(e->subject);
	g_free(e->text);
	g_clear_pointer(&e->files, g_ptr_array_unref);
	g_free(e);
}

void
pd_customer_page_free(PdCustomerPage *page)
{
	if (page == NULL)
		return;
	g_free(page->subject);
	g_free(page->status);
	g_free(page->queue);
	g_free(page->address);
	g_clear_pointer(&page->entries, g_ptr_array_unref);
	g_free(page);
}

static PGresult *
page_query(PdStore *store, const char *sql, gint64 ticket_id, const char *address,
	   GError **error)
{
	PdStoreParams params;
	PGresult *result;

	pd_store_params_init(&params);
	pd_store_param_int(&params, ticket_id);
	if (address != NULL)
		pd_store_param_text(&params, address);
	result = pd_store_exec_sql(store, sql, &params, "customer page", error);
	pd_store_params_clear(&params);
	return result;
}

static gboolean
page_read(PdStore *store, gint64 ticket_id, PdPageRecipientFunc matches, gpointer user_data,
	  PdCustomerPage **page_r, GError **error)
{
	g_autoptr(PGresult) r = NULL;
	g_autoptr(PdCustomerPage) page = NULL;
	g_autofree char *address = NULL;

	if ((r = page_query(store, page_addresses_sql, ticket_id, NULL, error)) == NULL)
		return FALSE;
	for (int i = 0; address == NULL && i < PQntuples(r); i++)
		if (matches(pd_store_value(r, i, 0), user_data))
			address = pd_store_dup(r, i, 0);
	g_clear_pointer(&r, PQclear);
	if (address == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "no such page");
		return FALSE;
	}
	if ((r = page_query(store, page_ticket_sql, ticket_id, NULL, error)) == NULL)
		return FALSE;
	if (PQntuples(r) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "no such page");
		return FALSE;
	}
	page = g_new0(PdCustomerPage, 1);
	page->number = pd_store_int(r, 0, 0);
	page->subject = pd_store_dup(r, 0, 1);
	page->status = pd_store_dup(r, 0, 2);
	page->queue = pd_store_dup(r, 0, 3);
	page->address = g_steal_pointer(&address);
	page->entries = g_ptr_array_new_with_free_func((GDestroyNotify)page_entry_free);
	g_clear_pointer(&r, PQclear);

	if ((r = page_query(store, page_entries_sql, ticket_id, page->address, error)) == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(r); i++) {
		PdPageEntry *e = g_new0(PdPageEntry, 1);
		const char *files = pd_store_value(r, i, 5);

		e->at = pd_store_int(r, i, 0);
		e->from_customer = pd_store_bool(r, i, 1);
		e->author = pd_store_dup(r, i, 2);
		e->subject = pd_store_dup(r, i, 3);
		e->text = pd_store_dup(r, i, 4);
		e->files = g_ptr_array_new_with_free_func(g_free);
		if (files != NULL) {
			g_auto(GStrv) names = g_strsplit(files, "\n", -1);

			for (guint j = 0; names[j] != NULL; j++)
				g_ptr_array_add(e->files, g_strdup(names[j]));
		}
		g_ptr_array_add(page->entries, e);
	}
	*page_r = g_steal_pointer(&page);
	return TRUE;
}

gboolean
pd_store_customer_page(PdStore *store, gint64 ticket_id, PdPageRecipientFunc matches,
		       gpointer user_data, PdCustomerPage **page_r, GError **error)
{
	gboolean ok;

	g_return_val_if_fail(store != NULL && matches != NULL && page_r != NULL, FALSE);

	*page_r = NULL;
	if (!pd_store_exec_simple(store, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
				  "customer page", error))
		return FALSE;
	ok = page_read(store, ticket_id, matches, user_data, page_r, error);
	if (!pd_store_exec_simple(store, ok ? "COMMIT" : "ROLLBACK", "customer page",
				  ok ? error : NULL) && ok) {
		g_clear_pointer(page_r, pd_customer_page_free);
		return FALSE;
	}
	return ok;
}
