/* pd-svg: see pd-svg.h. */
#include "report/pd-svg.h"
#include "report/pd-canvas.h"

#include <math.h>
#include <string.h>

static void
svg_number(GString *out, double value)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.1f", value));
}

/* XML 1.0's Char production, less what we never want (C1 controls). */
static gboolean
xml_char_ok(gunichar c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c < 0x7f) ||
	       (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
	       (c >= 0x10000 && c <= 0x10ffff);
}

void
pd_xml_escape(GString *out, const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		switch (c) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			g_string_append_unichar(out, xml_char_ok(c) ? c : 0xfffd);
		}
	}
}

void
pd_svg_begin(GString *out, double width, double height, const char *title)
{
	g_string_append(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"");
	svg_number(out, width);
	g_string_append(out, "\" height=\"");
	svg_number(out, height);
	g_string_append(out, "\" viewBox=\"0 0 ");
	svg_number(out, width);
	g_string_append_c(out, ' ');
	svg_number(out, height);
	g_string_append(out, "\" role=\"img\" font-family=\"sans-serif\"><title>");
	pd_xml_escape(out, title);
	g_string_append(out, "</title>\n");
}

void
pd_svg_end(GString *out)
{
	g_string_append(out, "</svg>\n");
}

void
pd_svg_rect(GString *out, double x, double y, double w, double h, const char *fill,
	    double opacity, const char *tooltip)
{
	g_string_append(out, "<rect x=\"");
	svg_number(out, x);
	g_string_append(out, "\" y=\"");
	svg_number(out, y);
	g_string_append(out, "\" width=\"");
	svg_number(out, MAX(w, 0));
	g_string_append(out, "\" height=\"");
	svg_number(out, MAX(h, 0));
	g_string_append(out, "\" fill=\"");
	pd_xml_escape(out, fill);
	if (opacity < 1) {
		g_string_append(out, "\" fill-opacity=\"");
		svg_number(out, opacity);
	}
	if (tooltip == NULL) {
		g_string_append(out, "\"/>\n");
		return;
	}
	g_string_append(out, "\"><title>");
	pd_xml_escape(out, tooltip);
	g_string_append(out, "</title></rect>\n");
}

void
pd_svg_line(GString *out, double x1, double y1, double x2, double y2, const char *stroke,
	    double width)
{
	g_string_append(out, "<line x1=\"");
	svg_number(out, x1);
	g_string_append(out, "\" y1=\"");
	svg_number(out, y1);
	g_string_append(out, "\" x2=\"");
	svg_number(out, x2);
	g_string_append(out, "\" y2=\"");
	svg_number(out, y2);
	g_string_append(out, "\" stroke=\"");
	pd_xml_escape(out, stroke);
	g_string_append(out, "\" stroke-width=\"");
	svg_number(out, width);
	g_string_append(out, "\"/>\n");
}

void
pd_svg_polyline(GString *out, const double *xy, guint n, const char *stroke, double width)
{
	g_string_append(out, "<polyline fill=\"none\" stroke=\"");
	pd_xml_escape(out, stroke);
	g_string_append(out, "\" stroke-width=\"");
	svg_number(out, width);
	g_string_append(out, "\" points=\"");
	for (guint i = 0; i < n; i++) {
		if (i > 0)
			g_string_append_c(out, ' ');
		svg_number(out, xy[2 * i]);
		g_string_append_c(out, ',');
		svg_number(out, xy[2 * i + 1]);
	}
	g_string_append(out, "\"/>\n");
}

void
pd_svg_text(GString *out, double x, double y, const char *anchor, double size,
	    const char *fill, const char *text)
{
	g_string_append(out, "<text x=\"");
	svg_number(out, x);
	g_string_append(out, "\" y=\"");
	svg_number(out, y);
	g_string_append(out, "\" text-anchor=\"");
	pd_xml_escape(out, anchor);
	g_string_append(out, "\" font-size=\"");
	svg_number(out, size);
	g_string_append(out, "\" fill=\"");
	pd_xml_escape(out, fill);
	g_string_append(out, "\">");
	pd_xml_escape(out, text);
	g_string_append(out, "</text>\n");
}

double
pd_svg_axis_top(double max)
{
	double step;

	if (!(max > 0))
		return 1;
	step = pow(10, floor(log10(max)));
	for (;;) {
		if (max <= step)
			return step;
		if (max <= 2 * step)
			return 2 * step;
		if (max <= 5 * step)
			return 5 * step;
		step *= 10;
	}
}

/* --- the SVG canvas ---------------------------------------------------- */

static void
canvas_begin(PdCanvas *c, double width, double height, const char *title)
{
	pd_svg_begin(c->data, width, height, title);
}

static void
canvas_end(PdCanvas *c)
{
	pd_svg_end(c->data);
}

static void
canvas_rect(PdCanvas *c, double x, double y, double w, double h, const char *fill,
	    double opacity, const char *tooltip)
{
	pd_svg_rect(c->data, x, y, w, h, fill, opacity, tooltip);
}

static void
canvas_line(PdCanvas *c, double x1, double y1, double x2, double y2, const char *stroke,
	    double width)
{
	pd_svg_line(c->data, x1, y1, x2, y2, stroke, width);
}

static void
canvas_polyline(PdCanvas *c, const double *xy, guint n, const char *stroke, double width)
{
	pd_svg_polyline(c->data, xy, n, stroke, width);
}

static void
canvas_text(PdCanvas *c, double x, double y, const char *anchor, double size,
	    const char *fill, const char *text)
{
	pd_svg_text(c->data, x, y, anchor, size, fill, text);
}

static const PdCanvasOps svg_canvas_ops = {
	canvas_begin, canvas_end, canvas_rect, canvas_line, canvas_polyline, canvas_text,
};

void
pd_svg_canvas_init(PdCanvas *canvas, GString *out)
{
	canvas->ops = &svg_canvas_ops;
	canvas->data = out;
}
