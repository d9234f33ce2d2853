/* pd-store-migrate: the schema version and the numbered migrations.
 *
 * The migrations of sql/ are compiled in (see CMakeLists.txt), so the
 * version a build knows is exactly the set of files it carries.  Each
 * migration runs in its own transaction together with its schema_version
 * row.  The whole run holds a session-level advisory lock, taken BEFORE the
 * version is read, so two `postdesk db migrate` racing each other apply
 * every step once: the second reads the version only after the first is
 * done, in a transaction of its own (a transaction that began before the
 * other's COMMIT could still see the catalog as it was, and fail on
 * "relation already exists").
 */
#include "pd-store-private.h"
#include "core/pd-error.h"

#include <stdlib.h>
#include <string.h>

/* pg_advisory_lock key: "pdmigrat" in ASCII. */
#define MIGRATE_LOCK "7021609234095305076"

int
pd_store_schema_known(void)
{
	return pd_store_migrations[pd_store_n_migrations - 1].version;
}

const char *
pd_store_schema_name(int version)
{
	if (version < 1 || (guint)version > pd_store_n_migrations)
		return NULL;
	return pd_store_migrations[version - 1].name;
}

static gboolean
query_int(PdStore *store, const char *sql, gint64 *value_r, GError **error)
{
	g_autoptr(PGresult) result = NULL;

	if (store->broken) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL,
			    "database error: the connection was lost");
		return FALSE;
	}
	result = PQexec(store->conn, sql);
	if (result == NULL || PQresultStatus(result) != PGRES_TUPLES_OK ||
	    PQntuples(result) != 1) {
		pd_store_set_error(store, result, "schema version", error);
		return FALSE;
	}
	*value_r = pd_store_int(result, 0, 0);
	return TRUE;
}

gboolean
pd_store_schema_version(PdStore *store, int *version_r, GError **error)
{
	gint64 exists, version = 0;

	/* No schema_version table: nothing was ever applied. */
	if (!query_int(store, "SELECT (to_regclass('schema_version') IS NOT NULL)::int",
		       &exists, error))
		return FALSE;
	if (exists &&
	    !query_int(store, "SELECT coalesce(max(version), 0) FROM schema_version",
		       &version, error))
		return FALSE;
	*version_r = (int)version;
	return TRUE;
}

void
pd_schema_step_free(PdSchemaStep *step)
{
	if (step == NULL)
		return;
	g_free(step->name);
	g_free(step);
}

gboolean
pd_store_schema_history(PdStore *store, GPtrArray **steps_r, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	GPtrArray *steps;
	gint64 exists;

	if (!query_int(store, "SELECT (to_regclass('schema_version') IS NOT NULL)::int",
		       &exists, error))
		return FALSE;
	steps = g_ptr_array_new_with_free_func((GDestroyNotify)pd_schema_step_free);
	if (exists) {
		result = PQexec(store->conn,
				"SELECT version, name, extract(epoch FROM applied_at)::bigint"
				" FROM schema_version ORDER BY version");
		if (result == NULL || PQresultStatus(result) != PGRES_TUPLES_OK) {
			pd_store_set_error(store, result, "schema history", error);
			g_ptr_array_unref(steps);
			return FALSE;
		}
		for (int i = 0; i < PQntuples(result); i++) {
			PdSchemaStep *step = g_new0(PdSchemaStep, 1);

			step->version = (int)pd_store_int(result, i, 0);
			step->name = pd_store_dup(result, i, 1);
			step->applied_at = pd_store_int(result, i, 2);
			g_ptr_array_add(steps, step);
		}
	}
	*steps_r = steps;
	return TRUE;
}

gboolean
pd_store_check_schema(PdStore *store, GError **error)
{
	int version, known = pd_store_schema_known();

	if (!pd_store_schema_version(store, &version, error))
		return FALSE;
	if (version == known)
		return TRUE;
	if (version == 0)
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database has no postdesk schema: run `postdesk db migrate`");
	else if (version < known)
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database schema is version %d, this postdesk needs %d: "
			    "run `postdesk db migrate`", version, known);
	else
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database schema is version %d, newer than this postdesk "
			    "knows (%d): refusing to run; upgrade postdesk", version, known);
	return FALSE;
}

static void
migration_free(gpointer data)
{
	PdMigration *m = data;

	g_free((char *)m->name);
	g_free((char *)m->sql);
	g_free(m);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Migrations read from a directory instead of the compiled-in ones. */
static GPtrArray *
read_sql_dir(const char *sql_dir, GError **error)
{
	g_autoptr(GPtrArray) migrations = g_ptr_array_new_with_free_func(migration_free);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GRegex) pattern = g_regex_new("^([0-9]{4})_([a-z0-9_]+)\\.sql$", 0, 0, NULL);
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) dir = g_dir_open(sql_dir, 0, &local);
	const char *entry;

	if (dir == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local->message);
		return NULL;
	}
	while ((entry = g_dir_read_name(dir)) != NULL)
		if (g_str_has_suffix(entry, ".sql"))
			g_ptr_array_add(names, g_strdup(entry));
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autoptr(GMatchInfo) match = NULL;
		g_autofree char *number = NULL, *path = NULL, *sql = NULL;
		PdMigration *m;

		if (!g_regex_match(pattern, name, 0, &match)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s/%s: migration files are named NNNN_name.sql",
				    sql_dir, name);
			return NULL;
		}
		number = g_match_info_fetch(match, 1);
		if (atoi(number) != (int)i + 1) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s/%s: expected migration number %u", sql_dir, name, i + 1);
			return NULL;
		}
		if (atoi(number) > pd_store_schema_known()) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s/%s is newer than this postdesk knows (%d)", sql_dir,
				    name, pd_store_schema_known());
			return NULL;
		}
		path = g_build_filename(sql_dir, name, NULL);
		if (!g_file_get_contents(path, &sql, NULL, &local)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local->message);
			return NULL;
		}
		m = g_malloc0(sizeof(*m));
		m->version = (int)i + 1;
		g_ptr_array_add(migrations, m);
		m->name = g_match_info_fetch(match, 2);
		m->sql = g_steal_pointer(&sql);
	}
	return g_steal_pointer(&migrations);
}

/* Apply m, in one transaction with its schema_version row. */
static gboolean
apply_one(PdStore *store, const PdMigration *m, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	if (!pd_store_exec_simple(store, "BEGIN", "migrate", error))
		goto fail;
	if (!pd_store_exec_simple(store, m->sql, m->name, error)) {
		g_prefix_error(error, "migration %04d_%s: ", m->version, m->name);
		goto fail;
	}
	pd_store_params_init(&params);
	pd_store_param_int(&params, m->version);
	pd_store_param_text(&params, m->name);
	result = PQexecParams(store->conn,
			      "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
			      params.n, NULL, params.values, params.lengths, params.formats, 0);
	pd_store_params_clear(&params);
	if (result == NULL || PQresultStatus(result) != PGRES_COMMAND_OK) {
		pd_store_set_error(store, result, "schema_version", error);
		goto fail;
	}
	return pd_store_exec_simple(store, "COMMIT", "migrate", error);
fail:
	if (!store->broken && PQtransactionStatus(store->conn) != PQTRANS_IDLE)
		pd_store_exec_simple(store, "ROLLBACK", "migrate", NULL);
	return FALSE;
}

static gboolean
migrate_locked(PdStore *store, GPtrArray *from_dir, PdStoreMigrateFunc applied_func,
	       gpointer user_data, guint *applied_r, GError **error)
{
	guint count = from_dir != NULL ? from_dir->len : pd_store_n_migrations;
	int version;

	if (!pd_store_schema_version(store, &version, error))
		return FALSE;
	if (version > pd_store_schema_known()) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database schema is version %d, newer than this postdesk "
			    "knows (%d): upgrade postdesk", version, pd_store_schema_known());
		return FALSE;
	}
	for (guint i = 0; i < count; i++) {
		const PdMigration *m = from_dir != NULL ? from_dir->pdata[i]
							: &pd_store_migrations[i];

		if (m->version <= version)
			continue;
		if (!apply_one(store, m, error))
			return FALSE;
		(*applied_r)++;
		if (applied_func != NULL)
			applied_func(m->version, m->name, user_data);
	}
	return TRUE;
}

gboolean
pd_store_migrate_notify(PdStore *store, const char *sql_dir, PdStoreMigrateFunc applied_func,
			gpointer user_data, guint *applied_r, GError **error)
{
	g_autoptr(GPtrArray) from_dir = NULL;
	guint applied = 0;
	gboolean ok;

	g_return_val_if_fail(store != NULL, FALSE);
	if (applied_r != NULL)
		*applied_r = 0;
	if (sql_dir != NULL && (from_dir = read_sql_dir(sql_dir, error)) == NULL)
		return FALSE;
	/* A migration may rewrite big tables, and may wait for another one:
	 * no statement timeout while migrating. */
	if (!pd_store_exec_simple(store, "SET statement_timeout = 0;"
				  " SELECT pg_advisory_lock(" MIGRATE_LOCK ")", "migrate", error))
		return FALSE;
	ok = migrate_locked(store, from_dir, applied_func, user_data, &applied, error);
	if (!pd_store_exec_simple(store, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ");"
				  " RESET statement_timeout", "migrate", ok ? error : NULL))
		ok = FALSE;
	if (applied_r != NULL)
		*applied_r = applied;
	return ok;
}

gboolean
pd_store_migrate(PdStore *store, const char *sql_dir, guint *applied_r, GError **error)
{
	return pd_store_migrate_notify(store, sql_dir, NULL, NULL, applied_r, error);
}
