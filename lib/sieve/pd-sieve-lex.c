/* pd-sieve-lex: the tokens of RFC 5228 section 8.1.
 *
 * Identifiers and tags come out in lower case (Sieve's are case-
 * insensitive).  Quoted strings are unescaped ("\\" and "\"" are escapes;
 * any other backslash is dropped, 2.4.2); multi-line strings ("text:") are
 * dot-unstuffed (a leading ".." is "."), with every line ending CRLF.  A lexical error is reported
 * once and comes out as TOK_ERROR; the lexer then goes on after it.
 */
#include <string.h>

#include "sieve/pd-sieve-private.h"

void
pd_sieve_lexer_init(PdSieveLexer *lexer, PdSieveDiag *diag, const char *text, gsize len)
{
	lexer->diag = diag;
	lexer->p = text;
	lexer->end = text + len;
	lexer->line = 1;
	lexer->col = 1;
}

static int
peek(const PdSieveLexer *lexer, gsize ahead)
{
	return lexer->p + ahead < lexer->end ? (guchar) lexer->p[ahead] : -1;
}

static void
advance(PdSieveLexer *lexer)
{
	if (*lexer->p == '\n') {
		lexer->line++;
		lexer->col = 1;
	} else {
		lexer->col++;
	}
	lexer->p++;
}

/* White space and comments; FALSE on an unterminated bracket comment. */
static gboolean
skip_space(PdSieveLexer *lexer)
{
	for (;;) {
		int c = peek(lexer, 0);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(lexer);
		} else if (c == '#') {
			while (peek(lexer, 0) != -1 && peek(lexer, 0) != '\n')
				advance(lexer);
		} else if (c == '/' && peek(lexer, 1) == '*') {
			guint line = lexer->line, col = lexer->col;

			advance(lexer);
			advance(lexer);
			while (!(peek(lexer, 0) == '*' && peek(lexer, 1) == '/')) {
				if (peek(lexer, 0) == -1) {
					pd_sieve_diag_error(lexer->diag, line, col,
							    "unterminated comment");
					return FALSE;
				}
				advance(lexer);
			}
			advance(lexer);
			advance(lexer);
		} else {
			return TRUE;
		}
	}
}

static gboolean
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static gboolean
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void
lex_identifier(PdSieveLexer *lexer, PdSieveToken *token)
{
	while (is_alpha(peek(lexer, 0)) || is_digit(peek(lexer, 0))) {
		g_string_append_c(token->text, g_ascii_tolower(*lexer->p));
		advance(lexer);
	}
}

static void
lex_number(PdSieveLexer *lexer, PdSieveToken *token)
{
	guint64 value = 0, scale = 1;
	gboolean overflow = FALSE;
	int c;

	while (is_digit(peek(lexer, 0))) {
		guint digit = *lexer->p - '0';

		if (value > (G_MAXUINT64 - digit) / 10)
			overflow = TRUE;
		else
			value = value * 10 + digit;
		advance(lexer);
	}
	c = g_ascii_toupper(peek(lexer, 0));
	if (c == 'K' || c == 'M' || c == 'G') {
		scale = c == 'K' ? 1024 : c == 'M' ? 1024 * 1024 : 1024 * 1024 * 1024;
		advance(lexer);
	}
	if (!overflow && value > G_MAXUINT64 / scale)
		overflow = TRUE;
	if (overflow) {
		pd_sieve_diag_error(lexer->diag, token->line, token->col, "number too large");
		token->kind = TOK_ERROR;
		return;
	}
	token->kind = TOK_NUMBER;
	token->number = value * scale;
}

static gboolean
string_too_long(PdSieveLexer *lexer, PdSieveToken *token)
{
	if (token->text->len <= lexer->diag->limits->max_string)
		return FALSE;
	pd_sieve_diag_error(lexer->diag, token->line, token->col,
			    "string longer than %" G_GSIZE_FORMAT " bytes",
			    lexer->diag->limits->max_string);
	token->kind = TOK_ERROR;
	return TRUE;
}

static void
lex_quoted(PdSieveLexer *lexer, PdSieveToken *token)
{
	advance(lexer);	/* the opening quote */
	token->kind = TOK_STRING;
	for (;;) {
		int c = peek(lexer, 0);

		if (c == -1) {
			pd_sieve_diag_error(lexer->diag, token->line, token->col,
					    "unterminated string");
			token->kind = TOK_ERROR;
			return;
		}
		if (c == '"') {
			advance(lexer);
			break;
		}
		if (c == '\\') {
			advance(lexer);
			c = peek(lexer, 0);
			if (c == -1)
				continue;
		}
		if (c == '\r' && peek(lexer, 1) == '\n') {
			advance(lexer);
			continue;	/* the LF below appends CRLF */
		}
		if (c == '\n')
			g_string_append_c(token->text, '\r');
		g_string_append_c(token->text, (char) c);
		advance(lexer);
	}
	string_too_long(lexer, token);
}

/* After "text:": white space, an optional hash comment, the line end, then
 * lines up to a lone ".".  After an error in the first line or a string
 * over the limit, the lines are still read to their "." (so the error is
 * reported once and the text is not taken for commands). */
static void
lex_multiline(PdSieveLexer *lexer, PdSieveToken *token)
{
	gboolean bad = FALSE;

	advance(lexer);	/* ':' */
	while (peek(lexer, 0) == ' ' || peek(lexer, 0) == '\t')
		advance(lexer);
	if (peek(lexer, 0) == '#')
		while (peek(lexer, 0) != -1 && peek(lexer, 0) != '\n')
			advance(lexer);
	if (peek(lexer, 0) == '\r')
		advance(lexer);
	if (peek(lexer, 0) != '\n') {
		pd_sieve_diag_error(lexer->diag, lexer->line, lexer->col,
				    "expected the end of the line after text:");
		bad = TRUE;
		while (peek(lexer, 0) != -1 && peek(lexer, 0) != '\n')
			advance(lexer);
	}
	if (peek(lexer, 0) == '\n')
		advance(lexer);
	token->kind = TOK_STRING;
	for (;;) {
		const char *start = lexer->p;
		const char *eol = memchr(start, '\n', lexer->end - start);
		gsize len;

		if (eol == NULL) {
			if (!bad)
				pd_sieve_diag_error(lexer->diag, token->line, token->col,
						    "unterminated multi-line string (no line \".\")");
			token->kind = TOK_ERROR;
			lexer->col += lexer->end - lexer->p;
			lexer->p = lexer->end;
			return;
		}
		len = eol - start;
		if (len > 0 && start[len - 1] == '\r')
			len--;
		lexer->p = eol + 1;
		lexer->line++;
		lexer->col = 1;
		if (len == 1 && start[0] == '.')
			break;
		if (bad)
			continue;
		if (len > 1 && start[0] == '.' && start[1] == '.') {
			start++;	/* dot-stuffing: ".." stands for "." */
			len--;
		}
		g_string_append_len(token->text, start, len);
		g_string_append(token->text, "\r\n");
		bad = string_too_long(lexer, token);
	}
	if (bad)
		token->kind = TOK_ERROR;
}

void
pd_sieve_lexer_next(PdSieveLexer *lexer, PdSieveToken *token)
{
	static const char punctuation[] = "[]{}(),;";
	static const PdSieveTokenKind kinds[] = {
		TOK_LBRACKET, TOK_RBRACKET, TOK_LBRACE, TOK_RBRACE, TOK_LPAREN, TOK_RPAREN,
		TOK_COMMA, TOK_SEMICOLON,
	};
	const char *hit;
	int c;

	g_string_truncate(token->text, 0);
	token->number = 0;
	if (!skip_space(lexer)) {
		token->kind = TOK_EOF;
		token->line = lexer->line;
		token->col = lexer->col;
		return;
	}
	token->line = lexer->line;
	token->col = lexer->col;
	c = peek(lexer, 0);
	if (c == -1) {
		token->kind = TOK_EOF;
	} else if (c != 0 && (hit = strchr(punctuation, c)) != NULL) {
		token->kind = kinds[hit - punctuation];
		advance(lexer);
	} else if (is_alpha(c)) {
		lex_identifier(lexer, token);
		if (strcmp(token->text->str, "text") == 0 && peek(lexer, 0) == ':') {
			g_string_truncate(token->text, 0);
			lex_multiline(lexer, token);
		} else {
			token->kind = TOK_IDENTIFIER;
		}
	} else if (c == ':' && is_alpha(peek(lexer, 1))) {
		advance(lexer);
		lex_identifier(lexer, token);
		token->kind = TOK_TAG;
	} else if (is_digit(c)) {
		lex_number(lexer, token);
	} else if (c == '"') {
		lex_quoted(lexer, token);
	} else {
		if (c >= 0x21 && c < 0x7f)
			pd_sieve_diag_error(lexer->diag, token->line, token->col,
					    "unexpected character '%c'", c);
		else
			pd_sieve_diag_error(lexer->diag, token->line, token->col,
					    "unexpected character 0x%02x", (guint) c);
		token->kind = TOK_ERROR;
		advance(lexer);
	}
}

const char *
pd_sieve_token_describe(PdSieveTokenKind kind)
{
	switch (kind) {
	case TOK_EOF: return "end of script";
	case TOK_IDENTIFIER: return "identifier";
	case TOK_TAG: return "tag";
	case TOK_NUMBER: return "number";
	case TOK_STRING: return "string";
	case TOK_LBRACKET: return "'['";
	case TOK_RBRACKET: return "']'";
	case TOK_LPAREN: return "'('";
	case TOK_RPAREN: return "')'";
	case TOK_LBRACE: return "'{'";
	case TOK_RBRACE: return "'}'";
	case TOK_COMMA: return "','";
	case TOK_SEMICOLON: return "';'";
	case TOK_ERROR: return "invalid token";
	}
	return "token";
}
