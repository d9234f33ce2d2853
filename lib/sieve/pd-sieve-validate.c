/* pd-sieve-validate: every command and test against the table of what
 * postdesk implements and what the script required.
 *
 * One row per command or test: its capability, positional arguments
 * ('S' string, 'L' string list, 'N' number, a lower-case letter for an
 * optional leading one), the tag groups it takes, its tests and block.
 * Validation fills the node's compiled fields (op, match type, comparator,
 * address part, first/second argument lists), so the run never looks at
 * the raw arguments again.
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

enum {
	TAGS_MATCH = 1 << 0, TAGS_COMPARATOR = 1 << 1, TAGS_ADDRESS = 1 << 2,
	TAGS_SIZE = 1 << 3, TAGS_COPY = 1 << 4, TAGS_FLAGS = 1 << 5, TAGS_MODIFIERS = 1 << 6,
	TAGS_BODY = 1 << 7, TAGS_PERCENT = 1 << 8,
};
/* the tags followed by a string list rather than a string */
#define TAGS_LIST (TAGS_FLAGS | TAGS_BODY)
enum { TESTS_NONE, TESTS_ONE, TESTS_LIST };

typedef struct {
	const char *name;
	PdSieveOp op;
	gboolean test;
	guint capability;		/* 0: core */
	const char *positional;
	guint tags;
	guint tests;
	gboolean block;
	const char *roles;		/* the positional arguments, for errors */
} Spec;

static const Spec specs[] = {
	{ "require", OP_REQUIRE, FALSE, 0, "L", 0, TESTS_NONE, FALSE, "capabilities" },
	{ "if", OP_IF, FALSE, 0, "", 0, TESTS_ONE, TRUE, "" },
	{ "elsif", OP_ELSIF, FALSE, 0, "", 0, TESTS_ONE, TRUE, "" },
	{ "else", OP_ELSE, FALSE, 0, "", 0, TESTS_NONE, TRUE, "" },
	{ "stop", OP_STOP, FALSE, 0, "", 0, TESTS_NONE, FALSE, "" },
	{ "keep", OP_KEEP, FALSE, 0, "", TAGS_FLAGS, TESTS_NONE, FALSE, "" },
	{ "discard", OP_DISCARD, FALSE, 0, "", 0, TESTS_NONE, FALSE, "" },
	{ "redirect", OP_REDIRECT, FALSE, 0, "S", TAGS_COPY, TESTS_NONE, FALSE, "address" },
	{ "fileinto", OP_FILEINTO, FALSE, CAP_FILEINTO, "S", TAGS_COPY | TAGS_FLAGS, TESTS_NONE,
	  FALSE, "mailbox" },
	{ "set", OP_SET, FALSE, CAP_VARIABLES, "SS", TAGS_MODIFIERS, TESTS_NONE, FALSE,
	  "name, value" },
	{ "setflag", OP_SETFLAG, FALSE, CAP_IMAP4FLAGS, "sL", 0, TESTS_NONE, FALSE,
	  "variable name, flags" },
	{ "addflag", OP_ADDFLAG, FALSE, CAP_IMAP4FLAGS, "sL", 0, TESTS_NONE, FALSE,
	  "variable name, flags" },
	{ "removeflag", OP_REMOVEFLAG, FALSE, CAP_IMAP4FLAGS, "sL", 0, TESTS_NONE, FALSE,
	  "variable name, flags" },
	{ "reject", OP_REJECT, FALSE, CAP_REJECT, "S", 0, TESTS_NONE, FALSE, "reason" },
	{ "ereject", OP_EREJECT, FALSE, CAP_EREJECT, "S", 0, TESTS_NONE, FALSE, "reason" },

	{ "header", OP_HEADER, TRUE, 0, "LL", TAGS_MATCH | TAGS_COMPARATOR, TESTS_NONE, FALSE,
	  "header names, key list" },
	{ "address", OP_ADDRESS, TRUE, 0, "LL", TAGS_MATCH | TAGS_COMPARATOR | TAGS_ADDRESS,
	  TESTS_NONE, FALSE, "header names, key list" },
	{ "envelope", OP_ENVELOPE, TRUE, CAP_ENVELOPE, "LL",
	  TAGS_MATCH | TAGS_COMPARATOR | TAGS_ADDRESS, TESTS_NONE, FALSE,
	  "envelope parts, key list" },
	{ "body", OP_BODY, TRUE, CAP_BODY, "L", TAGS_MATCH | TAGS_COMPARATOR | TAGS_BODY,
	  TESTS_NONE, FALSE, "key list" },
	{ "spamtest", OP_SPAMTEST, TRUE, CAP_SPAMTEST, "S",
	  TAGS_MATCH | TAGS_COMPARATOR | TAGS_PERCENT, TESTS_NONE, FALSE, "value" },
	{ "exists", OP_EXISTS, TRUE, 0, "L", 0, TESTS_NONE, FALSE, "header names" },
	{ "size", OP_SIZE, TRUE, 0, "N", TAGS_SIZE, TESTS_NONE, FALSE, "limit" },
	{ "not", OP_NOT, TRUE, 0, "", 0, TESTS_ONE, FALSE, "" },
	{ "anyof", OP_ANYOF, TRUE, 0, "", 0, TESTS_LIST, FALSE, "" },
	{ "allof", OP_ALLOF, TRUE, 0, "", 0, TESTS_LIST, FALSE, "" },
	{ "true", OP_TRUE, TRUE, 0, "", 0, TESTS_NONE, FALSE, "" },
	{ "false", OP_FALSE, TRUE, 0, "", 0, TESTS_NONE, FALSE, "" },
	{ "string", OP_STRING, TRUE, CAP_VARIABLES, "LL", TAGS_MATCH | TAGS_COMPARATOR,
	  TESTS_NONE, FALSE, "source, key list" },
	{ "hasflag", OP_HASFLAG, TRUE, CAP_IMAP4FLAGS, "lL", TAGS_MATCH | TAGS_COMPARATOR,
	  TESTS_NONE, FALSE, "variable names, flags" },
};

typedef struct {
	const char *name;
	guint capability;
} Capability;

static const Capability capabilities[] = {
	{ "envelope", CAP_ENVELOPE },
	{ "fileinto", CAP_FILEINTO },
	{ "encoded-character", CAP_ENCODED_CHARACTER },
	{ "comparator-i;octet", CAP_CORE },
	{ "comparator-i;ascii-casemap", CAP_CORE },
	{ "comparator-i;ascii-numeric", CAP_NUMERIC },
	{ "variables", CAP_VARIABLES },
	{ "relational", CAP_RELATIONAL },
	{ "subaddress", CAP_SUBADDRESS },
	{ "imap4flags", CAP_IMAP4FLAGS },
	{ "copy", CAP_COPY },
	{ "reject", CAP_REJECT },
	{ "ereject", CAP_EREJECT },
	{ "body", CAP_BODY },
	{ "regex", CAP_REGEX },
	{ "spamtest", CAP_SPAMTEST },
	{ "spamtestplus", CAP_SPAMTESTPLUS },
};

guint
pd_sieve_capability_lookup(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(capabilities); i++)
		if (strcmp(capabilities[i].name, name) == 0)
			return capabilities[i].capability;
	return 0;
}

static const char *
capability_name(guint capability)
{
	for (gsize i = 0; i < G_N_ELEMENTS(capabilities); i++)
		if (capabilities[i].capability == capability)
			return capabilities[i].name;
	return "?";
}

typedef struct {
	PdSieveDiag *diag;
	guint capabilities;
	gboolean past_require;		/* a command other than require was seen */
	const PdSieveExtension *const *extensions;
	guint extensions_required;
	/* char * (borrowed): the capabilities require named that we lack; a
	 * command of the same name is not reported again */
	GPtrArray *unknown;
} Validator;

static void
error_at(Validator *v, guint line, guint col, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static void
error_at(Validator *v, guint line, guint col, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pd_sieve_diag_error(v->diag, line, col, "%s", text);
	g_free(text);
}

static const Spec *
spec_find(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(specs); i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	return NULL;
}

/* An extension's command as a row of the table, into local; NULL when no
 * extension has it (or an error when its capability is not required). */
static const Spec *
extension_spec(Validator *v, PdSieveNode *node, Spec *local, gboolean *unrequired_r)
{
	for (guint i = 0; v->extensions != NULL && v->extensions[i] != NULL; i++) {
		const PdSieveExtension *extension = v->extensions[i];

		for (gsize c = 0; c < extension->n_commands; c++) {
			const PdSieveCommand *command = &extension->commands[c];

			if (strcmp(command->name, node->name) != 0)
				continue;
			*local = (Spec) { command->name, OP_EXTENSION, command->test, 0,
					  command->positional, command->tags, TESTS_NONE,
					  command->block, "" };
			node->command = command;
			node->user_data = extension->user_data;
			if (!(v->extensions_required & (1u << i))) {
				error_at(v, node->line, node->col, "'%s' needs require \"%s\"",
					 node->name, extension->capability);
				*unrequired_r = TRUE;
				return NULL;
			}
			return local;
		}
	}
	return NULL;
}

/* An extension command's own tag; i moves past its value. */
static gboolean
take_own_tag(Validator *v, PdSieveNode *node, guint *i)
{
	PdSieveArg *arg = g_ptr_array_index(node->args, *i);
	gsize len = strlen(arg->tag);

	for (const char *const *own = node->command->own_tags; own != NULL && *own != NULL;
	     own++) {
		PdSieveArg *value;
		char kind;

		if (strncmp(*own, arg->tag, len) != 0 || ((*own)[len] != '\0' && (*own)[len] != '='))
			continue;
		if ((*own)[len] == '\0')
			return TRUE;
		kind = (*own)[len + 1];
		value = *i + 1 < node->args->len ? g_ptr_array_index(node->args, *i + 1) : NULL;
		if (value == NULL || (kind == 'N' ? value->kind != ARG_NUMBER :
				      value->kind != ARG_STRING)) {
			error_at(v, arg->line, arg->col, "':%s' must be followed by a %s", arg->tag,
				 kind == 'N' ? "number" : "string");
			return FALSE;
		}
		++*i;
		return TRUE;
	}
	error_at(v, arg->line, arg->col, "unknown tagged argument ':%s' for '%s'", arg->tag,
		 node->name);
	return FALSE;
}

static const char *
arg_describe(const PdSieveArg *arg)
{
	switch (arg->kind) {
	case ARG_NUMBER: return "a number";
	case ARG_STRING: return "a string";
	case ARG_LIST: return "a string list";
	case ARG_TAG: return "a tag";
	}
	return "an argument";
}

static gboolean
has_variables(Validator *v, const char *text)
{
	return (v->capabilities & CAP_VARIABLES) && strstr(text, "${") != NULL;
}

/* RFC 5322 field-name: printable US-ASCII except ':'. */
static gboolean
header_name_valid(const char *name)
{
	if (*name == '\0')
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if ((guchar) *p < 33 || (guchar) *p > 126 || *p == ':')
			return FALSE;
	return TRUE;
}

static gboolean
relation_parse(const char *text, PdSieveRelation *relation_r)
{
	static const char *const names[] = { "gt", "ge", "lt", "le", "eq", "ne" };

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(text, names[i]) == 0) {
			*relation_r = (PdSieveRelation) i;
			return TRUE;
		}
	}
	return FALSE;
}

typedef struct {
	const char *name;
	guint group;		/* TAGS_* */
	guint capability;	/* 0: core */
	int value;		/* the match type, part, modifier ... */
	gboolean takes_string;	/* followed by a string (a list for TAGS_LIST) */
} Tag;

static const Tag tags[] = {
	{ "is", TAGS_MATCH, 0, MATCH_IS, FALSE },
	{ "contains", TAGS_MATCH, 0, MATCH_CONTAINS, FALSE },
	{ "matches", TAGS_MATCH, 0, MATCH_MATCHES, FALSE },
	{ "value", TAGS_MATCH, CAP_RELATIONAL, MATCH_VALUE, TRUE },
	{ "count", TAGS_MATCH, CAP_RELATIONAL, MATCH_COUNT, TRUE },
	{ "regex", TAGS_MATCH, CAP_REGEX, MATCH_REGEX, FALSE },
	{ "comparator", TAGS_COMPARATOR, 0, 0, TRUE },
	{ "all", TAGS_ADDRESS, 0, PART_ALL, FALSE },
	{ "localpart", TAGS_ADDRESS, 0, PART_LOCAL, FALSE },
	{ "domain", TAGS_ADDRESS, 0, PART_DOMAIN, FALSE },
	{ "user", TAGS_ADDRESS, CAP_SUBADDRESS, PART_USER, FALSE },
	{ "detail", TAGS_ADDRESS, CAP_SUBADDRESS, PART_DETAIL, FALSE },
	{ "over", TAGS_SIZE, 0, TRUE, FALSE },
	{ "under", TAGS_SIZE, 0, FALSE, FALSE },
	{ "copy", TAGS_COPY, CAP_COPY, TRUE, FALSE },
	{ "flags", TAGS_FLAGS, CAP_IMAP4FLAGS, 0, TRUE },
	{ "raw", TAGS_BODY, 0, BODY_RAW, FALSE },
	{ "content", TAGS_BODY, 0, BODY_CONTENT, TRUE },
	{ "text", TAGS_BODY, 0, BODY_TEXT, FALSE },
	{ "percent", TAGS_PERCENT, CAP_SPAMTESTPLUS, TRUE, FALSE },
	{ "lower", TAGS_MODIFIERS, 0, MOD_LOWER, FALSE },
	{ "upper", TAGS_MODIFIERS, 0, MOD_UPPER, FALSE },
	{ "lowerfirst", TAGS_MODIFIERS, 0, MOD_LOWERFIRST, FALSE },
	{ "upperfirst", TAGS_MODIFIERS, 0, MOD_UPPERFIRST, FALSE },
	{ "quotewildcard", TAGS_MODIFIERS, 0, MOD_QUOTEWILDCARD, FALSE },
	{ "quoteregex", TAGS_MODIFIERS, CAP_REGEX, MOD_QUOTEREGEX, FALSE },
	{ "length", TAGS_MODIFIERS, 0, MOD_LENGTH, FALSE },
};

static const char *const group_names[] = {
	"match type", "comparator", "address part", ":over or :under", ":copy", ":flags",
	"modifier", "body transform", ":percent",
};

/* One tag (and its value) of node; i is at the tag, moved past its value. */
static gboolean
take_tag(Validator *v, PdSieveNode *node, const Spec *spec, guint *i, guint *seen)
{
	PdSieveArg *arg = g_ptr_array_index(node->args, *i);
	const Tag *tag = NULL;
	PdSieveArg *value = NULL;

	for (gsize t = 0; t < G_N_ELEMENTS(tags); t++)
		if (strcmp(tags[t].name, arg->tag) == 0 && (tags[t].group & spec->tags))
			tag = &tags[t];
	if (tag == NULL && node->command != NULL)
		return take_own_tag(v, node, i);
	if (tag == NULL) {
		error_at(v, arg->line, arg->col, "unknown tagged argument ':%s' for '%s'",
			 arg->tag, node->name);
		return FALSE;
	}
	if (tag->capability != 0 && !(v->capabilities & tag->capability)) {
		error_at(v, arg->line, arg->col, "':%s' needs require \"%s\"", arg->tag,
			 capability_name(tag->capability));
		return FALSE;
	}
	if (tag->takes_string) {
		if (*i + 1 >= node->args->len ||
		    ((PdSieveArg *) g_ptr_array_index(node->args, *i + 1))->kind == ARG_TAG ||
		    ((PdSieveArg *) g_ptr_array_index(node->args, *i + 1))->kind == ARG_NUMBER) {
			error_at(v, arg->line, arg->col, "':%s' must be followed by a string%s",
				 arg->tag, (tag->group & TAGS_LIST) ? " list" : "");
			return FALSE;
		}
		value = g_ptr_array_index(node->args, ++*i);
		if (!(tag->group & TAGS_LIST) && value->kind != ARG_STRING) {
			error_at(v, value->line, value->col,
				 "':%s' must be followed by a string, found a string list", arg->tag);
			return FALSE;
		}
	}
	if (tag->group == TAGS_MODIFIERS) {
		guint same = tag->value & (MOD_LOWER | MOD_UPPER) ? MOD_LOWER | MOD_UPPER :
			     tag->value & (MOD_LOWERFIRST | MOD_UPPERFIRST) ?
			     MOD_LOWERFIRST | MOD_UPPERFIRST :
			     tag->value & (MOD_QUOTEWILDCARD | MOD_QUOTEREGEX) ?
			     MOD_QUOTEWILDCARD | MOD_QUOTEREGEX : (guint) tag->value;

		if (node->modifiers & same) {
			error_at(v, arg->line, arg->col,
				 "':%s' conflicts with another modifier of its precedence",
				 arg->tag);
			return FALSE;
		}
		node->modifiers |= tag->value;
		return TRUE;
	}
	if (*seen & tag->group) {
		error_at(v, arg->line, arg->col, "more than one %s for '%s'",
			 group_names[g_bit_nth_lsf(tag->group, -1)], node->name);
		return FALSE;
	}
	*seen |= tag->group;
	switch (tag->group) {
	case TAGS_MATCH:
		node->match = (PdSieveMatchType) tag->value;
		if (value != NULL) {
			const char *text = g_ptr_array_index(value->strings, 0);

			if (!relation_parse(text, &node->relation)) {
				error_at(v, value->line, value->col,
					 "unknown relation \"%s\" (gt, ge, lt, le, eq or ne)",
					 text);
				return FALSE;
			}
		}
		break;
	case TAGS_COMPARATOR: {
		const char *name = g_ptr_array_index(value->strings, 0);

		if (g_ascii_strcasecmp(name, "i;octet") == 0) {
			node->comparator = CMP_OCTET;
		} else if (g_ascii_strcasecmp(name, "i;ascii-casemap") == 0) {
			node->comparator = CMP_CASEMAP;
		} else if (g_ascii_strcasecmp(name, "i;ascii-numeric") == 0 &&
			   (v->capabilities & CAP_NUMERIC)) {
			node->comparator = CMP_NUMERIC;
		} else {
			error_at(v, value->line, value->col, "unknown comparator \"%s\"%s", name,
				 g_ascii_strcasecmp(name, "i;ascii-numeric") == 0 ?
				 " (it needs require \"comparator-i;ascii-numeric\")" : "");
			return FALSE;
		}
		break;
	}
	case TAGS_ADDRESS:
		node->part = (PdSieveAddressPart) tag->value;
		break;
	case TAGS_SIZE:
		node->over = tag->value;
		break;
	case TAGS_COPY:
		node->copy = TRUE;
		break;
	case TAGS_FLAGS:
		node->flags = g_ptr_array_ref(value->strings);
		break;
	case TAGS_PERCENT:
		node->percent = TRUE;
		break;
	case TAGS_BODY:
		node->transform = (PdSieveBodyTransform) tag->value;
		if (value != NULL)
			node->flags = g_ptr_array_ref(value->strings);	/* the content types */
		break;
	}
	return TRUE;
}

/* encoded-character: every string argument of node decoded in place. */
static gboolean
decode_strings(Validator *v, PdSieveNode *node)
{
	gboolean ok = TRUE;

	for (guint i = 0; i < node->args->len; i++) {
		PdSieveArg *arg = g_ptr_array_index(node->args, i);

		for (guint s = 0; arg->strings != NULL && s < arg->strings->len; s++) {
			char *bad = NULL;

			if (!pd_sieve_decode_encoded((char **) &arg->strings->pdata[s], &bad)) {
				error_at(v, arg->line, arg->col,
					 "invalid encoded character \"%s\"", bad);
				ok = FALSE;
			}
			g_free(bad);
		}
	}
	return ok;
}

/* variables: a reference to a namespace is an error (none is supported). */
static gboolean
check_namespaces(Validator *v, PdSieveNode *node)
{
	for (guint i = 0; i < node->args->len; i++) {
		PdSieveArg *arg = g_ptr_array_index(node->args, i);

		for (guint s = 0; arg->strings != NULL && s < arg->strings->len; s++) {
			g_autofree char *ref =
				pd_sieve_namespace_reference(g_ptr_array_index(arg->strings, s));

			if (ref != NULL) {
				error_at(v, arg->line, arg->col,
					 "unknown variable namespace in \"%s\"", ref);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* :regex: every constant key compiled once, here; one with variables is
 * compiled when the run has expanded it. */
static gboolean
compile_regexes(Validator *v, PdSieveNode *node)
{
	if (node->second == NULL)
		return TRUE;
	node->regexes = g_ptr_array_new_with_free_func(pd_sieve_regex_free);
	for (guint i = 0; i < node->second->len; i++) {
		const char *key = g_ptr_array_index(node->second, i);
		g_autofree char *error = NULL;
		gpointer regex = NULL;

		if (!has_variables(v, key) &&
		    (regex = pd_sieve_regex_compile(key, node->comparator, &error)) == NULL) {
			error_at(v, node->line, node->col,
				 "invalid regular expression \"%s\": %s", key, error);
			return FALSE;
		}
		g_ptr_array_add(node->regexes, regex);
	}
	return TRUE;
}

/* Tags, then the positional arguments against spec->positional. */
static gboolean
take_arguments(Validator *v, PdSieveNode *node, const Spec *spec)
{
	PdSieveArg *positional[3];
	guint n = 0, seen = 0, wanted = strlen(spec->positional), optional = 0;
	const char *kinds = spec->positional;

	node->comparator = CMP_CASEMAP;
	for (guint i = 0; i < node->args->len; i++) {
		PdSieveArg *arg = g_ptr_array_index(node->args, i);

		if (arg->kind == ARG_TAG) {
			/* RFC 5228 2.6.2: tagged arguments precede positional ones
			 * (for the built-in commands and tests; an extension's own
			 * order is its documentation's) */
			if (n > 0 && node->command == NULL) {
				error_at(v, arg->line, arg->col,
					 "':%s' after a positional argument of '%s': tags come "
					 "first", arg->tag, node->name);
				return FALSE;
			}
			if (!take_tag(v, node, spec, &i, &seen))
				return FALSE;
			continue;
		}
		if (n == G_N_ELEMENTS(positional)) {
			n++;
			break;
		}
		positional[n++] = arg;
	}
	if (wanted > 0 && g_ascii_islower(kinds[0]))
		optional = 1;
	node->positional = g_ptr_array_new();
	for (guint a = 0; a < n && a < G_N_ELEMENTS(positional); a++)
		g_ptr_array_add(node->positional, positional[a]);
	if (n == wanted - optional && optional) {
		kinds++;	/* the optional leading one is absent */
		wanted--;
	} else if (n != wanted) {
		error_at(v, node->line, node->col,
			 "'%s' takes %s%u positional argument%s%s%s%s, found %u", node->name,
			 optional ? "up to " : "", wanted, wanted == 1 ? "" : "s",
			 *spec->roles ? " (" : "", spec->roles, *spec->roles ? ")" : "", n);
		return FALSE;
	}
	for (guint a = 0; a < n; a++) {
		PdSieveArg *arg = positional[a];
		char kind = g_ascii_toupper(kinds[a]);
		gboolean ok = kind == 'N' ? arg->kind == ARG_NUMBER :
			      kind == 'S' ? arg->kind == ARG_STRING : arg->kind != ARG_NUMBER;

		if (!ok) {
			error_at(v, arg->line, arg->col,
				 "argument %u of '%s' must be %s, found %s", a + 1, node->name,
				 kind == 'N' ? "a number" : kind == 'S' ? "a string" :
				 "a string list", arg_describe(arg));
			return FALSE;
		}
	}
	if (spec->op == OP_SIZE) {
		if (!(seen & TAGS_SIZE)) {
			error_at(v, node->line, node->col, "'size' needs :over or :under");
			return FALSE;
		}
		node->number = positional[0]->number;
		return TRUE;
	}
	if (node->comparator == CMP_NUMERIC && (node->match == MATCH_CONTAINS ||
	    node->match == MATCH_MATCHES || node->match == MATCH_REGEX)) {
		error_at(v, node->line, node->col,
			 "comparator \"i;ascii-numeric\" cannot be used with :%s",
			 node->match == MATCH_CONTAINS ? "contains" :
			 node->match == MATCH_MATCHES ? "matches" : "regex");
		return FALSE;
	}
	/* the key list (the last positional of a test) is "second" */
	if (n == 2) {
		node->first = g_ptr_array_ref(positional[0]->strings);
		node->second = g_ptr_array_ref(positional[1]->strings);
	} else if (n == 1 && (optional || strlen(kinds) == 2 || spec->op == OP_BODY ||
			      spec->op == OP_SPAMTEST)) {
		node->second = g_ptr_array_ref(positional[0]->strings);
	} else if (n == 1) {
		node->first = g_ptr_array_ref(positional[0]->strings);
	}
	return node->match != MATCH_REGEX || compile_regexes(v, node);
}

/* The header fields that hold addresses: the address test reads only these
 * (RFC 5228 5.1: it MUST be restricted to them, From, To, Cc, Bcc, Sender,
 * Resent-From and Resent-To at least).  RFC 5322 3.6.2-3.6.6, the
 * delivery's trace fields, and the common list and receipt headers. */
static const char *const address_headers[] = {
	"from", "sender", "reply-to", "to", "cc", "bcc",
	"resent-from", "resent-sender", "resent-reply-to", "resent-to", "resent-cc",
	"resent-bcc", "return-path", "delivered-to", "x-original-to", "envelope-to",
	"apparently-to", "errors-to", "mail-followup-to", "mail-reply-to",
	"disposition-notification-to", "return-receipt-to", "x-beenthere",
};

static gboolean
address_header(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(address_headers); i++)
		if (g_ascii_strcasecmp(address_headers[i], name) == 0)
			return TRUE;
	return FALSE;
}

/* What each command's own strings must be. */
static gboolean
check_values(Validator *v, PdSieveNode *node)
{
	GPtrArray *first = node->first;

	switch (node->op) {
	case OP_HEADER:
	case OP_ADDRESS:
	case OP_EXISTS:
		for (guint i = 0; i < first->len; i++) {
			const char *name = g_ptr_array_index(first, i);

			if (!header_name_valid(name) && !has_variables(v, name)) {
				error_at(v, node->line, node->col, "invalid header name \"%s\"",
					 name);
				return FALSE;
			}
			if (node->op == OP_ADDRESS && !address_header(name) &&
			    !has_variables(v, name)) {
				error_at(v, node->line, node->col,
					 "'address' reads header fields that hold addresses, not "
					 "\"%s\" (use 'header')", name);
				return FALSE;
			}
		}
		return TRUE;
	case OP_ENVELOPE:
		for (guint i = 0; i < first->len; i++) {
			const char *part = g_ptr_array_index(first, i);

			if (g_ascii_strcasecmp(part, "from") != 0 &&
			    g_ascii_strcasecmp(part, "to") != 0 &&
			    g_ascii_strcasecmp(part, "auth") != 0 && !has_variables(v, part)) {
				error_at(v, node->line, node->col,
					 "unknown envelope part \"%s\" (from, to or auth)", part);
				return FALSE;
			}
		}
		return TRUE;
	case OP_REDIRECT: {
		const char *address = g_ptr_array_index(first, 0);
		g_autofree char *bare = pd_sieve_redirect_address(address);

		if (bare == NULL && !has_variables(v, address)) {
			error_at(v, node->line, node->col, "invalid redirect address \"%s\"",
				 address);
			return FALSE;
		}
		return TRUE;
	}
	case OP_FILEINTO:
		if (*(const char *) g_ptr_array_index(first, 0) == '\0' ||
		    !g_utf8_validate(g_ptr_array_index(first, 0), -1, NULL)) {
			error_at(v, node->line, node->col, "invalid mailbox name");
			return FALSE;
		}
		return TRUE;
	case OP_SET:
	case OP_SETFLAG:
	case OP_ADDFLAG:
	case OP_REMOVEFLAG:
	case OP_HASFLAG:
		for (guint i = 0; first != NULL && i < first->len; i++) {
			const char *name = g_ptr_array_index(first, i);

			if (!(v->capabilities & CAP_VARIABLES) && node->op != OP_SET) {
				error_at(v, node->line, node->col,
					 "a variable name in '%s' needs require \"variables\"",
					 node->name);
				return FALSE;
			}
			if (!pd_sieve_variable_name_valid(name)) {
				error_at(v, node->line, node->col, "invalid variable name \"%s\"",
					 name);
				return FALSE;
			}
		}
		return TRUE;
	default:
		return TRUE;
	}
}

static gboolean validate_node(Validator *v, PdSieveNode *node, gboolean test);

static gboolean
validate_require(Validator *v, PdSieveNode *node, gboolean top)
{
	gboolean ok = TRUE;

	if (!top || v->past_require) {
		error_at(v, node->line, node->col,
			 "require must come before every other command, at the top");
		return FALSE;
	}
	for (guint i = 0; i < node->first->len; i++) {
		const char *name = g_ptr_array_index(node->first, i);
		guint capability = pd_sieve_capability_lookup(name);

		for (guint e = 0; capability == 0 && v->extensions != NULL &&
		     v->extensions[e] != NULL; e++) {
			if (strcmp(v->extensions[e]->capability, name) == 0) {
				v->extensions_required |= 1u << e;
				capability = CAP_CORE;
			}
		}
		if (capability == 0) {
			error_at(v, node->line, node->col,
				 "unknown or unsupported capability \"%s\"", name);
			g_ptr_array_add(v->unknown, (gpointer) name);
			ok = FALSE;
		}
		if (capability == CAP_SPAMTESTPLUS)
			capability |= CAP_SPAMTEST;	/* RFC 5235 3.2: it implies spamtest */
		v->capabilities |= capability;
	}
	return ok;
}

static gboolean
validate_node(Validator *v, PdSieveNode *node, gboolean test)
{
	const Spec *spec = spec_find(node->name);
	guint ntests = node->tests != NULL ? node->tests->len : 0;
	gboolean ok = TRUE, unrequired = FALSE;
	Spec local;

	if (spec == NULL)
		spec = extension_spec(v, node, &local, &unrequired);
	if (unrequired)
		return FALSE;
	for (guint i = 0; spec == NULL && i < v->unknown->len; i++)
		if (strcmp(g_ptr_array_index(v->unknown, i), node->name) == 0)
			return FALSE;	/* its require has the error already */
	if (spec == NULL || spec->test != test) {
		error_at(v, node->line, node->col, spec == NULL ? "unknown %s '%s'" :
			 test ? "'%2$s' is a command, not a %1$s" :
			 "'%2$s' is a test, not a %1$s", test ? "test" : "command", node->name);
		return FALSE;
	}
	node->op = spec->op;
	if (spec->capability != 0 && !(v->capabilities & spec->capability)) {
		error_at(v, node->line, node->col, "'%s' needs require \"%s\"", node->name,
			 capability_name(spec->capability));
		return FALSE;
	}
	if ((v->capabilities & CAP_ENCODED_CHARACTER) && !decode_strings(v, node))
		return FALSE;
	if ((v->capabilities & CAP_VARIABLES) && !check_namespaces(v, node))
		return FALSE;
	if (!take_arguments(v, node, spec))
		return FALSE;
	if (spec->tests == TESTS_NONE && ntests > 0) {
		const PdSieveNode *after = g_ptr_array_index(node->tests, 0);
		const Spec *next = spec_find(after->name);

		if (!test && next != NULL && !next->test && !node->test_list)
			error_at(v, node->line, node->col,
				 "'%s' takes no test; is a ';' missing before '%s' (line %u)?",
				 node->name, after->name, after->line);
		else
			error_at(v, node->line, node->col, "'%s' takes no test", node->name);
		return FALSE;
	}
	if (spec->tests == TESTS_ONE && (ntests != 1 || node->test_list)) {
		error_at(v, node->line, node->col, "'%s' takes exactly one test%s", node->name,
			 node->test_list ? ", not a test list" : "");
		return FALSE;
	}
	if (spec->tests == TESTS_LIST && !node->test_list) {
		error_at(v, node->line, node->col, "'%s' takes a test list \"( ... )\"",
			 node->name);
		return FALSE;
	}
	if (spec->block && node->block == NULL) {
		error_at(v, node->line, node->col, "'%s' needs a block \"{ ... }\"", node->name);
		return FALSE;
	}
	if (!spec->block && node->block != NULL && !test) {
		error_at(v, node->line, node->col, "'%s' takes no block", node->name);
		return FALSE;
	}
	for (guint i = 0; i < ntests; i++)
		ok = validate_node(v, g_ptr_array_index(node->tests, i), TRUE) && ok;
	return check_values(v, node) && ok;
}

static gboolean
validate_commands(Validator *v, GPtrArray *commands, gboolean top)
{
	PdSieveOp previous = OP_NONE;
	gboolean ok = TRUE;

	for (guint i = 0; i < commands->len && !v->diag->gave_up; i++) {
		PdSieveNode *node = g_ptr_array_index(commands, i);
		gboolean good;

		if (strcmp(node->name, "require") == 0) {
			good = validate_node(v, node, FALSE) && validate_require(v, node, top);
		} else {
			v->past_require = TRUE;
			good = validate_node(v, node, FALSE);
		}
		if (good && (node->op == OP_ELSIF || node->op == OP_ELSE) &&
		    previous != OP_IF && previous != OP_ELSIF) {
			error_at(v, node->line, node->col, "'%s' without a preceding 'if'",
				 node->name);
			good = FALSE;
		}
		/* the block is read even when its command is wrong: its own
		 * errors are reported in the same run */
		if (node->block != NULL)
			good = validate_commands(v, node->block, FALSE) && good;
		previous = node->op;
		ok = good && ok;
	}
	return ok;
}

void
pd_sieve_validate(PdSieveDiag *diag, PdSieveScript *script)
{
	Validator v = { .diag = diag, .extensions = script->extensions,
			.unknown = g_ptr_array_new() };

	validate_commands(&v, script->commands, TRUE);
	g_ptr_array_unref(v.unknown);
	script->capabilities = v.capabilities;
	script->extensions_required = v.extensions_required;
}
