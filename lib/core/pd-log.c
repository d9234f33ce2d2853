/* pd-log: syslog or stderr, one line per event, safe from any thread. */
#include "pd-log.h"

#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

static PdLogTarget log_target = PD_LOG_STDERR;
static gboolean log_debug;
static char *log_ident;
static GMutex log_lock;
static gboolean writer_installed;

static void log_emit(int priority, const char *fmt, va_list args) G_GNUC_PRINTF(2, 0);

static void
log_emit(int priority, const char *fmt, va_list args)
{
	g_autofree char *text = NULL;

	if (priority == LOG_DEBUG && !log_debug)
		return;
	text = g_strdup_vprintf(fmt, args);
	/* One event is one line: a peer's CR or LF never starts a forged one. */
	for (char *p = text; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	if (log_target == PD_LOG_SYSLOG) {
		syslog(priority, "%s", text);
		return;
	}
	g_mutex_lock(&log_lock);
	fprintf(stderr, "%s[%ld]: %s%s\n", log_ident != NULL ? log_ident : "postdesk",
		(long)getpid(),
		priority == LOG_WARNING ? "warning: " :
		priority <= LOG_ERR ? "error: " : "",
		text);
	fflush(stderr);
	g_mutex_unlock(&log_lock);
}

#define PD_LOG_FN(name, prio) \
	void name(const char *fmt, ...) \
	{ \
		va_list args; \
		va_start(args, fmt); \
		log_emit(prio, fmt, args); \
		va_end(args); \
	}

PD_LOG_FN(pd_log_info, LOG_INFO)
PD_LOG_FN(pd_log_warning, LOG_WARNING)
PD_LOG_FN(pd_log_error, LOG_ERR)
PD_LOG_FN(pd_log_debug, LOG_DEBUG)

static GLogWriterOutput
log_glib_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
		gpointer user_data)
{
	const char *message = NULL, *domain = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
		else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
	}
	if (message == NULL)
		return G_LOG_WRITER_HANDLED;
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		pd_log_error("%s%s%s", domain ? domain : "", domain ? ": " : "", message);
	else if (level & G_LOG_LEVEL_WARNING)
		pd_log_warning("%s%s%s", domain ? domain : "", domain ? ": " : "", message);
	else if (level & G_LOG_LEVEL_DEBUG)
		pd_log_debug("%s", message);
	else
		pd_log_info("%s", message);
	return G_LOG_WRITER_HANDLED;
}

void
pd_log_init(const char *ident, PdLogTarget target, gboolean debug)
{
	g_free(log_ident);
	log_ident = g_strdup(ident);
	log_target = target;
	log_debug = debug;
	if (target == PD_LOG_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	if (!writer_installed) {	/* GLib allows this once per process */
		g_log_set_writer_func(log_glib_writer, NULL, NULL);
		writer_installed = TRUE;
	}
}

void
pd_log_set_debug(gboolean debug)
{
	log_debug = debug;
}
