/* pd-sieve-call: what an extension's command sees of itself when it runs
 * (PdSieveCall, pd-sieve.h): its arguments, expanded, and the run.
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

static const PdSieveArg *
positional(PdSieveCall *call, guint index)
{
	GPtrArray *args = call->node->positional;

	return args != NULL && index < args->len ? g_ptr_array_index(args, index) : NULL;
}

guint
pd_sieve_call_positional(PdSieveCall *call)
{
	return call->node->positional != NULL ? call->node->positional->len : 0;
}

char *
pd_sieve_call_string(PdSieveCall *call, guint index)
{
	const PdSieveArg *arg = positional(call, index);

	if (arg == NULL || arg->strings == NULL || arg->strings->len == 0)
		return NULL;
	return pd_sieve_expand(call->run, g_ptr_array_index(arg->strings, 0));
}

GPtrArray *
pd_sieve_call_strings(PdSieveCall *call, guint index)
{
	const PdSieveArg *arg = positional(call, index);
	GPtrArray *strings;

	if (arg == NULL || arg->strings == NULL)
		return NULL;
	strings = g_ptr_array_new_full(arg->strings->len, g_free);
	for (guint i = 0; i < arg->strings->len; i++)
		g_ptr_array_add(strings, pd_sieve_expand(call->run,
							 g_ptr_array_index(arg->strings, i)));
	return strings;
}

guint64
pd_sieve_call_number(PdSieveCall *call, guint index)
{
	const PdSieveArg *arg = positional(call, index);

	return arg != NULL ? arg->number : 0;
}

/* The tag's argument index, or -1. */
static gint
tag_index(PdSieveCall *call, const char *tag)
{
	GPtrArray *args = call->node->args;

	for (guint i = 0; i < args->len; i++) {
		const PdSieveArg *arg = g_ptr_array_index(args, i);

		if (arg->kind == ARG_TAG && strcmp(arg->tag, tag) == 0)
			return (gint) i;
	}
	return -1;
}

gboolean
pd_sieve_call_has_tag(PdSieveCall *call, const char *tag)
{
	return tag_index(call, tag) >= 0;
}

static const PdSieveArg *
tag_value(PdSieveCall *call, const char *tag)
{
	gint i = tag_index(call, tag);

	if (i < 0 || (guint) i + 1 >= call->node->args->len)
		return NULL;
	return g_ptr_array_index(call->node->args, i + 1);
}

char *
pd_sieve_call_tag_string(PdSieveCall *call, const char *tag)
{
	const PdSieveArg *value = tag_value(call, tag);

	if (value == NULL || value->strings == NULL)
		return NULL;
	return pd_sieve_expand(call->run, g_ptr_array_index(value->strings, 0));
}

gboolean
pd_sieve_call_tag_number(PdSieveCall *call, const char *tag, guint64 *number_r)
{
	const PdSieveArg *value = tag_value(call, tag);

	if (value == NULL || value->kind != ARG_NUMBER)
		return FALSE;
	*number_r = value->number;
	return TRUE;
}

gboolean
pd_sieve_call_match(PdSieveCall *call, GPtrArray *values, guint key_index)
{
	const PdSieveArg *keys = positional(call, key_index);

	if (keys == NULL || keys->strings == NULL)
		return FALSE;
	return pd_sieve_match_keys(call->run, call->node, values, keys->strings);
}

void
pd_sieve_call_run_block(PdSieveCall *call)
{
	const PdSieveNode *outer = call->run->node;

	if (call->node->block == NULL)
		return;
	pd_sieve_exec_block(call->run, call->node->block);
	call->run->node = outer;
	if (!call->run->result->failed)
		call->run->stopped = FALSE;	/* a stop ends this block only */
}

void
pd_sieve_call_stop(PdSieveCall *call)
{
	call->run->stopped = TRUE;
}

PdSieveMessage *
pd_sieve_call_message(PdSieveCall *call)
{
	return call->run->message;
}

guint
pd_sieve_call_line(PdSieveCall *call)
{
	return call->node->line;
}

void
pd_sieve_call_error(PdSieveCall *call, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pd_sieve_run_error(call->run, "%s", text);
}
