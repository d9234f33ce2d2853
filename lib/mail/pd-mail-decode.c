/* pd-mail-decode: a part's Content-Transfer-Encoding undone, and what was
 * wrong with it.
 *
 * One decoder for the parse and for pd_mail_decode (an attachment stored as
 * a span of the raw message decodes to exactly its content again).
 * base64 and x-uuencode are decoded here rather than by GMime's filters,
 * which drop what real mail needs kept: GMime's base64 step keeps the
 * last one to three characters of an unpadded final group to itself (a
 * cut attachment loses its last bytes), and its uudecoder writes nothing
 * at all without a "begin" line.  Here:
 *   - base64: characters outside the alphabet are skipped; the first '='
 *     ends the content (what follows is a list footer, as GMime reads
 *     it); a final group of two or three characters gives its one or two
 *     whole bytes, and the flaw says so;
 *   - x-uuencode: lines before "begin" are skipped when there is one, and
 *     read as data when there is none (the flaw says so); "end" stops;
 *     each line gives the bytes its length character announces, at most
 *     what its characters hold;
 *   - quoted-printable: GMime's filter; anything else: the bytes as they are.
 */
#include <string.h>

#include "mail/pd-mail-private.h"

static guint8 base64_rank[256];

static gpointer
rank_init(gpointer data)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	memset(base64_rank, 0xff, sizeof base64_rank);
	for (guint i = 0; i < 64; i++)
		base64_rank[(guchar)alphabet[i]] = (guint8)i;
	return NULL;
}

void
pd_mail_base64_init(PdMailBase64 *b64)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, rank_init, NULL);
	memset(b64, 0, sizeof(*b64));
}

/* The whole bytes of a partial group of n characters (2: one, 3: two). */
static void
base64_flush(PdMailBase64 *b64, GByteArray *out)
{
	guint8 bytes[2];

	if (b64->n >= 2) {
		guint32 bits = b64->bits << (6 * (4 - b64->n));

		bytes[0] = (guint8)(bits >> 16);
		bytes[1] = (guint8)(bits >> 8);
		g_byte_array_append(out, bytes, b64->n - 1);
	}
	b64->n = 0;
	b64->bits = 0;
}

void
pd_mail_base64_feed(PdMailBase64 *b64, const char *text, gsize len, gboolean stop_at_pad,
		    GByteArray *out)
{
	/* Written straight into out, sized once: at most 3 bytes per 4
	 * characters, this call's and the open group's (a call per group of
	 * g_byte_array_append made decoding twice as slow as GMime's). */
	gsize start = out->len, o = 0;
	guint8 *dst;

	g_byte_array_set_size(out, start + len / 4 * 3 + 6);
	dst = out->data + start;
	for (gsize i = 0; i < len && !b64->ended; i++) {
		guint8 rank = base64_rank[(guchar)text[i]];

		if (rank != 0xff) {
			b64->bits = (b64->bits << 6) | rank;
			if (++b64->n == 4) {
				dst[o++] = (guint8)(b64->bits >> 16);
				dst[o++] = (guint8)(b64->bits >> 8);
				dst[o++] = (guint8)b64->bits;
				b64->n = 0;
				b64->bits = 0;
			}
		} else if (text[i] == '=') {
			/* padding: the group ends here, as its writer meant; its
			 * whole bytes (2 characters: one, 3: two) */
			if (b64->n == 1)
				b64->incomplete = TRUE;
			if (b64->n >= 2) {
				guint32 bits = b64->bits << (6 * (4 - b64->n));

				dst[o++] = (guint8)(bits >> 16);
				if (b64->n == 3)
					dst[o++] = (guint8)(bits >> 8);
			}
			b64->n = 0;
			b64->bits = 0;
			b64->ended = stop_at_pad;
		}
	}
	g_byte_array_set_size(out, start + o);
}

gboolean
pd_mail_base64_finish(PdMailBase64 *b64, GByteArray *out)
{
	gboolean incomplete = b64->incomplete || b64->n != 0;

	base64_flush(b64, out);
	b64->incomplete = FALSE;
	b64->ended = FALSE;
	return incomplete;
}

/* One uuencoded character's six bits ('`' is 0, as space). */
static guint
uu_bits(char c)
{
	return ((guchar)c - ' ') & 0x3f;
}

static gboolean
uu_line_is(const char *p, const char *next, const char *word)
{
	gsize n = strlen(word);

	return (gsize)(next - p) >= n && memcmp(p, word, n) == 0 &&
	       ((gsize)(next - p) == n || g_ascii_isspace(p[n]));
}

static void
uudecode(const char *data, gsize len, GByteArray *out, PdMailDecodeFlaws *flaws)
{
	/* an empty part may come as NULL: NULL + 0 is undefined (fuzz-filter) */
	const char *p = data, *end = data != NULL ? data + len : data, *next;
	gboolean begun = FALSE;

	/* with a begin line, what comes before it is not data */
	for (const char *q = data; q < end; q = pd_mail_line_end(q, end)) {
		if (uu_line_is(q, pd_mail_line_end(q, end), "begin")) {
			begun = TRUE;
			p = pd_mail_line_end(q, end);
			break;
		}
	}
	if (!begun && len > 0)
		flaws->uu_no_begin = TRUE;
	for (; p < end; p = next) {
		const char *stop;
		guint want, have = 0;

		next = pd_mail_line_end(p, end);
		stop = next;
		while (stop > p && (stop[-1] == '\n' || stop[-1] == '\r'))
			stop--;
		if (uu_line_is(p, stop, "end"))
			break;
		if (stop == p)
			continue;
		want = uu_bits(*p++);
		while (stop - p >= 2 && have < want) {
			guint chars = (guint)MIN((gsize)4, (gsize)(stop - p));
			guint32 bits = 0;

			for (guint i = 0; i < 4; i++)
				bits = (bits << 6) | (i < chars ? uu_bits(p[i]) : 0);
			for (guint i = 0; i < chars - 1 && have < want; i++, have++) {
				guint8 byte = (guint8)(bits >> (16 - 8 * i));

				g_byte_array_append(out, &byte, 1);
			}
			p += chars;
		}
		if (have < want)
			flaws->uu_short_line = TRUE;
	}
}

/* GMime's quoted-printable filter, reading the bytes in place. */
static GBytes *
qp_decode(const guint8 *data, gsize len)
{
	GByteArray *view = g_byte_array_new(), *bytes = g_byte_array_new();
	GMimeStream *in, *out;
	GMimeDataWrapper *wrapper;

	view->data = (guint8 *)data;
	view->len = (guint)len;
	in = g_mime_stream_mem_new_with_byte_array(view);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(in), FALSE);
	wrapper = g_mime_data_wrapper_new_with_stream(in, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	out = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	g_mime_data_wrapper_write_to_stream(wrapper, out);
	g_object_unref(out);
	g_object_unref(wrapper);
	g_object_unref(in);
	view->data = NULL;
	view->len = 0;
	g_byte_array_free(view, TRUE);
	return g_byte_array_free_to_bytes(bytes);
}

GBytes *
pd_mail_decode_content(const guint8 *data, gsize len, GMimeContentEncoding encoding,
		       PdMailDecodeFlaws *flaws_r)
{
	PdMailDecodeFlaws flaws = { 0 };
	GByteArray *out;

	switch (encoding) {
	case GMIME_CONTENT_ENCODING_BASE64: {
		PdMailBase64 b64;

		out = g_byte_array_sized_new((guint)(len / 4 * 3 + 4));
		pd_mail_base64_init(&b64);
		pd_mail_base64_feed(&b64, (const char *)data, len, TRUE, out);
		flaws.base64_incomplete = pd_mail_base64_finish(&b64, out);
		break;
	}
	case GMIME_CONTENT_ENCODING_UUENCODE:
		out = g_byte_array_sized_new((guint)(len / 4 * 3 + 4));
		uudecode((const char *)data, len, out, &flaws);
		break;
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		if (flaws_r != NULL)
			*flaws_r = flaws;
		return qp_decode(data, len);
	default:
		out = g_byte_array_sized_new((guint)len);
		g_byte_array_append(out, data, (guint)len);
		break;
	}
	if (flaws_r != NULL)
		*flaws_r = flaws;
	return g_byte_array_free_to_bytes(out);
}

GBytes *
pd_mail_decode(const void *encoded, gsize len, const char *encoding)
{
	GMimeContentEncoding e = GMIME_CONTENT_ENCODING_BINARY;

	pd_mail_init();
	if (g_strcmp0(encoding, "base64") == 0)
		e = GMIME_CONTENT_ENCODING_BASE64;
	else if (g_strcmp0(encoding, "quoted-printable") == 0)
		e = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	else if (g_strcmp0(encoding, "x-uuencode") == 0)
		e = GMIME_CONTENT_ENCODING_UUENCODE;
	return pd_mail_decode_content(encoded != NULL ? encoded : (const guint8 *)"", len, e, NULL);
}
