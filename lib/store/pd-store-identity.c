/* pd-store-identity: accounts, contacts and agents (see pd-store-identity.h).
 *
 * Every change is one call of a pd_admin_* SQL function (sql/functions/admin.sql), so it
 * commits whole with its event row or not at all; the function raises
 * SQLSTATE P0002 for an unknown object and 22023/23505 for a bad argument,
 * which map to PD_ERROR_NOTFOUND and PD_ERROR_USAGE here with PostgreSQL's
 * message (written for the operator).  Reads are plain SELECTs whose JSON
 * form PostgreSQL builds itself (jsonb_agg / to_jsonb), so the CLI never
 * formats JSON by hand and both forms come from the same query.
 */
#include "pd-store-identity.h"
#include "pd-store-private.h"
#include "core/pd-error.h"

#include <string.h>

#define PG_OID_TEXT_ARRAY 1009

/* Run sql with params, unprepared: admin commands run once, and the facts
 * lookup calls a PL/pgSQL function whose own plan is cached per connection
 * (nothing left to plan but the call: ~0.2 ms in all).  Also the desk's
 * (pd-store-desk.c). */
PGresult *
pd_store_exec_admin(PdStore *store, const char *sql, PdStoreParams *params, const char *what,
		    GError **error)
{
	PGresult *result;
	ExecStatusType status;
	const char *sqlstate;

	result = pd_store_run(store, sql, params, what, error);
	if (result == NULL)
		return NULL;
	status = PQresultStatus(result);
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
		return result;
	sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
	if (sqlstate != NULL && (strcmp(sqlstate, "P0002") == 0 ||
				 strcmp(sqlstate, "22023") == 0 ||
				 strcmp(sqlstate, "23505") == 0 ||
				 strcmp(sqlstate, "23514") == 0 ||
				 strncmp(sqlstate, "22", 2) == 0)) {
		const char *message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);

		g_set_error(error, PD_ERROR,
			    strcmp(sqlstate, "P0002") == 0 ? PD_ERROR_NOTFOUND : PD_ERROR_USAGE,
			    "%s", message != NULL ? message : "invalid argument");
	} else {
		pd_store_set_error(store, result, what, error);
	}
	PQclear(result);
	return NULL;
}

/* A text[] parameter (binary array), or SQL NULL for NULL. */
static void
param_strv(PdStoreParams *params, const char *const *strv)
{
	GByteArray *array;
	guint n;

	if (strv == NULL) {
		pd_store_param_text(params, NULL);
		return;
	}
	n = g_strv_length((char **)strv);
	array = pd_store_array_new(PD_PG_OID_TEXT, n, FALSE);
	for (guint i = 0; i < n; i++)
		pd_store_array_add(array, strv[i], -1);
	pd_store_param_take_binary(params, array);
}

/* Run one admin statement; the params are cleared. */
static gboolean
identity_change(PdStore *store, const char *sql, PdStoreParams *params, const char *what,
		GError **error)
{
	PGresult *result = pd_store_exec_admin(store, sql, params, what, error);

	pd_store_params_clear(params);
	if (result == NULL)
		return FALSE;
	PQclear(result);
	return TRUE;
}

/* --- the mail path ----------------------------------------------------- */

static char **
parse_text_array(const char *text)
{
	g_autofree char *inner = NULL;
	char **parts;
	gsize len;

	if (text == NULL)
		return g_new0(char *, 1);
	len = strlen(text);
	if (len < 2 || text[0] != '{' || text[len - 1] != '}')
		return g_new0(char *, 1);
	inner = g_strndup(text + 1, len - 2);
	if (*inner == '\0')
		return g_new0(char *, 1);
	parts = g_strsplit(inner, ",", -1);
	for (char **p = parts; *p != NULL; p++) {
		gsize n = strlen(*p);

		if (n >= 2 && (*p)[0] == '"' && (*p)[n - 1] == '"') {
			memmove(*p, *p + 1, n - 2);
			(*p)[n - 2] = '\0';
		}
	}
	return parts;
}

gboolean
pd_store_identity_facts(PdStore *store, const char *canonical, PdIdentityFacts **facts_r,
			GError **error)
{
	g_autoptr(PGresult) result = NULL;
	g_autoptr(PdIdentityFacts) facts = NULL;
	PdStoreParams params;
	const char *at;

	g_return_val_if_fail(canonical != NULL && facts_r != NULL, FALSE);

	*facts_r = NULL;
	at = strrchr(canonical, '@');
	pd_store_params_init(&params);
	pd_store_param_text(&params, canonical);
	pd_store_param_text(&params, at != NULL ? at + 1 : "");
	result = pd_store_exec_admin(store,
		"SELECT kind, id, account_id, account_name, role, permissions, status,"
		" expired, active, name, plan FROM pd_identity_facts($1, $2)",
		&params, "identity facts", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0)
		return TRUE;
	facts = pd_identity_facts_new();
	for (int row = 0; row < PQntuples(result); row++) {
		const char *kind = pd_store_value(result, row, 0);

		if (g_strcmp0(kind, "agent") == 0) {
			facts->agent_id = pd_store_int(result, row, 1);
			facts->agent_active = pd_store_bool(result, row, 8);
			g_free(facts->agent_name);
			facts->agent_name = pd_store_dup(result, row, 9);
		} else if (g_strcmp0(kind, "contact") == 0) {
			g_auto(GStrv) permissions = parse_text_array(pd_store_value(result, row, 5));
			PdContactStatus status = PD_CONTACT_REMOVED;

			pd_contact_status_parse(pd_store_value(result, row, 6), &status);
			PdContactFacts *contact = pd_identity_facts_add_contact(facts,
				pd_store_int(result, row, 1),
				pd_store_int(result, row, 2), pd_store_value(result, row, 3),
				g_strcmp0(pd_store_value(result, row, 4), "primary") == 0,
				(const char *const *)permissions, status,
				pd_store_bool(result, row, 7));

			contact->account_plan = pd_store_dup(result, row, 10);
		} else if (g_strcmp0(kind, "member") == 0 && facts->member_account_id == 0) {
			facts->member_account_id = pd_store_int(result, row, 2);
			facts->member_account_name = pd_store_dup(result, row, 3);
			facts->member_account_plan = pd_store_dup(result, row, 10);
		}
	}
	*facts_r = g_steal_pointer(&facts);
	return TRUE;
}

void
pd_ticket_identity_clear(PdTicketIdentity *identity)
{
	g_free(identity->kind);
	g_free(identity->reason);
	g_free(identity->held);
	g_free(identity->account);
	g_free(identity->contact);
	g_free(identity->approval);
	memset(identity, 0, sizeof(*identity));
}

gboolean
pd_store_ticket_identity(PdStore *store, gint64 number, PdTicketIdentity *identity_r,
			 GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;

	memset(identity_r, 0, sizeof(*identity_r));
	pd_store_params_init(&params);
	pd_store_param_int(&params, number);
	result = pd_store_exec_admin(store,
		"SELECT t.requester_kind, t.requester_authenticated, t.requester_authorized,"
		" t.needs_authorization, t.authorization_reason, t.held, a.name,"
		" c.address || ' (' || c.role || '; ' || array_to_string(c.permissions, ',')"
		" || '; ' || c.status || coalesce('; expires ' || c.expires_at::date, '') || ')',"
		" CASE t.authorization_state WHEN 'requested' THEN 'requested from '"
		" WHEN 'approved' THEN 'approved by ' WHEN 'refused' THEN 'refused by ' END"
		" || t.authorization_holder || ' (' || t.authorization_permission || ')'"
		" FROM tickets t LEFT JOIN accounts a ON a.id = t.account_id"
		" LEFT JOIN contacts c ON c.id = t.requester_contact_id WHERE t.number = $1",
		&params, "ticket identity", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND,
			    "no ticket %" G_GINT64_FORMAT, number);
		return FALSE;
	}
	identity_r->kind = pd_store_dup(result, 0, 0);
	identity_r->authenticated = pd_store_bool(result, 0, 1);
	identity_r->authorized = pd_store_bool(result, 0, 2);
	identity_r->needs_authorization = pd_store_bool(result, 0, 3);
	identity_r->reason = pd_store_dup(result, 0, 4);
	identity_r->held = pd_store_dup(result, 0, 5);
	identity_r->account = pd_store_dup(result, 0, 6);
	identity_r->contact = pd_store_dup(result, 0, 7);
	identity_r->approval = pd_store_dup(result, 0, 8);
	return TRUE;
}

/* --- admin: changes ---------------------------------------------------- */

gboolean
pd_store_account_add(PdStore *store, const char *actor, const char *name, const char *plan,
		     const char *const *domains, const char *manager, GError **error)
{
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_text(&params, name);
	pd_store_param_text(&params, plan);
	param_strv(&params, domains);
	pd_store_param_text(&params, manager);
	return identity_change(store, "SELECT pd_admin_account_add($1, $2, $3, $4, $5)",
			       &params, "account add", error);
}

gboolean
pd_store_account_set(PdStore *store, const char *actor, const char *name, const char *plan,
		     const char *const *add_domains, const char *const *remove_domains,
		     const char *manager, GError **error)
{
	PdStoreParams params;
	gboolean clear_manager = manager != NULL && *manager == '\0';

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_text(&params, name);
	pd_store_param_text(&params, plan);
	param_strv(&params, add_domains);
	param_strv(&params, remove_domains);
	pd_store_param_text(&params, clear_manager ? NULL : manager);
	pd_store_param_bool(&params, clear_manager);
	return identity_change(store,
			       "SELECT pd_admin_account_set($1, $2, $3, $4, $5, $6, $7)",
			       &params, "account set", error);
}

gboolean
pd_store_contact_add(PdStore *store, const char *actor, const char *account,
		     const char *address, const char *name, gboolean primary,
		     const char *const *permissions, const char *expires, GError **error)
{
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_text(&params, account);
	pd_store_param_text(&params, address);
	pd_store_param_text(&params, name);
	pd_store_param_bool(&params, primary);
	param_strv(&params, permissions);
	pd_store_param_text(&params, expires);
	return identity_change(store,
			       "SELECT pd_admin_contact_add($1, $2, $3, $4, $5, $6, $7::date)",
			       &params, "contact add", error);
}

gboolean
pd_store_contact_set(PdStore *store, const char *actor, const char *address,
		     const char *account, const char *name, const char *const *permissions,
		     const char *expires, GError **error)
{
	PdStoreParams params;
	gboolean clear_expires = expires != NULL && *expires == '\0';

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_text(&params, address);
	pd_store_param_text(&params, account);
	pd_store_param_text(&params, name);
	param_strv(&params, permissions);
	pd_store_param_text(&params, clear_expires ? NULL : expires);
	pd_store_param_bool(&params, clear_expires);
	return identity_change(store,
			       "SELECT pd_admin_contact_set($1, $2, $3, $4, $5, $6::date, $7)",
			       &params, "contact set", error);
}

gboolean
pd_store_contact_set_status(PdStore *store, const char *actor, const char *address,
			    const char *account, const char *status, GError **error)
{
	PdStoreParams params;

	g_return_val_if_fail(g_strcmp0(status, "suspended") == 0 ||
			     g_strcmp0(status, "removed") == 0 ||
			     g_strcmp0(status, "active") == 0, FALSE);
	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_text(&params, address);
	pd_store_param_text(&params, account);
	pd_store_param_text(&params, status);
	return identity_change(store, "SELECT pd_admin_contact_status($1, $2, $3, $4)",
			       &params, "contact status", error);
}

gboolean
pd_store_agent_add(PdStore *store, const char *actor, const char *address, const char *name,
		   const char *const *groups, const char *const *aliases,
		   const char *signature, GError **error)
{
	PdStoreParams params;

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_text(&params, address);
	pd_store_param_text(&params, name);
	param_strv(&params, groups);
	param_strv(&params, aliases);
	pd_store_param_text(&params, signature);
	return identity_change(store, "SELECT pd_admin_agent_add($1, $2, $3, $4, $5, $6)",
			       &params, "agent add", error);
}

gboolean
pd_store_agent_set(PdStore *store, const char *actor, const char *address, const char *name,
		   const char *const *groups, const char *const *add_addresses,
		   const char *const *remove_addresses, int active, const char *signature,
		   GError **error)
{
	PdStoreParams params;
	const char *kind = active == 0 ? "agent.removed" : "agent.changed";

	pd_store_params_init(&params);
	pd_store_param_text(&params, actor);
	pd_store_param_text(&params, address);
	pd_store_param_text(&params, name);
	param_strv(&params, groups);
	param_strv(&params, add_addresses);
	param_strv(&params, remove_addresses);
	if (active < 0)
		pd_store_param_text(&params, NULL);
	else
		pd_store_param_bool(&params, active != 0);
	pd_store_param_text(&params, signature);
	pd_store_param_text(&params, kind);
	return identity_change(store,
			       "SELECT pd_admin_agent_set($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			       &params, "agent set", error);
}

/* --- admin: reading ---------------------------------------------------- */

#define AGENT_MAIN_ADDRESS(agent) \
	"(SELECT aa.address FROM agent_addresses aa WHERE aa.agent_id = " agent \
	" ORDER BY aa.position, aa.address LIMIT 1)"

#define CONTACT_COLUMNS \
	"c.address, c.name, c.role, c.permissions, c.status," \
	" c.expires_at::date AS expires"

typedef struct {
	const char *title;
	const char *sql;
} AdminPart;

/* A read: the main SQL (a list, or a show's record: no row = not found),
 * what to call the object in "unknown ..." and the parts of a show. */
typedef struct {
	const char *sql;
	const char *object;		/* NULL: a list */
	const char *check;		/* run first when key is set (raises P0002) */
	AdminPart parts[2];
} AdminRead;

static const AdminRead reads[] = {
	[PD_ADMIN_ACCOUNT_LIST] = {
		"SELECT a.name, a.plan, " AGENT_MAIN_ADDRESS("a.manager_agent_id") " AS manager,"
		" ARRAY(SELECT d.domain FROM account_domains d WHERE d.account_id = a.id"
		" ORDER BY 1) AS domains,"
		" (SELECT c.address FROM contacts c WHERE c.account_id = a.id"
		" AND c.role = 'primary' AND c.status = 'active') AS primary_contact,"
		" (SELECT count(*) FROM contacts c WHERE c.account_id = a.id"
		" AND c.status = 'active') AS active_contacts"
		" FROM accounts a ORDER BY a.name", NULL, NULL, { { NULL, NULL } } },
	[PD_ADMIN_ACCOUNT_SHOW] = {
		"SELECT a.name, a.plan, " AGENT_MAIN_ADDRESS("a.manager_agent_id") " AS manager,"
		" (SELECT ag.name FROM agents ag WHERE ag.id = a.manager_agent_id)"
		" AS manager_name,"
		" ARRAY(SELECT d.domain FROM account_domains d WHERE d.account_id = a.id"
		" ORDER BY 1) AS domains, a.created_at, a.updated_at"
		" FROM accounts a WHERE a.name = $1", "account", NULL,
		{ { "contacts",
		    "SELECT " CONTACT_COLUMNS ", c.added_by, c.welcomed_at, c.confirmed_at"
		    " FROM contacts c JOIN accounts a ON a.id = c.account_id"
		    " WHERE a.name = $1 ORDER BY c.status = 'removed', c.role = 'alternate',"
		    " c.address, c.id" }, { NULL, NULL } } },
	[PD_ADMIN_CONTACT_LIST] = {
		"SELECT a.name AS account, " CONTACT_COLUMNS
		" FROM contacts c JOIN accounts a ON a.id = c.account_id"
		" WHERE ($1::text IS NULL OR a.name = $1) AND c.status <> 'removed'"
		" ORDER BY a.name, c.role = 'alternate', c.address", NULL,
		"SELECT pd_admin_account_id($1)", { { NULL, NULL } } },
	[PD_ADMIN_CONTACT_SHOW] = {
		"SELECT DISTINCT c.address FROM contacts c WHERE c.address = $1", "contact", NULL,
		{ { "accounts",
		    "SELECT a.name AS account, " CONTACT_COLUMNS ", c.added_by, c.welcomed_at,"
		    " c.confirmed_at, c.created_at, c.updated_at"
		    " FROM contacts c JOIN accounts a ON a.id = c.account_id"
		    " WHERE c.address = $1 ORDER BY c.status = 'removed', a.name, c.id" },
		  /* what came back (sql/functions/bounce.sql) */
		  { "bounces",
		    "SELECT coalesce(b.failing_until > now(), false) AS failing, b.failing_since,"
		    " b.failing_until, concat_ws(' ', b.reply_code::text, b.status) AS status,"
		    " left(b.diagnostic, 80) AS diagnostic, b.hard_bounces, b.soft_bounces"
		    " FROM bounced_addresses b WHERE b.address = lower($1)" } } },
	[PD_ADMIN_AGENT_LIST] = {
		"SELECT " AGENT_MAIN_ADDRESS("g.id") " AS address, g.name, g.groups, g.active,"
		" ARRAY(SELECT aa.address FROM agent_addresses aa WHERE aa.agent_id = g.id"
		" ORDER BY aa.position, aa.address OFFSET 1) AS aliases"
		" FROM agents g ORDER BY g.active DESC, g.name, g.id", NULL, NULL,
		{ { NULL, NULL } } },
	[PD_ADMIN_AGENT_SHOW] = {
		"SELECT " AGENT_MAIN_ADDRESS("g.id") " AS address, g.name, g.groups, g.active,"
		" ARRAY(SELECT aa.address FROM agent_addresses aa WHERE aa.agent_id = g.id"
		" ORDER BY aa.position, aa.address) AS addresses, g.signature,"
		" g.created_at, g.updated_at"
		" FROM agents g WHERE g.id = (SELECT agent_id FROM agent_addresses"
		" WHERE address = $1)", "agent", NULL,
		{ { "managed_accounts",
		    "SELECT a.name, a.plan FROM accounts a JOIN agent_addresses aa"
		    " ON aa.agent_id = a.manager_agent_id WHERE aa.address = $1"
		    " ORDER BY a.name" }, { NULL, NULL } } },
	[PD_ADMIN_QUEUE_COUNTS] = {
		"SELECT q.name AS queue, count(t.id) AS tickets,"
		" count(t.id) FILTER (WHERE t.status NOT IN ('solved', 'closed')) AS open,"
		" count(t.id) FILTER (WHERE t.needs_authorization"
		" AND t.status NOT IN ('solved', 'closed')) AS needs_authorization,"
		" count(t.id) FILTER (WHERE t.held IS NOT NULL"
		" AND t.status NOT IN ('solved', 'closed')) AS held"
		" FROM queues q LEFT JOIN tickets t ON t.queue_id = q.id"
		" GROUP BY q.name ORDER BY q.name", NULL, NULL, { { NULL, NULL } } },
	[PD_ADMIN_QUARANTINE_LIST] = {
		"SELECT q.id, q.created_at::timestamp(0) AS received, q.queue, q.from_address"
		" AS \"from\", left(q.subject, 60) AS subject, q.spam_score AS score, q.reason,"
		" q.released_ticket AS released_as"
		" FROM quarantine q WHERE q.released_at IS NULL OR $1::text IS NOT DISTINCT FROM 'all'"
		" ORDER BY q.id", NULL, NULL, { { NULL, NULL } } },
	[PD_ADMIN_QUARANTINE_SHOW] = {
		"SELECT q.id, q.created_at::timestamp(0) AS received, q.queue, q.recipient,"
		" q.envelope->>'mail_from' AS mail_from, q.from_address AS \"from\","
		" q.message_id, q.subject, q.spam_score AS score, q.reason,"
		" octet_length(q.raw) AS size, q.expires_at::timestamp(0) AS expires,"
		" q.released_at::timestamp(0) AS released, q.released_ticket AS released_as"
		" FROM quarantine q WHERE q.id::text = $1", "quarantined mail", NULL, {
		{ "rule hits",
		  "SELECT h->>'name' AS rule, h->>'points' AS points"
		  " FROM quarantine q, jsonb_array_elements(q.rule_hits) WITH ORDINALITY AS r (h, n)"
		  " WHERE q.id::text = $1 ORDER BY r.n" },
		{ "actions",
		  "SELECT a->>'script' AS script, a->>'line' AS line, a->>'action' AS action,"
		  " a->>'value' AS value"
		  " FROM quarantine q, jsonb_array_elements(coalesce(q.filter->'actions', '[]'))"
		  " WITH ORDINALITY AS r (a, n)"
		  " WHERE q.id::text = $1 ORDER BY r.n" } } },
	[PD_ADMIN_ADDRESS_LIST] = {
		"SELECT b.address, coalesce(b.failing_until > now(), false) AS failing,"
		" b.failing_since, b.failing_until,"
		" concat_ws(' ', b.reply_code::text, b.status) AS status,"
		" left(b.diagnostic, 60) AS diagnostic, b.hard_bounces AS hard,"
		" b.soft_bounces AS soft, b.outbound_id AS outbound"
		" FROM bounced_addresses b"
		" WHERE $1::text IS NULL OR b.failing_until > now()"
		" ORDER BY b.failing_until > now() DESC NULLS LAST, b.last_bounce_at DESC,"
		" b.address", NULL, NULL, { { NULL, NULL } } },
};

void
pd_admin_table_free(PdAdminTable *table)
{
	if (table == NULL)
		return;
	g_free(table->title);
	g_strfreev(table->columns);
	for (guint r = 0; r < table->rows->len; r++) {
		char **values = table->rows->pdata[r];

		for (guint c = 0; c < table->n_columns; c++)
			g_free(values[c]);
		g_free(values);
	}
	g_ptr_array_unref(table->rows);
	g_free(table);
}

/* A value for people: lists as "a,b", booleans as yes/no, times cut to
 * the second. */
static char *
admin_text(const PGresult *result, int row, int column)
{
	const char *value = pd_store_value(result, row, column);
	Oid type = PQftype(result, column);

	if (value == NULL)
		return NULL;
	if (type == PG_OID_TEXT_ARRAY) {
		g_auto(GStrv) parts = parse_text_array(value);

		return g_strjoinv(",", parts);
	}
	if (type == PD_PG_OID_BOOL)
		return g_strdup(value[0] == 't' ? "yes" : "no");
	if (type == 1184 && strlen(value) > 19)	/* timestamptz */
		return g_strndup(value, 19);
	return g_strdup(value);
}

static PdAdminTable *
admin_table(const PGresult *result, const char *title)
{
	PdAdminTable *table = g_new0(PdAdminTable, 1);
	int columns = PQnfields(result);

	table->title = g_strdup(title);
	table->n_columns = (guint)columns;
	table->columns = g_new0(char *, columns + 1);
	for (int c = 0; c < columns; c++)
		table->columns[c] = g_strdup(PQfname(result, c));
	table->rows = g_ptr_array_new();
	for (int r = 0; r < PQntuples(result); r++) {
		/* values may be NULL: freed by count in pd_admin_table_free */
		char **values = g_new0(char *, columns + 1);

		for (int c = 0; c < columns; c++)
			values[c] = admin_text(result, r, c);
		g_ptr_array_add(table->rows, values);
	}
	return table;
}

static PGresult *
admin_query(PdStore *store, const char *sql, const char *key, GError **error)
{
	PdStoreParams params;
	PGresult *result;

	pd_store_params_init(&params);
	if (strstr(sql, "$1") != NULL)
		pd_store_param_text(&params, key);
	result = pd_store_exec_admin(store, sql, &params, "admin read", error);
	pd_store_params_clear(&params);
	return result;
}

static gboolean
admin_read_json(PdStore *store, const AdminRead *read, const char *key, char **json_r,
		GError **error)
{
	g_autoptr(GString) sql = g_string_new(NULL);
	g_autoptr(PGresult) result = NULL;

	if (read->object == NULL) {
		g_string_printf(sql, "SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]')::text"
				" FROM (%s) x", read->sql);
	} else {
		g_string_printf(sql, "SELECT (to_jsonb(x)");
		for (guint i = 0; i < G_N_ELEMENTS(read->parts) && read->parts[i].sql; i++)
			g_string_append_printf(sql, " || jsonb_build_object('%s', (SELECT"
					       " coalesce(jsonb_agg(to_jsonb(p)), '[]') FROM (%s) p))",
					       read->parts[i].title, read->parts[i].sql);
		g_string_append_printf(sql, ")::text FROM (%s) x", read->sql);
	}
	result = admin_query(store, sql->str, key, error);
	if (result == NULL)
		return FALSE;
	if (PQntuples(result) == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "unknown %s %s",
			    read->object, key != NULL ? key : "");
		return FALSE;
	}
	*json_r = pd_store_dup(result, 0, 0);
	return TRUE;
}

static void
admin_table_free_one(gpointer data)
{
	pd_admin_table_free(data);
}

gboolean
pd_store_admin_read(PdStore *store, PdAdminQuery query, const char *key,
		    GPtrArray **tables_r, char **json_r, GError **error)
{
	const AdminRead *read;
	g_autoptr(GPtrArray) tables = NULL;

	g_return_val_if_fail(query < G_N_ELEMENTS(reads), FALSE);
	read = &reads[query];
	if (read->check != NULL && key != NULL) {
		PGresult *check = admin_query(store, read->check, key, error);

		if (check == NULL)
			return FALSE;
		PQclear(check);
	}
	if (json_r != NULL)
		return admin_read_json(store, read, key, json_r, error);

	tables = g_ptr_array_new_with_free_func(admin_table_free_one);
	for (gint i = -1; i < (gint)G_N_ELEMENTS(read->parts); i++) {
		const char *sql = i < 0 ? read->sql : read->parts[i].sql;
		g_autoptr(PGresult) result = NULL;

		if (sql == NULL)
			break;
		result = admin_query(store, sql, key, error);
		if (result == NULL)
			return FALSE;
		if (i < 0 && read->object != NULL && PQntuples(result) == 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_NOTFOUND, "unknown %s %s",
				    read->object, key != NULL ? key : "");
			return FALSE;
		}
		g_ptr_array_add(tables, admin_table(result, i < 0 ? NULL : read->parts[i].title));
	}
	if (tables_r != NULL)
		*tables_r = g_steal_pointer(&tables);
	return TRUE;
}
