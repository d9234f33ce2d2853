/* postdesk test: what the pipeline decides for a message, nothing stored.
 *
 *   postdesk test [--json] [--from SENDER] [--to RECIPIENT]...
 *                 [--client ADDRESS] [--helo NAME] FILE|-
 *
 * Every parsed field, the queue, the idempotency key and the threading
 * decision per recipient (the --to addresses, or else the To/Cc addresses
 * that a queue has).  The database is consulted read-only when it can be
 * reached; otherwise threading is "unknown (no database)".  --json prints
 * one JSON object (its members: lib/pipeline/pd-pipeline.h).  Sender
 * authentication runs as in delivery ([auth]; DNS is queried unless a
 * zone_file is set); --client and --helo stand for XFORWARD ADDR and HELO.
 */
#include "pd-cli.h"
#include "pipeline/pd-pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TEST_USAGE "test [--json] [--from SENDER] [--to RECIPIENT]... " \
	"[--client ADDRESS] [--helo NAME] FILE|-"

static GBytes *
test_read(const char *path, GError **error)
{
	g_autoptr(GByteArray) data = NULL;
	char buf[65536];
	char *contents;
	gsize len;

	if (strcmp(path, "-") != 0) {
		if (!g_file_get_contents(path, &contents, &len, error))
			return NULL;
		return g_bytes_new_take(contents, len);
	}
	data = g_byte_array_new();
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "reading stdin: %s",
				    g_strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		g_byte_array_append(data, (const guint8 *)buf, n);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

int
pd_cmd_test(PdCli *cli, int argc, char **argv)
{
	g_autoptr(PdEnvelope) envelope = pd_envelope_new("test");
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(PdStore) store = NULL;
	g_autofree char *report = NULL;
	const char *path = NULL;
	gboolean as_json = FALSE;
	PdConfig *config;
	int rc = PD_EX_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			as_json = TRUE;
		} else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
			g_free(envelope->mail_from);
			envelope->mail_from = g_strdup(argv[++i]);
		} else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
			pd_envelope_add_recipient(envelope, argv[++i]);
		} else if (strcmp(argv[i], "--client") == 0 && i + 1 < argc) {
			g_free(envelope->client_address);
			envelope->client_address = g_strdup(argv[++i]);
		} else if (strcmp(argv[i], "--helo") == 0 && i + 1 < argc) {
			g_free(envelope->client_helo);
			envelope->client_helo = g_strdup(argv[++i]);
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return pd_cli_usage(TEST_USAGE, "unknown option or missing value: %s",
					    argv[i]);
		} else if (path != NULL) {
			return pd_cli_usage(TEST_USAGE, "one message at a time");
		} else {
			path = argv[i];
		}
	}
	if (path == NULL)
		return pd_cli_usage(TEST_USAGE, "which message? (a file, or - for stdin)");
	config = pd_cli_config(cli, &rc);
	if (config == NULL)
		return rc;
	raw = test_read(path, &error);
	if (raw == NULL) {
		fprintf(stderr, "postdesk test: %s\n", error->message);
		return PD_EX_NOINPUT;
	}
	if (g_bytes_get_size(raw) > config->max_message_size) {
		fprintf(stderr, "postdesk test: %zu bytes: larger than max_message_size (%zu); "
			"delivery would answer 552 5.3.4\n", g_bytes_get_size(raw),
			config->max_message_size);
		return PD_EX_DATAERR;
	}
	/* Threading needs the database; without it the rest is still told. */
	store = pd_store_connect(config->conninfo, NULL);
	report = pd_pipeline_explain(config, store, envelope, raw, as_json, &error);
	if (report == NULL)
		return pd_cli_fail(error);
	fputs(report, stdout);
	return PD_EX_OK;
}
