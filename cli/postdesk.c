/* postdesk: the command-line tool (admin, pipe delivery, dry runs).
 *
 * One binary with subcommands; this file only finds the configuration and
 * dispatches.  Each subcommand lives in cmd-NAME.c.
 */
#include "pd-cli.h"
#include "core/pd-log.h"
#include "settings/pd-settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(PdCli *cli, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "report", pd_cmd_report, "report [--since DATE] [--until DATE] [--by day|week|month] [--format text|csv|json]: figures" },
	{ "status", pd_cmd_status, "status [--json]: daemon, database, schema, queues, outbound (exit 0/1/2)" },
	{ "db", pd_cmd_db, "db migrate | db status: database schema" },
	{ "deliver", pd_cmd_deliver, "deliver -f SENDER RECIPIENT...: one message from stdin (pipe(8))" },
	{ "test", pd_cmd_test, "test [--json] FILE: what the pipeline decides, nothing stored" },
	{ "ticket", pd_cmd_ticket, "ticket list | show N | release N | set | note | reply | merge | participant: tickets and working them" },
	{ "reply", pd_cmd_reply, "reply list | show NAME: the canned replies" },
	{ "check-config", pd_cmd_check_config, "check-config: validate the configuration" },
	{ "account", pd_cmd_account, "account add|list|show|set: customer accounts" },
	{ "contact", pd_cmd_contact, "contact add|list|show|set|remove|suspend|activate: authorized contacts" },
	{ "agent", pd_cmd_agent, "agent add|list|show|set|remove: agents and their addresses" },
	{ "queue", pd_cmd_queue, "queue list|show NAME: queues, their policy and ticket counts" },
	{ "outbound", pd_cmd_outbound, "outbound list|show|retry|cancel: the mail postdesk sends" },
	{ "quarantine", pd_cmd_quarantine, "quarantine list|show|release|delete|purge: mail the rules kept out" },
	{ "imap", pd_cmd_imap, "imap check NAME | imap status [--json]: the IMAP mailboxes postdeskd reads" },
	{ "address", pd_cmd_address, "address list [--failing] | clear ADDRESS: addresses our mail bounced from" },
	{ "jobs", pd_cmd_jobs, "jobs run reminder|expiry [--now DATE]: run a scheduled job once" },
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: postdesk [-c CONFIG] COMMAND [ARGS]\n\ncommands:\n");
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fprintf(out, "\nCONFIG defaults to $POSTDESK_CONFIG or %s\n", PD_CLI_DEFAULT_CONFIG);
}

PdConfig *
pd_cli_config(PdCli *cli, int *exit_r)
{
	g_autoptr(GError) error = NULL;

	if (cli->config != NULL)
		return cli->config;
	cli->config = pd_config_load(cli->config_path, pd_settings_tables, &error);
	if (cli->config == NULL) {
		fprintf(stderr, "postdesk: %s\n", error->message);
		*exit_r = PD_EX_CONFIG;
	}
	return cli->config;
}

PdStore *
pd_cli_store(PdCli *cli, int *exit_r)
{
	g_autoptr(GError) error = NULL;
	PdConfig *config = pd_cli_config(cli, exit_r);
	PdStore *store;

	if (config == NULL)
		return NULL;
	store = pd_store_connect(config->conninfo, &error);
	if (store == NULL)
		*exit_r = pd_cli_fail(error);
	return store;
}

int
pd_cli_fail(const GError *error)
{
	fprintf(stderr, "postdesk: %s\n", error->message);
	return pd_error_to_sysexit(error);
}

int
pd_cli_usage(const char *usage_line, const char *fmt, ...)
{
	va_list args;
	g_autofree char *text = NULL;

	va_start(args, fmt);
	text = g_strdup_vprintf(fmt, args);
	va_end(args);
	fprintf(stderr, "postdesk: %s\nusage: postdesk %s\n", text, usage_line);
	return PD_EX_USAGE;
}

int
main(int argc, char **argv)
{
	PdCli cli = { 0 };
	int i = 1, rc;

	pd_log_init("postdesk", PD_LOG_STDERR, g_getenv("POSTDESK_DEBUG") != NULL);
	cli.config_path = g_getenv("POSTDESK_CONFIG");
	if (cli.config_path == NULL)
		cli.config_path = PD_CLI_DEFAULT_CONFIG;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			cli.config_path = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("postdesk %s\n", PD_VERSION);
			return 0;
		} else {
			fprintf(stderr, "postdesk: unknown option %s\n", argv[i]);
			usage(stderr);
			return PD_EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return PD_EX_USAGE;
	}
	for (guint c = 0; c < G_N_ELEMENTS(commands); c++) {
		if (strcmp(argv[i], commands[c].name) == 0) {
			rc = commands[c].run(&cli, argc - i, argv + i);
			g_clear_pointer(&cli.config, pd_config_unref);
			return rc;
		}
	}
	fprintf(stderr, "postdesk: unknown command \"%s\"\n", argv[i]);
	usage(stderr);
	return PD_EX_USAGE;
}
