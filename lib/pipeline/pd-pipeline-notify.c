/* pd-pipeline-notify: what agents hear of a message, for the store.
 *
 * The facts travel as PdDelivery.notify to pd_outbound_notify
 * (sql/functions/notify.sql), which decides who gets a notification or a
 * forward in the delivery's own transaction (the agents, groups and
 * managers are in the database): the recipient's queue, the group and
 * forward_to of every queue (the ticket's queue decides), the From, why the
 * mail is automatic, and the MAIL FROM of what agents get.  Not wanted at
 * all when [outbound] is missing or notify_agents = no.
 *
 *   [outbound]
 *   notify_agents = yes      ; notifications and forwards to agents
 *   [queue.support]
 *   default_group = tier1    ; the agents notified (unset: every agent)
 *   forward_to = it@example.com   ; gets each new ticket as a forward
 */
#include "pd-pipeline.h"
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "core/pd-error.h"

#include <string.h>

#define SECTION "outbound"

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
	GKeyFile *kf = config->keyfile;
	PdNotifySettings *settings;
	g_autofree char *bounce = NULL;
	gboolean notify;

	if (kf == NULL || !g_key_file_has_group(kf, SECTION))
		return NULL;
	/* A bad value is check-config's to report; here it keeps the default. */
	(void)pd_config_get_bool(kf, SECTION, "notify_agents", TRUE, &notify, NULL);
	if (!notify)
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
	bounce = g_key_file_get_string(kf, SECTION, "bounce_address", NULL);
	if (bounce != NULL)
		settings->envelope_from = pd_address_canonicalize(bounce, NULL);
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

/* A group name as agents carry it (postdesk agent --group): printable,
 * no white space, no comma (the config's list separators). */
static gboolean
group_name_valid(const char *name)
{
	if (*name == '\0' || !g_utf8_validate(name, -1, NULL))
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if ((guchar)*p < 0x21 || *p == 0x7f || *p == ',')
			return FALSE;
	return TRUE;
}

gboolean
pd_pipeline_notify_check(const PdConfig *config, GError **error)
{
	g_autoptr(GPtrArray) own = pd_pipeline_own_addresses(config);
	gboolean notify;

	if (config->keyfile != NULL &&
	    !pd_config_get_bool(config->keyfile, SECTION, "notify_agents", TRUE, &notify, error))
		return FALSE;
	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];

		if (q->default_group != NULL && !group_name_valid(q->default_group)) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "[queue %s] default_group: \"%s\" is not one group name "
				    "(no spaces or commas)", q->name, q->default_group);
			return FALSE;
		}
		if (q->forward_to == NULL)
			continue;
		for (guint j = 0; own->pdata[j] != NULL; j++) {
			if (g_ascii_strcasecmp(own->pdata[j], q->forward_to) == 0) {
				g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
					    "[queue %s] forward_to: %s is postdesk's own address "
					    "(each forward would come back as a new ticket)",
					    q->name, q->forward_to);
				return FALSE;
			}
		}
	}
	return TRUE;
}
