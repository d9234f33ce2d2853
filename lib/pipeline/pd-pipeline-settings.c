/* pd-pipeline-settings: the pipeline's keys of [outbound], what it derives
 * from the whole configuration once per load (our own addresses, the
 * notify settings, the relay's MAIL FROM), the templates its features need
 * and the mail-path warnings a postmaster must see.
 *
 *   [outbound]
 *   acknowledge = all            ; all | authenticated (senders) | none: who gets
 *                                ; an acknowledgement of a new ticket (yes: all, no: none)
 *   autoreply_limit = 3          ; automatic replies per address ...
 *   autoreply_window = 3600      ; ... per this many seconds (0 = no cap)
 *   notify_agents = yes          ; notifications and forwards to agents
 *   participants_from_cc = yes   ; Cc'd addresses of a new ticket take part
 *   reopen_days = 14             ; a reply to a solved/closed ticket reopens it
 *                                ; within this many days, later links a new one
 *   relay_attachments_max = 7000000   ; decoded bytes a relayed agent answer
 *                                ; may attach (0: none)
 *   failing_days = 30            ; after a hard bounce, no automatic mail to the
 *                                ; address for this many days (pd-pipeline-bounce.h)
 */
#include "pd-pipeline.h"
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "core/pd-error.h"
#include "smtp/pd-outbound.h"
#include "ticket/pd-token.h"

#include <string.h>

#define SECTION "outbound"

/* all, authenticated or none; yes and no as the key was before it had
 * three values. */
static gboolean
acknowledge_parse(const char *text, PdAcknowledge *ack_r)
{
	static const char *const names[] = { "all", "authenticated", "none" };
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	g_autofree char *lower = g_ascii_strdown(text, -1);

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(lower, names[i]) == 0) {
			*ack_r = (PdAcknowledge)i;
			return TRUE;
		}
	}
	if (g_strv_contains(yes, lower))
		*ack_r = PD_ACKNOWLEDGE_ALL;
	else if (g_strv_contains(no, lower))
		*ack_r = PD_ACKNOWLEDGE_NONE;
	else
		return FALSE;
	return TRUE;
}

static gboolean
check_acknowledge(gconstpointer field, GError **error)
{
	PdAcknowledge ack;

	if (acknowledge_parse(*(char *const *)field, &ack))
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "all, authenticated or none");
	return FALSE;
}

/* An address of [outbound] as written ("Name <a@b>" or "a@b"), canonical
 * with the recipient delimiter; NULL when unset. */
static char *
outbound_address(const PdConfig *config, const char *text)
{
	const char *lt;

	if (text == NULL)
		return NULL;
	lt = strrchr(text, '<');
	return pd_address_canonicalize(lt != NULL ? lt : text, config->recipient_delimiter);
}

static void
settings_own_addresses(PdPipelineSettings *s, const PdConfig *config,
		       const PdOutboundConfig *outbound)
{
	s->own_addresses = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];

		for (guint j = 0; j < q->addresses->len; j++)
			g_ptr_array_add(s->own_addresses, g_strdup(q->addresses->pdata[j]));
	}
	if (outbound != NULL) {
		const char *const texts[] = {
			outbound->from, outbound->reply_text, outbound->bounce_text,
		};

		for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
			char *canonical = outbound_address(config, texts[i]);

			if (canonical != NULL)
				g_ptr_array_add(s->own_addresses, canonical);
		}
	}
	g_ptr_array_add(s->own_addresses, NULL);
}

static gboolean
pipeline_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	PdPipelineSettings *s = values;
	const PdOutboundConfig *outbound = pd_outbound_config(config);

	(void)name;
	(void)acknowledge_parse(s->acknowledge_text, &s->acknowledge);
	settings_own_addresses(s, config, outbound);
	s->token_keys = pd_token_keys_of(config);
	if (outbound == NULL)
		return TRUE;
	s->acknowledge_on = s->acknowledge != PD_ACKNOWLEDGE_NONE;
	s->notify_on = s->notify_agents;
	/* a relayed answer is a person's mail: never the null sender */
	s->agent_envelope_from = outbound_address(config, outbound->bounce_text);
	if (s->agent_envelope_from == NULL)
		s->agent_envelope_from = outbound_address(config, outbound->from);
	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];
		g_autofree char *section = g_strconcat("queue ", q->name, NULL);

		if (q->forward_to == NULL)
			continue;
		for (guint j = 0; s->own_addresses->pdata[j] != NULL; j++) {
			if (g_ascii_strcasecmp(s->own_addresses->pdata[j], q->forward_to) == 0) {
				pd_config_error(load, section, "forward_to",
						"[queue %s] forward_to: %s is postdesk's own address "
						"(each forward would come back as a new ticket)",
						q->name, q->forward_to);
				return FALSE;
			}
		}
	}
	return TRUE;
}

/* The templates the pipeline's features need, and what a postmaster must
 * know of how this configuration treats mail. */
static void
pipeline_review(gconstpointer values, const PdConfig *config, PdConfigLoad *load)
{
	const PdPipelineSettings *s = values;
	const PdAuthConfig *auth = pd_auth_settings(config);
	gboolean held = FALSE, permission = FALSE;

	for (guint i = 0; i < config->queues->len; i++) {
		const PdQueueConfig *q = config->queues->pdata[i];
		g_autofree char *section = g_strconcat("queue ", q->name, NULL);

		held = held || q->unknown_senders == PD_UNKNOWN_SENDERS_KNOWN;
		permission = permission || q->permission != NULL;
		if (q->permission != NULL && auth->mode == PD_AUTH_MODE_OFF)
			pd_config_warning(load, section, "permission",
					  "[queue %s] permission = %s: no contact can hold it while "
					  "[auth] mode is off (nobody is authenticated): every "
					  "request here needs an authorization, and no holder's "
					  "approval by mail can give it", q->name, q->permission);
	}
	/* Nobody is trusted by default (issue 8): a site upgraded from the
	 * old default (loopback trusted) must hear that SPF now cannot pass. */
	if (auth->mode == PD_AUTH_MODE_VERIFY && config->xforward_hosts->len == 0 &&
	    config->xforward_users->len == 0 && config->xforward_groups->len == 0)
		pd_config_warning(load, "lmtp", NULL, "no LMTP client is trusted with XFORWARD "
				  "([lmtp] xforward_users, xforward_groups, xforward_hosts): mail "
				  "over LMTP has no client address, so SPF cannot pass (DKIM "
				  "still can); behind Postfix on the unix socket, set "
				  "xforward_users = postfix");
	if (pd_outbound_config(config) == NULL)
		return;
	/* at [auth] mode when it says off, else at [outbound] */
	if (auth->mode == PD_AUTH_MODE_OFF)
		pd_config_warning(load, pd_config_load_is_set(load, "auth", "mode") ? "auth"
				  : SECTION, pd_config_load_is_set(load, "auth", "mode") ? "mode"
				  : NULL, "[outbound] is set but [auth] mode is off: "
				  "nobody is authenticated, so agents' answers are stored as "
				  "customer mail (never relayed, no command obeyed) and "
				  "holders' approvals cannot act; set [auth] mode = verify or "
				  "trust-ar");
	if (s->acknowledge != PD_ACKNOWLEDGE_NONE) {
		pd_config_need_template(load, "ack", "[outbound] acknowledge = yes");
		if (held)
			pd_config_need_template(load, "held", "a queue with unknown_senders = known");
		if (permission) {
			pd_config_need_template(load, "authorization-notice",
						"a queue with a permission");
			pd_config_need_template(load, "approval-request", "a queue with a permission");
			pd_config_need_template(load, "authorization-approved",
						"a queue with a permission");
			pd_config_need_template(load, "authorization-refused",
						"a queue with a permission");
		}
	}
	if (s->notify_agents) {
		pd_config_need_template(load, "agent-notification", "[outbound] notify_agents = yes");
		pd_config_need_template(load, "forward", "[outbound] notify_agents = yes "
					"(forward_to, account managers)");
	}
	if (auth->mode != PD_AUTH_MODE_OFF) {
		pd_config_need_template(load, "agent-reply", "agents answering by mail ([auth] mode)");
		pd_config_need_template(load, "agent-refused",
					"agents answering by mail ([auth] mode): commands not obeyed");
	}
	if (pd_outbound_config(config)->bounce_address != NULL)
		pd_config_need_template(load, "bounce-notice", "[outbound] bounce_address (an "
					"agent hears of an answer that bounced)");
}

static void
pipeline_clear(gpointer values)
{
	PdPipelineSettings *s = values;

	g_clear_pointer(&s->own_addresses, g_ptr_array_unref);
	g_clear_pointer(&s->agent_envelope_from, g_free);
}

#define PIPE(k, t, f) .key = k, .type = t, .offset = G_STRUCT_OFFSET(PdPipelineSettings, f)

static const PdSetting pipeline_settings[] = {
	{ PIPE("acknowledge", PD_SETTING_STRING, acknowledge_text), .def = "all",
	  .check = check_acknowledge },
	{ PIPE("autoreply_limit", PD_SETTING_UINT, autoreply_limit), .def = "3",
	  .max = G_MAXINT },
	{ PIPE("autoreply_window", PD_SETTING_UINT, autoreply_window), .def = "3600",
	  .max = G_MAXINT },
	{ PIPE("notify_agents", PD_SETTING_BOOL, notify_agents), .def = "yes" },
	{ PIPE("participants_from_cc", PD_SETTING_BOOL, participants_from_cc), .def = "yes" },
	{ PIPE("reopen_days", PD_SETTING_UINT, reopen_days), .def = "14", .max = 3650 },
	{ PIPE("failing_days", PD_SETTING_UINT, failing_days), .def = "30", .min = 1,
	  .max = 3650 },
	/* 7 MB of files are about 9.6 MB in base64: under Postfix's default
	 * message_size_limit (10240000) with the text beside them */
	{ PIPE("relay_attachments_max", PD_SETTING_SIZE, relay_attachments_max),
	  .def = "7000000", .max = G_GUINT64_CONSTANT(1) << 31 },
	{ NULL }
};

const PdConfigTable pd_pipeline_table = {
	.section = SECTION, .size = sizeof(PdPipelineSettings), .settings = pipeline_settings,
	.finish = pipeline_finish, .review = pipeline_review, .clear = pipeline_clear,
};

const PdPipelineSettings *
pd_pipeline_settings(const PdConfig *config)
{
	return pd_config_layer(config, &pd_pipeline_table);
}
