/* pd-filter-decide: what becomes of a mail once the rules have run, the
 * one rule (table: tests/unit/filter/test-filter-decide.c).
 *
 * In this order, the first that applies:
 *   1. reject or ereject by a rule: 550 5.7.1 with its reason (a rule
 *      refuses the mail for this recipient; the others are not affected).
 *   2. quarantine by a rule: quarantined with its reason.
 *   3. the score reaches the queue's quarantine threshold: quarantined.
 *   4. discard by a rule, and no rule kept or filed it (keep, fileinto,
 *      queue): accepted and dropped.  A discard never wins over an explicit
 *      keep: two scripts disagreeing keep the mail.
 *   5. hold by a rule, or the score reaches the hold threshold: a ticket,
 *      held (no acknowledgement, no notification until released).
 *   6. otherwise a ticket.
 * Mail released from the quarantine by an operator skips 2 and 3 and the
 * score's hold: the operator has judged it; a rule's reject, discard and
 * hold still apply.
 */
#include "pd-filter.h"

#include <math.h>

const char *
pd_disposition_name(PdDisposition disposition)
{
	switch (disposition) {
	case PD_DISPOSITION_TICKET: return "ticket";
	case PD_DISPOSITION_HOLD: return "hold";
	case PD_DISPOSITION_QUARANTINE: return "quarantine";
	case PD_DISPOSITION_REJECT: return "reject";
	case PD_DISPOSITION_DISCARD: return "discard";
	}
	return "ticket";
}

static const PdFilterAction *
decide_find(const PdFilterOutcome *outcome, const char *action)
{
	for (guint i = 0; i < outcome->actions->len; i++) {
		const PdFilterAction *a = outcome->actions->pdata[i];

		if (g_strcmp0(a->action, action) == 0)
			return a;
	}
	return NULL;
}

static char *
decide_reason(const PdFilterAction *action, const char *what)
{
	if (action->value != NULL && action->value[0] != '\0')
		return g_strdup_printf("%s by %s:%u: %s", what, action->script, action->line,
				       action->value);
	return g_strdup_printf("%s by %s:%u", what, action->script, action->line);
}

static gboolean
decide_kept(const PdFilterOutcome *outcome)
{
	for (guint i = 0; i < outcome->actions->len; i++) {
		const PdFilterAction *a = outcome->actions->pdata[i];

		if (g_strcmp0(a->action, "keep") == 0 || g_strcmp0(a->action, "fileinto") == 0 ||
		    g_strcmp0(a->action, "queue") == 0)
			return TRUE;
	}
	return FALSE;
}

void
pd_filter_decide(PdFilterOutcome *outcome, double hold, double quarantine, gboolean released)
{
	const PdFilterAction *a;

	g_clear_pointer(&outcome->reason, g_free);
	outcome->protocol_reject = FALSE;
	outcome->by_score = FALSE;
	if ((a = decide_find(outcome, "reject")) != NULL ||
	    (a = decide_find(outcome, "ereject")) != NULL) {
		outcome->disposition = PD_DISPOSITION_REJECT;
		outcome->protocol_reject = g_strcmp0(a->action, "ereject") == 0;
		outcome->reason = g_strdup(a->value != NULL && a->value[0] != '\0' ? a->value
					   : "refused by a filter rule");
		return;
	}
	if (!released && (a = decide_find(outcome, "quarantine")) != NULL) {
		outcome->disposition = PD_DISPOSITION_QUARANTINE;
		outcome->reason = decide_reason(a, "quarantined");
		return;
	}
	if (!released && !isnan(quarantine) && outcome->score >= quarantine) {
		outcome->disposition = PD_DISPOSITION_QUARANTINE;
		outcome->by_score = TRUE;
		outcome->reason = g_strdup_printf("spam score %g >= quarantine threshold %g",
						  outcome->score, quarantine);
		return;
	}
	if ((a = decide_find(outcome, "discard")) != NULL && !decide_kept(outcome)) {
		outcome->disposition = PD_DISPOSITION_DISCARD;
		outcome->reason = decide_reason(a, "discarded");
		return;
	}
	if ((a = decide_find(outcome, "hold")) != NULL) {
		outcome->disposition = PD_DISPOSITION_HOLD;
		outcome->reason = decide_reason(a, "held");
		return;
	}
	if (!released && !isnan(hold) && outcome->score >= hold) {
		outcome->disposition = PD_DISPOSITION_HOLD;
		outcome->by_score = TRUE;
		outcome->reason = g_strdup_printf("spam score %g >= hold threshold %g",
						  outcome->score, hold);
		return;
	}
	outcome->disposition = PD_DISPOSITION_TICKET;
}

char *
pd_filter_spamtest_value(double score, double quarantine, gboolean percent)
{
	double scale = quarantine > 0 ? score / quarantine : (score > 0 ? 1 : 0);

	if (scale < 0)
		scale = 0;
	if (scale > 1)
		scale = 1;
	if (percent)
		return g_strdup_printf("%d", (int) lround(scale * 100));
	/* 1 is "not spam", 10 "definitely spam" (RFC 5235 3.2) */
	return g_strdup_printf("%d", 1 + (int) floor(scale * 9 + 1e-9));
}
