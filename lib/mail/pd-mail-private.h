/* pd-mail-private: what the pd-mail files share and nobody else sees.
 *
 * A PdMailCtx lives for one pd_mail_parse() call: the limits in force, the
 * PdMail being filled, and the running part count.  Helpers here turn any
 * bytes into clean UTF-8 (adding a warning for each repair).
 */
#ifndef PD_MAIL_PRIVATE_H
#define PD_MAIL_PRIVATE_H

#include <gmime/gmime.h>
#include "core/pd-header.h"
#include "mail/pd-mail.h"

/* Bounds that are not configurable: ids longer than any real MUA writes,
 * enough References for threading (first + most recent), warnings kept. */
#define PD_MAIL_MAX_ID_LEN 250
#define PD_MAIL_MAX_REFERENCES 50
#define PD_MAIL_MAX_WARNINGS 100
#define PD_MAIL_MAX_ADDRESSES 200
/* The header fields of all MIME parts together, in max_headers and in
 * max_header_bytes (defaults: 10,000 fields, 640 KiB); GMime keeps about
 * 600 bytes per field and some 30 times a field's size. */
#define PD_MAIL_PART_HEADERS_FACTOR 10
/* Undeclared 8-bit header bytes given to the charset detector, at most. */
#define PD_MAIL_DETECT_BYTES (64 * 1024)
/* ... and the fewest 8-bit bytes whose detection is believed. */
#define PD_MAIL_DETECT_MIN 32

/* The address fields whose reading decides who sent a mail: From, Sender,
 * Reply-To (pd-mail-author.c). */
#define PD_MAIL_AUTHOR_FIELDS 3
extern const char *const pd_mail_author_fields[PD_MAIL_AUTHOR_FIELDS];

typedef struct {
	PdMailLimits limits;
	PdMail *mail;
	GMimeParserOptions *options;
	guint parts;		/* parts visited so far */
	gboolean parts_cut;	/* the part limit was hit (warned once) */
	gboolean depth_cut;	/* the depth limit was hit (warned once) */
	gboolean have_text;	/* text_body was taken from a text/plain part */
	GHashTable *warned;	/* distinct warning texts already added */
	/* the byte array GMime parses when it is the caller's raw bytes as
	 * they are (NULL when a guard rewrote them): parts read from it can be
	 * referenced by offset (PdMailAttachment.raw_offset) */
	const GByteArray *raw_view;
	/* junk bytes before the header block, skipped: the raw bytes GMime
	 * reads (raw_view) start that far into the caller's */
	gsize junk_prefix;
	/* fields of the raw header block that look like each author field
	 * (pd_header_field_looks_like), whatever GMime makes of them */
	guint raw_author_fields[PD_MAIL_AUTHOR_FIELDS];
	PdHeaderField raw_from;	/* the first valid From field (start NULL: none) */
	/* pd-mail-charset.c: the charset the text parts declare, the
	 * undeclared 8-bit header bytes and what the detector makes of them */
	char *text_charset;
	GString *eight_bit;
	char *detected;
	gboolean detect_done;
	/* header list entries with undeclared 8-bit, read once the charset is
	 * known: pairs of its index (decimal) and its raw bytes (no NUL) */
	GPtrArray *pending_headers;
} PdMailCtx;

/* Adds a warning (deduplicated, bounded in count). */
void pd_mail_warn(PdMailCtx *ctx, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Valid UTF-8 without NUL, newly allocated: invalid sequences become
 * U+FFFD and NUL becomes U+FFFD; what names the field in the warning. */
char *pd_mail_clean_utf8(PdMailCtx *ctx, const char *what, const char *text, gssize len);

/* Bytes in a declared charset (may be NULL) to clean UTF-8: the declared
 * charset, then UTF-8, then windows-1252, then ISO-8859-1. */
char *pd_mail_to_utf8(PdMailCtx *ctx, const char *what, const char *charset,
		      const char *data, gsize len);

/* The raw value of the last header of message called name (GMime's
 * message subject is the last Subject's), or NULL. */
const char *pd_mail_last_header(GMimeMessage *message, const char *name);

/* ---- pd-mail-address.c ---- */

/* One address field's value (after pd_mail_fix_words) parsed by GMime,
 * then repaired as a human reads it (comment as name, spaces in a local
 * part), with warnings.  NULL or a new list. */
InternetAddressList *pd_mail_parse_address_value(PdMailCtx *ctx, const char *what,
						 const char *value);

/* ---- pd-mail-charset.c ---- */

/* Bytes in charset to UTF-8 without an error or a NUL, or NULL. */
char *pd_mail_convert_strict(const char *data, gsize len, const char *charset);
/* Finds the charset the text parts declare (once GMime parsed the message). */
void pd_mail_charset_setup(PdMailCtx *ctx, GMimeMessage *message);
/* Keeps undeclared 8-bit header bytes for the detector. */
void pd_mail_charset_sample(PdMailCtx *ctx, const char *data, gsize len);
/* Undeclared header bytes to clean UTF-8 (UTF-8, the text parts' charset,
 * the detector, windows-1252, ISO-8859-1), with a warning naming it. */
char *pd_mail_undeclared_to_utf8(PdMailCtx *ctx, const char *what, const char *data, gsize len);
/* An encoded word's bytes to clean UTF-8: its label, the charset the label
 * is mistaken for, UTF-8, then as undeclared bytes. */
char *pd_mail_word_to_utf8(PdMailCtx *ctx, const char *what, const char *label, const char *data,
			   gsize len);

/* ---- pd-mail-words.c ---- */

/* A raw header value whose encoded words and undeclared 8-bit text GMime
 * can no longer get wrong (each run of words one UTF-8 word); new. */
char *pd_mail_fix_words(PdMailCtx *ctx, const char *what, const char *raw);
/* Unstructured text (Subject) decoded: pd_mail_fix_words, then GMime. */
char *pd_mail_decode_words(PdMailCtx *ctx, const char *what, const char *raw);

/* Cuts a header value to the field size limit (on a UTF-8 boundary when it
 * is UTF-8), warning once per field name. */
char *pd_mail_cut_header(PdMailCtx *ctx, const char *name, const char *value);

/* The type's promise (pd-mail.h: every string valid UTF-8), kept in one
 * place: run last by pd_mail_parse, it repairs any string of ctx->mail
 * that is not valid UTF-8, with a warning.  Every string is made clean
 * where it is set (the helpers above), so this should find nothing. */
void pd_mail_check_utf8(PdMailCtx *ctx);

/* Header text on one line: each line break with the blanks around it
 * one space, tabs spaces, no blanks at either end; new. */
char *pd_mail_unfold(const char *text);

/* Cuts UTF-8 text to at most max bytes on a character boundary. */
void pd_mail_utf8_truncate(char *text, gsize max);

/* ---- pd-mail-raw.c ---- */

typedef struct {
	const char *start, *end;	/* one field, folded lines included */
} FieldSpan;

/* The next line's start (after '\n'), or end. */
const char *pd_mail_line_end(const char *p, const char *end);

/* Reads the top-level header block into mail->headers and spans (the
 * fields kept); returns where the body starts. */
const char *pd_mail_scan_headers(PdMailCtx *ctx, const char *p, const char *end, GArray *spans);

/* Reads the header list entries that hold undeclared 8-bit. */
void pd_mail_read_pending_headers(PdMailCtx *ctx);

/* The bytes GMime gets when the header block is hostile, or NULL. */
char *pd_mail_guard_headers(PdMailCtx *ctx, const char *data, gsize size, const char *body,
			    GArray *spans, gsize *len_r);

/* Whether data names more nesting types than the budget; then
 * pd_mail_guard_nesting() makes the excess leaf types in buf. */
gboolean pd_mail_needs_nesting_guard(PdMailCtx *ctx, const char *data, gsize size);
gboolean pd_mail_guard_nesting(PdMailCtx *ctx, char *buf, gsize size);

/* The part guard: where GMime must stop reading so it builds at most
 * about max_parts parts, each with at most max_headers header fields of at
 * most max_header_bytes, and all of them together at most
 * PD_MAIL_PART_HEADERS_FACTOR times those (size: it may read everything;
 * *reason_r says why otherwise).  options: GMime's, so boundaries are read
 * as it will read them. */
gsize pd_mail_part_cut(PdMailCtx *ctx, GMimeParserOptions *options, const char *data, gsize size,
		       const char **reason_r);

/* Walks the MIME tree of message (iteratively, within the limits) and fills
 * text_body, html_body and attachments. */
void pd_mail_walk_body(PdMailCtx *ctx, GMimeMessage *message);

/* Sets mail->author_doubt (pd-mail-author.c) once GMime has parsed the
 * message (NULL: it found none). */
void pd_mail_check_author(PdMailCtx *ctx, GMimeMessage *message);

/* Sets mail->class from the top-level headers and the MIME structure. */
void pd_mail_classify(PdMailCtx *ctx, GMimeMessage *message);

/* ---- pd-mail-decode.c ---- */

/* base64 one piece at a time (an encoded word, a part's content). */
typedef struct {
	guint32 bits;
	guint n;		/* characters of the open group */
	gboolean ended;		/* a '=' ended the content */
	gboolean incomplete;	/* a group ended with fewer than two characters */
} PdMailBase64;

void pd_mail_base64_init(PdMailBase64 *b64);
/* Decodes text into out; stop_at_pad: the first '=' ends the content (a
 * part), else it only ends the group (encoded words, each padded). */
void pd_mail_base64_feed(PdMailBase64 *b64, const char *text, gsize len, gboolean stop_at_pad,
			 GByteArray *out);
/* Writes the whole bytes of an open group; TRUE if a group was incomplete. */
gboolean pd_mail_base64_finish(PdMailBase64 *b64, GByteArray *out);

/* What decoding a part found wrong (every flaw still decodes what it can). */
typedef struct {
	gboolean base64_incomplete;	/* the last group had 1-3 characters */
	gboolean uu_no_begin;		/* x-uuencode without a "begin" line */
	gboolean uu_short_line;		/* a line held fewer bytes than it announced */
} PdMailDecodeFlaws;

/* The content of encoded bytes (pd_mail_decode's decoder); flaws_r may be NULL. */
GBytes *pd_mail_decode_content(const guint8 *data, gsize len, GMimeContentEncoding encoding,
			       PdMailDecodeFlaws *flaws_r);

/* Lower-case hex SHA-256 of data into out[65]. */
void pd_mail_sha256_hex(const guint8 *data, gsize len, char out[65]);

#endif
