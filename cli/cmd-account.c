/* postdesk account add|list|show|set: customer accounts (issue 3).
 *
 *   account add NAME [--plan P] [--domain D]... [--manager AGENT_ADDRESS]
 *   account list
 *   account show NAME
 *   account set NAME [--plan P] [--add-domain D]... [--remove-domain D]...
 *                    [--manager AGENT_ADDRESS | --no-manager]
 * Every argument is checked before the database is touched; each change is
 * one transaction with an event row (account.created, account.changed).
 */
#include "cmd-admin.h"
#include "ticket/pd-plan.h"

#include <stdio.h>
#include <string.h>

#define ACCOUNT_USAGE "account add|list|show|set ..."
#define ADD_USAGE "account add NAME [--plan P] [--domain D]... [--manager AGENT_ADDRESS]"
#define SET_USAGE "account set NAME [--plan P] [--add-domain D]... [--remove-domain D]... " \
	"[--manager AGENT_ADDRESS | --no-manager]"

typedef struct {
	char *plan;
	char **domains;
	char **remove_domains;
	char *manager;
	gboolean no_manager;
} AccountOptions;

static AccountOptions opt;

static const GOptionEntry add_entries[] = {
	{ "plan", 0, 0, G_OPTION_ARG_STRING, &opt.plan, "Plan", "P" },
	{ "domain", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.domains, "Domain of the account", "D" },
	{ "manager", 0, 0, G_OPTION_ARG_STRING, &opt.manager, "Account manager (agent)", "ADDRESS" },
	G_OPTION_ENTRY_NULL
};

static const GOptionEntry set_entries[] = {
	{ "plan", 0, 0, G_OPTION_ARG_STRING, &opt.plan, "Plan (\"\" clears it)", "P" },
	{ "add-domain", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.domains, "Add a domain", "D" },
	{ "remove-domain", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.remove_domains,
	  "Remove a domain", "D" },
	{ "manager", 0, 0, G_OPTION_ARG_STRING, &opt.manager, "Account manager (agent)", "ADDRESS" },
	{ "no-manager", 0, 0, G_OPTION_ARG_NONE, &opt.no_manager, "No account manager", NULL },
	G_OPTION_ENTRY_NULL
};

static void
options_clear(void)
{
	g_free(opt.plan);
	g_strfreev(opt.domains);
	g_strfreev(opt.remove_domains);
	g_free(opt.manager);
	memset(&opt, 0, sizeof(opt));
}

static int
account_name_check(const PdAdminArgs *args, const char *name)
{
	if (*name == '\0' || !g_utf8_validate(name, -1, NULL) || strlen(name) > 200)
		return pd_admin_bad(args, "invalid account name \"%s\"", name);
	for (const char *p = name; *p != '\0'; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return pd_admin_bad(args, "invalid account name (control character)");
	}
	return 0;
}

static int
account_change(PdCli *cli, const PdAdminArgs *args, gboolean add)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) domains = NULL;
	g_auto(GStrv) remove = NULL;
	g_autofree char *manager = NULL;
	PdConfig *config;
	g_autoptr(PdStore) store = NULL;
	const char *name = args->argv[0];
	int rc = 0;
	gboolean ok;

	if ((rc = account_name_check(args, name)) != 0)
		return rc;
	if (opt.manager != NULL && opt.no_manager)
		return pd_admin_bad(args, "--manager and --no-manager exclude each other");
	if (!add && opt.plan == NULL && opt.domains == NULL && opt.remove_domains == NULL &&
	    opt.manager == NULL && !opt.no_manager)
		return pd_admin_bad(args, "nothing to change");
	if ((config = pd_cli_config(cli, &rc)) == NULL)
		return rc;
	if (opt.plan != NULL && *opt.plan != '\0' && pd_plan_named(config, opt.plan) == NULL) {
		g_autofree char *known = pd_plan_names(config);

		if (*known != '\0')
			return pd_admin_bad(args, "unknown plan \"%s\" (configured: %s)", opt.plan,
					    known);
	}
	domains = pd_admin_canonical_list(args, config, opt.domains, TRUE, &rc);
	if (rc != 0)
		return rc;
	remove = pd_admin_canonical_list(args, config, opt.remove_domains, TRUE, &rc);
	if (rc != 0)
		return rc;
	if (opt.manager != NULL &&
	    (manager = pd_admin_address(args, config, opt.manager, &rc)) == NULL)
		return rc;
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		return rc;
	if (add)
		ok = pd_store_account_add(store, args->actor, name,
					  opt.plan != NULL && *opt.plan != '\0' ? opt.plan : NULL,
					  (const char *const *)domains, manager, &error);
	else
		ok = pd_store_account_set(store, args->actor, name, opt.plan,
					  (const char *const *)domains,
					  (const char *const *)remove,
					  opt.no_manager ? "" : manager, &error);
	if (!ok)
		return pd_admin_fail(args, error);
	if (!args->json)
		printf("account \"%s\" %s\n", name, add ? "added" : "changed");
	else
		return pd_admin_print_read(args, store, PD_ADMIN_ACCOUNT_SHOW, name);
	return PD_EX_OK;
}

static int
account_read(PdCli *cli, const PdAdminArgs *args, PdAdminQuery query)
{
	g_autoptr(PdStore) store = NULL;
	int rc = 0;

	if (query == PD_ADMIN_ACCOUNT_SHOW && (rc = account_name_check(args, args->argv[0])) != 0)
		return rc;
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		return rc;
	return pd_admin_print_read(args, store, query,
				   args->argc > 0 ? args->argv[0] : NULL);
}

int
pd_cmd_account(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	const char *verb = argc > 1 ? argv[1] : "";
	int rc;

	options_clear();
	if (strcmp(verb, "add") == 0) {
		rc = pd_admin_args_parse(&args, "account", ADD_USAGE, add_entries, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = account_change(cli, &args, TRUE);
	} else if (strcmp(verb, "set") == 0) {
		rc = pd_admin_args_parse(&args, "account", SET_USAGE, set_entries, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = account_change(cli, &args, FALSE);
	} else if (strcmp(verb, "list") == 0) {
		rc = pd_admin_args_parse(&args, "account", "account list [--json]", NULL, 0, 0,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = account_read(cli, &args, PD_ADMIN_ACCOUNT_LIST);
	} else if (strcmp(verb, "show") == 0) {
		rc = pd_admin_args_parse(&args, "account", "account show NAME [--json]", NULL,
					 1, 1, argc - 1, argv + 1);
		if (rc == 0)
			rc = account_read(cli, &args, PD_ADMIN_ACCOUNT_SHOW);
	} else {
		return pd_cli_usage(ACCOUNT_USAGE, "account: unknown action \"%s\"", verb);
	}
	pd_admin_args_clear(&args);
	options_clear();
	return rc;
}
