/* pd-echo: cut and defang text echoed to an unauthenticated sender (the
 * rule is in pd-echo.h). */
#include "ticket/pd-echo.h"

#include <string.h>

static gboolean
is_dot(gunichar c)
{
	return c == '.' || c == 0x3002 || c == 0xff0e || c == 0xff61;
}

static gboolean
is_invisible(gunichar c)
{
	return g_unichar_iscntrl(c) || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* The defanged spelling of what starts at p, or NULL; *skip_r bytes. */
static const char *
defanged_scheme(const char *p, gsize *skip_r)
{
	static const struct {
		const char *scheme, *defanged;
	} schemes[] = {
		{ "https://", "hxxps[:]//" }, { "http://", "hxxp[:]//" },
		{ "ftp://", "fxp[:]//" }, { "mailto:", "mailto[:]" }, { "://", "[:]//" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(schemes); i++) {
		gsize n = strlen(schemes[i].scheme);

		if (g_ascii_strncasecmp(p, schemes[i].scheme, n) == 0) {
			*skip_r = n;
			return schemes[i].defanged;
		}
	}
	return NULL;
}

/* Two letters follow the dot at p. */
static gboolean
label_follows(const char *p)
{
	const char *q = g_utf8_next_char(p);

	if (*q == '\0' || !g_unichar_isalpha(g_utf8_get_char(q)))
		return FALSE;
	q = g_utf8_next_char(q);
	return *q != '\0' && g_unichar_isalpha(g_utf8_get_char(q));
}

char *
pd_echo_text(const char *text, guint max_chars)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	const char *p = valid, *end;
	GString *out = g_string_sized_new(strlen(valid) + 16);
	gunichar prev = 0;
	gboolean cut = (guint)g_utf8_strlen(valid, -1) > max_chars;

	end = cut ? g_utf8_offset_to_pointer(valid, max_chars) : valid + strlen(valid);
	while (p < end) {
		gunichar c = g_utf8_get_char(p);
		gsize skip = 0;
		const char *defanged = defanged_scheme(p, &skip);

		if (defanged != NULL && p + skip <= end) {
			g_string_append(out, defanged);
			p += skip;
			prev = '/';
			continue;
		}
		if (is_invisible(c))
			g_string_append_c(out, ' ');
		else if (is_dot(c) && g_unichar_isalnum(prev) && label_follows(p) &&
			 g_utf8_next_char(g_utf8_next_char(p)) < end)
			g_string_append(out, "[.]");
		else
			g_string_append_unichar(out, c);
		prev = c;
		p = g_utf8_next_char(p);
	}
	if (cut) {
		while (out->len > 0 && out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
		g_string_append(out, "…");
	}
	return g_string_free(out, FALSE);
}
