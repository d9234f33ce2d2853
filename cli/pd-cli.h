/* pd-cli: what every `postdesk` subcommand shares.
 *
 * A subcommand is `int pd_cmd_NAME(PdCli *cli, int argc, char **argv)` with
 * argv[0] the subcommand name; it returns a sysexits code: 0, 64 for bad
 * usage (with a message on stderr saying what is wrong), 75 for a temporary
 * failure, 65/77 for permanent ones.  It writes nothing partial: any change
 * is one transaction.
 */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <glib.h>
#include "core/pd-config.h"
#include "core/pd-error.h"
#include "store/pd-store.h"

typedef struct {
	const char *config_path;	/* -c, $POSTDESK_CONFIG, or the default */
	PdConfig *config;		/* loaded on first pd_cli_config() */
} PdCli;

#define PD_CLI_DEFAULT_CONFIG "/etc/postdesk/postdesk.conf"

/* The configuration, or NULL after printing why (exit code in *exit_r). */
PdConfig *pd_cli_config(PdCli *cli, int *exit_r);
/* A database connection, or NULL after printing why (exit code in *exit_r). */
PdStore *pd_cli_store(PdCli *cli, int *exit_r);
/* Print "postdesk: message" to stderr; returns the sysexit for error. */
int pd_cli_fail(const GError *error);
/* Print "postdesk CMD: message" and the usage line; returns 64. */
int pd_cli_usage(const char *usage, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

int pd_cmd_db(PdCli *cli, int argc, char **argv);
int pd_cmd_ticket(PdCli *cli, int argc, char **argv);
int pd_cmd_reply(PdCli *cli, int argc, char **argv);
int pd_cmd_deliver(PdCli *cli, int argc, char **argv);
int pd_cmd_test(PdCli *cli, int argc, char **argv);
int pd_cmd_check_config(PdCli *cli, int argc, char **argv);
int pd_cmd_account(PdCli *cli, int argc, char **argv);
int pd_cmd_contact(PdCli *cli, int argc, char **argv);
int pd_cmd_agent(PdCli *cli, int argc, char **argv);
int pd_cmd_queue(PdCli *cli, int argc, char **argv);
int pd_cmd_outbound(PdCli *cli, int argc, char **argv);
int pd_cmd_jobs(PdCli *cli, int argc, char **argv);
int pd_cmd_status(PdCli *cli, int argc, char **argv);
int pd_cmd_quarantine(PdCli *cli, int argc, char **argv);
int pd_cmd_address(PdCli *cli, int argc, char **argv);
int pd_cmd_report(PdCli *cli, int argc, char **argv);
int pd_cmd_imap(PdCli *cli, int argc, char **argv);

#endif
