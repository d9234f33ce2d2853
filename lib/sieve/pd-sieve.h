/* pd-sieve: the operator's filter rules, a Sieve (RFC 5228) interpreter.
 *
 * A script is compiled once (pd_sieve_compile: lexer, parser, validation
 * against its `require`) into a program that runs per message
 * (pd_sieve_run) without re-parsing.  Compile errors come as
 * "file:line:col: message", several per run (the parser recovers at the
 * next ';' or block).  The message is read through a small vtable
 * (PdSieveMessage): header values raw and decoded, the envelope, the size,
 * the body parts, the spam score; the module never parses MIME, never
 * touches the network, the store or a file, and never runs anything.  A
 * run's output is a list of typed actions (PdSieveAction), the implicit
 * keep included, for the pipeline to turn into the delivery's decisions.
 *
 * Supported: RFC 5228 core (if/elsif/else, stop, keep, discard, redirect,
 * fileinto; header, address, envelope, exists, size, not, anyof, allof,
 * true, false; :is :contains :matches; i;octet, i;ascii-casemap,
 * i;ascii-numeric; :all :localpart :domain), encoded-character, variables
 * (RFC 5229), relational (RFC 5231), subaddress (RFC 5233), imap4flags
 * (RFC 5232), copy (RFC 3894), reject and ereject (RFC 5429), body
 * (RFC 5173), regex (draft-ietf-sieve-regex: POSIX extended, no
 * back-references, at most 1 KiB, over the first 64 KiB of a value),
 * spamtest and spamtestplus (RFC 5235).  Any other capability is refused
 * by `require`, unless an extension (PdSieveExtension) given to
 * pd_sieve_compile_with implements it.
 *
 * Bounded: script size, nesting, string and list sizes at compile time;
 * a step budget, variable sizes and the number of actions per run.
 * Hitting a run-time bound, like any run-time error, is a logged error of
 * the run (result->errors): the actions so far are dropped and the
 * implicit keep stands (RFC 5228 2.10.6), as if no rule had matched.  A
 * run never stalls: every loop over input charges the step budget.
 *
 * A compiled PdSieveScript is immutable and may be run from many threads
 * at once; each run owns its PdSieveResult.
 */
#ifndef PD_SIEVE_H
#define PD_SIEVE_H

#include <glib.h>

typedef struct {
	gsize max_script;	/* bytes of a script */
	guint max_nesting;	/* blocks and tests within each other */
	gsize max_string;	/* bytes of one string */
	guint max_list;		/* strings in one string list */
	guint max_errors;	/* compile errors reported before giving up */
	guint64 max_steps;	/* per run: commands, tests and comparison steps */
	guint max_redirects;	/* per run */
	guint max_actions;	/* per run, every kind */
	gsize max_variable;	/* bytes of a variable's value (longer is cut) */
	guint max_variables;	/* distinct variables per run */
	/* Compile only the syntax (lexer and parser): no `require` or argument
	 * checks.  For reading foreign test files (Pigeonhole's suite). */
	gboolean syntax_only;
} PdSieveLimits;

/* Defaults: 1 MiB script, nesting 32, 64 KiB strings, 1024 strings per list,
 * 20 errors, 1,000,000 steps, 16 redirects, 64 actions, 4096-byte variables,
 * 256 variables. */
void pd_sieve_limits_init(PdSieveLimits *limits);

/* The message a script reads.  An implementation embeds PdSieveMessage
 * first and fills ops (as lib/auth/pd-resolver.h does). */
typedef struct PdSieveMessage PdSieveMessage;

typedef struct {
	/* Append to values (char *, g_free) the value of every header field
	 * named name (ASCII case-insensitive), in message order, unfolded
	 * and without the leading white space: RFC 2047-decoded to UTF-8
	 * when decoded is TRUE (the header test), raw otherwise (the address
	 * test parses it). */
	void (*header)(PdSieveMessage *message, const char *name, gboolean decoded,
		       GPtrArray *values);
	/* The envelope: part "from" (MAIL FROM without the angle brackets,
	 * "" for the null sender), "to" (the RCPT TO that caused this
	 * delivery) or "auth" (the SMTP AUTH identity).  NULL: not known. */
	const char *(*envelope)(PdSieveMessage *message, const char *part);
	/* The message size in octets, as received. */
	guint64 (*size)(PdSieveMessage *message);
	/* The body test (RFC 5173): append to values (char *, g_free) the
	 * body after the header section undecoded when raw is TRUE (one
	 * value); else the content of every MIME leaf part, transfer-decoded
	 * and in UTF-8, whose type matches content_types (NULL-terminated; ""
	 * any, "text" a type, "text/html" a type and subtype; NULL: the text
	 * parts, HTML as text).  NULL: no body is known (the test is false). */
	void (*body)(PdSieveMessage *message, gboolean raw, const char *const *content_types,
		     GPtrArray *values);
	/* spamtest (RFC 5235): the message's spam score as the test reads
	 * it, "1".."10" (percent FALSE) or "0".."100" (percent TRUE, for
	 * spamtestplus); the pipeline maps its score onto these.  NULL: not
	 * tested, which the test reads as "0".  NULL callback: never tested. */
	const char *(*spamtest)(PdSieveMessage *message, gboolean percent);
} PdSieveMessageOps;

struct PdSieveMessage {
	const PdSieveMessageOps *ops;
};

typedef enum {
	PD_SIEVE_KEEP,		/* into the default place (the ticket) */
	PD_SIEVE_FILEINTO,	/* argument: the mailbox (for us: a queue) */
	PD_SIEVE_REDIRECT,	/* argument: the address */
	PD_SIEVE_DISCARD,	/* silently dropped */
	PD_SIEVE_REJECT,	/* argument: the reason; LMTP 550 for this recipient */
	PD_SIEVE_EREJECT,	/* argument: the reason; same at protocol level */
} PdSieveActionKind;

typedef struct {
	PdSieveActionKind kind;
	char *argument;		/* see the kind; NULL for keep and discard */
	GPtrArray *flags;	/* char *: imap4flags of keep/fileinto; NULL: none */
	gboolean copy;		/* :copy: the implicit keep was not cancelled */
	gboolean implicit;	/* keep only: the implicit keep */
	guint line;		/* the command's line in the script; 0: implicit */
} PdSieveAction;

typedef struct {
	GPtrArray *actions;	/* PdSieveAction *, in the order taken */
	/* char *: "file:line:col: message" of the run: the error that stopped
	 * it (failed), and rule errors that did not (a :regex key that a
	 * variable made invalid: that test was false, the run went on) */
	GPtrArray *errors;
	gboolean failed;	/* a run-time error: actions hold the implicit keep */
	guint64 steps;		/* steps used */
} PdSieveResult;

typedef struct PdSieveScript PdSieveScript;

/* ---- extensions from outside the module ----
 * A capability of commands and tests that another layer implements (the
 * vnd.postdesk actions; test-only extensions such as Pigeonhole's
 * testsuite).  Validation treats them like the built-in ones: require,
 * positional arguments, tags; the run calls run() with the node's
 * arguments behind a PdSieveCall. */
typedef struct PdSieveCall PdSieveCall;

/* The tag groups of the built-in tests an extension command may take. */
enum {
	PD_SIEVE_TAGS_MATCH = 1 << 0,		/* :is :contains :matches (:value :count) */
	PD_SIEVE_TAGS_COMPARATOR = 1 << 1,	/* :comparator "name" */
};

typedef struct {
	const char *name;		/* lower case */
	gboolean test;			/* a test (run's result is its truth) */
	/* 'S' string, 'L' string list, 'N' number; the first in lower case:
	 * an optional leading one */
	const char *positional;
	guint tags;			/* PD_SIEVE_TAGS_* */
	/* NULL-terminated, each "name" (alone), "name=S" or "name=N" (with a
	 * string or number after it); NULL: none */
	const char *const *own_tags;
	gboolean block;			/* takes a block (a command only) */
	gboolean (*run)(PdSieveCall *call, gpointer user_data);
} PdSieveCommand;

typedef struct {
	const char *capability;		/* what `require` names */
	const PdSieveCommand *commands;
	gsize n_commands;
	gpointer user_data;		/* given to run() */
} PdSieveExtension;

/* The running command's arguments.  Strings come expanded (variables);
 * index counts the positional arguments from 0. */
char *pd_sieve_call_string(PdSieveCall *call, guint index);
GPtrArray *pd_sieve_call_strings(PdSieveCall *call, guint index);	/* char *; NULL: absent */
guint64 pd_sieve_call_number(PdSieveCall *call, guint index);
guint pd_sieve_call_positional(PdSieveCall *call);	/* how many were given */
gboolean pd_sieve_call_has_tag(PdSieveCall *call, const char *tag);
/* A tag's value: the string (newly allocated, NULL: absent) or number. */
char *pd_sieve_call_tag_string(PdSieveCall *call, const char *tag);
gboolean pd_sieve_call_tag_number(PdSieveCall *call, const char *tag, guint64 *number_r);
/* values against the keys of positional argument key_index, with the
 * call's match type and comparator (:count counts values). */
gboolean pd_sieve_call_match(PdSieveCall *call, GPtrArray *values, guint key_index);
/* Runs the command's block; a stop inside it ends the block only. */
void pd_sieve_call_run_block(PdSieveCall *call);
/* Ends the innermost block run by pd_sieve_call_run_block (or the script). */
void pd_sieve_call_stop(PdSieveCall *call);
PdSieveMessage *pd_sieve_call_message(PdSieveCall *call);
guint pd_sieve_call_line(PdSieveCall *call);
/* A run-time error (as the built-in ones: the run stops, implicit keep). */
void pd_sieve_call_error(PdSieveCall *call, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Compile text (len bytes, not NUL-terminated necessarily) named name (the
 * file, as errors cite it).  limits NULL: the defaults.  Returns NULL when
 * the script has errors; then errors_r (if not NULL) gets a new array of
 * "name:line:col: message" (char *), at least one. */
PdSieveScript *pd_sieve_compile(const char *name, const char *text, gsize len,
				const PdSieveLimits *limits, GPtrArray **errors_r);
/* The same with extensions (a NULL-terminated array, borrowed: it must
 * outlive the script); at most 16. */
PdSieveScript *pd_sieve_compile_with(const char *name, const char *text, gsize len,
				     const PdSieveLimits *limits,
				     const PdSieveExtension *const *extensions,
				     GPtrArray **errors_r);
void pd_sieve_script_free(PdSieveScript *script);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSieveScript, pd_sieve_script_free)

/* TRUE when the script requires capability (e.g. "variables"). */
gboolean pd_sieve_script_requires(const PdSieveScript *script, const char *capability);

/* Run a script compiled without syntax_only over message.  Never fails:
 * a run-time error is in result->errors (and result->failed). */
PdSieveResult *pd_sieve_run(const PdSieveScript *script, PdSieveMessage *message);
void pd_sieve_result_free(PdSieveResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSieveResult, pd_sieve_result_free)

/* "keep", "fileinto", ... */
const char *pd_sieve_action_name(PdSieveActionKind kind);
/* One line per action, "fileinto \"billing\" :flags \"\\\\Seen\"" style, for
 * logs and tests; newly allocated. */
char *pd_sieve_result_to_string(const PdSieveResult *result);

/* An in-memory message: header lines and envelope given as text, for
 * tests, fuzzers and `postdesk test`'s rule dumps.  headers: "Name: value"
 * lines (CRLF or LF, continuation lines folded in); decoded values equal
 * the raw ones.  from/to NULL: not known.  size 0: the headers' length. */
PdSieveMessage *pd_sieve_facts_new(const char *headers, const char *from, const char *to,
				   guint64 size);
/* The spamtest values of a facts message (NULL: not tested). */
void pd_sieve_facts_set_spamtest(PdSieveMessage *message, const char *value,
				 const char *percent);
/* The body of a facts message: one part, of the Content-Type the headers
 * name (text/plain when none), not decoded.  NULL: no body known. */
void pd_sieve_facts_set_body(PdSieveMessage *message, const char *body);
void pd_sieve_facts_free(PdSieveMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSieveMessage, pd_sieve_facts_free)

#endif
