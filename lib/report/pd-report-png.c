/* pd-report-png: --format png, the report's three charts drawn by the same
 * code as the HTML's SVG (pd-canvas.h) on cairo image surfaces, stacked
 * in one PNG for mail clients that show no SVG.  Text uses cairo's toy
 * font API (sans-serif); tooltips have no place in a picture. */
#include "report/pd-report.h"
#include "report/pd-canvas.h"

#include <cairo.h>
#include <stdio.h>
#include <string.h>

#define PNG_GAP 16

typedef struct {
	cairo_surface_t *surface;	/* the chart being drawn */
	cairo_t *cr;
	GPtrArray *done;		/* cairo_surface_t *, in order */
} PngCanvas;

static void
png_color(cairo_t *cr, const char *color, double opacity)
{
	unsigned r = 0, g = 0, b = 0;

	if (color != NULL && color[0] == '#' && strlen(color) == 7) {
		sscanf(color + 1, "%2x%2x%2x", &r, &g, &b);
	} else if (color != NULL && color[0] == '#' && strlen(color) == 4 &&
		   sscanf(color + 1, "%1x%1x%1x", &r, &g, &b) == 3) {
		r *= 17;	/* "#ddd" is "#dddddd" */
		g *= 17;
		b *= 17;
	}
	cairo_set_source_rgba(cr, r / 255.0, g / 255.0, b / 255.0, opacity);
}

static void
png_begin(PdCanvas *c, double width, double height, const char *title)
{
	PngCanvas *p = c->data;

	(void)title;
	p->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(width + 0.5),
						(int)(height + 0.5));
	p->cr = cairo_create(p->surface);
	cairo_set_source_rgb(p->cr, 1, 1, 1);
	cairo_paint(p->cr);
	cairo_select_font_face(p->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
}

static void
png_end(PdCanvas *c)
{
	PngCanvas *p = c->data;

	cairo_destroy(p->cr);
	p->cr = NULL;
	g_ptr_array_add(p->done, p->surface);
	p->surface = NULL;
}

static void
png_rect(PdCanvas *c, double x, double y, double w, double h, const char *fill,
	 double opacity, const char *tooltip)
{
	PngCanvas *p = c->data;

	(void)tooltip;
	png_color(p->cr, fill, opacity);
	cairo_rectangle(p->cr, x, y, MAX(w, 0), MAX(h, 0));
	cairo_fill(p->cr);
}

static void
png_line(PdCanvas *c, double x1, double y1, double x2, double y2, const char *stroke,
	 double width)
{
	PngCanvas *p = c->data;

	png_color(p->cr, stroke, 1);
	cairo_set_line_width(p->cr, width);
	cairo_move_to(p->cr, x1, y1);
	cairo_line_to(p->cr, x2, y2);
	cairo_stroke(p->cr);
}

static void
png_polyline(PdCanvas *c, const double *xy, guint n, const char *stroke, double width)
{
	PngCanvas *p = c->data;

	if (n == 0)
		return;
	png_color(p->cr, stroke, 1);
	cairo_set_line_width(p->cr, width);
	cairo_move_to(p->cr, xy[0], xy[1]);
	for (guint i = 1; i < n; i++)
		cairo_line_to(p->cr, xy[2 * i], xy[2 * i + 1]);
	cairo_stroke(p->cr);
}

static void
png_text(PdCanvas *c, double x, double y, const char *anchor, double size, const char *fill,
	 const char *text)
{
	PngCanvas *p = c->data;
	g_autofree char *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	cairo_text_extents_t ext;

	cairo_set_font_size(p->cr, size);
	cairo_text_extents(p->cr, valid, &ext);
	if (strcmp(anchor, "middle") == 0)
		x -= ext.x_advance / 2;
	else if (strcmp(anchor, "end") == 0)
		x -= ext.x_advance;
	png_color(p->cr, fill, 1);
	cairo_move_to(p->cr, x, y);
	cairo_show_text(p->cr, valid);
}

static const PdCanvasOps png_ops = {
	png_begin, png_end, png_rect, png_line, png_polyline, png_text,
};

static cairo_status_t
png_write(void *closure, const unsigned char *data, unsigned int length)
{
	g_string_append_len(closure, (const char *)data, length);
	return CAIRO_STATUS_SUCCESS;
}

void
pd_report_render_png(const PdReport *report, GString *out)
{
	static const char *const charts[] = { "volume", "backlog", "response" };
	PngCanvas png = { .done = g_ptr_array_new_with_free_func(
				  (GDestroyNotify)cairo_surface_destroy) };
	PdCanvas canvas = { &png_ops, &png };
	cairo_surface_t *all;
	cairo_t *cr;
	int width = 0, height = 0, y = 0;

	for (guint i = 0; i < G_N_ELEMENTS(charts); i++)
		pd_report_draw(report, charts[i], &canvas);
	for (guint i = 0; i < png.done->len; i++) {
		width = MAX(width, cairo_image_surface_get_width(png.done->pdata[i]));
		height += cairo_image_surface_get_height(png.done->pdata[i]) + (i > 0 ? PNG_GAP : 0);
	}
	all = cairo_image_surface_create(CAIRO_FORMAT_RGB24, MAX(width, 1), MAX(height, 1));
	cr = cairo_create(all);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	for (guint i = 0; i < png.done->len; i++) {
		cairo_set_source_surface(cr, png.done->pdata[i], 0, y);
		cairo_paint(cr);
		y += cairo_image_surface_get_height(png.done->pdata[i]) + PNG_GAP;
	}
	cairo_destroy(cr);
	cairo_surface_write_to_png_stream(all, png_write, out);
	cairo_surface_destroy(all);
	g_ptr_array_unref(png.done);
}
