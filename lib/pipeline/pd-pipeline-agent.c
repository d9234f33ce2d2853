/* pd-pipeline-agent: the agent step (issue 4 item 5) for the mail path and
 * for `postdesk test`.
 *
 * For a mail whose From is an agent's address (whatever its
 * authentication: the store records a refusal too), the answer as
 * lib/ticket pd-agent parses it (commands, relayed text) plus what the
 * relay rows need: the sender's canonical address, the relay's MAIL FROM
 * ([outbound] bounce_address, else the from address: a relayed answer is
 * a person's mail, never sent with the null sender), the template and
 * how many bytes of attachments it may carry ([outbound]
 * relay_attachments_max): PdDelivery.agent.
 * Whether it is an agent answer at all (authenticated, active, threads
 * into a ticket) and what it does is decided in the delivery
 * (pd_agent_answer_decide, sql/functions/agent.sql) from PdDelivery.agent;
 * `postdesk test` asks the same function (pd_pipeline_agent_explain).
 */
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "core/pd-json.h"
#include "smtp/pd-outbound.h"
#include "ticket/pd-plan.h"
#include "store/pd-store-outbound.h"

#include <string.h>

#define TEMPLATE "agent-reply"

/* What the parser cannot know: a #queue names a configured queue, a
 * #reply a canned reply of [outbound] replies; otherwise the command
 * carries the reason and is not obeyed (sql/functions/agent.sql). */
static void
agent_check_names(const PdConfig *config, PdAgentAnswer *answer)
{
	g_autoptr(PdTemplateSet) replies = NULL;
	g_autoptr(GError) replies_error = NULL;
	gboolean replies_loaded = FALSE;

	answer->canned = NULL;
	for (guint i = 0; i < answer->commands->len; i++) {
		PdAgentCommand *c = answer->commands->pdata[i];
		g_autoptr(GError) error = NULL;

		if (c->error != NULL)
			continue;
		if (c->kind == PD_AGENT_CMD_QUEUE && pd_config_queue_named(config, c->argument) == NULL)
			c->error = g_strdup("no such queue in the configuration");
		if (c->kind == PD_AGENT_CMD_CATEGORY) {
			g_autofree char *known = NULL;

			if (!pd_category_allowed(config, c->argument, &known))
				c->error = g_strdup_printf("unknown category (configured: %s)", known);
		}
		if (c->kind != PD_AGENT_CMD_REPLY)
			continue;
		if (!replies_loaded) {
			replies = pd_outbound_replies_load(config, &replies_error);
			replies_loaded = TRUE;
		}
		if (replies == NULL)
			c->error = g_strdup(replies_error->message);
		else if (!pd_outbound_reply_known(config, replies, c->argument, NULL, &error))
			c->error = g_strdup(error->message);
		else
			answer->canned = c->argument;
	}
}

void
pd_pipeline_agent_answer(const PdConfig *config, const PdMail *mail,
			 const PdIdentityDecision *identity, PdAgentRequest *agent_r)
{
	memset(agent_r, 0, sizeof(*agent_r));
	if (identity == NULL || identity->kind != PD_REQUESTER_AGENT)
		return;
	agent_r->present = TRUE;
	pd_agent_answer_parse(mail->text_body, config->recipient_delimiter, &agent_r->answer);
	agent_check_names(config, &agent_r->answer);
	if (mail->from.address != NULL)
		agent_r->from = pd_address_canonicalize(mail->from.address,
							config->recipient_delimiter);
	agent_r->envelope_from = g_strdup(pd_pipeline_settings(config)->agent_envelope_from);
	agent_r->attachments_max = pd_pipeline_settings(config)->relay_attachments_max;
	agent_r->template_name = TEMPLATE;
}

/* The decision in words, for the one line of `postdesk test`. */
static const char *
agent_decision_words(const char *decision)
{
	if (g_strcmp0(decision, "refused") == 0)
		return "an ordinary mail: no command obeyed, nothing relayed";
	if (g_strcmp0(decision, "again") == 0)
		return "stored as the agent's, does nothing else";
	if (g_strcmp0(decision, "note") == 0)
		return "stored, relayed to nobody";
	if (g_strcmp0(decision, "commands") == 0)
		return "commands obeyed, nothing relayed";
	return "relayed from the support address";
}

char *
pd_pipeline_agent_explain(const PdConfig *config, PdStore *store, gint64 ticket_number,
			  const PdMail *mail, const PdIdentityDecision *identity, char **json_r)
{
	g_autofree char *answer = NULL, *identity_json = NULL, *parsed = NULL;
	g_autofree char *reason = NULL;
	g_autoptr(GError) error = NULL;
	PdAgentDecision d = { 0 };
	PdAgentRequest agent;
	GString *text, *json;
	const char *decision;

	*json_r = NULL;
	pd_pipeline_agent_answer(config, mail, identity, &agent);
	answer = pd_agent_request_json(&agent);	/* PdDelivery.agent, as delivered */
	if (answer == NULL)
		return NULL;
	/* the delivery's own decision on the same facts */
	identity_json = pd_identity_decision_json(identity);
	if (!pd_store_agent_decide(store, ticket_number, mail->message_id, identity_json, answer,
				   &d, &error)) {
		decision = "unknown";
		reason = g_strdup_printf("database error: %s", error->message);
	} else {
		decision = d.decision != NULL ? d.decision : "unknown";
		if (d.relay_to != NULL)
			reason = g_strdup_printf("%s to %s", agent_decision_words(d.decision),
						 d.relay_to);
		else
			reason = g_strdup_printf("%s%s%s", d.why != NULL ? d.why : "",
						 d.why != NULL ? ": " : "",
						 agent_decision_words(d.decision));
	}
	text = g_string_new(NULL);
	g_string_append_printf(text, "%s (%s)", decision, reason);
	for (guint i = 0; d.commands != NULL && i < d.commands->len; i++) {
		const PdAgentVerdict *c = d.commands->pdata[i];

		g_string_append_printf(text, "; #%s%s%s%s%s", c->command,
				       c->argument != NULL ? " " : "",
				       c->argument != NULL ? c->argument : "",
				       c->refused != NULL ? ": not obeyed, " : "",
				       c->refused != NULL ? c->refused : "");
	}
	parsed = pd_agent_answer_json(&agent.answer);
	pd_agent_request_clear(&agent);
	json = g_string_new("{\"decision\": ");
	pd_json_string(json, decision);
	g_string_append(json, ", \"reason\": ");
	pd_json_string(json, reason);
	g_string_append(json, ", \"relay_to\": ");
	pd_json_string(json, d.relay_to);
	g_string_append(json, ", \"answer\": ");
	g_string_append(json, parsed);
	g_string_append_c(json, '}');
	*json_r = g_string_free(json, FALSE);
	pd_agent_decision_clear(&d);
	return g_string_free(text, FALSE);
}
