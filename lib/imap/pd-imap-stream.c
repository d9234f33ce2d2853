/* pd-imap-stream: socket, TLS and timeouts under libetpan (see the header). */
#define _GNU_SOURCE 1	/* getaddrinfo_a */
#include "imap/pd-imap-stream.h"
#include "core/pd-error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct _PdImapStream {
	int fd;			/* -1: memory stream */
	int cancel_fd;		/* -1: none */
	char *host;
	char *ca_file;
	SSL_CTX *ctx;
	SSL *ssl;
	guint timeout_ms;	/* one wait */
	gint64 deadline;	/* monotonic usec, 0: none */
	guint64 budget;		/* bytes the current command may still read */
	char *error;
	/* memory stream */
	const guint8 *data;
	gsize len, pos;
};

static void
stream_fail(PdImapStream *st, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
stream_fail(PdImapStream *st, const char *format, ...)
{
	va_list args;

	g_free(st->error);
	va_start(args, format);
	st->error = g_strdup_vprintf(format, args);
	va_end(args);
}

/* Wait until fd is ready for events; FALSE (error set) on timeout,
 * deadline, cancel or a poll error. */
static gboolean
stream_wait(PdImapStream *st, short events)
{
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = st->fd, .events = events },
			{ .fd = st->cancel_fd, .events = POLLIN },
		};
		int timeout = (int)st->timeout_ms;
		gboolean by_deadline = FALSE;
		int n;

		if (st->deadline != 0) {
			gint64 left = (st->deadline - g_get_monotonic_time()) / 1000;

			if (left < timeout) {
				timeout = left > 0 ? (int)left : 0;
				by_deadline = TRUE;
			}
		}
		n = poll(fds, st->cancel_fd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			stream_fail(st, "poll: %s", g_strerror(errno));
			return FALSE;
		}
		if (st->cancel_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
			stream_fail(st, "shutting down");
			return FALSE;
		}
		if (n == 0) {
			if (by_deadline)
				stream_fail(st, "the command took too long (server too slow)");
			else
				stream_fail(st, "no answer within %u s", st->timeout_ms / 1000);
			return FALSE;
		}
		return TRUE;
	}
}

static void
stream_tls_error(PdImapStream *st, const char *what, int ret)
{
	unsigned long e = ERR_get_error();
	char text[256];
	long verify;

	if (st->ssl != NULL && (verify = SSL_get_verify_result(st->ssl)) != X509_V_OK) {
		stream_fail(st, "%s: the certificate of %s is not trusted: %s", what, st->host,
			    X509_verify_cert_error_string(verify));
		return;
	}
	if (e != 0) {
		ERR_error_string_n(e, text, sizeof text);
		stream_fail(st, "%s: %s", what, text);
	} else if (ret == 0 || errno == 0) {
		stream_fail(st, "%s: connection closed by the server", what);
	} else {
		stream_fail(st, "%s: %s", what, g_strerror(errno));
	}
	ERR_clear_error();
}

/* Wait as OpenSSL asks after ret; FALSE (error set) for anything else. */
static gboolean
stream_tls_retry(PdImapStream *st, const char *what, int ret)
{
	switch (SSL_get_error(st->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return stream_wait(st, POLLIN);
	case SSL_ERROR_WANT_WRITE:
		return stream_wait(st, POLLOUT);
	case SSL_ERROR_ZERO_RETURN:
		stream_fail(st, "connection closed by the server");
		return FALSE;
	default:
		stream_tls_error(st, what, ret);
		return FALSE;
	}
}

static ssize_t
stream_read(mailstream_low *low, void *buf, size_t count)
{
	PdImapStream *st = low->data;

	if (count == 0)
		return 0;
	if (st->budget == 0) {
		stream_fail(st, "the server sent more than this command may take");
		return -1;
	}
	if (count > st->budget)
		count = st->budget;
	if (st->fd < 0) {
		gsize n = MIN(count, st->len - st->pos);

		if (n == 0) {
			stream_fail(st, "connection closed by the server");
			return -1;
		}
		memcpy(buf, st->data + st->pos, n);
		st->pos += n;
		st->budget -= n;
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t n;

		if (st->ssl != NULL) {
			int r = SSL_read(st->ssl, buf, (int)MIN(count, (size_t)G_MAXINT));

			if (r > 0) {
				st->budget -= (guint64)r;
				return r;
			}
			if (!stream_tls_retry(st, "TLS read", r))
				return -1;
			continue;
		}
		n = recv(st->fd, buf, count, 0);
		if (n > 0) {
			st->budget -= (guint64)n;
			return n;
		}
		if (n == 0) {
			stream_fail(st, "connection closed by the server");
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			stream_fail(st, "read: %s", g_strerror(errno));
			return -1;
		}
		if (!stream_wait(st, POLLIN))
			return -1;
	}
}

static ssize_t
stream_write(mailstream_low *low, const void *buf, size_t count)
{
	PdImapStream *st = low->data;

	if (st->fd < 0)
		return (ssize_t)count;
	for (;;) {
		ssize_t n;

		if (st->ssl != NULL) {
			int r = SSL_write(st->ssl, buf, (int)MIN(count, (size_t)G_MAXINT));

			if (r > 0)
				return r;
			if (!stream_tls_retry(st, "TLS write", r))
				return -1;
			continue;
		}
		n = send(st->fd, buf, count, MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			stream_fail(st, "write: %s", g_strerror(errno));
			return -1;
		}
		if (!stream_wait(st, POLLOUT))
			return -1;
	}
}

static int
stream_close(mailstream_low *low)
{
	PdImapStream *st = low->data;

	if (st->ssl != NULL)
		SSL_shutdown(st->ssl);	/* our close_notify; never waits for theirs */
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	return 0;
}

static int
stream_get_fd(mailstream_low *low)
{
	return ((PdImapStream *)low->data)->fd;
}

static void
stream_free(mailstream_low *low)
{
	PdImapStream *st = low->data;

	if (st->fd >= 0)
		close(st->fd);
	if (st->ssl != NULL)
		SSL_free(st->ssl);
	if (st->ctx != NULL)
		SSL_CTX_free(st->ctx);
	g_free(st->host);
	g_free(st->ca_file);
	g_free(st->error);
	g_free(st);
	free(low);
}

static void
stream_cancel(mailstream_low *low)
{
	(void)low;
}

static struct mailstream_cancel *
stream_get_cancel(mailstream_low *low)
{
	(void)low;
	return NULL;
}

static mailstream_low_driver stream_driver = {
	.mailstream_read = stream_read,
	.mailstream_write = stream_write,
	.mailstream_close = stream_close,
	.mailstream_get_fd = stream_get_fd,
	.mailstream_free = stream_free,
	.mailstream_cancel = stream_cancel,
	.mailstream_get_cancel = stream_get_cancel,
};

static PdImapStream *
stream_new(mailstream_low **low_r)
{
	PdImapStream *st = g_new0(PdImapStream, 1);

	st->fd = -1;
	st->cancel_fd = -1;
	st->budget = G_MAXUINT64;
	st->timeout_ms = 60000;
	*low_r = mailstream_low_new(st, &stream_driver);
	g_assert(*low_r != NULL);
	return st;
}

static int
stream_connect_one(PdImapStream *st, const struct addrinfo *ai, GString *why)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	int err = 0;
	socklen_t len = sizeof err;

	if (fd < 0) {
		g_string_append_printf(why, "%ssocket: %s", why->len ? "; " : "", g_strerror(errno));
		return -1;
	}
	st->fd = fd;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
		} else if (!stream_wait(st, POLLOUT)) {
			g_string_append_printf(why, "%s%s", why->len ? "; " : "", st->error);
			goto fail;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
			err = errno;
		}
	}
	if (err == 0)
		return fd;
	g_string_append_printf(why, "%s%s", why->len ? "; " : "", g_strerror(err));
fail:
	close(fd);
	st->fd = -1;
	return -1;
}

static gboolean
stream_handshake(PdImapStream *st, GError **error)
{
	unsigned char probe[16];
	int r;

	st->ctx = SSL_CTX_new(TLS_client_method());
	if (st->ctx == NULL)
		goto tls_error;
	SSL_CTX_set_min_proto_version(st->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(st->ctx, SSL_VERIFY_PEER, NULL);
	if (st->ca_file != NULL ? SSL_CTX_load_verify_locations(st->ctx, st->ca_file, NULL) != 1
				: SSL_CTX_set_default_verify_paths(st->ctx) != 1) {
		stream_tls_error(st, st->ca_file != NULL ? st->ca_file : "the system's CAs", 0);
		goto fail;
	}
	st->ssl = SSL_new(st->ctx);
	if (st->ssl == NULL || SSL_set_fd(st->ssl, st->fd) != 1)
		goto tls_error;
	/* an address is checked against the certificate's IP names, a name
	 * against its DNS names (and sent as SNI) */
	if (inet_pton(AF_INET, st->host, probe) == 1 || inet_pton(AF_INET6, st->host, probe) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(st->ssl), st->host) != 1)
			goto tls_error;
	} else if (SSL_set1_host(st->ssl, st->host) != 1 ||
		   SSL_set_tlsext_host_name(st->ssl, st->host) != 1) {
		goto tls_error;
	}
	for (;;) {
		r = SSL_connect(st->ssl);
		if (r == 1)
			return TRUE;
		errno = 0;
		if (!stream_tls_retry(st, "TLS handshake", r))
			goto fail;
	}
tls_error:
	stream_tls_error(st, "TLS setup", 0);
fail:
	g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: %s", st->host, st->error);
	return FALSE;
}

/* getaddrinfo within timeout seconds (glibc's getaddrinfo_a): a DNS
 * lookup is a network wait too.  A lookup that cannot be cancelled keeps
 * its request, which is then leaked on purpose (glibc still writes it). */
static int
stream_resolve(const char *host, const char *service, const struct addrinfo *hints,
	       guint timeout, struct addrinfo **list_r)
{
	struct gaicb *req = g_new0(struct gaicb, 1);
	struct gaicb *list[1] = { req };
	gint64 end = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
	char *name = g_strdup(host), *serv = g_strdup(service);
	struct addrinfo *request = g_new(struct addrinfo, 1);
	int r;

	*request = *hints;
	req->ar_name = name;
	req->ar_service = serv;
	req->ar_request = request;
	r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (r != 0)
		goto done;
	for (;;) {
		gint64 left = end - g_get_monotonic_time();
		struct timespec ts = { .tv_sec = left / G_USEC_PER_SEC,
				       .tv_nsec = (left % G_USEC_PER_SEC) * 1000 };

		r = gai_error(req);
		if (r != EAI_INPROGRESS || left <= 0)
			break;
		gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (r == EAI_INPROGRESS) {
		if (gai_cancel(req) != EAI_CANCELED)
			return EAI_AGAIN;	/* still running: req stays glibc's */
		r = EAI_AGAIN;
	}
	if (r == 0)
		*list_r = req->ar_result;
done:
	g_free(name);
	g_free(serv);
	g_free(request);
	g_free(req);
	return r;
}

PdImapStream *
pd_imap_stream_connect(const char *host, guint port, PdImapStreamMode mode, const char *ca_file,
		       guint timeout, int cancel_fd, mailstream_low **low_r, GError **error)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *list = NULL;
	g_autoptr(GString) why = g_string_new(NULL);
	g_autofree char *service = g_strdup_printf("%u", port);
	mailstream_low *low = NULL;
	PdImapStream *st;
	int r;

	r = stream_resolve(host, service, &hints, timeout, &list);
	if (r != 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: %s", host,
			    r == EAI_AGAIN ? "no answer from DNS in time" : gai_strerror(r));
		return NULL;
	}
	st = stream_new(&low);
	st->host = g_strdup(host);
	st->ca_file = g_strdup(ca_file);
	st->cancel_fd = cancel_fd;
	st->timeout_ms = timeout * 1000;
	for (const struct addrinfo *ai = list; ai != NULL && st->fd < 0; ai = ai->ai_next)
		stream_connect_one(st, ai, why);
	freeaddrinfo(list);
	if (st->fd < 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s:%u: %s", host, port,
			    why->len ? why->str : "no address");
		mailstream_low_free(low);
		return NULL;
	}
	if (mode == PD_IMAP_STREAM_TLS && !stream_handshake(st, error)) {
		mailstream_low_free(low);
		return NULL;
	}
	*low_r = low;
	return st;
}

gboolean
pd_imap_stream_starttls(PdImapStream *st, GError **error)
{
	g_return_val_if_fail(st->ssl == NULL, FALSE);
	if (st->fd < 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "no connection for STARTTLS");
		return FALSE;
	}
	return stream_handshake(st, error);
}

PdImapStream *
pd_imap_stream_new_memory(const guint8 *data, gsize len, mailstream_low **low_r)
{
	PdImapStream *st = stream_new(low_r);

	st->host = g_strdup("memory");
	st->data = data;
	st->len = len;
	return st;
}

void
pd_imap_stream_begin(PdImapStream *st, guint seconds, guint64 budget)
{
	st->deadline = seconds != 0 ? g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC
				    : 0;
	st->budget = budget;
	g_clear_pointer(&st->error, g_free);
}

const char *
pd_imap_stream_error(PdImapStream *st)
{
	return st->error;
}

int
pd_imap_stream_wait_readable(PdImapStream *st, guint ms)
{
	guint saved = st->timeout_ms;
	gint64 deadline = st->deadline;
	gboolean ready;

	if (st->fd < 0)
		return st->pos < st->len ? 1 : 0;
	if (st->ssl != NULL && SSL_pending(st->ssl) > 0)
		return 1;
	st->timeout_ms = ms;
	st->deadline = 0;
	ready = stream_wait(st, POLLIN);
	st->timeout_ms = saved;
	st->deadline = deadline;
	if (ready)
		return 1;
	if (g_str_has_prefix(st->error, "no answer within")) {
		g_clear_pointer(&st->error, g_free);
		return 0;
	}
	return -1;
}

const char *
pd_imap_stream_tls_version(PdImapStream *st)
{
	return st->ssl != NULL ? SSL_get_version(st->ssl) : NULL;
}
