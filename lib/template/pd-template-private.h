/* pd-template internals shared by the parser and the MIME renderer. */
#ifndef PD_TEMPLATE_PRIVATE_H
#define PD_TEMPLATE_PRIVATE_H

#include "pd-template.h"

typedef enum {
	PD_RENDER_TEXT,		/* values as they are */
	PD_RENDER_HTML,		/* values HTML-escaped */
	PD_RENDER_HEADER,	/* values without controls, bounded */
} PdRenderMode;

/* One header of the template: an address header has a literal address
 * and placeholders in the display name only. */
typedef struct {
	GPtrArray *nodes;	/* the value, or the display name */
	char *address;		/* From / Reply-To: literal address; else NULL */
	gboolean present;
} PdTemplateHeader;

struct _PdTemplate {
	char *source;
	PdTemplateHeader subject;
	PdTemplateHeader from;
	PdTemplateHeader reply_to;
	GPtrArray *body;	/* nodes */
	GPtrArray *html;	/* nodes, or NULL */
};

/* One value as it may appear in a header: no controls, bounded. */
char *pd_template_header_value(const char *value);
char *pd_template_render_nodes(GPtrArray *nodes, GHashTable *values, PdRenderMode mode);

#endif
