/* pd-store: the only code that knows SQL.
 *
 * A PdStore is one libpq connection; a PdStorePool hands connections to
 * threads.  Every mail-path write happens in ONE transaction
 * (pd_store_deliver_inbound): raw bytes, parsed fields, attachments, ticket,
 * participants and events commit together or not at all.  Any database
 * problem is PD_ERROR_TEMPFAIL, so the caller answers 451 / EX_TEMPFAIL and
 * the MTA retries: nothing is lost, nothing is half-written.  Every value is
 * a bound parameter; no SQL text is ever built from input.
 */
#ifndef PD_STORE_H
#define PD_STORE_H

#include <glib.h>
#include "core/pd-envelope.h"
#include "mail/pd-mail.h"

typedef struct _PdStore PdStore;
typedef struct _PdStorePool PdStorePool;

/* --- connections ------------------------------------------------------- */

PdStore *pd_store_connect(const char *conninfo, GError **error);
void pd_store_free(PdStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdStore, pd_store_free)
/* FALSE once the connection is broken (the pool then drops it). */
gboolean pd_store_is_usable(PdStore *store);

PdStorePool *pd_store_pool_new(const char *conninfo, guint max_connections);
void pd_store_pool_free(PdStorePool *pool);
/* A connection, reconnecting if needed; PD_ERROR_TEMPFAIL when PostgreSQL
 * cannot be reached.  Blocks while all max_connections are in use. */
PdStore *pd_store_pool_get(PdStorePool *pool, GError **error);
void pd_store_pool_put(PdStorePool *pool, PdStore *store);

/* --- schema ------------------------------------------------------------ */

/* The newest migration number this build knows (sql/NNNN_*.sql). */
int pd_store_schema_known(void);
/* Apply the sql/NNNN_name.sql files of sql_dir not yet applied, in order,
 * each in its own transaction, recorded in schema_version. */
gboolean pd_store_migrate(PdStore *store, const char *sql_dir, guint *applied_r,
			  GError **error);
/* FALSE (PD_ERROR_USAGE) unless the database is at exactly the version
 * this build knows: the daemon refuses to run otherwise. */
gboolean pd_store_check_schema(PdStore *store, GError **error);

/* --- the mail path ----------------------------------------------------- */

typedef struct {
	const PdEnvelope *envelope;
	const char *recipient;		/* as in RCPT TO */
	const char *queue;		/* queue name from the config */
	const char *subaddress;		/* "+tag" of the recipient, or NULL */
	const PdMail *mail;
	GBytes *raw;
	const char *idempotency_key;	/* pd_ticket_idempotency_key() */
	GPtrArray *thread_candidates;	/* pd_ticket_thread_candidates() */
} PdInbound;

typedef struct {
	gint64 ticket_id;
	gint64 ticket_number;		/* public number */
	gint64 message_row;		/* messages.id */
	gboolean new_ticket;
	gboolean duplicate;		/* idempotency key seen before: nothing written */
	char *thread_reason;		/* "new ticket", "In-Reply-To <id>", ... */
} PdDeliveryResult;

void pd_delivery_result_clear(PdDeliveryResult *result);

/* One transaction; on error nothing is written. */
gboolean pd_store_deliver_inbound(PdStore *store, const PdInbound *inbound,
				  PdDeliveryResult *result_r, GError **error);

/* The threading decision without writing (postdesk test): which ticket
 * the candidates name, if any.  ticket_number_r 0 = new ticket. */
gboolean pd_store_thread_lookup(PdStore *store, GPtrArray *thread_candidates,
				gint64 *ticket_number_r, char **reason_r,
				GError **error);

#endif
