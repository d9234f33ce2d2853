/* postdesk ticket set|note|reply|participant: working a ticket from the
 * command line (issue 14 section 1).
 *
 *   postdesk ticket set N [--status S] [--priority P] [--category C]
 *                         [--queue Q] [--assign AGENT] [--tag T] [--untag T]
 *                         (or FIELD VALUE pairs)
 *   postdesk ticket note N [--file F] [--agent AGENT]
 *   postdesk ticket reply N [--file F] [--template NAME] [--agent AGENT]
 *   postdesk ticket participant add|remove N ADDRESS
 *   postdesk ticket merge FROM INTO
 *
 * Each takes --actor WHO (the audit trail; default: the Unix user) and
 * --json.  A text (note, reply) comes from --file or stdin; a reply with
 * --template and no --file is the canned reply alone.  Every change is one
 * transaction with its event (sql/functions/desk.sql); a reply is stored as
 * the agent's answer and relayed to the requester and participants
 * through the outbound queue, as an agent's answer by mail is.  Exit codes
 * as for the admin commands: 64 a bad argument, 67 an unknown ticket,
 * agent or participant, 75 database trouble, 78 no [outbound] for a reply.
 */
#include "cmd-desk.h"
#include "cmd-admin.h"
#include "store/pd-store-desk.h"
#include "pipeline/pd-pipeline.h"
#include "smtp/pd-outbound.h"
#include "template/pd-template.h"
#include "ticket/pd-plan.h"

#include <stdio.h>
#include <string.h>

#define TEXT_MAX (1024 * 1024)	/* a note or reply typed or piped in */

static const char *const desk_verbs[] = { "set", "note", "reply", "participant", "merge", NULL };

gboolean
pd_desk_verb(const char *verb)
{
	return g_strv_contains(desk_verbs, verb);
}

int
pd_desk_canned_check(const PdAdminArgs *args, const PdConfig *config, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdTemplateSet) replies = pd_outbound_replies_load(config, &error);

	if (replies == NULL || !pd_outbound_reply_known(config, replies, name, NULL, &error))
		return pd_admin_fail(args, error);
	return 0;
}

static char *opt_status, *opt_priority, *opt_category, *opt_queue, *opt_assign;
static char *opt_file, *opt_agent, *opt_template;
static char **opt_tags, **opt_untags;

static void
options_clear(void)
{
	char **all[] = { &opt_status, &opt_priority, &opt_category, &opt_queue, &opt_assign,
			 &opt_file, &opt_agent, &opt_template };

	for (guint i = 0; i < G_N_ELEMENTS(all); i++)
		g_clear_pointer(all[i], g_free);
	g_clear_pointer(&opt_tags, g_strfreev);
	g_clear_pointer(&opt_untags, g_strfreev);
}

static gboolean
ticket_number(const PdAdminArgs *args, const char *text, gint64 *number_r, int *rc_r)
{
	guint64 number;

	if (*text == '#')
		text++;
	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &number, NULL)) {
		*rc_r = pd_admin_bad(args, "\"%s\" is not a ticket number", text);
		return FALSE;
	}
	*number_r = (gint64)number;
	return TRUE;
}

static PdStore *
desk_store(PdCli *cli, int *rc_r)
{
	g_autoptr(GError) error = NULL;
	PdStore *store = pd_cli_store(cli, rc_r);

	if (store != NULL && !pd_store_check_schema(store, &error)) {
		fprintf(stderr, "postdesk: %s\n", error->message);
		*rc_r = error->code == PD_ERROR_USAGE ? PD_EX_CONFIG : pd_cli_fail(error);
		g_clear_pointer(&store, pd_store_free);
	}
	return store;
}

/* An agent's canonical address (--agent, --assign), or NULL after an error. */
static char *
agent_address(const PdAdminArgs *args, PdCli *cli, const char *text, int *rc_r)
{
	int rc = 0;
	PdConfig *config = pd_cli_config(cli, &rc);

	if (config == NULL) {
		*rc_r = rc;
		return NULL;
	}
	return pd_admin_address(args, config, text, rc_r);
}

/* The text of a note or reply: --file F, else stdin; NULL after an error. */
static char *
read_text(const PdAdminArgs *args, int *rc_r)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) text = g_string_new(NULL);
	char buf[8192];
	size_t n;

	if (opt_file != NULL) {
		char *contents = NULL;
		gsize len = 0;

		if (!g_file_get_contents(opt_file, &contents, &len, &error)) {
			*rc_r = pd_admin_bad(args, "%s", error->message);
			return NULL;
		}
		g_string_append_len(text, contents, (gssize)len);
		g_free(contents);
	} else {
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0 && text->len <= TEXT_MAX)
			g_string_append_len(text, buf, (gssize)n);
	}
	if (text->len > TEXT_MAX) {
		*rc_r = pd_admin_bad(args, "the text is longer than %d bytes", TEXT_MAX);
		return NULL;
	}
	if (memchr(text->str, '\0', text->len) != NULL || !g_utf8_validate(text->str, -1, NULL)) {
		*rc_r = pd_admin_bad(args, "the text is not UTF-8 text");
		return NULL;
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static const GOptionEntry set_entries[] = {
	{ "status", 0, 0, G_OPTION_ARG_STRING, &opt_status, "new|open|pending|solved|closed", "S" },
	{ "priority", 0, 0, G_OPTION_ARG_STRING, &opt_priority, "low|normal|high|urgent", "P" },
	{ "category", 0, 0, G_OPTION_ARG_STRING, &opt_category, "Category (\"\" clears)", "C" },
	{ "queue", 0, 0, G_OPTION_ARG_STRING, &opt_queue, "A configured queue", "Q" },
	{ "assign", 0, 0, G_OPTION_ARG_STRING, &opt_assign, "An agent's address (\"\" unassigns)",
	  "AGENT" },
	{ "tag", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_tags, "Add a tag (repeatable)", "T" },
	{ "untag", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_untags, "Remove a tag (repeatable)", "T" },
	G_OPTION_ENTRY_NULL
};

/* "FIELD VALUE" pairs after the number, as the options would set them. */
static gboolean
set_pairs(const PdAdminArgs *args, int *rc_r)
{
	static const char *const fields[] = { "status", "priority", "category", "queue", "assign" };
	char **slots[] = { &opt_status, &opt_priority, &opt_category, &opt_queue, &opt_assign };

	if ((args->argc - 1) % 2 != 0) {
		*rc_r = pd_admin_bad(args, "\"%s\" wants a value", args->argv[args->argc - 1]);
		return FALSE;
	}
	for (int i = 1; i + 1 < args->argc; i += 2) {
		guint f;

		for (f = 0; f < G_N_ELEMENTS(fields) && strcmp(fields[f], args->argv[i]) != 0; f++)
			;
		if (f == G_N_ELEMENTS(fields)) {
			*rc_r = pd_admin_bad(args, "unknown field \"%s\" (status, priority, category,"
					     " queue, assign)", args->argv[i]);
			return FALSE;
		}
		g_free(*slots[f]);
		*slots[f] = g_strdup(args->argv[i + 1]);
	}
	return TRUE;
}

/* ticket_tags.tag: 1 to 64 characters, no white space or control. */
static gboolean
tag_valid(const char *tag)
{
	glong n = g_utf8_strlen(tag, -1);

	if (!g_utf8_validate(tag, -1, NULL) || n < 1 || n > 64)
		return FALSE;
	for (const char *p = tag; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_isspace(c) || g_unichar_iscntrl(c))
			return FALSE;
	}
	return TRUE;
}

static int
desk_set(PdCli *cli, PdAdminArgs *args)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *assign = NULL, *result = NULL;
	PdTicketChanges changes = { 0 };
	gint64 number;
	int rc = 0;

	if (!ticket_number(args, args->argv[0], &number, &rc) || !set_pairs(args, &rc))
		return rc;
	if (opt_status == NULL && opt_priority == NULL && opt_category == NULL &&
	    opt_queue == NULL && opt_assign == NULL && opt_tags == NULL && opt_untags == NULL)
		return pd_admin_bad(args, "nothing to change (--status, --priority, --category,"
				    " --queue, --assign, --tag, --untag)");
	for (char **t = opt_tags; t != NULL && *t != NULL; t++)
		if (!tag_valid(*t))
			return pd_admin_bad(args, "tag \"%s\": 1 to 64 characters, no spaces or"
					    " control characters", *t);
	if (opt_category != NULL && *opt_category != '\0' &&
	    !g_regex_match_simple("^[a-z0-9][a-z0-9_.-]{0,63}$", opt_category, 0, 0))
		return pd_admin_bad(args, "category \"%s\": lower-case letters, digits, . _ -"
				    " (at most 64)", opt_category);
	store = desk_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (opt_category != NULL && *opt_category != '\0') {
		g_autofree char *known = NULL;

		if (!pd_category_allowed(cli->config, opt_category, &known))
			return pd_admin_bad(args, "unknown category \"%s\" (configured: %s)",
					    opt_category, known);
	}
	if (opt_queue != NULL && pd_config_queue_named(cli->config, opt_queue) == NULL)
		return pd_admin_bad(args, "no [queue %s] in the configuration", opt_queue);
	if (opt_assign != NULL && *opt_assign != '\0' &&
	    (assign = agent_address(args, cli, opt_assign, &rc)) == NULL)
		return rc;
	changes.status = opt_status;
	changes.priority = opt_priority;
	changes.category = opt_category;
	changes.queue = opt_queue;
	changes.assign = opt_assign != NULL ? (assign != NULL ? assign : "") : NULL;
	changes.tags = (const char *const *)opt_tags;
	changes.untags = (const char *const *)opt_untags;
	if (!pd_store_ticket_set(store, args->actor, number, &changes, &result, &error))
		return pd_admin_fail(args, error);
	if (args->json) {
		printf("%s\n", result);
		return PD_EX_OK;
	}
	{
		g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
		g_autofree char *joined = NULL;
		static const char *const fields[] = { "status", "priority", "category", "queue",
						      "assign" };
		const char *values[] = { changes.status, changes.priority, changes.category,
					 changes.queue, changes.assign };

		for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
			if (values[i] != NULL)
				g_ptr_array_add(lines, g_strdup_printf("%s %s", fields[i],
					*values[i] != '\0' ? values[i] : "(none)"));
		for (char **t = opt_tags; t != NULL && *t != NULL; t++)
			g_ptr_array_add(lines, g_strdup_printf("tag %s", *t));
		for (char **t = opt_untags; t != NULL && *t != NULL; t++)
			g_ptr_array_add(lines, g_strdup_printf("untag %s", *t));
		g_ptr_array_add(lines, NULL);
		joined = g_strjoinv(", ", (char **)lines->pdata);
		printf("ticket %" G_GINT64_FORMAT ": %s\n", number, joined);
	}
	return PD_EX_OK;
}

static const GOptionEntry text_entries[] = {
	{ "file", 0, 0, G_OPTION_ARG_FILENAME, &opt_file, "Read the text from F (default: stdin)",
	  "F" },
	{ "agent", 0, 0, G_OPTION_ARG_STRING, &opt_agent, "The agent who writes it", "AGENT" },
	{ "template", 0, 0, G_OPTION_ARG_STRING, &opt_template,
	  "A canned reply (filters/replies/NAME.txt) before the text (reply only)", "NAME" },
	{ "canned", 0, 0, G_OPTION_ARG_STRING, &opt_template, "The same as --template", "NAME" },
	G_OPTION_ENTRY_NULL
};

static int
desk_text(PdCli *cli, PdAdminArgs *args, gboolean reply)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *agent = NULL, *text = NULL, *relayed = NULL;
	gint64 number, row = 0;
	int rc = 0;

	if (!ticket_number(args, args->argv[0], &number, &rc))
		return rc;
	if (!reply && opt_template != NULL)
		return pd_admin_bad(args, "--template is for ticket reply");
	store = desk_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (opt_agent != NULL && (agent = agent_address(args, cli, opt_agent, &rc)) == NULL)
		return rc;
	if (reply && opt_template != NULL) {
		rc = pd_desk_canned_check(args, cli->config, opt_template);
		if (rc != 0)
			return rc;
	}
	if (reply && opt_template != NULL && opt_file == NULL)
		text = g_strdup("");
	else if ((text = read_text(args, &rc)) == NULL)
		return rc;
	if (!reply) {
		if (!pd_store_ticket_note(store, args->actor, number, agent, text, &row, &error))
			return pd_admin_fail(args, error);
		if (args->json)
			printf("{\"ticket\": %" G_GINT64_FORMAT ", \"message_row\": %" G_GINT64_FORMAT
			       "}\n", number, row);
		else
			printf("ticket %" G_GINT64_FORMAT ": note added\n", number);
		return PD_EX_OK;
	}
	{
		const char *envelope = pd_pipeline_settings(cli->config)->agent_envelope_from;
		PdTicketReply r = { agent, text, NULL, opt_template, envelope };

		if (envelope == NULL) {
			fprintf(stderr, "postdesk ticket reply: no [outbound] section: nothing can"
				" be sent\n");
			return PD_EX_CONFIG;
		}
		if (!pd_store_ticket_reply(store, args->actor, number, &r, &relayed, &error))
			return pd_admin_fail(args, error);
	}
	if (args->json) {
		g_autoptr(GString) out = g_string_new(NULL);

		g_string_append_printf(out, "{\"ticket\": %" G_GINT64_FORMAT ", \"relayed_to\": ",
				       number);
		pd_json_string(out, relayed);
		g_string_append_c(out, '}');
		printf("%s\n", out->str);
	} else {
		printf("ticket %" G_GINT64_FORMAT ": reply queued to %s\n", number,
		       relayed != NULL ? relayed : "nobody");
	}
	return PD_EX_OK;
}

static int
desk_participant(PdCli *cli, PdAdminArgs *args)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *address = NULL;
	gboolean add = strcmp(args->argv[0], "add") == 0;
	gint64 number;
	int rc = 0;

	if (!add && strcmp(args->argv[0], "remove") != 0)
		return pd_admin_bad(args, "add or remove, not \"%s\"", args->argv[0]);
	if (!ticket_number(args, args->argv[1], &number, &rc))
		return rc;
	store = desk_store(cli, &rc);
	if (store == NULL)
		return rc;
	if ((address = pd_admin_address(args, cli->config, args->argv[2], &rc)) == NULL)
		return rc;
	if (!pd_store_ticket_participant(store, args->actor, number, address, add, &error))
		return pd_admin_fail(args, error);
	if (args->json)
		printf("{\"ticket\": %" G_GINT64_FORMAT ", \"%s\": \"%s\"}\n", number,
		       add ? "added" : "removed", address);
	else
		printf("ticket %" G_GINT64_FORMAT ": %s %s\n", number, address,
		       add ? "added as a participant" : "no longer takes part");
	return PD_EX_OK;
}

static int
desk_merge(PdCli *cli, PdAdminArgs *args)
{
	g_autoptr(PdStore) store = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *result = NULL;
	gint64 from, into;
	int rc = 0;

	if (!ticket_number(args, args->argv[0], &from, &rc) ||
	    !ticket_number(args, args->argv[1], &into, &rc))
		return rc;
	store = desk_store(cli, &rc);
	if (store == NULL)
		return rc;
	if (!pd_store_ticket_merge(store, args->actor, from, into, &result, &error))
		return pd_admin_fail(args, error);
	if (args->json)
		printf("%s\n", result);
	else
		printf("ticket %" G_GINT64_FORMAT " merged into %" G_GINT64_FORMAT "\n", from, into);
	return PD_EX_OK;
}

int
pd_cmd_ticket_desk(PdCli *cli, int argc, char **argv)
{
	PdAdminArgs args;
	const char *verb = argv[1];
	int rc;

	options_clear();
	if (strcmp(verb, "set") == 0) {
		rc = pd_admin_args_parse(&args, "ticket", "ticket set N [--status S] [--priority P]"
					 " [--category C] [--queue Q] [--assign AGENT]",
					 set_entries, 1, 11, argc - 1, argv + 1);
		if (rc == 0)
			rc = desk_set(cli, &args);
	} else if (strcmp(verb, "note") == 0 || strcmp(verb, "reply") == 0) {
		gboolean reply = verb[0] == 'r';

		rc = pd_admin_args_parse(&args, "ticket", reply ?
					 "ticket reply N [--file F] [--template NAME] [--agent AGENT]" :
					 "ticket note N [--file F] [--agent AGENT]",
					 text_entries, 1, 1, argc - 1, argv + 1);
		if (rc == 0)
			rc = desk_text(cli, &args, reply);
	} else if (strcmp(verb, "merge") == 0) {
		rc = pd_admin_args_parse(&args, "ticket", "ticket merge FROM INTO", NULL, 2, 2,
					 argc - 1, argv + 1);
		if (rc == 0)
			rc = desk_merge(cli, &args);
	} else {
		rc = pd_admin_args_parse(&args, "ticket", "ticket participant add|remove N ADDRESS",
					 NULL, 3, 3, argc - 1, argv + 1);
		if (rc == 0)
			rc = desk_participant(cli, &args);
	}
	pd_admin_args_clear(&args);
	options_clear();
	return rc;
}
