/* pd-header: GMime's split of a raw header block into fields (see
 * pd-header.h for the rules and where they come from). */
#include "core/pd-header.h"

#include <string.h>

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static gboolean
is_ctrl(char c)
{
	return (guchar)c < 0x20 || (guchar)c == 0x7f;
}

static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', end - p);

	return nl != NULL ? nl + 1 : end;
}

static gboolean
is_empty_line(const char *p, const char *next)
{
	gsize n = next - p;

	return n == 0 || (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/* GMime's field-name scan of one line: the colon ending a valid name, or
 * NULL.  *name_len_r gets the name's length without the trailing blanks. */
static const char *
field_colon(const char *p, const char *next, gsize *name_len_r)
{
	gboolean blank = FALSE;
	const char *q, *name_end = NULL;

	for (q = p; q < next && *q != ':'; q++) {
		if (is_blank(*q)) {
			if (!blank)
				name_end = q;
			blank = TRUE;
		} else if (blank || is_ctrl(*q)) {
			return NULL;
		}
	}
	if (q >= next || q == p)
		return NULL;
	if (!blank)
		name_end = q;
	*name_len_r = name_end - p;
	return *name_len_r > 0 ? q : NULL;
}

static gboolean
is_mbox_marker(const char *p, const char *next)
{
	if (p < next && *p == '>')
		p++;
	return next - p >= 5 && memcmp(p, "From ", 5) == 0;
}

void
pd_header_scan_init(PdHeaderScan *scan, const char *data, gsize len)
{
	memset(scan, 0, sizeof(*scan));
	scan->p = data;
	scan->end = data + len;
}

gboolean
pd_header_scan_next(PdHeaderScan *scan, PdHeaderField *field_r)
{
	const char *p = scan->p, *next, *colon;
	gsize name_len = 0;

	if (scan->done)
		return FALSE;
	for (;;) {
		if (p >= scan->end) {
			scan->done = TRUE;
			scan->body = scan->end;
			scan->p = scan->end;
			return FALSE;
		}
		next = line_end(p, scan->end);
		if (is_empty_line(p, next)) {
			scan->done = TRUE;
			scan->body = next;
			scan->p = next;
			return FALSE;
		}
		colon = field_colon(p, next, &name_len);
		if (colon != NULL || scan->started)
			break;
		if (!is_mbox_marker(p, next)) {
			scan->done = TRUE;
			scan->unterminated = TRUE;
			scan->body = p;
			scan->p = p;
			return FALSE;
		}
		p = next;	/* an mbox "From " line before the first field */
	}
	/* this line plus its continuation lines */
	while (next < scan->end && is_blank(*next))
		next = line_end(next, scan->end);
	memset(field_r, 0, sizeof(*field_r));
	field_r->start = p;
	field_r->end = next;
	field_r->valid = colon != NULL;
	if (field_r->valid) {
		field_r->name = p;
		field_r->name_len = name_len;
		field_r->value = colon + 1;
		scan->started = TRUE;
	} else {
		field_r->value = p;
	}
	scan->p = next;
	return TRUE;
}

gboolean
pd_header_field_is(const PdHeaderField *field, const char *name)
{
	gsize n = strlen(name);

	return field->valid && field->name_len == n && g_ascii_strncasecmp(field->name, name, n) == 0;
}

gboolean
pd_header_field_looks_like(const PdHeaderField *field, const char *name)
{
	const char *p = field->start, *end = field->end;
	gsize n = strlen(name);

	while (p < end && is_blank(*p))
		p++;
	if ((gsize)(end - p) < n || g_ascii_strncasecmp(p, name, n) != 0)
		return FALSE;
	for (p += n; p < end && *p != ':' && *p != '\n'; p++) {
		if (!is_blank(*p) && !is_ctrl(*p))
			return FALSE;
	}
	return p < end && *p == ':';
}

guint
pd_header_count_like(const char *data, gsize len, const char *name, guint max)
{
	PdHeaderScan scan;
	PdHeaderField field;
	guint count = 0;

	pd_header_scan_init(&scan, data, len);
	while (count < max && pd_header_scan_next(&scan, &field)) {
		if (pd_header_field_looks_like(&field, name))
			count++;
	}
	return count;
}

char *
pd_header_field_unfold(const PdHeaderField *field)
{
	GString *out = g_string_sized_new(field->end - field->value);
	const char *p = field->value;

	while (p < field->end) {
		const char *next = line_end(p, field->end);
		const char *stop = next;

		if (p != field->value) {
			while (p < stop && is_blank(*p))
				p++;
			g_string_append_c(out, ' ');
		}
		while (stop > p && (stop[-1] == '\n' || stop[-1] == '\r'))
			stop--;
		g_string_append_len(out, p, stop - p);
		p = next;
	}
	g_strstrip(out->str);
	out->len = strlen(out->str);
	return g_string_free(out, FALSE);
}
