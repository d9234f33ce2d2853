/* postdesk address list|clear: the addresses our mail bounced from (issue
 * 16, section 1; sql/functions/bounce.sql).
 *
 *   list [--failing]   every address with a bounce on record (hard and soft
 *                      counts), or only those failing now (no automatic mail
 *                      goes to them until failing_until)
 *   clear ADDRESS      the address works again: not failing any more (its
 *                      counts stay; event bounce.cleared)
 */
#include "cmd-admin.h"
#include "store/pd-store-bounce.h"

#include <stdio.h>
#include <string.h>

#define ADDRESS_USAGE "address list [--failing] | clear ADDRESS [--json] [--actor NAME]"

static gboolean list_failing;

static const GOptionEntry list_entries[] = {
	{ "failing", 0, 0, G_OPTION_ARG_NONE, &list_failing, "only the failing ones", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* list [--failing]: one table (or a JSON array) */
static int
address_list(PdCli *cli, const PdAdminArgs *args)
{
	g_autoptr(PdStore) store = NULL;
	int rc;

	store = pd_cli_store(cli, &rc);
	if (store == NULL)
		return rc;
	return pd_admin_print_read(args, store, PD_ADMIN_ADDRESS_LIST,
				   list_failing ? "failing" : NULL);
}

/* clear ADDRESS: not failing any more */
static int
address_clear(PdCli *cli, const PdAdminArgs *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = NULL;
	g_autofree char *address = NULL;
	PdConfig *config;
	int rc;

	if ((config = pd_cli_config(cli, &rc)) == NULL ||
	    (address = pd_admin_address(args, config, args->argv[0], &rc)) == NULL)
		return rc;
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		return rc;
	if (!pd_store_bounce_clear(store, address, args->actor, &error))
		return pd_admin_fail(args, error);
	printf(args->json ? "{\"cleared\": \"%s\"}\n"
	       : "cleared %s: automatic mail goes to it again\n", address);
	return PD_EX_OK;
}

int
pd_cmd_address(PdCli *cli, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	gboolean list = strcmp(verb, "list") == 0;
	PdAdminArgs args;
	int rc;

	if (!list && strcmp(verb, "clear") != 0)
		return pd_cli_usage(ADDRESS_USAGE, "address: unknown action \"%s\"", verb);
	list_failing = FALSE;
	rc = pd_admin_args_parse(&args, "address", ADDRESS_USAGE, list ? list_entries : NULL,
				 !list, !list, argc - 1, argv + 1);
	if (rc != 0)
		return rc;
	rc = list ? address_list(cli, &args) : address_clear(cli, &args);
	pd_admin_args_clear(&args);
	return rc;
}
