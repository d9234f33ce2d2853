/* pd-smtp-tool: test driver for the outbound building blocks.
 *
 * Renders a template (pd_template) for one ticket and recipient, sends it
 * COUNT times through one PdSmtpSender (pd_smtp) and prints one line per
 * transaction, then the recipients:
 *   result status=sent code=250 stage=end\ of\ data relay_problem=0 connections=1 ms=3 reply=...
 *   rcpt address=a@b status=sent reply=...
 * Or verifies a token: --verify-msgid ID / --verify-reply ADDRESS with
 * --sender, printing the verdict name.  Used by tests/integration/
 * test_smtp_*.py against smtp-sink and Postfix on loopback.
 */
#include <stdio.h>
#include <string.h>

#include "smtp/pd-smtp.h"
#include "template/pd-template.h"
#include "ticket/pd-token.h"

static char *opt_relay = "smtp://127.0.0.1:25";
static char *opt_helo = "postdesk.test";
static char *opt_from = "";
static char **opt_rcpts;
static int opt_count = 1;
static int opt_reply_timeout = 30;
static int opt_connect_timeout = 10;
static char *opt_templates;
static char *opt_template = "ack";
static char *opt_key = "integration-test-key-0123456789";
static gint64 opt_ticket_id = 42;
static gint64 opt_ticket_number = 10042;
static char *opt_in_reply_to;
static char *opt_subject = "Printer on fire";
static char *opt_verify_msgid;
static char *opt_verify_reply;
static char *opt_sender;
static char *opt_starttls = "no";
static char *opt_ca_file;
static gboolean opt_no_verify;
static char *opt_user;
static char *opt_password;

static const GOptionEntry entries[] = {
	{ "relay", 0, 0, G_OPTION_ARG_STRING, &opt_relay, "smtp://host:port", "URL" },
	{ "helo", 0, 0, G_OPTION_ARG_STRING, &opt_helo, "EHLO name", "NAME" },
	{ "from", 0, 0, G_OPTION_ARG_STRING, &opt_from, "envelope sender (\"\" = <>)", "ADDR" },
	{ "rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_rcpts, "recipient", "ADDR" },
	{ "count", 0, 0, G_OPTION_ARG_INT, &opt_count, "messages to send", "N" },
	{ "reply-timeout", 0, 0, G_OPTION_ARG_INT, &opt_reply_timeout, "seconds", "N" },
	{ "connect-timeout", 0, 0, G_OPTION_ARG_INT, &opt_connect_timeout, "seconds", "N" },
	{ "templates", 0, 0, G_OPTION_ARG_FILENAME, &opt_templates, "template dir", "DIR" },
	{ "template", 0, 0, G_OPTION_ARG_STRING, &opt_template, "template name", "NAME" },
	{ "key", 0, 0, G_OPTION_ARG_STRING, &opt_key, "token key", "KEY" },
	{ "ticket-id", 0, 0, G_OPTION_ARG_INT64, &opt_ticket_id, "ticket id", "N" },
	{ "ticket-number", 0, 0, G_OPTION_ARG_INT64, &opt_ticket_number, "ticket number", "N" },
	{ "in-reply-to", 0, 0, G_OPTION_ARG_STRING, &opt_in_reply_to, "Message-ID", "ID" },
	{ "subject", 0, 0, G_OPTION_ARG_STRING, &opt_subject, "ticket subject", "TEXT" },
	{ "verify-msgid", 0, 0, G_OPTION_ARG_STRING, &opt_verify_msgid, "verify", "ID" },
	{ "verify-reply", 0, 0, G_OPTION_ARG_STRING, &opt_verify_reply, "verify", "ADDR" },
	{ "sender", 0, 0, G_OPTION_ARG_STRING, &opt_sender, "sender to verify for", "ADDR" },
	{ "starttls", 0, 0, G_OPTION_ARG_STRING, &opt_starttls, "no, try, required", "WHEN" },
	{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file, "CA certificates", "FILE" },
	{ "no-verify", 0, 0, G_OPTION_ARG_NONE, &opt_no_verify, "skip certificate checks", NULL },
	{ "user", 0, 0, G_OPTION_ARG_STRING, &opt_user, "AUTH user", "NAME" },
	{ "password", 0, 0, G_OPTION_ARG_STRING, &opt_password, "AUTH password", "TEXT" },
	{ NULL }
};

static int
verify(const PdTokenKeys *keys)
{
	PdTokenInfo info;
	PdTokenVerdict v = opt_verify_msgid != NULL
		? pd_token_verify_message_id(keys, opt_verify_msgid, opt_sender, &info)
		: pd_token_verify_reply_address(keys, opt_verify_reply, opt_sender, &info);

	printf("verdict=%s ticket=%" G_GINT64_FORMAT "\n", pd_token_verdict_str(v), info.ticket_id);
	return v == PD_TOKEN_VALID ? 0 : 1;
}

int
main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("- send a rendered template");
	g_autoptr(GError) error = NULL;
	const char *keylist[2] = { NULL, NULL };
	g_autoptr(PdTokenKeys) keys = NULL;
	g_autoptr(PdTemplateSet) set = NULL;
	g_autoptr(PdSmtpSender) sender = NULL;
	g_autoptr(GHashTable) values = NULL;
	const PdTemplate *tpl;
	PdSmtpRelay relay = { 0 };
	int status = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "pd-smtp-tool: %s\n", error->message);
		return 64;
	}
	keylist[0] = opt_key;
	keys = pd_token_keys_new(keylist, &error);
	if (keys == NULL) {
		fprintf(stderr, "pd-smtp-tool: %s\n", error->message);
		return 64;
	}
	if (opt_verify_msgid != NULL || opt_verify_reply != NULL)
		return verify(keys);
	if (opt_templates == NULL || opt_rcpts == NULL || opt_rcpts[0] == NULL) {
		fprintf(stderr, "pd-smtp-tool: --templates and --rcpt are required\n");
		return 64;
	}
	set = pd_template_set_load(opt_templates, &error);
	tpl = set != NULL ? pd_template_set_lookup(set, opt_template, "support", "en", &error) : NULL;
	if (tpl == NULL) {
		fprintf(stderr, "pd-smtp-tool: %s\n", error->message);
		return 78;
	}
	values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	g_hash_table_insert(values, "ticket.number",
			    g_strdup_printf("%" G_GINT64_FORMAT, opt_ticket_number));
	g_hash_table_insert(values, "ticket.subject", g_strdup(opt_subject));
	g_hash_table_insert(values, "site.name", g_strdup("Example Support"));
	g_hash_table_insert(values, "queue.name", g_strdup("support"));
	g_hash_table_insert(values, "requester.name", g_strdup("Jürgen"));
	g_hash_table_insert(values, "ticket.response_time", g_strdup("4 hours"));

	relay.url = opt_relay;
	relay.helo = opt_helo;
	relay.tls = strcmp(opt_starttls, "required") == 0 ? PD_SMTP_TLS_REQUIRED
		: strcmp(opt_starttls, "try") == 0 ? PD_SMTP_TLS_TRY : PD_SMTP_TLS_NONE;
	relay.tls_verify = !opt_no_verify;
	relay.ca_file = opt_ca_file;
	relay.username = opt_user;
	relay.password = opt_password;
	relay.connect_timeout = (guint)opt_connect_timeout;
	relay.reply_timeout = (guint)opt_reply_timeout;
	relay.total_timeout = (guint)opt_reply_timeout * 4;
	sender = pd_smtp_sender_new(&relay);

	for (int i = 0; i < opt_count; i++) {
		PdTemplateContext tctx = {
			.keys = keys, .ticket_id = opt_ticket_id, .ticket_number = opt_ticket_number,
			.serial = i + 1, .hostname = "postdesk.test",
			.from_name = "Example Support", .from_address = "support@example.com",
			.reply_base = "support@example.com", .to_name = "Jürgen Kunde",
			.to_address = opt_rcpts[0], .in_reply_to = opt_in_reply_to,
		};
		GMimeMessage *msg = pd_template_render(tpl, values, &tctx, &error);
		g_autoptr(GBytes) bytes = NULL;
		PdSmtpResult result;

		if (msg == NULL) {
			fprintf(stderr, "pd-smtp-tool: %s\n", error->message);
			return 65;
		}
		bytes = pd_template_message_bytes(msg);
		g_object_unref(msg);
		if (!pd_smtp_send(sender, opt_from, (const char *const *)opt_rcpts, bytes, &result))
			status = 1;
		printf("result status=%s code=%u stage=%s relay_problem=%d connections=%u ms=%"
		       G_GUINT64_FORMAT " reply=%s\n", pd_smtp_status_str(result.status), result.code,
		       result.stage != NULL ? result.stage : "-", result.relay_problem,
		       pd_smtp_sender_connections(sender), result.milliseconds,
		       result.reply != NULL ? result.reply : "");
		for (guint j = 0; j < result.recipients->len; j++) {
			PdSmtpRecipientResult *r = g_ptr_array_index(result.recipients, j);

			printf("rcpt address=%s status=%s reply=%s\n", r->address,
			       pd_smtp_status_str(r->status), r->reply != NULL ? r->reply : "");
		}
		fflush(stdout);
		pd_smtp_result_clear(&result);
	}
	return status;
}
