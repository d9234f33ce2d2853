/* postdesk imap check NAME | imap status: the [imap NAME] mailboxes.
 *
 * check connects to the mailbox's server exactly as postdeskd would (TLS,
 * certificate and host name verified), logs in, lists the folders, selects
 * folder and says what the fetcher would do: the capabilities that decide
 * the after-delivery action (MOVE, UIDPLUS; IDLE), which configured
 * folders are missing (the fetcher creates them on first use), and how
 * many messages wait.  It changes nothing on the server.  Exit 0 when the
 * fetcher could work; 75 for a network problem or a refused command; 64
 * for a refused login or an unknown NAME.
 *
 * status prints, per mailbox, what the database holds (sql/functions/
 * imap.sql): UIDVALIDITY and the last UID taken, the backlog (the mails
 * above it that the fetcher last counted in the folder, and when), the
 * last error, and which daemon holds the mailbox's lock now.
 */
#include "cmd-admin.h"
#include "imap/pd-imap-ack.h"
#include "imap/pd-imap-client.h"
#include "imap/pd-imap-config.h"
#include "store/pd-store-imap.h"

#include <stdio.h>
#include <string.h>

#define IMAP_USAGE "imap check NAME | imap status [--json]"

static const char *const tls_names[] = { "implicit", "starttls", "none" };

static const char *
yes_no(gboolean v)
{
	return v ? "yes" : "no";
}

static gboolean
folder_listed(GPtrArray *names, const char *folder)
{
	for (guint i = 0; i < names->len; i++)
		if (strcmp(names->pdata[i], folder) == 0 ||
		    (g_ascii_strcasecmp(folder, "INBOX") == 0 &&
		     g_ascii_strcasecmp(names->pdata[i], "INBOX") == 0))
			return TRUE;
	return FALSE;
}

static void
imap_check_action(const char *what, PdImapOutcome outcome, PdImapCaps caps, const char *target,
		  GPtrArray *names)
{
	const char *folder = NULL;
	PdImapAction action = pd_imap_ack_decide(outcome, caps, target, &folder);

	switch (action) {
	case PD_IMAP_MOVE:
	case PD_IMAP_COPY_EXPUNGE:
		printf("%s: %s to %s%s\n", what, action == PD_IMAP_MOVE ? "UID MOVE" :
		       "UID COPY + \\Deleted + UID EXPUNGE", folder,
		       folder_listed(names, folder) ? "" : " (missing: created on first use)");
		break;
	default:
		printf("%s: flag \\Seen and remember the UID (%s)\n", what,
		       target == NULL ? "no folder configured" : "the server has neither MOVE "
		       "nor UIDPLUS");
	}
}

static int
imap_check(PdCli *cli, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdImapClient) client = NULL;
	g_autoptr(GPtrArray) names = NULL;
	const PdImapConfig *ic;
	PdImapFolder folder;
	g_autoptr(GArray) waiting = NULL;
	PdImapCaps caps;
	PdConfig *config;
	int rc = 0;

	if ((config = pd_cli_config(cli, &rc)) == NULL)
		return rc;
	ic = pd_imap_config_find(config, name);
	if (ic == NULL) {
		fprintf(stderr, "postdesk imap check: no [imap %s] in %s\n", name,
			cli->config_path);
		return PD_EX_USAGE;
	}
	if (ic->queue != NULL)
		printf("imap %s: %s:%u, tls = %s, user %s, queue %s (to <%s>)\n", ic->name,
		       ic->host, ic->port, tls_names[ic->tls], ic->user, ic->queue, ic->recipient);
	else
		printf("imap %s: %s:%u, tls = %s, user %s, each mail to its Delivered-To, "
		       "X-Original-To, To or Cc that a queue has\n", ic->name, ic->host, ic->port,
		       tls_names[ic->tls], ic->user);
	client = pd_imap_client_connect(ic, -1, &error);
	if (client == NULL)
		return pd_cli_fail(error);
	caps = pd_imap_client_caps(client);
	printf("logged in%s%s\n", pd_imap_client_tls(client) != NULL ? " over " : " (no TLS)",
	       pd_imap_client_tls(client) != NULL ? pd_imap_client_tls(client) : "");
	printf("capabilities: %s\n", pd_imap_client_capabilities(client));
	printf("MOVE: %s, UIDPLUS: %s, IDLE: %s (postdeskd polls every %.1f s)\n",
	       yes_no(caps.move), yes_no(caps.uidplus),
	       yes_no(strstr(pd_imap_client_capabilities(client), "IDLE") != NULL),
	       ic->poll_ms / 1000.0);
	if (!pd_imap_client_list(client, &names, &error))
		return pd_cli_fail(error);
	printf("folders:");
	for (guint i = 0; i < names->len; i++)
		printf(" %s", (char *)names->pdata[i]);
	printf("\n");
	if (!pd_imap_client_select(client, ic->folder, &folder, &error))
		return pd_cli_fail(error);
	if (!pd_imap_client_search_after(client, 0, &waiting, &error))
		return pd_cli_fail(error);
	printf("folder %s: UIDVALIDITY %u, UIDNEXT %u, %u messages\n", ic->folder,
	       folder.uidvalidity, folder.uidnext, waiting->len);
	imap_check_action("delivered mail", PD_IMAP_OUTCOME_DELIVERED, caps, ic->processed_folder,
			  names);
	imap_check_action("refused mail", PD_IMAP_OUTCOME_PERMANENT, caps, ic->failed_folder,
			  names);
	printf("mail over %" G_GSIZE_FORMAT " bytes is refused\n", ic->max_message_size);
	return 0;
}

static int
imap_status(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	GPtrArray *configs;
	PdConfig *config;
	int rc;

	rc = pd_admin_args_parse(&args, "imap", IMAP_USAGE, NULL, 0, 0, argc, argv);
	if (rc != 0)
		return rc;
	if ((config = pd_cli_config(cli, &rc)) == NULL)
		goto out;
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		goto out;
	if (!pd_store_imap_status(store, &rows, &error)) {
		rc = pd_admin_fail(&args, error);
		goto out;
	}
	configs = pd_imap_configs(config);
	if (args.json) {
		printf("[");
		for (guint i = 0; i < rows->len; i++)
			printf("%s%s", i ? "," : "", ((PdImapStatus *)rows->pdata[i])->json);
		printf("]\n");
		goto out;
	}
	if (configs->len == 0 && rows->len == 0)
		printf("no [imap NAME] mailboxes\n");
	for (guint i = 0; i < configs->len; i++) {
		const PdImapConfig *ic = configs->pdata[i];
		const PdImapStatus *st = NULL;

		for (guint j = 0; j < rows->len; j++)
			if (strcmp(((PdImapStatus *)rows->pdata[j])->mailbox, ic->name) == 0)
				st = rows->pdata[j];
		if (st == NULL) {
			printf("%s: %s@%s %s: never fetched\n", ic->name, ic->user, ic->host,
			       ic->folder);
			continue;
		}
		if (*st->uidvalidity == '\0')
			printf("%s: %s@%s %s: not selected yet", ic->name, ic->user, ic->host,
			       ic->folder);
		else if (st->backlog != NULL)
			printf("%s: %s@%s %s: UIDVALIDITY %s, last UID %s, backlog %s (counted %s)",
			       ic->name, ic->user, ic->host, ic->folder, st->uidvalidity,
			       st->last_uid, st->backlog, st->backlog_at);
		else
			printf("%s: %s@%s %s: UIDVALIDITY %s, last UID %s, backlog not counted",
			       ic->name, ic->user, ic->host, ic->folder, st->uidvalidity,
			       st->last_uid);
		printf(", %s%s, updated %s\n", st->holder != NULL ? "held by " : "held by nobody",
		       st->holder != NULL ? st->holder : "", st->updated_at);
		if (st->last_error != NULL)
			printf("  last error (%s): %s\n", st->last_error_at, st->last_error);
	}
out:
	pd_admin_args_clear(&args);
	return rc;
}

int
pd_cmd_imap(PdCli *cli, int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return imap_check(cli, argv[2]);
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return imap_status(cli, argc - 1, argv + 1);
	return pd_cli_usage(IMAP_USAGE, "imap: check NAME or status?");
}
