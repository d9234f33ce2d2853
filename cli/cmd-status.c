/* postdesk status: is postdesk working, in one look (and for monitoring).
 *
 *   postdesk status [--json] [--max-age SECONDS]
 *
 * Checks, in order: every [lmtp] listen entry answers 220 (the daemon is
 * reachable); the database answers; its schema is the one this postdesk
 * knows (migrations and functions current); then reads the open and held
 * tickets per queue, the outbound queue (queued, sending, failed, the age
 * of the oldest queued mail), the quarantined mail waiting and the
 * sender's latest errors.
 *
 * Exit status, the Nagios/Icinga convention: 0 ok, 1 warning (outbound
 * mail failed, the oldest queued mail is older than --max-age (default
 * 3600 s), a listener answers 421), 2 critical (a listener unreachable, the
 * database unreachable, the schema not current, the configuration
 * unreadable); 64 for bad usage.  Reading only; one connection per
 * listener, closed with QUIT.
 */
#include "pd-cli.h"
#include "cmd-admin.h"
#include "core/pd-json.h"
#include "core/pd-listen.h"
#include "settings/pd-settings.h"
#include "store/pd-store-status.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <stdio.h>
#include <string.h>

#define STATUS_USAGE "status [--json] [--max-age SECONDS]"
#define STATUS_TIMEOUT 5	/* seconds for each connection */
#define STATUS_ERRORS 5		/* latest errors shown */

typedef enum {
	STATUS_OK = 0,
	STATUS_WARNING = 1,
	STATUS_CRITICAL = 2,
} StatusLevel;

static const char *const level_names[] = { "ok", "warning", "critical" };

typedef struct {
	char *listen;
	StatusLevel level;
	char *reply;		/* the greeting, or why there is none */
} ListenerProbe;

/* PD_ADMIN_QUEUE_COUNTS's columns */
static const char *const depth_columns[] = { "tickets", "open", "held", "needs_authorization" };

typedef struct {
	const char *name;	/* the configuration's or the counts table's */
	gint64 counts[G_N_ELEMENTS(depth_columns)];
} QueueDepth;

typedef struct {
	StatusLevel level;
	GPtrArray *problems;	/* char *: one line each, the worst first is not promised */
	GPtrArray *listeners;	/* ListenerProbe * */
	gboolean database_ok;
	char *database_error;
	gboolean schema_read;
	int version, known;
	char *schema_problem;	/* NULL: current */
	PdAdminTable *counts_table;	/* queue, tickets, open, needs_authorization, held */
	GArray *queues;		/* QueueDepth: the configured queues, then others with tickets */
	gboolean counts_read;
	PdStatusCounts counts;
	GPtrArray *errors;	/* PdStatusError * */
} Status;

static void
listener_probe_free(gpointer data)
{
	ListenerProbe *probe = data;

	g_free(probe->listen);
	g_free(probe->reply);
	g_free(probe);
}

static void G_GNUC_PRINTF(3, 4)
status_problem(Status *status, StatusLevel level, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	g_ptr_array_add(status->problems, g_strdup_vprintf(fmt, args));
	va_end(args);
	status->level = MAX(status->level, level);
}

/* Connect to one listen entry, read its greeting, say QUIT. */
static void
status_probe(Status *status, const char *listen)
{
	ListenerProbe *probe = g_new0(ListenerProbe, 1);
	PdListenAddress address;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GSocketConnectable) target = NULL;
	g_autoptr(GDataInputStream) in = NULL;
	g_autofree char *line = NULL;

	probe->listen = g_strdup(listen);
	g_ptr_array_add(status->listeners, probe);
	if (!pd_listen_parse(listen, &address, &error)) {
		probe->level = STATUS_CRITICAL;
		probe->reply = g_strdup(error->message);
		status_problem(status, probe->level, "listen %s: %s", listen, probe->reply);
		return;
	}
	if (address.kind == PD_LISTEN_UNIX)
		target = G_SOCKET_CONNECTABLE(g_unix_socket_address_new(address.path));
	else
		target = g_network_address_new(address.host != NULL ? address.host : "127.0.0.1",
					       (guint16)g_ascii_strtoull(address.port, NULL, 10));
	pd_listen_address_clear(&address);
	g_socket_client_set_timeout(client, STATUS_TIMEOUT);
	connection = g_socket_client_connect(client, target, NULL, &error);
	if (connection != NULL) {
		in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
		g_data_input_stream_set_newline_type(in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
		line = g_data_input_stream_read_line(in, NULL, NULL, &error);
	}
	if (line == NULL) {
		probe->level = STATUS_CRITICAL;
		probe->reply = g_strdup(error != NULL ? error->message : "closed without a greeting");
		status_problem(status, probe->level, "daemon unreachable on %s: %s", listen,
			       probe->reply);
		return;
	}
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)),
				  "QUIT\r\n", 6, NULL, NULL, NULL);
	probe->reply = g_utf8_make_valid(line, -1);
	if (g_str_has_prefix(line, "220 "))
		return;
	probe->level = g_str_has_prefix(line, "421 ") ? STATUS_WARNING : STATUS_CRITICAL;
	status_problem(status, probe->level, "daemon on %s answers: %s", listen, probe->reply);
}

/* One queue's depth from its row of the counts table (row NULL: no ticket yet). */
static void
status_add_depth(GArray *queues, const char *name, const PdAdminTable *counts, char **row)
{
	QueueDepth depth = { .name = name };

	for (guint i = 0; row != NULL && i < G_N_ELEMENTS(depth_columns); i++)
		for (guint c = 0; c < counts->n_columns; c++)
			if (strcmp(counts->columns[c], depth_columns[i]) == 0 && row[c] != NULL)
				depth.counts[i] = g_ascii_strtoll(row[c], NULL, 10);
	g_array_append_val(queues, depth);
}

static void
status_database(Status *status, const PdConfig *config, gint64 max_age)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdStore) store = pd_store_connect_timeout(config->conninfo, STATUS_TIMEOUT,
							    &error);
	g_auto(PdFunctionsStatus) functions = { NULL, NULL, NULL };
	g_autoptr(GPtrArray) tables = NULL;

	if (store == NULL) {
		status->database_error = g_strdup(error->message);
		status_problem(status, STATUS_CRITICAL, "database unreachable: %s",
			       error->message);
		return;
	}
	status->database_ok = TRUE;
	status->known = pd_store_schema_known();
	if (!pd_store_schema_version(store, &status->version, &error) ||
	    !pd_store_functions_status(store, &functions, &error))
		goto failed;
	status->schema_read = TRUE;
	if (status->version < status->known)
		status->schema_problem = g_strdup_printf(
			"%d migration%s pending: run `postdesk db migrate`",
			status->known - status->version,
			status->known - status->version == 1 ? "" : "s");
	else if (status->version > status->known)
		status->schema_problem = g_strdup("the database is newer than this postdesk");
	else
		status->schema_problem = pd_store_functions_problem(&functions);
	if (status->schema_problem != NULL) {
		status_problem(status, STATUS_CRITICAL, "schema: %s", status->schema_problem);
		return;		/* the tables may not be what the queries below read */
	}
	if (!pd_store_admin_read(store, PD_ADMIN_QUEUE_COUNTS, NULL, &tables, NULL, &error) ||
	    !pd_store_status_counts(store, &status->counts, &error) ||
	    !pd_store_status_errors(store, STATUS_ERRORS, &status->errors, &error))
		goto failed;
	status->counts_table = g_ptr_array_steal_index(tables, 0);
	status->queues = g_array_new(FALSE, FALSE, sizeof(QueueDepth));
	for (guint q = 0; q < config->queues->len; q++) {
		const char *name = ((const PdQueueConfig *)config->queues->pdata[q])->name;
		char **found = NULL;

		for (guint r = 0; r < status->counts_table->rows->len && found == NULL; r++) {
			char **row = status->counts_table->rows->pdata[r];

			if (g_strcmp0(row[0], name) == 0)
				found = row;
		}
		status_add_depth(status->queues, name, status->counts_table, found);
	}
	for (guint r = 0; r < status->counts_table->rows->len; r++) {
		char **row = status->counts_table->rows->pdata[r];

		gboolean configured = FALSE;

		for (guint q = 0; q < config->queues->len && !configured; q++)
			configured = g_strcmp0(((const PdQueueConfig *)
						config->queues->pdata[q])->name, row[0]) == 0;
		if (row[0] != NULL && !configured)
			status_add_depth(status->queues, row[0], status->counts_table, row);
	}
	status->counts_read = TRUE;
	if (status->counts.failed > 0)
		status_problem(status, STATUS_WARNING,
			       "%" G_GINT64_FORMAT " outbound mail%s failed (postdesk outbound "
			       "list --status failed)", status->counts.failed,
			       status->counts.failed == 1 ? "" : "s");
	if (status->counts.oldest_queued_age > max_age)
		status_problem(status, STATUS_WARNING,
			       "the oldest queued outbound mail waits for %" G_GINT64_FORMAT
			       " s (more than %" G_GINT64_FORMAT ")",
			       status->counts.oldest_queued_age, max_age);
	return;
failed:
	status_problem(status, STATUS_CRITICAL, "database: %s", error->message);
}

static char *
status_when(gint64 t)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);

	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

static void
status_print_text(const Status *status)
{
	printf("postdesk status: %s\n", level_names[status->level]);
	for (guint i = 0; i < status->problems->len; i++)
		printf("  ! %s\n", (char *)status->problems->pdata[i]);
	for (guint i = 0; i < status->listeners->len; i++) {
		const ListenerProbe *probe = status->listeners->pdata[i];

		printf("daemon      %-8s %s: %s\n", level_names[probe->level], probe->listen,
		       probe->reply);
	}
	printf("database    %s\n", status->database_ok ? "reachable" : status->database_error);
	if (status->schema_read)
		printf("schema      version %d of %d, %s\n", status->version, status->known,
		       status->schema_problem != NULL ? status->schema_problem : "current");
	if (!status->counts_read)
		return;
	for (guint q = 0; q < status->queues->len; q++) {
		const QueueDepth *depth = &g_array_index(status->queues, QueueDepth, q);

		printf("queue       %s: %" G_GINT64_FORMAT " open (%" G_GINT64_FORMAT " held, %"
		       G_GINT64_FORMAT " needing authorization), %" G_GINT64_FORMAT " in all\n",
		       depth->name, depth->counts[1], depth->counts[2], depth->counts[3],
		       depth->counts[0]);
	}
	printf("outbound    %" G_GINT64_FORMAT " queued", status->counts.queued);
	if (status->counts.oldest_queued_age >= 0)
		printf(" (oldest %" G_GINT64_FORMAT " s)", status->counts.oldest_queued_age);
	printf(", %" G_GINT64_FORMAT " sending, %" G_GINT64_FORMAT " failed\n",
	       status->counts.sending, status->counts.failed);
	printf("held        %" G_GINT64_FORMAT " open tickets held for an operator\n",
	       status->counts.held);
	printf("quarantine  %" G_GINT64_FORMAT " mails waiting (postdesk quarantine list)\n",
	       status->counts.quarantined);
	for (guint i = 0; i < status->errors->len; i++) {
		const PdStatusError *e = status->errors->pdata[i];
		g_autofree char *at = status_when(e->at);

		printf("last error  %s outbound %" G_GINT64_FORMAT " (%s): %s\n", at, e->id,
		       e->status, e->error);
	}
}

static void
status_json_members(PdJson *json, gconstpointer data)
{
	const Status *status = data;

	pd_json_add_string(json, "status", level_names[status->level]);
	pd_json_add_strings(json, "problems", status->problems);
	pd_json_begin_array(json, "daemon");
	for (guint i = 0; i < status->listeners->len; i++) {
		const ListenerProbe *probe = status->listeners->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "listen", probe->listen);
		pd_json_add_string(json, "status", level_names[probe->level]);
		pd_json_add_string(json, "reply", probe->reply);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_begin_object(json, "database");
	pd_json_add_bool(json, "reachable", status->database_ok);
	pd_json_add_string(json, "error", status->database_error);
	pd_json_end_object(json);
	if (status->schema_read) {
		pd_json_begin_object(json, "schema");
		pd_json_add_int(json, "version", status->version);
		pd_json_add_int(json, "known", status->known);
		pd_json_add_bool(json, "current", status->schema_problem == NULL);
		pd_json_add_string(json, "problem", status->schema_problem);
		pd_json_end_object(json);
	} else {
		pd_json_add_null(json, "schema");
	}
	if (!status->counts_read) {
		pd_json_add_null(json, "queues");
		pd_json_add_null(json, "outbound");
		pd_json_add_null(json, "held");
		pd_json_add_null(json, "quarantined");
		pd_json_add_null(json, "last_errors");
		return;
	}
	pd_json_begin_array(json, "queues");
	for (guint q = 0; q < status->queues->len; q++) {
		const QueueDepth *depth = &g_array_index(status->queues, QueueDepth, q);

		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "name", depth->name);
		for (guint c = 0; c < G_N_ELEMENTS(depth_columns); c++)
			pd_json_add_int(json, depth_columns[c], depth->counts[c]);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_begin_object(json, "outbound");
	pd_json_add_int(json, "queued", status->counts.queued);
	pd_json_add_int(json, "sending", status->counts.sending);
	pd_json_add_int(json, "failed", status->counts.failed);
	if (status->counts.oldest_queued_age >= 0)
		pd_json_add_int(json, "oldest_queued_seconds", status->counts.oldest_queued_age);
	else
		pd_json_add_null(json, "oldest_queued_seconds");
	pd_json_end_object(json);
	pd_json_add_int(json, "held", status->counts.held);
	pd_json_add_int(json, "quarantined", status->counts.quarantined);
	pd_json_begin_array(json, "last_errors");
	for (guint i = 0; i < status->errors->len; i++) {
		const PdStatusError *e = status->errors->pdata[i];
		g_autofree char *at = status_when(e->at);

		pd_json_begin_object(json, NULL);
		pd_json_add_int(json, "outbound", e->id);
		pd_json_add_string(json, "status", e->status);
		pd_json_add_string(json, "at", at);
		pd_json_add_string(json, "error", e->error);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
}

static void
status_clear(Status *status)
{
	g_ptr_array_unref(status->problems);
	g_ptr_array_unref(status->listeners);
	g_free(status->database_error);
	g_free(status->schema_problem);
	if (status->queues != NULL)
		g_array_unref(status->queues);
	pd_admin_table_free(status->counts_table);
	g_clear_pointer(&status->errors, g_ptr_array_unref);
}

int
pd_cmd_status(PdCli *cli, int argc, char **argv)
{
	gboolean json = FALSE;
	gint64 max_age = 3600;
	const GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object", NULL },
		{ "max-age", 0, 0, G_OPTION_ARG_INT64, &max_age,
		  "Warn when the oldest queued outbound mail is older (default 3600)", "SECONDS" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = NULL;
	Status status = { 0 };
	int level;

	g_option_context_set_help_enabled(context, FALSE);
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return pd_cli_usage(STATUS_USAGE, "status: %s", error->message);
	if (argc > 1)
		return pd_cli_usage(STATUS_USAGE, "status: unexpected argument %s", argv[1]);
	if (max_age < 0)
		return pd_cli_usage(STATUS_USAGE, "status: --max-age must not be negative");
	status.problems = g_ptr_array_new_with_free_func(g_free);
	status.listeners = g_ptr_array_new_with_free_func(listener_probe_free);
	config = pd_config_load(cli->config_path, pd_settings_tables, &error);
	if (config == NULL) {
		status_problem(&status, STATUS_CRITICAL, "configuration: %s", error->message);
	} else {
		for (guint i = 0; i < config->lmtp_listen->len; i++)
			status_probe(&status, config->lmtp_listen->pdata[i]);
		status_database(&status, config, max_age);
	}
	if (json) {
		g_autofree char *text = pd_json_object(status_json_members, &status);

		printf("%s\n", text);
	} else {
		status_print_text(&status);
	}
	level = (int)status.level;
	status_clear(&status);
	return level;
}
