/* postdesk deliver: one message from stdin, for Postfix's pipe(8).
 *
 *   postdesk deliver [-f SENDER] [-a CLIENT_ADDRESS] [-n CLIENT_NAME]
 *                    [-h HELO] [--] RECIPIENT...
 *
 * master.cf:  postdesk unix - n n - - pipe flags=Rq user=postdesk
 *   argv=/usr/bin/postdesk deliver -f ${sender} -a ${client_address}
 *        -h ${client_helo} -- ${recipient}
 * with postdesk_destination_recipient_limit = 1 so each recipient gets its
 * own exit status.
 *
 * The message goes through the same pipeline as LMTP.  Exit 0 only after
 * COMMIT (or for a duplicate of a committed message).  Exit codes follow
 * sysexits(3) as pipe(8) reads them:
 *   75 EX_TEMPFAIL  anything transient: database down, configuration or
 *                   arguments unreadable (a master.cf typo defers mail, it
 *                   does not bounce it), stdin read error
 *   67 EX_NOUSER    a recipient no queue has
 *   65 EX_DATAERR   a policy refusal, the message too big (max_message_size)
 * With several recipients, any transient failure makes the whole call 75
 * (Postfix retries them all; the idempotency key turns the ones already
 * stored into duplicates).  The one line on stderr starts with an enhanced
 * status code ("5.3.4 ...", "4.3.0 ..."), which pipe(8) puts in the bounce
 * or defer reason in preference to the exit code's default text.  The
 * per-message log line goes to syslog (mail facility), never to stderr.
 */
#include "pd-cli.h"
#include "settings/pd-settings.h"
#include "core/pd-log.h"
#include "pipeline/pd-pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DELIVER_USAGE "deliver [-f SENDER] [-a CLIENT_ADDRESS] [-n CLIENT_NAME] " \
	"[-h HELO] [--] RECIPIENT..."

static int
deliver_fail(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The one-line reason, "D.D.D text" first so pipe(8) uses it. */
static int
deliver_fail(int code, const char *fmt, ...)
{
	va_list args;
	g_autofree char *text = NULL;

	va_start(args, fmt);
	text = g_strdup_vprintf(fmt, args);
	va_end(args);
	for (char *p = text; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s\n", text);
	return code;
}

/* stdin, at most max bytes; *too_big_r when there was more (then drained,
 * so the MTA sees the whole message taken and reads our exit code). */
static GBytes *
deliver_read_stdin(gsize max, gboolean *too_big_r, GError **error)
{
	g_autoptr(GByteArray) data = g_byte_array_new();
	char buf[65536];

	*too_big_r = FALSE;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "reading the message: %s",
				    g_strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		if (*too_big_r)
			continue;
		if (data->len + (gsize)n > max) {
			*too_big_r = TRUE;
			g_byte_array_set_size(data, 0);
			continue;
		}
		g_byte_array_append(data, (const guint8 *)buf, n);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

static char *
deliver_sender(const char *text)
{
	gsize len = strlen(text);

	if (len >= 2 && text[0] == '<' && text[len - 1] == '>')
		return g_strndup(text + 1, len - 2);
	return g_strdup(text);
}

/* Parse the arguments into envelope; FALSE after printing why. */
static gboolean
deliver_parse_args(int argc, char **argv, PdEnvelope *envelope)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *opt = argv[i];
		char **field = NULL;

		if (strcmp(opt, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(opt, "-f") == 0)
			field = &envelope->mail_from;
		else if (strcmp(opt, "-a") == 0)
			field = &envelope->client_address;
		else if (strcmp(opt, "-n") == 0)
			field = &envelope->client_name;
		else if (strcmp(opt, "-h") == 0)
			field = &envelope->client_helo;
		if (field == NULL || i + 1 >= argc) {
			deliver_fail(PD_EX_TEMPFAIL, "4.3.5 postdesk deliver: %s %s; usage: "
				     "postdesk " DELIVER_USAGE, field == NULL ?
				     "unknown option" : "missing value after", opt);
			return FALSE;
		}
		g_free(*field);
		*field = field == &envelope->mail_from ? deliver_sender(argv[++i])
							: g_strdup(argv[++i]);
	}
	for (; i < argc; i++)
		pd_envelope_add_recipient(envelope, argv[i]);
	if (envelope->recipients->len == 0) {
		deliver_fail(PD_EX_TEMPFAIL, "4.3.5 postdesk deliver: no recipient; usage: "
			     "postdesk " DELIVER_USAGE);
		return FALSE;
	}
	/* Postfix passes "unknown" when it does not know a client field. */
	if (g_strcmp0(envelope->client_address, "unknown") == 0 ||
	    g_strcmp0(envelope->client_address, "") == 0)
		g_clear_pointer(&envelope->client_address, g_free);
	if (g_strcmp0(envelope->client_name, "unknown") == 0)
		g_clear_pointer(&envelope->client_name, g_free);
	if (envelope->client_address != NULL &&
	    g_str_has_prefix(envelope->client_address, "IPv6:")) {
		char *bare = g_strdup(envelope->client_address + 5);

		g_free(envelope->client_address);
		envelope->client_address = bare;
	}
	if (envelope->mail_from == NULL)
		envelope->mail_from = g_strdup("");
	return TRUE;
}

/* 75 if any recipient failed transiently, else the first permanent
 * failure's code, else 0; prints the deciding reason. */
static int
deliver_exit(const PdEnvelope *envelope, PdRecipientOutcome *outcomes)
{
	int worst = -1;
	int code = PD_EX_OK;

	for (guint i = 0; i < envelope->recipients->len; i++) {
		int rc = pd_error_to_sysexit(outcomes[i].error);

		if (rc == PD_EX_OK)
			continue;
		if (worst < 0 || (rc == PD_EX_TEMPFAIL && code != PD_EX_TEMPFAIL)) {
			worst = i;
			code = rc;
		}
	}
	if (worst >= 0) {
		g_autofree char *reply = pd_recipient_outcome_reply(&outcomes[worst]);
		const char *text = strlen(reply) > 4 ? reply + 4 : reply;
		const char *space = strchr(text, ' ');

		/* "451 4.3.0 text" -> "4.3.0 <rcpt>: text" */
		deliver_fail(code, "%.*s <%s>: %s", space != NULL ? (int)(space - text) : 0,
			     text, (char *)envelope->recipients->pdata[worst],
			     space != NULL ? space + 1 : text);
	}
	return code;
}

int
pd_cmd_deliver(PdCli *cli, int argc, char **argv)
{
	g_autoptr(PdEnvelope) envelope = pd_envelope_new("pipe");
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autofree PdRecipientOutcome *outcomes = NULL;
	PdStorePool *pool;
	PdPipeline *pipeline;
	gboolean too_big;
	int rc;

	pd_log_init("postdesk", PD_LOG_SYSLOG, g_getenv("POSTDESK_DEBUG") != NULL);
	if (!deliver_parse_args(argc, argv, envelope))
		return PD_EX_TEMPFAIL;
	config = pd_config_load(cli->config_path, pd_settings_tables, &error);
	if (config == NULL)
		return deliver_fail(PD_EX_TEMPFAIL, "4.3.5 postdesk deliver: %s", error->message);
	raw = deliver_read_stdin(config->max_message_size, &too_big, &error);
	if (raw == NULL)
		return deliver_fail(PD_EX_TEMPFAIL, "4.3.0 postdesk deliver: %s", error->message);
	if (too_big)
		return deliver_fail(PD_EX_DATAERR, "5.3.4 Message too big for system "
				    "(more than %zu bytes)", config->max_message_size);

	pool = pd_store_pool_new(config->conninfo, 1);
	pd_store_pool_set_timeout(pool, config->db_timeout);
	pipeline = pd_pipeline_new(config, pool);
	outcomes = g_new0(PdRecipientOutcome, envelope->recipients->len);
	pd_pipeline_deliver(pipeline, envelope, raw, outcomes);
	rc = deliver_exit(envelope, outcomes);
	for (guint i = 0; i < envelope->recipients->len; i++)
		pd_recipient_outcome_clear(&outcomes[i]);
	pd_pipeline_free(pipeline);
	pd_store_pool_free(pool);
	return rc;
}
