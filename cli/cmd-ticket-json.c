/* `postdesk ticket show N --json`: the ticket as one JSON object, for
 * scripts: the same PdTicketView the text shows (pd_store_ticket_get), every
 * time as ISO 8601 in UTC, null for none.  JSON escaping makes any text from
 * mail safe (pd_json_string). */
#include "cmd-desk.h"
#include "core/pd-json.h"

#include <stdio.h>

static void
add_time(PdJson *json, const char *key, gint64 unix_time)
{
	g_autoptr(GDateTime) dt = unix_time != 0 ? g_date_time_new_from_unix_utc(unix_time) : NULL;
	g_autofree char *text = dt != NULL ? g_date_time_format_iso8601(dt) : NULL;

	if (text == NULL)
		pd_json_add_null(json, key);
	else
		pd_json_add_string(json, key, text);
}

static void
ticket_members(PdJson *json, gconstpointer data)
{
	const PdTicketView *t = data;

	pd_json_add_int(json, "number", t->number);
	pd_json_add_string(json, "subject", t->subject);
	pd_json_add_string(json, "status", t->status);
	pd_json_add_string(json, "priority", t->priority);
	pd_json_add_string(json, "queue", t->queue);
	pd_json_add_string(json, "category", t->category);
	pd_json_add_string(json, "tags", t->tags);
	pd_json_add_string(json, "requester", t->requester_address);
	pd_json_add_string(json, "requester_name", t->requester_name);
	pd_json_add_string(json, "assignee", t->assignee_address);
	pd_json_add_bool(json, "needs_authorization", t->needs_authorization);
	if (t->merged_into != 0)
		pd_json_add_int(json, "merged_into", t->merged_into);
	else
		pd_json_add_null(json, "merged_into");
	add_time(json, "created", t->created_at);
	add_time(json, "updated", t->updated_at);
	add_time(json, "first_response", t->first_response_at);
	add_time(json, "closed", t->closed_at);
	pd_json_begin_array(json, "participants");
	for (guint i = 0; i < t->participants->len; i++) {
		const PdParticipantView *p = t->participants->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "address", p->address);
		pd_json_add_string(json, "name", p->name);
		pd_json_add_string(json, "role", p->role);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_begin_array(json, "messages");
	for (guint i = 0; i < t->messages->len; i++) {
		const PdMessageView *m = t->messages->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_int(json, "row", m->row);
		pd_json_add_string(json, "direction", m->direction);
		pd_json_add_string(json, "kind", m->kind);
		pd_json_add_string(json, "message_id", m->message_id);
		pd_json_add_string(json, "from", m->from_address);
		pd_json_add_string(json, "subject", m->subject);
		add_time(json, "received", m->received_at);
		pd_json_add_string(json, "text", m->text_body);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_begin_array(json, "outbound");
	for (guint i = 0; i < t->outbound->len; i++) {
		const PdOutboundView *o = t->outbound->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_int(json, "id", o->id);
		pd_json_add_string(json, "kind", o->kind);
		pd_json_add_string(json, "template", o->template_name);
		pd_json_add_string(json, "to", o->to);
		pd_json_add_string(json, "status", o->status);
		pd_json_add_int(json, "attempts", o->attempts);
		add_time(json, "created", o->created_at);
		add_time(json, "sent", o->sent_at);
		pd_json_add_string(json, "last_error", o->last_error);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_begin_array(json, "events");
	for (guint i = 0; i < t->events->len; i++) {
		const PdEventView *e = t->events->pdata[i];

		pd_json_begin_object(json, NULL);
		add_time(json, "at", e->at);
		pd_json_add_string(json, "actor", e->actor);
		pd_json_add_string(json, "kind", e->kind);
		pd_json_add_raw(json, "detail", e->detail != NULL ? e->detail : "{}");
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
}

void
pd_ticket_view_print_json(const PdTicketView *ticket)
{
	g_autofree char *text = pd_json_object(ticket_members, ticket);

	printf("%s\n", text);
}
