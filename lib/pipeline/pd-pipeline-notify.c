/* pd-pipeline-notify: what agents hear of a message, for the store.
 *
 * The facts travel as PdDelivery.notify to pd_outbound_notify
 * (sql/functions/notify.sql), which decides who gets a notification or a
 * forward in the delivery's own transaction (the agents, groups and
 * managers are in the database): the recipient's queue, the group and
 * forward_to of every queue (the ticket's queue decides), the From, why the
 * mail is automatic, and the MAIL FROM of what agents get.  Not wanted at
 * all when [outbound] is missing or notify_agents = no (the key:
 * pd-pipeline-settings.c).
 *
 *   [queue support]
 *   default_group = tier1    ; the agents notified (unset: every agent)
 *   forward_to = it@example.com   ; gets each new ticket as a forward
 */
#include "pd-pipeline.h"
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "smtp/pd-outbound.h"

#include <string.h>


/* Why a mail is automatic (no forward, nothing on an existing ticket). */
static const char *
robot_reason(const PdMail *mail)
{
	if (mail->class.bounce)
		return "bounce";
	if (mail->class.auto_submitted)
		return "auto-submitted";
	if (mail->class.list)
		return "list";
	if (mail->class.bulk)
		return "bulk";
	return NULL;
}

PdNotifySettings *
pd_pipeline_notify_settings(const PdConfig *config)
{
	const PdOutboundConfig *outbound = pd_outbound_config(config);
	PdNotifySettings *settings;

	if (!pd_pipeline_settings(config)->notify_on)
		return NULL;
	settings = g_new0(PdNotifySettings, 1);
	settings->queues = g_ptr_array_new();
	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];
		PdNotifyQueue *nq = g_new0(PdNotifyQueue, 1);

		nq->name = g_strdup(q->name);
		nq->group = g_strdup(q->default_group);
		nq->forward_to = g_strdup(q->forward_to);
		g_ptr_array_add(settings->queues, nq);
	}
	/* the MAIL FROM of mail people read (lib/smtp pd-outbound.h) */
	if (outbound->bounce_text != NULL)
		settings->envelope_from = pd_address_canonicalize(outbound->bounce_text, NULL);
	return settings;
}

void
pd_pipeline_notify_request(const PdConfig *config, const PdQueueConfig *queue,
			   const PdMail *mail, const PdNotifySettings *settings,
			   PdNotifyRequest *notify_r)
{
	memset(notify_r, 0, sizeof(*notify_r));
	if (settings == NULL)
		return;
	notify_r->wanted = TRUE;
	notify_r->settings = settings;
	notify_r->queue = queue->name;
	if (mail->from.address != NULL)
		notify_r->from = pd_address_canonicalize(mail->from.address,
							 config->recipient_delimiter);
	notify_r->robot = robot_reason(mail);
}
