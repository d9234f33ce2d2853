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
 * relay_attachments_max, sql/functions/agent.sql).
 * Whether it is an agent answer at all (authenticated, active, threads
 * into a ticket) is decided in the delivery (sql/functions/agent.sql).
 */
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "core/pd-json.h"

#include <string.h>

#define SECTION "outbound"
#define TEMPLATE "agent-reply"

char *
pd_pipeline_outbound_address(const PdConfig *config, const char *key)
{
	g_autofree char *value = NULL;
	const char *lt;

	if (config->keyfile == NULL)
		return NULL;
	value = g_key_file_get_string(config->keyfile, SECTION, key, NULL);
	if (value == NULL)
		return NULL;
	lt = strrchr(value, '<');
	return pd_address_canonicalize(lt != NULL ? lt : value, config->recipient_delimiter);
}

char *
pd_pipeline_agent_answer(const PdConfig *config, const PdMail *mail,
			 const PdIdentityDecision *identity)
{
	PdAgentAnswer answer;
	g_autofree char *parsed = NULL, *from = NULL, *envelope_from = NULL;
	GString *out;

	if (identity == NULL || identity->kind != PD_REQUESTER_AGENT)
		return NULL;
	pd_agent_answer_parse(mail->text_body, config->recipient_delimiter, &answer);
	parsed = pd_agent_answer_json(&answer);
	pd_agent_answer_clear(&answer);
	if (mail->from.address != NULL)
		from = pd_address_canonicalize(mail->from.address, config->recipient_delimiter);
	envelope_from = pd_pipeline_outbound_address(config, "bounce_address");
	if (envelope_from == NULL)
		envelope_from = pd_pipeline_outbound_address(config, "from");
	/* {...parsed, "from", "envelope_from", "attachments_max", "template"} */
	out = g_string_new_len(parsed, (gssize)strlen(parsed) - 1);
	g_string_append(out, ", \"from\": ");
	pd_json_string(out, from);
	g_string_append(out, ", \"envelope_from\": ");
	pd_json_string(out, envelope_from);
	g_string_append_printf(out, ", \"attachments_max\": %" G_GSIZE_FORMAT,
			       config->relay_attachments_max);
	g_string_append(out, ", \"template\": \"" TEMPLATE "\"}");
	return g_string_free(out, FALSE);
}

char *
pd_pipeline_agent_explain(const PdConfig *config, const PdMail *mail,
			  const PdIdentityDecision *identity, gboolean existing, char **json_r)
{
	PdAgentAnswer answer;
	GString *text;
	const char *decision, *reason;

	*json_r = NULL;
	if (identity == NULL || identity->kind != PD_REQUESTER_AGENT)
		return NULL;
	pd_agent_answer_parse(mail->text_body, config->recipient_delimiter, &answer);
	if (!identity->agent_action) {
		decision = "refused";
		reason = "not an agent action (From not authenticated or agent inactive): an "
			 "ordinary customer message, no command obeyed, nothing relayed";
	} else if (!existing) {
		decision = "new ticket";
		reason = "answers no ticket: an ordinary new ticket, commands not applied";
	} else if (answer.note) {
		decision = "note";
		reason = "internal note: stored, relayed to nobody";
	} else if (*answer.reply == '\0') {
		decision = "commands";
		reason = "nothing but commands and quotes: nothing relayed";
	} else {
		decision = "answer";
		reason = "relayed to the requester and participants from the support address";
	}
	text = g_string_new(NULL);
	g_string_append_printf(text, "%s (%s)", decision, reason);
	for (guint i = 0; i < answer.commands->len; i++) {
		const PdAgentCommand *c = answer.commands->pdata[i];

		g_string_append_printf(text, "; #%s%s%s%s%s", c->name,
				       c->argument != NULL ? " " : "",
				       c->argument != NULL ? c->argument : "",
				       c->error != NULL ? ": not obeyed, " : "",
				       c->error != NULL ? c->error : "");
	}
	{
		g_autofree char *parsed = pd_agent_answer_json(&answer);
		GString *json = g_string_new("{\"decision\": ");

		pd_json_string(json, decision);
		g_string_append(json, ", \"reason\": ");
		pd_json_string(json, reason);
		g_string_append(json, ", \"answer\": ");
		g_string_append(json, parsed);
		g_string_append_c(json, '}');
		*json_r = g_string_free(json, FALSE);
	}
	pd_agent_answer_clear(&answer);
	return g_string_free(text, FALSE);
}
