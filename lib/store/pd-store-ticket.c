/* pd-store-ticket: reading tickets for `postdesk ticket list|show`.
 *
 * Read-only queries that fill plain structs; formatting is the CLI's.
 * A ticket is read in one REPEATABLE READ transaction so its messages,
 * attachments and events agree with each other.
 */
#include "pd-store-private.h"
#include "core/pd-error.h"

void
pd_ticket_summary_free(PdTicketSummary *summary)
{
	if (summary == NULL)
		return;
	g_free(summary->status);
	g_free(summary->queue);
	g_free(summary->requester);
	g_free(summary->subject);
	g_free(summary->priority);
	g_free(summary->category);
	g_free(summary->assignee);
	g_free(summary->account);
	g_free(summary);
}

gboolean
pd_store_ticket_list(PdStore *store, const PdTicketFilter *filter, GPtrArray **tickets_r,
		     GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	GPtrArray *tickets;

	g_return_val_if_fail(store != NULL && filter != NULL && tickets_r != NULL, FALSE);

	pd_store_params_init(&params);
	pd_store_param_text(&params, filter->queue);
	pd_store_param_text(&params, filter->status);
	pd_store_param_int(&params, filter->limit > 0 ? filter->limit : 50);
	pd_store_param_bool(&params, filter->held_only);
	pd_store_param_text(&params, filter->category);
	pd_store_param_text(&params, filter->assignee);
	pd_store_param_text(&params, filter->requester);
	pd_store_param_text(&params, filter->account);
	pd_store_param_text(&params, filter->since);
	pd_store_param_text(&params, filter->until);
	pd_store_param_text(&params, filter->search);
	result = pd_store_exec(store, PD_STMT_TICKET_LIST, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	tickets = g_ptr_array_new_with_free_func((GDestroyNotify)pd_ticket_summary_free);
	for (int row = 0; row < PQntuples(result); row++) {
		PdTicketSummary *t = g_new0(PdTicketSummary, 1);

		t->number = pd_store_int(result, row, 0);
		t->status = pd_store_dup(result, row, 1);
		t->queue = pd_store_dup(result, row, 2);
		t->requester = pd_store_dup(result, row, 3);
		t->subject = pd_store_dup(result, row, 4);
		t->messages = pd_store_int(result, row, 5);
		t->updated_at = pd_store_int(result, row, 6);
		t->priority = pd_store_dup(result, row, 7);
		t->category = pd_store_dup(result, row, 8);
		t->assignee = pd_store_dup(result, row, 9);
		t->account = pd_store_dup(result, row, 10);
		t->created_at = pd_store_int(result, row, 11);
		g_ptr_array_add(tickets, t);
	}
	*tickets_r = tickets;
	return TRUE;
}

static void
participant_free(PdParticipantView *p)
{
	g_free(p->address);
	g_free(p->name);
	g_free(p->role);
	g_free(p);
}

static void
attachment_free(PdAttachmentView *a)
{
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->sha256);
	g_free(a);
}

static void
message_free(PdMessageView *m)
{
	g_free(m->direction);
	g_free(m->kind);
	g_free(m->message_id);
	g_free(m->from_address);
	g_free(m->from_name);
	g_free(m->to);
	g_free(m->cc);
	g_free(m->subject);
	g_free(m->text_body);
	g_free(m->envelope_mail_from);
	g_free(m->envelope_recipient);
	g_free(m->raw_sha256);
	g_free(m->warnings);
	g_free(m->auth_results);
	g_free(m->spam);
	g_free(m->disposition);
	g_ptr_array_unref(m->attachments);
	g_free(m);
}

static void
outbound_view_free(PdOutboundView *o)
{
	g_free(o->kind);
	g_free(o->template_name);
	g_free(o->to);
	g_free(o->status);
	g_free(o->last_error);
	g_free(o);
}

static void
event_free(PdEventView *e)
{
	g_free(e->actor);
	g_free(e->kind);
	g_free(e->detail);
	g_free(e);
}

void
pd_ticket_view_free(PdTicketView *t)
{
	if (t == NULL)
		return;
	g_free(t->queue);
	g_free(t->subject);
	g_free(t->status);
	g_free(t->priority);
	g_free(t->category);
	g_free(t->requester_address);
	g_free(t->requester_name);
	g_free(t->assignee_address);
	g_free(t->assignee_name);
	g_free(t->tags);
	g_clear_pointer(&t->participants, g_ptr_array_unref);
	g_clear_pointer(&t->messages, g_ptr_array_unref);
	g_clear_pointer(&t->events, g_ptr_array_unref);
	g_clear_pointer(&t->outbound, g_ptr_array_unref);
	g_free(t);
}

/* Run one of the per-ticket statements with the ticket id. */
static PGresult *
by_ticket(PdStore *store, PdStmt stmt, gint64 id, GError **error)
{
	PdStoreParams params;
	PGresult *result;

	pd_store_params_init(&params);
	pd_store_param_int(&params, id);
	result = pd_store_exec(store, stmt, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	return result;
}

static gboolean
read_ticket(PdStore *store, gint64 number, PdTicketView **ticket_r, GError **error)
{
	g_autoptr(PGresult) r = NULL;
	g_autoptr(PdTicketView) t = NULL;
	g_autoptr(GHashTable) by_row = g_hash_table_new(g_int64_hash, g_int64_equal);

	r = by_ticket(store, PD_STMT_TICKET, number, error);
	if (r == NULL)
		return FALSE;
	if (PQntuples(r) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "no ticket %" G_GINT64_FORMAT,
			    number);
		return FALSE;
	}
	t = g_new0(PdTicketView, 1);
	t->id = pd_store_int(r, 0, 0);
	t->number = pd_store_int(r, 0, 1);
	t->queue = pd_store_dup(r, 0, 2);
	t->subject = pd_store_dup(r, 0, 3);
	t->status = pd_store_dup(r, 0, 4);
	t->priority = pd_store_dup(r, 0, 5);
	t->category = pd_store_dup(r, 0, 6);
	t->requester_address = pd_store_dup(r, 0, 7);
	t->requester_name = pd_store_dup(r, 0, 8);
	t->needs_authorization = pd_store_bool(r, 0, 9);
	t->created_at = pd_store_int(r, 0, 10);
	t->updated_at = pd_store_int(r, 0, 11);
	t->first_response_at = pd_store_int(r, 0, 12);
	t->closed_at = pd_store_int(r, 0, 13);
	t->assignee_address = pd_store_dup(r, 0, 14);
	t->assignee_name = pd_store_dup(r, 0, 15);
	t->merged_into = pd_store_int(r, 0, 16);
	t->tags = pd_store_dup(r, 0, 17);
	t->participants = g_ptr_array_new_with_free_func((GDestroyNotify)participant_free);
	t->messages = g_ptr_array_new_with_free_func((GDestroyNotify)message_free);
	t->events = g_ptr_array_new_with_free_func((GDestroyNotify)event_free);
	t->outbound = g_ptr_array_new_with_free_func((GDestroyNotify)outbound_view_free);
	g_clear_pointer(&r, PQclear);

	if ((r = by_ticket(store, PD_STMT_PARTICIPANTS, t->id, error)) == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(r); i++) {
		PdParticipantView *p = g_new0(PdParticipantView, 1);

		p->address = pd_store_dup(r, i, 0);
		p->name = pd_store_dup(r, i, 1);
		p->role = pd_store_dup(r, i, 2);
		p->added_at = pd_store_int(r, i, 3);
		g_ptr_array_add(t->participants, p);
	}
	g_clear_pointer(&r, PQclear);

	if ((r = by_ticket(store, PD_STMT_MESSAGES, t->id, error)) == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(r); i++) {
		PdMessageView *m = g_new0(PdMessageView, 1);

		m->row = pd_store_int(r, i, 0);
		m->direction = pd_store_dup(r, i, 1);
		m->kind = pd_store_dup(r, i, 2);
		m->message_id = pd_store_dup(r, i, 3);
		m->from_address = pd_store_dup(r, i, 4);
		m->from_name = pd_store_dup(r, i, 5);
		m->to = pd_store_dup(r, i, 6);
		m->cc = pd_store_dup(r, i, 7);
		m->subject = pd_store_dup(r, i, 8);
		m->date = pd_store_int(r, i, 9);
		m->received_at = pd_store_int(r, i, 10);
		m->text_body = pd_store_dup(r, i, 11);
		m->envelope_mail_from = pd_store_dup(r, i, 12);
		m->envelope_recipient = pd_store_dup(r, i, 13);
		m->raw_sha256 = pd_store_dup(r, i, 14);
		m->raw_size = pd_store_int(r, i, 15);
		m->warnings = pd_store_dup(r, i, 16);
		m->auth_results = pd_store_dup(r, i, 17);
		m->from_authenticated = pd_store_bool(r, i, 18);
		m->spam = pd_store_dup(r, i, 19);
		m->disposition = pd_store_dup(r, i, 20);
		m->attachments = g_ptr_array_new_with_free_func((GDestroyNotify)attachment_free);
		g_ptr_array_add(t->messages, m);
		g_hash_table_insert(by_row, &m->row, m);
	}
	g_clear_pointer(&r, PQclear);

	if ((r = by_ticket(store, PD_STMT_ATTACHMENTS, t->id, error)) == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(r); i++) {
		gint64 row = pd_store_int(r, i, 0);
		PdMessageView *m = g_hash_table_lookup(by_row, &row);
		PdAttachmentView *a;

		if (m == NULL)
			continue;
		a = g_new0(PdAttachmentView, 1);
		a->filename = pd_store_dup(r, i, 1);
		a->content_type = pd_store_dup(r, i, 2);
		a->inline_part = pd_store_bool(r, i, 3);
		a->size = pd_store_int(r, i, 4);
		a->sha256 = pd_store_dup(r, i, 5);
		g_ptr_array_add(m->attachments, a);
	}
	g_clear_pointer(&r, PQclear);

	if ((r = by_ticket(store, PD_STMT_EVENTS, t->id, error)) == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(r); i++) {
		PdEventView *e = g_new0(PdEventView, 1);

		e->at = pd_store_int(r, i, 0);
		e->actor = pd_store_dup(r, i, 1);
		e->kind = pd_store_dup(r, i, 2);
		e->detail = pd_store_dup(r, i, 3);
		e->message_row = pd_store_int(r, i, 4);
		g_ptr_array_add(t->events, e);
	}
	g_clear_pointer(&r, PQclear);

	if ((r = by_ticket(store, PD_STMT_TICKET_OUTBOUND, t->id, error)) == NULL)
		return FALSE;
	for (int i = 0; i < PQntuples(r); i++) {
		PdOutboundView *o = g_new0(PdOutboundView, 1);

		o->id = pd_store_int(r, i, 0);
		o->created_at = pd_store_int(r, i, 1);
		o->kind = pd_store_dup(r, i, 2);
		o->template_name = pd_store_dup(r, i, 3);
		o->to = pd_store_dup(r, i, 4);
		o->status = pd_store_dup(r, i, 5);
		o->attempts = pd_store_int(r, i, 6);
		o->sent_at = pd_store_int(r, i, 7);
		o->last_error = pd_store_dup(r, i, 8);
		g_ptr_array_add(t->outbound, o);
	}
	*ticket_r = g_steal_pointer(&t);
	return TRUE;
}

gboolean
pd_store_ticket_get(PdStore *store, gint64 number, PdTicketView **ticket_r, GError **error)
{
	gboolean ok;

	g_return_val_if_fail(store != NULL && ticket_r != NULL, FALSE);

	*ticket_r = NULL;
	if (!pd_store_exec_simple(store, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
				  "ticket", error))
		return FALSE;
	ok = read_ticket(store, number, ticket_r, error);
	if (!pd_store_exec_simple(store, ok ? "COMMIT" : "ROLLBACK", "ticket",
				  ok ? error : NULL) && ok) {
		g_clear_pointer(ticket_r, pd_ticket_view_free);
		return FALSE;
	}
	return ok;
}

gboolean
pd_store_ticket_release(PdStore *store, gint64 number, const char *actor,
			const PdNotifySettings *notify, char **held_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	g_return_val_if_fail(store != NULL && actor != NULL && held_r != NULL, FALSE);

	*held_r = NULL;
	pd_store_params_init(&params);
	pd_store_param_int(&params, number);
	pd_store_param_text(&params, actor);
	pd_store_param_take_text(&params, notify != NULL ? pd_notify_settings_json(notify) : NULL);
	result = pd_store_exec(store, PD_STMT_TICKET_RELEASE, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "no ticket %" G_GINT64_FORMAT, number);
		return FALSE;
	}
	*held_r = pd_store_dup(result, 0, 0);
	return TRUE;
}

gboolean
pd_store_attachment_get(PdStore *store, const char *sha256, GBytes **content_r, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;
	g_autoptr(GBytes) content = NULL;
	g_autofree char *hash = NULL;

	g_return_val_if_fail(store != NULL && sha256 != NULL && content_r != NULL, FALSE);

	*content_r = NULL;
	pd_store_params_init(&params);
	pd_store_param_text(&params, sha256);
	result = pd_store_exec(store, PD_STMT_ATTACHMENT_GET, &params, NULL, NULL, error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "no attachment %s", sha256);
		return FALSE;
	}
	content = pd_store_bytes(result, 0, 0);
	if (content == NULL) {
		g_autoptr(GBytes) span = pd_store_bytes(result, 0, 2);

		if (span == NULL) {
			g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
				    "attachment %s: neither its bytes nor a raw message carrying them"
				    " are stored", sha256);
			return FALSE;
		}
		content = pd_mail_decode(g_bytes_get_data(span, NULL), g_bytes_get_size(span),
					 pd_store_value(result, 0, 1));
	}
	hash = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, content);
	if (g_ascii_strcasecmp(hash, sha256) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "attachment %s: the stored bytes hash to %s", sha256, hash);
		return FALSE;
	}
	*content_r = g_steal_pointer(&content);
	return TRUE;
}
