/* Placeholder until the subcommand lands. */
#include "pd-cli.h"

#include <stdio.h>

int
pd_cmd_ticket(PdCli *cli, int argc, char **argv)
{
	fprintf(stderr, "postdesk %s: not built yet\n", argv[0]);
	return PD_EX_SOFTWARE;
}
