/* pd-pipeline-notify: what agents hear of a message, for the store.
 *
 * The facts travel as key/value pairs (PdInbound.notify) to
 * pd_outbound_notify (sql/functions/notify.sql),
 * which decides who gets a notification or a forward in the delivery's own
 * statement (the agents, groups and managers are in the database):
 *   queue (the recipient's), group:QUEUE and forward_to:QUEUE (of every
 *   queue: the ticket's queue decides), from, robot, envelope_from
 * No request at all when [outbound] is missing or notify_agents = no.
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

GPtrArray *
pd_pipeline_notify_settings(const PdConfig *config)
{
	GKeyFile *kf = config->keyfile;
	GPtrArray *pairs;
	g_autofree char *bounce = NULL, *bounce_canonical = NULL;
	gboolean notify;

	if (kf == NULL || !g_key_file_has_group(kf, SECTION))
		return NULL;
	/* A bad value is check-config's to report; here it keeps the default. */
	(void)pd_config_get_bool(kf, SECTION, "notify_agents", TRUE, &notify, NULL);
	if (!notify)
		return NULL;
	/* the MAIL FROM of mail people read (lib/smtp pd-outbound.h) */
	bounce = g_key_file_get_string(kf, SECTION, "bounce_address", NULL);
	if (bounce != NULL)
		bounce_canonical = pd_address_canonicalize(bounce, NULL);

	pairs = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];
		g_autofree char *group = g_strconcat("group:", q->name, NULL);
		g_autofree char *forward = g_strconcat("forward_to:", q->name, NULL);

		pd_pipeline_pair_add(pairs, group, q->default_group);
		pd_pipeline_pair_add(pairs, forward, q->forward_to);
	}
	pd_pipeline_pair_add(pairs, "envelope_from",
			     bounce_canonical != NULL ? bounce_canonical : "");
	return pairs;
}

GPtrArray *
pd_pipeline_notify_request(const PdConfig *config, const PdQueueConfig *queue,
			   const PdMail *mail)
{
	GPtrArray *pairs = pd_pipeline_notify_settings(config);
	g_autofree char *from = NULL;

	if (pairs == NULL)
		return NULL;
	if (mail->from.address != NULL)
		from = pd_address_canonicalize(mail->from.address, config->recipient_delimiter);
	pd_pipeline_pair_add(pairs, "queue", queue->name);
	pd_pipeline_pair_add(pairs, "from", from);
	pd_pipeline_pair_add(pairs, "robot", robot_reason(mail));
	return pairs;
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
