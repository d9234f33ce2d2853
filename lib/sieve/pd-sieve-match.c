/* pd-sieve-match: comparators (RFC 4790: i;octet, i;ascii-casemap,
 * i;ascii-numeric), match types (:is :contains :matches, relational's
 * :value), and the address parts the address and envelope tests compare.
 *
 * :matches is the linear wildcard algorithm with one back-track point (the
 * last '*'), so a hostile pattern costs at most pattern x value steps, and
 * every step is charged to the run's budget.  Its captures follow RFC 5229:
 * each '*' and '?' fills one match variable, leftmost shortest, up to
 * ${99} (RFC 5229 asks for ${9} at least).
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

/* i;ascii-numeric: the leading digits, or +infinity when there are none. */
static int
compare_numeric(const char *a, const char *b)
{
	gsize la = 0, lb = 0;

	while (*a == '0' && g_ascii_isdigit(a[1]))
		a++;
	while (*b == '0' && g_ascii_isdigit(b[1]))
		b++;
	while (g_ascii_isdigit(a[la]))
		la++;
	while (g_ascii_isdigit(b[lb]))
		lb++;
	if (la == 0 || lb == 0)
		return (la == 0) - (lb == 0);	/* infinity is above every number */
	if (la != lb)
		return la < lb ? -1 : 1;
	int order = strncmp(a, b, la);

	return order < 0 ? -1 : order > 0;
}

int
pd_sieve_compare(PdSieveComparator comparator, const char *a, const char *b)
{
	int order;

	switch (comparator) {
	case CMP_NUMERIC:
		return compare_numeric(a, b);
	case CMP_CASEMAP:
		order = g_ascii_strcasecmp(a, b);
		break;
	default:
		order = strcmp(a, b);
		break;
	}
	return order < 0 ? -1 : order > 0;
}

gboolean
pd_sieve_relation_holds(PdSieveRelation relation, int order)
{
	switch (relation) {
	case REL_GT: return order > 0;
	case REL_GE: return order >= 0;
	case REL_LT: return order < 0;
	case REL_LE: return order <= 0;
	case REL_EQ: return order == 0;
	case REL_NE: return order != 0;
	}
	return FALSE;
}

static gboolean
same(PdSieveComparator comparator, char a, char b)
{
	return comparator == CMP_CASEMAP ? g_ascii_tolower(a) == g_ascii_tolower(b) : a == b;
}

/* :contains.  A scan for the key's first character, then a comparison
 * from there: linear on ordinary text.  The run is charged for the
 * comparisons made (a sixteenth of a step each, as before) plus the scan,
 * never more than the naive search's worst case. */
static gboolean
contains(PdSieveRun *run, PdSieveComparator comparator, const char *value, const char *key)
{
	gsize lv = strlen(value), lk = strlen(key);
	guint64 work = 0;
	gboolean found = FALSE;

	if (lk > lv)
		return FALSE;
	if (lk == 0)
		return pd_sieve_run_charge(run, 1);
	if (comparator == CMP_CASEMAP) {
		char lower = g_ascii_tolower(key[0]), upper = g_ascii_toupper(key[0]);

		for (gsize i = 0; i + lk <= lv && !found; i++) {
			gsize j = 1;

			if (value[i] != lower && value[i] != upper)
				continue;
			while (j < lk && same(comparator, value[i + j], key[j]))
				j++;
			work += j;
			found = j == lk;
		}
	} else {
		const char *p = value, *last = value + (lv - lk);

		while (!found && p <= last &&
		       (p = memchr(p, key[0], (gsize)(last - p) + 1)) != NULL) {
			work += lk;
			found = memcmp(p, key, lk) == 0;
			p++;
		}
	}
	return pd_sieve_run_charge(run, work / 16 + lv / 64 + 1) && found;
}

typedef struct {
	char c;
	gint8 kind;		/* 0 literal, '*', '?' */
	guint wildcard;		/* index among the wildcards, from 0 */
} Element;

static gsize
char_length(PdSieveComparator comparator, gboolean utf8, const char *text)
{
	if (comparator == CMP_OCTET || !utf8)
		return 1;
	return g_utf8_next_char(text) - text;
}

/* The wildcard match of value against pattern, captures into caps (a pair
 * of offsets per wildcard). */
static gboolean
wildcard(PdSieveRun *run, PdSieveComparator comparator, const char *value, const char *pattern,
	 GArray *elements, GArray *caps)
{
	gsize lv = strlen(value), ti = 0, pi = 0, star_ti = 0, star_start = 0, plen;
	gssize star_pi = -1;
	gboolean utf8 = g_utf8_validate(value, -1, NULL);
	guint wildcards = 0;
	guint64 iterations = 0;

	for (const char *p = pattern; *p != '\0'; p++) {
		Element e = { .c = *p };

		if (*p == '\\' && p[1] != '\0')
			e.c = *++p;
		else if (*p == '*' || *p == '?')
			e.kind = *p, e.wildcard = wildcards++;
		g_array_append_val(elements, e);
	}
	plen = elements->len;
	g_array_set_size(caps, wildcards * 2);
	while (ti < lv) {
		const Element *e = pi < plen ? &g_array_index(elements, Element, pi) : NULL;

		if (++iterations % 16 == 0 && !pd_sieve_run_charge(run, 1))
			return FALSE;
		if (e != NULL && e->kind == '?') {
			gsize n = char_length(comparator, utf8, value + ti);

			g_array_index(caps, gsize, e->wildcard * 2) = ti;
			g_array_index(caps, gsize, e->wildcard * 2 + 1) = ti + n;
			ti += n;
			pi++;
		} else if (e != NULL && e->kind == '*') {
			star_pi = pi++;
			star_ti = star_start = ti;
			g_array_index(caps, gsize, e->wildcard * 2) = ti;
			g_array_index(caps, gsize, e->wildcard * 2 + 1) = ti;
		} else if (e != NULL && same(comparator, e->c, value[ti])) {
			ti++;
			pi++;
		} else if (star_pi >= 0) {
			const Element *star = &g_array_index(elements, Element, star_pi);

			star_ti += char_length(comparator, utf8, value + star_ti);
			g_array_index(caps, gsize, star->wildcard * 2) = star_start;
			g_array_index(caps, gsize, star->wildcard * 2 + 1) = star_ti;
			ti = star_ti;
			pi = star_pi + 1;
		} else {
			return FALSE;
		}
	}
	for (; pi < plen; pi++) {
		const Element *e = &g_array_index(elements, Element, pi);

		if (e->kind != '*')
			return FALSE;
		g_array_index(caps, gsize, e->wildcard * 2) = lv;
		g_array_index(caps, gsize, e->wildcard * 2 + 1) = lv;
	}
	return TRUE;
}

static gboolean
matches(PdSieveRun *run, PdSieveComparator comparator, const char *value, const char *pattern,
	GPtrArray *captures_r)
{
	g_autoptr(GArray) elements = g_array_new(FALSE, FALSE, sizeof(Element));
	g_autoptr(GArray) caps = g_array_new(FALSE, TRUE, sizeof(gsize));

	if (!wildcard(run, comparator, value, pattern, elements, caps))
		return FALSE;
	if (captures_r != NULL) {
		g_ptr_array_set_size(captures_r, 0);
		g_ptr_array_add(captures_r, g_strdup(value));
		for (guint w = 0; w < caps->len / 2 && w < PD_SIEVE_MATCH_MAX; w++) {
			gsize start = g_array_index(caps, gsize, w * 2);
			gsize end = g_array_index(caps, gsize, w * 2 + 1);

			g_ptr_array_add(captures_r, g_strndup(value + start, end - start));
		}
	}
	return TRUE;
}

gboolean
pd_sieve_match_one(PdSieveRun *run, const PdSieveNode *node, const char *value,
		   const char *key, GPtrArray *captures_r)
{
	if (!pd_sieve_run_charge(run, 1))
		return FALSE;
	switch (node->match) {
	case MATCH_IS:
		return pd_sieve_compare(node->comparator, value, key) == 0;
	case MATCH_CONTAINS:
		return contains(run, node->comparator, value, key);
	case MATCH_MATCHES:
		return matches(run, node->comparator, value, key, captures_r);
	case MATCH_VALUE:
		return pd_sieve_relation_holds(node->relation,
					       pd_sieve_compare(node->comparator, value, key));
	case MATCH_COUNT:
	case MATCH_REGEX:	/* match_expanded in pd-sieve-run.c */
		break;
	}
	return FALSE;
}

/* ---- addresses ---- */

static void
address_finish(GString *plain, GString *angle, gboolean had_angle, GPtrArray *addresses)
{
	GString *source = had_angle ? angle : plain;
	const char *text = source->str;
	const char *colon;

	/* an obsolete route "@a,@b:local@domain" */
	if (had_angle && text[0] == '@' && (colon = strchr(text, ':')) != NULL)
		text = colon + 1;
	if (*text != '\0')
		g_ptr_array_add(addresses, g_strdup(text));
	g_string_truncate(plain, 0);
	g_string_truncate(angle, 0);
}

void
pd_sieve_address_list(const char *value, GPtrArray *addresses)
{
	g_autoptr(GString) plain = g_string_new(NULL);
	g_autoptr(GString) angle = g_string_new(NULL);
	gboolean in_angle = FALSE, had_angle = FALSE;

	for (const char *p = value; *p != '\0'; p++) {
		GString *out = in_angle ? angle : plain;

		if (*p == '(') {
			guint depth = 1;

			while (depth > 0 && p[1] != '\0') {
				p++;
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
			}
		} else if (*p == '"') {
			g_string_append_c(out, '"');
			while (p[1] != '\0' && p[1] != '"') {
				p++;
				if (*p == '\\' && p[1] != '\0')
					g_string_append_c(out, *p++);
				g_string_append_c(out, *p);
			}
			if (p[1] == '"')
				p++;
			g_string_append_c(out, '"');
		} else if (*p == '<' && !in_angle) {
			in_angle = had_angle = TRUE;
			g_string_truncate(angle, 0);
		} else if (*p == '>' && in_angle) {
			in_angle = FALSE;
		} else if ((*p == ',' || *p == ';') && !in_angle) {
			address_finish(plain, angle, had_angle, addresses);
			had_angle = FALSE;
		} else if (*p == ':' && !in_angle) {
			g_string_truncate(plain, 0);	/* a group's display name */
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			continue;
		} else {
			g_string_append_c(out, *p);
		}
	}
	address_finish(plain, angle, had_angle, addresses);
}

char *
pd_sieve_address_part(const char *address, PdSieveAddressPart part)
{
	const char *at = strrchr(address, '@');
	gsize local_len = at != NULL ? (gsize) (at - address) : strlen(address);
	const char *plus = memchr(address, '+', local_len);

	switch (part) {
	case PART_ALL:
		return g_strdup(address);
	case PART_LOCAL:
		return g_strndup(address, local_len);
	case PART_DOMAIN:
		return at != NULL ? g_strdup(at + 1) : NULL;
	case PART_USER:
		return g_strndup(address, plus != NULL ? (gsize) (plus - address) : local_len);
	case PART_DETAIL:
		return plus != NULL ? g_strndup(plus + 1, local_len - (plus + 1 - address)) : NULL;
	}
	return NULL;
}

static gboolean
atom_char(char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL) ||
	       (guchar) c >= 0x80;
}

char *
pd_sieve_redirect_address(const char *text)
{
	g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func(g_free);
	const char *address, *at;
	gsize local_len;

	pd_sieve_address_list(text, addresses);
	if (addresses->len != 1)
		return NULL;
	address = g_ptr_array_index(addresses, 0);
	at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0')
		return NULL;
	local_len = at - address;
	if (address[0] == '"') {
		if (local_len < 2 || address[local_len - 1] != '"')
			return NULL;
	} else {
		for (const char *p = address; p < at; p++)
			if (!atom_char(*p))
				return NULL;
	}
	for (const char *p = at + 1; *p != '\0'; p++)
		if (!(g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '[' || *p == ']' ||
		      *p == ':' || (guchar) *p >= 0x80))
			return NULL;
	return g_strdup(address);
}
