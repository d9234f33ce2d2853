/* pd-daemon: the state postdeskd's files share (private to daemon/).
 *
 * The main thread runs a GMainLoop: it accepts connections, handles
 * signals (SIGTERM/SIGINT stop, SIGHUP reload) and reaps finished
 * sessions.  Each LMTP session is one thread doing blocking socket I/O
 * bounded by poll() timeouts; sessions share the pipeline and its
 * PostgreSQL connection pool.
 */
#ifndef PD_DAEMON_H
#define PD_DAEMON_H

#include <glib.h>
#include "core/pd-budget.h"
#include "core/pd-config.h"
#include "core/pd-listen.h"
#include "http/pd-http.h"
#include "pipeline/pd-pipeline.h"
#include "store/pd-store.h"

/* How long a session waits at most for memory ([lmtp] max_memory) before it
 * answers 452 4.3.1 (and never longer than idle_timeout): well inside
 * Postfix's lmtp_data_init_timeout (120 s). */
#define PD_MEMORY_WAIT_SECONDS 60

/* How long the sender may take to finish the mail it is sending after
 * SIGTERM (the sessions have [daemon] drain_timeout). */
#define PD_SHUTDOWN_GRACE_SECONDS 10

typedef struct _PdDaemon PdDaemon;

typedef struct {
	PdDaemon *daemon;
	PdListenAddress address;
	char *name;		/* the listen entry, for the log */
	int fd;
	guint source_id;
} PdListener;

typedef struct {
	PdDaemon *daemon;
	guint id;
	int fd;
	char *peer;		/* "127.0.0.1", "unix:uid=108" */
	gboolean xforward_allowed;	/* and the Received fallback (pd-envelope.h) */
	gboolean is_tcp;	/* not a unix socket: TCP_QUICKACK applies */
	PdConfig *config;	/* the configuration when the session started */
	GThread *thread;
	guint64 charged;	/* taken from the daemon's memory budget */
} PdSession;

struct _PdDaemon {
	char *config_path;
	GMutex lock;			/* config */
	PdConfig *config;
	PdStorePool *pool;
	PdPipeline *pipeline;
	/* What the messages being received and delivered may take together
	 * ([lmtp] max_memory): each session takes its share before DATA
	 * content is read (PD_CONFIG_MEMORY_PER_BYTE per byte). */
	PdBudget memory;
	GMainLoop *loop;
	GPtrArray *listeners;		/* PdListener * */
	PdHttpServer *http;		/* [http] listen, NULL: off */
	GHashTable *sessions;		/* PdSession * set, main thread only */
	/* Sessions whose socket is still open (atomic): a session thread
	 * counts itself out before it closes the socket, so a client that
	 * saw the close is never refused for max_sessions by a session the
	 * main loop has not reaped yet. */
	gint open_sessions;
	/* Open sessions per client (peer string -> count), counted out the
	 * same way, for max_sessions_per_client. */
	GMutex clients_lock;
	GHashTable *client_sessions;
	guint next_session_id;
	int shutdown_pipe[2];		/* readable once shutting down */
	gint shutting_down;		/* atomic */
	gint64 shutdown_deadline;	/* monotonic, sessions give up then */
	gboolean forced_exit;
	/* STATUS= for the service manager (pd-notify.h): the listeners, and
	 * the open sessions when they were last told */
	char *status_listening;
	gint status_sessions;
};

/* pd-worker.c: how the main thread stops a worker thread (the sender,
 * the scheduler) that sleeps between rounds of work. */
typedef struct {
	GMutex lock;
	GCond cond;
	gboolean stop;			/* asked to stop */
	gboolean finished;		/* the thread said it has returned */
} PdWorkerStop;

void pd_worker_stop_init(PdWorkerStop *st);
void pd_worker_stop_clear(PdWorkerStop *st);
/* Worker: wait up to usec, or until asked to stop; TRUE if asked to stop. */
gboolean pd_worker_wait(PdWorkerStop *st, gint64 usec);
/* Worker: TRUE once asked to stop. */
gboolean pd_worker_stopping(PdWorkerStop *st);
/* Worker: say the thread is about to return. */
void pd_worker_finished(PdWorkerStop *st);
/* Main thread: ask to stop and, with a deadline > 0 (monotonic), wait
 * until then for pd_worker_finished(); TRUE if it was called. */
gboolean pd_worker_stop(PdWorkerStop *st, gint64 deadline);

/* The current configuration, referenced. */
PdConfig *pd_daemon_config(PdDaemon *daemon);

/* pd-listener.c */
gboolean pd_listeners_open(PdDaemon *daemon, GError **error);
void pd_listeners_close(PdDaemon *daemon);

/* pd-http.c: bind the [http] listener (before the privilege drop), serve
 * (after it), stop (before the pipeline goes).  Off without [http] listen. */
gboolean pd_http_open(PdDaemon *daemon, GError **error);
gboolean pd_http_start(PdDaemon *daemon, GError **error);
void pd_http_stop(PdDaemon *daemon);

/* pd-session.c: start a session thread for an accepted connection (fd is
 * taken); the thread reports back to the main loop when it ends.
 * xforward_allowed: the listener trusts this client (pd-listener.c). */
void pd_session_start(PdDaemon *daemon, int fd, const char *peer, gboolean is_unix,
		      gboolean xforward_allowed);
/* Main thread: join and free a session whose thread has ended. */
void pd_session_reap(PdSession *session);
/* Sessions open from this client (the peer string of PdSession). */
guint pd_session_client_count(PdDaemon *daemon, const char *peer);

/* postdeskd.c: called in the main thread when a session has ended. */
void pd_daemon_session_ended(PdDaemon *daemon, PdSession *session);

#endif
