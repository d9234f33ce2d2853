/* pd-session: one LMTP session, one thread, blocking I/O under poll().
 *
 * Feeds the socket's bytes to the sans-I/O engine (lib/lmtp) and writes
 * its replies back; answers RCPT from the queue configuration and DATA
 * through the pipeline.  Every wait is bounded: a deadline per command
 * line and per message that reads do not restart (idle_timeout, earning
 * time at min_data_rate while content comes; stress_timeout for untrusted
 * clients while 3/4 of max_sessions are open: pd-lmtp-deadline.h), the
 * shutdown deadline after SIGTERM.  Owns the client socket and the engine;
 * never SQL, never MIME.
 */
#include "pd-daemon.h"
#include "core/pd-log.h"
#include "lmtp/pd-lmtp.h"
#include "lmtp/pd-lmtp-deadline.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SESSION_READ_SIZE 65536

typedef enum {
	SESSION_READABLE,
	SESSION_TIMEOUT,
	SESSION_SHUTDOWN,
	SESSION_ERROR,
} SessionEvent;

static gboolean
session_rcpt_to(PdLmtpSession *lmtp, const PdEnvelope *envelope, const char *recipient,
		PdLmtpReply *reply_r, gpointer user_data)
{
	PdSession *session = user_data;
	g_autoptr(PdConfig) config = pd_pipeline_get_config(session->daemon->pipeline);

	if (pd_config_queue_for(config, recipient, NULL) != NULL ||
	    pd_pipeline_is_bounce_address(config, recipient))
		return TRUE;
	pd_lmtp_reply_set(reply_r, 550, "5.1.1 Recipient address rejected: unknown queue");
	return FALSE;
}

static void
session_data(PdLmtpSession *lmtp, const PdEnvelope *envelope, GBytes *message,
	     PdLmtpReply *replies_r, gpointer user_data)
{
	PdSession *session = user_data;
	guint n = envelope->recipients->len;
	g_autofree PdRecipientOutcome *outcomes = g_new0(PdRecipientOutcome, n);

	pd_pipeline_deliver(session->daemon->pipeline, envelope, message, outcomes);
	for (guint i = 0; i < n; i++) {
		g_autofree char *line = pd_recipient_outcome_reply(&outcomes[i]);

		pd_lmtp_reply_set_line(&replies_r[i], line);
		pd_recipient_outcome_clear(&outcomes[i]);
	}
}

/* The message will hold size bytes: its share of [lmtp] max_memory.  The
 * size announced at DATA is waited for (bounded) while other messages hold
 * the rest; growth in the content is not (the session would stop reading
 * and its deadlines with it): refused at once, the client hears 452 4.3.1
 * at the end. */
static gboolean
session_reserve(PdLmtpSession *lmtp, gsize size, gboolean announced, gpointer user_data)
{
	PdSession *session = user_data;
	PdBudget *memory = &session->daemon->memory;
	guint64 want = (guint64)size * PD_CONFIG_MEMORY_PER_BYTE;
	guint wait = announced ? MIN(session->config->idle_timeout, PD_MEMORY_WAIT_SECONDS) : 0;

	if (want <= session->charged)
		return TRUE;
	if (!pd_budget_take(memory, want - session->charged, (gint64)wait * G_USEC_PER_SEC)) {
		pd_log_warning("session %u (%s): no memory for a message of %" G_GSIZE_FORMAT
			       " bytes within %u s ([lmtp] max_memory %" G_GUINT64_FORMAT
			       ", %" G_GUINT64_FORMAT " taken): 452 4.3.1", session->id,
			       session->peer, size, wait, (guint64)session->config->max_memory,
			       pd_budget_used(memory));
		return FALSE;
	}
	session->charged = want;
	return TRUE;
}

static void
session_release(PdLmtpSession *lmtp, gpointer user_data)
{
	PdSession *session = user_data;

	pd_budget_give(&session->daemon->memory, session->charged);
	session->charged = 0;
}

static const PdLmtpCallbacks session_callbacks = {
	.mail_from = NULL,
	.rcpt_to = session_rcpt_to,
	.data = session_data,
	.reserve = session_reserve,
	.release = session_release,
};

static gboolean
session_in_transaction(PdLmtpSession *lmtp)
{
	return pd_lmtp_session_envelope(lmtp)->mail_from != NULL;
}

/* Milliseconds until the monotonic time deadline (0 if past). */
static int
session_ms_until(gint64 deadline)
{
	gint64 left = deadline - g_get_monotonic_time();

	return left <= 0 ? 0 : (int)MIN(left / 1000 + 1, G_MAXINT);
}

/* Under stress most sessions are busy: untrusted clients get the short
 * deadlines, so that hogs make room (Postfix's stress mode). */
static gboolean
session_stressed(PdSession *session)
{
	guint open = (guint)g_atomic_int_get(&session->daemon->open_sessions);

	return !session->xforward_allowed &&
	       (guint64)open * 4 >= (guint64)session->config->max_sessions * 3;
}

/* Wait for the client until the record's deadline; shutdown interrupts
 * only between transactions. */
static SessionEvent
session_wait(PdSession *session, PdLmtpSession *lmtp, const PdLmtpDeadline *deadline,
	     gboolean *stressed_r)
{
	PdDaemon *daemon = session->daemon;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = session->fd, .events = POLLIN },
			{ .fd = daemon->shutdown_pipe[0], .events = POLLIN },
		};
		gboolean stopping = g_atomic_int_get(&daemon->shutting_down);
		gboolean stressed = session_stressed(session);
		gint64 now = g_get_monotonic_time();
		gint64 due = pd_lmtp_deadline_due(deadline, stressed);
		/* stress comes and goes: look again every second */
		gint64 wake = session->xforward_allowed ? due : MIN(due, now + G_USEC_PER_SEC);
		int rc;

		if (stopping && !session_in_transaction(lmtp))
			return SESSION_SHUTDOWN;
		if (now >= due) {
			*stressed_r = stressed;
			return SESSION_TIMEOUT;
		}
		if (stopping)
			wake = MIN(wake, daemon->shutdown_deadline);
		rc = poll(fds, stopping ? 1 : 2, session_ms_until(wake));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return SESSION_ERROR;
		if (fds[0].revents != 0)
			return SESSION_READABLE;
		if (stopping && g_get_monotonic_time() >= daemon->shutdown_deadline)
			return SESSION_SHUTDOWN;
		/* a timeout, the shutdown pipe: loop to decide */
	}
}

/* Write out and empty it; FALSE if the client is gone or stalls. */
static gboolean
session_flush(PdSession *session, GString *out, guint timeout)
{
	gsize done = 0;

	while (done < out->len) {
		struct pollfd pfd = { .fd = session->fd, .events = POLLOUT };
		ssize_t n;
		int rc = poll(&pfd, 1, (int)MIN((guint64)timeout * 1000, G_MAXINT));

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			pd_log_info("session %u (%s): write timeout", session->id, session->peer);
			return FALSE;
		}
		n = send(session->fd, out->str + done, out->len - done, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			pd_log_debug("session %u (%s): write: %s", session->id, session->peer,
				     g_strerror(errno));
			return FALSE;
		}
		done += n;
	}
	g_string_truncate(out, 0);
	return TRUE;
}

/* Inside DATA, acknowledge at once what was read.  A client that sends
 * the final ".\r\n" in a small write of its own (not Postfix, whose
 * buffered stream sends it with the end of the content) has Nagle hold it
 * until the content before it is acknowledged; the kernel would delay that
 * ACK (about 40 ms) to piggyback it on a reply that cannot come before the
 * dot.  Linux clears quick-ACK mode by itself, so it is re-armed after
 * every read while the content is coming. */
static void
session_quickack(PdSession *session, PdLmtpSession *lmtp)
{
	int one = 1;

	if (session->is_tcp && pd_lmtp_session_in_data(lmtp) &&
	    setsockopt(session->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) != 0)
		pd_log_debug("session %u: TCP_QUICKACK: %s", session->id, g_strerror(errno));
}

static void
session_loop(PdSession *session, PdLmtpSession *lmtp)
{
	PdConfig *config = session->config;
	const PdLmtpDeadlineSettings limits = {
		.timeout = config->idle_timeout,
		.stress_timeout = config->stress_timeout,
		.min_data_rate = config->min_data_rate,
	};
	PdLmtpDeadline deadline;
	guint64 records = 0;
	g_autoptr(GString) out = g_string_sized_new(1024);
	g_autofree char *buf = g_malloc(SESSION_READ_SIZE);

	pd_lmtp_session_greeting(lmtp, out);
	if (!session_flush(session, out, config->idle_timeout))
		return;
	pd_lmtp_deadline_start(&deadline, &limits, g_get_monotonic_time());
	for (;;) {
		gboolean stressed = FALSE, content;
		ssize_t n;

		switch (session_wait(session, lmtp, &deadline, &stressed)) {
		case SESSION_READABLE:
			break;
		case SESSION_TIMEOUT:
			pd_log_info("session %u (%s): %s not complete within %u s%s (%u sessions "
				    "open)", session->id, session->peer,
				    pd_lmtp_session_in_data(lmtp) ? "message" : "command line",
				    stressed ? config->stress_timeout : config->idle_timeout,
				    stressed ? ", under stress" : "",
				    (guint)g_atomic_int_get(&session->daemon->open_sessions));
			pd_lmtp_session_abort(lmtp, 421, NULL, out);
			session_flush(session, out, 5);
			return;
		case SESSION_SHUTDOWN: {
			g_autofree char *text = g_strdup_printf("4.3.2 %s Service shutting down",
								config->hostname);

			if (session_in_transaction(lmtp))
				pd_log_warning("session %u (%s): %s cut off by the stop after "
					       "drain_timeout (not acknowledged: the client "
					       "retries it)", session->id, session->peer,
					       pd_lmtp_session_in_data(lmtp) ? "message" :
					       "transaction");

			pd_lmtp_session_abort(lmtp, 421, text, out);
			session_flush(session, out, 5);
			return;
		}
		case SESSION_ERROR:
			return;
		}
		n = recv(session->fd, buf, SESSION_READ_SIZE, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;		/* the client went away: its transaction is void */
		content = pd_lmtp_session_in_data(lmtp);
		if (pd_lmtp_session_input(lmtp, buf, n, out) == PD_LMTP_CLOSE) {
			session_flush(session, out, config->idle_timeout);
			return;
		}
		if (!session_flush(session, out, config->idle_timeout))
			return;
		/* A record complete: the next one has its own deadline; content
		 * going on earns time. */
		if (pd_lmtp_session_records(lmtp) != records) {
			records = pd_lmtp_session_records(lmtp);
			pd_lmtp_deadline_start(&deadline, &limits, g_get_monotonic_time());
		} else if (content) {
			pd_lmtp_deadline_content(&deadline, &limits, g_get_monotonic_time(), n);
		}
		session_quickack(session, lmtp);
	}
}

guint
pd_session_client_count(PdDaemon *daemon, const char *peer)
{
	guint n;

	g_mutex_lock(&daemon->clients_lock);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(daemon->client_sessions, peer));
	g_mutex_unlock(&daemon->clients_lock);
	return n;
}

static void
session_client_count_in(PdDaemon *daemon, const char *peer)
{
	guint n;

	g_mutex_lock(&daemon->clients_lock);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(daemon->client_sessions, peer));
	g_hash_table_insert(daemon->client_sessions, g_strdup(peer), GUINT_TO_POINTER(n + 1));
	g_mutex_unlock(&daemon->clients_lock);
}

/* Before the socket closes, as open_sessions. */
static void
session_client_count_out(PdDaemon *daemon, const char *peer)
{
	guint n;

	g_mutex_lock(&daemon->clients_lock);
	n = GPOINTER_TO_UINT(g_hash_table_lookup(daemon->client_sessions, peer));
	if (n <= 1)
		g_hash_table_remove(daemon->client_sessions, peer);
	else
		g_hash_table_insert(daemon->client_sessions, g_strdup(peer),
				    GUINT_TO_POINTER(n - 1));
	g_mutex_unlock(&daemon->clients_lock);
}

static gboolean
session_ended(gpointer user_data)
{
	PdSession *session = user_data;

	pd_daemon_session_ended(session->daemon, session);
	return G_SOURCE_REMOVE;
}

static gpointer
session_run(gpointer user_data)
{
	PdSession *session = user_data;
	PdConfig *config = session->config;
	PdLmtpSettings settings = {
		.hostname = config->hostname,
		.max_line_length = config->max_line_length,
		.max_message_size = config->max_message_size,
		.max_recipients = config->max_recipients,
		.xforward_allowed = session->xforward_allowed,
	};
	PdLmtpSession *lmtp = pd_lmtp_session_new(&settings, &session_callbacks, session);

	pd_log_debug("session %u: connect from %s", session->id, session->peer);
	session_loop(session, lmtp);
	pd_lmtp_session_free(lmtp);
	session_client_count_out(session->daemon, session->peer);
	g_atomic_int_dec_and_test(&session->daemon->open_sessions);
	shutdown(session->fd, SHUT_RDWR);
	close(session->fd);
	session->fd = -1;
	pd_log_debug("session %u: disconnect from %s", session->id, session->peer);
	g_main_context_invoke(NULL, session_ended, session);
	return NULL;
}

void
pd_session_start(PdDaemon *daemon, int fd, const char *peer, gboolean is_unix,
		 gboolean xforward_allowed)
{
	PdSession *session = g_new0(PdSession, 1);
	g_autoptr(GError) error = NULL;

	session->daemon = daemon;
	session->id = ++daemon->next_session_id;
	session->fd = fd;
	session->peer = g_strdup(peer);
	session->config = pd_daemon_config(daemon);
	session->is_tcp = !is_unix;
	session->xforward_allowed = xforward_allowed;
	g_hash_table_add(daemon->sessions, session);
	g_atomic_int_inc(&daemon->open_sessions);
	session_client_count_in(daemon, peer);
	session->thread = g_thread_try_new("lmtp", session_run, session, &error);
	if (session->thread == NULL) {
		static const char line[] = "421 4.3.0 Cannot start a session\r\n";

		pd_log_error("session thread: %s", error->message);
		if (send(fd, line, sizeof(line) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pd_log_debug("421 not sent: %s", g_strerror(errno));
		close(fd);
		session_client_count_out(daemon, peer);
		g_atomic_int_dec_and_test(&daemon->open_sessions);
		g_hash_table_remove(daemon->sessions, session);
		session->fd = -1;
		pd_session_reap(session);
	}
}

void
pd_session_reap(PdSession *session)
{
	if (session->thread != NULL)
		g_thread_join(session->thread);
	pd_config_unref(session->config);
	g_free(session->peer);
	g_free(session);
}
