/* postdeskd: the postdesk daemon (LMTP in, tickets out).
 *
 *   postdeskd [-c CONFIG] [-f] [--debug]
 *
 * Loads and checks the configuration (exit 78 if it is bad), checks the
 * database schema (exit 78 on one this build does not know; an unreachable
 * PostgreSQL is logged and deliveries answer 451 until it is back), listens
 * on every [lmtp] listen entry, drops to [daemon] user when started as root
 * (refuses to run as root without it), logs "ready" and tells systemd
 * READY=1 (pd-notify.c).  A secret readable by every local user is refused
 * (exit 78; on reload the old configuration stays).  SIGTERM/SIGINT
 * (STOPPING=1): stop accepting, let the sessions finish the transaction in
 * progress within [daemon] drain_timeout (a new command hears 421 4.3.2),
 * free everything, exit 0.  SIGHUP: reload the configuration
 * (RELOADING=1, then READY=1); a bad one is logged and the old one kept.
 * -f logs to stderr, otherwise to syslog; it never forks (systemd runs it
 * as Type=notify).
 */
#include "pd-daemon.h"
#include "pd-notify.h"
#include "pd-sender.h"
#include "pd-scheduler.h"
#include "pd-fetcher.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "core/pd-secrets.h"
#include "settings/pd-settings.h"

#include <glib-unix.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONFIG "/etc/postdesk/postdesk.conf"

PdConfig *
pd_daemon_config(PdDaemon *daemon)
{
	PdConfig *config;

	g_mutex_lock(&daemon->lock);
	config = pd_config_ref(daemon->config);
	g_mutex_unlock(&daemon->lock);
	return config;
}

/* The file, every layer's settings validated, and the resources [auth]
 * needs; the mail-path warnings logged (at start and on every reload). */
static PdConfig *
daemon_load_config(const char *path, GError **error)
{
	g_autoptr(PdConfig) config = pd_config_load(path, pd_settings_tables, error);

	if (config == NULL || !pd_pipeline_check_config(config, error))
		return NULL;
	for (guint i = 0; i < config->warnings->len; i++)
		pd_log_warning("%s", (char *)config->warnings->pdata[i]);
	/* Refused like check-config does: at start (exit 78), and on reload
	 * (the running configuration stays, so mail keeps flowing). */
	if (!pd_secrets_check(config, error)) {
		g_prefix_error(error, "SECRETS EXPOSED: ");
		return NULL;
	}
	return g_steal_pointer(&config);
}

/* A refused file's errors in one log line. */
static char *
daemon_error_line(const GError *error)
{
	g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);

	return g_strjoinv("; ", lines);
}

/* Started as root, postdeskd binds its listeners and then becomes
 * [daemon] user (and group, or the user's primary group, with the user's
 * supplementary groups) before it reads any mail; it never handles mail as
 * root.  Without [daemon] user it refuses to start as root, unless the
 * environment says POSTDESK_ALLOW_ROOT=1: an override for the test harness
 * and the quickstart demo (tests/lib/pdtest.py, contrib/quickstart), never
 * for a site (postdeskd(8)). */
static gboolean
daemon_check_root(const PdConfig *config, GError **error)
{
	if (geteuid() != 0 || config->daemon_user != NULL)
		return TRUE;
	if (g_strcmp0(g_getenv("POSTDESK_ALLOW_ROOT"), "1") == 0) {
		pd_log_warning("running as root and [daemon] user is not set: "
			       "POSTDESK_ALLOW_ROOT=1 (for tests only) lets it handle mail as root");
		return TRUE;
	}
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "%s: started as root and [daemon] user is not set: postdeskd does not "
		    "handle mail as root (set [daemon] user, e.g. postdesk)",
		    config->path != NULL ? config->path : "configuration");
	return FALSE;
}

static gboolean
daemon_drop_privileges(const PdConfig *config, GError **error)
{
	struct passwd *pw;
	gid_t gid;

	if (geteuid() != 0 || config->daemon_user == NULL)
		return TRUE;
	pw = getpwnam(config->daemon_user);
	if (pw == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "[daemon] user: no user \"%s\"",
			    config->daemon_user);
		return FALSE;
	}
	if (pw->pw_uid == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "[daemon] user: \"%s\" is root; postdeskd does not handle mail "
			    "as root", config->daemon_user);
		return FALSE;
	}
	gid = pw->pw_gid;
	if (config->daemon_group != NULL) {
		struct group *gr = getgrnam(config->daemon_group);

		if (gr == NULL) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[daemon] group: no group \"%s\"", config->daemon_group);
			return FALSE;
		}
		gid = gr->gr_gid;
	}
	if (initgroups(pw->pw_name, gid) != 0 || setgid(gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL, "dropping to user %s: %s",
			    pw->pw_name, g_strerror(errno));
		return FALSE;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_INTERNAL,
			    "still able to become root after dropping to %s", pw->pw_name);
		return FALSE;
	}
	pd_log_info("running as user %s (uid %u, gid %u)", pw->pw_name,
		    (unsigned)pw->pw_uid, (unsigned)gid);
	return TRUE;
}

static gboolean
daemon_lists_equal(GPtrArray *a, GPtrArray *b)
{
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++)
		if (strcmp(a->pdata[i], b->pdata[i]) != 0)
			return FALSE;
	return TRUE;
}

static gboolean
daemon_reload(gpointer user_data)
{
	PdDaemon *daemon = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = daemon_load_config(daemon->config_path, &error);
	PdConfig *old;

	pd_notify_reloading();
	if (config == NULL) {
		g_autofree char *line = daemon_error_line(error);

		pd_log_error("reload: %s; keeping the previous configuration", line);
		pd_notify_ready("reload refused, the previous configuration kept (see the log)");
		return G_SOURCE_CONTINUE;
	}
	old = daemon->config;
	if (!daemon_lists_equal(old->lmtp_listen, config->lmtp_listen) ||
	    strcmp(old->socket_mode_str, config->socket_mode_str) != 0 ||
	    g_strcmp0(old->socket_owner, config->socket_owner) != 0 ||
	    g_strcmp0(old->socket_group, config->socket_group) != 0)
		pd_log_warning("reload: [lmtp] listen, socket_mode, socket_owner and socket_group "
			       "change after a restart");
	if (strcmp(old->conninfo, config->conninfo) != 0 ||
	    old->db_pool_size != config->db_pool_size || old->db_timeout != config->db_timeout)
		pd_log_warning("reload: [database] changes take effect after a restart");
	if (g_strcmp0(pd_http_settings(old)->listen, pd_http_settings(config)->listen) != 0 ||
	    pd_http_settings(old)->threads != pd_http_settings(config)->threads ||
	    pd_http_settings(old)->max_connections != pd_http_settings(config)->max_connections ||
	    pd_http_settings(old)->timeout != pd_http_settings(config)->timeout)
		pd_log_warning("reload: [http] listen, threads, max_connections and timeout "
			       "change after a restart (operator_token_file now)");
	g_mutex_lock(&daemon->lock);
	daemon->config = pd_config_ref(config);
	g_mutex_unlock(&daemon->lock);
	pd_pipeline_set_config(daemon->pipeline, config);
	pd_budget_set_limit(&daemon->memory, config->max_memory);
	pd_config_unref(old);
	pd_log_info("reloaded configuration from %s (%u queues)", daemon->config_path,
		    config->queues->len);
	pd_notify_ready("reloaded");
	return G_SOURCE_CONTINUE;
}

/* STATUS= says how many sessions are open (`systemctl status`), once a
 * second at most and only when the number changed. */
static gboolean
daemon_status_tick(gpointer user_data)
{
	PdDaemon *daemon = user_data;
	gint open = g_atomic_int_get(&daemon->open_sessions);

	if (open != daemon->status_sessions && !g_atomic_int_get(&daemon->shutting_down)) {
		daemon->status_sessions = open;
		pd_notifyf("STATUS=%s; %d session%s open", daemon->status_listening, open,
			   open == 1 ? "" : "s");
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
daemon_force_exit(gpointer user_data)
{
	PdDaemon *daemon = user_data;

	pd_log_warning("%u sessions still busy %" G_GINT64_FORMAT " s after the stop signal; "
		       "exiting anyway (their mail was not acknowledged and will be retried)",
		       g_hash_table_size(daemon->sessions), daemon->config->drain_timeout + 2);
	daemon->forced_exit = TRUE;
	g_main_loop_quit(daemon->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
daemon_stop(gpointer user_data)
{
	PdDaemon *daemon = user_data;
	static const char byte = 'x';
	gint64 drain;

	if (g_atomic_int_get(&daemon->shutting_down))
		return G_SOURCE_CONTINUE;
	drain = daemon->config->drain_timeout;
	pd_log_info("stopping: %u sessions open, %" G_GINT64_FORMAT " s to finish",
		    g_hash_table_size(daemon->sessions), drain);
	pd_notifyf("STOPPING=1\nSTATUS=stopping: %u sessions finishing their transaction",
		   g_hash_table_size(daemon->sessions));
	daemon->shutdown_deadline = g_get_monotonic_time() + drain * G_USEC_PER_SEC;
	g_atomic_int_set(&daemon->shutting_down, TRUE);
	pd_budget_close(&daemon->memory);	/* a session waiting for memory: 452 now */
	if (write(daemon->shutdown_pipe[1], &byte, 1) != 1)
		pd_log_warning("shutdown pipe: %s", g_strerror(errno));
	pd_listeners_close(daemon);
	if (g_hash_table_size(daemon->sessions) == 0)
		g_main_loop_quit(daemon->loop);
	else
		g_timeout_add_seconds((guint)drain + 2, daemon_force_exit, daemon);
	return G_SOURCE_CONTINUE;
}

void
pd_daemon_session_ended(PdDaemon *daemon, PdSession *session)
{
	g_hash_table_remove(daemon->sessions, session);
	pd_session_reap(session);
	if (g_atomic_int_get(&daemon->shutting_down) &&
	    g_hash_table_size(daemon->sessions) == 0)
		g_main_loop_quit(daemon->loop);
}

static void
daemon_usage(FILE *out)
{
	fprintf(out, "usage: postdeskd [-c CONFIG] [-f] [--debug]\n"
		"  -c CONFIG  configuration file (default $POSTDESK_CONFIG or %s)\n"
		"  -f         stay in the foreground and log to stderr (default: syslog)\n"
		"  --debug    log debugging detail\n", DEFAULT_CONFIG);
}

static void
daemon_free(PdDaemon *daemon)
{
	g_clear_pointer(&daemon->listeners, g_ptr_array_unref);
	pd_http_stop(daemon);
	g_clear_pointer(&daemon->sessions, g_hash_table_unref);
	g_clear_pointer(&daemon->client_sessions, g_hash_table_unref);
	g_clear_pointer(&daemon->pipeline, pd_pipeline_free);
	g_clear_pointer(&daemon->pool, pd_store_pool_free);
	g_clear_pointer(&daemon->config, pd_config_unref);
	g_clear_pointer(&daemon->loop, g_main_loop_unref);
	for (guint i = 0; i < 2; i++)
		if (daemon->shutdown_pipe[i] >= 0)
			close(daemon->shutdown_pipe[i]);
	g_mutex_clear(&daemon->lock);
	g_mutex_clear(&daemon->clients_lock);
	pd_budget_clear(&daemon->memory);
	g_free(daemon->config_path);
	g_free(daemon->status_listening);
}

static int
daemon_run(PdDaemon *daemon)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) names = g_string_new("");
	g_autofree char *status = NULL;
	guint sources[3], status_tick = 0;
	gboolean database_ok = TRUE;

	daemon->config = daemon_load_config(daemon->config_path, &error);
	if (daemon->config == NULL) {
		g_autofree char *line = daemon_error_line(error);

		pd_log_error("%s", line);
		return PD_EX_CONFIG;
	}
	if (!daemon_check_root(daemon->config, &error)) {
		pd_log_error("refusing to start: %s", error->message);
		return PD_EX_CONFIG;
	}
	pd_notify_open();	/* while still root: see pd-notify.c */
	daemon->pool = pd_store_pool_new(daemon->config->conninfo, daemon->config->db_pool_size);
	pd_store_pool_set_timeout(daemon->pool, daemon->config->db_timeout);
	daemon->pipeline = pd_pipeline_new(daemon->config, daemon->pool);
	pd_budget_init(&daemon->memory, daemon->config->max_memory);
	if (!pd_pipeline_check_schema(daemon->pipeline, &error)) {
		if (g_error_matches(error, PD_ERROR, PD_ERROR_TEMPFAIL)) {
			pd_log_warning("database unreachable: %s; deliveries are deferred "
				       "(451) until it is back", error->message);
			database_ok = FALSE;
		} else {
			pd_log_error("refusing to start: %s", error->message);
			return PD_EX_CONFIG;
		}
		g_clear_error(&error);
	}
	daemon->sessions = g_hash_table_new(g_direct_hash, g_direct_equal);
	daemon->client_sessions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	daemon->loop = g_main_loop_new(NULL, FALSE);
	if (!g_unix_open_pipe(daemon->shutdown_pipe, FD_CLOEXEC, &error)) {
		pd_log_error("pipe: %s", error->message);
		return PD_EX_OSERR;
	}
	if (!pd_listeners_open(daemon, &error) || !pd_http_open(daemon, &error)) {
		pd_log_error("%s", error->message);
		return g_error_matches(error, PD_ERROR, PD_ERROR_USAGE) ? PD_EX_CONFIG : PD_EX_OSERR;
	}
	if (!daemon_drop_privileges(daemon->config, &error)) {
		pd_log_error("refusing to start: %s", error->message);
		return g_error_matches(error, PD_ERROR, PD_ERROR_USAGE) ? PD_EX_CONFIG : PD_EX_OSERR;
	}
	if (!pd_http_start(daemon, &error)) {
		pd_log_error("%s", error->message);
		return PD_EX_OSERR;
	}
	sources[0] = g_unix_signal_add(SIGTERM, daemon_stop, daemon);
	sources[1] = g_unix_signal_add(SIGINT, daemon_stop, daemon);
	sources[2] = g_unix_signal_add(SIGHUP, daemon_reload, daemon);
	for (guint i = 0; i < daemon->config->lmtp_listen->len; i++)
		g_string_append_printf(names, "%s%s", i > 0 ? ", " : "",
				       (char *)daemon->config->lmtp_listen->pdata[i]);
	pd_log_info("ready: postdeskd %s listening on %s", PD_VERSION, names->str);
	status = g_strdup_printf("listening on %s%s", names->str, database_ok ? "" :
				 "; database unreachable, deliveries deferred (451) until it is back");
	pd_notify_ready(status);
	daemon->status_listening = g_strdup_printf("listening on %s", names->str);
	if (pd_notify_enabled())
		status_tick = g_timeout_add_seconds(1, daemon_status_tick, daemon);
	pd_sender_start(daemon);
	pd_scheduler_start(daemon);
	pd_fetchers_start(daemon);

	g_main_loop_run(daemon->loop);

	for (guint i = 0; i < G_N_ELEMENTS(sources); i++)
		g_source_remove(sources[i]);
	if (status_tick != 0)
		g_source_remove(status_tick);
	/* The stop is under way: a repeated SIGTERM or SIGINT (an impatient
	 * supervisor) must not kill the teardown half-way now that GLib has
	 * put the default actions back; the forced exits below bound how long
	 * the teardown can take. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	if (daemon->forced_exit)
		_exit(PD_EX_OK);	/* threads still run: freeing under them would crash */
	pd_http_stop(daemon);
	if (!pd_fetchers_stop())
		_exit(PD_EX_OK);	/* a fetcher still waits for its server */
	pd_scheduler_stop();
	if (!pd_sender_stop())
		_exit(PD_EX_OK);	/* the sender still waits for its relay */
	pd_log_info("stopped");
	pd_notify_close();
	return PD_EX_OK;
}

int
main(int argc, char **argv)
{
	PdDaemon daemon = { .shutdown_pipe = { -1, -1 } };
	const char *config_path = g_getenv("POSTDESK_CONFIG");
	gboolean foreground = FALSE, debug = FALSE;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(argv[i], "-f") == 0) {
			foreground = TRUE;
		} else if (strcmp(argv[i], "--debug") == 0 || strcmp(argv[i], "-d") == 0) {
			debug = TRUE;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			daemon_usage(stdout);
			return PD_EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("postdeskd %s\n", PD_VERSION);
			return PD_EX_OK;
		} else {
			fprintf(stderr, "postdeskd: unknown argument \"%s\"\n", argv[i]);
			daemon_usage(stderr);
			return PD_EX_USAGE;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* A message's big buffers (its bytes, decoded bodies, libpq's copy)
	 * go back to the system when it is done: glibc's threshold for
	 * mapping a block of its own would otherwise rise to 32 MB after the
	 * first big free, and the session threads' arenas would keep what
	 * [lmtp] max_memory has already given back. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	pd_log_init("postdeskd", foreground ? PD_LOG_STDERR : PD_LOG_SYSLOG, debug);
	g_mutex_init(&daemon.lock);
	g_mutex_init(&daemon.clients_lock);
	daemon.config_path = g_strdup(config_path != NULL ? config_path : DEFAULT_CONFIG);
	rc = daemon_run(&daemon);
	daemon_free(&daemon);
	return rc;
}
