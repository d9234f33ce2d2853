/* postdesk agent add|list|show|set|remove: agents and their addresses.
 *
 *   agent add ADDRESS --name N [--group G]... [--address ALIAS]... [--signature S]
 *   agent list
 *   agent show ADDRESS
 *   agent set ADDRESS [--name N] [--group G]... (replaces the groups)
 *             [--add-address A]... [--remove-address A]... [--signature S]
 *             [--active | --inactive]
 *   agent remove ADDRESS
 * Any of an agent's addresses names it.  remove deactivates: the row stays
 * for the audit trail and the accounts it manages; mail from its addresses
 * is no longer an agent's.
 */
#include "cmd-admin.h"

#include <stdio.h>
#include <string.h>

#define AGENT_USAGE "agent add|list|show|set|remove ..."
#define ADD_USAGE "agent add ADDRESS --name N [--group G]... [--address ALIAS]... " \
	"[--signature S]"
#define SET_USAGE "agent set ADDRESS [--name N] [--group G]... [--add-address A]... " \
	"[--remove-address A]... [--signature S] [--active | --inactive]"

static struct {
	char *name;
	char **groups;
	char **aliases;
	char **remove;
	char *signature;
	gboolean active, inactive;
} opt;

static const GOptionEntry add_entries[] = {
	{ "name", 0, 0, G_OPTION_ARG_STRING, &opt.name, "The agent's name", "N" },
	{ "group", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.groups, "A group", "G" },
	{ "address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.aliases, "Another address", "ALIAS" },
	{ "signature", 0, 0, G_OPTION_ARG_STRING, &opt.signature, "Signature", "S" },
	G_OPTION_ENTRY_NULL
};

static const GOptionEntry set_entries[] = {
	{ "name", 0, 0, G_OPTION_ARG_STRING, &opt.name, "The agent's name", "N" },
	{ "group", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.groups, "The groups (all of them)", "G" },
	{ "add-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.aliases, "Add an address", "A" },
	{ "remove-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt.remove,
	  "Remove an address", "A" },
	{ "signature", 0, 0, G_OPTION_ARG_STRING, &opt.signature, "Signature (\"\" clears)", "S" },
	{ "active", 0, 0, G_OPTION_ARG_NONE, &opt.active, "Reactivate", NULL },
	{ "inactive", 0, 0, G_OPTION_ARG_NONE, &opt.inactive, "Deactivate", NULL },
	G_OPTION_ENTRY_NULL
};

static void
options_clear(void)
{
	g_free(opt.name);
	g_strfreev(opt.groups);
	g_strfreev(opt.aliases);
	g_strfreev(opt.remove);
	g_free(opt.signature);
	memset(&opt, 0, sizeof(opt));
}

static int
agent_groups_check(const PdAdminArgs *args)
{
	for (char **g = opt.groups; g != NULL && *g != NULL; g++) {
		if (!g_regex_match_simple("^[A-Za-z0-9._-]+$", *g, 0, 0))
			return pd_admin_bad(args, "invalid group \"%s\" (letters, digits, . _ -)",
					    *g);
	}
	if (opt.name != NULL && (*opt.name == '\0' || !g_utf8_validate(opt.name, -1, NULL) ||
				 strpbrk(opt.name, "\r\n") != NULL))
		return pd_admin_bad(args, "invalid name");
	if (opt.active && opt.inactive)
		return pd_admin_bad(args, "--active and --inactive exclude each other");
	return 0;
}

static int
agent_change(PdCli *cli, const PdAdminArgs *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = NULL;
	g_autofree char *address = NULL;
	g_auto(GStrv) aliases = NULL;
	g_auto(GStrv) remove = NULL;
	PdConfig *config;
	int rc = 0, active = -1;
	gboolean ok;

	if ((config = pd_cli_config(cli, &rc)) == NULL)
		return rc;
	if ((rc = agent_groups_check(args)) != 0)
		return rc;
	if ((address = pd_admin_address(args, config, args->argv[0], &rc)) == NULL)
		return rc;
	aliases = pd_admin_canonical_list(args, config, opt.aliases, FALSE, &rc);
	if (rc != 0)
		return rc;
	remove = pd_admin_canonical_list(args, config, opt.remove, FALSE, &rc);
	if (rc != 0)
		return rc;
	if (strcmp(args->verb, "add") == 0 && opt.name == NULL)
		return pd_admin_bad(args, "--name is required");
	if (strcmp(args->verb, "remove") == 0)
		active = 0;
	else if (opt.active || opt.inactive)
		active = opt.active ? 1 : 0;
	if (strcmp(args->verb, "set") == 0 && opt.name == NULL && opt.groups == NULL &&
	    aliases == NULL && remove == NULL && opt.signature == NULL && active < 0)
		return pd_admin_bad(args, "nothing to change");
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		return rc;
	if (strcmp(args->verb, "add") == 0)
		ok = pd_store_agent_add(store, args->actor, address, opt.name,
					(const char *const *)opt.groups,
					(const char *const *)aliases, opt.signature, &error);
	else
		ok = pd_store_agent_set(store, args->actor, address, opt.name,
					(const char *const *)opt.groups,
					(const char *const *)aliases, (const char *const *)remove,
					active, opt.signature, &error);
	if (!ok)
		return pd_admin_fail(args, error);
	if (args->json)
		return pd_admin_print_read(args, store, PD_ADMIN_AGENT_SHOW, address);
	printf("agent %s %s\n", address, strcmp(args->verb, "add") == 0 ? "added"
	       : strcmp(args->verb, "remove") == 0 ? "removed" : "changed");
	return PD_EX_OK;
}

static int
agent_read(PdCli *cli, const PdAdminArgs *args, PdAdminQuery query)
{
	g_autoptr(PdStore) store = NULL;
	g_autofree char *address = NULL;
	PdConfig *config;
	int rc = 0;

	if (query == PD_ADMIN_AGENT_SHOW) {
		if ((config = pd_cli_config(cli, &rc)) == NULL)
			return rc;
		if ((address = pd_admin_address(args, config, args->argv[0], &rc)) == NULL)
			return rc;
	}
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		return rc;
	return pd_admin_print_read(args, store, query, address);
}

int
pd_cmd_agent(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	const char *verb = argc > 1 ? argv[1] : "";
	int rc;

	options_clear();
	if (strcmp(verb, "add") == 0) {
		rc = pd_admin_args_parse(&args, "agent", ADD_USAGE, add_entries, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = agent_change(cli, &args);
	} else if (strcmp(verb, "set") == 0) {
		rc = pd_admin_args_parse(&args, "agent", SET_USAGE, set_entries, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = agent_change(cli, &args);
	} else if (strcmp(verb, "remove") == 0) {
		rc = pd_admin_args_parse(&args, "agent", "agent remove ADDRESS", NULL, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = agent_change(cli, &args);
	} else if (strcmp(verb, "list") == 0) {
		rc = pd_admin_args_parse(&args, "agent", "agent list [--json]", NULL, 0, 0,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = agent_read(cli, &args, PD_ADMIN_AGENT_LIST);
	} else if (strcmp(verb, "show") == 0) {
		rc = pd_admin_args_parse(&args, "agent", "agent show ADDRESS [--json]", NULL, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = agent_read(cli, &args, PD_ADMIN_AGENT_SHOW);
	} else {
		return pd_cli_usage(AGENT_USAGE, "agent: unknown action \"%s\"", verb);
	}
	pd_admin_args_clear(&args);
	options_clear();
	return rc;
}
