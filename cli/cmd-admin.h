/* cmd-admin: what `postdesk account|contact|agent|queue` share.
 *
 * Option parsing (GOption: --json and --actor everywhere), checking an
 * argument before anything is written (address, domain, permission list,
 * date), the actor of the audit trail (--actor or the Unix user), and
 * printing an answer as tables for people or JSON for scripts.  Exit codes:
 * 64 (EX_USAGE) for a bad argument, 67 (EX_NOUSER) for an account, contact
 * or agent that does not exist, 75 for database trouble; the message is one
 * line on stderr.
 */
#ifndef CMD_ADMIN_H
#define CMD_ADMIN_H

#include "pd-cli.h"
#include "core/pd-json.h"
#include "store/pd-store-identity.h"

typedef struct {
	const char *command;	/* "account" */
	const char *verb;	/* "add" */
	const char *usage;	/* "account add NAME [--plan P]..." */
	gboolean json;
	char *actor;
	int argc;		/* positional arguments after the verb */
	char **argv;
	GOptionContext *context;
	char **args_copy;	/* what GOption parsed (it permutes and frees) */
} PdAdminArgs;

/* Parse argv (argv[0] the verb) with entries (may be NULL) plus --json and
 * --actor; wants between min and max positional arguments.  Returns 0 or the
 * exit code after printing why. */
int pd_admin_args_parse(PdAdminArgs *args, const char *command, const char *usage,
			const GOptionEntry *entries, int min_args, int max_args,
			int argc, char **argv);
void pd_admin_args_clear(PdAdminArgs *args);

/* A bad argument: "postdesk COMMAND VERB: message" on stderr, returns 64. */
int pd_admin_bad(const PdAdminArgs *args, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* An error from the store: its message on one line, the exit code it means. */
int pd_admin_fail(const PdAdminArgs *args, const GError *error);

/* Canonical address (no subaddress) or NULL after pd_admin_bad (*exit_r). */
char *pd_admin_address(const PdAdminArgs *args, PdConfig *config, const char *text,
		       int *exit_r);
/* Canonical (lower case, punycode) domain, or NULL after pd_admin_bad. */
char *pd_admin_domain(const PdAdminArgs *args, const char *text, int *exit_r);
/* Every element of list canonicalized (addresses or domains); NULL after
 * pd_admin_bad.  list NULL gives NULL with *exit_r 0. */
char **pd_admin_canonical_list(const PdAdminArgs *args, PdConfig *config,
			       char **list, gboolean domains, int *exit_r);
/* "support,billing" -> validated, de-duplicated list; NULL after pd_admin_bad. */
char **pd_admin_permissions(const PdAdminArgs *args, const char *text, int *exit_r);
/* YYYY-MM-DD, a real date after today; NULL after pd_admin_bad. */
char *pd_admin_date(const PdAdminArgs *args, const char *text, int *exit_r);

/* Run a read and print it (tables or JSON); returns the exit code. */
int pd_admin_print_read(const PdAdminArgs *args, PdStore *store, PdAdminQuery query,
			const char *key);
/* Print tables for people. */
void pd_admin_print_tables(GPtrArray *tables);

#endif
