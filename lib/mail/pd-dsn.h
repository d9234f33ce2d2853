/* pd-dsn: what a mail that comes back says (issue 16, section 1).
 *
 * pd_dsn_parse reads one raw message and tells a delivery status
 * notification (RFC 3464, multipart/report; report-type=delivery-status),
 * a feedback report (ARF, RFC 5965), an auto-reply (RFC 3834 and the usual
 * vacation markers) and a non-standard bounce (the heuristics the sisimai
 * corpus needs) from ordinary mail, and gives each failed recipient's
 * Action, Status, SMTP reply code, Diagnostic-Code, Remote-MTA and
 * Final/Original-Recipient, plus the Message-ID of the returned message.
 * GMime only splits the MIME structure; the report fields are read here.
 * Hard or soft is pd_dsn_classify (pd-dsn-class.c, the rule).  Pure: no
 * I/O, no SQL; every list it builds is bounded. */
#pragma once

#include <glib.h>

typedef enum {
	PD_DSN_NONE = 0,	/* not a bounce: ordinary mail */
	PD_DSN_HARD,		/* the address does not exist: stop mailing it */
	PD_DSN_SOFT,		/* failed or delayed for another reason: retry goes on */
	PD_DSN_AUTO_REPLY,	/* RFC 3834 auto-reply (vacation, out of office) */
	PD_DSN_FEEDBACK,	/* ARF feedback report (abuse, complaint) */
	PD_DSN_DELIVERED,	/* a success report (Action: delivered/relayed/expanded) */
} PdDsnKind;

#define PD_DSN_MAX_RECIPIENTS 100

typedef struct {
	char *address;		/* Final-Recipient (or Original-Recipient), addr-spec; NULL if none */
	char *original;		/* Original-Recipient, NULL if none */
	char *action;		/* failed | delayed | delivered | relayed | expanded, lower case */
	char *status;		/* "5.1.1", NULL if none */
	int reply_code;		/* 550, 0 if none */
	char *diagnostic;	/* Diagnostic-Code text (type prefix cut), unfolded */
	char *remote_mta;	/* Remote-MTA host, NULL if none */
	PdDsnKind kind;		/* pd_dsn_classify of the above */
} PdDsnRecipient;

typedef struct {
	PdDsnKind kind;			/* the worst of the recipients' (hard over soft) */
	gboolean standard;		/* read from a message/delivery-status part */
	GPtrArray *recipients;		/* PdDsnRecipient *, failed or delayed ones first */
	char *returned_message_id;	/* Message-ID of the returned message, without <> */
	char *feedback_type;		/* ARF Feedback-Type, lower case */
} PdDsn;

const char *pd_dsn_kind_name(PdDsnKind kind);	/* "hard", "soft", "auto-reply", ... */

/* NULL for ordinary mail.  raw need not be NUL-terminated. */
PdDsn *pd_dsn_parse(const char *raw, gsize length);
void pd_dsn_free(PdDsn *dsn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdDsn, pd_dsn_free)

/* The rule (pd-dsn-class.c): hard or soft (or delivered) from what one
 * recipient's report says.  status "X.Y.Z" or NULL, reply_code 0 if none,
 * text the diagnostic (or the bounce text around it), may be NULL. */
PdDsnKind pd_dsn_classify(const char *action, const char *status, int reply_code, const char *text);
