/* pd-sieve-parse: the grammar of RFC 5228 section 8.2 into a syntax tree.
 *
 *   commands = *command;  command = identifier arguments (";" / block)
 *   arguments = *argument [test / test-list];  argument = string-list / number / tag
 *   test = identifier arguments;  test-list = "(" test *("," test) ")"
 *
 * Recursive descent, bounded by max_nesting (blocks and tests together).
 * After an error the parser skips to the end of the broken command (its
 * ';', or past its block, or before the '}' closing the enclosing block)
 * and goes on, so one run reports several errors.  Names are checked
 * later (pd-sieve-validate.c).
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

typedef struct {
	PdSieveDiag *diag;
	PdSieveLexer lexer;
	PdSieveToken tok;
	guint depth;
} Parser;

static void
next(Parser *parser)
{
	pd_sieve_lexer_next(&parser->lexer, &parser->tok);
}

/* An unexpected token; a lexical error was reported already. */
static void
unexpected(Parser *parser, const char *wanted)
{
	if (parser->tok.kind == TOK_ERROR)
		return;
	pd_sieve_diag_error(parser->diag, parser->tok.line, parser->tok.col,
			    "expected %s, found %s", wanted,
			    pd_sieve_token_describe(parser->tok.kind));
}

static void
arg_free(PdSieveArg *arg)
{
	if (arg == NULL)
		return;
	g_free(arg->tag);
	if (arg->strings != NULL)
		g_ptr_array_unref(arg->strings);
	g_free(arg);
}

void
pd_sieve_node_free(PdSieveNode *node)
{
	if (node == NULL)
		return;
	g_free(node->name);
	g_clear_pointer(&node->args, g_ptr_array_unref);
	g_clear_pointer(&node->tests, g_ptr_array_unref);
	g_clear_pointer(&node->block, g_ptr_array_unref);
	g_clear_pointer(&node->first, g_ptr_array_unref);
	g_clear_pointer(&node->second, g_ptr_array_unref);
	g_clear_pointer(&node->flags, g_ptr_array_unref);
	g_clear_pointer(&node->positional, g_ptr_array_unref);
	g_clear_pointer(&node->regexes, g_ptr_array_unref);
	g_free(node);
}

static PdSieveNode *
node_new(Parser *parser)
{
	PdSieveNode *node = g_new0(PdSieveNode, 1);

	node->name = g_strdup(parser->tok.text->str);
	node->line = parser->tok.line;
	node->col = parser->tok.col;
	node->args = g_ptr_array_new_with_free_func((GDestroyNotify) arg_free);
	return node;
}

static gboolean
enter(Parser *parser)
{
	if (++parser->depth <= parser->diag->limits->max_nesting)
		return TRUE;
	pd_sieve_diag_error(parser->diag, parser->tok.line, parser->tok.col,
			    "nesting deeper than %u", parser->diag->limits->max_nesting);
	return FALSE;
}

static gboolean
parse_string_list(Parser *parser, PdSieveArg *arg)
{
	next(parser);	/* '[' */
	for (;;) {
		if (parser->tok.kind != TOK_STRING) {
			unexpected(parser, "a string in the list");
			return FALSE;
		}
		if (arg->strings->len >= parser->diag->limits->max_list) {
			pd_sieve_diag_error(parser->diag, parser->tok.line, parser->tok.col,
					    "string list longer than %u",
					    parser->diag->limits->max_list);
			return FALSE;
		}
		g_ptr_array_add(arg->strings, g_strdup(parser->tok.text->str));
		next(parser);
		if (parser->tok.kind == TOK_RBRACKET) {
			next(parser);
			return TRUE;
		}
		if (parser->tok.kind != TOK_COMMA) {
			unexpected(parser, "',' or ']' in the string list");
			return FALSE;
		}
		next(parser);
	}
}

/* Arguments, then a test or a test list (allowed is FALSE for none). */
static gboolean parse_arguments(Parser *parser, PdSieveNode *node);

static PdSieveNode *
parse_test(Parser *parser)
{
	PdSieveNode *node;
	gboolean ok;

	if (parser->tok.kind != TOK_IDENTIFIER) {
		unexpected(parser, "a test");
		return NULL;
	}
	if (!enter(parser))
		return NULL;
	node = node_new(parser);
	next(parser);
	ok = parse_arguments(parser, node);
	parser->depth--;
	if (!ok) {
		pd_sieve_node_free(node);
		return NULL;
	}
	return node;
}

static gboolean
parse_test_list(Parser *parser, PdSieveNode *node)
{
	node->test_list = TRUE;
	next(parser);	/* '(' */
	for (;;) {
		PdSieveNode *test = parse_test(parser);

		if (test == NULL)
			return FALSE;
		g_ptr_array_add(node->tests, test);
		if (parser->tok.kind == TOK_RPAREN) {
			next(parser);
			return TRUE;
		}
		if (parser->tok.kind != TOK_COMMA) {
			unexpected(parser, "',' or ')' in the test list");
			return FALSE;
		}
		next(parser);
	}
}

static gboolean
parse_arguments(Parser *parser, PdSieveNode *node)
{
	for (;;) {
		PdSieveTokenKind kind = parser->tok.kind;
		PdSieveArg *arg;

		if (kind != TOK_LBRACKET && kind != TOK_STRING && kind != TOK_NUMBER &&
		    kind != TOK_TAG)
			break;
		arg = g_new0(PdSieveArg, 1);
		arg->line = parser->tok.line;
		arg->col = parser->tok.col;
		g_ptr_array_add(node->args, arg);
		if (kind == TOK_NUMBER) {
			arg->kind = ARG_NUMBER;
			arg->number = parser->tok.number;
			next(parser);
		} else if (kind == TOK_TAG) {
			arg->kind = ARG_TAG;
			arg->tag = g_strdup(parser->tok.text->str);
			next(parser);
		} else {
			arg->strings = g_ptr_array_new_with_free_func(g_free);
			if (kind == TOK_STRING) {
				arg->kind = ARG_STRING;
				g_ptr_array_add(arg->strings, g_strdup(parser->tok.text->str));
				next(parser);
			} else {
				arg->kind = ARG_LIST;
				if (!parse_string_list(parser, arg))
					return FALSE;
			}
		}
	}
	if (parser->tok.kind == TOK_LPAREN || parser->tok.kind == TOK_IDENTIFIER) {
		node->tests = g_ptr_array_new_with_free_func((GDestroyNotify) pd_sieve_node_free);
		if (parser->tok.kind == TOK_LPAREN)
			return parse_test_list(parser, node);
		PdSieveNode *test = parse_test(parser);

		if (test == NULL)
			return FALSE;
		g_ptr_array_add(node->tests, test);
	}
	return TRUE;
}

/* After an error in a command: to its ';' (consumed), past its block, or
 * up to the '}' of the enclosing block (kept).  Iterative: no recursion on
 * hostile nesting. */
static void
recover(Parser *parser)
{
	guint braces = 0;

	for (;;) {
		switch (parser->tok.kind) {
		case TOK_EOF:
			return;
		case TOK_SEMICOLON:
			next(parser);
			if (braces == 0)
				return;
			continue;
		case TOK_LBRACE:
			braces++;
			break;
		case TOK_RBRACE:
			if (braces == 0)
				return;
			next(parser);
			if (--braces == 0)
				return;
			continue;
		default:
			break;
		}
		next(parser);
	}
}

static GPtrArray *parse_commands(Parser *parser, gboolean in_block);

static PdSieveNode *
parse_command(Parser *parser)
{
	PdSieveNode *node = node_new(parser);

	next(parser);
	if (!parse_arguments(parser, node))
		goto fail;
	if (parser->tok.kind == TOK_SEMICOLON) {
		next(parser);
		return node;
	}
	if (parser->tok.kind != TOK_LBRACE) {
		if (parser->tok.kind != TOK_ERROR)
			pd_sieve_diag_error(parser->diag, parser->tok.line, parser->tok.col,
					    "expected ';' or '{' after the arguments of '%s', "
					    "found %s", node->name,
					    pd_sieve_token_describe(parser->tok.kind));
		goto fail;
	}
	if (!enter(parser))
		goto fail;
	next(parser);
	node->block = parse_commands(parser, TRUE);
	parser->depth--;
	if (parser->tok.kind != TOK_RBRACE) {
		unexpected(parser, "'}' closing the block");
		pd_sieve_node_free(node);
		return NULL;
	}
	next(parser);
	return node;
fail:
	pd_sieve_node_free(node);
	recover(parser);
	return NULL;
}

static GPtrArray *
parse_commands(Parser *parser, gboolean in_block)
{
	GPtrArray *commands = g_ptr_array_new_with_free_func((GDestroyNotify) pd_sieve_node_free);

	while (!parser->diag->gave_up) {
		PdSieveTokenKind kind = parser->tok.kind;

		if (kind == TOK_EOF || (kind == TOK_RBRACE && in_block))
			break;
		if (kind == TOK_IDENTIFIER) {
			PdSieveNode *node = parse_command(parser);

			if (node != NULL)
				g_ptr_array_add(commands, node);
			continue;
		}
		unexpected(parser, "a command");
		if (kind == TOK_RBRACE)
			next(parser);	/* a stray '}' at the top */
		else
			recover(parser);
	}
	return commands;
}

GPtrArray *
pd_sieve_parse(PdSieveDiag *diag, const char *text, gsize len)
{
	Parser parser = { .diag = diag };
	GPtrArray *commands;

	parser.tok.text = g_string_new(NULL);
	pd_sieve_lexer_init(&parser.lexer, diag, text, len);
	next(&parser);
	commands = parse_commands(&parser, FALSE);
	g_string_free(parser.tok.text, TRUE);
	return commands;
}
