/* postdesk check-config: load and validate the configuration.
 *
 * The same load the daemon makes at start and on SIGHUP: every section and
 * key of every layer (an unknown one is an error, with a suggestion), every
 * value, the [auth] resolver and PSL, and [outbound] with every reply
 * template (an unknown placeholder is reported as path:line; a template a
 * configured feature needs and lacks is an error here, a warning in
 * postdeskd, which still sends the rest).  Errors go to stderr one per
 * line as FILE:LINE: text, and the exit is 78 (EX_CONFIG).  Otherwise the
 * mail-path warnings go to stderr as FILE:LINE: warning: text, "ok" to
 * stdout after what the operator must make sure of outside postdesk
 * ("note: ...", e.g. that the MTA removes foreign Authentication-Results
 * in trust-ar mode), and the exit is 0.  Touches no database.
 */
#include "pd-cli.h"
#include "filter/pd-filter.h"
#include "core/pd-secrets.h"
#include "pipeline/pd-pipeline.h"
#include "pipeline/pd-pipeline-auth.h"
#include "settings/pd-settings.h"
#include "smtp/pd-outbound.h"

#include <stdio.h>
#include <string.h>

int
pd_cmd_check_config(PdCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = NULL;
	g_autoptr(PdPipelineAuth) auth = NULL;
	g_autofree char *advice = NULL;

	if (argc > 1)
		return pd_cli_usage("check-config", "check-config takes no arguments");
	config = pd_config_load(cli->config_path, pd_settings_tables, &error);
	if (config == NULL || !pd_pipeline_check_config(config, &error) ||
	    !pd_outbound_check(config, NULL, &error) || !pd_secrets_check(config, &error)) {
		fprintf(stderr, "%s\n", error->message);
		return PD_EX_CONFIG;
	}
	for (guint i = 0; i < config->warnings->len; i++) {
		const char *w = config->warnings->pdata[i];
		const char *text = strstr(w, ": ");

		/* "file:line: text" -> "file:line: warning: text" */
		fprintf(stderr, "%.*swarning: %s\n", text != NULL ? (int)(text - w + 2) : 0, w,
			text != NULL ? text + 2 : w);
	}
	auth = pd_pipeline_auth_new(config, NULL);
	if ((advice = pd_pipeline_auth_advice(auth)) != NULL)
		printf("note: %s\n", advice);
	printf("ok\n");
	return PD_EX_OK;
}
