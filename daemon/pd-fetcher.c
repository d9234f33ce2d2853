/* pd-fetcher: one IMAP mailbox into the pipeline (see pd-fetcher.h). */
#include "pd-fetcher.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "imap/pd-imap-ack.h"
#include "imap/pd-imap-client.h"
#include "imap/pd-imap-config.h"
#include "imap/pd-imap-message.h"
#include "imap/pd-imap-route.h"
#include "store/pd-store-imap.h"

#include <string.h>
#include <unistd.h>

#define BACKOFF_MAX_SECONDS 300
/* During a long pass the backlog is recorded again every this many mails. */
#define BACKLOG_EVERY 100
/* RFC 2177: re-issue IDLE before 29 minutes (servers may drop it at 30). */
#define IDLE_MAX_SECONDS (25 * 60)

typedef struct {
	PdDaemon *daemon;
	char *name;			/* of [imap NAME] */
	char *holder;			/* "host:pid", the lock's row */
	GThread *thread;
	PdWorkerStop stop;
	PdConfig *config;		/* the configuration client was made with */
	PdStore *store;			/* holds the mailbox's lock when locked */
	gboolean locked;
	gboolean standing_by;		/* said "another daemon holds it" */
	PdImapClient *client;
	PdImapFolder folder;		/* of the last SELECT */
	guint failures;			/* passes in a row that failed */
	guint32 unrecorded_uid;		/* moved out of the folder, last UID not
					 * stored yet (fetcher_record) */
	gboolean hold_after_commit;	/* the test hook */
} PdFetcher;

static GPtrArray *the_fetchers;

/* The pass stops: say why, once per failure streak at warning level. */
static void
fetcher_failed(PdFetcher *f, const char *what, const GError *error)
{
	g_autofree char *text = g_strdup_printf("%s: %s", what, error->message);

	f->failures++;
	if (error->domain == PD_ERROR && error->code == PD_ERROR_USAGE)
		pd_log_error("imap=%s: %s", f->name, text);
	else if (f->failures == 1)
		pd_log_warning("imap=%s: %s; the mail stays on the server, trying again",
			       f->name, text);
	else
		pd_log_info("imap=%s: %s (failure %u in a row)", f->name, text, f->failures);
	if (f->locked && f->store != NULL)
		pd_store_imap_error(f->store, f->name, text, NULL);
}

/* The mailbox's lock on our own connection: TRUE when this fetcher may
 * work (FALSE: the database is away, or another daemon has it). */
static gboolean
fetcher_lock(PdFetcher *f)
{
	g_autoptr(GError) error = NULL;
	gboolean held = FALSE;

	if (f->store != NULL && !pd_store_is_usable(f->store)) {
		/* the lock went with the connection: another daemon may have it */
		g_clear_pointer(&f->store, pd_store_free);
		if (f->locked)
			pd_log_info("imap=%s: database connection lost; the mailbox lock with it",
				    f->name);
		f->locked = FALSE;
		g_clear_pointer(&f->client, pd_imap_client_free);
	}
	if (f->locked)
		return TRUE;
	if (f->store == NULL) {
		f->store = pd_store_connect_timeout(f->config->conninfo, f->config->db_timeout,
						    &error);
		if (f->store == NULL) {
			fetcher_failed(f, "database", error);
			return FALSE;
		}
	}
	if (!pd_store_imap_lock(f->store, f->name, f->holder, &held, &error)) {
		fetcher_failed(f, "database", error);
		return FALSE;
	}
	if (!held) {
		if (!f->standing_by)
			pd_log_info("imap=%s: another daemon holds the mailbox; standing by",
				    f->name);
		f->standing_by = TRUE;
		return FALSE;
	}
	f->locked = TRUE;
	f->standing_by = FALSE;
	pd_log_info("imap=%s: this daemon fetches the mailbox (lock taken as %s)", f->name,
		    f->holder);
	return TRUE;
}

/* A logged-in session with ic->folder selected. */
static gboolean
fetcher_session(PdFetcher *f, const PdImapConfig *ic)
{
	g_autoptr(GError) error = NULL;

	if (f->client != NULL && pd_imap_client_broken(f->client))
		g_clear_pointer(&f->client, pd_imap_client_free);
	if (f->client == NULL) {
		f->client = pd_imap_client_connect(ic, f->daemon->shutdown_pipe[0], &error);
		if (f->client == NULL) {
			fetcher_failed(f, "connect", error);
			return FALSE;
		}
		pd_log_info("imap=%s: logged in to %s:%u as %s%s%s (MOVE %s, UIDPLUS %s, IDLE %s)",
			    f->name, ic->host, ic->port, ic->user,
			    pd_imap_client_tls(f->client) != NULL ? " over " : " without TLS",
			    pd_imap_client_tls(f->client) != NULL ? pd_imap_client_tls(f->client)
								   : "",
			    pd_imap_client_caps(f->client).move ? "yes" : "no",
			    pd_imap_client_caps(f->client).uidplus ? "yes" : "no",
			    pd_imap_client_can_idle(f->client) ? "yes" : "no");
	}
	if (!pd_imap_client_select(f->client, ic->folder, &f->folder, &error)) {
		fetcher_failed(f, "select", error);
		return FALSE;
	}
	return TRUE;
}

typedef enum {
	ONE_DONE,	/* acted on and recorded: on to the next */
	ONE_STOP,	/* the pass ends here (failure logged) */
} OneResult;

static PdImapOutcome
fetcher_outcome(const PdRecipientOutcome *outcome)
{
	if (outcome->error == NULL)
		return PD_IMAP_OUTCOME_DELIVERED;
	if (outcome->error->domain == PD_ERROR && (outcome->error->code == PD_ERROR_PERMFAIL ||
						   outcome->error->code == PD_ERROR_NOTFOUND ||
						   outcome->error->code == PD_ERROR_REJECTED))
		return PD_IMAP_OUTCOME_PERMANENT;
	return PD_IMAP_OUTCOME_TRANSIENT;
}

/* Deliver raw of uid through the pipeline: the outcome, and in *reason_r
 * why it was not delivered. */
static PdImapOutcome
fetcher_deliver(PdFetcher *f, const PdImapConfig *ic, guint32 uid, GBytes *raw,
		char **reason_r, gint64 *ticket_r)
{
	g_autoptr(PdEnvelope) envelope = pd_envelope_new("imap");
	g_autofree char *origin = g_strdup_printf("imap=%s uid=%u", f->name, uid);
	PdRecipientOutcome outcome = { 0 };
	gsize len;
	const guint8 *data = g_bytes_get_data(raw, &len);
	char *sender = pd_imap_return_path(data, len);
	PdImapOutcome result;
	g_autofree char *routed = NULL;

	/* no Return-Path (NULL): the pipeline takes the From */

	if (ic->recipient == NULL) {	/* no queue =: the mail's own recipient */
		g_autoptr(PdMail) mail = pd_mail_parse(raw, &f->config->mail_limits, NULL);

		routed = pd_imap_route(f->config, data, len, mail);
		if (routed == NULL) {
			g_free(sender);
			*reason_r = g_strdup("no queue has its Delivered-To, X-Original-To, To or "
					     "Cc address");
			*ticket_r = 0;
			return PD_IMAP_OUTCOME_PERMANENT;
		}
	}
	g_free(envelope->mail_from);
	envelope->mail_from = sender;
	envelope->log_origin = origin;
	envelope->client_trusted = FALSE;
	envelope->size_hint = (gint64)len;
	pd_envelope_add_recipient(envelope, ic->recipient != NULL ? ic->recipient : routed);
	pd_pipeline_deliver(f->daemon->pipeline, envelope, raw, &outcome);
	result = fetcher_outcome(&outcome);
	*reason_r = outcome.error != NULL ? g_strdup(outcome.error->message) : NULL;
	*ticket_r = outcome.error == NULL ? outcome.result.ticket_number : 0;
	pd_recipient_outcome_clear(&outcome);
	return result;
}

/* The action for outcome, carried out and recorded. */
static OneResult
fetcher_act(PdFetcher *f, const PdImapConfig *ic, guint32 uid, PdImapOutcome outcome,
	    const char *reason, gint64 ticket)
{
	g_autoptr(GError) error = NULL;
	const char *target = outcome == PD_IMAP_OUTCOME_PERMANENT ? ic->failed_folder
								   : ic->processed_folder;
	const char *folder = NULL;
	PdImapAction action;
	g_autofree char *what = NULL;

	action = pd_imap_ack_decide(outcome, pd_imap_client_caps(f->client), target, &folder);
	if (action == PD_IMAP_LEAVE) {
		g_autoptr(GError) why = g_error_new(PD_ERROR, PD_ERROR_TEMPFAIL, "%s", reason);

		what = g_strdup_printf("uid=%u left in %s", uid, ic->folder);
		fetcher_failed(f, what, why);
		return ONE_STOP;
	}
	if ((action == PD_IMAP_MOVE || action == PD_IMAP_COPY_EXPUNGE) &&
	    !fetcher_session(f, ic))	/* a body over the limit broke the session */
		return ONE_STOP;
	if (!pd_imap_client_apply(f->client, uid, action, folder, &error)) {
		what = g_strdup_printf("uid=%u %s", uid, pd_imap_action_name(action));
		fetcher_failed(f, what, error);
		return ONE_STOP;
	}
	if (outcome == PD_IMAP_OUTCOME_DELIVERED && action != PD_IMAP_SEEN) {
		/* gone from the folder: a search cannot find it again, so the
		 * last UID may wait for the end of the pass (one statement and
		 * commit fewer per mail) */
		f->unrecorded_uid = uid;
	} else if (outcome == PD_IMAP_OUTCOME_PERMANENT ?
		   !pd_store_imap_refused(f->store, f->name, f->folder.uidvalidity, uid, reason,
					  &error) :
		   !pd_store_imap_advance(f->store, f->name, f->folder.uidvalidity, uid, &error)) {
		what = g_strdup_printf("uid=%u recording the last UID", uid);
		fetcher_failed(f, what, error);
		return ONE_STOP;
	}
	if (outcome == PD_IMAP_OUTCOME_DELIVERED)
		pd_log_info("imap=%s uid=%u: delivered (ticket %" G_GINT64_FORMAT "), %s%s%s",
			    f->name, uid, ticket, pd_imap_action_name(action),
			    folder != NULL ? " to " : "", folder != NULL ? folder : "");
	else
		pd_log_warning("imap=%s uid=%u: refused (%s), %s%s%s", f->name, uid, reason,
			       pd_imap_action_name(action), folder != NULL ? " to " : "",
			       folder != NULL ? folder : "");
	return ONE_DONE;
}

static OneResult
fetcher_one(PdFetcher *f, const PdImapConfig *ic, guint32 uid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autofree char *reason = NULL;
	g_autofree char *what = g_strdup_printf("uid=%u", uid);
	gboolean exists = FALSE;
	guint32 size = 0;
	gint64 ticket = 0;
	PdImapOutcome outcome;

	if (!pd_imap_client_fetch_size(f->client, uid, &exists, &size, &error)) {
		fetcher_failed(f, what, error);
		return ONE_STOP;
	}
	if (exists && size > ic->max_message_size) {
		reason = g_strdup_printf("%u bytes, over max_message_size (%" G_GSIZE_FORMAT ")",
					 size, ic->max_message_size);
		return fetcher_act(f, ic, uid, PD_IMAP_OUTCOME_PERMANENT, reason, 0);
	}
	if (exists && !pd_imap_client_fetch(f->client, uid, ic->max_message_size, &raw, &error)) {
		if (!g_error_matches(error, PD_ERROR, PD_ERROR_PERMFAIL)) {
			fetcher_failed(f, what, error);
			return ONE_STOP;
		}
		reason = g_strdup_printf("the server sent %s (it said %u bytes)", error->message,
					 size);
		return fetcher_act(f, ic, uid, PD_IMAP_OUTCOME_PERMANENT, reason, 0);
	}
	if (raw == NULL) {	/* gone (another client took it): nothing to do */
		pd_log_info("imap=%s uid=%u: gone from %s before it was fetched", f->name, uid,
			    ic->folder);
		if (!pd_store_imap_advance(f->store, f->name, f->folder.uidvalidity, uid, &error)) {
			fetcher_failed(f, what, error);
			return ONE_STOP;
		}
		return ONE_DONE;
	}
	outcome = fetcher_deliver(f, ic, uid, raw, &reason, &ticket);
	if (outcome == PD_IMAP_OUTCOME_DELIVERED && f->hold_after_commit) {
		pd_log_info("imap=%s uid=%u: holding after commit (test hook)", f->name, uid);
		while (!pd_worker_wait(&f->stop, (gint64)G_USEC_PER_SEC * 3600))
			;
		return ONE_STOP;
	}
	return fetcher_act(f, ic, uid, outcome, reason, ticket);
}

/* Store the last UID of the mail moved out of the folder in this pass. */
static void
fetcher_record(PdFetcher *f)
{
	g_autoptr(GError) error = NULL;

	if (f->unrecorded_uid == 0)
		return;
	if (f->store != NULL && f->locked &&
	    !pd_store_imap_advance(f->store, f->name, f->folder.uidvalidity, f->unrecorded_uid,
				   &error))
		pd_log_info("imap=%s: recording the last UID: %s (the mail is out of the "
			    "folder; nothing is fetched twice)", f->name, error->message);
	f->unrecorded_uid = 0;
}

/* Record that waiting messages are above the last UID in the folder
 * (`postdesk imap status`'s backlog); a failure only costs the figure. */
static void
fetcher_backlog(PdFetcher *f, guint waiting)
{
	g_autoptr(GError) error = NULL;

	if (f->store != NULL && f->locked &&
	    !pd_store_imap_backlog(f->store, f->name, waiting, &error))
		pd_log_debug("imap=%s: recording the backlog: %s", f->name, error->message);
}

/* One look at the mailbox: every new message, in UID order, until one
 * fails.  The number taken. */
static guint
fetcher_pass(PdFetcher *f, const PdImapConfig *ic)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) uids = NULL;
	guint32 last_uid = 0;
	guint done = 0;

	if (!fetcher_lock(f) || !fetcher_session(f, ic))
		return done;
	if (!pd_store_imap_begin(f->store, f->name, f->folder.uidvalidity, &last_uid, &error)) {
		fetcher_failed(f, "database", error);
		return done;
	}
	if (!pd_imap_client_search_after(f->client, last_uid, &uids, &error)) {
		fetcher_failed(f, "search", error);
		return done;
	}
	fetcher_backlog(f, uids->len);
	for (guint i = 0; i < uids->len; i++) {
		OneResult one;

		if (pd_worker_stopping(&f->stop))
			break;
		one = fetcher_one(f, ic, g_array_index(uids, guint32, i));
		if (one == ONE_STOP)
			break;
		done++;
		if (done % BACKLOG_EVERY == 0 && done < uids->len) {
			fetcher_record(f);
			fetcher_backlog(f, uids->len - done);
		}
	}
	fetcher_record(f);
	if (uids->len > 0)
		fetcher_backlog(f, uids->len - done);
	if (done < uids->len)
		return done;
	if (f->failures > 0)
		pd_log_info("imap=%s: working again after %u failed passes", f->name, f->failures);
	f->failures = 0;
	if (done > 0)
		pd_log_debug("imap=%s: %u messages taken", f->name, done);
	return done;
}

/* After a good pass, wait in IDLE (when offered) instead of sleeping:
 * until the server announces a message, or poll_interval (at least 1 s,
 * at most IDLE_MAX_SECONDS) has passed.  FALSE: not idled (sleep then). */
static gboolean
fetcher_idle(PdFetcher *f, const PdImapConfig *ic)
{
	g_autoptr(GError) error = NULL;
	gboolean news = FALSE;
	guint seconds;

	if (ic == NULL || f->failures > 0 || f->client == NULL ||
	    pd_imap_client_broken(f->client) || !pd_imap_client_can_idle(f->client))
		return FALSE;
	seconds = CLAMP(ic->poll_ms / 1000, 1u, (guint)IDLE_MAX_SECONDS);
	if (!pd_imap_client_idle(f->client, seconds, &news, &error)) {
		if (!pd_worker_stopping(&f->stop))
			pd_log_info("imap=%s: %s; reconnecting", f->name, error->message);
		return FALSE;
	}
	if (news)
		pd_log_debug("imap=%s: new mail announced in IDLE", f->name);
	return TRUE;
}

/* Microseconds to the next pass. */
static gint64
fetcher_delay(PdFetcher *f, const PdImapConfig *ic)
{
	gint64 seconds;

	if (f->failures == 0)
		return (gint64)(ic != NULL ? ic->poll_ms : 60000) * 1000;
	seconds = f->failures > 9 ? BACKOFF_MAX_SECONDS
				  : MIN(BACKOFF_MAX_SECONDS, 1 << (f->failures - 1));
	/* jitter: 75%..125%, so daemons that failed together do not retry together */
	return (gint64)(seconds * G_USEC_PER_SEC * g_random_double_range(0.75, 1.25));
}

static gpointer
fetcher_thread(gpointer data)
{
	PdFetcher *f = data;

	do {
		g_autoptr(PdConfig) config = pd_daemon_config(f->daemon);
		const PdImapConfig *ic = pd_imap_config_find(config, f->name);

		if (config != f->config) {	/* a reload: settings may have changed */
			g_clear_pointer(&f->client, pd_imap_client_free);
			if (f->store != NULL && f->config != NULL &&
			    g_strcmp0(f->config->conninfo, config->conninfo) != 0) {
				g_clear_pointer(&f->store, pd_store_free);
				f->locked = FALSE;
			}
			g_clear_pointer(&f->config, pd_config_unref);
			f->config = pd_config_ref(config);
		}
		if (ic == NULL) {
			if (f->store != NULL)
				pd_log_info("imap=%s: no longer configured; not fetching", f->name);
			g_clear_pointer(&f->store, pd_store_free);
			f->locked = FALSE;
		} else if (fetcher_pass(f, ic) > 0 && f->failures == 0) {
			/* look again at once: a mail that came during the pass may
			 * have been announced to a command of it, and IDLE would not
			 * announce it again */
			continue;
		}
		if (pd_worker_stopping(&f->stop))
			break;
		if (!fetcher_idle(f, ic) && pd_worker_wait(&f->stop, fetcher_delay(f, ic)))
			break;
	} while (!pd_worker_stopping(&f->stop));
	g_clear_pointer(&f->client, pd_imap_client_free);
	g_clear_pointer(&f->store, pd_store_free);	/* the lock goes with it */
	pd_worker_finished(&f->stop);
	return NULL;
}

static void
fetcher_free(PdFetcher *f)
{
	g_clear_pointer(&f->config, pd_config_unref);
	g_free(f->name);
	g_free(f->holder);
	pd_worker_stop_clear(&f->stop);
	g_free(f);
}

void
pd_fetchers_start(PdDaemon *daemon)
{
	g_autoptr(PdConfig) config = pd_daemon_config(daemon);
	GPtrArray *configs = pd_imap_configs(config);

	g_return_if_fail(the_fetchers == NULL);
	the_fetchers = g_ptr_array_new();
	for (guint i = 0; i < configs->len; i++) {
		const PdImapConfig *ic = configs->pdata[i];
		PdFetcher *f = g_new0(PdFetcher, 1);
		g_autofree char *thread_name = g_strdup_printf("imap-%s", ic->name);

		f->daemon = daemon;
		f->name = g_strdup(ic->name);
		f->holder = g_strdup_printf("%s:%d", g_get_host_name(), (int)getpid());
		f->hold_after_commit = g_strcmp0(g_getenv("PD_TEST_IMAP_HOLD_AFTER_COMMIT"), "1") == 0;
		pd_worker_stop_init(&f->stop);
		f->thread = g_thread_new(thread_name, fetcher_thread, f);
		g_ptr_array_add(the_fetchers, f);
	}
	if (configs->len > 0)
		pd_log_info("imap: %u mailbox%s to fetch", configs->len,
			    configs->len == 1 ? "" : "es");
}

gboolean
pd_fetchers_stop(void)
{
	gint64 deadline = g_get_monotonic_time() + PD_SHUTDOWN_GRACE_SECONDS * G_USEC_PER_SEC;
	gboolean all = TRUE;

	if (the_fetchers == NULL)
		return TRUE;
	for (guint i = 0; i < the_fetchers->len; i++)
		pd_worker_stop(&((PdFetcher *)the_fetchers->pdata[i])->stop, 0);
	for (guint i = 0; i < the_fetchers->len; i++)
		if (!pd_worker_stop(&((PdFetcher *)the_fetchers->pdata[i])->stop, deadline))
			all = FALSE;
	if (!all)
		return FALSE;
	for (guint i = 0; i < the_fetchers->len; i++) {
		PdFetcher *f = the_fetchers->pdata[i];

		g_thread_join(f->thread);
		fetcher_free(f);
	}
	g_clear_pointer(&the_fetchers, g_ptr_array_unref);
	return TRUE;
}
