/* postdesk check-config: load and validate the configuration.
 *
 * The same checks the daemon makes at start and on SIGHUP (every key, the
 * queues, the [lmtp] listeners and networks, [auth], [jobs], [outbound] with
 * every reply template: an unknown placeholder is reported as path:line).
 * Prints what the operator must make sure of outside postdesk ("note: ...",
 * e.g. that the MTA removes foreign Authentication-Results in trust-ar
 * mode), then "ok" and exits 0,
 * or prints the error and exits 78 (EX_CONFIG).  Touches no database.
 */
#include "pd-cli.h"
#include "core/pd-listen.h"
#include "core/pd-secrets.h"
#include "jobs/pd-jobs.h"
#include "pipeline/pd-pipeline.h"
#include "pipeline/pd-pipeline-auth.h"
#include "smtp/pd-outbound.h"

#include <stdio.h>

int
pd_cmd_check_config(PdCli *cli, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdConfig) config = NULL;
	g_autoptr(PdPipelineAuth) auth = NULL;
	g_autofree char *advice = NULL;

	if (argc > 1)
		return pd_cli_usage("check-config", "check-config takes no arguments");
	config = pd_config_load(cli->config_path, &error);
	if (config == NULL || !pd_listen_check_config(config, &error) ||
	    !pd_pipeline_check_config(config, &error) ||
	    !pd_jobs_check_config(config, &error) ||
	    !pd_outbound_check(config, NULL, &error) ||
	    !pd_secrets_check(config, &error)) {
		fprintf(stderr, "postdesk check-config: %s\n", error->message);
		return PD_EX_CONFIG;
	}
	auth = pd_pipeline_auth_new(config, NULL);
	if ((advice = pd_pipeline_auth_advice(auth)) != NULL)
		printf("note: %s\n", advice);
	printf("ok\n");
	return PD_EX_OK;
}
