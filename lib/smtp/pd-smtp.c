/* pd-smtp: one SMTP transaction through libcurl, classified; see pd-smtp.h. */
#include "pd-smtp.h"

#include <curl/curl.h>
#include <string.h>

#include "pd-smtp-reply.h"

/* One reply and the command it answered. */
typedef struct {
	const char *stage;
	PdSmtpReply reply;
	char *rcpt;		/* RCPT stage: the address */
} Exchange;

struct _PdSmtpSender {
	CURL *curl;
	PdSmtpRelay relay;	/* copies */
	char *url;		/* relay url + "/" + helo */
	PdSmtpReplyParser *parser;
	GArray *exchanges;	/* Exchange, this transaction */
	const char *stage;	/* the command the next reply answers */
	char *pending_rcpt;
	gboolean after_354;
	gboolean awaiting;	/* a command has no reply yet */
	guint connections;
	/* the message being uploaded */
	const guint8 *body;
	gsize body_len, body_pos;
	char errbuf[CURL_ERROR_SIZE];
};

void
pd_smtp_global_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&done, 1);
	}
}

void
pd_smtp_relay_clear(PdSmtpRelay *relay)
{
	g_free(relay->url);
	g_free(relay->helo);
	g_free(relay->ca_file);
	g_free(relay->username);
	if (relay->password != NULL)
		memset(relay->password, 0, strlen(relay->password));
	g_free(relay->password);
	memset(relay, 0, sizeof(*relay));
}

static void
recipient_result_free(PdSmtpRecipientResult *r)
{
	g_free(r->address);
	g_free(r->reply);
	g_free(r);
}

void
pd_smtp_result_clear(PdSmtpResult *result)
{
	g_free(result->reply);
	if (result->recipients != NULL)
		g_ptr_array_unref(result->recipients);
	memset(result, 0, sizeof(*result));
}

const char *
pd_smtp_status_str(PdSmtpStatus status)
{
	switch (status) {
	case PD_SMTP_OK: return "sent";
	case PD_SMTP_TEMPFAIL: return "deferred";
	case PD_SMTP_PERMFAIL: return "bounced";
	}
	return "unknown";
}

static void
exchange_clear(gpointer data)
{
	Exchange *e = data;

	pd_smtp_reply_clear(&e->reply);
	g_free(e->rcpt);
}

/* --- curl callbacks ------------------------------------------------------ */

static void
collect_replies(PdSmtpSender *sender)
{
	Exchange e = { 0 };

	while (pd_smtp_reply_parser_next(sender->parser, &e.reply)) {
		e.stage = sender->after_354 ? "end of data" : sender->stage;
		e.rcpt = g_strcmp0(e.stage, "RCPT") == 0 ? g_strdup(sender->pending_rcpt) : NULL;
		sender->after_354 = g_strcmp0(e.stage, "DATA") == 0 && e.reply.code == 354;
		sender->awaiting = FALSE;
		/* a peer cannot grow this: one entry per command curl sent */
		if (sender->exchanges->len < 1024)
			g_array_append_val(sender->exchanges, e);
		else
			exchange_clear(&e);
		memset(&e, 0, sizeof(e));
	}
}

/* The command curl just sent: the stage its reply answers. */
static void
note_command(PdSmtpSender *sender, const char *data, gsize len)
{
	static const char *const verbs[] = {
		"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "QUIT", "NOOP",
	};
	g_autofree char *line = g_strndup(data, MIN(len, 512));

	for (guint i = 0; i < G_N_ELEMENTS(verbs); i++) {
		gsize n = strlen(verbs[i]);

		if (g_ascii_strncasecmp(line, verbs[i], n) == 0 &&
		    (line[n] == ' ' || line[n] == '\r' || line[n] == '\n' || line[n] == '\0')) {
			/* curl's QUIT after a timeout: the stage that timed out stays */
			if (sender->awaiting && strcmp(verbs[i], "QUIT") == 0)
				return;
			sender->stage = verbs[i];
			sender->after_354 = FALSE;
			sender->awaiting = TRUE;
			if (i == 5) {	/* RCPT TO:<addr> */
				const char *lt = strchr(line, '<');
				const char *gt = lt != NULL ? strchr(lt, '>') : NULL;

				g_free(sender->pending_rcpt);
				sender->pending_rcpt = gt != NULL ? g_strndup(lt + 1, gt - lt - 1) : NULL;
			}
			return;
		}
	}
	/* AUTH continuation lines and the like keep the stage they are in. */
}

static int
debug_cb(CURL *handle, curl_infotype type, char *data, size_t size, void *userp)
{
	PdSmtpSender *sender = userp;

	if (type == CURLINFO_HEADER_IN) {
		pd_smtp_reply_parser_feed(sender->parser, data, size);
		collect_replies(sender);
	} else if (type == CURLINFO_HEADER_OUT) {
		note_command(sender, data, size);
	}
	return 0;
}

static size_t
read_cb(char *buffer, size_t size, size_t nitems, void *userp)
{
	PdSmtpSender *sender = userp;
	gsize n = MIN(size * nitems, sender->body_len - sender->body_pos);

	memcpy(buffer, sender->body + sender->body_pos, n);
	sender->body_pos += n;
	return n;
}

/* --- the sender ---------------------------------------------------------- */

PdSmtpSender *
pd_smtp_sender_new(const PdSmtpRelay *relay)
{
	PdSmtpSender *sender = g_new0(PdSmtpSender, 1);
	g_autofree char *base = g_strdup(relay->url);

	pd_smtp_global_init();
	sender->relay.url = g_strdup(relay->url);
	sender->relay.helo = g_strdup(relay->helo);
	sender->relay.tls = relay->tls;
	sender->relay.tls_verify = relay->tls_verify;
	sender->relay.ca_file = g_strdup(relay->ca_file);
	sender->relay.username = g_strdup(relay->username);
	sender->relay.password = g_strdup(relay->password);
	sender->relay.connect_timeout = relay->connect_timeout ? relay->connect_timeout : 30;
	sender->relay.reply_timeout = relay->reply_timeout ? relay->reply_timeout : 300;
	sender->relay.total_timeout = relay->total_timeout ? relay->total_timeout : 600;
	/* curl takes the EHLO name from the URL path */
	while (g_str_has_suffix(base, "/"))
		base[strlen(base) - 1] = '\0';
	sender->url = relay->helo != NULL ? g_strdup_printf("%s/%s", base, relay->helo)
		: g_strdup(base);
	sender->parser = pd_smtp_reply_parser_new();
	sender->exchanges = g_array_new(FALSE, TRUE, sizeof(Exchange));
	g_array_set_clear_func(sender->exchanges, exchange_clear);
	sender->curl = curl_easy_init();
	g_assert(sender->curl != NULL);
	return sender;
}

void
pd_smtp_sender_free(PdSmtpSender *sender)
{
	if (sender == NULL)
		return;
	curl_easy_cleanup(sender->curl);	/* sends QUIT on an open connection */
	pd_smtp_relay_clear(&sender->relay);
	g_free(sender->url);
	g_free(sender->pending_rcpt);
	pd_smtp_reply_parser_free(sender->parser);
	g_array_unref(sender->exchanges);
	g_free(sender);
}

guint
pd_smtp_sender_connections(const PdSmtpSender *sender)
{
	return sender->connections;
}

static void
setup_handle(PdSmtpSender *sender)
{
	CURL *c = sender->curl;
	const PdSmtpRelay *r = &sender->relay;

	curl_easy_setopt(c, CURLOPT_URL, sender->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, sender);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, sender->errbuf);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, sender);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)r->connect_timeout);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)r->reply_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)r->total_timeout);
	curl_easy_setopt(c, CURLOPT_USE_SSL, r->tls == PD_SMTP_TLS_REQUIRED ? (long)CURLUSESSL_ALL
			 : r->tls == PD_SMTP_TLS_TRY ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, r->tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, r->tls_verify ? 2L : 0L);
	if (r->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
	if (r->username != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, r->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->password != NULL ? r->password : "");
		curl_easy_setopt(c, CURLOPT_SASL_IR, 1L);	/* AUTH PLAIN <initial response> */
	}
#if LIBCURL_VERSION_NUM >= 0x080200
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#elif LIBCURL_VERSION_NUM >= 0x074500
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
}

static gboolean
stage_is_session(const char *stage)
{
	static const char *const session[] = { "greeting", "EHLO", "HELO", "STARTTLS", "AUTH" };

	for (guint i = 0; i < G_N_ELEMENTS(session); i++)
		if (g_strcmp0(stage, session[i]) == 0)
			return TRUE;
	return FALSE;
}

static PdSmtpStatus
status_of(guint code)
{
	if (code >= 200 && code < 400)
		return PD_SMTP_OK;
	if (code >= 500 && code < 600)
		return PD_SMTP_PERMFAIL;
	return PD_SMTP_TEMPFAIL;	/* 4xx, and 0: not a reply at all */
}

static void
decide(PdSmtpResult *result, const Exchange *e, PdSmtpStatus status)
{
	result->status = status;
	result->code = e->reply.code;
	result->reply = pd_smtp_reply_format(&e->reply);
	result->stage = e->stage;
}

static void
classify(PdSmtpSender *sender, CURLcode rc, const char *const *recipients,
	 PdSmtpResult *result)
{
	const Exchange *final = NULL, *refusal = NULL, *rcpt_refusal = NULL;
	gboolean rcpt_temp = FALSE;

	for (guint i = 0; i < sender->exchanges->len; i++) {
		const Exchange *e = &g_array_index(sender->exchanges, Exchange, i);
		gboolean bad = e->reply.code >= 400 || e->reply.code == 0;

		if (g_strcmp0(e->stage, "end of data") == 0) {
			final = e;
		} else if (g_strcmp0(e->stage, "RCPT") == 0) {
			if (bad) {
				rcpt_refusal = e;
				rcpt_temp |= e->reply.code < 500;
			}
		} else if (bad && g_strcmp0(e->stage, "QUIT") != 0) {
			refusal = e;
		}
	}

	if (final != NULL) {
		/* 2xx: the relay took it; a later hiccup (QUIT) changes nothing */
		decide(result, final, status_of(final->reply.code));
	} else if (refusal != NULL) {
		decide(result, refusal, status_of(refusal->reply.code));
		/* 530: the relay wants AUTH we did not do (RFC 4954): ours to fix */
		if (stage_is_session(refusal->stage) || refusal->reply.code == 530) {
			result->status = PD_SMTP_TEMPFAIL;
			result->relay_problem = TRUE;
		}
	} else if (rcpt_refusal != NULL) {
		/* every recipient refused, so no DATA */
		decide(result, rcpt_refusal, rcpt_temp ? PD_SMTP_TEMPFAIL : PD_SMTP_PERMFAIL);
	} else if (rc == CURLE_OK) {
		long code = 0;

		curl_easy_getinfo(sender->curl, CURLINFO_RESPONSE_CODE, &code);
		result->status = PD_SMTP_OK;
		result->code = (guint)code;
		result->reply = g_strdup("");
		result->stage = "end of data";
	} else {
		/* no reply decided it: the connection did (refused, reset, timeout) */
		const char *why = sender->errbuf[0] != '\0' ? sender->errbuf : curl_easy_strerror(rc);

		result->status = PD_SMTP_TEMPFAIL;
		result->reply = g_strdup(why);
		if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
			result->stage = "connect";
		else if (sender->after_354)
			result->stage = "end of data";	/* it may have arrived (RFC 1047) */
		else
			result->stage = sender->stage;
		result->relay_problem = stage_is_session(result->stage) ||
			g_strcmp0(result->stage, "connect") == 0;
	}

	for (guint i = 0; recipients[i] != NULL; i++) {
		PdSmtpRecipientResult *r = g_new0(PdSmtpRecipientResult, 1);
		const Exchange *mine = NULL;

		r->address = g_strdup(recipients[i]);
		for (guint j = 0; j < sender->exchanges->len; j++) {
			const Exchange *e = &g_array_index(sender->exchanges, Exchange, j);

			if (e->rcpt != NULL && g_ascii_strcasecmp(e->rcpt, recipients[i]) == 0)
				mine = e;
		}
		if (mine != NULL && (mine->reply.code >= 400 || mine->reply.code == 0)) {
			r->status = status_of(mine->reply.code);
			r->reply = pd_smtp_reply_format(&mine->reply);
		} else {
			r->status = result->status;
			r->reply = g_strdup(result->reply);
		}
		g_ptr_array_add(result->recipients, r);
	}
}

gboolean
pd_smtp_send(PdSmtpSender *sender, const char *envelope_from,
	     const char *const *recipients, GBytes *message, PdSmtpResult *result_r)
{
	struct curl_slist *rcpts = NULL;
	gint64 start = g_get_monotonic_time();
	CURLcode rc;
	long connects = 0;

	g_return_val_if_fail(recipients != NULL && recipients[0] != NULL, FALSE);
	memset(result_r, 0, sizeof(*result_r));
	result_r->recipients = g_ptr_array_new_with_free_func((GDestroyNotify)recipient_result_free);

	pd_smtp_reply_parser_reset(sender->parser);
	g_array_set_size(sender->exchanges, 0);
	sender->stage = "greeting";
	sender->after_354 = FALSE;
	sender->awaiting = TRUE;	/* a new connection waits for its greeting */
	g_clear_pointer(&sender->pending_rcpt, g_free);
	sender->errbuf[0] = '\0';
	sender->body = g_bytes_get_data(message, &sender->body_len);
	sender->body_pos = 0;

	for (guint i = 0; recipients[i] != NULL; i++)
		rcpts = curl_slist_append(rcpts, recipients[i]);
	setup_handle(sender);
	/* curl writes MAIL FROM:<> for an empty sender (RFC 5321 3.6.3) */
	curl_easy_setopt(sender->curl, CURLOPT_MAIL_FROM, envelope_from != NULL ? envelope_from : "");
	curl_easy_setopt(sender->curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(sender->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sender->body_len);

	rc = curl_easy_perform(sender->curl);
	/* a reply that lacked its final LF is still the server's word */
	pd_smtp_reply_parser_finish(sender->parser);
	collect_replies(sender);
	classify(sender, rc, recipients, result_r);

	curl_easy_getinfo(sender->curl, CURLINFO_NUM_CONNECTS, &connects);
	sender->connections += (guint)connects;
	curl_easy_setopt(sender->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	sender->body = NULL;
	result_r->milliseconds = (guint64)(g_get_monotonic_time() - start) / 1000;
	return result_r->status == PD_SMTP_OK;
}
