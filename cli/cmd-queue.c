/* postdesk queue list|show NAME: the configured queues, their policy and
 * their ticket counts.
 *
 * Queues and their policy live in the configuration file ([queue NAME]:
 * addresses, permission, unknown_senders, forward_to, default_group); the
 * counts come from the database.  Read-only.
 */
#include "cmd-admin.h"

#include <stdio.h>
#include <string.h>

#define QUEUE_USAGE "queue list | queue show NAME [--json]"

static const char *
unknown_senders_name(PdUnknownSenders policy)
{
	switch (policy) {
	case PD_UNKNOWN_SENDERS_KNOWN: return "known";
	case PD_UNKNOWN_SENDERS_MODERATE: return "moderate";
	case PD_UNKNOWN_SENDERS_OPEN: break;
	}
	return "open";
}

/* The counts row of queue name, NULL when it has no ticket yet. */
static char **
queue_counts(const PdAdminTable *counts, const char *name)
{
	for (guint r = 0; r < counts->rows->len; r++) {
		char **values = counts->rows->pdata[r];

		if (g_strcmp0(values[0], name) == 0)
			return values;
	}
	return NULL;
}

static void
json_member(GString *out, const char *key, const char *value)
{
	g_string_append_printf(out, ", \"%s\": ", key);
	if (value == NULL)
		g_string_append(out, "null");
	else
		pd_json_string(out, value);
}

static void
queue_json(GString *out, const PdQueueConfig *queue, char **counts)
{
	g_string_append(out, "{\"name\": ");
	pd_json_string(out, queue->name);
	g_string_append(out, ", \"addresses\": [");
	for (guint i = 0; i < queue->addresses->len; i++) {
		if (i > 0)
			g_string_append(out, ", ");
		pd_json_string(out, queue->addresses->pdata[i]);
	}
	g_string_append_c(out, ']');
	json_member(out, "permission", queue->permission);
	json_member(out, "unknown_senders", unknown_senders_name(queue->unknown_senders));
	json_member(out, "forward_to", queue->forward_to);
	json_member(out, "default_group", queue->default_group);
	/* counts columns: queue, tickets, open, needs_authorization, held */
	g_string_append_printf(out, ", \"tickets\": %s, \"open\": %s, "
			       "\"needs_authorization\": %s, \"held\": %s}",
			       counts != NULL ? counts[1] : "0", counts != NULL ? counts[2] : "0",
			       counts != NULL ? counts[3] : "0", counts != NULL ? counts[4] : "0");
}

static void
queue_row(GPtrArray *rows, const PdQueueConfig *queue, char **counts)
{
	char **values = g_new0(char *, 10);
	g_autoptr(GPtrArray) addresses = g_ptr_array_new();

	for (guint i = 0; i < queue->addresses->len; i++)
		g_ptr_array_add(addresses, queue->addresses->pdata[i]);
	g_ptr_array_add(addresses, NULL);
	values[0] = g_strdup(queue->name);
	values[1] = g_strjoinv(",", (char **)addresses->pdata);
	values[2] = g_strdup(queue->permission != NULL ? queue->permission : "-");
	values[3] = g_strdup(unknown_senders_name(queue->unknown_senders));
	values[4] = g_strdup(queue->forward_to != NULL ? queue->forward_to : "-");
	values[5] = g_strdup(queue->default_group != NULL ? queue->default_group : "-");
	values[6] = g_strdup(counts != NULL ? counts[2] : "0");
	values[7] = g_strdup(counts != NULL ? counts[3] : "0");
	values[8] = g_strdup(counts != NULL ? counts[4] : "0");
	g_ptr_array_add(rows, values);
}

int
pd_cmd_queue(PdCli *cli, int argc, char **argv)
{
	static const char *const columns[] = { "name", "addresses", "permission",
		"unknown_senders", "forward_to", "default_group", "open",
		"needs_authorization", "held", NULL };
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GPtrArray) counts = NULL;
	g_autoptr(GString) json = g_string_new("");
	PdAdminTable table = { 0 };
	g_autoptr(GPtrArray) tables = g_ptr_array_new();
	PdAdminArgs args;
	PdConfig *config;
	const char *verb = argc > 1 ? argv[1] : "";
	gboolean show = strcmp(verb, "show") == 0;
	guint found = 0;
	int rc;

	if (!show && strcmp(verb, "list") != 0)
		return pd_cli_usage(QUEUE_USAGE, "queue: unknown action \"%s\"", verb);
	rc = pd_admin_args_parse(&args, "queue", QUEUE_USAGE, NULL, show ? 1 : 0, show ? 1 : 0,
				 argc - 1, argv + 1);
	if (rc != 0 || (config = pd_cli_config(cli, &rc)) == NULL ||
	    (store = pd_cli_store(cli, &rc)) == NULL) {
		pd_admin_args_clear(&args);
		return rc;
	}
	if (!pd_store_admin_read(store, PD_ADMIN_QUEUE_COUNTS, NULL, &counts, NULL, &error)) {
		rc = pd_admin_fail(&args, error);
		pd_admin_args_clear(&args);
		return rc;
	}
	table.n_columns = G_N_ELEMENTS(columns) - 1;
	table.columns = (char **)columns;
	table.rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	if (!show)
		g_string_append_c(json, '[');
	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *queue = config->queues->pdata[i];
		char **row = queue_counts(counts->pdata[0], queue->name);

		if (show && strcmp(queue->name, args.argv[0]) != 0)
			continue;
		if (found++ > 0)
			g_string_append(json, ", ");
		queue_json(json, queue, row);
		queue_row(table.rows, queue, row);
	}
	if (!show)
		g_string_append_c(json, ']');
	if (show && found == 0) {
		fprintf(stderr, "postdesk queue show: unknown queue \"%s\"\n", args.argv[0]);
		rc = PD_EX_NOUSER;
	} else if (args.json) {
		printf("%s\n", json->str);
	} else {
		g_ptr_array_add(tables, &table);
		pd_admin_print_tables(tables);
	}
	g_ptr_array_unref(table.rows);
	pd_admin_args_clear(&args);
	return rc;
}
