/* pd-imap-message: the Return-Path of a fetched message (see the header). */
#include "imap/pd-imap-message.h"

#include <string.h>

#define FIELD "return-path:"

/* The value of field at line (up to CR or LF: a folded Return-Path is not
 * one plain address anyway). */
static char *
path_of(const guint8 *p, const guint8 *end)
{
	const guint8 *eol = p, *lt, *gt;
	gsize n;

	while (eol < end && *eol != '\r' && *eol != '\n')
		eol++;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	while (eol > p && (eol[-1] == ' ' || eol[-1] == '\t'))
		eol--;
	if (p < eol && *p == '<') {
		lt = p + 1;
		gt = memchr(lt, '>', eol - lt);
		if (gt == NULL || gt + 1 != eol)
			return NULL;
	} else {
		lt = p;
		gt = eol;
	}
	n = gt - lt;
	if (n > PD_IMAP_MAX_PATH)
		return NULL;
	for (const guint8 *q = lt; q < gt; q++)
		if (*q <= ' ' || *q == 0x7f || *q == '<' || *q == '>' || *q == '"' || *q == ',')
			return NULL;
	if (n > 0 && memchr(lt, '@', n) == NULL)
		return NULL;
	if (!g_utf8_validate((const char *)lt, (gssize)n, NULL))
		return NULL;
	return g_strndup((const char *)lt, n);
}

char *
pd_imap_return_path(const guint8 *data, gsize len)
{
	const guint8 *p = data, *end = data + len;

	while (p < end) {
		const guint8 *nl;

		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			return NULL;	/* the end of the header */
		if ((gsize)(end - p) > strlen(FIELD) &&
		    g_ascii_strncasecmp((const char *)p, FIELD, strlen(FIELD)) == 0)
			return path_of(p + strlen(FIELD), end);
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			return NULL;
		p = nl + 1;
	}
	return NULL;
}
