/* pd-mail-raw: what is read from the raw bytes before GMime sees them.
 *
 * The top-level header block (every field in order, within the count and
 * size limits), and the two guards that keep hostile input from making
 * GMime slow: a header block with NULs, oversized or too many fields is
 * rewritten (GMime reads header values as C strings and grows its header
 * buffer 64 bytes at a time), and Content-Type fields naming a nesting type
 * past a budget are made leaf types (see pd-mail.c, "Nesting").  Both work
 * on a copy, made only for such messages.  A third, the part guard, finds
 * where GMime must stop reading so the parts and part header fields it
 * builds stay within the limits (pd_mail_part_cut).
 */
#include <string.h>

#include "mail/pd-mail-private.h"

const char *
pd_mail_line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', end - p);

	return nl != NULL ? nl + 1 : end;
}

/* Adds one unfolded field (raw bytes) to the header list. */
static void
add_header_field(PdMailCtx *ctx, const char *start, const char *end)
{
	g_autoptr(GString) unfolded = g_string_sized_new(end - start);
	const char *p;
	g_autofree char *text = NULL;

	for (p = start; p < end; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		g_string_append_c(unfolded, *p);
	}
	if (unfolded->len > ctx->limits.max_header_bytes) {
		pd_mail_warn(ctx, "header field longer than %" G_GSIZE_FORMAT " bytes cut",
			     ctx->limits.max_header_bytes);
		g_string_truncate(unfolded, ctx->limits.max_header_bytes);
	}
	if (!g_utf8_validate_len(unfolded->str, unfolded->len, NULL) &&
	    memchr(unfolded->str, '\0', unfolded->len) == NULL) {
		/* undeclared 8-bit: read once the text parts' charset is known */
		pd_mail_charset_sample(ctx, unfolded->str, unfolded->len);
		if (ctx->pending_headers == NULL)
			ctx->pending_headers = g_ptr_array_new_with_free_func(g_free);
		/* the list holds "" until then */
		g_ptr_array_add(ctx->pending_headers, g_strdup_printf("%u", ctx->mail->headers->len));
		g_ptr_array_add(ctx->pending_headers, g_strndup(unfolded->str, unfolded->len));
		g_ptr_array_add(ctx->mail->headers, g_strdup(""));
		return;
	}
	text = pd_mail_to_utf8(ctx, "header", NULL, unfolded->str, unfolded->len);
	pd_mail_utf8_truncate(text, ctx->limits.max_header_bytes);
	g_ptr_array_add(ctx->mail->headers, g_steal_pointer(&text));
}

void
pd_mail_read_pending_headers(PdMailCtx *ctx)
{
	GPtrArray *pending = ctx->pending_headers;

	for (guint i = 0; pending != NULL && i + 1 < pending->len; i += 2) {
		guint index = (guint)g_ascii_strtoull(pending->pdata[i], NULL, 10);
		const char *raw = pending->pdata[i + 1];
		char *text = pd_mail_undeclared_to_utf8(ctx, "header", raw, strlen(raw));

		pd_mail_utf8_truncate(text, ctx->limits.max_header_bytes);
		g_free(ctx->mail->headers->pdata[index]);
		ctx->mail->headers->pdata[index] = text;
	}
	g_clear_pointer(&ctx->pending_headers, g_ptr_array_unref);
}

static void
add_span(PdMailCtx *ctx, GArray *spans, const char *start, const char *end)
{
	FieldSpan span = { start, end };

	add_header_field(ctx, start, end);
	g_array_append_val(spans, span);
}

/* Reads the top-level header block into mail->headers and spans (the
 * fields kept), split as GMime splits it (core/pd-header.h); counts the
 * fields that look like From, Sender or Reply-To under any spelling;
 * returns where the body starts. */
const char *
pd_mail_scan_headers(PdMailCtx *ctx, const char *p, const char *end, GArray *spans)
{
	PdHeaderScan scan;
	PdHeaderField field;
	gboolean cut = FALSE;

	pd_header_scan_init(&scan, p, end - p);
	while (pd_header_scan_next(&scan, &field)) {
		for (guint i = 0; i < PD_MAIL_AUTHOR_FIELDS; i++) {
			if (pd_header_field_looks_like(&field, pd_mail_author_fields[i]))
				ctx->raw_author_fields[i]++;
		}
		if (pd_header_field_is(&field, "From") && ctx->raw_from.start == NULL)
			ctx->raw_from = field;
		if (!field.valid) {
			pd_mail_warn(ctx, "invalid header field ignored");
			continue;
		}
		if (ctx->mail->headers->len >= ctx->limits.max_headers) {
			if (!cut)
				pd_mail_warn(ctx, "more than %u header fields, the rest ignored",
					     ctx->limits.max_headers);
			cut = TRUE;
			continue;
		}
		add_span(ctx, spans, field.start, field.end);
	}
	if (scan.unterminated)
		pd_mail_warn(ctx, "header block ends without an empty line");
	return scan.body;
}

/* What GMime gets when the header block is hostile (NUL bytes, fields
 * over the size limit, too many fields): the kept fields, each cut after
 * the last whole line that fits the limit, NULs made spaces, then the
 * body.  NULL when the raw bytes can be parsed as they are. */
char *
pd_mail_guard_headers(PdMailCtx *ctx, const char *data, gsize size, const char *body, GArray *spans,
	      gsize *len_r)
{
	gboolean needed = memchr(data, '\0', body - data) != NULL ||
			  ctx->mail->headers->len >= ctx->limits.max_headers;
	GString *out;

	for (guint i = 0; i < spans->len && !needed; i++) {
		FieldSpan *f = &g_array_index(spans, FieldSpan, i);

		needed = (gsize)(f->end - f->start) > ctx->limits.max_header_bytes;
	}
	if (!needed)
		return NULL;
	out = g_string_sized_new(size);
	for (guint i = 0; i < spans->len; i++) {
		FieldSpan *f = &g_array_index(spans, FieldSpan, i);
		const char *p = f->start, *stop = f->end;
		gsize start = out->len;

		if ((gsize)(stop - p) > ctx->limits.max_header_bytes) {
			const char *limit = p + ctx->limits.max_header_bytes;
			const char *last_nl = NULL;

			for (const char *q = p; q < limit; q++) {
				if (*q == '\n')
					last_nl = q;
			}
			stop = last_nl != NULL ? last_nl + 1 : limit;
		}
		g_string_append_len(out, p, stop - p);
		if (out->len == start || out->str[out->len - 1] != '\n')
			g_string_append_c(out, '\n');
		for (gsize j = start; j < out->len; j++) {
			if (out->str[j] == '\0')
				out->str[j] = ' ';
		}
	}
	g_string_append_c(out, '\n');
	g_string_append_len(out, body, data + size - body);
	*len_r = out->len;
	return g_string_free(out, FALSE);
}

/* ---- the nesting guard ---- */

/* A line that starts a Content-Type field; *field_end_r gets the end of the
 * field, continuation lines included. */
static gboolean
content_type_field(const char *p, const char *end, const char **field_end_r)
{
	const char *q = p + 12, *next;

	if (end - p < 13 || g_ascii_strncasecmp(p, "content-type", 12) != 0)
		return FALSE;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= end || *q != ':')
		return FALSE;
	for (next = pd_mail_line_end(p, end); next < end && (*next == ' ' || *next == '\t');)
		next = pd_mail_line_end(next, end);
	*field_end_r = next;
	return TRUE;
}

/* The media type of a Content-Type field [p, end) if it can nest
 * ("multipart", "message"), else NULL: the first token after the colon,
 * white space and comments skipped as GMime's loose parser does. */
static const char *
find_nesting_type(const char *p, const char *end)
{
	int depth = 0;

	p = memchr(p, ':', end - p);
	if (p == NULL)
		return NULL;
	for (p++; p < end; p++) {
		if (*p == '(') {
			depth++;
		} else if (*p == ')' && depth > 0) {
			depth--;
		} else if (depth == 0 && !g_ascii_isspace(*p)) {
			break;
		}
	}
	if ((end - p >= 9 && g_ascii_strncasecmp(p, "multipart", 9) == 0) ||
	    (end - p >= 7 && g_ascii_strncasecmp(p, "message", 7) == 0))
		return p;
	return NULL;
}

/* Calls visit for every Content-Type field anywhere in the message that
 * names a nesting type, in order; stops when visit returns FALSE. */
static void
each_nesting_field(char *data, gsize size, gboolean (*visit)(char *, char *, gpointer),
		   gpointer user_data)
{
	char *p = data, *end = data + size;

	while (p < end) {
		const char *field_end;

		if (content_type_field(p, end, &field_end)) {
			if (find_nesting_type(p, field_end) != NULL && !visit(p, (char *)field_end, user_data))
				return;
			p = (char *)field_end;
			continue;
		}
		p = (char *)pd_mail_line_end(p, end);
	}
}

typedef struct {
	guint count, budget;
} NestingCount;

static gboolean
count_nesting(char *start, char *end, gpointer data)
{
	NestingCount *n = data;

	return ++n->count <= n->budget;
}

static gboolean
neutralize_nesting(char *start, char *end, gpointer data)
{
	NestingCount *n = data;
	char *type;

	if (++n->count <= n->budget)
		return TRUE;
	/* "multipart/..." becomes "xultipart/...": a leaf to GMime */
	if ((type = (char *)find_nesting_type(start, end)) != NULL)
		*type = 'x';
	return TRUE;
}

/* GMime nests once per Content-Type naming multipart or message (a digest's
 * parts add one level each), and checks every "--" line against every open
 * boundary: so however the MIME structure looks, keeping at most budget
 * such fields bounds its depth by 2 * budget + 1 and its work by lines *
 * budget.  Fields past the budget are made leaf types in buf (writable, the
 * bytes GMime will read).  Returns whether anything was cut. */
gboolean
pd_mail_guard_nesting(PdMailCtx *ctx, char *buf, gsize size)
{
	NestingCount n = { 0, ctx->limits.max_depth * 2 };

	each_nesting_field(buf, size, neutralize_nesting, &n);
	return n.count > n.budget;
}

gboolean
pd_mail_needs_nesting_guard(PdMailCtx *ctx, const char *data, gsize size)
{
	NestingCount n = { 0, ctx->limits.max_depth * 2 };

	each_nesting_field((char *)data, size, count_nesting, &n);
	return n.count > n.budget;
}

/* ---- the part guard ---- */

typedef struct {
	GMimeParserOptions *options;
	guint budget;			/* nesting fields GMime will honour */
	guint count;
	GPtrArray *delimiters;		/* "--boundary", distinct */
} BoundaryScan;

/* GMime's own reading of the boundary of one Content-Type field. */
static gboolean
collect_boundary(char *start, char *end, gpointer data)
{
	BoundaryScan *scan = data;
	const char *colon = memchr(start, ':', end - start);
	g_autofree char *value = NULL;
	GMimeContentType *ct;
	const char *boundary;

	if (++scan->count > scan->budget)
		return FALSE;	/* made leaves by the nesting guard */
	if (colon == NULL)
		return TRUE;
	value = g_strndup(colon + 1, end - (colon + 1));
	ct = g_mime_content_type_parse(scan->options, value);
	boundary = ct != NULL ? g_mime_content_type_get_parameter(ct, "boundary") : NULL;
	if (boundary != NULL && *boundary != '\0') {
		char *delimiter = g_strconcat("--", boundary, NULL);

		if (g_ptr_array_find_with_equal_func(scan->delimiters, delimiter, g_str_equal, NULL))
			g_free(delimiter);
		else
			g_ptr_array_add(scan->delimiters, delimiter);
	}
	g_clear_object(&ct);
	return TRUE;
}

static gboolean
is_delimiter_line(GPtrArray *delimiters, const char *p, const char *next)
{
	gsize n = next - p;

	if (n < 2 || p[0] != '-' || p[1] != '-')
		return FALSE;
	for (guint i = 0; i < delimiters->len; i++) {
		gsize len = strlen(delimiters->pdata[i]);

		if (n >= len && memcmp(p, delimiters->pdata[i], len) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
is_blank_line(const char *p, const char *next)
{
	gsize n = next - p;

	return n == 0 || (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/* A line that may start a part's header field (the top-level block is
 * split by core/pd-header). */
static gboolean
is_field_line(const char *p, const char *next)
{
	const char *q;

	for (q = p; q < next && *q != ':'; q++) {
		if ((guchar)*q <= ' ' && *q != ' ' && *q != '\t')
			return FALSE;
	}
	return q < next && q > p;
}

/* Where the scan of part header blocks stands. */
typedef struct {
	gboolean in_headers;	/* reading a header block */
	gboolean top;		/* the top-level one (the header guard's) */
	gboolean typed;		/* the block has a Content-Type */
	gboolean message;	/* ... naming message/: a header block follows */
	guint fields;		/* fields in this block */
	const char *field_start;	/* the open field, NULL if none */
	gsize field_bytes;	/* of the open field, folded lines included */
	guint all_fields;	/* in every part header block */
	gsize all_bytes;
} HeaderScan;

static void
header_block_start(HeaderScan *h, gboolean top)
{
	h->in_headers = TRUE;
	h->top = top;
	h->typed = h->message = FALSE;
	h->fields = 0;
	h->field_start = NULL;
	h->field_bytes = 0;
}

/* One line inside a header block; NULL, or what is too much. */
static const char *
header_line(PdMailCtx *ctx, HeaderScan *h, const char *p, const char *next, const char *end)
{
	const PdMailLimits *l = &ctx->limits;
	gsize n = next - p;
	const char *field_end;

	if (is_blank_line(p, next)) {
		/* a message's header block follows that of a message/rfc822
		 * part, and of an untyped one (a digest's parts are messages) */
		if (h->message || (!h->typed && !h->top))
			header_block_start(h, FALSE);
		else
			h->in_headers = FALSE;
		return NULL;
	}
	if ((*p == ' ' || *p == '\t') && h->field_start != NULL) {
		h->field_bytes += n;
	} else if (is_field_line(p, next) || !h->top) {
		/* GMime drops an invalid line of a part's header block but reads
		 * the block on (gmime-parser.c step_headers): it counts as a field
		 * here, so the limits bound what follows it too */
		h->fields++;
		h->field_start = p;
		h->field_bytes = n;
		if (content_type_field(p, end, &field_end)) {
			const char *type = find_nesting_type(p, field_end);

			h->typed = TRUE;
			h->message = type != NULL && g_ascii_strncasecmp(type, "message", 7) == 0;
		}
		if (!h->top)
			h->all_fields++;
	} else {
		h->in_headers = FALSE;	/* not a header: GMime's block ends too */
		return NULL;
	}
	if (h->top)
		return NULL;
	h->all_bytes += n;
	if (h->fields > l->max_headers)
		return "a MIME part with more header fields than the limit";
	if (h->field_bytes > l->max_header_bytes)
		return "a MIME part header field longer than the limit";
	if (h->all_fields > PD_MAIL_PART_HEADERS_FACTOR * l->max_headers ||
	    h->all_bytes > PD_MAIL_PART_HEADERS_FACTOR * l->max_header_bytes)
		return "more MIME part header fields in all than the limit";
	return NULL;
}

/* GMime builds every part and every header field before we see one: a
 * 47 MB mail of 1.3 million tiny parts took 2.6 GB, one part with 7
 * million header lines 4.4 GB.  It starts a part only at a line that
 * begins with "--" and the boundary of an enclosing multipart, and its
 * multiparts and messages are the nesting fields the nesting guard keeps;
 * so counting the lines that begin with any such boundary (GMime's own
 * parse of each field; the test a prefix of its own) bounds the parts it
 * builds, and counting the fields of the header blocks that follow them
 * bounds its headers.  Returns where GMime must stop reading (size: it
 * may read everything) and why in *reason_r. */
gsize
pd_mail_part_cut(PdMailCtx *ctx, GMimeParserOptions *options, const char *data, gsize size,
		 const char **reason_r)
{
	BoundaryScan scan = { options, ctx->limits.max_depth * 2, 0, NULL };
	HeaderScan h = { 0 };
	const char *p = data, *end = data + size, *next;
	const char *reason = NULL, *cut = NULL;
	guint parts = 0;

	scan.delimiters = g_ptr_array_new_with_free_func(g_free);
	each_nesting_field((char *)data, size, collect_boundary, &scan);
	header_block_start(&h, TRUE);
	for (; p < end; p = next) {
		next = pd_mail_line_end(p, end);
		if (is_delimiter_line(scan.delimiters, p, next)) {
			if (++parts > ctx->limits.max_parts) {
				reason = "more MIME parts than the limit";
				cut = p;
				break;
			}
			header_block_start(&h, FALSE);
		} else if (h.in_headers && (reason = header_line(ctx, &h, p, next, end)) != NULL) {
			cut = h.field_start;	/* the whole field goes */
			break;
		}
	}
	g_ptr_array_unref(scan.delimiters);
	*reason_r = reason;
	return reason != NULL ? (gsize)(cut - data) : size;
}
