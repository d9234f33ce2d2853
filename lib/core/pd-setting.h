/* pd-setting: how a layer declares its part of the configuration file.
 *
 * Each layer owns a PdConfigTable: the section it reads, one PdSetting row
 * per key (type, default, range, where the parsed value goes in the
 * layer's own struct) and optional hooks that derive what the layer needs
 * from the parsed values (token keys, canonical addresses...) once per
 * configuration.  The generic loader (pd-setting.c, called by
 * pd_config_load) reads the file once, refuses unknown sections and keys,
 * parses and range-checks every value, and names file:line in every error
 * and warning.  Nothing outside lib/core reads the file itself: a layer
 * reads its typed struct (pd_config_layer()).
 *
 * Several tables may share a section ([outbound] has keys of lib/ticket,
 * lib/smtp and lib/pipeline); a key is known when one of them declares it.
 * A named table ("queue") covers every [queue NAME] section, one struct
 * per section.  lib/core knows no upper layer: the list of tables is given
 * by whoever loads (lib/settings builds it once for the daemon, the CLI
 * and the tests).
 *
 * To add a key: a field in the layer's struct and one row in its table
 * (lib/settings/pd-settings.h lists them), with its default as it would be
 * written in the file; a rule that spans keys or layers goes in the
 * table's finish hook (pd_config_error with the key, for its line), a
 * mail-path warning in review (pd_config_warning).  Document it in
 * contrib/postdesk.conf.example and postdesk.conf(5) (doc/postdesk.conf.5).
 */
#ifndef PD_SETTING_H
#define PD_SETTING_H

#include <glib.h>

typedef enum {
	PD_SETTING_BOOL,	/* gboolean: yes/no, true/false, on/off, 1/0, any case */
	PD_SETTING_UINT,	/* guint, decimal, min..max */
	PD_SETTING_SIZE,	/* gsize, with an optional k, M or G suffix, min..max */
	PD_SETTING_MSEC,	/* guint milliseconds, written as (fractional) seconds */
	PD_SETTING_DURATION,	/* gint64 seconds, written 30d, 12h, 90m, 45s, 2w or 3600 */
	PD_SETTING_STRING,	/* char *, white space stripped */
	PD_SETTING_LIST,	/* GPtrArray of char *, split at separators */
	PD_SETTING_ENUM,	/* int: the index of the value in values[] */
	PD_SETTING_ADDRESS,	/* char *: a mail address, canonical ("local@domain") */
} PdSettingType;

/* A key without it may be left out: its default applies. */
#define PD_SETTING_REQUIRED	(1u << 0)
/* STRING: an empty value is kept as "" (otherwise an empty STRING,
 * ADDRESS or LIST means unset; an empty number, bool or enum is an error). */
#define PD_SETTING_EMPTY_OK	(1u << 1)

/* A further check of a parsed value (the field it was stored in): FALSE
 * with a message saying what it must be; the loader adds file:line and
 * "[section] key = value: ". */
typedef gboolean (*PdSettingCheck)(gconstpointer field, GError **error);

typedef struct {
	const char *key;
	PdSettingType type;
	gsize offset;			/* of the field in the layer's struct */
	const char *def;		/* default as it would be written; NULL: unset */
	guint64 min, max;		/* UINT, SIZE, MSEC (ms), DURATION (s) */
	const char *const *values;	/* ENUM: the names, NULL-terminated */
	const char *separators;		/* LIST: default ", \t" */
	guint flags;
	PdSettingCheck check;
} PdSetting;

typedef struct _PdConfig PdConfig;
typedef struct _PdConfigLoad PdConfigLoad;
typedef struct _PdConfigTable PdConfigTable;

struct _PdConfigTable {
	const char *section;		/* "outbound"; "queue" for [queue NAME] */
	gboolean named;			/* one struct per [section NAME] */
	gsize size;			/* of the struct; 0: the fields are PdConfig's own */
	const PdSetting *settings;	/* ends with a row whose key is NULL */
	/* After every table's keys are parsed, in table order: derive values
	 * and check what spans keys or layers; report with pd_config_error().
	 * named: once per section, name is its NAME.  May be NULL. */
	gboolean (*finish)(gpointer values, const char *name, PdConfig *config,
			   PdConfigLoad *load);
	/* After every finish: pd_config_warning()s and pd_config_need_template()s. */
	void (*review)(gconstpointer values, const PdConfig *config, PdConfigLoad *load);
	/* Free what finish made (the loader frees STRING, ADDRESS and LIST fields). */
	void (*clear)(gpointer values);
};

/* For finish and review hooks.  section/key say where in the file: the
 * line of key, else of the section, else the file alone.  An error refuses
 * the configuration; a warning is logged at start and reload and printed
 * by check-config. */
void pd_config_error(PdConfigLoad *load, const char *section, const char *key,
		     const char *format, ...) G_GNUC_PRINTF(4, 5);
void pd_config_warning(PdConfigLoad *load, const char *section, const char *key,
		       const char *format, ...) G_GNUC_PRINTF(4, 5);
/* Whether the file sets key in section (not its default). */
gboolean pd_config_load_is_set(PdConfigLoad *load, const char *section, const char *key);
/* A reply template a configured feature needs (the sender and check-config
 * compare them with the templates folder): feature says which and why. */
void pd_config_need_template(PdConfigLoad *load, const char *name, const char *feature);

/* "30d", "12h", "90m", "45s", "2w", "3600" -> seconds (> 0). */
gboolean pd_setting_parse_duration(const char *text, gint64 *seconds_r);

/* Edit distance of two keys (insertions, deletions, substitutions and
 * swaps of neighbours), for "did you mean". */
guint pd_setting_distance(const char *a, const char *b);

#endif
