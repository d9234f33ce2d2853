/* pd-bench: push a mail stream over LMTP with C concurrent sessions and
 * measure what each message costs.
 *
 *   pd-bench [-H HOST] -p PORT [-c SESSIONS] [-r RATE] [-o LATENCIES] [-s] INDEX
 *
 * INDEX is gen-stream.py's index.tsv ("file<TAB>mail-from<TAB>rcpt-to"),
 * files relative to its folder.  Every message is loaded, dot-stuffed and
 * given CRLF line ends before the clock starts.  Each session connects once,
 * says LHLO, then takes the next message of the stream until none is left:
 * MAIL, RCPT, DATA (pipelined in one write when the server offers
 * PIPELINING, as Postfix's lmtp client does), the content with its
 * final dot in one write (as from Postfix's buffered stream; -s sends the
 * dot as a separate 3-byte write instead, as unbuffered clients do, to
 * measure the server's delayed-ACK behaviour), and the one
 * reply for the one recipient.  A message's latency runs from the MAIL
 * command to that final reply.  With -r RATE the stream is paced (an open
 * loop): message i is due RATE-th of a second times i after the start, a
 * session waits until its next message is due, and the latency runs from
 * the time it was due, so a server that falls behind shows its queueing in
 * the percentiles (no coordinated omission); give enough sessions (-c) for
 * the rate, a message is never sent early.  Prints one summary line of key=value pairs
 * (messages ok failed sessions paced seconds rate p50_ms p90_ms p99_ms max_ms
 * mbytes; paced is -r's rate, 0 without it;
 * percentiles over the delivered messages) and,
 * with -o, a line per message in stream order: latency in microseconds and
 * 1 if delivered, 0 if not.
 *
 * A benchmark tool, not part of the daemon: no ticket knowledge, no SQL; it
 * only trusts what the server answers.  Exit 0 when every message got a
 * 2xx reply, 1 otherwise, 64 on bad usage.
 */
#include <gio/gio.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define BENCH_IO_TIMEOUT 120	/* seconds: a reply slower than this is a failure */
#define BENCH_MAX_REPLY 65536

typedef struct {
	char *mail_from;
	char *rcpt_to;
	GBytes *wire;		/* dot-stuffed, CRLF, ending in CRLF "." CRLF */
	gint64 latency_us;	/* -1 until tried */
	gboolean ok;
} BenchMessage;

typedef struct {
	const char *host;
	const char *port;
	GPtrArray *messages;	/* BenchMessage * */
	gint next;		/* atomic: index of the next message to send */
	gint failures;		/* atomic */
	gint failures_shown;	/* atomic */
	gboolean split_dot;	/* -s */
	double paced;		/* -r: messages per second, 0 for as fast as possible */
	gint64 start_us;	/* monotonic clock at the start of the run */
} BenchRun;

typedef struct {
	int fd;
	GString *in;		/* bytes read, not yet consumed */
	gboolean pipelining;
	gboolean split_dot;	/* -s: the final ".\r\n" in a write of its own */
} BenchConn;

static void
bench_message_free(gpointer data)
{
	BenchMessage *message = data;

	g_free(message->mail_from);
	g_free(message->rcpt_to);
	g_bytes_unref(message->wire);
	g_free(message);
}

/* The message as it goes on the wire after DATA: CRLF line ends, a dot
 * doubled at the start of a line, a final CRLF, and the terminating
 * ".\r\n" in the same buffer.  Postfix's lmtp client writes through a
 * buffered stream, so the end of the content and the dot leave in one
 * write; sending the dot as a separate small write instead lets Nagle hold
 * it until the server's delayed ACK (about 40 ms on Linux), which measures
 * the client, not the server. */
static GBytes *
bench_wire_format(const char *data, gsize len)
{
	GString *out = g_string_sized_new(len + len / 50 + 8);
	gboolean line_start = TRUE;

	for (gsize i = 0; i < len; i++) {
		char c = data[i];

		if (line_start && c == '.')
			g_string_append_c(out, '.');
		if (c == '\n' && (i == 0 || data[i - 1] != '\r'))
			g_string_append_c(out, '\r');
		g_string_append_c(out, c);
		line_start = (c == '\n');
	}
	if (!line_start)
		g_string_append(out, "\r\n");
	g_string_append(out, ".\r\n");
	return g_string_free_to_bytes(out);
}

static gboolean
bench_load(const char *index_path, GPtrArray *messages, GError **error)
{
	g_autofree char *text = NULL;
	g_autofree char *dir = g_path_get_dirname(index_path);
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(index_path, &text, NULL, error))
		return FALSE;
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = NULL;
		g_autofree char *path = NULL;
		g_autofree char *data = NULL;
		gsize len;
		BenchMessage *message;

		if (*lines[i] == '\0')
			continue;
		fields = g_strsplit(lines[i], "\t", 3);
		if (g_strv_length(fields) != 3) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s:%u: want file<TAB>from<TAB>to", index_path, i + 1);
			return FALSE;
		}
		path = g_build_filename(dir, fields[0], NULL);
		if (!g_file_get_contents(path, &data, &len, error))
			return FALSE;
		message = g_new0(BenchMessage, 1);
		message->mail_from = g_strdup(fields[1]);
		message->rcpt_to = g_strdup(fields[2]);
		message->wire = bench_wire_format(data, len);
		message->latency_us = -1;
		g_ptr_array_add(messages, message);
	}
	if (messages->len == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no messages", index_path);
		return FALSE;
	}
	return TRUE;
}

static gboolean
bench_send(BenchConn *conn, const char *data, gsize len, GError **error)
{
	while (len > 0) {
		ssize_t n = send(conn->fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
				    "send: %s", g_strerror(errno));
			return FALSE;
		}
		data += n;
		len -= n;
	}
	return TRUE;
}

/* One whole reply (continuation lines "250-" joined); its code, 0 on error. */
static guint
bench_reply(BenchConn *conn, GString *reply_r, GError **error)
{
	g_string_truncate(reply_r, 0);
	for (;;) {
		char *eol = memchr(conn->in->str, '\n', conn->in->len);

		if (eol != NULL) {
			gsize line_len = eol - conn->in->str + 1;
			gboolean last = line_len < 5 || conn->in->str[3] != '-';

			g_string_append_len(reply_r, conn->in->str, line_len);
			g_string_erase(conn->in, 0, line_len);
			if (last)
				return (guint)g_ascii_strtoull(reply_r->str +
							       (reply_r->len - line_len),
							       NULL, 10);
			continue;
		}
		if (conn->in->len > BENCH_MAX_REPLY) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "reply line too long");
			return 0;
		}
		{
			char buf[4096];
			ssize_t n = recv(conn->fd, buf, sizeof(buf), 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "recv: %s",
					    n == 0 ? "connection closed" : g_strerror(errno));
				return 0;
			}
			g_string_append_len(conn->in, buf, n);
		}
	}
}

static gboolean
bench_connect(BenchRun *run, BenchConn *conn, GError **error)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	struct timeval tv = { BENCH_IO_TIMEOUT, 0 };
	g_autoptr(GString) reply = g_string_new(NULL);
	int rc;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(run->host, run->port, &hints, &res);
	if (rc != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s:%s: %s",
			    run->host, run->port, gai_strerror(rc));
		return FALSE;
	}
	conn->fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (conn->fd < 0 || connect(conn->fd, res->ai_addr, res->ai_addrlen) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "connect %s:%s: %s",
			    run->host, run->port, g_strerror(errno));
		freeaddrinfo(res);
		return FALSE;
	}
	freeaddrinfo(res);
	setsockopt(conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(conn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	conn->in = g_string_new(NULL);
	if (bench_reply(conn, reply, error) != 220)
		goto refused;
	if (!bench_send(conn, "LHLO bench.test\r\n", 17, error))
		return FALSE;
	if (bench_reply(conn, reply, error) != 250)
		goto refused;
	conn->pipelining = strstr(reply->str, "PIPELINING") != NULL;
	return TRUE;
refused:
	if (error != NULL && *error == NULL)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "refused: %s", reply->str);
	return FALSE;
}

static void
bench_disconnect(BenchConn *conn)
{
	if (conn->fd >= 0) {
		(void)bench_send(conn, "QUIT\r\n", 6, NULL);
		close(conn->fd);
	}
	conn->fd = -1;
	if (conn->in != NULL)
		g_string_free(conn->in, TRUE);
	conn->in = NULL;
}

static void
bench_failure(BenchRun *run, const BenchMessage *message, const char *what)
{
	g_autofree char *text = g_strchomp(g_strdup(what));

	g_atomic_int_inc(&run->failures);
	if (g_atomic_int_add(&run->failures_shown, 1) < 10)
		g_printerr("pd-bench: <%s> to <%s>: %s\n", message->mail_from,
			   message->rcpt_to, text);
}

/* One transaction; FALSE if the connection is no longer usable. */
static gboolean
bench_transaction(BenchConn *conn, BenchMessage *message, GString *reply, GError **error)
{
	g_autofree char *mail = g_strdup_printf("MAIL FROM:<%s>\r\n", message->mail_from);
	g_autofree char *rcpt = g_strdup_printf("RCPT TO:<%s>\r\n", message->rcpt_to);
	gsize len;
	const char *data = g_bytes_get_data(message->wire, &len);
	const char *step = "MAIL";
	guint code;

	if (conn->pipelining) {
		g_autofree char *all = g_strconcat(mail, rcpt, "DATA\r\n", NULL);

		if (!bench_send(conn, all, strlen(all), error))
			return FALSE;
		if ((code = bench_reply(conn, reply, error)) != 250)
			goto refused;
		step = "RCPT";
		if ((code = bench_reply(conn, reply, error)) != 250)
			goto refused;
		step = "DATA";
		if ((code = bench_reply(conn, reply, error)) != 354)
			goto refused;
	} else {
		if (!bench_send(conn, mail, strlen(mail), error))
			return FALSE;
		if ((code = bench_reply(conn, reply, error)) != 250)
			goto refused;
		step = "RCPT";
		if (!bench_send(conn, rcpt, strlen(rcpt), error))
			return FALSE;
		if ((code = bench_reply(conn, reply, error)) != 250)
			goto refused;
		step = "DATA";
		if (!bench_send(conn, "DATA\r\n", 6, error))
			return FALSE;
		if ((code = bench_reply(conn, reply, error)) != 354)
			goto refused;
	}
	step = "end of data";
	if (conn->split_dot) {
		if (!bench_send(conn, data, len - 3, error) || !bench_send(conn, ".\r\n", 3, error))
			return FALSE;
	} else if (!bench_send(conn, data, len, error))
		return FALSE;
	code = bench_reply(conn, reply, error);
	if (code / 100 != 2)
		goto refused;
	message->ok = TRUE;
	return TRUE;
refused:
	if (code == 0)
		return FALSE;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", step, reply->str);
	/* A pipelined refusal leaves replies in flight: start over cleanly. */
	return FALSE;
}

static gpointer
bench_session(gpointer user_data)
{
	BenchRun *run = user_data;
	BenchConn conn = { .fd = -1, .split_dot = run->split_dot };
	g_autoptr(GString) reply = g_string_new(NULL);

	for (;;) {
		gint slot = g_atomic_int_add(&run->next, 1);
		BenchMessage *message;
		g_autoptr(GError) error = NULL;
		gint64 start;

		if (slot >= (gint)run->messages->len)
			break;
		message = run->messages->pdata[slot];
		start = g_get_monotonic_time();
		if (run->paced > 0) {
			gint64 due = run->start_us + (gint64)(slot * 1e6 / run->paced);

			if (due > start)
				g_usleep(due - start);
			start = due;
		}
		if (conn.fd < 0 && !bench_connect(run, &conn, &error)) {
			bench_failure(run, message, error->message);
			bench_disconnect(&conn);
		} else if (!bench_transaction(&conn, message, reply, &error)) {
			bench_failure(run, message, error != NULL ? error->message : "failed");
			bench_disconnect(&conn);
		}
		message->latency_us = g_get_monotonic_time() - start;
	}
	bench_disconnect(&conn);
	return NULL;
}

static int
bench_compare_gint64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

static double
bench_percentile_ms(const gint64 *sorted, guint n, double p)
{
	guint i = (guint)(p * (n - 1) + 0.5);

	return n == 0 ? 0.0 : sorted[MIN(i, n - 1)] / 1000.0;
}

int
main(int argc, char **argv)
{
	BenchRun run = { .host = "127.0.0.1" };
	int sessions = 4, opt;
	const char *latency_path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) threads = g_ptr_array_new();
	g_autofree gint64 *sorted = NULL;
	gint64 start, elapsed;
	guint n, ok = 0;
	double mbytes = 0;

	while ((opt = getopt(argc, argv, "H:p:c:r:o:s")) != -1) {
		switch (opt) {
		case 'H': run.host = optarg; break;
		case 'p': run.port = optarg; break;
		case 'c': sessions = atoi(optarg); break;
		case 'r': run.paced = g_ascii_strtod(optarg, NULL); break;
		case 'o': latency_path = optarg; break;
		case 's': run.split_dot = TRUE; break;
		default: goto usage;
		}
	}
	if (run.port == NULL || optind != argc - 1 || sessions < 1 || sessions > 1000
	    || run.paced < 0 || run.paced > 1e6)
		goto usage;
	run.messages = g_ptr_array_new_with_free_func(bench_message_free);
	if (!bench_load(argv[optind], run.messages, &error)) {
		g_printerr("pd-bench: %s\n", error->message);
		return 1;
	}
	n = run.messages->len;
	for (guint i = 0; i < n; i++)
		mbytes += g_bytes_get_size(((BenchMessage *)run.messages->pdata[i])->wire) / 1e6;

	start = run.start_us = g_get_monotonic_time();
	for (int i = 0; i < sessions; i++)
		g_ptr_array_add(threads, g_thread_new("session", bench_session, &run));
	for (guint i = 0; i < threads->len; i++)
		g_thread_join(threads->pdata[i]);
	elapsed = MAX(g_get_monotonic_time() - start, 1);

	/* Percentiles over the delivered messages: a failure's time means nothing. */
	sorted = g_new(gint64, n);
	for (guint i = 0; i < n; i++) {
		BenchMessage *message = run.messages->pdata[i];

		if (message->ok)
			sorted[ok++] = message->latency_us;
	}
	if (latency_path != NULL) {
		g_autoptr(GString) out = g_string_new(NULL);

		for (guint i = 0; i < n; i++) {
			BenchMessage *message = run.messages->pdata[i];

			g_string_append_printf(out, "%" G_GINT64_FORMAT " %d\n",
					       message->latency_us, message->ok);
		}
		if (!g_file_set_contents(latency_path, out->str, out->len, &error)) {
			g_printerr("pd-bench: %s\n", error->message);
			return 1;
		}
	}
	qsort(sorted, ok, sizeof(*sorted), bench_compare_gint64);
	printf("messages=%u ok=%u failed=%u sessions=%d paced=%.1f seconds=%.3f rate=%.1f "
	       "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mbytes=%.1f\n",
	       n, ok, n - ok, sessions, run.paced, elapsed / 1e6, ok / (elapsed / 1e6),
	       bench_percentile_ms(sorted, ok, 0.50), bench_percentile_ms(sorted, ok, 0.90),
	       bench_percentile_ms(sorted, ok, 0.99), bench_percentile_ms(sorted, ok, 1.0),
	       mbytes);
	g_ptr_array_unref(run.messages);
	return ok == n ? 0 : 1;
usage:
	g_printerr("usage: pd-bench [-H HOST] -p PORT [-c SESSIONS] [-r RATE] [-o LATENCIES] [-s] INDEX\n");
	return 64;
}
