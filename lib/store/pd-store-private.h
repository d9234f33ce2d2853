/* pd-store-private: what the store's files share, never included outside
 * lib/store.
 *
 * Every statement is prepared once per connection (by name, on first use)
 * and executed with bound parameters; PdStoreParams collects them, text or
 * binary, and owns whatever it had to allocate.
 */
#ifndef PD_STORE_PRIVATE_H
#define PD_STORE_PRIVATE_H

#include <libpq-fe.h>
#include "pd-store.h"

typedef enum {
	PD_STMT_DELIVER,
	PD_STMT_DUPLICATE,
	PD_STMT_THREAD_LOOKUP,
	PD_STMT_THREAD_DECIDE,
	PD_STMT_AUTHORIZATION_EXPLAIN,
	PD_STMT_TICKET_LIST,
	PD_STMT_TICKET,
	PD_STMT_PARTICIPANTS,
	PD_STMT_MESSAGES,
	PD_STMT_ATTACHMENTS,
	PD_STMT_EVENTS,
	PD_STMT_TICKET_OUTBOUND,
	PD_STMT_TICKET_RELEASE,
	PD_STMT_ATTACHMENT_GET,
	PD_STMT_COUNT
} PdStmt;

struct _PdStore {
	PGconn *conn;
	gboolean broken;		/* connection lost: never reuse */
	guint32 prepared;		/* bit per PdStmt prepared on conn */
	guint timeout;			/* seconds per call (statement_timeout; client
					 * side with PD_STORE_TIMEOUT_GRACE); 0: none */
};

/* How much longer than the server's statement_timeout the client waits
 * before it gives a silent server up. */
#define PD_STORE_TIMEOUT_GRACE 2

#define PD_STORE_MAX_PARAMS 16

typedef struct {
	int n;
	const char *values[PD_STORE_MAX_PARAMS];
	int lengths[PD_STORE_MAX_PARAMS];
	int formats[PD_STORE_MAX_PARAMS];
	GPtrArray *owned;		/* freed with the params */
} PdStoreParams;

/* An admin or desk statement (a pd_admin_* / pd_desk_* function), run
 * unprepared: SQLSTATE P0002 becomes PD_ERROR_NOTFOUND, 22xxx, 23505 and
 * 23514 PD_ERROR_USAGE with PostgreSQL's message (written for the
 * operator), anything else the store's usual error.  NULL on error. */
PGresult *pd_store_exec_admin(PdStore *store, const char *sql, PdStoreParams *params,
			      const char *what, GError **error);

/* An attachment that is a span of the raw bytes being stored: then its
 * decoded bytes are not sent.  raw_len is 0 when the bytes stored are not
 * the bytes parsed (a caller that added a header line): then no span is
 * trusted. */
gboolean pd_store_attachment_is_span(const PdMailAttachment *attachment, gsize raw_len);
/* The SHA-256 (hex) an attachment is catalogued under: of its bytes. */
void pd_store_attachment_sha256(const PdMailAttachment *attachment, char hash_r[65]);

void pd_store_params_init(PdStoreParams *params);
void pd_store_params_clear(PdStoreParams *params);
/* A text parameter (NULL = SQL NULL); the string must outlive the call. */
void pd_store_param_text(PdStoreParams *params, const char *value);
/* Same, params takes ownership. */
void pd_store_param_take_text(PdStoreParams *params, char *value);
void pd_store_param_bool(PdStoreParams *params, gboolean value);
void pd_store_param_int(PdStoreParams *params, gint64 value);
/* A binary parameter (bytea, or an array built below). */
void pd_store_param_binary(PdStoreParams *params, const void *data, gsize len);
void pd_store_param_take_binary(PdStoreParams *params, GByteArray *data);
/* A text[] of strings (pd_store_text_array), or SQL NULL for NULL strings. */
void pd_store_param_text_array(PdStoreParams *params, GPtrArray *strings);

/* PostgreSQL binary array format, one dimension. */
#define PD_PG_OID_BOOL 16
#define PD_PG_OID_BYTEA 17
#define PD_PG_OID_INT8 20
#define PD_PG_OID_TEXT 25
GByteArray *pd_store_array_new(guint32 element_oid, guint32 count, gboolean has_null);
/* A text[] of strings (NULL elements as ""); NULL strings: empty. */
GByteArray *pd_store_text_array(GPtrArray *strings);
void pd_store_array_add(GByteArray *array, const void *data, gssize len);	/* data NULL = SQL NULL */

/* Run prepared statement stmt; NULL (and error set, TEMPFAIL) unless the
 * result status is PGRES_TUPLES_OK or PGRES_COMMAND_OK.  *sqlstate_r (may
 * be NULL) gets the SQLSTATE of a failed statement, constraint_r its
 * constraint name (both newly allocated, NULL if none). */
PGresult *pd_store_exec(PdStore *store, PdStmt stmt, PdStoreParams *params,
			char **sqlstate_r, char **constraint_r, GError **error);
typedef struct {
	char *sqlstate;		/* "22021", NULL if none */
	char *constraint;	/* the constraint violated, NULL if none */
	int parameter;		/* the $N the server could not take, 0 if none named */
} PdStoreFailure;

void pd_store_failure_clear(PdStoreFailure *failure);
/* pd_store_exec, with what the server said about a failure in failure_r
 * (may be NULL; cleared by the caller). */
PGresult *pd_store_exec_failure(PdStore *store, PdStmt stmt, PdStoreParams *params,
				PdStoreFailure *failure_r, GError **error);
/* sql with params (NULL: none, and sql may hold several statements),
 * unprepared, within the store's timeout: the server's result whatever
 * its status, NULL (error set) when there is none (not sent, no answer
 * in time, the connection lost).  Never PQexec: it waits for ever. */
PGresult *pd_store_run(PdStore *store, const char *sql, PdStoreParams *params, const char *what,
		       GError **error);
/* sql with params (NULL: none), unprepared (statements run a few times per mail sent
 * or per command, not per mail received); results as pd_store_exec. */
PGresult *pd_store_exec_sql(PdStore *store, const char *sql, PdStoreParams *params,
			    const char *what, GError **error);
/* pd_store_exec_sql for a statement that returns one row; params are
 * cleared; another number of rows is an error (TEMPFAIL: the arguments
 * were checked by the caller, what is left is database trouble). */
PGresult *pd_store_exec_row(PdStore *store, const char *sql, PdStoreParams *params,
			    const char *what, GError **error);
/* A plain (unprepared) command without parameters, for transaction control
 * and migrations; may hold several statements. */
gboolean pd_store_exec_simple(PdStore *store, const char *sql, const char *what, GError **error);
/* Set error (TEMPFAIL) from a failed result or the connection, and mark the
 * store broken when the connection is gone. */
void pd_store_set_error(PdStore *store, const PGresult *result, const char *what,
			GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PGresult, PQclear)

/* Values of one row, NULL for SQL NULL. */
const char *pd_store_value(const PGresult *result, int row, int column);
char *pd_store_dup(const PGresult *result, int row, int column);
gint64 pd_store_int(const PGresult *result, int row, int column);
gboolean pd_store_bool(const PGresult *result, int row, int column);
/* A bytea column (text format) as bytes; NULL for SQL NULL. */
GBytes *pd_store_bytes(const PGresult *result, int row, int column);

/* --- pd-delivery.c ------------------------------------------------------ */

/* pd_delivery_json, as the store sends it: blank_parsed leaves every field
 * of the peer's blank (after the server refused them as data; the
 * identity, the queue, the key and the attachments' catalogue facts stay),
 * store_warnings (may be NULL) join the parse warnings. */
/* The SHA-256 (hex) of the delivery's raw bytes: the parser's, else
 * computed (pd-store-deliver.c). */
void pd_delivery_raw_sha256(const PdDelivery *d, char out[65]);
char *pd_delivery_json_stored(const PdDelivery *delivery, const char *raw_sha256,
			      gboolean blank_parsed, GPtrArray *store_warnings);

/* Migrations and functions compiled in (pd-store-migrations.c, generated
 * from sql/ by embed-sql.cmake). */
typedef struct {
	int version;
	const char *name;
	const char *sql;
} PdMigration;
extern const PdMigration pd_store_migrations[];
extern const guint pd_store_n_migrations;

/* One sql/functions/<name>.sql, in name order. */
typedef struct {
	const char *name;
	const char *sql;
} PdFunctionFile;
extern const PdFunctionFile pd_store_function_files[];
extern const guint pd_store_n_function_files;

#endif
