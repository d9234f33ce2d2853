/* pd-sieve internals: the lexer's tokens, the syntax tree the parser builds
 * and validation completes (the compiled program), the run context.
 */
#ifndef PD_SIEVE_PRIVATE_H
#define PD_SIEVE_PRIVATE_H

#include "sieve/pd-sieve.h"

/* ---- compile-time diagnostics ---- */
typedef struct {
	const char *name;		/* the file, as errors cite it */
	const PdSieveLimits *limits;
	GPtrArray *errors;		/* char * */
	gboolean gave_up;		/* max_errors reached */
} PdSieveDiag;

void pd_sieve_diag_error(PdSieveDiag *diag, guint line, guint col, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* ---- lexer (pd-sieve-lex.c) ---- */
typedef enum {
	TOK_EOF,
	TOK_IDENTIFIER,		/* text: lower case */
	TOK_TAG,		/* text: lower case, without ':' */
	TOK_NUMBER,		/* number */
	TOK_STRING,		/* text, len: quoted or multi-line, unescaped */
	TOK_LBRACKET, TOK_RBRACKET, TOK_LPAREN, TOK_RPAREN,
	TOK_LBRACE, TOK_RBRACE, TOK_COMMA, TOK_SEMICOLON,
	TOK_ERROR,		/* already reported */
} PdSieveTokenKind;

typedef struct {
	PdSieveTokenKind kind;
	guint line, col;
	GString *text;
	guint64 number;
} PdSieveToken;

typedef struct {
	PdSieveDiag *diag;
	const char *p, *end;
	guint line, col;
} PdSieveLexer;

void pd_sieve_lexer_init(PdSieveLexer *lexer, PdSieveDiag *diag, const char *text, gsize len);
/* Fills token (its text must be a GString the caller owns). */
void pd_sieve_lexer_next(PdSieveLexer *lexer, PdSieveToken *token);
const char *pd_sieve_token_describe(PdSieveTokenKind kind);

/* ---- syntax tree (pd-sieve-parse.c) ---- */
typedef enum { ARG_NUMBER, ARG_STRING, ARG_LIST, ARG_TAG } PdSieveArgKind;

typedef struct {
	PdSieveArgKind kind;
	guint line, col;
	guint64 number;
	char *tag;			/* ARG_TAG: lower case, without ':' */
	GPtrArray *strings;		/* ARG_STRING (one) and ARG_LIST: char * */
} PdSieveArg;

typedef enum {
	OP_NONE,
	/* control and actions */
	OP_REQUIRE, OP_IF, OP_ELSIF, OP_ELSE, OP_STOP, OP_KEEP, OP_DISCARD, OP_REDIRECT,
	OP_FILEINTO, OP_SET, OP_SETFLAG, OP_ADDFLAG, OP_REMOVEFLAG, OP_REJECT, OP_EREJECT,
	/* tests */
	OP_HEADER, OP_ADDRESS, OP_ENVELOPE, OP_EXISTS, OP_SIZE, OP_NOT, OP_ANYOF, OP_ALLOF,
	OP_TRUE, OP_FALSE, OP_STRING, OP_HASFLAG, OP_BODY, OP_SPAMTEST,
	/* a command or test of a PdSieveExtension */
	OP_EXTENSION,
} PdSieveOp;

typedef enum {
	MATCH_IS, MATCH_CONTAINS, MATCH_MATCHES, MATCH_VALUE, MATCH_COUNT, MATCH_REGEX,
} PdSieveMatchType;
typedef enum { CMP_OCTET, CMP_CASEMAP, CMP_NUMERIC } PdSieveComparator;
typedef enum { PART_ALL, PART_LOCAL, PART_DOMAIN, PART_USER, PART_DETAIL } PdSieveAddressPart;
typedef enum { BODY_TEXT, BODY_RAW, BODY_CONTENT } PdSieveBodyTransform;
typedef enum { REL_GT, REL_GE, REL_LT, REL_LE, REL_EQ, REL_NE } PdSieveRelation;

/* set's modifiers (RFC 5229 4.1) */
enum {
	MOD_LOWER = 1 << 0, MOD_UPPER = 1 << 1, MOD_LOWERFIRST = 1 << 2,
	MOD_UPPERFIRST = 1 << 3, MOD_QUOTEWILDCARD = 1 << 4, MOD_LENGTH = 1 << 5,
	MOD_QUOTEREGEX = 1 << 6,
};

typedef struct PdSieveNode PdSieveNode;
struct PdSieveNode {
	char *name;			/* lower case */
	guint line, col;
	GPtrArray *args;		/* PdSieveArg * */
	GPtrArray *tests;		/* PdSieveNode *; NULL: none */
	gboolean test_list;		/* the tests came as "( ... )" */
	GPtrArray *block;		/* PdSieveNode *; NULL: ended with ';' */

	/* the compiled form, filled by validation */
	PdSieveOp op;
	PdSieveMatchType match;
	PdSieveComparator comparator;
	PdSieveAddressPart part;
	PdSieveRelation relation;
	gboolean over;			/* size :over (else :under) */
	gboolean copy;
	gboolean percent;		/* spamtest :percent */
	guint modifiers;
	GPtrArray *first;		/* char *: header names, the mailbox, the address ... */
	GPtrArray *second;		/* char *: the key list, set's value ... */
	GPtrArray *flags;		/* char *: :flags, body's :content; NULL: none */
	PdSieveBodyTransform transform;	/* body */
	GPtrArray *regexes;		/* regex_t * per key of second; NULL: compiled at run time */
	guint64 number;			/* size's limit */
	GPtrArray *positional;		/* PdSieveArg *, borrowed from args */
	const PdSieveCommand *command;	/* OP_EXTENSION: what runs it */
	gpointer user_data;		/* ... and its extension's data */
};

void pd_sieve_node_free(PdSieveNode *node);
/* The top-level commands, or NULL after an error that left nothing. */
GPtrArray *pd_sieve_parse(PdSieveDiag *diag, const char *text, gsize len);

/* ---- validation (pd-sieve-validate.c) ---- */
typedef enum {
	CAP_ENVELOPE = 1 << 0, CAP_FILEINTO = 1 << 1, CAP_ENCODED_CHARACTER = 1 << 2,
	CAP_NUMERIC = 1 << 3, CAP_VARIABLES = 1 << 4, CAP_RELATIONAL = 1 << 5,
	CAP_SUBADDRESS = 1 << 6, CAP_IMAP4FLAGS = 1 << 7, CAP_COPY = 1 << 8,
	CAP_REJECT = 1 << 9, CAP_EREJECT = 1 << 10, CAP_CORE = 1 << 11, CAP_BODY = 1 << 12,
	CAP_REGEX = 1 << 13, CAP_SPAMTEST = 1 << 14, CAP_SPAMTESTPLUS = 1 << 15,
} PdSieveCapability;

struct PdSieveScript {
	char *name;
	PdSieveLimits limits;
	GPtrArray *commands;		/* PdSieveNode * */
	guint capabilities;		/* PdSieveCapability */
	const PdSieveExtension *const *extensions;	/* borrowed; NULL: none */
	guint extensions_required;	/* bit i: extensions[i] */
};

/* Checks every command against the script's requires and fills the
 * compiled fields; sets the capabilities and extensions required.
 * Errors go to diag. */
void pd_sieve_validate(PdSieveDiag *diag, PdSieveScript *script);
/* The PdSieveCapability of a `require` name; 0: not supported. */
guint pd_sieve_capability_lookup(const char *name);

/* ---- strings (pd-sieve-vars.c) ---- */
/* RFC 5228 2.4.2.4 / encoded-character: "${hex:..}" and "${unicode:..}"
 * decoded in place; FALSE (and *bad_r the offending text) on a malformed
 * sequence inside them, which is an error. */
gboolean pd_sieve_decode_encoded(char **text, char **bad_r);
/* The first "${a.b}" of text (a namespace, none of which is supported:
 * a compile error, RFC 5229 3); newly allocated, NULL: none. */
char *pd_sieve_namespace_reference(const char *text);
/* Valid variable name (set's first argument). */
gboolean pd_sieve_variable_name_valid(const char *name);

/* ---- matching (pd-sieve-match.c) ---- */
#define PD_SIEVE_MATCH_MAX 99		/* the last match variable, ${99} */
typedef struct PdSieveRun PdSieveRun;

/* Charge n steps; FALSE when the budget is spent (the error is recorded). */
gboolean pd_sieve_run_charge(PdSieveRun *run, guint64 n);
/* value against key with the node's match type, comparator and relation
 * (not :count).  :matches captures into captures_r (char *, NULL: unused). */
gboolean pd_sieve_match_one(PdSieveRun *run, const PdSieveNode *node, const char *value,
			    const char *key, GPtrArray *captures_r);
/* :regex (pd-sieve-regex.c): a POSIX extended expression compiled for
 * the comparator (i;ascii-casemap: case-insensitive); NULL and *error_r
 * when it is invalid, longer than PD_SIEVE_REGEX_MAX or uses a back-
 * reference (which would make matching exponential). */
#define PD_SIEVE_REGEX_MAX 1024		/* bytes of an expression */
#define PD_SIEVE_REGEX_INPUT (64 * 1024)	/* bytes of a value it sees */
gpointer pd_sieve_regex_compile(const char *pattern, PdSieveComparator comparator,
				char **error_r);
void pd_sieve_regex_free(gpointer regex);
/* value against a compiled expression; captures as for :matches. */
gboolean pd_sieve_regex_match(PdSieveRun *run, gpointer regex, const char *value,
			      GPtrArray *captures_r);
/* The relation applied to a comparison result (<0, 0, >0). */
gboolean pd_sieve_relation_holds(PdSieveRelation relation, int order);
int pd_sieve_compare(PdSieveComparator comparator, const char *a, const char *b);
/* Address list of a header value, each "local@domain" or "local"
 * (appended to addresses, char *). */
void pd_sieve_address_list(const char *value, GPtrArray *addresses);
/* redirect's argument as one bare address (a display name and angle
 * brackets allowed, white space dropped); NULL when it is not one. */
char *pd_sieve_redirect_address(const char *text);
/* The part of one address; NULL when it has none (:detail without "+"). */
char *pd_sieve_address_part(const char *address, PdSieveAddressPart part);

/* ---- run (pd-sieve-run.c, pd-sieve-vars.c) ---- */
struct PdSieveRun {
	const PdSieveScript *script;
	PdSieveMessage *message;
	PdSieveResult *result;
	const PdSieveNode *node;	/* running, for error positions */
	GHashTable *variables;		/* lower-case name -> char * */
	GPtrArray *match;		/* char *: ${0}..${9} */
	GPtrArray *internal_flags;	/* char *: imap4flags' internal variable */
	gboolean implicit_keep;
	gboolean stopped;		/* stop, or a run-time error */
	guint redirects;
};

void pd_sieve_run_error(PdSieveRun *run, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A rule error that does not stop the run: the test it is in is false
 * (an expression that only a variable's value made invalid). */
void pd_sieve_run_rule_error(PdSieveRun *run, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* values against keys with the node's match type and comparator. */
gboolean pd_sieve_match_keys(PdSieveRun *run, const PdSieveNode *node, GPtrArray *values,
			     GPtrArray *keys);
void pd_sieve_exec_block(PdSieveRun *run, GPtrArray *commands);

struct PdSieveCall {
	PdSieveRun *run;
	const PdSieveNode *node;
};
/* A string argument with ${...} expanded when the script requires
 * variables; newly allocated. */
char *pd_sieve_expand(PdSieveRun *run, const char *text);
/* The set command: modifiers applied, stored. */
void pd_sieve_variable_set(PdSieveRun *run, const char *name, const char *value, guint modifiers);
/* :quotewildcard etc. applied to value; newly allocated. */
char *pd_sieve_modify(const char *value, guint modifiers);

#endif
