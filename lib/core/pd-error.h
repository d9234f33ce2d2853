/* pd-error: the one error domain of postdesk.
 *
 * Every fallible call takes a GError ** in this domain.  The code is the
 * disposition mail software needs (Postfix DICT_ERR_RETRY, OpenSMTPD
 * LKA_TEMPFAIL): TEMPFAIL means "try again later, nothing was kept",
 * PERMFAIL means "a policy decision, do not retry", INTERNAL means a bug or
 * broken invariant and is treated as TEMPFAIL on the mail path so no mail is
 * lost.  The mapping to LMTP replies and sysexits lives here, in one place.
 */
#ifndef PD_ERROR_H
#define PD_ERROR_H

#include <glib.h>

#define PD_ERROR (pd_error_quark())

typedef enum {
	PD_ERROR_TEMPFAIL,	/* transient: database down, timeout, resource */
	PD_ERROR_PERMFAIL,	/* policy: too big, rejected, malformed beyond repair */
	PD_ERROR_INTERNAL,	/* bug; handled like TEMPFAIL on the mail path */
	PD_ERROR_USAGE,		/* bad arguments or configuration (EX_USAGE/EX_CONFIG) */
	PD_ERROR_NOTFOUND,	/* a named object does not exist */
	PD_ERROR_REJECTED,	/* an operator's filter rule refused it (Sieve reject) */
} PdErrorCode;

GQuark pd_error_quark(void);

/* sysexits(3) values, so callers need not include <sysexits.h>. */
enum {
	PD_EX_OK = 0,
	PD_EX_USAGE = 64,
	PD_EX_DATAERR = 65,
	PD_EX_NOINPUT = 66,
	PD_EX_NOUSER = 67,
	PD_EX_SOFTWARE = 70,
	PD_EX_OSERR = 71,
	PD_EX_CANTCREAT = 73,
	PD_EX_IOERR = 74,
	PD_EX_TEMPFAIL = 75,
	PD_EX_NOPERM = 77,
	PD_EX_CONFIG = 78,
};

/* The exit code of `postdesk deliver` for an error (NULL error: EX_OK). */
int pd_error_to_sysexit(const GError *error);

/* The LMTP/SMTP reply for an error, newly allocated, of the form
 * "550 5.6.0 text" (no CRLF).  A policy refusal (PERMFAIL, NOTFOUND,
 * REJECTED: "550 5.7.1", RFC 5429 section 2.1) carries the error's text; every other error is "451 4.3.0 Temporary
 * local problem, please try again later", never its text (which may quote
 * the database): the log has the detail. */
char *pd_error_to_smtp_reply(const GError *error);

#endif
