/* postdesk contact add|list|show|set|remove|suspend: authorized contacts.
 *
 *   contact add ACCOUNT ADDRESS [--name N] [--primary]
 *               [--permissions support,billing] [--expires YYYY-MM-DD]
 *   contact list [ACCOUNT]
 *   contact show ADDRESS
 *   contact set ADDRESS [--account A] [--permissions ...] [--expires DATE|--no-expiry]
 *               [--name N]
 *   contact remove|suspend|activate ADDRESS [--account A]
 * An address that is a contact of several accounts needs --account.
 * `contact add` of an alternate contact also queues its welcome mail (what
 * postdesk is for, where to write, what the contact may and may not ask
 * for, who added it) in the same transaction, when [outbound] is
 * configured; contacts.welcomed_at records when it was queued
 * (sql/functions/jobs.sql).  Without [outbound] nothing is queued and
 * welcomed_at stays empty.  Re-activating a contact never welcomes again.
 */
#include "cmd-admin.h"
#include "jobs/pd-jobs.h"

#include <stdio.h>
#include <string.h>

#define CONTACT_USAGE "contact add|list|show|set|remove|suspend|activate ..."
#define ADD_USAGE "contact add ACCOUNT ADDRESS [--name N] [--primary] " \
	"[--permissions support,billing] [--expires YYYY-MM-DD]"
#define SET_USAGE "contact set ADDRESS [--account A] [--permissions P,Q] " \
	"[--expires YYYY-MM-DD | --no-expiry] [--name N]"

static struct {
	char *name;
	gboolean primary;
	char *permissions;
	char *expires;
	gboolean no_expiry;
	char *account;
} opt;

static const GOptionEntry add_entries[] = {
	{ "name", 0, 0, G_OPTION_ARG_STRING, &opt.name, "Display name", "N" },
	{ "primary", 0, 0, G_OPTION_ARG_NONE, &opt.primary, "The account's primary contact", NULL },
	{ "permissions", 0, 0, G_OPTION_ARG_STRING, &opt.permissions,
	  "support, technical, billing, records, contacts (comma separated)", "P,Q" },
	{ "expires", 0, 0, G_OPTION_ARG_STRING, &opt.expires, "Expiry date", "YYYY-MM-DD" },
	G_OPTION_ENTRY_NULL
};

static const GOptionEntry set_entries[] = {
	{ "account", 0, 0, G_OPTION_ARG_STRING, &opt.account, "Which account", "A" },
	{ "name", 0, 0, G_OPTION_ARG_STRING, &opt.name, "Display name (\"\" clears it)", "N" },
	{ "permissions", 0, 0, G_OPTION_ARG_STRING, &opt.permissions,
	  "The new permissions (comma separated)", "P,Q" },
	{ "expires", 0, 0, G_OPTION_ARG_STRING, &opt.expires, "Expiry date", "YYYY-MM-DD" },
	{ "no-expiry", 0, 0, G_OPTION_ARG_NONE, &opt.no_expiry, "Never expires", NULL },
	G_OPTION_ENTRY_NULL
};

static const GOptionEntry status_entries[] = {
	{ "account", 0, 0, G_OPTION_ARG_STRING, &opt.account, "Which account", "A" },
	G_OPTION_ENTRY_NULL
};

static void
options_clear(void)
{
	g_free(opt.name);
	g_free(opt.permissions);
	g_free(opt.expires);
	g_free(opt.account);
	memset(&opt, 0, sizeof(opt));
}

/* The checked arguments shared by add and set. */
typedef struct {
	char *address;
	char **permissions;
	char *expires;
} ContactArgs;

static void
contact_args_clear(ContactArgs *c)
{
	g_free(c->address);
	g_strfreev(c->permissions);
	g_free(c->expires);
}

static int
contact_args_check(PdCli *cli, const PdAdminArgs *args, const char *address, ContactArgs *c)
{
	PdConfig *config;
	int rc = 0;

	if ((config = pd_cli_config(cli, &rc)) == NULL)
		return rc;
	if ((c->address = pd_admin_address(args, config, address, &rc)) == NULL)
		return rc;
	if (opt.permissions != NULL &&
	    (c->permissions = pd_admin_permissions(args, opt.permissions, &rc)) == NULL)
		return rc;
	if (opt.expires != NULL && opt.no_expiry)
		return pd_admin_bad(args, "--expires and --no-expiry exclude each other");
	if (opt.expires != NULL && (c->expires = pd_admin_date(args, opt.expires, &rc)) == NULL)
		return rc;
	if (opt.name != NULL && (!g_utf8_validate(opt.name, -1, NULL) ||
				 strpbrk(opt.name, "\r\n") != NULL))
		return pd_admin_bad(args, "invalid name");
	return 0;
}

/* The status a verb sets: remove, suspend, activate. */
static const char *
contact_status(const char *verb)
{
	if (strcmp(verb, "remove") == 0)
		return "removed";
	if (strcmp(verb, "activate") == 0)
		return "active";
	return "suspended";
}

/* Add the contact and queue its welcome mail, in one transaction. */
static gboolean
contact_add(PdCli *cli, PdStore *store, const PdAdminArgs *args, const ContactArgs *c,
	    GError **error)
{
	const PdJobsConfig *jobs = pd_jobs_config(cli->config);
	gint64 welcome_id = 0;

	if (!pd_store_contact_add_welcome(store, args->actor, args->argv[0], c->address,
					  opt.name, opt.primary,
					  (const char *const *)c->permissions, c->expires,
					  pd_jobs_welcome(jobs), &welcome_id, error))
		return FALSE;
	if (welcome_id > 0 && !args->json)
		printf("welcome mail queued (outbound %" G_GINT64_FORMAT ")\n", welcome_id);
	return TRUE;
}

static int
contact_change(PdCli *cli, const PdAdminArgs *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = NULL;
	ContactArgs c = { 0 };
	gboolean add = strcmp(args->verb, "add") == 0;
	const char *address = add ? args->argv[1] : args->argv[0];
	int rc;
	gboolean ok = FALSE;

	rc = contact_args_check(cli, args, address, &c);
	if (rc == 0 && strcmp(args->verb, "set") == 0 && opt.permissions == NULL &&
	    opt.expires == NULL &&
	    !opt.no_expiry && opt.name == NULL)
		rc = pd_admin_bad(args, "nothing to change");
	if (rc == 0 && (store = pd_cli_store(cli, &rc)) != NULL) {
		if (add)
			ok = contact_add(cli, store, args, &c, &error);
		else if (strcmp(args->verb, "set") == 0)
			ok = pd_store_contact_set(store, args->actor, c.address, opt.account,
						  opt.name, (const char *const *)c.permissions,
						  opt.no_expiry ? "" : c.expires, &error);
		else
			ok = pd_store_contact_set_status(store, args->actor, c.address,
							 opt.account, contact_status(args->verb),
							 &error);
		if (!ok)
			rc = pd_admin_fail(args, error);
		else if (args->json)
			rc = pd_admin_print_read(args, store, PD_ADMIN_CONTACT_SHOW, c.address);
		else
			printf("contact %s %s\n", c.address,
			       add ? "added" : strcmp(args->verb, "set") == 0 ? "changed"
			       : strcmp(args->verb, "activate") == 0 ? "reactivated"
			       : contact_status(args->verb));
	}
	contact_args_clear(&c);
	return rc;
}

static int
contact_read(PdCli *cli, const PdAdminArgs *args, PdAdminQuery query)
{
	g_autoptr(PdStore) store = NULL;
	g_autofree char *address = NULL;
	PdConfig *config;
	int rc = 0;

	if (query == PD_ADMIN_CONTACT_SHOW) {
		if ((config = pd_cli_config(cli, &rc)) == NULL)
			return rc;
		if ((address = pd_admin_address(args, config, args->argv[0], &rc)) == NULL)
			return rc;
	}
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		return rc;
	return pd_admin_print_read(args, store, query,
				   address != NULL ? address
				   : args->argc > 0 ? args->argv[0] : NULL);
}

int
pd_cmd_contact(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	const char *verb = argc > 1 ? argv[1] : "";
	int rc;

	options_clear();
	if (strcmp(verb, "add") == 0) {
		rc = pd_admin_args_parse(&args, "contact", ADD_USAGE, add_entries, 2, 2,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = contact_change(cli, &args);
	} else if (strcmp(verb, "set") == 0) {
		rc = pd_admin_args_parse(&args, "contact", SET_USAGE, set_entries, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = contact_change(cli, &args);
	} else if (strcmp(verb, "remove") == 0 || strcmp(verb, "suspend") == 0 ||
		   strcmp(verb, "activate") == 0) {
		g_autofree char *usage = g_strdup_printf("contact %s ADDRESS [--account A]", verb);

		rc = pd_admin_args_parse(&args, "contact", usage, status_entries, 1, 1,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = contact_change(cli, &args);
	} else if (strcmp(verb, "list") == 0) {
		rc = pd_admin_args_parse(&args, "contact", "contact list [ACCOUNT] [--json]", NULL,
					 0, 1, argc - 1, argv + 1);
		if (rc == 0)
			rc = contact_read(cli, &args, PD_ADMIN_CONTACT_LIST);
	} else if (strcmp(verb, "show") == 0) {
		rc = pd_admin_args_parse(&args, "contact", "contact show ADDRESS [--json]", NULL,
					 1, 1, argc - 1, argv + 1);
		if (rc == 0)
			rc = contact_read(cli, &args, PD_ADMIN_CONTACT_SHOW);
	} else {
		return pd_cli_usage(CONTACT_USAGE, "contact: unknown action \"%s\"", verb);
	}
	pd_admin_args_clear(&args);
	options_clear();
	return rc;
}
