/* pd-setting-private: what pd-config.c and the loader pd-setting.c share. */
#ifndef PD_SETTING_PRIVATE_H
#define PD_SETTING_PRIVATE_H

#include "pd-config.h"

struct _PdConfigLoad {
	PdConfig *config;
	const char *name;	/* the file, for messages */
	GKeyFile *kf;
	GHashTable *lines;	/* "section" or "section\nkey" -> line number */
	GPtrArray *errors;	/* char *, "file:line: text" */
	GArray *error_lines;	/* guint, of each error (0: none), ascending */
	GArray *warning_lines;	/* the same for config->warnings */
	GPtrArray *tables;	/* const PdConfigTable *, in load order */
};

/* Parse data (named name in messages) into config with tables: every
 * error, one per line, in one PD_ERROR_USAGE. */
gboolean pd_setting_load(PdConfig *config, const char *name, const char *data,
			 GPtrArray *tables, GError **error);
/* Free what the loader stored for table (values: its struct, or for a
 * named table the GPtrArray of them). */
void pd_setting_free(const PdConfigTable *table, gpointer values);

#endif
