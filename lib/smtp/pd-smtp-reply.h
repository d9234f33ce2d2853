/* pd-smtp-reply: SMTP server replies, parsed from the bytes a server sent.
 *
 * libcurl says whether an SMTP transfer failed, and (CURLINFO_RESPONSE_CODE)
 * a code that is not always the one that decided it (curl issue #8356), but
 * never the server's text.  The sender therefore feeds the reply lines from
 * curl's debug stream (CURLINFO_HEADER_IN) through this parser.  The input
 * is the peer's: any chunking, bare LF, missing CRLF, junk and endless
 * lines are handled within fixed limits; nothing here allocates in
 * proportion to what the peer sends.
 */
#ifndef PD_SMTP_REPLY_H
#define PD_SMTP_REPLY_H

#include <glib.h>

#define PD_SMTP_REPLY_MAX_LINE	1000	/* RFC 5321 allows 512; longer is cut */
#define PD_SMTP_REPLY_MAX_LINES	64	/* per reply; more are dropped */
#define PD_SMTP_REPLY_MAX_TEXT	2048	/* bytes of text kept per reply */
#define PD_SMTP_REPLY_MAX_QUEUE	32	/* complete replies not yet taken */

typedef struct {
	guint code;		/* 200..599; 0 for a line that is not a reply */
	char *enhanced;		/* "5.1.1" (RFC 3463) or NULL */
	char *text;		/* the lines' text, joined by "\n", code removed */
	gboolean truncated;	/* a limit cut something */
} PdSmtpReply;

void pd_smtp_reply_clear(PdSmtpReply *reply);
/* "550 5.1.1 text" on one line (continuation lines joined with " / "). */
char *pd_smtp_reply_format(const PdSmtpReply *reply);

typedef struct _PdSmtpReplyParser PdSmtpReplyParser;

PdSmtpReplyParser *pd_smtp_reply_parser_new(void);
void pd_smtp_reply_parser_free(PdSmtpReplyParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdSmtpReplyParser, pd_smtp_reply_parser_free)
/* Forget everything, partial input included (a new transfer). */
void pd_smtp_reply_parser_reset(PdSmtpReplyParser *parser);
/* Bytes as they came; complete replies queue up for _next(). */
void pd_smtp_reply_parser_feed(PdSmtpReplyParser *parser, const char *data, gsize len);
/* End of input: a last line without LF counts as a line. */
void pd_smtp_reply_parser_finish(PdSmtpReplyParser *parser);
/* The oldest complete reply into reply_r (caller clears it); FALSE if none. */
gboolean pd_smtp_reply_parser_next(PdSmtpReplyParser *parser, PdSmtpReply *reply_r);

#endif
