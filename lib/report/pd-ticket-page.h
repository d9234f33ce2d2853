/* pd-ticket-page: the operator's read-only ticket pages of the HTTP
 * listener (/tickets, /tickets/N): the same facts as `postdesk ticket list`
 * and `ticket show`, as XHTML.
 *
 * Everything on them comes from mail (subjects, names, addresses, bodies,
 * file names, event details) and is escaped; bodies are shown as text in
 * <pre>, never as HTML; attachments are listed (name, type, size, SHA-256),
 * not served.  Pure formatting: the daemon reads the store.
 */
#ifndef PD_TICKET_PAGE_H
#define PD_TICKET_PAGE_H

#include <glib.h>
#include "store/pd-store.h"
#include "store/pd-store-page.h"

/* tickets: PdTicketSummary *, as pd_store_ticket_list returned them;
 * filter says what was asked (shown above the table). */
void pd_ticket_page_list(GPtrArray *tickets, const char *filter, GString *out);
void pd_ticket_page_show(const PdTicketView *ticket, GString *out);

/* The customer's page (/t/TOKEN): number, subject, status, the entries;
 * reply_address (may be NULL): the signed reply address a mailto link
 * threads into the ticket with.  No style sheet, no script, no image:
 * the page's Content-Security-Policy allows none inline. */
void pd_ticket_page_customer(const PdCustomerPage *page, const char *reply_address,
			     GString *out);

#endif
