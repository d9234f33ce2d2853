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
	/* fields of the raw header block that look like each author field
	 * (pd_header_field_looks_like), whatever GMime makes of them */
	guint raw_author_fields[PD_MAIL_AUTHOR_FIELDS];
	PdHeaderField raw_from;	/* the first valid From field (start NULL: none) */
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

/* Cuts a header value to the field size limit (on a UTF-8 boundary when it
 * is UTF-8), warning once per field name. */
char *pd_mail_cut_header(PdMailCtx *ctx, const char *name, const char *value);

/* The type's promise (pd-mail.h: every string valid UTF-8), kept in one
 * place: run last by pd_mail_parse, it repairs any string of ctx->mail
 * that is not valid UTF-8, with a warning.  Every string is made clean
 * where it is set (the helpers above), so this should find nothing. */
void pd_mail_check_utf8(PdMailCtx *ctx);

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

/* Lower-case hex SHA-256 of data into out[65]. */
void pd_mail_sha256_hex(const guint8 *data, gsize len, char out[65]);

#endif
