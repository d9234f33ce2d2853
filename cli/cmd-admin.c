/* cmd-admin: helpers of the admin subcommands (see cmd-admin.h). */
#include "cmd-admin.h"
#include "core/pd-address.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static gboolean admin_json;
static char *admin_actor;

static const GOptionEntry common_entries[] = {
	{ "json", 0, 0, G_OPTION_ARG_NONE, &admin_json, "Print JSON for scripts", NULL },
	{ "actor", 0, 0, G_OPTION_ARG_STRING, &admin_actor,
	  "Who makes the change (audit trail; default: the Unix user)", "NAME" },
	G_OPTION_ENTRY_NULL
};

static char *
admin_default_actor(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		return g_strdup(pw->pw_name);
	return g_strdup_printf("uid %u", (unsigned)getuid());
}

int
pd_admin_args_parse(PdAdminArgs *args, const char *command, const char *usage,
		    const GOptionEntry *entries, int min_args, int max_args,
		    int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *title = NULL;
	char **parse_argv;
	int parse_argc = argc;

	memset(args, 0, sizeof(*args));
	args->command = command;
	args->verb = argv[0];
	args->usage = usage;
	admin_json = FALSE;
	g_clear_pointer(&admin_actor, g_free);

	title = g_strdup_printf("- postdesk %s", usage);
	args->context = g_option_context_new(NULL);
	g_option_context_set_summary(args->context, title);
	g_option_context_set_help_enabled(args->context, TRUE);
	g_option_context_add_main_entries(args->context, common_entries, NULL);
	if (entries != NULL)
		g_option_context_add_main_entries(args->context, entries, NULL);
	/* GOption permutes and may drop elements: give it a copy it owns. */
	args->args_copy = g_new0(char *, argc + 1);
	for (int i = 0; i < argc; i++)
		args->args_copy[i] = argv[i];
	parse_argv = args->args_copy;
	if (!g_option_context_parse(args->context, &parse_argc, &parse_argv, &error))
		return pd_cli_usage(usage, "%s %s: %s", command, args->verb, error->message);
	args->json = admin_json;
	args->actor = admin_actor != NULL ? g_strdup(admin_actor) : admin_default_actor();
	args->argc = parse_argc - 1;
	args->argv = parse_argv + 1;
	for (int i = 0; i < args->argc; i++) {
		if (args->argv[i][0] == '-' && args->argv[i][1] != '\0')
			return pd_cli_usage(usage, "%s %s: unknown option %s", command,
					    args->verb, args->argv[i]);
	}
	if (args->argc < min_args)
		return pd_cli_usage(usage, "%s %s: missing argument", command, args->verb);
	if (args->argc > max_args)
		return pd_cli_usage(usage, "%s %s: unexpected argument \"%s\"", command,
				    args->verb, args->argv[max_args]);
	if (args->actor[0] == '\0')
		return pd_admin_bad(args, "--actor must not be empty");
	return 0;
}

void
pd_admin_args_clear(PdAdminArgs *args)
{
	g_clear_pointer(&args->context, g_option_context_free);
	g_clear_pointer(&args->args_copy, g_free);
	g_clear_pointer(&args->actor, g_free);
	g_clear_pointer(&admin_actor, g_free);
}

int
pd_admin_bad(const PdAdminArgs *args, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "postdesk %s %s: %s\n", args->command, args->verb, text);
	return PD_EX_USAGE;
}

int
pd_admin_fail(const PdAdminArgs *args, const GError *error)
{
	g_autofree char *line = g_strdup(error->message);

	g_strdelimit(line, "\r\n", ' ');
	fprintf(stderr, "postdesk %s %s: %s\n", args->command, args->verb, line);
	return pd_error_to_sysexit(error);
}

char *
pd_admin_address(const PdAdminArgs *args, PdConfig *config, const char *text, int *exit_r)
{
	g_autoptr(GError) error = NULL;
	PdAddress address = { 0 };
	char *canonical;

	if (!pd_address_parse(text, config->recipient_delimiter, &address, &error) ||
	    address.domain == NULL) {
		*exit_r = pd_admin_bad(args, "invalid address \"%s\"%s%s", text,
				       error != NULL ? ": " : "",
				       error != NULL ? error->message : "");
		pd_address_clear(&address);
		return NULL;
	}
	canonical = pd_address_canonical(&address);
	pd_address_clear(&address);
	return canonical;
}

char *
pd_admin_domain(const PdAdminArgs *args, const char *text, int *exit_r)
{
	g_autofree char *probe = NULL;
	g_autofree char *canonical = NULL;
	const char *at;

	if (text == NULL || strchr(text, '@') != NULL || strchr(text, '.') == NULL) {
		*exit_r = pd_admin_bad(args, "invalid domain \"%s\"", text != NULL ? text : "");
		return NULL;
	}
	probe = g_strconcat("postmaster-probe@", text, NULL);
	canonical = pd_address_canonicalize(probe, NULL);
	at = canonical != NULL ? strrchr(canonical, '@') : NULL;
	if (at == NULL || !g_regex_match_simple("^[a-z0-9._-]+$", at + 1, 0, 0)) {
		*exit_r = pd_admin_bad(args, "invalid domain \"%s\"", text);
		return NULL;
	}
	return g_strdup(at + 1);
}

char **
pd_admin_canonical_list(const PdAdminArgs *args, PdConfig *config, char **list,
			gboolean domains, int *exit_r)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

	*exit_r = 0;
	if (list == NULL)
		return NULL;
	for (char **p = list; *p != NULL; p++) {
		char *one = domains ? pd_admin_domain(args, *p, exit_r)
				    : pd_admin_address(args, config, *p, exit_r);

		if (one == NULL)
			return NULL;
		g_ptr_array_add(out, one);
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

char **
pd_admin_permissions(const PdAdminArgs *args, const char *text, int *exit_r)
{
	g_auto(GStrv) parts = g_strsplit(text, ",", -1);
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	guint i;

	for (char **p = parts; *p != NULL; p++) {
		g_strstrip(*p);
		if (**p == '\0')
			continue;
		if (!pd_config_permission_valid(*p)) {
			g_autofree char *known = g_strjoinv(", ", (char **)pd_config_permissions());

			*exit_r = pd_admin_bad(args, "unknown permission \"%s\" (known: %s)",
					       *p, known);
			return NULL;
		}
		for (i = 0; i < out->len && strcmp(out->pdata[i], *p) != 0; i++)
			;
		if (i == out->len)
			g_ptr_array_add(out, g_strdup(*p));
	}
	if (out->len == 0) {
		*exit_r = pd_admin_bad(args, "--permissions needs at least one permission");
		return NULL;
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

char *
pd_admin_date(const PdAdminArgs *args, const char *text, int *exit_r)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	int y, m, d;
	char tail;

	if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || strlen(text) != 10 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y)) {
		*exit_r = pd_admin_bad(args, "invalid date \"%s\" (want YYYY-MM-DD)", text);
		return NULL;
	}
	if (y * 10000 + m * 100 + d <= g_date_time_get_year(now) * 10000 +
				       g_date_time_get_month(now) * 100 +
				       g_date_time_get_day_of_month(now)) {
		*exit_r = pd_admin_bad(args, "expiry date %s is not in the future", text);
		return NULL;
	}
	return g_strdup(text);
}

static void
print_record(const PdAdminTable *table)
{
	guint width = 0;
	char **values = table->rows->pdata[0];

	for (guint c = 0; c < table->n_columns; c++)
		width = MAX(width, (guint)strlen(table->columns[c]));
	for (guint c = 0; c < table->n_columns; c++)
		printf("%-*s  %s\n", (int)width + 1, table->columns[c],
		       values[c] != NULL ? values[c] : "-");
}

static void
print_rows(const PdAdminTable *table)
{
	g_autofree guint *width = g_new0(guint, table->n_columns);

	if (table->rows->len == 0) {
		printf("(none)\n");
		return;
	}
	for (guint c = 0; c < table->n_columns; c++) {
		width[c] = g_utf8_strlen(table->columns[c], -1);
		for (guint r = 0; r < table->rows->len; r++) {
			const char *v = ((char **)table->rows->pdata[r])[c];

			width[c] = MAX(width[c], (guint)g_utf8_strlen(v != NULL ? v : "-", -1));
		}
	}
	for (guint c = 0; c < table->n_columns; c++)
		printf("%s%-*s", c > 0 ? "  " : "", c + 1 < table->n_columns ? (int)width[c] : 0,
		       table->columns[c]);
	printf("\n");
	for (guint r = 0; r < table->rows->len; r++) {
		char **values = table->rows->pdata[r];

		for (guint c = 0; c < table->n_columns; c++) {
			const char *v = values[c] != NULL ? values[c] : "-";
			/* pad by characters, not bytes */
			int pad = c + 1 < table->n_columns
				? (int)width[c] - (int)g_utf8_strlen(v, -1) : 0;

			printf("%s%s%*s", c > 0 ? "  " : "", v, MAX(pad, 0), "");
		}
		printf("\n");
	}
}

void
pd_admin_print_tables(GPtrArray *tables)
{
	for (guint i = 0; i < tables->len; i++) {
		const PdAdminTable *table = tables->pdata[i];

		if (table->title != NULL)
			printf("\n%s:\n", table->title);
		if (i == 0 && tables->len > 1 && table->rows->len == 1)
			print_record(table);
		else
			print_rows(table);
	}
}

int
pd_admin_print_read(const PdAdminArgs *args, PdStore *store, PdAdminQuery query,
		    const char *key)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) tables = NULL;
	g_autofree char *json = NULL;

	if (!pd_store_admin_read(store, query, key, args->json ? NULL : &tables,
				 args->json ? &json : NULL, &error))
		return pd_admin_fail(args, error);
	if (args->json)
		printf("%s\n", json);
	else
		pd_admin_print_tables(tables);
	return fflush(stdout) == 0 ? PD_EX_OK : PD_EX_IOERR;
}
