/* pd-sieve-testsuite ROOT FILE...: Pigeonhole's test suite (its .svtest
 * files, ROOT the corpus, see its SOURCE.txt) run through lib/sieve, one
 * process for every file.  The subset of Pigeonhole's vnd.dovecot.testsuite
 * extension those files use is a test-only PdSieveExtension here (test,
 * test_fail, test_set, test_script_compile, test_script_run,
 * test_result_action, test_result_reset, test_result_execute, test_error,
 * test_mailbox_create, test_binary_save/load, test_config_set/unset/reload
 * for spamtest); it is never linked into postdeskd.
 *
 * --pipeline ROOT FILE...: the same over lib/filter's message (PdMail, as
 * postdeskd's rules read mail) instead of the runner's GMime adapter.
 * --compile SCRIPT... prints the compile errors of each script instead.
 *
 * One line per outcome, tab-separated, for tests/corpus/
 * test_sieve_pigeonhole.py (which holds the accepted list):
 *   pass  FILE  TEST
 *   fail  FILE  TEST  WHY
 *   skip  FILE  *     WHY     the file does not compile (an extension or a
 *                             testsuite command we lack: the first error)
 *   error FILE  *     WHY     the file's run stopped outside a test block
 */
#include <gmime/gmime.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/pd-filter-private.h"
#include "mail/pd-mail.h"
#include "sieve/pd-sieve.h"

/* ---- the message test_set describes ---- */
typedef struct {
	PdSieveMessage message;
	PdSieveMessage *facts;		/* the headers of text */
	char *text, *from, *to, *auth;
	GHashTable *config;		/* test_config_set: name -> value */
	char spam[8];			/* the spamtest value last asked */
	/* --pipeline: the scripts read lib/filter's message over PdMail (the
	 * one postdeskd's rules read) instead of the adapter below */
	gboolean pipeline;
	PdFilterRun run;		/* its message; at a fixed address */
	PdFilterInput input;
	PdEnvelope envelope;
	PdMail *mail;
	GBytes *raw;
} SuiteMessage;

static void
suite_header(PdSieveMessage *message, const char *name, gboolean decoded, GPtrArray *values)
{
	SuiteMessage *suite = (SuiteMessage *) message;
	guint first = values->len;

	suite->facts->ops->header(suite->facts, name, FALSE, values);
	for (guint i = first; decoded && i < values->len; i++) {
		char *text = g_mime_utils_header_decode_text(NULL, g_ptr_array_index(values, i));

		g_free(values->pdata[i]);
		values->pdata[i] = text;
	}
}

static const char *
suite_envelope(PdSieveMessage *message, const char *part)
{
	SuiteMessage *suite = (SuiteMessage *) message;

	return strcmp(part, "from") == 0 ? suite->from : strcmp(part, "to") == 0 ? suite->to :
	       strcmp(part, "auth") == 0 ? suite->auth : NULL;
}

static guint64
suite_size(PdSieveMessage *message)
{
	return strlen(((SuiteMessage *) message)->text);
}

/* "" any, "text" the type, "text/plain" type and subtype */
static gboolean
suite_type_matches(GMimeContentType *type, const char *wanted)
{
	g_auto(GStrv) parts = g_strsplit(wanted, "/", 2);

	if (*wanted == '\0')
		return TRUE;
	if (g_ascii_strcasecmp(g_mime_content_type_get_media_type(type), parts[0]) != 0)
		return FALSE;
	return parts[1] == NULL ||
	       g_ascii_strcasecmp(g_mime_content_type_get_media_subtype(type), parts[1]) == 0;
}

typedef struct {
	const char *const *types;
	GPtrArray *values;
} BodyWalk;

static void
suite_body_part(GMimeObject *parent, GMimeObject *part, gpointer user_data)
{
	BodyWalk *walk = user_data;
	GMimeContentType *type = g_mime_object_get_content_type(part);
	const char *const text[] = { "text", "application/xhtml+xml", NULL };
	const char *charset;
	gboolean wanted = FALSE, html;
	GMimeDataWrapper *content;
	GMimeStream *stream;
	GByteArray *bytes;
	char *utf8;

	if (!GMIME_IS_PART(part))
		return;
	for (const char *const *t = walk->types != NULL ? walk->types : text; *t != NULL; t++)
		wanted = wanted || suite_type_matches(type, *t);
	content = g_mime_part_get_content(GMIME_PART(part));
	if (!wanted || content == NULL)
		return;
	stream = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, stream);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	charset = g_mime_content_type_get_parameter(type, "charset");
	utf8 = charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 ?
	       g_convert((const char *) bytes->data, bytes->len, "UTF-8", charset, NULL, NULL,
			 NULL) : NULL;
	if (utf8 == NULL)
		utf8 = bytes->len > 0 ? g_strndup((const char *) bytes->data, bytes->len) :
		       g_strdup("");
	/* :text reads HTML as text, as the pipeline's PdMail does */
	html = suite_type_matches(type, "text/html") ||
	       suite_type_matches(type, "application/xhtml+xml");
	if (walk->types == NULL && html) {
		char *plain = pd_mail_html_to_text(utf8, strlen(utf8));

		g_free(utf8);
		utf8 = plain;
	}
	g_ptr_array_add(walk->values, utf8);
	g_object_unref(stream);
}

static void
suite_body(PdSieveMessage *message, gboolean raw, const char *const *content_types,
	   GPtrArray *values)
{
	SuiteMessage *suite = (SuiteMessage *) message;
	const char *end = strstr(suite->text, "\r\n\r\n");
	const char *lf = strstr(suite->text, "\n\n");
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *mime;
	BodyWalk walk = { content_types, values };

	if (end == NULL && lf == NULL)
		return;	/* a header only: no body at all (RFC 5173 5) */
	if (raw) {
		if (end == NULL || (lf != NULL && lf < end))
			end = lf != NULL ? lf + 2 : NULL;
		else
			end += 4;
		g_ptr_array_add(values, g_strdup(end != NULL ? end : ""));
		return;
	}
	stream = g_mime_stream_mem_new_with_buffer(suite->text, strlen(suite->text));
	parser = g_mime_parser_new_with_stream(stream);
	mime = g_mime_parser_construct_message(parser, NULL);
	if (mime != NULL) {
		GMimeObject *top = g_mime_message_get_mime_part(mime);

		if (top != NULL && GMIME_IS_PART(top))
			suite_body_part(NULL, top, &walk);
		else
			g_mime_message_foreach(mime, suite_body_part, &walk);
		g_object_unref(mime);
	}
	g_object_unref(parser);
	g_object_unref(stream);
}

/* ---- spamtest as Pigeonhole's configuration describes it ----
 * sieve_spamtest_status_header "NAME" or "NAME:REGEX" (the value is group
 * 1), sieve_spamtest_status_type score|strlen|text, the maximum from
 * sieve_spamtest_score_max_header (the same form) or _score_max_value, and
 * sieve_spamtest_text_value/N for text.  The pipeline's own score feeds
 * spamtest in postdesk; this is only how the suite's files describe it. */
static char *
suite_header_spec(SuiteMessage *suite, const char *spec)
{
	g_autofree char *name = g_strdup(spec);
	char *colon = strchr(name, ':');
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	regex_t re;
	regmatch_t match[2];
	char *value = NULL;

	if (colon != NULL)
		*colon++ = '\0';
	suite->facts->ops->header(suite->facts, g_strstrip(name), FALSE, values);
	if (values->len == 0)
		return NULL;
	if (colon == NULL)
		return g_strdup(g_ptr_array_index(values, 0));
	while (*colon == ' ' || *colon == '\t')
		colon++;
	if (regcomp(&re, colon, REG_EXTENDED) != 0)
		return NULL;
	if (regexec(&re, g_ptr_array_index(values, 0), 2, match, 0) == 0 && match[1].rm_so >= 0)
		value = g_strndup((char *) g_ptr_array_index(values, 0) + match[1].rm_so,
				  match[1].rm_eo - match[1].rm_so);
	regfree(&re);
	return value;
}

static const char *
suite_spamtest(PdSieveMessage *message, gboolean percent)
{
	SuiteMessage *suite = (SuiteMessage *) message;
	const char *spec = g_hash_table_lookup(suite->config, "sieve_spamtest_status_header");
	const char *type = g_hash_table_lookup(suite->config, "sieve_spamtest_status_type");
	const char *max_spec = g_hash_table_lookup(suite->config,
						   "sieve_spamtest_score_max_header");
	const char *max_value = g_hash_table_lookup(suite->config,
						    "sieve_spamtest_score_max_value");
	g_autofree char *value = spec != NULL ? suite_header_spec(suite, spec) : NULL;
	g_autofree char *max_text = max_spec != NULL ? suite_header_spec(suite, max_spec) :
				    g_strdup(max_value);
	double score, max, ratio;
	char *end;

	if (value == NULL)
		return NULL;
	if (type != NULL && strcmp(type, "text") == 0) {
		for (int n = 0; n <= 10; n++) {
			g_autofree char *key = g_strdup_printf("sieve_spamtest_text_value/%d", n);
			const char *text = g_hash_table_lookup(suite->config, key);

			if (text != NULL && strcmp(text, g_strstrip(value)) == 0) {
				g_snprintf(suite->spam, sizeof(suite->spam), "%d",
					   percent ? n * 10 : n);
				return suite->spam;
			}
		}
		return NULL;
	}
	if (max_text == NULL || (max = g_ascii_strtod(max_text, &end)) <= 0)
		return NULL;
	if (type != NULL && strcmp(type, "strlen") == 0) {
		score = strlen(g_strstrip(value));
	} else {
		score = g_ascii_strtod(value, &end);
		if (end == value)
			return NULL;
	}
	ratio = CLAMP(score / max, 0.0, 1.0);
	if (percent)
		g_snprintf(suite->spam, sizeof(suite->spam), "%d", (int) lround(ratio * 100));
	else
		g_snprintf(suite->spam, sizeof(suite->spam), "%d",
			   MIN(10, 1 + (int) floor(ratio * 9)));
	return suite->spam;
}

static const PdSieveMessageOps suite_ops = { suite_header, suite_envelope, suite_size,
					     suite_body, suite_spamtest };

/* the pipeline message's spamtest: the suite's configuration, as above
 * (the runner is one thread, one file at a time) */
static SuiteMessage *pipeline_owner;

static const char *
pipeline_spamtest(PdSieveMessage *message, gboolean percent)
{
	return suite_spamtest(&pipeline_owner->message, percent);
}

static PdSieveMessageOps pipeline_ops;

static void
suite_pipeline_rebuild(SuiteMessage *suite)
{
	g_autoptr(GError) error = NULL;

	if (suite->run.message.ops != NULL)
		pd_filter_run_clear(&suite->run);
	g_clear_pointer(&suite->mail, pd_mail_free);
	g_clear_pointer(&suite->raw, g_bytes_unref);
	suite->raw = g_bytes_new(suite->text, strlen(suite->text));
	suite->mail = pd_mail_parse(suite->raw, NULL, &error);
	memset(&suite->input, 0, sizeof(suite->input));
	suite->input.mail = suite->mail;
	suite->input.raw = suite->raw;
	suite->input.envelope = &suite->envelope;
	suite->envelope.mail_from = suite->from;
	suite->input.recipient = suite->to;
	pd_filter_run_init(&suite->run, &suite->input, "suite", 0, 10);
	pipeline_ops = *suite->run.message.ops;
	pipeline_ops.spamtest = pipeline_spamtest;
	suite->run.message.ops = &pipeline_ops;
	pipeline_owner = suite;
}

static void
suite_message_rebuild(SuiteMessage *suite)
{
	const char *end = strstr(suite->text, "\r\n\r\n");
	const char *lf = strstr(suite->text, "\n\n");
	g_autofree char *headers = NULL;

	if (end == NULL || (lf != NULL && lf < end))
		end = lf;
	headers = end != NULL ? g_strndup(suite->text, end - suite->text) : g_strdup(suite->text);
	g_clear_pointer(&suite->facts, pd_sieve_facts_free);
	suite->facts = pd_sieve_facts_new(headers, NULL, NULL, 1);
	if (suite->pipeline)
		suite_pipeline_rebuild(suite);
}

/* what the scripts read */
static PdSieveMessage *
suite_message(SuiteMessage *suite)
{
	return suite->pipeline ? &suite->run.message : &suite->message;
}

/* ---- the state of one .svtest file ---- */
typedef struct {
	const char *file;
	char *dir;
	SuiteMessage message;
	PdSieveScript *script;		/* test_script_compile */
	GPtrArray *errors;		/* its errors, or the last run's; char * */
	gboolean compile_failed;	/* errors are the compile's */
	PdSieveResult *result;		/* test_script_run */
	GHashTable *binaries;		/* test_binary_save: name -> the script's path */
	char *script_path;		/* the path test_script_compile read */
	gboolean failed;		/* the running test block */
	char *why;
} Suite;

/* one outcome line; tabs and line ends in WHY become spaces */
static void
suite_print(const char *verdict, const char *file, const char *test, const char *why)
{
	g_autofree char *name = g_strdup(test);
	g_autofree char *text = g_strdup(why != NULL ? why : "");

	g_strdelimit(name, "\t\r\n", ' ');
	g_strdelimit(text, "\t\r\n", ' ');
	printf("%s\t%s\t%s%s%s\n", verdict, file, name, why != NULL ? "\t" : "", text);
}

static gboolean
suite_test(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;
	g_autofree char *name = pd_sieve_call_string(call, 0);

	suite->failed = FALSE;
	g_clear_pointer(&suite->why, g_free);
	pd_sieve_call_run_block(call);
	if (suite->failed)
		suite_print("fail", suite->file, name, suite->why != NULL ? suite->why : "");
	else
		suite_print("pass", suite->file, name, NULL);
	return TRUE;
}

static gboolean
suite_fail(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;

	suite->failed = TRUE;
	g_free(suite->why);
	suite->why = pd_sieve_call_string(call, 0);
	pd_sieve_call_stop(call);
	return TRUE;
}

static gboolean
suite_set(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;
	g_autofree char *part = pd_sieve_call_string(call, 0);
	char *value = pd_sieve_call_string(call, 1);
	char **slot = strcmp(part, "message") == 0 ? &suite->message.text :
		      strcmp(part, "envelope.from") == 0 ? &suite->message.from :
		      strcmp(part, "envelope.to") == 0 ? &suite->message.to :
		      strcmp(part, "envelope.auth") == 0 ? &suite->message.auth : NULL;

	if (slot == NULL) {
		suite->failed = TRUE;
		g_free(suite->why);
		suite->why = g_strdup_printf("test_set \"%s\" is not implemented", part);
		g_free(value);
		pd_sieve_call_stop(call);
		return TRUE;
	}
	if (slot != &suite->message.text) {
		/* the LMTP engine hands over a path without <> and source route */
		gsize len = strlen(value);
		char *colon;

		if (len >= 2 && value[0] == '<' && value[len - 1] == '>') {
			memmove(value, value + 1, len - 2);
			value[len - 2] = '\0';
		}
		if (value[0] == '@' && (colon = strchr(value, ':')) != NULL)
			memmove(value, colon + 1, strlen(colon + 1) + 1);
	}
	g_free(*slot);
	*slot = value;
	if (slot == &suite->message.text || suite->message.pipeline)
		suite_message_rebuild(&suite->message);
	return TRUE;
}

/* compiles path (name as errors cite it) as the current script */
static gboolean
suite_compile_path(Suite *suite, const char *name, const char *path)
{
	g_autofree char *text = NULL;
	gsize len;

	g_clear_pointer(&suite->script, pd_sieve_script_free);
	g_clear_pointer(&suite->errors, g_ptr_array_unref);
	g_clear_pointer(&suite->result, pd_sieve_result_free);
	if (path != suite->script_path) {
		g_free(suite->script_path);
		suite->script_path = g_strdup(path);
	}
	if (!g_file_get_contents(path, &text, &len, NULL))
		return FALSE;
	suite->script = pd_sieve_compile(name, text, len, NULL, &suite->errors);
	suite->compile_failed = suite->script == NULL;
	return suite->script != NULL;
}

static gboolean
suite_compile(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;
	g_autofree char *name = pd_sieve_call_string(call, 0);
	g_autofree char *path = g_build_filename(suite->dir, name, NULL);

	return suite_compile_path(suite, name, path);
}

/* A compiled script lives in memory only: a "binary" is the script it was
 * compiled from, compiled again on load. */
static gboolean
suite_binary_save(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;

	if (suite->script == NULL || suite->script_path == NULL) {
		pd_sieve_call_error(call, "test_binary_save: no compiled script");
		return FALSE;
	}
	g_hash_table_replace(suite->binaries, pd_sieve_call_string(call, 0),
			     g_strdup(suite->script_path));
	return TRUE;
}

static gboolean
suite_binary_load(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;
	g_autofree char *name = pd_sieve_call_string(call, 0);
	g_autofree char *path = g_strdup(g_hash_table_lookup(suite->binaries, name));

	if (path == NULL || !suite_compile_path(suite, name, path)) {
		pd_sieve_call_error(call, "test_binary_load: no binary \"%s\"", name);
		return FALSE;
	}
	return TRUE;
}

static gboolean
suite_config_set(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;

	g_hash_table_replace(suite->message.config, pd_sieve_call_string(call, 0),
			     pd_sieve_call_string(call, 1));
	return TRUE;
}

static gboolean
suite_config_unset(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;
	g_autofree char *name = pd_sieve_call_string(call, 0);

	g_hash_table_remove(suite->message.config, name);
	return TRUE;
}

/* the configuration is read when a test asks: nothing to reload */
static gboolean
suite_config_reload(PdSieveCall *call, gpointer user_data)
{
	return TRUE;
}

/* fileinto names a queue: there is no mail store to create a folder in */
static gboolean
suite_mailbox_create(PdSieveCall *call, gpointer user_data)
{
	return TRUE;
}

static gboolean
suite_script(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;

	if (suite->script == NULL)
		return FALSE;
	g_clear_pointer(&suite->result, pd_sieve_result_free);
	suite->result = pd_sieve_run(suite->script, suite_message(&suite->message));
	g_clear_pointer(&suite->errors, g_ptr_array_unref);
	suite->errors = g_ptr_array_ref(suite->result->errors);
	return !suite->result->failed;
}

static gboolean
suite_result_reset(PdSieveCall *call, gpointer user_data)
{
	g_clear_pointer(&((Suite *) user_data)->result, pd_sieve_result_free);
	return TRUE;
}

static gboolean
suite_result_execute(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;

	return suite->result != NULL && !suite->result->failed;
}

/* Pigeonhole's names: fileinto is "store". */
static const char *
action_name(const PdSieveAction *action)
{
	return action->kind == PD_SIEVE_FILEINTO ? "store" : pd_sieve_action_name(action->kind);
}

/* all (char *) against the keys, or its :index N'th value only */
static gboolean
suite_match_indexed(PdSieveCall *call, GPtrArray *all)
{
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	guint64 index = 0;

	if (!pd_sieve_call_tag_number(call, "index", &index))
		return pd_sieve_call_match(call, all, 0);
	if (index >= 1 && index <= all->len)
		g_ptr_array_add(values, g_strdup(g_ptr_array_index(all, index - 1)));
	return pd_sieve_call_match(call, values, 0);
}

static gboolean
suite_result_action(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; suite->result != NULL && i < suite->result->actions->len; i++)
		g_ptr_array_add(values, g_strdup(action_name(
			g_ptr_array_index(suite->result->actions, i))));
	return suite_match_indexed(call, values);
}

static gboolean
suite_error(PdSieveCall *call, gpointer user_data)
{
	Suite *suite = user_data;
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; suite->errors != NULL && i < suite->errors->len; i++) {
		const char *text = g_ptr_array_index(suite->errors, i);

		/* the message without "file:line:col: " */
		for (guint colons = 0; colons < 3 && strchr(text, ':') != NULL; colons++)
			text = strchr(text, ':') + 1;
		g_ptr_array_add(values, g_strdup(g_strchug((char *) text)));
	}
	/* Pigeonhole counts one more: "compilation failed" */
	if (!pd_sieve_call_has_tag(call, "index") && suite->compile_failed)
		g_ptr_array_add(values, g_strdup("script compilation failed"));
	return suite_match_indexed(call, values);
}

static const char *const index_tag[] = { "index=N", NULL };
static const char *const reload_tags[] = { "extension=S", NULL };
static const char *const run_tags[] = { "append_result", NULL };

static const PdSieveCommand commands[] = {
	{ "test", FALSE, "S", 0, NULL, TRUE, suite_test },
	{ "test_fail", FALSE, "S", 0, NULL, FALSE, suite_fail },
	{ "test_set", FALSE, "SS", 0, NULL, FALSE, suite_set },
	{ "test_script_compile", TRUE, "S", 0, NULL, FALSE, suite_compile },
	{ "test_script_run", TRUE, "", 0, run_tags, FALSE, suite_script },
	{ "test_binary_save", FALSE, "S", 0, NULL, FALSE, suite_binary_save },
	{ "test_binary_load", FALSE, "S", 0, NULL, FALSE, suite_binary_load },
	{ "test_mailbox_create", FALSE, "S", 0, NULL, FALSE, suite_mailbox_create },
	{ "test_config_set", FALSE, "SS", 0, NULL, FALSE, suite_config_set },
	{ "test_config_unset", FALSE, "S", 0, NULL, FALSE, suite_config_unset },
	{ "test_config_reload", FALSE, "", 0, reload_tags, FALSE, suite_config_reload },
	{ "test_result_reset", FALSE, "", 0, NULL, FALSE, suite_result_reset },
	{ "test_result_execute", TRUE, "", 0, NULL, FALSE, suite_result_execute },
	{ "test_result_action", TRUE, "L", PD_SIEVE_TAGS_MATCH | PD_SIEVE_TAGS_COMPARATOR,
	  index_tag, FALSE, suite_result_action },
	{ "test_error", TRUE, "L", PD_SIEVE_TAGS_MATCH | PD_SIEVE_TAGS_COMPARATOR, index_tag,
	  FALSE, suite_error },
};

static void
run_file(const char *root, const char *file, gboolean pipeline)
{
	g_autofree char *path = g_build_filename(root, file, NULL);
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) errors = NULL;
	Suite suite = { .file = file };
	PdSieveExtension extension = { "vnd.dovecot.testsuite", commands,
				       G_N_ELEMENTS(commands), &suite };
	const PdSieveExtension *extensions[] = { &extension, NULL };
	PdSieveLimits limits;
	PdSieveScript *script;
	PdSieveResult *result;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, NULL)) {
		suite_print("error", file, "*", "cannot read the file");
		return;
	}
	pd_sieve_limits_init(&limits);
	limits.max_steps = 100000000;
	limits.max_actions = 1000;
	script = pd_sieve_compile_with(file, text, len, &limits, extensions, &errors);
	if (script == NULL) {
		suite_print("skip", file, "*", g_ptr_array_index(errors, 0));
		return;
	}
	suite.dir = g_path_get_dirname(path);
	suite.binaries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	suite.message.message.ops = &suite_ops;
	suite.message.config = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	suite.message.text = g_strdup("");
	suite.message.pipeline = pipeline;
	suite_message_rebuild(&suite.message);
	result = pd_sieve_run(script, suite_message(&suite.message));
	if (result->failed)
		suite_print("error", file, "*", g_ptr_array_index(result->errors, 0));
	pd_sieve_result_free(result);
	pd_sieve_script_free(script);
	pd_sieve_script_free(suite.script);
	g_clear_pointer(&suite.errors, g_ptr_array_unref);
	pd_sieve_result_free(suite.result);
	pd_sieve_facts_free(suite.message.facts);
	g_hash_table_unref(suite.binaries);
	g_hash_table_unref(suite.message.config);
	if (suite.message.run.message.ops != NULL)
		pd_filter_run_clear(&suite.message.run);
	g_clear_pointer(&suite.message.mail, pd_mail_free);
	g_clear_pointer(&suite.message.raw, g_bytes_unref);
	g_free(suite.script_path);
	g_free(suite.message.text);
	g_free(suite.message.from);
	g_free(suite.message.to);
	g_free(suite.message.auth);
	g_free(suite.why);
	g_free(suite.dir);
}

/* --compile SCRIPT...: each script's compile errors, for reading a failure */
static int
compile_only(int n, char **paths)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) errors = NULL;
		g_autoptr(PdSieveScript) script = NULL;
		gsize len;

		if (!g_file_get_contents(paths[i], &text, &len, NULL)) {
			fprintf(stderr, "%s: cannot read\n", paths[i]);
			return 2;
		}
		script = pd_sieve_compile(paths[i], text, len, NULL, &errors);
		for (guint e = 0; script == NULL && e < errors->len; e++)
			printf("%s\n", (char *) g_ptr_array_index(errors, e));
		failed += script == NULL;
	}
	return failed > 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pd-sieve-testsuite ROOT FILE... | --compile SCRIPT...\n");
		return 2;
	}
	if (strcmp(argv[1], "--compile") == 0)
		return compile_only(argc - 2, argv + 2);
	gboolean pipeline = strcmp(argv[1], "--pipeline") == 0;

	if (pipeline && argc < 3) {
		fprintf(stderr, "usage: pd-sieve-testsuite --pipeline ROOT FILE...\n");
		return 2;
	}
	g_mime_init();
	for (int i = pipeline ? 3 : 2; i < argc; i++)
		run_file(argv[pipeline ? 2 : 1], argv[i], pipeline);
	g_mime_shutdown();
	return fflush(stdout) == 0 ? 0 : 1;
}
