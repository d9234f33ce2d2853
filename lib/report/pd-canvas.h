/* pd-canvas: what the report's charts draw on (pd-report-html.c), so the
 * same drawing code makes the inline SVG (pd-svg.c) and the PNG of
 * --format png (cairo, pd-report-png.c).  A canvas holds one chart at a
 * time between begin and end; coordinates in pixels, colours "#rrggbb" or "#rgb". */
#ifndef PD_CANVAS_H
#define PD_CANVAS_H

#include <glib.h>

typedef struct _PdCanvas PdCanvas;

typedef struct {
	void (*begin)(PdCanvas *canvas, double width, double height, const char *title);
	void (*end)(PdCanvas *canvas);
	/* tooltip: shown on hover where the medium can (SVG), may be NULL */
	void (*rect)(PdCanvas *canvas, double x, double y, double w, double h,
		     const char *fill, double opacity, const char *tooltip);
	void (*line)(PdCanvas *canvas, double x1, double y1, double x2, double y2,
		     const char *stroke, double width);
	void (*polyline)(PdCanvas *canvas, const double *xy, guint n, const char *stroke,
			 double width);
	/* anchor: "start", "middle" or "end" */
	void (*text)(PdCanvas *canvas, double x, double y, const char *anchor, double size,
		     const char *fill, const char *text);
} PdCanvasOps;

struct _PdCanvas {
	const PdCanvasOps *ops;
	gpointer data;
};

/* A canvas appending SVG documents to out (pd-svg.c). */
void pd_svg_canvas_init(PdCanvas *canvas, GString *out);

#endif
