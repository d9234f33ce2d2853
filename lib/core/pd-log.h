/* pd-log: one logging path for daemon, CLI and tests.
 *
 * Lines go to syslog (mail facility by default) or to stderr when running in
 * the foreground, Postfix style: "postdeskd[pid]: text".  GLib's own
 * g_warning()/g_critical() are routed through the same writer.
 */
#ifndef PD_LOG_H
#define PD_LOG_H

#include <glib.h>

typedef enum {
	PD_LOG_STDERR,
	PD_LOG_SYSLOG,
} PdLogTarget;

void pd_log_init(const char *ident, PdLogTarget target, gboolean debug);
void pd_log_set_debug(gboolean debug);

void pd_log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void pd_log_warning(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void pd_log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void pd_log_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
