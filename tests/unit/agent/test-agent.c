/* Unit tests for lib/ticket/pd-agent: the commands at the top of an
 * agent's answer and the text relayed to the customer (quotes, the
 * notification's marker, attributions and signatures cut away). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>

#include "ticket/pd-agent.h"
#include "ticket/pd-ticket.h"

typedef struct {
	const char *what;
	const char *text;
	const char *commands;	/* "name=argument!error;" per command */
	gboolean note;
	const char *reply;
} Case;

static char *
commands_text(const PdAgentAnswer *a)
{
	GString *out = g_string_new("");

	for (guint i = 0; i < a->commands->len; i++) {
		const PdAgentCommand *c = a->commands->pdata[i];

		g_string_append_printf(out, "%s=%s%s%s;", c->name, c->argument ? c->argument : "",
				       c->error ? "!" : "", c->error ? c->error : "");
	}
	return g_string_free(out, FALSE);
}

static const Case cases[] = {
	{ "plain answer", "Hello Alice,\n\nfixed.\n", "", FALSE, "Hello Alice,\n\nfixed.\n" },
	{ "empty", "", "", FALSE, "" },
	{ "commands then text", "#close\n#priority HIGH\n\nDone.\n",
	  "close=;priority=high;", FALSE, "Done.\n" },
	{ "CRLF and indented", "  #pending\r\n\r\nWaiting for you.\r\n", "pending=;", FALSE,
	  "Waiting for you.\n" },
	{ "assign canonicalizes", "#assign Carol+x@Example.COM\nok\n",
	  "assign=carol@example.com;", FALSE, "ok\n" },
	{ "note", "#note\nthe customer is angry\n", "note=;", TRUE, "the customer is angry\n" },
	{ "unknown command removed", "#clsoe\nHi\n", "clsoe=!unknown command;", FALSE, "Hi\n" },
	{ "bad arguments", "#close now\n#priority soon\n#assign\n#assign a@b c@d\n#note x\nok\n",
	  "close=now!takes no argument;priority=soon!needs one of low, normal, high, urgent;"
	  "assign=!needs an agent's address;assign=a@b c@d!takes one address;"
	  "note=x!takes no argument;",
	  FALSE, "ok\n" },
	{ "solved and open take no argument", "#solved\n#open now\nok\n",
	  "solved=;open=now!takes no argument;", FALSE, "ok\n" },
	{ "queue and category lower-cased", "#queue Billing\n#category Hardware.Printer\nx\n",
	  "queue=billing;category=hardware.printer;", FALSE, "x\n" },
	{ "queue names have no dot", "#queue bill.ing\n", "queue=bill.ing!not a name (letters,"
	  " digits, - _);", FALSE, "" },
	{ "category wants one name", "#category\n#category a b\n",
	  "category=!takes one name;category=a b!takes one name;", FALSE, "" },
	{ "tag lower-cased, dots allowed", "#tag Printer.Fire\n#tag a b\n",
	  "tag=printer.fire;tag=a b!takes one name;", FALSE, "" },
	{ "cc canonicalizes", "#cc Dora+x@Customer.TEST\nHi\n", "cc=dora@customer.test;", FALSE,
	  "Hi\n" },
	{ "cc needs an address", "#cc\n#cc nobody\n", "cc=!needs an address;cc=nobody!not an"
	  " address;", FALSE, "" },
	{ "reply names a canned reply", "#reply Password-Reset\n", "reply=password-reset;", FALSE,
	  "" },
	{ "reply with a path is refused", "#reply ../etc/passwd\n",
	  "reply=../etc/passwd!not a name (letters, digits, - _);", FALSE, "" },
	{ "an overlong name is refused", "#queue aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaa\n", "queue=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!not a"
	  " name (letters, digits, - _);", FALSE, "" },
	{ "assign not an address", "#assign nobody\n", "assign=nobody!not an address;", FALSE, "" },
	{ "glued punctuation is unknown", "#close.\nx\n", "close=.!unknown command;", FALSE, "x\n" },
	{ "commands only at the top", "Hi\n#close\n", "", FALSE, "Hi\n#close\n" },
	{ "hash digit is text", "#10042 is fixed\n", "", FALSE, "#10042 is fixed\n" },
	{ "top post with gmail quote",
	  "Fixed it.\n\nOn Mon, 23 Nov 2026 at 10:00, Support <support@example.com> wrote:\n"
	  "> Alice wrote:\n> printer on fire\n", "", FALSE, "Fixed it.\n" },
	{ "wrapped attribution",
	  "Fixed.\n\nOn Mon, 23 Nov 2026 at 10:00, Example Support <\nsupport@example.com> wrote:\n\n"
	  "> old\n", "", FALSE, "Fixed.\n" },
	{ "german attribution", "Erledigt.\n\nAm 23.11.2026 um 10:00 schrieb Support <s@x>:\n> alt\n",
	  "", FALSE, "Erledigt.\n" },
	{ "attribution-like text without quote stays", "On Monday you wrote:\nthat it broke\n",
	  "", FALSE, "On Monday you wrote:\nthat it broke\n" },
	{ "inline answers keep their text", "> q1\na1\n> q2\n\na2\n", "", FALSE, "a1\n\na2\n" },
	{ "notification marker", "#close\nThanks!\n\n-- Please reply above this line --\n"
	  "Alice wrote: help\n", "close=;", FALSE, "Thanks!\n" },
	{ "the shipped marker, unquoted below an attribution",
	  "Done.\r\n\r\nOn Mon, 23 Nov 2026, Support <s@example.com> wrote:\r\n"
	  PD_TICKET_REPLY_MARKER "\r\nAlice wrote: help\r\n", "", FALSE, "Done.\n" },
	{ "the shipped marker, quoted", "Done.\n\nOn Mon, Support wrote:\n> "
	  PD_TICKET_REPLY_MARKER "\n> Alice wrote: help\n", "", FALSE, "Done.\n" },
	{ "signature separator", "Sure.\n-- \nBob\nACME support\n", "", FALSE, "Sure.\n" },
	{ "outlook original message", "Yes.\n\n-----Original Message-----\nFrom: x\n", "", FALSE,
	  "Yes.\n" },
	{ "outlook underscores", "Yes.\n________________________________\nFrom: x\n", "", FALSE,
	  "Yes.\n" },
	{ "blank runs squeezed", "\n\na\n\n\n\nb\n\n\n", "", FALSE, "a\n\nb\n" },
	{ "no final newline", "#close", "close=;", FALSE, "" },
	{ "invalid UTF-8", "\xff\xfe#x\n", "", FALSE, "\xef\xbf\xbd\xef\xbf\xbd#x\n" },
};

static void
test_table(void **state)
{
	(void)state;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const Case *c = &cases[i];
		PdAgentAnswer a;
		g_autofree char *commands = NULL;

		pd_agent_answer_parse(c->text, "+", &a);
		commands = commands_text(&a);
		if (a.canned != NULL && !g_str_has_prefix(c->commands, "reply="))
			fail_msg("%s: canned %s", c->what, a.canned);
		if (strcmp(commands, c->commands) != 0 || a.note != c->note ||
		    strcmp(a.reply, c->reply) != 0)
			fail_msg("%s: commands %s note %d reply \"%s\"", c->what, commands, a.note,
				 a.reply);
		pd_agent_answer_clear(&a);
	}
	/* counted by tests/run: "rule NAME: N cases" */
	printf("rule agent-parse: %u cases\n", (guint)G_N_ELEMENTS(cases));
}

/* The notification templates' marker is the one the parser looks for. */
static void
test_marker_in_sync(void **state)
{
	g_autofree char *lower = g_ascii_strdown(PD_TICKET_REPLY_MARKER, -1);

	(void)state;
	assert_non_null(strstr(lower, PD_AGENT_MARKER));
}

static void
test_command_limit(void **state)
{
	g_autoptr(GString) text = g_string_new("");
	PdAgentAnswer a;

	(void)state;
	for (guint i = 0; i < PD_AGENT_MAX_COMMANDS + 2; i++)
		g_string_append(text, "#pending\n");
	pd_agent_answer_parse(text->str, "+", &a);
	assert_int_equal(a.commands->len, PD_AGENT_MAX_COMMANDS);
	assert_string_equal(a.reply, "#pending\n#pending\n");
	pd_agent_answer_clear(&a);
}

static void
test_line_numbers_and_json(void **state)
{
	PdAgentAnswer a;
	g_autofree char *json = NULL;

	(void)state;
	pd_agent_answer_parse("\n#note\n\n#frob \"x\"\nsecret \"plan\"\n", "+", &a);
	assert_int_equal(((PdAgentCommand *)a.commands->pdata[0])->line, 2);
	assert_int_equal(((PdAgentCommand *)a.commands->pdata[1])->line, 4);
	json = pd_agent_answer_json(&a);
	assert_string_equal(json, "{\"note\": true, \"commands\": [{\"command\": \"note\", "
			    "\"argument\": null, \"error\": null, \"line\": 2}, {\"command\": "
			    "\"frob\", \"argument\": \"\\\"x\\\"\", \"error\": \"unknown command\", "
			    "\"line\": 4}], \"text\": \"secret \\\"plan\\\"\\n\"}");
	pd_agent_answer_clear(&a);
	pd_agent_answer_clear(&a);	/* twice is fine */
}

static void
test_long_lines(void **state)
{
	g_autofree char *name = g_strnfill(5000, 'a');
	g_autofree char *text = g_strdup_printf("#%s\n#assign %s@example.com\nok\n", name, name);
	PdAgentAnswer a;

	(void)state;
	pd_agent_answer_parse(text, "+", &a);
	assert_int_equal(a.commands->len, 2);
	assert_int_equal(strlen(((PdAgentCommand *)a.commands->pdata[0])->name), 32);
	assert_string_equal(((PdAgentCommand *)a.commands->pdata[1])->error, "takes one address");
	assert_string_equal(a.reply, "ok\n");
	pd_agent_answer_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_marker_in_sync),
		cmocka_unit_test(test_command_limit),
		cmocka_unit_test(test_line_numbers_and_json),
		cmocka_unit_test(test_long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
