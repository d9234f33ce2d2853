/* pd-sieve-regex: the :regex match type (draft-ietf-sieve-regex), POSIX
 * extended expressions through the C library's regcomp/regexec.
 *
 * Bounded: an expression is at most PD_SIEVE_REGEX_MAX bytes and may not
 * use back-references (they make matching exponential); a value is cut
 * to PD_SIEVE_REGEX_INPUT bytes before the expression sees it, and each
 * match is charged to the run's budget by the length it read.  Captures
 * fill the match variables: ${0} the whole match, ${1}.. the groups.
 */
#include <regex.h>
#include <string.h>

#include "sieve/pd-sieve-private.h"

/* A back-reference (\1..\9) outside a bracket expression. */
static gboolean
has_backreference(const char *pattern)
{
	gboolean bracket = FALSE;

	for (const char *p = pattern; *p != '\0'; p++) {
		if (bracket) {
			if (*p == ']')
				bracket = FALSE;
		} else if (*p == '[') {
			bracket = TRUE;
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++;	/* a leading ']' is literal */
		} else if (*p == '\\' && p[1] != '\0') {
			if (p[1] >= '1' && p[1] <= '9')
				return TRUE;
			p++;
		}
	}
	return FALSE;
}

gpointer
pd_sieve_regex_compile(const char *pattern, PdSieveComparator comparator, char **error_r)
{
	regex_t *regex;
	int status;

	if (strlen(pattern) > PD_SIEVE_REGEX_MAX) {
		*error_r = g_strdup_printf("longer than %d bytes", PD_SIEVE_REGEX_MAX);
		return NULL;
	}
	if (has_backreference(pattern)) {
		*error_r = g_strdup("back-references are not supported");
		return NULL;
	}
	regex = g_new0(regex_t, 1);
	status = regcomp(regex, pattern, REG_EXTENDED | (comparator == CMP_CASEMAP ? REG_ICASE : 0));
	if (status != 0) {
		char text[256];

		regerror(status, regex, text, sizeof(text));
		*error_r = g_strdup(text);
		g_free(regex);
		return NULL;
	}
	return regex;
}

void
pd_sieve_regex_free(gpointer regex)
{
	if (regex == NULL)
		return;
	regfree(regex);
	g_free(regex);
}

gboolean
pd_sieve_regex_match(PdSieveRun *run, gpointer regex, const char *value, GPtrArray *captures_r)
{
	regmatch_t groups[PD_SIEVE_MATCH_MAX + 1];
	gsize len = strlen(value);
	g_autofree char *cut = NULL;
	size_t ngroups = ((regex_t *) regex)->re_nsub + 1;

	if (len > PD_SIEVE_REGEX_INPUT) {
		len = PD_SIEVE_REGEX_INPUT;
		value = cut = g_strndup(value, len);
	}
	if (ngroups > G_N_ELEMENTS(groups))
		ngroups = G_N_ELEMENTS(groups);
	if (!pd_sieve_run_charge(run, 1 + len / 16))
		return FALSE;
	/* without captures, no submatch bookkeeping: glibc's regexec is
	 * several times faster when asked for no groups */
	if (regexec(regex, value, captures_r != NULL ? ngroups : 0,
		    captures_r != NULL ? groups : NULL, 0) != 0)
		return FALSE;
	if (captures_r != NULL) {
		g_ptr_array_set_size(captures_r, 0);
		for (size_t i = 0; i < ngroups; i++)
			g_ptr_array_add(captures_r, groups[i].rm_so < 0 ? g_strdup("") :
					g_strndup(value + groups[i].rm_so,
						  groups[i].rm_eo - groups[i].rm_so));
	}
	return TRUE;
}
