/* postdesk db: the database schema.
 *
 *   postdesk db migrate [--sql-dir DIR]   apply what is missing, say what was applied
 *   postdesk db status                    the database's version and this build's
 *
 * The migrations and the functions (sql/functions/) are compiled into
 * postdesk (lib/store/CMakeLists.txt); --sql-dir reads them from a
 * directory instead (development).  Every migrate applies the functions
 * again.  `db status` exits 0 when the schema is exactly what this
 * postdesk needs, 1 when migrations are pending, the database is newer or
 * its functions are out of date, so scripts can ask.
 */
#include "pd-cli.h"

#include <stdio.h>
#include <string.h>

#define DB_USAGE "db migrate [--sql-dir DIR] | db status"

static void
print_applied(int version, const char *name, gpointer user_data)
{
	printf("applied %04d_%s\n", version, name);
	fflush(stdout);
}

static int
db_migrate(PdCli *cli, int argc, char **argv)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	const char *sql_dir = NULL;
	g_auto(PdFunctionsStatus) functions = { NULL, NULL, NULL };
	guint applied = 0;
	int rc = PD_EX_OK, version = 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--sql-dir") == 0 && i + 1 < argc)
			sql_dir = argv[++i];
		else
			return pd_cli_usage(DB_USAGE, "db migrate: unexpected argument %s",
					    argv[i]);
	}
	store = pd_cli_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (!pd_store_migrate_notify(store, sql_dir, print_applied, NULL, &applied, &error) ||
	    !pd_store_schema_version(store, &version, &error) ||
	    !pd_store_functions_status(store, &functions, &error))
		return pd_cli_fail(error);
	if (applied == 0)
		printf("nothing to apply: the schema is at version %d\n", version);
	else
		printf("the schema is now at version %d\n", version);
	printf("functions applied: %s\n", functions.digest);
	return PD_EX_OK;
}

static int
db_status(PdCli *cli, int argc, char **argv)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) steps = NULL;
	g_auto(PdFunctionsStatus) functions = { NULL, NULL, NULL };
	g_autofree char *problem = NULL;
	int rc = PD_EX_OK, version = 0, known = pd_store_schema_known();

	if (argc > 2)
		return pd_cli_usage(DB_USAGE, "db status: unexpected argument %s", argv[2]);
	store = pd_cli_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (!pd_store_schema_version(store, &version, &error) ||
	    !pd_store_schema_history(store, &steps, &error) ||
	    !pd_store_functions_status(store, &functions, &error))
		return pd_cli_fail(error);
	problem = pd_store_functions_problem(&functions);

	printf("database schema version: %d\nthis postdesk knows:     %d\n", version, known);
	for (guint i = 0; i < steps->len; i++) {
		const PdSchemaStep *step = steps->pdata[i];
		g_autoptr(GDateTime) at = g_date_time_new_from_unix_local(step->applied_at);
		g_autofree char *when = at != NULL ? g_date_time_format(at, "%Y-%m-%d %H:%M:%S")
						   : g_strdup("?");

		printf("  %04d_%-24s applied %s\n", step->version, step->name, when);
	}
	for (int v = version + 1; v <= known; v++)
		printf("  %04d_%-24s pending\n", v, pd_store_schema_name(v));
	printf("database functions:      %s\nthis postdesk carries:   %s\n",
	       functions.digest != NULL ? functions.digest : "none",
	       pd_store_functions_digest());
	if (version == known && problem != NULL) {
		printf("%s\n", problem);
		return 1;
	}
	if (version == known) {
		printf("up to date\n");
		return PD_EX_OK;
	}
	if (version > known)
		printf("the database is newer than this postdesk: upgrade postdesk\n");
	else
		printf("%d migration%s pending: run `postdesk db migrate`\n", known - version,
		       known - version == 1 ? "" : "s");
	return 1;
}

int
pd_cmd_db(PdCli *cli, int argc, char **argv)
{
	if (argc < 2)
		return pd_cli_usage(DB_USAGE, "db: which action?");
	if (strcmp(argv[1], "migrate") == 0)
		return db_migrate(cli, argc, argv);
	if (strcmp(argv[1], "status") == 0)
		return db_status(cli, argc, argv);
	return pd_cli_usage(DB_USAGE, "db: unknown action \"%s\"", argv[1]);
}
