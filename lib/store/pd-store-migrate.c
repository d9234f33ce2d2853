/* pd-store-migrate: the schema version, the numbered migrations and the
 * functions.
 *
 * The migrations of sql/ and the functions of sql/functions/ are compiled
 * in (see CMakeLists.txt), so the version and the functions a build knows
 * are exactly the files it carries.  A migration (tables, indexes, data,
 * the DROP a signature change needs) runs once, recorded in
 * schema_version; the functions are current code, applied by every
 * migrate after the pending migrations, in the same transaction, and
 * recorded in schema_functions with two digests: of their text, and of the
 * catalog's definitions of the functions they name right after (so one
 * changed or dropped by hand shows; a function of another name, a test's
 * trigger or an operator's own, does not count).
 *
 * The whole run holds a session-level advisory lock, taken BEFORE the
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

/* The hex SHA-256 of the definitions of every function named in $1 (the
 * names the function files define) in the schema functions are created
 * in, in a stable order.  A function of another name (a test's trigger, an
 * operator's own) changes nothing. */
#define CATALOG_DIGEST \
	"(SELECT encode(sha256(convert_to(coalesce(string_agg(" \
	"pg_get_functiondef(p.oid), E'\\n' ORDER BY p.proname," \
	" pg_get_function_identity_arguments(p.oid)), ''), 'UTF8')), 'hex')" \
	" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace" \
	" WHERE n.nspname = current_schema() AND p.proname = ANY ($1::text[])" \
	" AND p.prokind IN ('f', 'p'))"

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
	g_autoptr(PGresult) result = pd_store_exec_sql(store, sql, NULL, "schema version", error);

	if (result == NULL)
		return FALSE;
	if (PQntuples(result) != 1) {
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
		result = pd_store_exec_sql(store,
					   "SELECT version, name, extract(epoch FROM applied_at)::bigint"
					   " FROM schema_version ORDER BY version", NULL,
					   "schema history", error);
		if (result == NULL) {
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

/* --- functions --------------------------------------------------------- */

/* The digest of function files (name order): SHA-256 over each file's
 * name and text, each followed by a NUL, so moving a function between
 * files changes it too. */
static char *
functions_digest(const PdFunctionFile *const *files, guint n)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

	for (guint i = 0; i < n; i++) {
		g_checksum_update(sum, (const guchar *)files[i]->name,
				  (gssize)strlen(files[i]->name) + 1);
		g_checksum_update(sum, (const guchar *)files[i]->sql,
				  (gssize)strlen(files[i]->sql) + 1);
	}
	return g_strdup(g_checksum_get_string(sum));
}

/* The names of the functions files define (CREATE OR REPLACE FUNCTION
 * name), lower case. */
static GPtrArray *
function_names(const PdFunctionFile *const *files, guint n)
{
	g_autoptr(GRegex) definition = g_regex_new(
		"\\bCREATE\\s+OR\\s+REPLACE\\s+FUNCTION\\s+(\\w+)",
		G_REGEX_CASELESS, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < n; i++) {
		g_autoptr(GMatchInfo) match = NULL;

		g_regex_match(definition, files[i]->sql, 0, &match);
		for (; g_match_info_matches(match); g_match_info_next(match, NULL)) {
			g_autofree char *name = g_match_info_fetch(match, 1);

			g_ptr_array_add(names, g_ascii_strdown(name, -1));
		}
	}
	return names;
}

/* The compiled-in function files, as pointers. */
static const PdFunctionFile *const *
builtin_functions(void)
{
	static const PdFunctionFile **files;

	if (g_once_init_enter(&files)) {
		const PdFunctionFile **list = g_new(const PdFunctionFile *,
						    pd_store_n_function_files);

		for (guint i = 0; i < pd_store_n_function_files; i++)
			list[i] = &pd_store_function_files[i];
		g_once_init_leave(&files, list);
	}
	return files;
}

/* The names the compiled-in files define. */
static GPtrArray *
builtin_function_names(void)
{
	static GPtrArray *names;

	if (g_once_init_enter(&names))
		g_once_init_leave(&names, function_names(builtin_functions(),
							 pd_store_n_function_files));
	return names;
}

const char *
pd_store_functions_digest(void)
{
	static char *digest;

	if (g_once_init_enter(&digest))
		g_once_init_leave(&digest, functions_digest(builtin_functions(),
							    pd_store_n_function_files));
	return digest;
}

void
pd_functions_status_clear(PdFunctionsStatus *status)
{
	g_clear_pointer(&status->digest, g_free);
	g_clear_pointer(&status->catalog, g_free);
	g_clear_pointer(&status->catalog_now, g_free);
}

gboolean
pd_store_functions_status(PdStore *store, PdFunctionsStatus *status_r, GError **error)
{
	g_autoptr(PGresult) result = NULL;
	PdStoreParams params;
	gint64 exists;

	memset(status_r, 0, sizeof(*status_r));
	if (!query_int(store, "SELECT (to_regclass('schema_functions') IS NOT NULL)::int",
		       &exists, error))
		return FALSE;
	pd_store_params_init(&params);
	pd_store_param_text_array(&params, builtin_function_names());
	result = pd_store_exec_sql(store,
				   exists ? "SELECT (SELECT sha256 FROM schema_functions),"
					    " (SELECT catalog_sha256 FROM schema_functions), "
					    CATALOG_DIGEST
					  : "SELECT NULL, NULL, " CATALOG_DIGEST,
				   &params, "schema functions", error);
	pd_store_params_clear(&params);
	if (result == NULL)
		return FALSE;
	status_r->digest = pd_store_dup(result, 0, 0);
	status_r->catalog = pd_store_dup(result, 0, 1);
	status_r->catalog_now = pd_store_dup(result, 0, 2);
	return TRUE;
}

char *
pd_store_functions_problem(const PdFunctionsStatus *status)
{
	const char *carried = pd_store_functions_digest();

	if (status->digest == NULL)
		return g_strdup_printf("functions out of date: the database has none recorded,"
				       " this postdesk carries %s: run `postdesk db migrate`",
				       carried);
	if (strcmp(status->digest, carried) != 0)
		return g_strdup_printf("functions out of date: the database has %s,"
				       " this postdesk carries %s: run `postdesk db migrate`",
				       status->digest, carried);
	if (g_strcmp0(status->catalog, status->catalog_now) != 0)
		return g_strdup_printf("functions out of date: a function of sql/functions was changed"
				       " since `postdesk db migrate` (catalog %s, recorded %s):"
				       " run `postdesk db migrate`",
				       status->catalog_now, status->catalog);
	return NULL;
}

gboolean
pd_store_check_schema(PdStore *store, GError **error)
{
	int version, known = pd_store_schema_known();
	PdFunctionsStatus status;
	g_autofree char *problem = NULL;

	if (!pd_store_schema_version(store, &version, error))
		return FALSE;
	if (version == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database has no postdesk schema: run `postdesk db migrate`");
		return FALSE;
	}
	if (version < known) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database schema is version %d, this postdesk needs %d: "
			    "run `postdesk db migrate`", version, known);
		return FALSE;
	}
	if (version > known) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database schema is version %d, newer than this postdesk "
			    "knows (%d): refusing to run; upgrade postdesk", version, known);
		return FALSE;
	}
	if (!pd_store_functions_status(store, &status, error))
		return FALSE;
	problem = pd_store_functions_problem(&status);
	pd_functions_status_clear(&status);
	if (problem != NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", problem);
		return FALSE;
	}
	return TRUE;
}

/* --- migrating --------------------------------------------------------- */

/* Migrations and functions read from a directory instead of the
 * compiled-in ones (`postdesk db migrate --sql-dir`). */
typedef struct {
	GPtrArray *migrations;		/* PdMigration *, by version */
	GPtrArray *functions;		/* PdFunctionFile *, by name */
} SqlDir;

static void
sql_dir_clear(SqlDir *dir)
{
	g_clear_pointer(&dir->migrations, g_ptr_array_unref);
	g_clear_pointer(&dir->functions, g_ptr_array_unref);
}

static void
migration_free(gpointer data)
{
	PdMigration *m = data;

	g_free((char *)m->name);
	g_free((char *)m->sql);
	g_free(m);
}

static void
function_file_free(gpointer data)
{
	PdFunctionFile *f = data;

	g_free((char *)f->name);
	g_free((char *)f->sql);
	g_free(f);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir's *.sql files, sorted. */
static GPtrArray *
sql_names(const char *dir_path, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &local);
	const char *entry;

	if (dir == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local->message);
		return NULL;
	}
	while ((entry = g_dir_read_name(dir)) != NULL)
		if (g_str_has_suffix(entry, ".sql"))
			g_ptr_array_add(names, g_strdup(entry));
	g_ptr_array_sort(names, compare_names);
	return g_steal_pointer(&names);
}

static char *
read_text(const char *dir, const char *name, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) local = NULL;
	char *text;

	if (!g_file_get_contents(path, &text, NULL, &local)) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s", local->message);
		return NULL;
	}
	return text;
}

static gboolean
read_migrations(SqlDir *dir, const char *sql_dir, GError **error)
{
	g_autoptr(GRegex) pattern = g_regex_new("^([0-9]{4})_([a-z0-9_]+)\\.sql$", 0, 0, NULL);
	g_autoptr(GPtrArray) names = sql_names(sql_dir, error);

	if (names == NULL)
		return FALSE;
	dir->migrations = g_ptr_array_new_with_free_func(migration_free);
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		g_autoptr(GMatchInfo) match = NULL;
		g_autofree char *number = NULL;
		PdMigration *m;

		if (!g_regex_match(pattern, name, 0, &match)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s/%s: migration files are named NNNN_name.sql",
				    sql_dir, name);
			return FALSE;
		}
		number = g_match_info_fetch(match, 1);
		if (atoi(number) != (int)i + 1) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s/%s: expected migration number %u", sql_dir, name, i + 1);
			return FALSE;
		}
		if (atoi(number) > pd_store_schema_known()) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s/%s is newer than this postdesk knows (%d)", sql_dir,
				    name, pd_store_schema_known());
			return FALSE;
		}
		m = g_malloc0(sizeof(*m));
		m->version = (int)i + 1;
		g_ptr_array_add(dir->migrations, m);
		m->name = g_match_info_fetch(match, 2);
		if ((m->sql = read_text(sql_dir, name, error)) == NULL)
			return FALSE;
	}
	return TRUE;
}

static gboolean
read_functions(SqlDir *dir, const char *sql_dir, GError **error)
{
	g_autoptr(GRegex) pattern = g_regex_new("^[a-z0-9_]+\\.sql$", 0, 0, NULL);
	g_autofree char *functions_dir = g_build_filename(sql_dir, "functions", NULL);
	g_autoptr(GPtrArray) names = sql_names(functions_dir, error);

	if (names == NULL)
		return FALSE;
	if (names->len == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: no function files",
			    functions_dir);
		return FALSE;
	}
	dir->functions = g_ptr_array_new_with_free_func(function_file_free);
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		PdFunctionFile *f;

		if (!g_regex_match(pattern, name, 0, NULL)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s/%s: function files are named <area>.sql",
				    functions_dir, name);
			return FALSE;
		}
		f = g_malloc0(sizeof(*f));
		g_ptr_array_add(dir->functions, f);
		f->name = g_strndup(name, strlen(name) - strlen(".sql"));
		if ((f->sql = read_text(functions_dir, name, error)) == NULL)
			return FALSE;
	}
	return TRUE;
}

static gboolean
apply_migration(PdStore *store, const PdMigration *m, GError **error)
{
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	if (!pd_store_exec_simple(store, m->sql, m->name, error)) {
		g_prefix_error(error, "migration %04d_%s: ", m->version, m->name);
		return FALSE;
	}
	pd_store_params_init(&params);
	pd_store_param_int(&params, m->version);
	pd_store_param_text(&params, m->name);
	result = pd_store_exec_sql(store, "INSERT INTO schema_version (version, name)"
				   " VALUES ($1, $2)", &params, "schema_version", error);
	pd_store_params_clear(&params);
	return result != NULL;
}

/* Every function file, then their digest and the catalog's.  The bodies
 * are not checked at CREATE (a function may call one of a later file);
 * they are when first called. */
static gboolean
apply_functions(PdStore *store, const PdFunctionFile *const *files, guint n, GError **error)
{
	g_autofree char *digest = functions_digest(files, n);
	g_autoptr(GPtrArray) names = function_names(files, n);
	PdStoreParams params;
	g_autoptr(PGresult) result = NULL;

	if (!pd_store_exec_simple(store, "SET LOCAL check_function_bodies = off",
				  "migrate", error))
		return FALSE;
	for (guint i = 0; i < n; i++)
		if (!pd_store_exec_simple(store, files[i]->sql, files[i]->name, error)) {
			g_prefix_error(error, "functions/%s.sql: ", files[i]->name);
			return FALSE;
		}
	pd_store_params_init(&params);
	pd_store_param_text_array(&params, names);
	pd_store_param_text(&params, digest);
	result = pd_store_exec_sql(store, "INSERT INTO schema_functions (sha256, catalog_sha256)"
				   " VALUES ($2, " CATALOG_DIGEST ")"
				   " ON CONFLICT (one) DO UPDATE SET sha256 = excluded.sha256,"
				   " catalog_sha256 = excluded.catalog_sha256, applied_at = now()",
				   &params, "schema_functions", error);
	pd_store_params_clear(&params);
	return result != NULL;
}

/* The pending migrations and all functions in one transaction; applied_r
 * gets the migrations applied (only once committed). */
static gboolean
migrate_locked(PdStore *store, const SqlDir *dir, GPtrArray *applied, GError **error)
{
	guint count = dir->migrations != NULL ? dir->migrations->len : pd_store_n_migrations;
	int version;

	if (!pd_store_schema_version(store, &version, error))
		return FALSE;
	if (version > pd_store_schema_known()) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "the database schema is version %d, newer than this postdesk "
			    "knows (%d): upgrade postdesk", version, pd_store_schema_known());
		return FALSE;
	}
	if (!pd_store_exec_simple(store, "BEGIN", "migrate", error))
		return FALSE;
	for (guint i = 0; i < count; i++) {
		const PdMigration *m = dir->migrations != NULL ? dir->migrations->pdata[i]
							       : &pd_store_migrations[i];

		if (m->version <= version)
			continue;
		if (!apply_migration(store, m, error))
			goto fail;
		g_ptr_array_add(applied, (gpointer)m);
	}
	if (dir->functions != NULL ?
	    !apply_functions(store, (const PdFunctionFile *const *)dir->functions->pdata,
			     dir->functions->len, error) :
	    !apply_functions(store, builtin_functions(), pd_store_n_function_files, error))
		goto fail;
	/* statistics for the tables that have rows and none (a restore): see
	 * pd_db_analyze_missing, sql/functions/admin.sql */
	if (!pd_store_exec_simple(store, "SELECT pd_db_analyze_missing()", "migrate", error))
		goto fail;
	if (pd_store_exec_simple(store, "COMMIT", "migrate", error))
		return TRUE;
fail:
	if (!store->broken && PQtransactionStatus(store->conn) != PQTRANS_IDLE)
		pd_store_exec_simple(store, "ROLLBACK", "migrate", NULL);
	g_ptr_array_set_size(applied, 0);
	return FALSE;
}

gboolean
pd_store_migrate_notify(PdStore *store, const char *sql_dir, PdStoreMigrateFunc applied_func,
			gpointer user_data, guint *applied_r, GError **error)
{
	SqlDir dir = { NULL, NULL };
	g_autoptr(GPtrArray) applied = g_ptr_array_new();
	gboolean ok, migrated = FALSE;
	guint saved_timeout;

	g_return_val_if_fail(store != NULL, FALSE);
	if (applied_r != NULL)
		*applied_r = 0;
	if (sql_dir != NULL && (!read_migrations(&dir, sql_dir, error) ||
				!read_functions(&dir, sql_dir, error))) {
		sql_dir_clear(&dir);
		return FALSE;
	}
	/* A migration may rewrite big tables, and may wait for another one:
	 * no statement timeout while migrating. */
	saved_timeout = store->timeout;
	store->timeout = 0;	/* nor a client-side one */
	ok = pd_store_exec_simple(store, "SET statement_timeout = 0;"
				  " SELECT pg_advisory_lock(" MIGRATE_LOCK ")", "migrate", error);
	if (ok) {
		ok = migrated = migrate_locked(store, &dir, applied, error);
		if (!pd_store_exec_simple(store, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ");"
					  " RESET statement_timeout", "migrate",
					  ok ? error : NULL))
			ok = FALSE;
	}
	store->timeout = saved_timeout;
	/* what was committed is reported, whatever happened after */
	if (migrated) {
		for (guint i = 0; i < applied->len; i++) {
			const PdMigration *m = applied->pdata[i];

			if (applied_func != NULL)
				applied_func(m->version, m->name, user_data);
		}
		if (applied_r != NULL)
			*applied_r = applied->len;
	}
	sql_dir_clear(&dir);
	return ok;
}

gboolean
pd_store_migrate(PdStore *store, const char *sql_dir, guint *applied_r, GError **error)
{
	return pd_store_migrate_notify(store, sql_dir, NULL, NULL, applied_r, error);
}
