/* pd-svg: a small SVG writer of our own (no library), for the report's
 * charts.
 *
 * Appends elements to a GString: every number is written with '.' whatever
 * the locale, every text is XML-escaped (a queue or account name comes from
 * an operator or from mail), and the document is well-formed XML that can
 * be inlined in HTML or served alone as image/svg+xml.  Shapes carry
 * presentation attributes only (no style sheets, no scripts, no external
 * references), so a Content-Security-Policy of default-src 'none' allows it.
 */
#ifndef PD_SVG_H
#define PD_SVG_H

#include <glib.h>

/* Text as XML character data or an attribute value; invalid UTF-8 and
 * characters XML 1.0 does not allow become U+FFFD. */
void pd_xml_escape(GString *out, const char *text);

/* <svg> with its size and an accessible title; end with pd_svg_end. */
void pd_svg_begin(GString *out, double width, double height, const char *title);
void pd_svg_end(GString *out);
/* tooltip (may be NULL): a <title> child, shown on hover. */
void pd_svg_rect(GString *out, double x, double y, double w, double h, const char *fill,
		 double opacity, const char *tooltip);
void pd_svg_line(GString *out, double x1, double y1, double x2, double y2,
		 const char *stroke, double width);
/* n points (x, y pairs in xy). */
void pd_svg_polyline(GString *out, const double *xy, guint n, const char *stroke,
		     double width);
/* anchor: "start", "middle" or "end". */
void pd_svg_text(GString *out, double x, double y, const char *anchor, double size,
		 const char *fill, const char *text);

/* The start of an operator page (an XHTML document, well-formed XML, no
 * script, no external resource; its own small style sheet) with its title
 * as <title> and <h1>, and its end. */
void pd_html_begin(GString *out, const char *title);
void pd_html_end(GString *out);

/* The top of an axis for values up to max: 1, 2 or 5 times a power of
 * ten, at least max (1 for max <= 0). */
double pd_svg_axis_top(double max);

#endif
