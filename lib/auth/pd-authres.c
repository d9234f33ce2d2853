/* pd-authres: Authentication-Results (RFC 8601) parsing and trust-ar mode.
 *
 * The parser reads peer input: bounded (64 results, 32 properties each,
 * comment nesting 16), never reads past len, and rejects rather than
 * guesses.  Mode trust-ar takes only headers whose authserv-id is
 * configured, and of those only the topmost one for each id: a hop adds
 * its header above the ones the mail came with, so a lower header with
 * the same id is a forgery the MTA should have removed (RFC 8601 section
 * 5 makes that the MTA's job; postdesk.conf(5) says so) and is ignored and
 * noted, whatever it claims.  Within the headers counted, when several
 * results report one method the worst SPF and DMARC result wins.
 */
#include "pd-auth-private.h"

#include <string.h>

#include "core/pd-error.h"
#include "core/pd-header.h"

#define AR_MAX_RESULTS 64
#define AR_MAX_PROPS 32
#define AR_MAX_COMMENT_DEPTH 16

typedef enum { TOK_END, TOK_WORD, TOK_QUOTED, TOK_SPECIAL, TOK_ERROR } TokKind;

typedef struct {
	const char *p, *end;
	TokKind kind;
	char special;
	GString *text;
	gboolean space_before;	/* CFWS preceded the token */
} Lexer;

static gboolean
lex_skip_cfws(Lexer *lx)
{
	int depth = 0;

	while (lx->p < lx->end) {
		char c = *lx->p;

		if (depth > 0) {
			if (c == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			else if (c == '(' && ++depth > AR_MAX_COMMENT_DEPTH)
				return FALSE;
			else if (c == ')')
				depth--;
			lx->p++;
			lx->space_before = TRUE;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->p++;
			lx->space_before = TRUE;
		} else if (c == '(') {
			depth = 1;
			lx->p++;
			lx->space_before = TRUE;
		} else {
			break;
		}
	}
	return depth == 0;
}

static gboolean
is_word_char(unsigned char c)
{
	return c > 32 && c != 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static TokKind
lex_next(Lexer *lx)
{
	g_string_truncate(lx->text, 0);
	lx->space_before = FALSE;
	if (!lex_skip_cfws(lx))
		return lx->kind = TOK_ERROR;
	if (lx->p >= lx->end)
		return lx->kind = TOK_END;
	if (*lx->p == '"') {
		for (lx->p++; lx->p < lx->end && *lx->p != '"'; lx->p++) {
			if (*lx->p == '\\' && lx->p + 1 < lx->end)
				lx->p++;
			g_string_append_c(lx->text, *lx->p);
		}
		if (lx->p >= lx->end)
			return lx->kind = TOK_ERROR;
		lx->p++;
		return lx->kind = TOK_QUOTED;
	}
	if (is_word_char((unsigned char) *lx->p)) {
		while (lx->p < lx->end && is_word_char((unsigned char) *lx->p))
			g_string_append_c(lx->text, *lx->p++);
		return lx->kind = TOK_WORD;
	}
	if (*lx->p == '\0')
		return lx->kind = TOK_ERROR;
	lx->special = *lx->p++;
	return lx->kind = TOK_SPECIAL;
}

static gboolean
lex_is(Lexer *lx, char special)
{
	return lx->kind == TOK_SPECIAL && lx->special == special;
}

static void
resinfo_free(PdAuthResInfo *info)
{
	g_free(info->method);
	g_hash_table_destroy(info->props);
	g_free(info);
}

void
pd_authres_free(PdAuthRes *ar)
{
	if (ar == NULL)
		return;
	g_free(ar->authserv_id);
	g_ptr_array_unref(ar->results);
	g_free(ar);
}

/* pvalue: adjacent words, quoted strings and '@' with no CFWS between. */
static gboolean
parse_pvalue(Lexer *lx, GString *value)
{
	gboolean first = TRUE;

	g_string_truncate(value, 0);
	while ((lx->kind == TOK_WORD || lx->kind == TOK_QUOTED || lex_is(lx, '@') ||
		lex_is(lx, '/')) &&
	       (first || !lx->space_before)) {
		if (lx->kind == TOK_SPECIAL)
			g_string_append_c(value, lx->special);
		else
			g_string_append_len(value, lx->text->str, lx->text->len);
		first = FALSE;
		lex_next(lx);
	}
	return !first;
}

static PdAuthResInfo *
parse_resinfo(Lexer *lx, GError **error)
{
	g_autoptr(GString) value = g_string_new(NULL);
	PdAuthResInfo *info;
	guint props = 0;

	if (lx->kind != TOK_WORD)
		goto bad;
	info = g_new0(PdAuthResInfo, 1);
	info->props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	info->method = g_ascii_strdown(lx->text->str, -1);
	lex_next(lx);
	if (lex_is(lx, '/')) {	/* method-version */
		if (lex_next(lx) != TOK_WORD)
			goto bad_info;
		lex_next(lx);
	}
	if (!lex_is(lx, '=') || lex_next(lx) != TOK_WORD)
		goto bad_info;
	info->known_status = pd_auth_status_parse(lx->text->str, &info->status);
	if (!info->known_status)
		info->status = PD_AUTH_PERMERROR;
	lex_next(lx);
	while (lx->kind == TOK_WORD) {
		g_autofree char *key = g_ascii_strdown(lx->text->str, -1);

		if (lex_next(lx) != TOK_SPECIAL || lx->special != '=')
			goto bad_info;
		lex_next(lx);
		if (!parse_pvalue(lx, value))
			goto bad_info;
		if (strcmp(key, "reason") != 0 && strchr(key, '.') == NULL)
			goto bad_info;
		if (++props > AR_MAX_PROPS)
			goto bad_info;
		g_hash_table_insert(info->props, g_steal_pointer(&key),
				    g_strndup(value->str, value->len));
	}
	return info;
bad_info:
	resinfo_free(info);
bad:
	g_set_error(error, PD_ERROR, PD_ERROR_PERMFAIL, "malformed Authentication-Results");
	return NULL;
}

PdAuthRes *
pd_authres_parse(const char *value, gsize len, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	Lexer lx = { .p = value, .end = value + len, .text = text };
	g_autoptr(PdAuthRes) ar = g_new0(PdAuthRes, 1);

	ar->results = g_ptr_array_new_with_free_func((GDestroyNotify) resinfo_free);
	lex_next(&lx);
	if (lx.kind != TOK_WORD && lx.kind != TOK_QUOTED)
		goto bad;
	ar->authserv_id = g_ascii_strdown(lx.text->str, -1);
	if (*ar->authserv_id == '\0')
		goto bad;
	lex_next(&lx);
	if (lx.kind == TOK_WORD) {	/* authres-version */
		for (const char *p = lx.text->str; *p != '\0'; p++)
			if (!g_ascii_isdigit(*p))
				goto bad;
		lex_next(&lx);
	}
	while (lex_is(&lx, ';')) {
		PdAuthResInfo *info;

		lex_next(&lx);
		if (lx.kind == TOK_WORD && g_ascii_strcasecmp(lx.text->str, "none") == 0 &&
		    ar->results->len == 0) {
			lex_next(&lx);
			if (lx.kind != TOK_END)
				goto bad;
			break;
		}
		if (ar->results->len >= AR_MAX_RESULTS)
			goto bad;
		info = parse_resinfo(&lx, error);
		if (info == NULL)
			return NULL;
		g_ptr_array_add(ar->results, info);
	}
	if (lx.kind != TOK_END)
		goto bad;
	return g_steal_pointer(&ar);
bad:
	g_set_error(error, PD_ERROR, PD_ERROR_PERMFAIL, "malformed Authentication-Results");
	return NULL;
}

/* ---- trust-ar mode ---- */

static gboolean
trusted_id(const PdAuthConfig *config, const char *id)
{
	if (config->authserv_id != NULL && g_ascii_strcasecmp(config->authserv_id, id) == 0)
		return TRUE;
	for (guint i = 0; i < config->trusted_authserv_ids->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(config->trusted_authserv_ids, i), id) == 0)
			return TRUE;
	return FALSE;
}

/* Higher is worse: a later trusted header can only lower a result. */
static int
status_rank(PdAuthStatus status)
{
	switch (status) {
	case PD_AUTH_PASS: return 0;
	case PD_AUTH_NONE: return 1;
	case PD_AUTH_NEUTRAL: return 2;
	case PD_AUTH_SOFTFAIL: return 3;
	case PD_AUTH_TEMPERROR: return 4;
	case PD_AUTH_POLICY: return 5;
	case PD_AUTH_PERMERROR: return 6;
	case PD_AUTH_FAIL: return 7;
	}
	return 7;
}

static const char *
domain_of(const char *value)
{
	const char *at;

	if (value == NULL)
		return NULL;
	at = strrchr(value, '@');
	return at != NULL ? at + 1 : value;
}

static void
take_result(PdAuthResult *result, const PdAuthResInfo *info, gboolean *seen_spf,
	    gboolean *seen_dmarc)
{
	if (strcmp(info->method, "spf") == 0) {
		const char *domain = g_hash_table_lookup(info->props, "smtp.mailfrom");
		gboolean helo = FALSE;

		if (domain == NULL || *domain_of(domain) == '\0') {
			domain = g_hash_table_lookup(info->props, "smtp.helo");
			helo = domain != NULL;
		}
		if (*seen_spf && status_rank(info->status) <= status_rank(result->spf))
			return;
		*seen_spf = TRUE;
		result->spf = info->status;
		g_free(result->spf_domain);
		result->spf_domain = pd_auth_domain_canonical(domain_of(domain));
		result->spf_helo = helo;
	} else if (strcmp(info->method, "dkim") == 0) {
		const char *d = g_hash_table_lookup(info->props, "header.d");
		const char *i = g_hash_table_lookup(info->props, "header.i");

		pd_auth_result_add_dkim(result, d != NULL ? d : domain_of(i),
					g_hash_table_lookup(info->props, "header.s"),
					info->status, g_hash_table_lookup(info->props, "reason"));
	} else if (strcmp(info->method, "dmarc") == 0) {
		const char *from = g_hash_table_lookup(info->props, "header.from");
		g_autofree char *canonical = pd_auth_domain_canonical(domain_of(from));
		PdAuthStatus status = info->status;

		/* a DMARC verdict about another From domain says nothing here */
		if (canonical == NULL || result->from_domain == NULL ||
		    strcmp(canonical, result->from_domain) != 0)
			status = status == PD_AUTH_PASS ? PD_AUTH_NONE : status;
		if (*seen_dmarc && status_rank(status) <= status_rank(result->dmarc))
			return;
		*seen_dmarc = TRUE;
		result->dmarc = status;
	}
}

void
pd_auth_foreach_header(const char *message, gsize len, const char *name,
	       void (*func)(const char *value, gsize value_len, gpointer data), gpointer data)
{
	PdHeaderScan scan;
	PdHeaderField field;

	pd_header_scan_init(&scan, message, len);
	while (pd_header_scan_next(&scan, &field)) {
		if (pd_header_field_is(&field, name)) {
			g_autoptr(GString) value = g_string_new_len(field.value,
								    field.end - field.value);

			func(value->str, value->len, data);
		}
	}
}

typedef struct {
	PdAuth *auth;
	PdAuthResult *result;
	gboolean seen_spf, seen_dmarc;
	guint trusted;
	GPtrArray *ids;		/* char *: the trusted authserv-ids already counted */
} ArWalk;

static void
ar_header(const char *value, gsize len, gpointer data)
{
	ArWalk *walk = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PdAuthRes) ar = pd_authres_parse(value, len, &error);

	if (ar == NULL) {
		pd_auth_result_add_note(walk->result,
					"ignored a malformed Authentication-Results header");
		return;
	}
	if (!trusted_id(walk->auth->config, ar->authserv_id)) {
		pd_auth_result_add_note(walk->result,
					"ignored Authentication-Results from untrusted authserv-id %s",
					ar->authserv_id);
		return;
	}
	for (guint i = 0; i < walk->ids->len; i++) {
		if (strcmp(walk->ids->pdata[i], ar->authserv_id) == 0) {
			pd_auth_result_add_note(walk->result,
						"ignored a lower Authentication-Results from %s: "
						"only the topmost one counts", ar->authserv_id);
			return;
		}
	}
	g_ptr_array_add(walk->ids, g_strdup(ar->authserv_id));
	walk->trusted++;
	for (guint i = 0; i < ar->results->len; i++)
		take_result(walk->result, g_ptr_array_index(ar->results, i), &walk->seen_spf,
			    &walk->seen_dmarc);
}

PdAuthResult *
pd_auth_from_headers(PdAuth *auth, const char *message, gsize message_len,
		     const char *from_domain)
{
	PdAuthResult *result = pd_auth_result_new(PD_AUTH_SOURCE_TRUSTED_AR);
	ArWalk walk = { .auth = auth, .result = result,
			.ids = g_ptr_array_new_with_free_func(g_free) };

	result->from_domain = pd_auth_domain_canonical(from_domain);
	result->org_domain = pd_auth_org_domain(auth, result->from_domain);
	if (message != NULL)
		pd_auth_foreach_header(message, message_len, "Authentication-Results", ar_header,
				       &walk);
	g_ptr_array_unref(walk.ids);
	if (walk.trusted == 0)
		pd_auth_result_add_note(result, "no Authentication-Results from a trusted "
					"authserv-id");
	pd_auth_align(auth, result, FALSE);
	pd_auth_check_from_headers(result, message, message_len);
	return result;
}

/* A caller's From domain is only good when the raw bytes hold one field
 * that looks like From under any spelling (the pipeline checks more:
 * mail/pd-mail-author.c). */
void
pd_auth_check_from_headers(PdAuthResult *result, const char *message, gsize message_len)
{
	guint count = message != NULL ? pd_header_count_like(message, message_len, "From", 100) : 0;

	if (count != 1 && result->from_authenticated) {
		result->from_authenticated = FALSE;
		pd_auth_result_add_note(result, "%u From headers: the author is ambiguous and "
					"not authenticated (RFC 7489 6.6.1)", count);
	}
}
