/* pd-lmtp-deadline: per-record deadlines (see the header). */
#include "pd-lmtp-deadline.h"

void
pd_lmtp_deadline_start(PdLmtpDeadline *deadline, const PdLmtpDeadlineSettings *settings,
		       gint64 now)
{
	guint stress = MIN(settings->stress_timeout, settings->timeout);

	deadline->normal = now + (gint64)settings->timeout * G_USEC_PER_SEC;
	deadline->stress = now + (gint64)stress * G_USEC_PER_SEC;
}

static gint64
deadline_extend(gint64 due, guint timeout, gint64 earned, gint64 now)
{
	gint64 cap = now + (gint64)timeout * G_USEC_PER_SEC;

	return due >= cap ? due : MIN(due + earned, cap);
}

void
pd_lmtp_deadline_content(PdLmtpDeadline *deadline, const PdLmtpDeadlineSettings *settings,
			 gint64 now, gsize bytes)
{
	gint64 earned;

	if (settings->min_data_rate == 0 || bytes == 0)
		return;
	/* bytes <= a read buffer: no overflow */
	earned = (gint64)bytes * G_USEC_PER_SEC / settings->min_data_rate;
	deadline->normal = deadline_extend(deadline->normal, settings->timeout, earned, now);
	deadline->stress = deadline_extend(deadline->stress,
					   MIN(settings->stress_timeout, settings->timeout),
					   earned, now);
}

gint64
pd_lmtp_deadline_due(const PdLmtpDeadline *deadline, gboolean stressed)
{
	return stressed ? MIN(deadline->stress, deadline->normal) : deadline->normal;
}
