/* pd-sieve-run: one compiled script over one message.
 *
 * Walks the compiled tree: control (if/elsif/else, stop), actions into
 * the result (duplicates of keep, fileinto and redirect folded into the
 * first, RFC 5228 4.2), tests through the message vtable.  The implicit
 * keep stands unless discard, redirect, fileinto, reject or ereject (the
 * last three without :copy where it applies) cancelled it; it carries the
 * imap4flags internal variable's final value.  A run-time error (the step
 * budget, too many actions, an invalid expanded address, reject with keep)
 * stops the run: its actions are dropped, the implicit keep stands
 * (2.10.6), and the error is in result->errors.
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

void
pd_sieve_run_error(PdSieveRun *run, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;
	const PdSieveNode *node = run->node;

	if (run->result->failed)
		return;	/* the first error stopped the run */
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(run->result->errors,
			g_strdup_printf("%s:%u:%u: %s", run->script->name, node ? node->line : 0,
					node ? node->col : 0, text));
	run->result->failed = TRUE;
	run->stopped = TRUE;
}

void
pd_sieve_run_rule_error(PdSieveRun *run, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;
	const PdSieveNode *node = run->node;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (run->result->errors->len < run->script->limits.max_errors)
		g_ptr_array_add(run->result->errors,
				g_strdup_printf("%s:%u:%u: %s", run->script->name,
						node ? node->line : 0, node ? node->col : 0, text));
}

gboolean
pd_sieve_run_charge(PdSieveRun *run, guint64 n)
{
	if (run->result->failed)
		return FALSE;
	run->result->steps += n;
	if (run->result->steps <= run->script->limits.max_steps)
		return TRUE;
	pd_sieve_run_error(run, "step budget of %" G_GUINT64_FORMAT " exhausted",
			   run->script->limits.max_steps);
	return FALSE;
}

static void
action_free(PdSieveAction *action)
{
	g_free(action->argument);
	if (action->flags != NULL)
		g_ptr_array_unref(action->flags);
	g_free(action);
}

static GPtrArray *
strings_copy(GPtrArray *strings)
{
	GPtrArray *copy = g_ptr_array_new_full(strings->len, g_free);

	for (guint i = 0; i < strings->len; i++)
		g_ptr_array_add(copy, g_strdup(g_ptr_array_index(strings, i)));
	return copy;
}

static PdSieveAction *
action_find(PdSieveRun *run, PdSieveActionKind kind, const char *argument)
{
	for (guint i = 0; i < run->result->actions->len; i++) {
		PdSieveAction *action = g_ptr_array_index(run->result->actions, i);

		if (action->kind != kind)
			continue;
		if (argument == NULL ||
		    (kind == PD_SIEVE_REDIRECT ? g_ascii_strcasecmp(action->argument, argument) :
		     strcmp(action->argument, argument)) == 0)
			return action;
	}
	return NULL;
}

/* Adds (or folds into an earlier same one); takes argument and flags. */
static void
action_add(PdSieveRun *run, PdSieveActionKind kind, char *argument, GPtrArray *flags)
{
	PdSieveAction *action;

	/* an action's text goes on into the ticket, the store and outbound
	 * mail: a variable can carry any bytes of the message there */
	if (argument != NULL && !g_utf8_validate(argument, -1, NULL)) {
		pd_sieve_run_error(run, "the argument of '%s' is not valid UTF-8",
				   pd_sieve_action_name(kind));
		g_free(argument);
		if (flags != NULL)
			g_ptr_array_unref(flags);
		return;
	}
	action = action_find(run, kind, argument);
	if (action != NULL && kind != PD_SIEVE_REJECT && kind != PD_SIEVE_EREJECT) {
		g_free(argument);
		if (flags != NULL) {
			if (action->flags != NULL)
				g_ptr_array_unref(action->flags);
			action->flags = flags;
		}
		return;
	}
	if (run->result->actions->len >= run->script->limits.max_actions) {
		pd_sieve_run_error(run, "more than %u actions", run->script->limits.max_actions);
		g_free(argument);
		if (flags != NULL)
			g_ptr_array_unref(flags);
		return;
	}
	action = g_new0(PdSieveAction, 1);
	action->kind = kind;
	action->argument = argument;
	action->flags = flags;
	action->line = run->node != NULL ? run->node->line : 0;
	action->copy = run->node != NULL && run->node->copy;
	g_ptr_array_add(run->result->actions, action);
}

/* ---- imap4flags: a flag list is space-separated names ---- */

static void
flags_split(const char *text, GPtrArray *flags)
{
	g_auto(GStrv) words = g_strsplit_set(text, " \t\r\n", -1);

	for (char **w = words; *w != NULL; w++) {
		gboolean seen = FALSE;

		/* a flag that is not valid UTF-8 is no flag (it would become a
		 * ticket tag): dropped */
		if (**w == '\0' || !g_utf8_validate(*w, -1, NULL))
			continue;
		for (guint i = 0; i < flags->len && !seen; i++)
			seen = g_ascii_strcasecmp(g_ptr_array_index(flags, i), *w) == 0;
		if (!seen)
			g_ptr_array_add(flags, g_strdup(*w));
	}
}

static char *
flags_join(GPtrArray *flags)
{
	GString *text = g_string_new(NULL);

	for (guint i = 0; i < flags->len; i++) {
		if (i > 0)
			g_string_append_c(text, ' ');
		g_string_append(text, g_ptr_array_index(flags, i));
	}
	return g_string_free(text, FALSE);
}

/* The current flags of a variable (NULL: the internal one). */
static GPtrArray *
flags_of(PdSieveRun *run, const char *variable)
{
	GPtrArray *flags = g_ptr_array_new_with_free_func(g_free);
	const char *value;

	if (variable == NULL) {
		for (guint i = 0; i < run->internal_flags->len; i++)
			g_ptr_array_add(flags, g_strdup(g_ptr_array_index(run->internal_flags, i)));
		return flags;
	}
	g_autofree char *key = g_ascii_strdown(variable, -1);

	value = run->variables != NULL ? g_hash_table_lookup(run->variables, key) : NULL;
	if (value != NULL)
		flags_split(value, flags);
	return flags;
}

static void
exec_flags(PdSieveRun *run, const PdSieveNode *node)
{
	const char *variable = node->first != NULL ? g_ptr_array_index(node->first, 0) : NULL;
	g_autoptr(GPtrArray) flags = node->op == OP_SETFLAG ?
				     g_ptr_array_new_with_free_func(g_free) :
				     flags_of(run, variable);
	g_autoptr(GPtrArray) given = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < node->second->len; i++) {
		g_autofree char *text = pd_sieve_expand(run, g_ptr_array_index(node->second, i));

		flags_split(text, given);
	}
	if (node->op == OP_REMOVEFLAG) {
		for (guint g = 0; g < given->len; g++)
			for (guint i = flags->len; i-- > 0;)
				if (g_ascii_strcasecmp(g_ptr_array_index(flags, i),
						       g_ptr_array_index(given, g)) == 0)
					g_ptr_array_remove_index(flags, i);
	} else {
		g_autofree char *joined = flags_join(given);

		flags_split(joined, flags);
	}
	if (variable == NULL) {
		g_ptr_array_unref(run->internal_flags);
		run->internal_flags = g_steal_pointer(&flags);
	} else {
		g_autofree char *joined = flags_join(flags);

		pd_sieve_variable_set(run, variable, joined, 0);
	}
}

/* The flags a keep or fileinto carries: :flags, else the internal ones. */
static GPtrArray *
action_flags(PdSieveRun *run, const PdSieveNode *node)
{
	GPtrArray *flags;

	if (!(run->script->capabilities & CAP_IMAP4FLAGS))
		return NULL;
	if (node == NULL || node->flags == NULL)
		return run->internal_flags->len > 0 ? strings_copy(run->internal_flags) : NULL;
	flags = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < node->flags->len; i++) {
		g_autofree char *text = pd_sieve_expand(run, g_ptr_array_index(node->flags, i));

		flags_split(text, flags);
	}
	return flags;
}

/* ---- tests ---- */

static GPtrArray *
expand_all(PdSieveRun *run, GPtrArray *strings)
{
	GPtrArray *expanded = g_ptr_array_new_full(strings->len, g_free);

	for (guint i = 0; i < strings->len; i++)
		g_ptr_array_add(expanded, pd_sieve_expand(run, g_ptr_array_index(strings, i)));
	return expanded;
}

/* values against the node's keys (any pair matching, or :count). */
static gboolean
match_values(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values)
{
	return pd_sieve_match_keys(run, node, values, node->second);
}

static gboolean match_expanded(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values,
			       GPtrArray *keys, GPtrArray *regexes);

gboolean
pd_sieve_match_keys(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values,
		    GPtrArray *key_list)
{
	g_autoptr(GPtrArray) keys = expand_all(run, key_list);

	return match_expanded(run, node, values, keys,
			      key_list == node->second ? node->regexes : NULL);
}

/* The :regex keys as expressions: compiled at validation, else now (a
 * key a variable made invalid is a rule error, and NULL). */
static GPtrArray *
regexes_for(PdSieveRun *run, const PdSieveNode *node, GPtrArray *keys, GPtrArray *compiled)
{
	GPtrArray *own = g_ptr_array_new_with_free_func(pd_sieve_regex_free);

	for (guint k = 0; k < keys->len; k++) {
		const char *key = g_ptr_array_index(keys, k);
		g_autofree char *error = NULL;
		gpointer regex = NULL;

		if (compiled == NULL || g_ptr_array_index(compiled, k) == NULL) {
			regex = pd_sieve_regex_compile(key, node->comparator, &error);
			if (regex == NULL)
				pd_sieve_run_rule_error(run, "invalid regular expression \"%s\": %s",
							key, error);
		}
		g_ptr_array_add(own, regex);
	}
	return own;
}

static gboolean
match_expanded(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values, GPtrArray *keys,
	       GPtrArray *regexes)
{
	g_autoptr(GPtrArray) captures = NULL;
	g_autoptr(GPtrArray) own = node->match == MATCH_REGEX ?
				   regexes_for(run, node, keys, regexes) : NULL;

	if (node->match == MATCH_COUNT) {
		g_autofree char *count = g_strdup_printf("%u", values->len);

		for (guint k = 0; k < keys->len; k++)
			if (pd_sieve_relation_holds(node->relation,
						    pd_sieve_compare(node->comparator, count,
								     g_ptr_array_index(keys, k))))
				return TRUE;
		return FALSE;
	}
	/* body never sets match variables (RFC 5173 5) */
	if ((node->match == MATCH_MATCHES || node->match == MATCH_REGEX) &&
	    (run->script->capabilities & CAP_VARIABLES) && node->op != OP_BODY)
		captures = g_ptr_array_new_with_free_func(g_free);
	for (guint v = 0; v < values->len && !run->stopped; v++) {
		for (guint k = 0; k < keys->len && !run->stopped; k++) {
			const char *value = g_ptr_array_index(values, v);
			const char *key = g_ptr_array_index(keys, k);

			gpointer regex = own == NULL ? NULL : g_ptr_array_index(own, k) != NULL ?
					 g_ptr_array_index(own, k) : regexes != NULL ?
					 g_ptr_array_index(regexes, k) : NULL;

			if (own != NULL ? regex == NULL ||
					  !pd_sieve_regex_match(run, regex, value, captures) :
			    !pd_sieve_match_one(run, node, value, key, captures))
				continue;
			if (captures != NULL) {
				g_clear_pointer(&run->match, g_ptr_array_unref);
				run->match = g_steal_pointer(&captures);
			}
			return TRUE;
		}
	}
	return FALSE;
}

static void
header_values(PdSieveRun *run, GPtrArray *names, gboolean decoded, GPtrArray *values)
{
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *name = pd_sieve_expand(run, g_ptr_array_index(names, i));

		run->message->ops->header(run->message, name, decoded, values);
	}
	pd_sieve_run_charge(run, values->len);
}

static void
add_part(const PdSieveNode *node, const char *address, GPtrArray *values)
{
	char *part = pd_sieve_address_part(address, node->part);

	if (part != NULL)
		g_ptr_array_add(values, part);
}

static gboolean
test_envelope(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values)
{
	for (guint i = 0; i < node->first->len; i++) {
		g_autofree char *name = pd_sieve_expand(run, g_ptr_array_index(node->first, i));
		g_autofree char *part = g_ascii_strdown(name, -1);
		const char *address;

		if (strcmp(part, "from") != 0 && strcmp(part, "to") != 0 &&
		    strcmp(part, "auth") != 0)
			continue;
		address = run->message->ops->envelope(run->message, part);
		if (address == NULL)
			continue;
		if (*address == '\0')	/* the null sender: "" for every part */
			g_ptr_array_add(values, g_strdup(""));
		else
			add_part(node, address, values);
	}
	return match_values(run, node, values);
}

/* hasflag: the keys are flag lists too ("b A" is two flags, RFC 5232 5). */
static gboolean
test_hasflag(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values)
{
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < node->second->len; i++) {
		g_autofree char *text = pd_sieve_expand(run, g_ptr_array_index(node->second, i));

		flags_split(text, keys);
	}
	if (node->first == NULL) {
		g_autoptr(GPtrArray) flags = flags_of(run, NULL);

		for (guint i = 0; i < flags->len; i++)
			g_ptr_array_add(values, g_strdup(g_ptr_array_index(flags, i)));
	}
	for (guint v = 0; node->first != NULL && v < node->first->len; v++) {
		g_autoptr(GPtrArray) flags = flags_of(run, g_ptr_array_index(node->first, v));

		for (guint i = 0; i < flags->len; i++)
			g_ptr_array_add(values, g_strdup(g_ptr_array_index(flags, i)));
	}
	return match_expanded(run, node, values, keys, NULL);
}

/* body (RFC 5173): what the message gives for the transform. */
static gboolean
test_body(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values)
{
	g_autoptr(GPtrArray) types = NULL;
	gsize bytes = 0;

	if (run->message->ops->body == NULL)
		return match_values(run, node, values);
	if (node->transform == BODY_CONTENT) {
		types = expand_all(run, node->flags);
		g_ptr_array_add(types, NULL);
	}
	run->message->ops->body(run->message, node->transform == BODY_RAW,
				types != NULL ? (const char *const *) types->pdata : NULL, values);
	for (guint i = 0; i < values->len; i++)
		bytes += strlen(g_ptr_array_index(values, i));
	if (!pd_sieve_run_charge(run, values->len + bytes / 1024))
		return FALSE;
	return match_values(run, node, values);
}

static gboolean
test_eval(PdSieveRun *run, const PdSieveNode *node)
{
	g_autoptr(GPtrArray) values = NULL;
	const PdSieveNode *outer = run->node;
	gboolean result = FALSE;

	if (!pd_sieve_run_charge(run, 1))
		return FALSE;
	run->node = node;
	values = g_ptr_array_new_with_free_func(g_free);
	switch (node->op) {
	case OP_TRUE:
		result = TRUE;
		break;
	case OP_FALSE:
		break;
	case OP_NOT:
		result = !test_eval(run, g_ptr_array_index(node->tests, 0));
		break;
	case OP_ANYOF:
	case OP_ALLOF:
		result = node->op == OP_ALLOF;
		for (guint i = 0; i < node->tests->len && !run->stopped; i++) {
			if (test_eval(run, g_ptr_array_index(node->tests, i)) != result) {
				result = !result;
				break;
			}
		}
		break;
	case OP_EXISTS:
		result = TRUE;
		for (guint i = 0; i < node->first->len && result; i++) {
			g_autofree char *name = pd_sieve_expand(run, g_ptr_array_index(node->first, i));

			g_ptr_array_set_size(values, 0);
			run->message->ops->header(run->message, name, FALSE, values);
			result = values->len > 0;
		}
		break;
	case OP_SIZE: {
		guint64 size = run->message->ops->size(run->message);

		result = node->over ? size > node->number : size < node->number;
		break;
	}
	case OP_HEADER:
		header_values(run, node->first, TRUE, values);
		result = match_values(run, node, values);
		break;
	case OP_ADDRESS: {
		g_autoptr(GPtrArray) raw = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func(g_free);

		header_values(run, node->first, FALSE, raw);
		for (guint i = 0; i < raw->len; i++)
			pd_sieve_address_list(g_ptr_array_index(raw, i), addresses);
		pd_sieve_run_charge(run, addresses->len);
		for (guint i = 0; i < addresses->len; i++)
			add_part(node, g_ptr_array_index(addresses, i), values);
		result = match_values(run, node, values);
		break;
	}
	case OP_ENVELOPE:
		result = test_envelope(run, node, values);
		break;
	case OP_STRING:
		for (guint i = 0; i < node->first->len; i++) {
			char *text = pd_sieve_expand(run, g_ptr_array_index(node->first, i));

			/* :count counts the strings that are not empty (RFC 5229 5) */
			if (node->match == MATCH_COUNT && *text == '\0')
				g_free(text);
			else
				g_ptr_array_add(values, text);
		}
		result = match_values(run, node, values);
		break;
	case OP_HASFLAG:
		result = test_hasflag(run, node, values);
		break;
	case OP_BODY:
		result = test_body(run, node, values);
		break;
	case OP_SPAMTEST: {
		const char *score = run->message->ops->spamtest != NULL ?
				    run->message->ops->spamtest(run->message, node->percent) : NULL;

		g_ptr_array_add(values, g_strdup(score != NULL ? score : "0"));	/* 0: not tested */
		result = match_values(run, node, values);
		break;
	}
	case OP_EXTENSION: {
		PdSieveCall call = { run, node };

		result = node->command->run(&call, node->user_data);
		break;
	}
	default:
		g_assert_not_reached();
	}
	run->node = outer;
	return result && !run->stopped;
}

/* ---- commands ---- */

static void
exec_reject(PdSieveRun *run, const PdSieveNode *node)
{
	PdSieveActionKind kind = node->op == OP_REJECT ? PD_SIEVE_REJECT : PD_SIEVE_EREJECT;

	if (action_find(run, PD_SIEVE_REJECT, NULL) || action_find(run, PD_SIEVE_EREJECT, NULL)) {
		pd_sieve_run_error(run, "more than one reject or ereject");
		return;
	}
	if (action_find(run, PD_SIEVE_KEEP, NULL) || action_find(run, PD_SIEVE_FILEINTO, NULL)) {
		pd_sieve_run_error(run, "'%s' after keep or fileinto", node->name);
		return;
	}
	action_add(run, kind, pd_sieve_expand(run, g_ptr_array_index(node->first, 0)), NULL);
	run->implicit_keep = FALSE;
}

static gboolean
rejected(PdSieveRun *run)
{
	if (!action_find(run, PD_SIEVE_REJECT, NULL) && !action_find(run, PD_SIEVE_EREJECT, NULL))
		return FALSE;
	pd_sieve_run_error(run, "'%s' after reject", run->node->name);
	return TRUE;
}

static void exec_commands(PdSieveRun *run, GPtrArray *commands);

void
pd_sieve_exec_block(PdSieveRun *run, GPtrArray *commands)
{
	exec_commands(run, commands);
}

static void
exec_command(PdSieveRun *run, const PdSieveNode *node, gboolean *chain_taken)
{
	char *text, *address;

	switch (node->op) {
	case OP_REQUIRE:
		break;
	case OP_IF:
		*chain_taken = test_eval(run, g_ptr_array_index(node->tests, 0));
		if (*chain_taken)
			exec_commands(run, node->block);
		break;
	case OP_ELSIF:
		if (*chain_taken)
			break;
		*chain_taken = test_eval(run, g_ptr_array_index(node->tests, 0));
		if (*chain_taken)
			exec_commands(run, node->block);
		break;
	case OP_ELSE:
		if (!*chain_taken)
			exec_commands(run, node->block);
		break;
	case OP_STOP:
		run->stopped = TRUE;
		break;
	case OP_KEEP:
		if (!rejected(run))
			action_add(run, PD_SIEVE_KEEP, NULL, action_flags(run, node));
		break;
	case OP_DISCARD:
		action_add(run, PD_SIEVE_DISCARD, NULL, NULL);
		run->implicit_keep = FALSE;
		break;
	case OP_REDIRECT:
		text = pd_sieve_expand(run, g_ptr_array_index(node->first, 0));
		address = pd_sieve_redirect_address(text);
		if (address == NULL) {
			pd_sieve_run_error(run, "invalid redirect address \"%s\"", text);
			g_free(text);
			break;
		}
		g_free(text);
		text = address;
		if (!action_find(run, PD_SIEVE_REDIRECT, text) &&
		    ++run->redirects > run->script->limits.max_redirects) {
			pd_sieve_run_error(run, "more than %u redirects",
					   run->script->limits.max_redirects);
			g_free(text);
			break;
		}
		action_add(run, PD_SIEVE_REDIRECT, text, NULL);
		run->implicit_keep = run->implicit_keep && node->copy;
		break;
	case OP_FILEINTO:
		if (rejected(run))
			break;
		text = pd_sieve_expand(run, g_ptr_array_index(node->first, 0));
		if (*text == '\0' || !g_utf8_validate(text, -1, NULL)) {
			pd_sieve_run_error(run, "invalid mailbox name");
			g_free(text);
			break;
		}
		action_add(run, PD_SIEVE_FILEINTO, text, action_flags(run, node));
		run->implicit_keep = run->implicit_keep && node->copy;
		break;
	case OP_SET: {
		g_autofree char *value = pd_sieve_expand(run, g_ptr_array_index(node->second, 0));

		pd_sieve_variable_set(run, g_ptr_array_index(node->first, 0), value,
				      node->modifiers);
		break;
	}
	case OP_SETFLAG:
	case OP_ADDFLAG:
	case OP_REMOVEFLAG:
		exec_flags(run, node);
		break;
	case OP_REJECT:
	case OP_EREJECT:
		exec_reject(run, node);
		break;
	case OP_EXTENSION: {
		PdSieveCall call = { run, node };

		node->command->run(&call, node->user_data);
		break;
	}
	default:
		g_assert_not_reached();
	}
}

static void
exec_commands(PdSieveRun *run, GPtrArray *commands)
{
	gboolean chain_taken = FALSE;

	for (guint i = 0; i < commands->len && !run->stopped; i++) {
		const PdSieveNode *node = g_ptr_array_index(commands, i);
		const PdSieveNode *outer = run->node;

		run->node = node;
		if (pd_sieve_run_charge(run, 1))
			exec_command(run, node, &chain_taken);
		run->node = outer;
	}
}

PdSieveResult *
pd_sieve_run(const PdSieveScript *script, PdSieveMessage *message)
{
	PdSieveRun run = { .script = script, .message = message, .implicit_keep = TRUE };
	PdSieveResult *result = g_new0(PdSieveResult, 1);

	g_return_val_if_fail(!script->limits.syntax_only, NULL);
	result->actions = g_ptr_array_new_with_free_func((GDestroyNotify) action_free);
	result->errors = g_ptr_array_new_with_free_func(g_free);
	run.result = result;
	run.internal_flags = g_ptr_array_new_with_free_func(g_free);
	exec_commands(&run, script->commands);
	run.node = NULL;
	if (result->failed) {
		g_ptr_array_set_size(result->actions, 0);
		run.implicit_keep = TRUE;
		g_ptr_array_set_size(run.internal_flags, 0);
	}
	if (run.implicit_keep && !action_find(&run, PD_SIEVE_KEEP, NULL)) {
		PdSieveAction *keep = g_new0(PdSieveAction, 1);

		keep->kind = PD_SIEVE_KEEP;
		keep->implicit = TRUE;
		keep->flags = action_flags(&run, NULL);
		g_ptr_array_add(result->actions, keep);
	}
	g_clear_pointer(&run.variables, g_hash_table_unref);
	g_clear_pointer(&run.match, g_ptr_array_unref);
	g_ptr_array_unref(run.internal_flags);
	return result;
}

void
pd_sieve_result_free(PdSieveResult *result)
{
	if (result == NULL)
		return;
	g_ptr_array_unref(result->actions);
	g_ptr_array_unref(result->errors);
	g_free(result);
}
