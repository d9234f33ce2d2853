/* pd-mail: one received message, parsed with GMime into plain facts.
 *
 * pd_mail_parse() never fails on content: whatever the bytes are (bare LF,
 * NUL, broken charsets, 8-bit headers, missing headers, absurd nesting) it
 * returns a PdMail with what could be recovered and a warning for each
 * thing that was wrong or cut.  Limits (PdMailLimits) bound depth, parts and
 * header sizes so no peer chooses how much work or memory parsing takes.
 * It only fails (PD_ERROR_INTERNAL) if GMime itself cannot be set up.
 *
 * Every string in PdMail is valid UTF-8 without NUL bytes (PostgreSQL text
 * cannot hold NUL): invalid sequences are repaired, NULs replaced, and a
 * warning says so; the last step of pd_mail_parse checks every string
 * again, so no path that fills a field can skip it.  Attachment content is
 * bytes and may hold anything.
 *
 * Limits (NULL or 0 fields: defaults): max_depth 32, max_parts 500,
 * max_headers 1000 (top-level fields kept), max_header_bytes 64 KiB (one
 * field, unfolded).  Past a limit parsing stops descending or skips, with a
 * warning.  The part count and the header fields of MIME parts (each part
 * within max_headers and max_header_bytes, all of them within ten times
 * that) are enforced before GMime reads the message: GMime never sees what
 * lies past the part or field that would pass them, and a warning says
 * from which byte on the message was not parsed.  Also bounded: References (first + 49 most recent), To/Cc (200
 * each), msg-ids (printable ASCII, at most 250 bytes), warnings (100).
 *
 * What becomes what: the first text/plain leaf that is not an attachment is
 * text_body, the first such text/html leaf html_body; every other leaf is an
 * attachment (a second inline text part too, so nothing is lost), and so is
 * each message/rfc822 part (its whole message, named "<subject>.eml" or
 * "message.eml"); parts inside it are not descended into.
 *
 * Header text is decoded by postdesk where GMime 3.2 gets it wrong
 * (pd-mail-words.c: runs of RFC 2047 words; pd-mail-charset.c: undeclared
 * 8-bit and mislabelled words; pd-mail-address.c: addresses GMime cannot
 * read, comments as names).  A junk start before the header block (a byte
 * order mark, up to three lines that are no field) is skipped with a
 * warning; the author of such a mail is in doubt (author_doubt).
 *
 * Thread-safe: any number of threads may parse at once.
 *
 * Owns: every string and byte array in PdMail.  Never: SQL, sockets.
 */
#ifndef PD_MAIL_H
#define PD_MAIL_H

#include <glib.h>
#include "core/pd-config.h"

typedef struct {
	char *address;		/* as written, NULL if none could be parsed */
	char *name;		/* decoded display name (UTF-8), NULL if none */
} PdMailAddress;

typedef struct {
	char *filename;		/* decoded (RFC 2231 by pd-mail-body, RFC 2047 by pd-mail-words), NULL if none */
	char *content_type;	/* "application/pdf", lower case */
	char *content_id;	/* Content-ID without <>, NULL if none */
	gboolean inline_part;	/* Content-Disposition: inline */
	gsize size;		/* decoded bytes */
	char sha256[65];	/* hex of the decoded bytes */
	GBytes *content;	/* the decoded bytes */
	/* Where the content sits, still encoded, in the raw bytes given to
	 * pd_mail_parse: pd_mail_decode(raw + raw_offset, raw_length,
	 * raw_encoding) gives content again, byte for byte (a message/rfc822
	 * part too: its message as received, "binary").  raw_encoding NULL:
	 * it does not sit there as such (a prologue, or raw bytes GMime did
	 * not see as they are because a hostile header block or nesting was
	 * cut first; a message/rfc822 part is then GMime's writing of it). */
	const char *raw_encoding;	/* "base64", "quoted-printable", "x-uuencode", "binary" */
	gsize raw_offset;
	gsize raw_length;
} PdMailAttachment;

/* Classification facts (DESIGN: auto-submitted / bulk / list / bounce). */
typedef struct {
	gboolean auto_submitted;	/* Auto-Submitted present and not "no" */
	gboolean bulk;			/* Precedence: bulk/junk/list */
	gboolean list;			/* List-Id / List-Unsubscribe / List-Post */
	gboolean bounce;		/* top-level multipart/report, report-type
					 * delivery-status or disposition-notification
					 * (the envelope's null sender is the pipeline's) */
	gboolean auto_reply_suppressed;	/* X-Auto-Response-Suppress: All/OOF/AutoReply */
} PdMailClass;

typedef struct {
	PdMailAddress from;		/* first From mailbox */
	/* NULL when the author is read one way: one From field (under any
	 * spelling, in the raw bytes and in GMime's parse) holding one
	 * mailbox with a domain, at most one Sender and one Reply-To field,
	 * read alike.  Otherwise why not; such a mail is never authenticated
	 * (pd-mail-author.c has the rule). */
	char *author_doubt;
	char *sender;			/* Sender: address, NULL if none */
	GPtrArray *to;			/* PdMailAddress * */
	GPtrArray *cc;			/* PdMailAddress * */
	PdMailAddress reply_to;		/* first Reply-To mailbox */
	char *subject;			/* decoded, UTF-8, unfolded; "" if none */
	char *message_id;		/* without <>, NULL if none or unusable */
	char *in_reply_to;		/* first msg-id, without <>, NULL if none */
	GPtrArray *references;		/* char *, without <>, oldest first */
	gint64 date;			/* Unix time from Date:, 0 if none/unparsable */
	char *text_body;		/* UTF-8; HTML converted when no text part */
	gboolean text_from_html;	/* text_body came from an HTML part */
	char *html_body;		/* the HTML part as UTF-8, NULL if none */
	GPtrArray *attachments;		/* PdMailAttachment * */
	GPtrArray *warnings;		/* char *: what was malformed or cut */
	PdMailClass class;
	GPtrArray *headers;		/* char *: "Name: value" raw top-level fields, in order */
	char body_sha256[65];		/* hex SHA-256 of the body after the header block,
					 * line ends normalized to LF (idempotency key) */
	char raw_sha256[65];		/* hex SHA-256 of the raw bytes as received */
	gsize raw_size;
} PdMail;

/* Parse raw bytes (line ends CRLF or LF).  limits: NULL for defaults. */
PdMail *pd_mail_parse(GBytes *raw, const PdMailLimits *limits, GError **error);
void pd_mail_free(PdMail *mail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdMail, pd_mail_free)

/* The content of a part from its bytes as they sit in the message and its
 * Content-Transfer-Encoding as PdMailAttachment.raw_encoding names it
 * ("base64", "quoted-printable", "x-uuencode"; anything else, NULL
 * included: the bytes as they are).  The same decoder pd_mail_parse uses,
 * so an attachment stored as a reference into the raw message (offset,
 * length, encoding) is decoded on demand to exactly its content. */
GBytes *pd_mail_decode(const void *encoded, gsize len, const char *encoding);

/* First value of a top-level header, unfolded, or NULL. */
const char *pd_mail_header(const PdMail *mail, const char *name);
/* Every value in turn: *index 0 at first; NULL after the last. */
const char *pd_mail_header_next(const PdMail *mail, const char *name, guint *index);

/* A raw header value (as in PdMail.headers, after the colon) as text:
 * unfolded, RFC 2047 words decoded as pd_mail_parse decodes a Subject,
 * valid UTF-8 (the rules' header test reads it).  Never NULL; new. */
char *pd_mail_header_decode(const char *raw);
/* HTML to readable plain text (block elements become line breaks, entities
 * decoded, script/style dropped).  Exposed for tests and templates. */
char *pd_mail_html_to_text(const char *html, gsize len);

/* GMime's process-wide setup; idempotent and thread-safe. */
void pd_mail_init(void);

#endif
