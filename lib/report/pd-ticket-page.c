/* pd-ticket-page: /tickets and /tickets/N as XHTML (pd-ticket-page.h). */
#include "report/pd-ticket-page.h"
#include "report/pd-svg.h"

static void
page_text(GString *out, const char *element, const char *text)
{
	g_string_append_printf(out, "<%s>", element);
	pd_xml_escape(out, text != NULL ? text : "-");
	g_string_append_printf(out, "</%s>", element);
}

/* Unix time as "2026-11-02 09:00 UTC", "-" for 0. */
static char *
page_time(gint64 unix_time)
{
	g_autoptr(GDateTime) dt = NULL;

	if (unix_time == 0)
		return g_strdup("-");
	dt = g_date_time_new_from_unix_utc(unix_time);
	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M UTC") : g_strdup("-");
}

static void
page_time_cell(GString *out, gint64 unix_time)
{
	g_autofree char *text = page_time(unix_time);

	page_text(out, "td", text);
}

void
pd_ticket_page_list(GPtrArray *tickets, const char *filter, GString *out)
{
	static const char *const head[] = { "number", "status", "priority", "queue",
					    "requester", "account", "assignee", "subject",
					    "messages", "updated" };

	pd_html_begin(out, "Tickets");
	page_text(out, "p", filter != NULL && *filter != '\0' ? filter
			    : "the most recently updated");
	g_string_append(out, "\n<table>\n<tr>");
	for (guint j = 0; j < G_N_ELEMENTS(head); j++)
		page_text(out, "th", head[j]);
	g_string_append(out, "</tr>\n");
	for (guint i = 0; i < tickets->len; i++) {
		const PdTicketSummary *t = tickets->pdata[i];
		g_autofree char *messages = g_strdup_printf("%" G_GINT64_FORMAT, t->messages);

		g_string_append_printf(out, "<tr><td class=\"n\"><a href=\"/tickets/%" G_GINT64_FORMAT
				       "\">%" G_GINT64_FORMAT "</a></td>", t->number, t->number);
		page_text(out, "td", t->status);
		page_text(out, "td", t->priority);
		page_text(out, "td", t->queue);
		page_text(out, "td", t->requester);
		page_text(out, "td", t->account);
		page_text(out, "td", t->assignee);
		page_text(out, "td", t->subject);
		g_string_append(out, "<td class=\"n\">");
		pd_xml_escape(out, messages);
		g_string_append(out, "</td>");
		page_time_cell(out, t->updated_at);
		g_string_append(out, "</tr>\n");
	}
	g_string_append(out, "</table>\n");
	if (tickets->len == 0)
		page_text(out, "p", "No ticket.");
	pd_html_end(out);
}

static void
page_row(GString *out, const char *name, const char *value)
{
	g_string_append(out, "<tr>");
	page_text(out, "th", name);
	page_text(out, "td", value);
	g_string_append(out, "</tr>\n");
}

static void
page_row_time(GString *out, const char *name, gint64 unix_time)
{
	g_autofree char *text = page_time(unix_time);

	page_row(out, name, text);
}

static void
page_message(GString *out, const PdMessageView *m)
{
	g_autofree char *heading = g_strdup_printf("%s, %s (%s)", m->kind, m->direction,
						   m->from_address != NULL ? m->from_address : "-");

	page_text(out, "h3", heading);
	g_string_append(out, "<table>\n");
	page_row(out, "from", m->from_name != NULL && *m->from_name != '\0' ? m->from_name
			      : m->from_address);
	page_row(out, "to", m->to);
	if (m->cc != NULL && *m->cc != '\0')
		page_row(out, "cc", m->cc);
	page_row(out, "subject", m->subject);
	page_row_time(out, "received", m->received_at);
	page_row(out, "authenticated", m->from_authenticated ? "yes" : "no");
	/* the rules' score and every rule that hit (messages.spam_score, rule_hits) */
	if (m->spam != NULL)
		page_row(out, "rule score", m->spam);
	if (m->disposition != NULL)
		page_row(out, "disposition", m->disposition);
	if (m->warnings != NULL && *m->warnings != '\0')
		page_row(out, "warnings", m->warnings);
	for (guint i = 0; m->attachments != NULL && i < m->attachments->len; i++) {
		const PdAttachmentView *a = m->attachments->pdata[i];
		g_autofree char *line = g_strdup_printf("%s (%s, %" G_GINT64_FORMAT " bytes, sha256 %s)",
							a->filename != NULL ? a->filename : "unnamed",
							a->content_type, a->size, a->sha256);

		page_row(out, "attachment", line);
	}
	g_string_append(out, "</table>\n");
	page_text(out, "pre", m->text_body != NULL ? m->text_body : "");
	g_string_append_c(out, '\n');
}

void
pd_ticket_page_show(const PdTicketView *t, GString *out)
{
	g_autofree char *title = g_strdup_printf("Ticket %" G_GINT64_FORMAT, t->number);
	g_autofree char *requester = g_strdup_printf("%s%s%s%s",
		t->requester_name != NULL ? t->requester_name : "",
		t->requester_name != NULL ? " <" : "",
		t->requester_address != NULL ? t->requester_address : "-",
		t->requester_name != NULL ? ">" : "");

	pd_html_begin(out, title);
	g_string_append(out, "<p><a href=\"/tickets\">all tickets</a></p>\n<table>\n");
	page_row(out, "subject", t->subject);
	page_row(out, "queue", t->queue);
	page_row(out, "status", t->status);
	page_row(out, "priority", t->priority);
	page_row(out, "category", t->category);
	page_row(out, "requester", requester);
	page_row(out, "assignee", t->assignee_address);
	page_row(out, "needs authorization", t->needs_authorization ? "yes" : "no");
	page_row_time(out, "created", t->created_at);
	page_row_time(out, "first response", t->first_response_at);
	page_row_time(out, "closed", t->closed_at);
	g_string_append(out, "</table>\n");
	page_text(out, "h2", "Participants");
	g_string_append(out, "\n<table>\n");
	for (guint i = 0; i < t->participants->len; i++) {
		const PdParticipantView *p = t->participants->pdata[i];

		g_string_append(out, "<tr>");
		page_text(out, "td", p->address);
		page_text(out, "td", p->name);
		page_text(out, "td", p->role);
		g_string_append(out, "</tr>\n");
	}
	g_string_append(out, "</table>\n");
	page_text(out, "h2", "Messages");
	g_string_append_c(out, '\n');
	for (guint i = 0; i < t->messages->len; i++)
		page_message(out, t->messages->pdata[i]);
	page_text(out, "h2", "Events");
	g_string_append(out, "\n<table>\n");
	for (guint i = 0; i < t->events->len; i++) {
		const PdEventView *e = t->events->pdata[i];

		g_string_append(out, "<tr>");
		page_time_cell(out, e->at);
		page_text(out, "td", e->actor);
		page_text(out, "td", e->kind);
		page_text(out, "td", e->detail);
		g_string_append(out, "</tr>\n");
	}
	g_string_append(out, "</table>\n");
	pd_html_end(out);
}

void
pd_ticket_page_customer(const PdCustomerPage *page, const char *reply_address, GString *out)
{
	g_autofree char *title = g_strdup_printf("Your request #%" G_GINT64_FORMAT, page->number);

	g_string_append(out, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
			"lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
			"<meta name=\"robots\" content=\"noindex\"/>\n<title>");
	pd_xml_escape(out, title);
	g_string_append(out, "</title>\n</head>\n<body>\n");
	page_text(out, "h1", title);
	g_string_append(out, "\n<table>\n");
	page_row(out, "subject", page->subject);
	g_string_append(out, "<tr><th>status</th><td id=\"status\">");
	pd_xml_escape(out, page->status);
	g_string_append(out, "</td></tr>\n");
	page_row(out, "queue", page->queue);
	g_string_append(out, "</table>\n");
	if (reply_address != NULL) {
		g_autofree char *subject = g_strdup_printf("[#%" G_GINT64_FORMAT "]", page->number);
		g_autofree char *to = g_uri_escape_string(reply_address, "@+", FALSE);
		g_autofree char *s = g_uri_escape_string(subject, NULL, FALSE);
		g_autofree char *href = g_strdup_printf("mailto:%s?subject=%s", to, s);

		g_string_append(out, "<p><a id=\"reply\" href=\"");
		pd_xml_escape(out, href);
		g_string_append(out, "\">Add to this request by mail</a></p>\n");
	}
	page_text(out, "h2", "Messages");
	g_string_append_c(out, '\n');
	for (guint i = 0; i < page->entries->len; i++) {
		const PdPageEntry *e = page->entries->pdata[i];
		g_autofree char *when = page_time(e->at);
		g_autofree char *who = e->from_customer ? g_strdup("You wrote")
			: g_strdup_printf("%s answered", e->author != NULL ? e->author : "Support");
		g_autofree char *heading = g_strdup_printf("%s, %s", who, when);

		g_string_append_printf(out, "<div class=\"%s\">\n",
				       e->from_customer ? "customer" : "answer");
		page_text(out, "h3", heading);
		if (e->subject != NULL)
			page_text(out, "p", e->subject);
		page_text(out, "pre", e->text != NULL ? e->text : "");
		for (guint j = 0; j < e->files->len; j++) {
			g_autofree char *line = g_strdup_printf("attached: %s",
								(const char *)e->files->pdata[j]);

			page_text(out, "p", line);
		}
		g_string_append(out, "</div>\n");
	}
	if (page->entries->len == 0)
		page_text(out, "p", "No message yet.");
	g_string_append(out, "</body>\n</html>\n");
}
