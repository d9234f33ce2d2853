/* postdesk ticket: tickets and their messages, for people.
 *
 *   postdesk ticket list [--queue Q] [--status S] [--category C] [--assignee AGENT]
 *                        [--requester ADDRESS] [--account NAME] [--since DATE]
 *                        [--until DATE] [--search WORDS] [--held] [--limit N] [--json]
 *   postdesk ticket show N
 *
 * Read-only (the changes, ticket set|note|reply|participant, are cmd-desk.c;
 * release is here).  --since/--until: the ticket's creation, YYYY-MM-DD
 * (local midnight) or ISO 8601; --search: PostgreSQL full-text search
 * (websearch syntax) over the subject and text of the ticket's messages.  Exit codes (sysexits): 0; 64 for bad arguments; 67
 * (EX_NOUSER, PD_ERROR_NOTFOUND: "the named thing does not exist", as for
 * an unknown recipient) for an unknown ticket number; 75 when the database
 * cannot be reached; 78 when its schema is not the one this postdesk knows.
 *
 * Everything printed comes from mail, so it is made harmless for a
 * terminal first: control characters (escape sequences included) become
 * U+FFFD or a space; only the line breaks of a body survive.
 */
#include "pd-cli.h"
#include "cmd-admin.h"
#include "cmd-desk.h"
#include "store/pd-store-identity.h"
#include "pipeline/pd-pipeline.h"
#include "core/pd-address.h"
#include "core/pd-json.h"

#include <stdio.h>
#include <string.h>

#define TICKET_USAGE "ticket list [--queue Q] [--status S] [--category C] [--assignee AGENT]" \
	" [--requester ADDRESS] [--account NAME] [--since DATE] [--until DATE] [--search WORDS]" \
	" [--held] [--limit N] [--json] | ticket show N [--json] | ticket release N [--actor WHO]" \
	" | ticket attachment SHA256 | " PD_DESK_USAGE
#define SUBJECT_WIDTH 50
#define DEFAULT_LIMIT 50

static const char *const statuses[] = { "new", "open", "pending", "solved", "closed" };

/* text safe for a terminal; keep_newlines for bodies */
static char *
printable(const char *text, gboolean keep_newlines)
{
	GString *out = g_string_new(NULL);

	for (const char *p = text != NULL ? text : ""; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '\n' && keep_newlines)
			g_string_append_c(out, '\n');
		else if (c == '\r' && keep_newlines)
			continue;
		else if (c == '\t' || c == '\n' || c == '\r')
			g_string_append_c(out, ' ');
		else if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			g_string_append_unichar(out, 0xfffd);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static char *
local_time(gint64 unix_time, const char *format)
{
	g_autoptr(GDateTime) dt = NULL;

	if (unix_time == 0)
		return g_strdup("-");
	dt = g_date_time_new_from_unix_local(unix_time);
	return dt != NULL ? g_date_time_format(dt, format) : g_strdup("?");
}

/* cell padded to width characters (not bytes), cut with "..." if longer */
static void
append_cell(GString *line, const char *text, guint width, gboolean last)
{
	glong len = g_utf8_strlen(text, -1);

	if ((guint)len > width) {
		g_autofree char *cut = g_utf8_substring(text, 0, width - 3);

		g_string_append_printf(line, "%s...", cut);
		len = width;
	} else {
		g_string_append(line, text);
	}
	if (!last)
		for (glong i = len; i < (glong)width + 2; i++)
			g_string_append_c(line, ' ');
}

static gboolean
parse_count(const char *text, guint64 max, guint64 *value_r)
{
	return g_ascii_string_to_unsigned(text, 10, 1, max, value_r, NULL);
}

static PdStore *
ticket_store(PdCli *cli, int *rc_r)
{
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_cli_store(cli, rc_r);

	if (store == NULL)
		return NULL;
	if (!pd_store_check_schema(store, &error)) {
		if (error->code == PD_ERROR_USAGE) {
			fprintf(stderr, "postdesk: %s\n", error->message);
			*rc_r = PD_EX_CONFIG;
		} else {
			*rc_r = pd_cli_fail(error);
		}
		pd_store_free(store);
		return NULL;
	}
	return store;
}

/* --since/--until: YYYY-MM-DD (local midnight) or ISO 8601 with a time;
 * the timestamptz text PostgreSQL reads, or NULL. */
static char *
list_time(const char *text)
{
	g_autoptr(GTimeZone) local = g_time_zone_new_local();
	g_autoptr(GDateTime) dt = NULL;
	g_autofree char *full = NULL;

	if (strlen(text) == 10)
		full = g_strdup_printf("%sT00:00:00", text);
	dt = g_date_time_new_from_iso8601(full != NULL ? full : text, local);
	return dt != NULL ? g_date_time_format_iso8601(dt) : NULL;
}

static void
list_json(GPtrArray *tickets)
{
	g_autoptr(GString) out = g_string_new(NULL);
	PdJson json;

	pd_json_init(&json, out);
	pd_json_begin_array(&json, NULL);
	for (guint i = 0; i < tickets->len; i++) {
		const PdTicketSummary *t = tickets->pdata[i];
		g_autofree char *created = local_time(t->created_at, "%FT%T%z");
		g_autofree char *updated = local_time(t->updated_at, "%FT%T%z");

		pd_json_begin_object(&json, NULL);
		pd_json_add_int(&json, "number", t->number);
		pd_json_add_string(&json, "status", t->status);
		pd_json_add_string(&json, "priority", t->priority);
		pd_json_add_string(&json, "queue", t->queue);
		pd_json_add_string(&json, "category", t->category);
		pd_json_add_string(&json, "assignee", t->assignee);
		pd_json_add_string(&json, "requester", t->requester);
		pd_json_add_string(&json, "account", t->account);
		pd_json_add_string(&json, "subject", t->subject);
		pd_json_add_int(&json, "messages", t->messages);
		pd_json_add_string(&json, "created", created);
		pd_json_add_string(&json, "updated", updated);
		pd_json_end_object(&json);
	}
	pd_json_end_array(&json);
	printf("%s\n", out->str);
}

static int
ticket_list(PdCli *cli, int argc, char **argv)
{
	PdTicketFilter filter = { .limit = DEFAULT_LIMIT };
	gboolean json = FALSE;
	guint64 limit = DEFAULT_LIMIT;
	g_autofree char *since = NULL, *until = NULL, *assignee = NULL;
	const char *assignee_text = NULL;
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) tickets = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	static const char *const header[] = { "NUMBER", "STATUS", "QUEUE", "REQUESTER",
					      "SUBJECT", "MSGS", "UPDATED" };
	guint widths[G_N_ELEMENTS(header)];
	int rc = PD_EX_OK;

	for (int i = 2; i < argc; i++) {
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--held") == 0) {
			filter.held_only = TRUE;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = TRUE;
			continue;
		}
		if (strcmp(argv[i], "--queue") == 0 && value != NULL) {
			filter.queue = value;
		} else if (strcmp(argv[i], "--status") == 0 && value != NULL) {
			filter.status = value;
			if (!g_strv_contains(statuses, value))
				return pd_cli_usage(TICKET_USAGE, "ticket list: unknown status "
						    "\"%s\" (new, open, pending, solved, closed)",
						    value);
		} else if (strcmp(argv[i], "--category") == 0 && value != NULL) {
			filter.category = value;
		} else if (strcmp(argv[i], "--assignee") == 0 && value != NULL) {
			assignee_text = value;
		} else if (strcmp(argv[i], "--requester") == 0 && value != NULL) {
			filter.requester = value;
		} else if (strcmp(argv[i], "--account") == 0 && value != NULL) {
			filter.account = value;
		} else if (strcmp(argv[i], "--search") == 0 && value != NULL) {
			if (*value == '\0')
				return pd_cli_usage(TICKET_USAGE, "ticket list: --search wants words");
			filter.search = value;
		} else if ((strcmp(argv[i], "--since") == 0 || strcmp(argv[i], "--until") == 0) &&
			   value != NULL) {
			char **slot = argv[i][2] == 's' ? &since : &until;
			char *when = list_time(value);

			if (when == NULL)
				return pd_cli_usage(TICKET_USAGE, "ticket list: %s wants YYYY-MM-DD or "
						    "an ISO 8601 time, not \"%s\"", argv[i], value);
			g_free(*slot);
			*slot = when;
		} else if (strcmp(argv[i], "--limit") == 0 && value != NULL) {
			if (!parse_count(value, 100000, &limit))
				return pd_cli_usage(TICKET_USAGE, "ticket list: --limit wants a "
						    "number from 1 to 100000, not \"%s\"", value);
		} else {
			return pd_cli_usage(TICKET_USAGE, "ticket list: unknown option or "
					    "missing value: %s", argv[i]);
		}
		i++;
	}
	store = ticket_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (assignee_text != NULL) {
		assignee = pd_address_canonicalize(assignee_text, cli->config->recipient_delimiter);
		if (assignee == NULL)
			return pd_cli_usage(TICKET_USAGE, "ticket list: --assignee wants an agent's "
					    "address, not \"%s\"", assignee_text);
	}
	filter.assignee = assignee;
	filter.since = since;
	filter.until = until;
	filter.limit = (guint)limit;
	if (!pd_store_ticket_list(store, &filter, &tickets, &error))
		return pd_cli_fail(error);
	if (json) {
		list_json(tickets);
		return PD_EX_OK;
	}
	if (tickets->len == 0) {
		printf("no tickets\n");
		return PD_EX_OK;
	}

	for (guint c = 0; c < G_N_ELEMENTS(header); c++)
		widths[c] = strlen(header[c]);
	for (guint i = 0; i < tickets->len; i++) {
		const PdTicketSummary *t = tickets->pdata[i];
		char **row = g_new0(char *, G_N_ELEMENTS(header) + 1);

		row[0] = g_strdup_printf("%" G_GINT64_FORMAT, t->number);
		row[1] = g_strdup(t->status);
		row[2] = printable(t->queue, FALSE);
		row[3] = printable(t->requester != NULL ? t->requester : "-", FALSE);
		row[4] = printable(*t->subject != '\0' ? t->subject : "(no subject)", FALSE);
		row[5] = g_strdup_printf("%" G_GINT64_FORMAT, t->messages);
		row[6] = local_time(t->updated_at, "%Y-%m-%d %H:%M");
		for (guint c = 0; c < G_N_ELEMENTS(header); c++)
			widths[c] = MAX(widths[c], (guint)g_utf8_strlen(row[c], -1));
		g_ptr_array_add(rows, row);
	}
	widths[4] = MIN(widths[4], SUBJECT_WIDTH);
	g_ptr_array_insert(rows, 0, g_strdupv((char **)header));
	for (guint i = 0; i < rows->len; i++) {
		char **row = rows->pdata[i];
		g_autoptr(GString) line = g_string_new(NULL);

		for (guint c = 0; c < G_N_ELEMENTS(header); c++)
			append_cell(line, row[c], widths[c], c + 1 == G_N_ELEMENTS(header));
		printf("%s\n", line->str);
	}
	return PD_EX_OK;
}

static char *
mailbox(const char *address, const char *name)
{
	g_autofree char *a = printable(address != NULL ? address : "-", FALSE);
	g_autofree char *n = printable(name, FALSE);

	if (*n == '\0')
		return g_steal_pointer(&a);
	return g_strdup_printf("%s <%s>", n, a);
}

static void
print_field(const char *label, const char *value)
{
	g_autofree char *clean = printable(value != NULL && *value != '\0' ? value : "-", FALSE);

	printf("  %-16s %s\n", label, clean);
}

static void
print_message(const PdMessageView *m, guint index, guint count)
{
	g_autofree char *from = mailbox(m->from_address, m->from_name);
	g_autofree char *date = local_time(m->date, "%Y-%m-%d %H:%M:%S %z");
	g_autofree char *received = local_time(m->received_at, "%Y-%m-%d %H:%M:%S %z");
	g_autofree char *mid = m->message_id != NULL ? g_strdup_printf("<%s>", m->message_id)
						     : NULL;
	g_autofree char *envelope = g_strdup_printf("%s -> %s",
						    m->envelope_mail_from != NULL &&
						    *m->envelope_mail_from != '\0' ?
						    m->envelope_mail_from : "<>",
						    m->envelope_recipient != NULL ?
						    m->envelope_recipient : "-");
	g_autofree char *raw = m->raw_sha256 != NULL ?
		g_strdup_printf("%" G_GINT64_FORMAT " bytes, sha256 %s", m->raw_size,
				m->raw_sha256) : NULL;
	g_autofree char *body = printable(m->text_body, TRUE);
	g_auto(GStrv) lines = NULL;

	printf("\nMessage %u of %u (%s, %s)\n", index, count, m->direction, m->kind);
	print_field("From:", from);
	print_field("To:", m->to);
	if (m->cc != NULL && *m->cc != '\0')
		print_field("Cc:", m->cc);
	print_field("Date:", date);
	print_field("Subject:", m->subject);
	print_field("Message-ID:", mid);
	print_field("Received:", received);
	print_field("Envelope:", envelope);
	print_field("Raw message:", raw);
	if (m->warnings != NULL && *m->warnings != '\0')
		print_field("Parse warnings:", m->warnings);
	if (m->auth_results != NULL) {
		g_autofree char *results = printable(m->auth_results, FALSE);

		print_field("Sender auth:", m->from_authenticated ? "From domain authenticated"
							       : "From domain NOT authenticated");
		print_field("Auth results:", results);
	}
	if (m->spam != NULL) {
		g_autofree char *rules = g_strdup_printf("score %s%s%s", m->spam,
							 m->disposition != NULL ? ", " : "",
							 m->disposition != NULL ? m->disposition : "");

		print_field("Rules:", rules);
	}
	for (guint i = 0; i < m->attachments->len; i++) {
		const PdAttachmentView *a = m->attachments->pdata[i];
		g_autofree char *name = printable(a->filename != NULL ? a->filename : "(no name)",
						  FALSE);
		g_autofree char *type = printable(a->content_type, FALSE);

		printf("  %-16s %s  %s%s  %" G_GINT64_FORMAT " bytes  sha256 %s\n",
		       i == 0 ? "Attachments:" : "", name, type, a->inline_part ? " (inline)" : "",
		       a->size, a->sha256);
	}
	printf("\n");
	lines = g_strsplit(body, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i + 1] == NULL && *lines[i] == '\0')
			break;	/* the body's final newline */
		printf("    %s\n", lines[i]);
	}
}

/* Who the requester is and what that allowed (issue 3). */
/* "needed", "not needed", or the holder's approval when one was asked
 * (sql/functions/authorization.sql): "needed; requested from ADDRESS
 * (PERMISSION)", "approved by ...", "refused by ..." */
static void
ticket_show_authorization(const PdTicketIdentity *id)
{
	g_autofree char *text = NULL;

	if (id->approval == NULL)
		text = g_strdup(id->needs_authorization ? "needed" : "not needed");
	else if (g_str_has_prefix(id->approval, "requested"))
		text = g_strdup_printf("needed; %s", id->approval);
	else
		text = g_strdup(id->approval);
	print_field("Authorization:", text);
}

static void
ticket_show_identity(PdStore *store, gint64 number, gboolean needs_authorization)
{
	g_autoptr(GError) error = NULL;
	PdTicketIdentity id;
	g_autofree char *requester = NULL;

	if (!pd_store_ticket_identity(store, number, &id, &error)) {
		print_field("Authorization:", needs_authorization ? "needed" : "not needed");
		print_field("Identity:", error->message);
		return;
	}
	ticket_show_authorization(&id);
	requester = g_strdup_printf("%s, %s, %s", id.kind,
				    id.authenticated ? "authenticated" : "not authenticated",
				    id.authorized ? "authorized" : "not authorized");
	print_field("Requester kind:", requester);
	print_field("Account:", id.account != NULL ? id.account : "-");
	print_field("Contact:", id.contact != NULL ? id.contact : "-");
	print_field("Why:", id.reason != NULL ? id.reason : "-");
	if (id.held != NULL)
		print_field("Held:", id.held);
	pd_ticket_identity_clear(&id);
}

static int
ticket_show(PdCli *cli, int argc, char **argv)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(PdTicketView) t = NULL;
	g_autofree char *requester = NULL, *subject = NULL, *assignee = NULL;
	const char *arg;
	guint64 number;
	int rc = PD_EX_OK;
	gboolean json = argc == 4 && strcmp(argv[3], "--json") == 0;

	if (argc == 4 && strcmp(argv[2], "--json") == 0) {
		json = TRUE;
		argv[2] = argv[3];
	}
	if (argc != 3 && !json)
		return pd_cli_usage(TICKET_USAGE, "ticket show: which ticket? (one number)");
	arg = argv[2];
	if (*arg == '#')
		arg++;
	if (!parse_count(arg, G_MAXINT64, &number))
		return pd_cli_usage(TICKET_USAGE, "ticket show: \"%s\" is not a ticket number",
				    argv[2]);
	store = ticket_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (!pd_store_ticket_get(store, (gint64)number, &t, &error))
		return pd_cli_fail(error);
	if (json) {
		pd_ticket_view_print_json(t);
		return PD_EX_OK;
	}

	subject = printable(*t->subject != '\0' ? t->subject : "(no subject)", FALSE);
	requester = mailbox(t->requester_address, t->requester_name);
	printf("Ticket %" G_GINT64_FORMAT ": %s\n", t->number, subject);
	print_field("Status:", t->status);
	print_field("Priority:", t->priority);
	print_field("Queue:", t->queue);
	print_field("Category:", t->category);
	if (t->tags != NULL)
		print_field("Tags:", t->tags);
	if (t->merged_into != 0) {
		g_autofree char *into = g_strdup_printf("%" G_GINT64_FORMAT " (its messages are"
							" there; mail to this ticket joins it)",
							t->merged_into);

		print_field("Merged into:", into);
	}
	print_field("Requester:", requester);
	assignee = mailbox(t->assignee_address, t->assignee_name);
	print_field("Assignee:", t->assignee_address != NULL ? assignee : "(none)");
	ticket_show_identity(store, t->number, t->needs_authorization);
	{
		g_autofree char *created = local_time(t->created_at, "%Y-%m-%d %H:%M:%S %z");
		g_autofree char *updated = local_time(t->updated_at, "%Y-%m-%d %H:%M:%S %z");
		g_autofree char *first = local_time(t->first_response_at, "%Y-%m-%d %H:%M:%S %z");
		g_autofree char *closed = local_time(t->closed_at, "%Y-%m-%d %H:%M:%S %z");

		print_field("Created:", created);
		print_field("Updated:", updated);
		print_field("First response:", first);
		print_field("Closed:", closed);
	}

	printf("\nParticipants\n");
	for (guint i = 0; i < t->participants->len; i++) {
		const PdParticipantView *p = t->participants->pdata[i];
		g_autofree char *who = mailbox(p->address, p->name);

		printf("  %-10s %s\n", p->role, who);
	}
	if (t->participants->len == 0)
		printf("  (none)\n");

	for (guint i = 0; i < t->messages->len; i++)
		print_message(t->messages->pdata[i], i + 1, t->messages->len);

	printf("\nOutbound mail\n");
	for (guint i = 0; i < t->outbound->len; i++) {
		const PdOutboundView *o = t->outbound->pdata[i];
		g_autofree char *at = local_time(o->created_at, "%Y-%m-%d %H:%M:%S");
		g_autofree char *to = printable(o->to, FALSE);
		g_autofree char *why = o->last_error != NULL ? printable(o->last_error, FALSE)
							     : NULL;

		printf("  %s  #%-6" G_GINT64_FORMAT " %-12s %-20s to %s: %s (%" G_GINT64_FORMAT
		       " attempt%s)%s%s\n", at, o->id, o->kind, o->template_name, to, o->status,
		       o->attempts, o->attempts == 1 ? "" : "s", why != NULL ? ", " : "",
		       why != NULL ? why : "");
	}
	if (t->outbound->len == 0)
		printf("  (none)\n");

	printf("\nEvents\n");
	for (guint i = 0; i < t->events->len; i++) {
		const PdEventView *e = t->events->pdata[i];
		g_autofree char *at = local_time(e->at, "%Y-%m-%d %H:%M:%S");
		g_autofree char *detail = printable(e->detail, FALSE);
		g_autofree char *actor = printable(e->actor, FALSE);

		printf("  %s  %-10s %-18s %s\n", at, actor, e->kind, detail);
	}
	return PD_EX_OK;
}

/* An operator lets a held ticket (moderated queue, or an unknown sender in
 * a `known` queue) go on like any other; the event names who did it, and
 * the agents get the notifications and forwards a new ticket gets. */
static int
ticket_release(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *held = NULL;
	g_autoptr(PdNotifySettings) notify = NULL;
	const char *arg;
	guint64 number;
	int rc;

	rc = pd_admin_args_parse(&args, "ticket", "ticket release N [--actor WHO]", NULL,
				 1, 1, argc - 1, argv + 1);
	if (rc != 0)
		return rc;
	arg = args.argv[0];
	if (*arg == '#')
		arg++;
	if (!parse_count(arg, G_MAXINT64, &number)) {
		rc = pd_admin_bad(&args, "\"%s\" is not a ticket number", args.argv[0]);
		goto out;
	}
	store = ticket_store(cli, &rc);
	if (store == NULL)
		goto out;
	/* its agents hear of it now (the config is loaded: we have a store) */
	notify = pd_pipeline_notify_settings(cli->config);
	if (!pd_store_ticket_release(store, (gint64)number, args.actor, notify, &held, &error)) {
		rc = pd_admin_fail(&args, error);
		goto out;
	}
	if (held == NULL)
		printf("ticket %" G_GUINT64_FORMAT " was not held\n", number);
	else
		printf("ticket %" G_GUINT64_FORMAT " released (was held: %s)\n", number, held);
	rc = PD_EX_OK;
out:
	pd_admin_args_clear(&args);
	return rc;
}

/* An attachment's decoded bytes on stdout, by the SHA-256 `ticket show`
 * prints: decoded from the raw message that carries it when it is stored
 * as a span of it (message_attachments), checked against the hash either way. */
static int
ticket_attachment(PdCli *cli, int argc, char **argv)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) content = NULL;
	g_autofree char *sha256 = NULL;
	const char *data;
	gsize len = 0;
	int rc = PD_EX_OK;

	if (argc != 3)
		return pd_cli_usage(TICKET_USAGE, "ticket attachment: which one? (its SHA-256)");
	sha256 = g_ascii_strdown(argv[2], -1);
	if (strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64)
		return pd_cli_usage(TICKET_USAGE, "ticket attachment: \"%s\" is not a SHA-256"
				    " (64 hex digits)", argv[2]);
	store = ticket_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (!pd_store_attachment_get(store, sha256, &content, &error))
		return pd_cli_fail(error);
	data = g_bytes_get_data(content, &len);
	if ((len > 0 && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0) {
		fprintf(stderr, "postdesk: ticket attachment: writing to stdout failed\n");
		return PD_EX_IOERR;
	}
	return PD_EX_OK;
}

int
pd_cmd_ticket(PdCli *cli, int argc, char **argv)
{
	if (argc < 2)
		return pd_cli_usage(TICKET_USAGE, "ticket: which action?");
	if (strcmp(argv[1], "list") == 0)
		return ticket_list(cli, argc, argv);
	if (strcmp(argv[1], "show") == 0)
		return ticket_show(cli, argc, argv);
	if (strcmp(argv[1], "release") == 0)
		return ticket_release(cli, argc, argv);
	if (strcmp(argv[1], "attachment") == 0)
		return ticket_attachment(cli, argc, argv);
	if (pd_desk_verb(argv[1]))
		return pd_cmd_ticket_desk(cli, argc, argv);
	return pd_cli_usage(TICKET_USAGE, "ticket: unknown action \"%s\"", argv[1]);
}
