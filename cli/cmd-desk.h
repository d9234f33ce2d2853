/* cmd-desk: `postdesk ticket set|note|reply|participant` (cmd-desk.c) and
 * `postdesk reply list|show` (cmd-reply.c), the desk of issue 14. */
#ifndef CMD_DESK_H
#define CMD_DESK_H

#include "pd-cli.h"
#include "cmd-admin.h"

#define PD_DESK_USAGE "ticket set N [--status S] [--priority P] [--category C] [--queue Q]" \
	" [--assign AGENT] [--tag T] [--untag T] | ticket note N [--file F] | ticket reply N [--file F]" \
	" [--template NAME] | ticket participant add|remove N ADDRESS | ticket merge FROM INTO"

/* One of the verbs pd_cmd_ticket_desk takes. */
gboolean pd_desk_verb(const char *verb);
/* argv[0] "ticket", argv[1] the verb. */
int pd_cmd_ticket_desk(PdCli *cli, int argc, char **argv);
/* `ticket show N --json` (cmd-ticket-json.c). */
void pd_ticket_view_print_json(const PdTicketView *ticket);
/* 0 when the canned reply name exists ([outbound] replies), else the exit
 * code after saying why. */
int pd_desk_canned_check(const PdAdminArgs *args, const PdConfig *config, const char *name);

#endif
