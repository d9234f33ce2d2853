/* postdesk reply list|show NAME: the canned replies (issue 14 section 3).
 *
 * Canned replies are template files under [outbound] replies (NAME.txt,
 * NAME.html beside it, per queue and language as DIR/QUEUE/LANG/NAME.txt:
 * lib/template's language and fallback).  Their Subject: names the reply
 * for people (the answer keeps the ticket's "Re: ... [#N]" subject); their
 * body is rendered for the ticket into the relayed answer, before what the
 * agent wrote (daemon/pd-sender.c).  `ticket reply N --template NAME` and
 * an agent's `#reply NAME` by mail use them.  Exit codes: 64 bad usage, 67
 * no such reply or none configured, 78 a folder that does not load.
 */
#include "pd-cli.h"
#include "smtp/pd-outbound.h"
#include "template/pd-template.h"

#include <stdio.h>
#include <string.h>

#define REPLY_USAGE "reply list | reply show NAME [--queue Q] [--lang L]"

static int
reply_list(const PdTemplateSet *replies)
{
	g_autoptr(GPtrArray) keys = pd_template_set_keys(replies);
	GHashTable *empty = g_hash_table_new(g_str_hash, g_str_equal);

	if (keys->len == 0)
		printf("no canned replies\n");
	for (guint i = 0; i < keys->len; i++) {
		const PdTemplate *tpl = pd_template_set_get(replies, keys->pdata[i]);
		g_autofree char *subject = pd_template_render_subject(tpl, empty);

		printf("%-32s %s\n", (char *)keys->pdata[i], subject);
	}
	g_hash_table_unref(empty);
	return PD_EX_OK;
}

int
pd_cmd_reply(PdCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdTemplateSet) replies = NULL;
	const char *queue = NULL, *lang = NULL, *name = NULL;
	const PdTemplate *tpl;
	PdConfig *config;
	int rc = PD_EX_OK;

	if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "show") != 0))
		return pd_cli_usage(REPLY_USAGE, "reply: list or show?");
	for (int i = 2; i < argc; i++) {
		if ((strcmp(argv[i], "--queue") == 0 || strcmp(argv[i], "--lang") == 0) &&
		    i + 1 < argc) {
			*(argv[i][2] == 'q' ? &queue : &lang) = argv[i + 1];
			i++;
		} else if (argv[i][0] != '-' && name == NULL && argv[1][0] == 's') {
			name = argv[i];
		} else {
			return pd_cli_usage(REPLY_USAGE, "reply %s: unexpected \"%s\"", argv[1],
					    argv[i]);
		}
	}
	if (argv[1][0] == 's' && name == NULL)
		return pd_cli_usage(REPLY_USAGE, "reply show: which reply?");
	config = pd_cli_config(cli, &rc);
	if (config == NULL)
		return rc;
	replies = pd_outbound_replies_load(config, &error);
	if (replies == NULL)
		return pd_cli_fail(error);
	if (name == NULL)
		return reply_list(replies);
	if (!pd_outbound_reply_known(config, replies, name, queue, &error))
		return pd_cli_fail(error);
	tpl = pd_template_set_lookup(replies, name, queue, lang, &error);
	if (tpl == NULL)
		return pd_cli_fail(error);
	{
		GHashTable *empty = g_hash_table_new(g_str_hash, g_str_equal);
		g_autofree char *subject = pd_template_render_subject(tpl, empty);
		g_autofree char *body = pd_template_render_body(tpl, empty);

		printf("File:    %s\nSubject: %s\n\n%s", pd_template_source(tpl), subject, body);
		g_hash_table_unref(empty);
	}
	return PD_EX_OK;
}
