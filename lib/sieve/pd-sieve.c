/* pd-sieve: compiling a script (lexer, parser, validation) and what a run
 * leaves behind (the result and its text form).
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

void
pd_sieve_limits_init(PdSieveLimits *limits)
{
	*limits = (PdSieveLimits) {
		.max_script = 1024 * 1024,
		.max_nesting = 32,
		.max_string = 64 * 1024,
		.max_list = 1024,
		.max_errors = 20,
		.max_steps = 1000000,
		.max_redirects = 16,
		.max_actions = 64,
		.max_variable = 4096,
		.max_variables = 256,
	};
}

void
pd_sieve_diag_error(PdSieveDiag *diag, guint line, guint col, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	if (diag->gave_up)
		return;
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(diag->errors, g_strdup_printf("%s:%u:%u: %s", diag->name, line, col, text));
	if (diag->errors->len >= diag->limits->max_errors) {
		g_ptr_array_add(diag->errors,
				g_strdup_printf("%s:%u:%u: too many errors, giving up", diag->name,
						line, col));
		diag->gave_up = TRUE;
	}
}

PdSieveScript *
pd_sieve_compile(const char *name, const char *text, gsize len, const PdSieveLimits *limits,
		 GPtrArray **errors_r)
{
	return pd_sieve_compile_with(name, text, len, limits, NULL, errors_r);
}

PdSieveScript *
pd_sieve_compile_with(const char *name, const char *text, gsize len,
		      const PdSieveLimits *limits, const PdSieveExtension *const *extensions,
		      GPtrArray **errors_r)
{
	PdSieveScript *script;
	PdSieveDiag diag = { .name = name };
	guint n = 0;

	while (extensions != NULL && extensions[n] != NULL)
		n++;
	g_return_val_if_fail(n <= 16, NULL);
	script = g_new0(PdSieveScript, 1);

	if (limits != NULL)
		script->limits = *limits;
	else
		pd_sieve_limits_init(&script->limits);
	script->name = g_strdup(name);
	script->extensions = extensions;
	diag.limits = &script->limits;
	diag.errors = g_ptr_array_new_with_free_func(g_free);
	if (len > script->limits.max_script) {
		pd_sieve_diag_error(&diag, 1, 1, "script longer than %" G_GSIZE_FORMAT " bytes",
				    script->limits.max_script);
	} else if (memchr(text, '\0', len) != NULL) {
		pd_sieve_diag_error(&diag, 1, 1, "script contains a NUL byte");
	} else {
		script->commands = pd_sieve_parse(&diag, text, len);
		if (!script->limits.syntax_only && diag.errors->len == 0)
			pd_sieve_validate(&diag, script);
	}
	if (diag.errors->len > 0) {
		pd_sieve_script_free(script);
		if (errors_r != NULL)
			*errors_r = diag.errors;
		else
			g_ptr_array_unref(diag.errors);
		return NULL;
	}
	g_ptr_array_unref(diag.errors);
	if (errors_r != NULL)
		*errors_r = NULL;
	return script;
}

void
pd_sieve_script_free(PdSieveScript *script)
{
	if (script == NULL)
		return;
	g_free(script->name);
	g_clear_pointer(&script->commands, g_ptr_array_unref);
	g_free(script);
}

gboolean
pd_sieve_script_requires(const PdSieveScript *script, const char *capability)
{
	guint bit = pd_sieve_capability_lookup(capability);

	for (guint i = 0; script->extensions != NULL && script->extensions[i] != NULL; i++)
		if (strcmp(script->extensions[i]->capability, capability) == 0)
			return (script->extensions_required & (1u << i)) != 0;
	return bit != 0 && (script->capabilities & bit) != 0;
}

const char *
pd_sieve_action_name(PdSieveActionKind kind)
{
	switch (kind) {
	case PD_SIEVE_KEEP: return "keep";
	case PD_SIEVE_FILEINTO: return "fileinto";
	case PD_SIEVE_REDIRECT: return "redirect";
	case PD_SIEVE_DISCARD: return "discard";
	case PD_SIEVE_REJECT: return "reject";
	case PD_SIEVE_EREJECT: return "ereject";
	}
	return "?";
}

static void
append_quoted(GString *out, const char *text)
{
	g_string_append_c(out, '"');
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

char *
pd_sieve_result_to_string(const PdSieveResult *result)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < result->actions->len; i++) {
		const PdSieveAction *action = g_ptr_array_index(result->actions, i);

		if (i > 0)
			g_string_append_c(out, '\n');
		g_string_append(out, pd_sieve_action_name(action->kind));
		if (action->argument != NULL) {
			g_string_append_c(out, ' ');
			append_quoted(out, action->argument);
		}
		if (action->copy)
			g_string_append(out, " :copy");
		if (action->flags != NULL) {
			g_string_append(out, " :flags [");
			for (guint f = 0; f < action->flags->len; f++) {
				if (f > 0)
					g_string_append(out, ", ");
				append_quoted(out, g_ptr_array_index(action->flags, f));
			}
			g_string_append_c(out, ']');
		}
		if (action->implicit)
			g_string_append(out, " (implicit)");
	}
	return g_string_free(out, FALSE);
}
