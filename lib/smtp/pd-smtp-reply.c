/* pd-smtp-reply: bounded parser for SMTP reply lines; see the header. */
#include "pd-smtp-reply.h"

#include <string.h>

struct _PdSmtpReplyParser {
	char line[PD_SMTP_REPLY_MAX_LINE + 1];
	gsize line_len;
	gboolean line_cut;		/* the current line overflowed */
	/* the reply being assembled */
	GString *text;
	char *enhanced;
	guint lines;
	gboolean truncated;
	gboolean open;			/* a '-' line was seen */
	GQueue done;			/* PdSmtpReply * */
};

void
pd_smtp_reply_clear(PdSmtpReply *reply)
{
	g_clear_pointer(&reply->enhanced, g_free);
	g_clear_pointer(&reply->text, g_free);
	reply->code = 0;
	reply->truncated = FALSE;
}

static void
reply_free(PdSmtpReply *reply)
{
	pd_smtp_reply_clear(reply);
	g_free(reply);
}

char *
pd_smtp_reply_format(const PdSmtpReply *reply)
{
	GString *out = g_string_new(NULL);

	if (reply->code != 0)
		g_string_append_printf(out, "%03u", reply->code);
	if (reply->enhanced != NULL)
		g_string_append_printf(out, "%s%s", out->len ? " " : "", reply->enhanced);
	if (reply->text != NULL && reply->text[0] != '\0') {
		g_auto(GStrv) lines = g_strsplit(reply->text, "\n", -1);
		g_autofree char *joined = g_strjoinv(" / ", lines);

		g_string_append_printf(out, "%s%s", out->len ? " " : "", joined);
	}
	return g_string_free(out, FALSE);
}

PdSmtpReplyParser *
pd_smtp_reply_parser_new(void)
{
	PdSmtpReplyParser *parser = g_new0(PdSmtpReplyParser, 1);

	parser->text = g_string_new(NULL);
	g_queue_init(&parser->done);
	return parser;
}

void
pd_smtp_reply_parser_reset(PdSmtpReplyParser *parser)
{
	parser->line_len = 0;
	parser->line_cut = FALSE;
	g_string_truncate(parser->text, 0);
	g_clear_pointer(&parser->enhanced, g_free);
	parser->lines = 0;
	parser->truncated = FALSE;
	parser->open = FALSE;
	g_queue_clear_full(&parser->done, (GDestroyNotify)reply_free);
}

void
pd_smtp_reply_parser_free(PdSmtpReplyParser *parser)
{
	if (parser == NULL)
		return;
	pd_smtp_reply_parser_reset(parser);
	g_string_free(parser->text, TRUE);
	g_free(parser);
}

/* "5.1.1" at the start of text: class 2/4/5, then 1-3 and 1-3 digits. */
static gsize
enhanced_length(const char *text, guint code)
{
	const char *p = text;
	guint digits;

	if (*p != '2' && *p != '4' && *p != '5')
		return 0;
	if (code != 0 && (guint)(*p - '0') != code / 100)
		return 0;
	p++;
	for (guint part = 0; part < 2; part++) {
		if (*p++ != '.')
			return 0;
		for (digits = 0; g_ascii_isdigit(*p) && digits < 4; p++)
			digits++;
		if (digits == 0 || digits > 3)
			return 0;
	}
	if (*p != '\0' && *p != ' ')
		return 0;
	return (gsize)(p - text);
}

static void
finish_reply(PdSmtpReplyParser *parser, guint code)
{
	PdSmtpReply *reply = g_new0(PdSmtpReply, 1);

	reply->code = code;
	reply->enhanced = g_steal_pointer(&parser->enhanced);
	reply->text = g_strdup(parser->text->str);
	reply->truncated = parser->truncated;
	if (g_queue_get_length(&parser->done) >= PD_SMTP_REPLY_MAX_QUEUE)
		reply_free(g_queue_pop_head(&parser->done));
	g_queue_push_tail(&parser->done, reply);
	g_string_truncate(parser->text, 0);
	parser->lines = 0;
	parser->truncated = FALSE;
	parser->open = FALSE;
}

static void
append_text(PdSmtpReplyParser *parser, const char *text)
{
	gsize room;

	if (parser->lines >= PD_SMTP_REPLY_MAX_LINES) {
		parser->truncated = TRUE;
		return;
	}
	parser->lines++;
	if (parser->text->len > 0)
		g_string_append_c(parser->text, '\n');
	room = PD_SMTP_REPLY_MAX_TEXT > parser->text->len
		? PD_SMTP_REPLY_MAX_TEXT - parser->text->len : 0;
	for (const char *p = text; *p != '\0'; p++) {
		if (room == 0) {
			parser->truncated = TRUE;
			break;
		}
		/* keep the text printable: it ends up in logs and the database */
		g_string_append_c(parser->text, (guchar)*p < 0x20 || *p == 0x7f ? ' ' : *p);
		room--;
	}
}

static void
parse_line(PdSmtpReplyParser *parser, char *line, gboolean cut)
{
	gsize len = strlen(line);
	guint code;
	char sep;
	const char *text;
	gsize elen;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (cut)
		parser->truncated = TRUE;
	if (len < 3 || line[0] < '2' || line[0] > '5' || !g_ascii_isdigit(line[1]) ||
	    !g_ascii_isdigit(line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-')) {
		/* Not a reply line: close what was open, report it as code 0. */
		if (parser->open)
			finish_reply(parser, 0);
		append_text(parser, line);
		finish_reply(parser, 0);
		return;
	}
	code = (guint)((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
	sep = len > 3 ? line[3] : ' ';
	text = len > 4 ? line + 4 : "";
	elen = enhanced_length(text, code);
	if (elen > 0) {
		if (parser->enhanced == NULL)
			parser->enhanced = g_strndup(text, elen);
		text += elen;
		while (*text == ' ')
			text++;
	}
	append_text(parser, text);
	if (sep == '-')
		parser->open = TRUE;
	else
		finish_reply(parser, code);
}

void
pd_smtp_reply_parser_feed(PdSmtpReplyParser *parser, const char *data, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		char c = data[i];

		if (c == '\n') {
			parser->line[parser->line_len] = '\0';
			parse_line(parser, parser->line, parser->line_cut);
			parser->line_len = 0;
			parser->line_cut = FALSE;
		} else if (parser->line_len < PD_SMTP_REPLY_MAX_LINE) {
			parser->line[parser->line_len++] = c == '\0' ? ' ' : c;
		} else {
			parser->line_cut = TRUE;
		}
	}
}

void
pd_smtp_reply_parser_finish(PdSmtpReplyParser *parser)
{
	if (parser->line_len > 0 || parser->line_cut)
		pd_smtp_reply_parser_feed(parser, "\n", 1);
}

gboolean
pd_smtp_reply_parser_next(PdSmtpReplyParser *parser, PdSmtpReply *reply_r)
{
	PdSmtpReply *reply = g_queue_pop_head(&parser->done);

	if (reply == NULL)
		return FALSE;
	*reply_r = *reply;
	g_free(reply);
	return TRUE;
}
