/* pd-lmtp-deadline: how long a client may take over one record.
 *
 * A record is a command line or a message (DATA to the final dot).  Its
 * deadline is fixed when postdeskd starts waiting for it and is NOT
 * restarted by each read (Postfix smtpd_per_record_deadline): a client that
 * sends one byte every few seconds is cut off after `timeout` like an idle
 * one.  While a message comes, each read of N bytes moves the deadline N /
 * min_data_rate seconds later, never further than `timeout` from the read
 * (Postfix smtpd_min_data_rate), so a big mail at a sane speed always fits.
 * Under stress (the daemon's sessions nearly all busy) the same rule runs
 * with stress_timeout instead, for the clients the operator does not trust
 * (Postfix's smtpd_timeout = ${stress?10}{300}).  Pure arithmetic on a
 * monotonic clock in microseconds: no I/O, no clock of its own.
 */
#ifndef PD_LMTP_DEADLINE_H
#define PD_LMTP_DEADLINE_H

#include <glib.h>

typedef struct {
	guint timeout;		/* seconds for one record */
	guint stress_timeout;	/* seconds for one record under stress */
	guint min_data_rate;	/* bytes/s of message content that earn time; 0: none */
} PdLmtpDeadlineSettings;

typedef struct {
	gint64 normal;		/* monotonic usec */
	gint64 stress;		/* monotonic usec, <= normal */
} PdLmtpDeadline;

/* A new record starts at now. */
void pd_lmtp_deadline_start(PdLmtpDeadline *deadline, const PdLmtpDeadlineSettings *settings,
			    gint64 now);
/* A read at now brought bytes of message content. */
void pd_lmtp_deadline_content(PdLmtpDeadline *deadline,
			      const PdLmtpDeadlineSettings *settings, gint64 now, gsize bytes);
/* When the record must be complete. */
gint64 pd_lmtp_deadline_due(const PdLmtpDeadline *deadline, gboolean stressed);

#endif
