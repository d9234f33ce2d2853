/* pd-agent: what an agent's answer from a mail client says (issue 4 item 5).
 *
 * Pure policy on peer text, no I/O: the commands on the first lines of the
 * answer and the part of it that is relayed to the customer.  The
 * pipeline calls it only for a mail whose From is an authenticated, active
 * agent (PdIdentityDecision.agent_action); the store decides whether the
 * mail answers an existing ticket and applies the commands in the delivery
 * transaction (sql/functions/agent.sql).
 *
 * Commands: every line at the top of the text (blank lines between them
 * allowed) that starts with "#" and a letter is a command line, whether or
 * not the command is known; the first other non-blank line ends them.
 *   #close  #pending  #note           no argument
 *   #solved  #open                    no argument (issue 14 section 2)
 *   #assign ADDRESS                   an agent's address (canonicalized)
 *   #priority low|normal|high|urgent
 *   #queue NAME  #category NAME       a name: lower-case letters, digits,
 *   #tag NAME                         "-", "_", "." (a queue: no ".")
 *   #cc ADDRESS                       a participant to add (canonicalized):
 *                                     this answer is relayed to it too
 *   #reply NAME                       a canned reply (filters/replies) sent
 *                                     before the answer's own text
 * A command with a missing, extra or bad argument, and an unknown one,
 * carries an error and is not obeyed; every command line is removed from
 * the relayed text.  At most PD_AGENT_MAX_COMMANDS are read; later lines
 * are text.
 *
 * The relayed text: what follows the commands, cut at the first line that
 * starts what the agent did not write (the notification's marker line, see
 * PD_AGENT_MARKER, an "-----Original Message-----" or "____" separator,
 * the signature separator "-- "), without quoted lines ("> ..."), without
 * the attribution line ("On ... wrote:", also wrapped on two lines,
 * "Am ... schrieb ...:", "Le ... a écrit :", "El ... escribió:") that
 * introduces a quote or the cut, and with runs of blank lines squeezed to
 * one.  The
 * full text is stored unchanged; only the relay uses this.
 */
#ifndef PD_AGENT_H
#define PD_AGENT_H

#include <glib.h>
#include "core/pd-json.h"

#define PD_AGENT_MAX_COMMANDS 16
/* A line containing this (any case) is where the quoted notification
 * starts: the words of PD_TICKET_REPLY_MARKER (pd-ticket.h), which the
 * notification and forward templates put above their text, so a client
 * that rewraps or re-punctuates the line still matches. */
#define PD_AGENT_MARKER "reply above this line"

typedef enum {
	PD_AGENT_CMD_UNKNOWN,
	PD_AGENT_CMD_CLOSE,
	PD_AGENT_CMD_PENDING,
	PD_AGENT_CMD_ASSIGN,
	PD_AGENT_CMD_PRIORITY,
	PD_AGENT_CMD_NOTE,
	PD_AGENT_CMD_SOLVED,
	PD_AGENT_CMD_OPEN,
	PD_AGENT_CMD_QUEUE,
	PD_AGENT_CMD_CATEGORY,
	PD_AGENT_CMD_CC,
	PD_AGENT_CMD_REPLY,
	PD_AGENT_CMD_TAG,
} PdAgentCommandKind;

typedef struct {
	PdAgentCommandKind kind;
	char *name;		/* as written, lower case, at most 32 characters */
	char *argument;		/* NULL: none; assign, cc: canonical address; priority,
				 * queue, category, tag, reply: lower case; with an error: as
				 * written (cut) */
	char *error;		/* NULL: valid; else why it is not obeyed */
	guint line;		/* 1-based line of the text */
} PdAgentCommand;

typedef struct {
	GPtrArray *commands;	/* PdAgentCommand *, in order */
	gboolean note;		/* a valid #note: the whole mail stays internal */
	char *reply;		/* the text to relay ("" when nothing is left) */
	const char *canned;	/* the valid #reply's name (the last), NULL: none */
} PdAgentAnswer;

/* Parse text (NULL = empty; any bytes, made valid UTF-8) into answer_r,
 * which is overwritten.  delimiter: the recipient delimiter ("+") for
 * canonicalizing #assign's address. */
void pd_agent_answer_parse(const char *text, const char *delimiter, PdAgentAnswer *answer_r);
void pd_agent_answer_clear(PdAgentAnswer *answer);

/* {"note": bool, "commands": [{"command", "argument", "error", "line"}],
 *  "text": reply} */
char *pd_agent_answer_json(const PdAgentAnswer *answer);
/* The same members (data: a PdAgentAnswer), written into a document being
 * built (a PdJsonMembersFunc). */
void pd_agent_answer_json_members(PdJson *json, gconstpointer data);

#endif
