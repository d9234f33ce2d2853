/* Unit tests: the pipeline's agent step (lib/pipeline/pd-pipeline-agent.c):
 * the JSON the delivery gets for a mail from an agent's address (the
 * relay's MAIL FROM: bounce_address, else the from address, never the null
 * sender).  What the delivery does with it, and what `postdesk test` says
 * (the same function, pd_agent_answer_decide), is the table
 * tests/rules/table_agent_answer.py; end to end,
 * tests/integration/test_agent_reply.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "settings/pd-settings.h"
#include "pipeline/pd-pipeline-private.h"

static PdConfig *
config_with(const char *outbound)
{
	g_autofree char *text = g_strdup_printf(
		"[postdesk]\nconfig_version = 1\nhostname = t.test\n[lmtp]\n"
		"[queue support]\naddresses = support@example.com\n%s%s", outbound,
		*outbound != '\0' ? "token_keys = agent-step-key-0123456789\n" : "");
	g_autoptr(GError) error = NULL;
	PdConfig *config = pd_config_load_data(text, pd_settings_tables, &error);

	assert_non_null(config);
	return config;
}

static PdMail *
mail_with(const PdConfig *config, const char *body)
{
	g_autofree char *text = g_strdup_printf(
		"From: Bob <Bob+x@Agents.TEST>\r\nTo: support@example.com\r\n"
		"Subject: Re: [#10042] printer\r\nMessage-ID: <a.1@agents.test>\r\n\r\n%s", body);
	g_autoptr(GBytes) raw = g_bytes_new(text, strlen(text));
	g_autoptr(GError) error = NULL;
	PdMail *mail = pd_mail_parse(raw, &config->mail_limits, &error);

	assert_non_null(mail);
	return mail;
}

static PdIdentityDecision
agent(gboolean action)
{
	PdIdentityDecision d = { 0 };

	d.kind = PD_REQUESTER_AGENT;
	d.authenticated = action;
	d.privileged = action;
	d.agent_action = action;
	d.agent_id = 7;
	return d;
}

/* The agent step's request as the delivery document carries it. */
static char *
answer_json(const PdConfig *config, const PdMail *mail, const PdIdentityDecision *identity)
{
	PdAgentRequest agent;
	char *json;

	pd_pipeline_agent_answer(config, mail, identity, &agent);
	json = pd_agent_request_json(&agent);
	pd_agent_request_clear(&agent);
	return json;
}

static void
test_answer_json(void **state)
{
	g_autoptr(PdConfig) plain = config_with(
		"[outbound]\nfrom = Example Support <Support@Example.com>\n");
	g_autoptr(PdConfig) bounces = config_with(
		"[outbound]\nfrom = support@example.com\nbounce_address = bounces@example.com\n"
		"relay_attachments_max = 2M\n");
	g_autoptr(PdMail) mail = mail_with(plain, "#close\r\nDone.\r\n> old\r\n");
	PdIdentityDecision d = agent(TRUE), customer = { 0 };
	g_autofree char *json = NULL, *with_bounce = NULL, *none = NULL;

	(void)state;
	none = answer_json(plain, mail, &customer);
	assert_null(none);
	assert_null(answer_json(plain, mail, NULL));
	json = answer_json(plain, mail, &d);
	assert_string_equal(json, "{\"note\": false, \"commands\": [{\"command\": \"close\", "
			    "\"argument\": null, \"error\": null, \"line\": 1}], \"text\": "
			    "\"Done.\\n\", \"from\": \"bob@agents.test\", \"envelope_from\": "
			    "\"support@example.com\", \"attachments_max\": 7000000, "
			    "\"template\": \"agent-reply\"}");
	with_bounce = answer_json(bounces, mail, &d);
	assert_non_null(strstr(with_bounce, "\"envelope_from\": \"bounces@example.com\""));
	/* [outbound] relay_attachments_max */
	assert_non_null(strstr(with_bounce, "\"attachments_max\": 2097152,"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
