/* pd-imap-stream: the connection under libetpan's IMAP parser (private to
 * lib/imap).
 *
 * libetpan parses the protocol; the bytes come through a mailstream_low
 * driver of ours, so that every wait is ours: a non-blocking socket,
 * OpenSSL with the certificate and host name verified, and poll() bounded
 * by the per-wait timeout, by the current command's deadline and by a
 * cancel fd (readable: give up now, the daemon is stopping).  Each command
 * also has a byte budget: a server that sends more than that for one
 * command is cut off (libetpan grows its buffers with what it is sent).
 * End of stream is an error, never a 0-byte read: libetpan 1.9.4 loops
 * on a 0 return inside a literal.
 *
 * A memory driver (pd_imap_stream_new_memory) replays fixed server bytes
 * for the fuzz harness and the unit tests.
 */
#ifndef PD_IMAP_STREAM_H
#define PD_IMAP_STREAM_H

#include <glib.h>
#include <libetpan/libetpan.h>

typedef struct _PdImapStream PdImapStream;

typedef enum {
	PD_IMAP_STREAM_PLAIN,
	PD_IMAP_STREAM_TLS,	/* TLS from the first byte (port 993) */
} PdImapStreamMode;

/* Connect to host:port within timeout seconds (and TLS-handshake when
 * mode is TLS).  ca_file NULL: the system's trust store.  *low_r is the
 * libetpan stream to give to mailstream_new(); it owns the returned
 * PdImapStream, which stays valid until the mailstream is closed.
 * PD_ERROR_TEMPFAIL with what failed. */
PdImapStream *pd_imap_stream_connect(const char *host, guint port, PdImapStreamMode mode,
				     const char *ca_file, guint timeout, int cancel_fd,
				     mailstream_low **low_r, GError **error);
/* Start TLS on a plain stream (after the server's OK to STARTTLS). */
gboolean pd_imap_stream_starttls(PdImapStream *stream, GError **error);
/* A stream that reads data (then end of stream) and discards writes. */
PdImapStream *pd_imap_stream_new_memory(const guint8 *data, gsize len, mailstream_low **low_r);

/* For the next command: a deadline in seconds from now (0: none) and the
 * bytes it may read. */
void pd_imap_stream_begin(PdImapStream *stream, guint seconds, guint64 budget);
/* Why the last read or write failed ("no answer within 60 s",
 * "connection closed by the server", a TLS error), or NULL. */
const char *pd_imap_stream_error(PdImapStream *stream);
/* Wait up to ms for bytes to read (TLS-buffered ones count): 1 ready, 0
 * none came, -1 the cancel fd or a poll error (error set). */
int pd_imap_stream_wait_readable(PdImapStream *stream, guint ms);
/* "TLSv1.3", or NULL for a plain stream. */
const char *pd_imap_stream_tls_version(PdImapStream *stream);

#endif
