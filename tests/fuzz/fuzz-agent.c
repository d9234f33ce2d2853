/* fuzz-agent: an agent's answer as a peer may write it (lib/ticket
 * pd-agent): the command lines at the top, the quote/marker/signature
 * stripping, and the JSON handed to the store.  Checks on every input:
 * never more than PD_AGENT_MAX_COMMANDS, the relayed text is valid UTF-8
 * with no line starting with '>', and every valid #assign argument is an
 * address. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ticket/pd-agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	PdAgentAnswer answer;
	char *json;

	pd_agent_answer_parse(text, "+", &answer);
	g_assert(answer.commands->len <= PD_AGENT_MAX_COMMANDS);
	g_assert(g_utf8_validate(answer.reply, -1, NULL));
	for (const char *line = answer.reply; *line != '\0';) {
		const char *nl = strchr(line, '\n');

		g_assert(line[strspn(line, " \t")] != '>');
		line = nl != NULL ? nl + 1 : line + strlen(line);
	}
	for (guint i = 0; i < answer.commands->len; i++) {
		const PdAgentCommand *c = answer.commands->pdata[i];

		if (c->kind == PD_AGENT_CMD_ASSIGN && c->error == NULL)
			g_assert(strchr(c->argument, '@') != NULL);
	}
	json = pd_agent_answer_json(&answer);
	g_assert(g_utf8_validate(json, -1, NULL));
	g_free(json);
	pd_agent_answer_clear(&answer);
	g_free(text);
	return 0;
}
