/* pd-agent: commands and relayed text of an agent's answer; see pd-agent.h. */
#include "pd-agent.h"
#include "core/pd-address.h"
#include "core/pd-json.h"

#include <string.h>

#define NAME_MAX_CHARS 32
#define ARGUMENT_MAX 320	/* an address at most (RFC 5321 4.5.3.1.3: 256) */

static const struct {
	const char *name;
	PdAgentCommandKind kind;
} command_names[] = {
	{ "close", PD_AGENT_CMD_CLOSE },
	{ "pending", PD_AGENT_CMD_PENDING },
	{ "assign", PD_AGENT_CMD_ASSIGN },
	{ "priority", PD_AGENT_CMD_PRIORITY },
	{ "note", PD_AGENT_CMD_NOTE },
	{ "solved", PD_AGENT_CMD_SOLVED },
	{ "open", PD_AGENT_CMD_OPEN },
	{ "queue", PD_AGENT_CMD_QUEUE },
	{ "category", PD_AGENT_CMD_CATEGORY },
	{ "cc", PD_AGENT_CMD_CC },
	{ "reply", PD_AGENT_CMD_REPLY },
	{ "tag", PD_AGENT_CMD_TAG },
};

#define NAME_ARG_MAX 64	/* a queue, category or canned reply name */

static const char *const priorities[] = { "low", "normal", "high", "urgent" };

static void
command_free(PdAgentCommand *command)
{
	g_free(command->name);
	g_free(command->argument);
	g_free(command->error);
	g_free(command);
}

void
pd_agent_answer_clear(PdAgentAnswer *answer)
{
	if (answer == NULL)
		return;
	g_clear_pointer(&answer->commands, g_ptr_array_unref);
	g_clear_pointer(&answer->reply, g_free);
	answer->note = FALSE;
	answer->canned = NULL;
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static gboolean
line_blank(const char *line, const char *end)
{
	return skip_blanks(line, end) == end;
}

/* A command line: optional blanks, '#', a letter. */
static gboolean
command_line(const char *line, const char *end)
{
	const char *p = skip_blanks(line, end);

	return end - p >= 2 && p[0] == '#' && g_ascii_isalpha(p[1]);
}

/* The NAME of #queue, #category, #reply: one word, lower-cased; NULL with
 * *error_r set when it is missing or not a name. */
static char *
name_argument(PdAgentCommandKind kind, const char *rest, char **words, gboolean missing,
	      char **error_r)
{
	gboolean dots = kind == PD_AGENT_CMD_CATEGORY || kind == PD_AGENT_CMD_TAG;
	const char *pattern = dots ? "^[a-z0-9][a-z0-9_.-]*$" : "^[a-z0-9][a-z0-9_-]*$";
	g_autofree char *lower = g_ascii_strdown(rest, -1);

	if (missing || g_strv_length(words) != 1) {
		*error_r = g_strdup("takes one name");
		return NULL;
	}
	if (strlen(lower) > NAME_ARG_MAX || !g_regex_match_simple(pattern, lower, 0, 0)) {
		*error_r = g_strdup(dots
				    ? "not a name (letters, digits, - _ .)"
				    : "not a name (letters, digits, - _)");
		return NULL;
	}
	return g_steal_pointer(&lower);
}

static PdAgentCommand *
command_parse(const char *line, const char *end, guint number, const char *delimiter)
{
	PdAgentCommand *command = g_new0(PdAgentCommand, 1);
	const char *p = skip_blanks(line, end) + 1, *name = p, *arg, *arg_end;
	g_auto(GStrv) words = NULL;
	g_autofree char *rest = NULL;

	while (p < end && (g_ascii_isalnum(*p) || *p == '-' || *p == '_'))
		p++;
	command->name = g_ascii_strdown(name, MIN(p - name, NAME_MAX_CHARS));
	command->line = number;
	for (guint i = 0; i < G_N_ELEMENTS(command_names); i++)
		if (strcmp(command->name, command_names[i].name) == 0 && p - name <= NAME_MAX_CHARS)
			command->kind = command_names[i].kind;
	arg = skip_blanks(p, end);
	arg_end = end;
	while (arg_end > arg && g_ascii_isspace(arg_end[-1]))
		arg_end--;
	rest = g_strndup(arg, MIN(arg_end - arg, ARGUMENT_MAX));
	words = g_strsplit_set(rest, " \t", -1);
	if (command->kind == PD_AGENT_CMD_UNKNOWN || (p < end && *p != ' ' && *p != '\t')) {
		command->kind = PD_AGENT_CMD_UNKNOWN;
		command->error = g_strdup("unknown command");
	}
	switch (command->kind) {
	case PD_AGENT_CMD_CLOSE:
	case PD_AGENT_CMD_PENDING:
	case PD_AGENT_CMD_NOTE:
	case PD_AGENT_CMD_SOLVED:
	case PD_AGENT_CMD_OPEN:
		if (arg != arg_end)
			command->error = g_strdup("takes no argument");
		break;
	case PD_AGENT_CMD_ASSIGN:
	case PD_AGENT_CMD_CC:
		if (arg == arg_end) {
			command->error = g_strdup(command->kind == PD_AGENT_CMD_CC
						  ? "needs an address" : "needs an agent's address");
		} else if (arg_end - arg > ARGUMENT_MAX || g_strv_length(words) != 1) {
			command->error = g_strdup("takes one address");
		} else {
			command->argument = pd_address_canonicalize(rest, delimiter);
			if (command->argument == NULL)
				command->error = g_strdup("not an address");
		}
		break;
	case PD_AGENT_CMD_QUEUE:
	case PD_AGENT_CMD_CATEGORY:
	case PD_AGENT_CMD_TAG:
	case PD_AGENT_CMD_REPLY:
		command->argument = name_argument(command->kind, rest, words, arg == arg_end,
						  &command->error);
		break;
	case PD_AGENT_CMD_PRIORITY:
		if (arg == arg_end || g_strv_length(words) != 1) {
			command->error = g_strdup("needs one of low, normal, high, urgent");
			break;
		}
		for (guint i = 0; i < G_N_ELEMENTS(priorities); i++)
			if (g_ascii_strcasecmp(rest, priorities[i]) == 0)
				command->argument = g_strdup(priorities[i]);
		if (command->argument == NULL)
			command->error = g_strdup("needs one of low, normal, high, urgent");
		break;
	case PD_AGENT_CMD_UNKNOWN:
		break;
	}
	/* what was written, for the events and `postdesk test` */
	if (command->error != NULL && command->argument == NULL && *rest != '\0')
		command->argument = g_strdup(rest);
	return command;
}

/* Lines as [start, end) pairs without their CR LF / LF. */
typedef struct {
	const char *start, *end;
} Line;

static GArray *
split_lines(const char *text)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(Line));
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		Line line = { p, nl != NULL ? nl : p + strlen(p) };

		if (line.end > line.start && line.end[-1] == '\r')
			line.end--;
		g_array_append_val(lines, line);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return lines;
}

static gboolean
line_contains_ci(const Line *l, const char *needle)
{
	g_autofree char *lower = g_ascii_strdown(l->start, l->end - l->start);

	return strstr(lower, needle) != NULL;
}

static gboolean
line_quoted(const Line *l)
{
	const char *p = skip_blanks(l->start, l->end);

	return p < l->end && *p == '>';
}

/* Where what the agent wrote ends: the notification's marker, an Outlook
 * or Original Message separator, the signature separator. */
static gboolean
line_cut(const Line *l)
{
	const char *p = skip_blanks(l->start, l->end);
	const char *e = l->end;
	guint underscores = 0;

	if (line_contains_ci(l, PD_AGENT_MARKER))
		return TRUE;
	if ((e - l->start == 3 && strncmp(l->start, "-- ", 3) == 0) ||
	    (e - l->start == 2 && strncmp(l->start, "--", 2) == 0))
		return TRUE;
	if (line_contains_ci(l, "original message") && *p == '-' && e[-1] == '-')
		return TRUE;
	for (; p < e && *p == '_'; p++)
		underscores++;
	return underscores >= 10 && line_blank(p, e);
}

/* An attribution ("On Mon, 23 Nov 2026, Support <x> wrote:"). */
static gboolean
attribution_text(const char *text)
{
	static const char *const starts[] = { "on ", "am ", "le ", "el ", "op ", "il " };
	static const char *const ends[] = { "wrote:", "schrieb:", "a écrit :", "a écrit:",
					    "escribió:", "schreef:", "ha scritto:" };
	g_autofree char *lower = g_utf8_strdown(text, -1);
	g_autofree char *trimmed = g_strstrip(g_strdup(lower));
	gboolean start = FALSE;

	for (guint i = 0; i < G_N_ELEMENTS(starts); i++)
		start = start || g_str_has_prefix(trimmed, starts[i]);
	if (!start)
		return FALSE;
	if (strstr(trimmed, " schrieb ") != NULL && g_str_has_suffix(trimmed, ":"))
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(ends); i++)
		if (g_str_has_suffix(trimmed, ends[i]))
			return TRUE;
	return FALSE;
}

/* The next line after i that is not blank, or lines->len. */
static guint
next_nonblank(GArray *lines, guint i)
{
	for (i++; i < lines->len; i++) {
		Line *l = &g_array_index(lines, Line, i);

		if (!line_blank(l->start, l->end))
			break;
	}
	return i;
}

/* How many lines (1 or 2) starting at i form an attribution that
 * introduces a quote, the cut (an unquoted notification) or the end of the
 * text; 0: none. */
static guint
attribution_lines(GArray *lines, guint i)
{
	Line *l = &g_array_index(lines, Line, i);

	for (guint n = 1; n <= 2 && i + n <= lines->len; n++) {
		Line *last = &g_array_index(lines, Line, i + n - 1);
		g_autofree char *text = g_strndup(l->start, last->end - l->start);
		guint next;

		if (n == 2 && line_blank(last->start, last->end))
			break;
		g_strdelimit(text, "\r\n", ' ');
		if (!attribution_text(text))
			continue;
		next = next_nonblank(lines, i + n - 1);
		if (next == lines->len || line_quoted(&g_array_index(lines, Line, next)) ||
		    line_cut(&g_array_index(lines, Line, next)))
			return n;
	}
	return 0;
}

static char *
relay_text(GArray *lines, guint first)
{
	g_autoptr(GString) out = g_string_new(NULL);
	gboolean blank_pending = FALSE;

	for (guint i = first; i < lines->len; i++) {
		Line *l = &g_array_index(lines, Line, i);
		guint skip;

		if (line_cut(l))
			break;
		if (line_quoted(l))
			continue;
		if ((skip = attribution_lines(lines, i)) > 0) {
			i += skip - 1;
			continue;
		}
		if (line_blank(l->start, l->end)) {
			blank_pending = out->len > 0;
			continue;
		}
		if (blank_pending)
			g_string_append_c(out, '\n');
		blank_pending = FALSE;
		g_string_append_len(out, l->start, l->end - l->start);
		g_string_append_c(out, '\n');
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

void
pd_agent_answer_parse(const char *text, const char *delimiter, PdAgentAnswer *answer_r)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	g_autoptr(GArray) lines = split_lines(valid);
	guint i;

	memset(answer_r, 0, sizeof(*answer_r));
	answer_r->commands = g_ptr_array_new_with_free_func((GDestroyNotify)command_free);
	for (i = 0; i < lines->len; i++) {
		Line *l = &g_array_index(lines, Line, i);
		PdAgentCommand *command;

		if (line_blank(l->start, l->end))
			continue;
		if (!command_line(l->start, l->end) ||
		    answer_r->commands->len == PD_AGENT_MAX_COMMANDS)
			break;
		command = command_parse(l->start, l->end, i + 1, delimiter);
		if (command->kind == PD_AGENT_CMD_NOTE && command->error == NULL)
			answer_r->note = TRUE;
		if (command->kind == PD_AGENT_CMD_REPLY && command->error == NULL)
			answer_r->canned = command->argument;
		g_ptr_array_add(answer_r->commands, command);
	}
	answer_r->reply = relay_text(lines, i);
}

void
pd_agent_answer_json_members(PdJson *json, gconstpointer data)
{
	const PdAgentAnswer *answer = data;

	pd_json_add_bool(json, "note", answer->note);
	pd_json_begin_array(json, "commands");
	for (guint i = 0; answer->commands != NULL && i < answer->commands->len; i++) {
		const PdAgentCommand *c = answer->commands->pdata[i];

		pd_json_begin_object(json, NULL);
		pd_json_add_string(json, "command", c->name);
		pd_json_add_string(json, "argument", c->argument);
		pd_json_add_string(json, "error", c->error);
		pd_json_add_int(json, "line", c->line);
		pd_json_end_object(json);
	}
	pd_json_end_array(json);
	pd_json_add_string(json, "text", answer->reply);
}

char *
pd_agent_answer_json(const PdAgentAnswer *answer)
{
	return pd_json_object(pd_agent_answer_json_members, answer);
}
