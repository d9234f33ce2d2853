/* pd-header: the top-level header block of raw message bytes, split into
 * fields the way GMime 3.2 splits them (gmime-parser.c, step_headers and
 * header_buffer_parse), so that every raw read of a header (the PdMail
 * header list, Received, Authentication-Results, the one-From rule) agrees
 * with what GMime parses into addresses.
 *
 * GMime's rules, mirrored here:
 *   - a field name is every byte before the colon; blanks (space, tab) may
 *     stand between the name and the colon ("From :", "FROM\t:") and are
 *     not part of the name; a blank followed by anything else, a control
 *     character (< 0x20, 0x7f) or an empty name makes the line invalid;
 *   - a line starting with a blank continues the field above it;
 *   - an invalid line after the first field is dropped, with its
 *     continuation lines, and the header block goes on;
 *   - invalid lines before the first field are skipped only when they are
 *     mbox markers ("From ..." or ">From ..."); any other one ends the
 *     header block (GMime then finds no message);
 *   - the header block ends at the first empty line (LF or CRLF).
 * The scan never reads past the end of the bytes and allocates nothing.
 */
#ifndef PD_HEADER_H
#define PD_HEADER_H

#include <glib.h>

typedef struct {
	const char *start;	/* the field's first byte */
	const char *end;	/* after its last line, continuation lines included */
	const char *name;	/* the field name, without the blanks before the colon */
	gsize name_len;		/* 0 when !valid */
	const char *value;	/* after the colon (valid) or start (!valid), up to end */
	gboolean valid;		/* FALSE: GMime drops this field */
} PdHeaderField;

typedef struct {
	const char *p, *end;
	gboolean started;	/* the first field was seen */
	gboolean done;
	const char *body;	/* where the body starts, once done */
	gboolean unterminated;	/* the block ended at an invalid line, not an empty one */
} PdHeaderScan;

void pd_header_scan_init(PdHeaderScan *scan, const char *data, gsize len);
/* The next field (valid or not) of the header block; FALSE at its end, and
 * then scan->body is where the body starts. */
gboolean pd_header_scan_next(PdHeaderScan *scan, PdHeaderField *field_r);

/* The field is a valid one called name (ASCII, case-insensitive). */
gboolean pd_header_field_is(const PdHeaderField *field, const char *name);
/* The field is one that some reader could take for name: valid or not,
 * after optional leading blanks, name followed by any blanks or control
 * characters and a colon.  A superset of pd_header_field_is. */
gboolean pd_header_field_looks_like(const PdHeaderField *field, const char *name);

/* The number of fields of the raw header block that look like name
 * (pd_header_field_looks_like), counting at most max. */
guint pd_header_count_like(const char *data, gsize len, const char *name, guint max);

/* The value of a valid field unfolded: line breaks removed, each fold one
 * space, blanks around the value trimmed.  Newly allocated. */
char *pd_header_field_unfold(const PdHeaderField *field);

#endif
