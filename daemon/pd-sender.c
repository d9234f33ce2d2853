/* pd-sender: claim, render, send, record (see pd-sender.h).
 *
 * Its settings are lib/smtp's [outbound] (pd-outbound.h: the relay,
 * max_attempts, retry_delays, poll_interval), validated when the
 * configuration loads; it loads the templates folder itself.
 *
 * Delivery semantics: a row is COMMITTED as "sending" before the SMTP
 * transaction and its outcome after it.  If postdeskd dies in between, the
 * row stays "sending" until its lease (the relay's whole-transaction
 * timeout plus as much again, at most a minute) ends and then becomes failed "outcome unknown":
 * the relay may already have the mail, so sending it again could give the
 * customer a duplicate (the requirement); an operator decides with
 * `postdesk outbound retry`.  Likewise a reply lost after the body was
 * sent.  Relay trouble (refused connection, failed greeting/EHLO/AUTH)
 * is not the mail's fault: the row goes back to the queue without using
 * up an attempt and the batch stops until the relay answers again.
 */
#include "pd-sender.h"
#include "http/pd-http.h"
#include "core/pd-error.h"
#include "core/pd-log.h"
#include "pipeline/pd-pipeline.h"
#include "pipeline/pd-pipeline-metrics.h"
#include "smtp/pd-outbound.h"
#include "smtp/pd-smtp.h"
#include "store/pd-store-bounce.h"
#include "store/pd-store-outbound.h"
#include "template/pd-template.h"
#include "ticket/pd-plan.h"

#include <string.h>
#include <unistd.h>

#define BATCH 20
#define LEASE_MARGIN 60
#define PRUNE_EVERY (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)
#define LEDGER_KEEP_MIN 86400	/* seconds; more when autoreply_window is longer */
/* A forward attaches the original up to this size; a larger one is only
 * quoted (its text) and stays in the ticket. */
#define FORWARD_ATTACH_MAX ((gsize)10 * 1024 * 1024)

typedef struct {
	PdConfig *config;		/* the configuration these were made from */
	const PdOutboundConfig *outbound;	/* config's; NULL: disabled */
	PdTemplateSet *templates;
	PdTemplateSet *replies;		/* [outbound] replies; NULL: none or not loaded */
	PdSmtpSender *smtp;
	guint max_attempts;
	const guint *delays;
	guint n_delays;
	gint64 poll_usec;
} SenderSettings;

typedef struct {
	PdDaemon *daemon;
	GThread *thread;
	PdWorkerStop stop;
	char *instance;			/* "host:pid:random", claimed_by */
	SenderSettings settings;
	PdStore *store;
	guint relay_failures;		/* in a row, for the relay's own backoff */
	gint64 pruned_at;		/* monotonic: last autoreply ledger pruning */
} PdSender;

static PdSender *the_sender;

static void
settings_clear(SenderSettings *s)
{
	g_clear_pointer(&s->smtp, pd_smtp_sender_free);
	g_clear_pointer(&s->templates, pd_template_set_unref);
	g_clear_pointer(&s->replies, pd_template_set_unref);
	s->outbound = NULL;
	g_clear_pointer(&s->config, pd_config_unref);
	s->n_delays = 0;
}

/* (Re)load the settings when the daemon's configuration changed. */
static void
sender_refresh(PdSender *sender)
{
	g_autoptr(PdConfig) config = pd_daemon_config(sender->daemon);
	SenderSettings next = { 0 };
	g_autoptr(GError) error = NULL;
	const PdOutboundConfig *outbound = pd_outbound_config(config);
	g_autofree char *old_conninfo = NULL;

	if (sender->settings.config == config)
		return;
	if (sender->settings.config != NULL)
		old_conninfo = g_strdup(sender->settings.config->conninfo);
	next.config = pd_config_ref(config);
	next.poll_usec = 5 * G_USEC_PER_SEC;
	if (outbound == NULL) {
		pd_log_info("outbound: no [outbound] section; no mail is sent");
	} else if (outbound->templates_dir == NULL) {
		pd_log_error("outbound: [outbound] templates is not set; no mail is sent");
	} else if ((next.templates = pd_template_set_load(outbound->templates_dir,
							  &error)) == NULL) {
		pd_log_error("outbound: %s; no mail is sent until the templates are fixed",
			     error->message);
	} else {
		next.outbound = outbound;
		next.max_attempts = outbound->max_attempts;
		next.delays = outbound->delays;
		next.n_delays = outbound->n_delays;
		next.poll_usec = (gint64)outbound->poll_ms * 1000;
		/* a folder older than a feature: say so now, not when a mail fails */
		if (!pd_outbound_check_needed(config, next.templates, next.outbound->templates_dir,
					      &error)) {
			g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);
			g_autofree char *line = g_strjoinv(" ", lines);

			pd_log_warning("outbound: %s; those mails fail until the templates are "
				       "added", line);
			g_clear_error(&error);
		}
		if (outbound->replies_dir != NULL &&
		    (next.replies = pd_outbound_replies_load(config, &error)) == NULL) {
			pd_log_error("outbound: %s; answers with a canned reply fail until the"
				     " replies are fixed", error->message);
			g_clear_error(&error);
		}
		next.smtp = pd_smtp_sender_new(&next.outbound->relay);
		pd_log_info("outbound: sending through %s, %u templates, up to %u attempts",
			    next.outbound->relay.url, pd_template_set_size(next.templates),
			    next.max_attempts);
	}
	settings_clear(&sender->settings);
	sender->settings = next;
	if (sender->store != NULL && g_strcmp0(old_conninfo, config->conninfo) != 0)
		g_clear_pointer(&sender->store, pd_store_free);
}

/* A relayed answer with a canned reply (reply.name, sql/functions/desk.sql
 * and agent.sql): the reply rendered for the ticket becomes the start of
 * {{message.text}}, the answer's own text (if any) follows it. */
static gboolean
sender_canned(const SenderSettings *s, PdOutboundRow *row, const char *name, GError **error)
{
	const PdTemplate *reply;
	g_autofree char *text = NULL;
	const char *own = g_hash_table_lookup(row->values, "message.text");

	if (s->replies == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_PERMFAIL, "canned reply \"%s\": [outbound]"
			    " replies %s", name, s->outbound->replies_dir != NULL ?
			    "did not load" : "is not set");
		return FALSE;
	}
	reply = pd_template_set_lookup(s->replies, name, row->queue, row->lang, error);
	if (reply == NULL)
		return FALSE;
	text = pd_template_render_body(reply, row->values);
	if (own != NULL && *own != '\0') {
		char *both = g_strdup_printf("%s%s\n%s", text, g_str_has_suffix(text, "\n") ? ""
					     : "\n", own);

		g_free(text);
		text = both;
	}
	g_hash_table_insert(row->values, g_strdup("message.text"), g_steal_pointer(&text));
	return TRUE;
}

/* Render a claimed row once; its bytes are stored before the first try. */
static gboolean
sender_render(PdSender *sender, PdOutboundRow *row, GError **error)
{
	SenderSettings *s = &sender->settings;
	const PdTemplate *tpl;
	PdTemplateContext ctx = { 0 };
	g_autoptr(GPtrArray) refs = g_ptr_array_new();
	GMimeMessage *message;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GBytes) original = NULL;
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GArray) attachments = g_array_new(FALSE, TRUE, sizeof(PdTemplateAttachment));
	const char *site = s->outbound->from_name != NULL ? s->outbound->from_name
							   : s->config->hostname;

	tpl = pd_template_set_lookup(s->templates, row->template_name, row->queue, row->lang,
				     error);
	if (tpl == NULL)
		return FALSE;
	if (!g_hash_table_contains(row->values, "site.name"))
		g_hash_table_insert(row->values, g_strdup("site.name"), g_strdup(site));
	/* the account's [plan] promise (ticket/pd-plan.h) */
	if (!g_hash_table_contains(row->values, "ticket.response_time")) {
		const PdPlanConfig *plan = pd_plan_named(s->config,
							 g_hash_table_lookup(row->values,
									     "account.plan"));

		if (plan != NULL && plan->response_time != NULL)
			g_hash_table_insert(row->values, g_strdup("ticket.response_time"),
					    g_strdup(plan->response_time));
	}
	/* the customer's page of the ticket ([http] public_url, issue 15) */
	if (row->ticket_id > 0 && !g_hash_table_contains(row->values, "ticket.url") &&
	    (strcmp(row->kind, "ack") == 0 || strcmp(row->kind, "relay") == 0)) {
		char *url = pd_http_page_url(pd_http_settings(s->config), s->outbound->token_keys,
					     row->ticket_id, row->recipients->pdata[0],
					     g_get_real_time() / G_USEC_PER_SEC);

		if (url != NULL)
			g_hash_table_insert(row->values, g_strdup("ticket.url"), url);
	}
	if (g_hash_table_contains(row->values, "reply.name") &&
	    !sender_canned(s, row, g_hash_table_lookup(row->values, "reply.name"), error))
		return FALSE;
	for (guint i = 0; i < row->references->len; i++)
		g_ptr_array_add(refs, row->references->pdata[i]);
	g_ptr_array_add(refs, NULL);
	ctx.keys = s->outbound->token_keys;
	ctx.ticket_id = row->ticket_id;
	ctx.ticket_number = row->ticket_number;
	ctx.serial = row->id;
	ctx.hostname = s->config->hostname;
	ctx.from_name = s->outbound->from_name;
	ctx.from_address = s->outbound->from_address;
	ctx.reply_base = s->outbound->reply_address;
	ctx.to_name = row->recipient_name;
	ctx.to_address = row->recipients->pdata[0];
	ctx.in_reply_to = row->in_reply_to;
	ctx.references = row->references->len > 0 ? (const char *const *)refs->pdata : NULL;
	/* mail to agents answers nobody: generated, not replied (RFC 3834) */
	if (strcmp(row->kind, "notification") == 0 || strcmp(row->kind, "forward") == 0)
		ctx.auto_submitted = "auto-generated";
	if (strcmp(row->kind, "forward") == 0 && row->message_row != 0) {
		if (!pd_store_outbound_original(sender->store, row->message_row,
						FORWARD_ATTACH_MAX, &original, error))
			return FALSE;
		ctx.attach_message = original;
	}
	/* a relayed agent answer is a person's mail, not an automatic one
	 * (RFC 3834 5: "no"); its MAIL FROM is a real one (sql/functions/agent.sql) */
	if (!row->auto_reply && g_strcmp0(row->kind, "relay") == 0)
		ctx.auto_submitted = "no";
	/* the agent's attachments that fit (sql/functions/agent.sql) */
	if (g_strcmp0(row->kind, "relay") == 0) {
		if (!pd_store_outbound_attachments(sender->store, row->id, &files, error))
			return FALSE;
		for (guint i = 0; i < files->len; i++) {
			const PdOutboundFile *file = files->pdata[i];
			PdTemplateAttachment a = { file->filename, file->content_type,
						   file->content };

			g_array_append_val(attachments, a);
		}
		ctx.attachments = (const PdTemplateAttachment *)(void *)attachments->data;
		ctx.n_attachments = attachments->len;
	}
	message = pd_template_render(tpl, row->values, &ctx, error);
	if (message == NULL)
		return FALSE;
	bytes = pd_template_message_bytes(message);
	row->message_id = g_strdup(g_mime_message_get_message_id(message));
	g_object_unref(message);
	if (!pd_store_outbound_set_message(sender->store, row->id, sender->instance,
					   row->message_id, bytes, error))
		return FALSE;
	row->message = g_steal_pointer(&bytes);
	return TRUE;
}

static guint
sender_delay(const SenderSettings *s, guint attempt)
{
	guint i = attempt > 0 ? attempt - 1 : 0;

	return s->delays[MIN(i, s->n_delays - 1)];
}

static void
sender_log(const PdOutboundRow *row, const char *status, const char *reply, guint64 ms)
{
	const char *text = reply != NULL ? reply : "";
	g_autofree char *cut = g_utf8_make_valid(text, (gssize)MIN(strlen(text), 300));

	pd_pipeline_metrics_outbound(row->kind, g_str_has_prefix(status, "sent") ? "sent"
				     : g_str_has_prefix(status, "deferred") ? "deferred" : "failed");

	pd_log_info("outbound %" G_GINT64_FORMAT ": to=<%s>, kind=%s, ticket=%" G_GINT64_FORMAT
		    ", attempt %d, status=%s (%s), %" G_GUINT64_FORMAT " ms",
		    row->id, row->recipients->len > 0 ? (char *)row->recipients->pdata[0] : "",
		    row->kind, row->ticket_number, row->attempts, status, cut, ms);
}

/* One claimed row; FALSE when the relay is down (stop the batch). */
static gboolean
sender_send_one(PdSender *sender, PdOutboundRow *row, GError **error)
{
	SenderSettings *s = &sender->settings;
	g_autoptr(GError) local = NULL;
	g_autoptr(GPtrArray) rcpts = g_ptr_array_new();
	PdSmtpResult result = { 0 };
	gboolean failed = FALSE, relay_ok = TRUE, ok;
	g_autofree char *unknown = NULL;
	g_autofree char *return_path = NULL;
	PdReturnPathFacts facts = { 0 };

	if (row->message == NULL && !sender_render(sender, row, &local)) {
		g_autoptr(GError) record_error = NULL;

		if (g_error_matches(local, PD_ERROR, PD_ERROR_TEMPFAIL)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		/* no template, a bad recipient: trying again cannot help */
		sender_log(row, "failed", local->message, 0);
		if (!pd_store_outbound_failed(sender->store, row->id, sender->instance,
					      local->message, &record_error) &&
		    !g_error_matches(record_error, PD_ERROR, PD_ERROR_NOTFOUND)) {
			g_propagate_error(error, g_steal_pointer(&record_error));
			return FALSE;
		}
		return TRUE;
	}
	for (guint i = 0; i < row->recipients->len; i++)
		g_ptr_array_add(rcpts, row->recipients->pdata[i]);
	g_ptr_array_add(rcpts, NULL);
	/* the signed bounce address of this row when bounce_address is set
	 * (lib/smtp/pd-return-path.c) */
	facts.bounce_base = s->outbound->bounce_address;
	facts.keys = s->outbound->token_keys;
	facts.outbound_id = row->id;
	facts.recipient = row->recipients->len > 0 ? row->recipients->pdata[0] : NULL;
	facts.queued = row->envelope_from;
	return_path = pd_return_path_decide(&facts, NULL);
	pd_smtp_send(s->smtp, return_path, (const char *const *)rcpts->pdata, row->message,
		     &result);
	switch (result.status) {
	case PD_SMTP_OK:
		sender->relay_failures = 0;
		sender_log(row, "sent", result.reply, result.milliseconds);
		ok = pd_store_outbound_sent(sender->store, row->id, sender->instance, result.reply,
					    &local);
		break;
	case PD_SMTP_PERMFAIL:
		sender->relay_failures = 0;
		sender_log(row, "failed", result.reply, result.milliseconds);
		ok = pd_store_outbound_failed(sender->store, row->id, sender->instance,
					      result.reply, &local);
		break;
	default:
		if (g_strcmp0(result.stage, "end of data") == 0 && result.code == 0) {
			/* the relay may have the mail: at most once */
			unknown = g_strdup_printf("outcome unknown: %s after the message was sent; "
						  "not resent automatically so the recipient gets "
						  "no duplicate", result.reply);
			sender_log(row, "failed", unknown, result.milliseconds);
			ok = pd_store_outbound_failed(sender->store, row->id, sender->instance,
						      unknown, &local);
		} else if (result.relay_problem) {
			relay_ok = FALSE;
			sender->relay_failures++;
			sender_log(row, "deferred (relay)", result.reply, result.milliseconds);
			ok = pd_store_outbound_deferred(sender->store, row->id, sender->instance,
							result.reply,
							sender_delay(s, sender->relay_failures),
							FALSE, s->max_attempts, &failed, &local);
		} else {
			ok = pd_store_outbound_deferred(sender->store, row->id, sender->instance,
							result.reply,
							sender_delay(s, (guint)row->attempts),
							TRUE, s->max_attempts, &failed, &local);
			sender_log(row, failed ? "failed (too many attempts)" : "deferred",
				   result.reply, result.milliseconds);
		}
		break;
	}
	pd_smtp_result_clear(&result);
	if (!ok && g_error_matches(local, PD_ERROR, PD_ERROR_NOTFOUND))
		pd_log_warning("outbound %" G_GINT64_FORMAT ": %s", row->id, local->message);
	else if (!ok)
		g_propagate_error(error, g_steal_pointer(&local));
	return ok ? relay_ok : FALSE;
}

/* Put rows claimed but not tried back, without using up an attempt. */
static void
sender_unclaim(PdSender *sender, GPtrArray *rows, guint from)
{
	for (guint i = from; i < rows->len; i++) {
		PdOutboundRow *row = rows->pdata[i];
		g_autoptr(GError) error = NULL;

		if (!pd_store_outbound_deferred(sender->store, row->id, sender->instance,
						"not tried: the relay is unavailable",
						sender_delay(&sender->settings, sender->relay_failures),
						FALSE, sender->settings.max_attempts, NULL, &error))
			pd_log_warning("outbound %" G_GINT64_FORMAT ": %s", row->id, error->message);
	}
}

/* One pass: TRUE when a full batch was claimed (look again at once). */
static gboolean
sender_pass(PdSender *sender, GError **error)
{
	SenderSettings *s = &sender->settings;
	g_autoptr(GPtrArray) rows = NULL;
	guint recovered = 0, held = 0;

	if (sender->store == NULL || !pd_store_is_usable(sender->store)) {
		g_clear_pointer(&sender->store, pd_store_free);
		sender->store = pd_store_connect_timeout(s->config->conninfo, s->config->db_timeout,
							 error);
		if (sender->store == NULL)
			return FALSE;
	}
	if (!pd_store_outbound_recover(sender->store, &recovered, error))
		return FALSE;
	if (sender->pruned_at == 0 || g_get_monotonic_time() - sender->pruned_at > PRUNE_EVERY) {
		guint window = pd_pipeline_settings(s->config)->autoreply_window;
		guint keep = (guint)CLAMP(window, LEDGER_KEEP_MIN, G_MAXINT);

		if (!pd_store_outbound_prune_ledger(sender->store, keep, NULL, error))
			return FALSE;
		sender->pruned_at = g_get_monotonic_time();
	}
	if (recovered > 0)
		pd_log_warning("outbound: %u mails were being sent when a sender stopped; marked "
			       "failed (outcome unknown), see postdesk outbound list", recovered);
	/* no automatic mail to an address that hard-bounced (sql/functions/bounce.sql) */
	if (!pd_store_bounce_hold_failing(sender->store, &held, error))
		return FALSE;
	if (held > 0)
		pd_log_info("outbound: %u automatic mails not sent: their address is failing "
			    "(a hard bounce), see postdesk outbound list", held);
	if (!pd_store_outbound_claim(sender->store, sender->instance,
				     s->outbound->relay.total_timeout +
				     MIN(LEASE_MARGIN, s->outbound->relay.total_timeout), BATCH, &rows,
				     error))
		return FALSE;
	for (guint i = 0; i < rows->len; i++) {
		g_autoptr(GError) local = NULL;

		if (sender_send_one(sender, rows->pdata[i], &local))
			continue;
		if (local != NULL) {
			/* database trouble: give the rest back if we can, else
			 * they wait for their lease (never rendered: requeued) */
			if (pd_store_is_usable(sender->store))
				sender_unclaim(sender, rows, i + 1);
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		sender_unclaim(sender, rows, i + 1);	/* the relay is down */
		return FALSE;
	}
	return rows->len == BATCH && !pd_worker_stopping(&sender->stop);
}

static gpointer
sender_thread(gpointer data)
{
	PdSender *sender = data;

	while (!pd_worker_stopping(&sender->stop)) {
		g_autoptr(GError) error = NULL;

		sender_refresh(sender);
		if (sender->settings.outbound == NULL) {
			pd_worker_wait(&sender->stop, sender->settings.poll_usec);
			continue;
		}
		if (sender_pass(sender, &error))
			continue;
		if (error != NULL)
			pd_log_warning("outbound: %s", error->message);
		pd_worker_wait(&sender->stop, sender->settings.poll_usec);
	}
	pd_worker_finished(&sender->stop);
	return NULL;
}

void
pd_sender_start(PdDaemon *daemon)
{
	PdSender *sender = g_new0(PdSender, 1);
	char host[256] = "";

	g_return_if_fail(the_sender == NULL);
	if (gethostname(host, sizeof(host) - 1) != 0)
		g_strlcpy(host, "localhost", sizeof(host));
	sender->daemon = daemon;
	sender->instance = g_strdup_printf("%s:%d:%08x", host, (int)getpid(), g_random_int());
	pd_worker_stop_init(&sender->stop);
	pd_smtp_global_init();
	sender->thread = g_thread_new("sender", sender_thread, sender);
	the_sender = sender;
}

gboolean
pd_sender_stop(void)
{
	PdSender *sender = the_sender;
	gint64 deadline = g_get_monotonic_time() + PD_SHUTDOWN_GRACE_SECONDS * G_USEC_PER_SEC;

	if (sender == NULL)
		return TRUE;
	if (!pd_worker_stop(&sender->stop, deadline)) {
		/* a relay that stalls must not hold up the stop for the whole
		 * SMTP timeout: the row is recovered as "outcome unknown" */
		pd_log_warning("outbound: a mail is still being sent %d s after the stop signal; "
			       "exiting without waiting for the relay", PD_SHUTDOWN_GRACE_SECONDS);
		return FALSE;
	}
	g_thread_join(sender->thread);
	settings_clear(&sender->settings);
	g_clear_pointer(&sender->store, pd_store_free);
	pd_worker_stop_clear(&sender->stop);
	g_free(sender->instance);
	g_free(sender);
	the_sender = NULL;
	return TRUE;
}
