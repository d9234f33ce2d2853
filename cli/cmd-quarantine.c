/* postdesk quarantine list|show|release|delete|purge: mail the operator's
 * filter rules or its spam score kept out of the tickets (issue 10).
 *
 *   list [--all]     what waits (with --all, the released ones too)
 *   show ID [--raw]  one mail: envelope, score, rule hits, actions; --raw:
 *                    the bytes as they arrived, nothing else
 *   release ID       deliver it now as it arrived, with the rules run again
 *                    but the spam thresholds and the quarantine action
 *                    lifted (lib/filter: PdFilterInput.released); prints the
 *                    ticket it became.  Its idempotency key is the original
 *                    delivery's: a release that ran already is a duplicate.
 *   delete ID        forget it
 *   purge            delete what expired ([spam] quarantine_days) unreleased
 */
#include "cmd-admin.h"
#include "core/pd-envelope.h"
#include "core/pd-log.h"
#include "pipeline/pd-pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUARANTINE_USAGE \
	"quarantine list [--all] | show ID [--raw] | release ID | delete ID | purge [--json]"

static gboolean
quarantine_id(const PdAdminArgs *args, const char *text, gint64 *id_r, int *exit_r)
{
	char *end = NULL;
	gint64 id;

	if (text == NULL || !g_ascii_isdigit(text[0])) {
		*exit_r = pd_admin_bad(args, "invalid quarantine id \"%s\"", text != NULL ? text : "");
		return FALSE;
	}
	id = g_ascii_strtoll(text, &end, 10);
	if (*end != '\0' || id <= 0) {
		*exit_r = pd_admin_bad(args, "invalid quarantine id \"%s\"", text);
		return FALSE;
	}
	*id_r = id;
	return TRUE;
}

/* Deliver row id as it arrived; the outcome's reply is printed. */
static int
quarantine_release(const PdAdminArgs *args, PdCli *cli, PdStore *store, gint64 id)
{
	g_autoptr(GError) error = NULL;
	g_auto(PdQuarantined) q = { 0 };
	g_autoptr(PdEnvelope) envelope = pd_envelope_new("quarantine");
	PdRecipientOutcome outcome = { 0 };
	g_autofree char *reply = NULL;
	PdStorePool *pool;
	PdPipeline *pipeline;
	PdConfig *config;
	int rc;

	if ((config = pd_cli_config(cli, &rc)) == NULL)
		return rc;
	if (!pd_store_quarantine_get(store, id, &q, &error))
		return pd_admin_fail(args, error);
	g_free(envelope->mail_from);
	envelope->mail_from = g_strdup(q.mail_from != NULL ? q.mail_from : "");
	envelope->client_address = g_strdup(q.client_address);
	envelope->client_name = g_strdup(q.client_name);
	envelope->client_helo = g_strdup(q.client_helo);
	envelope->protocol = g_strdup(q.protocol);
	/* the operator releases it: as much trust as the CLI's own deliver */
	envelope->client_trusted = TRUE;
	pd_envelope_add_recipient(envelope, q.recipient);

	pool = pd_store_pool_new(config->conninfo, 1);
	pd_store_pool_set_timeout(pool, config->db_timeout);
	pipeline = pd_pipeline_new(config, pool);
	pd_pipeline_deliver(pipeline, envelope, q.raw, &outcome);
	pd_pipeline_free(pipeline);
	pd_store_pool_free(pool);

	reply = pd_recipient_outcome_reply(&outcome);
	if (outcome.error != NULL) {
		rc = pd_admin_fail(args, outcome.error);
		pd_recipient_outcome_clear(&outcome);
		return rc;
	}
	if (!pd_store_quarantine_released(store, id, outcome.result.ticket_number, &error)) {
		pd_recipient_outcome_clear(&outcome);
		return pd_admin_fail(args, error);
	}
	if (args->json)
		printf("{\"id\": %" G_GINT64_FORMAT ", \"ticket\": %" G_GINT64_FORMAT
		       ", \"disposition\": \"%s\"}\n", id, outcome.result.ticket_number,
		       outcome.result.disposition != NULL ? outcome.result.disposition : "ticket");
	else if (outcome.result.ticket_number != 0)
		printf("released %" G_GINT64_FORMAT " as ticket %" G_GINT64_FORMAT "%s\n", id,
		       outcome.result.ticket_number,
		       outcome.result.duplicate ? " (already stored)" : "");
	else
		printf("released %" G_GINT64_FORMAT ": %s\n", id, reply);
	pd_recipient_outcome_clear(&outcome);
	return PD_EX_OK;
}

/* show --raw: the bytes on stdout, unchanged (a released row too). */
static int
quarantine_raw(const PdAdminArgs *args, PdStore *store, gint64 id)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) raw = NULL;
	gsize len = 0;
	const void *data;

	if (!pd_store_quarantine_raw(store, id, &raw, &error))
		return pd_admin_fail(args, error);
	data = g_bytes_get_data(raw, &len);
	if (len > 0 && fwrite(data, 1, len, stdout) != len) {
		fprintf(stderr, "postdesk quarantine show: writing the message failed\n");
		return PD_EX_IOERR;
	}
	return fflush(stdout) == 0 ? PD_EX_OK : PD_EX_IOERR;
}

int
pd_cmd_quarantine(PdCli *cli, int argc, char **argv)
{
	static gboolean all, raw;
	static const GOptionEntry list_entries[] = {
		{ "all", 0, 0, G_OPTION_ARG_NONE, &all, "also the released ones", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	static const GOptionEntry show_entries[] = {
		{ "raw", 0, 0, G_OPTION_ARG_NONE, &raw, "the bytes as they arrived", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL }
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = NULL;
	PdAdminArgs args;
	const char *verb = argc > 1 ? argv[1] : "";
	gboolean list = strcmp(verb, "list") == 0, purge = strcmp(verb, "purge") == 0;
	gint64 id = 0;
	int rc;

	if (!list && !purge && strcmp(verb, "show") != 0 && strcmp(verb, "release") != 0 &&
	    strcmp(verb, "delete") != 0)
		return pd_cli_usage(QUARANTINE_USAGE, "quarantine: unknown action \"%s\"", verb);
	all = raw = FALSE;
	rc = pd_admin_args_parse(&args, "quarantine", QUARANTINE_USAGE,
				 list ? list_entries : strcmp(verb, "show") == 0 ? show_entries : NULL,
				 list || purge ? 0 : 1, list || purge ? 0 : 1, argc - 1, argv + 1);
	if (rc != 0)
		return rc;
	if (!list && !purge && !quarantine_id(&args, args.argv[0], &id, &rc)) {
		pd_admin_args_clear(&args);
		return rc;
	}
	if ((store = pd_cli_store(cli, &rc)) == NULL) {
		pd_admin_args_clear(&args);
		return rc;
	}
	if (list) {
		rc = pd_admin_print_read(&args, store, PD_ADMIN_QUARANTINE_LIST, all ? "all" : NULL);
	} else if (strcmp(verb, "show") == 0 && raw) {
		rc = quarantine_raw(&args, store, id);
	} else if (strcmp(verb, "show") == 0) {
		rc = pd_admin_print_read(&args, store, PD_ADMIN_QUARANTINE_SHOW, args.argv[0]);
	} else if (strcmp(verb, "release") == 0) {
		rc = quarantine_release(&args, cli, store, id);
	} else if (strcmp(verb, "delete") == 0) {
		rc = pd_store_quarantine_delete(store, id, &error) ? PD_EX_OK
								     : pd_admin_fail(&args, error);
		if (rc == PD_EX_OK)
			printf("deleted %" G_GINT64_FORMAT "\n", id);
	} else {
		guint count = 0;

		rc = pd_store_quarantine_purge(store, &count, &error) ? PD_EX_OK
									: pd_admin_fail(&args, error);
		if (rc == PD_EX_OK)
			printf("purged %u\n", count);
	}
	pd_admin_args_clear(&args);
	return rc;
}
