/* pd-mail-html: HTML mail to readable plain text.
 *
 * A single linear pass, no DOM and no allocation per tag beyond the output:
 * block elements become line breaks (paragraphs and headings a blank line),
 * table cells are separated by a space, list items start a "- " line,
 * entities (named common ones and numeric) are decoded, script, style and
 * title content is dropped, comments skipped, whitespace collapsed outside
 * <pre>, and a link whose text is not its address is kept as
 * "text <url>".  Never fails: malformed markup is read the way a browser
 * would roughly read it; the result is valid UTF-8 without NUL.
 */
#include <string.h>

#include "mail/pd-mail.h"

typedef struct {
	const char *name;
	const char *utf8;
} Entity;

/* The named entities mail actually uses (sorted for bsearch). */
static const Entity entities[] = {
	{ "AElig", "Æ" }, { "Aacute", "Á" }, { "Acirc", "Â" }, { "Agrave", "À" }, { "Aring", "Å" },
	{ "Atilde", "Ã" }, { "Auml", "Ä" }, { "Ccedil", "Ç" }, { "Eacute", "É" }, { "Ecirc", "Ê" },
	{ "Egrave", "È" }, { "Euml", "Ë" }, { "Iacute", "Í" }, { "Ntilde", "Ñ" }, { "Oacute", "Ó" },
	{ "Ocirc", "Ô" }, { "Ograve", "Ò" }, { "Oslash", "Ø" }, { "Ouml", "Ö" }, { "Uacute", "Ú" },
	{ "Uuml", "Ü" }, { "aacute", "á" }, { "acirc", "â" }, { "aelig", "æ" }, { "agrave", "à" },
	{ "amp", "&" }, { "apos", "'" }, { "aring", "å" }, { "atilde", "ã" }, { "auml", "ä" },
	{ "bdquo", "„" }, { "bull", "•" }, { "ccedil", "ç" }, { "cent", "¢" }, { "copy", "©" },
	{ "deg", "°" }, { "divide", "÷" }, { "eacute", "é" }, { "ecirc", "ê" }, { "egrave", "è" },
	{ "emsp", " " }, { "ensp", " " }, { "euml", "ë" }, { "euro", "€" }, { "frac12", "½" },
	{ "gt", ">" }, { "hellip", "…" }, { "iacute", "í" }, { "icirc", "î" }, { "iexcl", "¡" },
	{ "igrave", "ì" }, { "iquest", "¿" }, { "iuml", "ï" }, { "laquo", "«" }, { "ldquo", "“" },
	{ "lsaquo", "‹" }, { "lsquo", "‘" }, { "lt", "<" }, { "mdash", "—" }, { "middot", "·" },
	{ "nbsp", "\xC2\xA0" }, { "ndash", "–" }, { "not", "¬" }, { "ntilde", "ñ" }, { "oacute", "ó" },
	{ "ocirc", "ô" }, { "ograve", "ò" }, { "oslash", "ø" }, { "otilde", "õ" }, { "ouml", "ö" },
	{ "para", "¶" }, { "plusmn", "±" }, { "pound", "£" }, { "quot", "\"" }, { "raquo", "»" },
	{ "rdquo", "”" }, { "reg", "®" }, { "rsaquo", "›" }, { "rsquo", "’" }, { "sbquo", "‚" },
	{ "sect", "§" }, { "shy", "" }, { "szlig", "ß" }, { "thinsp", " " }, { "times", "×" },
	{ "trade", "™" }, { "uacute", "ú" }, { "ucirc", "û" }, { "ugrave", "ù" }, { "uuml", "ü" },
	{ "yen", "¥" }, { "yuml", "ÿ" }, { "zwj", "" }, { "zwnj", "" },
};

static int
entity_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const Entity *)elem)->name);
}

typedef struct {
	GString *out;
	gboolean space;		/* a collapsed space is pending */
	int pre;		/* inside <pre> */
	gssize link_start;	/* output offset where the current <a> text began */
	char *link_href;
} Html;

/* Ensures the output ends with at least n line breaks (n = 1 or 2). */
static void
html_break(Html *h, int n)
{
	GString *o = h->out;
	int have = 0;

	h->space = FALSE;
	while (o->len > 0 && o->str[o->len - 1] == ' ')
		g_string_truncate(o, o->len - 1);
	if (o->len == 0)
		return;
	for (gsize i = o->len; i > 0 && o->str[i - 1] == '\n' && have < 2; i--)
		have++;
	while (have++ < n)
		g_string_append_c(o, '\n');
}

static void
html_text(Html *h, const char *s, gsize len)
{
	GString *o = h->out;

	for (gsize i = 0; i < len; i++) {
		char c = s[i];

		if (h->pre) {
			if (c != '\r')
				g_string_append_c(o, c);
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
			h->space = TRUE;
			continue;
		}
		if (h->space && o->len > 0 && o->str[o->len - 1] != '\n')
			g_string_append_c(o, ' ');
		h->space = FALSE;
		g_string_append_c(o, c);
	}
}

/* Decodes the entity at p (after '&'); returns bytes consumed after '&',
 * 0 if it is not an entity. */
static gsize
html_entity(Html *h, const char *p, const char *end)
{
	char name[16];
	gsize n = 0;

	if (p < end && *p == '#') {
		gunichar c = 0;
		gboolean hex = p + 1 < end && (p[1] == 'x' || p[1] == 'X');
		const char *q = p + (hex ? 2 : 1);
		gsize digits = 0;
		char buf[8];

		while (q < end && (hex ? g_ascii_isxdigit(*q) : g_ascii_isdigit(*q)) && digits < 8) {
			c = c * (hex ? 16 : 10) + (hex ? g_ascii_xdigit_value(*q) : *q - '0');
			q++;
			digits++;
		}
		if (digits == 0)
			return 0;
		if (q < end && *q == ';')
			q++;
		if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			c = 0xFFFD;
		html_text(h, buf, g_unichar_to_utf8(c, buf));
		return q - p;
	}
	while (p + n < end && n < sizeof name - 1 && g_ascii_isalnum(p[n])) {
		name[n] = p[n];
		n++;
	}
	name[n] = '\0';
	if (n > 0) {
		const Entity *e = bsearch(name, entities, G_N_ELEMENTS(entities), sizeof *entities,
					  entity_cmp);

		if (e != NULL) {
			if (strcmp(e->name, "nbsp") == 0 || strcmp(e->name, "ensp") == 0 ||
			    strcmp(e->name, "emsp") == 0 || strcmp(e->name, "thinsp") == 0) {
				/* a non-breaking space reads as a space */
				if (h->space && h->out->len > 0 && h->out->str[h->out->len - 1] != '\n')
					g_string_append_c(h->out, ' ');
				h->space = FALSE;
				g_string_append_c(h->out, ' ');
			} else {
				html_text(h, e->utf8, strlen(e->utf8));
			}
			return n + (p + n < end && p[n] == ';' ? 1 : 0);
		}
	}
	return 0;
}

static gboolean
name_is(const char *name, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (g_ascii_strcasecmp(name, *list) == 0)
			return TRUE;
	}
	return FALSE;
}

static const char *const para_tags[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl",
	"hr", NULL
};
static const char *const block_tags[] = {
	"div", "tr", "li", "dt", "dd", "section", "article", "header", "footer", "form", "address",
	"center", "fieldset", "figure", "figcaption", "main", "nav", "aside", "tbody", "thead",
	"tfoot", "caption", "body", "html", NULL
};
static const char *const skip_tags[] = { "script", "style", "title", NULL };

/* The value of attribute attr in the tag text [p, end), newly allocated. */
static char *
tag_attribute(const char *p, const char *end, const char *attr)
{
	gsize alen = strlen(attr);

	while (p < end) {
		const char *name;
		gsize nlen;

		while (p < end && (g_ascii_isspace(*p) || *p == '/'))
			p++;
		name = p;
		while (p < end && !g_ascii_isspace(*p) && *p != '=' && *p != '>' && *p != '/')
			p++;
		nlen = p - name;
		while (p < end && g_ascii_isspace(*p))
			p++;
		if (p < end && *p == '=') {
			const char *value;
			gsize vlen;

			p++;
			while (p < end && g_ascii_isspace(*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;

				value = p;
				while (p < end && *p != q)
					p++;
				vlen = p - value;
				if (p < end)
					p++;
			} else {
				value = p;
				while (p < end && !g_ascii_isspace(*p) && *p != '>')
					p++;
				vlen = p - value;
			}
			if (nlen == alen && g_ascii_strncasecmp(name, attr, alen) == 0)
				return g_strndup(value, vlen);
		} else if (nlen == 0) {
			p++;
		}
	}
	return NULL;
}

static void
link_close(Html *h)
{
	g_autofree char *text = NULL;
	const char *href = h->link_href;

	if (href == NULL || h->link_start < 0)
		goto done;
	text = g_strstrip(g_strdup(h->out->str + MIN((gsize)h->link_start, h->out->len)));
	if (g_str_has_prefix(href, "mailto:") && strcmp(href + 7, text) == 0)
		goto done;
	if (*href != '\0' && *href != '#' && strcmp(href, text) != 0 &&
	    !g_str_has_prefix(href, "javascript:")) {
		GString *decoded = g_string_new(NULL);
		Html sub = { decoded, FALSE, 1, -1, NULL };
		const char *p = href, *end = href + strlen(href);

		/* the address may hold entities (&amp;) */
		while (p < end) {
			gsize n;

			if (*p == '&' && (n = html_entity(&sub, p + 1, end)) > 0) {
				p += n + 1;
				continue;
			}
			g_string_append_c(decoded, *p++);
		}
		if (*text == '\0') {
			html_text(h, decoded->str, decoded->len);
		} else {
			html_text(h, " <", 2);
			g_string_append_len(h->out, decoded->str, decoded->len);
			g_string_append_c(h->out, '>');
		}
		g_string_free(decoded, TRUE);
	}
done:
	g_clear_pointer(&h->link_href, g_free);
	h->link_start = -1;
}

/* Handles the tag at p ('<'); returns the position after it. */
static const char *
html_tag(Html *h, const char *p, const char *end)
{
	const char *q = p + 1, *name, *close;
	gboolean closing = FALSE;
	char tag[16];
	gsize n;

	if (end - q >= 3 && memcmp(q, "!--", 3) == 0) {
		const char *stop = g_strstr_len(q + 3, end - q - 3, "-->");

		return stop != NULL ? stop + 3 : end;
	}
	if (q < end && (*q == '!' || *q == '?')) {
		close = memchr(q, '>', end - q);
		return close != NULL ? close + 1 : end;
	}
	if (q < end && *q == '/') {
		closing = TRUE;
		q++;
	}
	if (q >= end || !g_ascii_isalpha(*q)) {
		html_text(h, "<", 1);	/* a lone '<' is text */
		return p + 1;
	}
	name = q;
	while (q < end && g_ascii_isalnum(*q))
		q++;
	n = MIN((gsize)(q - name), sizeof tag - 1);
	memcpy(tag, name, n);
	tag[n] = '\0';
	/* the end of the tag, quotes respected */
	for (close = q; close < end && *close != '>'; close++) {
		if (*close == '"' || *close == '\'') {
			const char *match = memchr(close + 1, *close, end - close - 1);

			if (match == NULL)
				break;
			close = match;
		}
	}
	if (close < end && *close != '>') {
		close = memchr(q, '>', end - q);
		if (close == NULL)
			close = end;
	}
	if (!closing && name_is(tag, skip_tags)) {
		/* drop everything up to the matching end tag */
		const char *s = close;

		while (s < end && (s = memchr(s, '<', end - s)) != NULL) {
			if (end - s > (gssize)(n + 2) && s[1] == '/' &&
			    g_ascii_strncasecmp(s + 2, tag, n) == 0 && !g_ascii_isalnum(s[2 + n])) {
				const char *gt = memchr(s, '>', end - s);

				return gt != NULL ? gt + 1 : end;
			}
			s++;
		}
		return end;
	}
	if (g_ascii_strcasecmp(tag, "br") == 0) {
		h->space = FALSE;
		while (h->out->len > 0 && h->out->str[h->out->len - 1] == ' ')
			g_string_truncate(h->out, h->out->len - 1);
		g_string_append_c(h->out, '\n');
	} else if (g_ascii_strcasecmp(tag, "pre") == 0) {
		html_break(h, 2);
		h->pre += closing ? (h->pre > 0 ? -1 : 0) : 1;
	} else if (name_is(tag, para_tags)) {
		html_break(h, 2);
	} else if (name_is(tag, block_tags)) {
		html_break(h, 1);
		if (!closing && g_ascii_strcasecmp(tag, "li") == 0)
			g_string_append(h->out, "- ");
	} else if (g_ascii_strcasecmp(tag, "td") == 0 || g_ascii_strcasecmp(tag, "th") == 0) {
		if (!closing)
			h->space = TRUE;
	} else if (g_ascii_strcasecmp(tag, "a") == 0) {
		if (closing) {
			link_close(h);
		} else {
			g_clear_pointer(&h->link_href, g_free);
			h->link_href = tag_attribute(q, close, "href");
			if (h->link_href != NULL)
				g_strstrip(h->link_href);
			h->link_start = h->out->len;
		}
	} else if (!closing && g_ascii_strcasecmp(tag, "img") == 0) {
		g_autofree char *alt = tag_attribute(q, close, "alt");

		if (alt != NULL && *alt != '\0') {
			h->space = h->space || (h->out->len > 0);
			html_text(h, alt, strlen(alt));
		}
	}
	return close < end ? close + 1 : end;
}

/* Trims trailing spaces per line, at most one blank line in a row, no
 * blank lines at either end; valid UTF-8, no NUL. */
static char *
html_finish(GString *o)
{
	GString *out = g_string_sized_new(o->len);
	g_auto(GStrv) lines = NULL;
	int blank = 0;
	char *text;

	for (gsize i = 0; i < o->len; i++) {
		if (o->str[i] == '\0')
			o->str[i] = ' ';
	}
	lines = g_strsplit(o->str, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		g_strchomp(*l);
		if (**l == '\0') {
			blank++;
			continue;
		}
		if (out->len > 0)
			g_string_append(out, blank > 0 ? "\n\n" : "\n");
		blank = 0;
		g_string_append(out, *l);
	}
	text = g_string_free(out, FALSE);
	if (!g_utf8_validate(text, -1, NULL)) {
		char *valid = g_utf8_make_valid(text, -1);

		g_free(text);
		text = valid;
	}
	return text;
}

char *
pd_mail_html_to_text(const char *html, gsize len)
{
	Html h = { g_string_sized_new(len / 2 + 16), FALSE, 0, -1, NULL };
	const char *p = html, *end = html + len;
	char *text;

	while (p < end) {
		const char *special = p;
		gsize n;

		while (special < end && *special != '<' && *special != '&')
			special++;
		html_text(&h, p, special - p);
		p = special;
		if (p >= end)
			break;
		if (*p == '<') {
			p = html_tag(&h, p, end);
		} else if ((n = html_entity(&h, p + 1, end)) > 0) {
			p += n + 1;
		} else {
			html_text(&h, "&", 1);
			p++;
		}
	}
	if (h.link_href != NULL)
		link_close(&h);
	text = html_finish(h.out);
	g_string_free(h.out, TRUE);
	return text;
}
