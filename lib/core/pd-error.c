/* pd-error: error domain and the single mapping to SMTP replies/sysexits. */
#include "pd-error.h"

G_DEFINE_QUARK(postdesk-error-quark, pd_error)

int
pd_error_to_sysexit(const GError *error)
{
	if (error == NULL)
		return PD_EX_OK;
	if (error->domain != PD_ERROR)
		return PD_EX_TEMPFAIL;
	switch ((PdErrorCode)error->code) {
	case PD_ERROR_PERMFAIL:
		return PD_EX_DATAERR;
	case PD_ERROR_USAGE:
		return PD_EX_USAGE;
	case PD_ERROR_NOTFOUND:
		return PD_EX_NOUSER;
	case PD_ERROR_REJECTED:
		return PD_EX_NOPERM;
	case PD_ERROR_TEMPFAIL:
	case PD_ERROR_INTERNAL:
		break;
	}
	return PD_EX_TEMPFAIL;
}

/* What a peer is told of a temporary failure: never the error's own text,
 * which may quote the database (its error report, a hostname, the bytes
 * it refused); the caller logs that. */
#define PD_ERROR_TEMPFAIL_TEXT "Temporary local problem, please try again later"

char *
pd_error_to_smtp_reply(const GError *error)
{
	g_autofree char *msg = g_strdup(error != NULL ? error->message : "Internal error");

	/* A reply is one line of printable text whatever the message says. */
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = ' ';

	if (error != NULL && error->domain == PD_ERROR) {
		switch ((PdErrorCode)error->code) {
		case PD_ERROR_PERMFAIL:
			return g_strdup_printf("550 5.6.0 %s", msg);
		case PD_ERROR_NOTFOUND:
			return g_strdup_printf("550 5.1.1 %s", msg);
		case PD_ERROR_REJECTED:
			return g_strdup_printf("550 5.7.1 %s", msg);
		case PD_ERROR_USAGE:
		case PD_ERROR_TEMPFAIL:
		case PD_ERROR_INTERNAL:
			break;
		}
	}
	return g_strdup("451 4.3.0 " PD_ERROR_TEMPFAIL_TEXT);
}
