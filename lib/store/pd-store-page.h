/* pd-store-page: what the customer's ticket page (/t/TOKEN, issue 15
 * section 3) may show, and nothing else.
 *
 * The page is for one recipient of one ticket: the address a mailed link
 * was issued to.  It shows the ticket's number, subject and status, the
 * recipient's own mails (inbound, kind customer, from that address) and the
 * agents' answers as they were relayed to that address (the relay's text,
 * without the agent's commands).  Never notes, events, other participants'
 * mail or addresses.  The caller decides which address the link was for
 * (the token's keyed recipient tag): the store offers the ticket's
 * addresses to match and reads the page for the one that matched.
 */
#ifndef PD_STORE_PAGE_H
#define PD_STORE_PAGE_H

#include <glib.h>
#include "store/pd-store.h"

typedef struct {
	gint64 at;			/* Unix time */
	gboolean from_customer;		/* the recipient's own mail; else an answer */
	char *author;			/* the agent's name of an answer, NULL: none */
	char *subject;			/* the customer's mails' subject, NULL for answers */
	char *text;
	GPtrArray *files;		/* char *: attachment names of the customer's mail */
} PdPageEntry;

typedef struct {
	gint64 number;
	char *subject;
	char *status;
	char *queue;
	char *address;			/* the recipient the page is for */
	GPtrArray *entries;		/* PdPageEntry *, oldest first */
} PdCustomerPage;

void pd_customer_page_free(PdCustomerPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdCustomerPage, pd_customer_page_free)

/* TRUE if address (lower case) is the one the page is for. */
typedef gboolean (*PdPageRecipientFunc)(const char *address, gpointer user_data);

/* The page of ticket ticket_id (tickets.id) for the first of its addresses
 * (requester, participants, recipients of its acknowledgements and relays)
 * that matches; PD_ERROR_NOTFOUND when there is no such ticket or no
 * address matches. */
gboolean pd_store_customer_page(PdStore *store, gint64 ticket_id, PdPageRecipientFunc matches,
				gpointer user_data, PdCustomerPage **page_r, GError **error);

#endif
