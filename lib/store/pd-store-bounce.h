/* pd-store-bounce: a bounce recorded against the outbound row it names
 * (issue 16, section 1), by pd_bounce_record (sql/functions/bounce.sql) in
 * a transaction of its own: never a ticket, never an acknowledgement.
 * The pipeline's bounce step (lib/pipeline/pd-pipeline-bounce.c) decides
 * what the mail is; this module only turns that into the function's
 * document and reads its answer.  Every value is a bound parameter.
 */
#ifndef PD_STORE_BOUNCE_H
#define PD_STORE_BOUNCE_H

#include <glib.h>
#include "core/pd-json.h"
#include "mail/pd-dsn.h"
#include "store/pd-store.h"

typedef struct {
	const char *recipient;		/* the envelope recipient it came to */
	const char *envelope_from;	/* "" null sender */
	const char *message_id;		/* the bounce's own, may be NULL */
	const char *idempotency_key;	/* a redelivery records nothing */
	const char *kind;		/* pd_dsn_kind_name(), "unknown" when not a report */
	gint64 outbound_id;		/* the row it names; 0: none */
	const char *matched_by;		/* "bounce address", "Message-ID <x>"; NULL: none */
	const char *unmatched;		/* why no row is named (a token verdict); may be NULL */
	const PdDsn *dsn;		/* what the report says; NULL: not a report */
	guint failing_days;		/* [outbound] failing_days */
	GBytes *raw;
} PdBounceRecord;

typedef struct {
	gint64 bounce_id;
	gboolean duplicate;
	gint64 outbound_id;		/* 0: the bounce named no row that exists */
	gint64 ticket_id;		/* the row's ticket, 0: none */
	char *failing;			/* "a@b, c@d": addresses now failing; NULL: none */
	char *counted;			/* soft bounces counted; NULL: none */
} PdBounceResult;

void pd_bounce_result_clear(PdBounceResult *result);

/* One COMMITted transaction; PD_ERROR_TEMPFAIL on database trouble. */
gboolean pd_store_bounce_record(PdStore *store, const PdBounceRecord *record,
				PdBounceResult *result_r, GError **error);

/* The report's members as pd_bounce_record reads them (the bounces.report
 * column): {standard, feedback_type, returned_message_id, recipients
 * [{address, original, action, status, reply_code, diagnostic, remote_mta,
 * kind}]}; `postdesk test` prints the same. */
void pd_store_bounce_report_json(PdJson *json, const char *key, const PdDsn *dsn);
/* Its recipients array alone (empty for dsn NULL). */
void pd_store_bounce_recipients_json(PdJson *json, const char *key, const PdDsn *dsn);

/* Automatic mail to failing addresses becomes failed instead of being
 * sent (pd_bounce_hold_failing); count_r: rows so held. */
gboolean pd_store_bounce_hold_failing(PdStore *store, guint *count_r, GError **error);

/* `postdesk address clear`: address (canonical) is not failing any more.
 * PD_ERROR_NOTFOUND when it was not failing. */
gboolean pd_store_bounce_clear(PdStore *store, const char *address, const char *actor,
			       GError **error);

#endif
