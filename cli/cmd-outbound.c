/* postdesk outbound list|show|retry|cancel: the mail postdesk sends.
 *
 *   outbound list [--status S] [--limit N] [--json]
 *   outbound show ID [--raw] [--json]
 *   outbound retry ID      failed/cancelled/queued -> queued now
 *   outbound cancel ID     queued/failed -> cancelled
 *
 * Rows, their states and what the relay said (pd-store-outbound.h).  A
 * mail being sent or already sent cannot be retried or cancelled (64); an
 * unknown id is 67.  retry and cancel are one statement each, with an
 * event naming the actor (--actor or the Unix user).
 */
#include "cmd-admin.h"
#include "store/pd-store-outbound.h"

#include <stdio.h>
#include <string.h>

#define OUTBOUND_USAGE "outbound list [--status S] [--limit N] | outbound show ID [--raw] | " \
		       "outbound retry ID | outbound cancel ID   [--json]"

static char *opt_status;
static int opt_limit = 50;
static gboolean opt_raw;

static const GOptionEntry list_entries[] = {
	{ "status", 0, 0, G_OPTION_ARG_STRING, &opt_status,
	  "Only rows in this state (queued, sending, sent, failed, cancelled)", "S" },
	{ "limit", 0, 0, G_OPTION_ARG_INT, &opt_limit, "At most N rows (default 50)", "N" },
	G_OPTION_ENTRY_NULL
};

static const GOptionEntry show_entries[] = {
	{ "raw", 0, 0, G_OPTION_ARG_NONE, &opt_raw, "Print the rendered message only", NULL },
	G_OPTION_ENTRY_NULL
};

static char *
when(gint64 t)
{
	g_autoptr(GDateTime) dt = NULL;

	if (t == 0)
		return g_strdup("-");
	dt = g_date_time_new_from_unix_utc(t);
	return g_date_time_format(dt, "%Y-%m-%d %H:%M:%S");
}

static char *
recipients_text(const PdOutboundRow *row)
{
	g_autoptr(GString) out = g_string_new("");

	for (guint i = 0; i < row->recipients->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? "," : "",
				       (char *)row->recipients->pdata[i]);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
row_json(GString *out, const PdOutboundRow *row)
{
	g_autofree char *next = when(row->next_attempt_at), *sent = when(row->sent_at);
	g_autofree char *created = when(row->created_at);
	const struct { const char *key; const char *value; } texts[] = {
		{ "kind", row->kind }, { "template", row->template_name },
		{ "status", row->status }, { "envelope_from", row->envelope_from },
		{ "message_id", row->message_id }, { "last_error", row->last_error },
		{ "claimed_by", row->claimed_by },
		{ "next_attempt_at", row->next_attempt_at != 0 ? next : NULL },
		{ "sent_at", row->sent_at != 0 ? sent : NULL }, { "created_at", created },
	};

	g_string_append_printf(out, "{\"id\": %" G_GINT64_FORMAT ", \"ticket\": ", row->id);
	if (row->ticket_number != 0)
		g_string_append_printf(out, "%" G_GINT64_FORMAT, row->ticket_number);
	else
		g_string_append(out, "null");
	g_string_append_printf(out, ", \"attempts\": %d, \"recipients\": [", row->attempts);
	for (guint i = 0; i < row->recipients->len; i++) {
		if (i > 0)
			g_string_append(out, ", ");
		pd_json_string(out, row->recipients->pdata[i]);
	}
	g_string_append_c(out, ']');
	for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
		g_string_append_printf(out, ", \"%s\": ", texts[i].key);
		if (texts[i].value == NULL)
			g_string_append(out, "null");
		else
			pd_json_string(out, texts[i].value);
	}
	g_string_append_printf(out, ", \"size\": %" G_GSIZE_FORMAT "}",
			       row->message != NULL ? g_bytes_get_size(row->message) : 0);
}

static int
outbound_list(PdAdminArgs *args, PdStore *store)
{
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GError) error = NULL;
	static const char *const states[] = { "queued", "sending", "sent", "failed",
					      "cancelled", NULL };

	if (opt_status != NULL && !g_strv_contains(states, opt_status))
		return pd_admin_bad(args, "--status %s: queued, sending, sent, failed or cancelled",
				    opt_status);
	if (opt_limit < 1)
		return pd_admin_bad(args, "--limit %d: at least 1", opt_limit);
	if (!pd_store_outbound_list(store, opt_status, (guint)opt_limit, &rows, &error))
		return pd_admin_fail(args, error);
	if (args->json) {
		g_autoptr(GString) out = g_string_new("[");

		for (guint i = 0; i < rows->len; i++) {
			g_string_append(out, i > 0 ? ",\n " : "");
			row_json(out, rows->pdata[i]);
		}
		printf("%s]\n", out->str);
		return PD_EX_OK;
	}
	printf("%-8s %-9s %-12s %-8s %-3s %-19s %s\n", "ID", "STATUS", "KIND", "TICKET", "TRY",
	       "NEXT/SENT", "TO / LAST ERROR");
	for (guint i = 0; i < rows->len; i++) {
		const PdOutboundRow *row = rows->pdata[i];
		g_autofree char *to = recipients_text(row);
		g_autofree char *at = when(row->sent_at != 0 ? row->sent_at : row->next_attempt_at);

		printf("%-8" G_GINT64_FORMAT " %-9s %-12s %-8" G_GINT64_FORMAT " %-3d %-19s %s\n",
		       row->id, row->status, row->kind, row->ticket_number, row->attempts, at, to);
		if (row->last_error != NULL && strcmp(row->status, "sent") != 0)
			printf("%62s%s\n", "", row->last_error);
	}
	return PD_EX_OK;
}

static int
outbound_show(PdAdminArgs *args, PdStore *store, gint64 id)
{
	g_autoptr(PdOutboundRow) row = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *to = NULL, *created = NULL, *next = NULL, *sent = NULL;
	gsize len = 0;
	const char *bytes;

	if (!pd_store_outbound_get(store, id, &row, &error))
		return pd_admin_fail(args, error);
	bytes = row->message != NULL ? g_bytes_get_data(row->message, &len) : NULL;
	if (opt_raw) {
		if (bytes == NULL)
			return pd_admin_bad(args, "outbound %" G_GINT64_FORMAT " is not rendered yet",
					    id);
		fwrite(bytes, 1, len, stdout);
		return PD_EX_OK;
	}
	if (args->json) {
		g_autoptr(GString) out = g_string_new("");

		row_json(out, row);
		printf("%s\n", out->str);
		return PD_EX_OK;
	}
	to = recipients_text(row);
	created = when(row->created_at);
	next = when(row->next_attempt_at);
	sent = when(row->sent_at);
	printf("Outbound:     %" G_GINT64_FORMAT "\nKind:         %s (template %s)\n"
	       "Ticket:       %" G_GINT64_FORMAT "\nTo:           %s\n"
	       "MAIL FROM:    <%s>\nStatus:       %s\nAttempts:     %d\nCreated:      %s\n"
	       "Next attempt: %s\nSent:         %s\nMessage-ID:   %s\nLast reply:   %s\n",
	       row->id, row->kind, row->template_name, row->ticket_number, to,
	       row->envelope_from, row->status, row->attempts, created,
	       strcmp(row->status, "queued") == 0 ? next : "-", sent,
	       row->message_id != NULL ? row->message_id : "-",
	       row->last_error != NULL ? row->last_error : "-");
	if (bytes != NULL)
		printf("\n%.*s", (int)MIN(len, (gsize)G_MAXINT), bytes);
	return PD_EX_OK;
}

int
pd_cmd_outbound(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	const char *verb = argc > 1 ? argv[1] : NULL;
	gboolean list = g_strcmp0(verb, "list") == 0;
	gint64 id = 0;
	int rc;

	if (verb == NULL || (!list && strcmp(verb, "show") != 0 && strcmp(verb, "retry") != 0 &&
			     strcmp(verb, "cancel") != 0))
		return pd_cli_usage(OUTBOUND_USAGE, "list, show, retry or cancel?");
	rc = pd_admin_args_parse(&args, "outbound", OUTBOUND_USAGE,
				 list ? list_entries : strcmp(verb, "show") == 0 ? show_entries
				 : NULL, list ? 0 : 1, list ? 0 : 1, argc - 1, argv + 1);
	if (rc != 0)
		return rc;
	if (!list && (!g_ascii_string_to_signed(args.argv[0], 10, 1, G_MAXINT64, &id, NULL))) {
		rc = pd_admin_bad(&args, "%s: not an outbound id", args.argv[0]);
		goto out;
	}
	if ((store = pd_cli_store(cli, &rc)) == NULL)
		goto out;
	if (list)
		rc = outbound_list(&args, store);
	else if (strcmp(verb, "show") == 0)
		rc = outbound_show(&args, store, id);
	else if (!(strcmp(verb, "retry") == 0 ? pd_store_outbound_retry(store, id, args.actor, &error)
		   : pd_store_outbound_cancel(store, id, args.actor, &error)))
		rc = pd_admin_fail(&args, error);
	else
		printf("outbound %" G_GINT64_FORMAT ": %s\n", id,
		       strcmp(verb, "retry") == 0 ? "queued" : "cancelled");
out:
	pd_admin_args_clear(&args);
	g_clear_pointer(&opt_status, g_free);
	return rc;
}
