/* pd-imap-route: the recipient of a mail fetched from a mailbox that names
 * no queue (an [imap NAME] without queue =), as LMTP routing would have
 * it (issue 13).  Pure: the configuration and the message in, an address
 * out.  Table: tests/unit/imap/test-imap-route.c.
 *
 * The first address that a queue has, looking in this order: every
 * Delivered-To field (top first: the last hop that delivered it into the
 * mailbox), every X-Original-To field, then the To and then the Cc
 * addresses.  Addresses are compared canonically (pd_config_queue_for:
 * case, IDNA, +subaddress).  None: NULL, and the fetcher refuses the mail
 * for good (the failed folder, an imap.refused event).
 */
#ifndef PD_IMAP_ROUTE_H
#define PD_IMAP_ROUTE_H

#include <glib.h>
#include "core/pd-config.h"
#include "mail/pd-mail.h"

/* mail: the parsed message (NULL when it did not parse: headers only). */
char *pd_imap_route(const PdConfig *config, const guint8 *raw, gsize len,
		    const PdMail *mail);

#endif
