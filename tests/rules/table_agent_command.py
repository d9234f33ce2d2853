"""Agent commands: one command of an agent's answer, applied or refused and why
(pd_agent_command).

postdeskd(8) "Agents working by mail": #close, #pending, #assign ADDRESS (an active
agent), #priority low|normal|high|urgent, #note; and (issue 14) #solved,
#open, #queue NAME, #category NAME, #tag NAME, #cc ADDRESS (not an agent's), #reply NAME
(the relay carries the canned reply: table_agent_answer).  What the parser refused (an
unknown command, a bad argument: lib/ticket pd-agent, tests/unit/agent) is
refused here with the parser's reason and changes nothing.  Each command's
result is its agent.command event.

command(NAME, ARGUMENT, error=): as the parser hands it on.  Expect: result
(applied | refused), reason, old, new, and the ticket afterwards (status,
priority, assignee, closed: closed_at set).  Every case also asks `postdesk
test`'s function (pd_agent_command_check, by which pd_agent_command obeys)
and expects the same verdict: explain_agrees.
"""
from rules import Table, agent, case, lit, participant, ticket, ticket_id

ANN, BEN, DAN = "ann@example.com", "ben@example.com", "dan@example.com"

FACTS = [agent(ANN), agent(BEN, also=["ben@old.example.com"]), agent(DAN, active=False),
         ticket(10001, status="open"), ticket(10002, status="closed", closed_days_ago=1),
         ticket(10003, assignee=ANN), participant(10001, "alice@customer.test"),
         "INSERT INTO ticket_tags (ticket_id, tag) SELECT id, 'vip' FROM tickets"
         " WHERE number = 10003;"]


def command(name, argument=None, error=None, line=1):
    return {"command": name, "argument": argument, "error": error, "line": line}


def call(c):
    return "pd_agent_command(%s, %s)" % (ticket_id(c.args.get("ticket", 10001)),
                                          lit(c.args["command"]))


def explain(c):
    """What `postdesk test` says of the command (pd_agent_command_check)."""
    return "to_jsonb(pd_agent_command_check(%s))" % lit(c.args["command"])


OBSERVE = ("(SELECT jsonb_build_object('result', r->>'result', 'reason', r->>'reason',"
           " 'old', r->>'old', 'new', r->>'new', 'status', t.status, 'priority', t.priority,"
           " 'assignee', pd_agent_main_address(t.assignee_agent_id),"
           " 'closed', t.closed_at IS NOT NULL, 'category', t.category,"
           " 'queue', (SELECT q.name FROM queues q WHERE q.id = t.queue_id),"
           " 'tags', (SELECT string_agg(g.tag, ',' ORDER BY g.tag) FROM ticket_tags g"
           "  WHERE g.ticket_id = t.id),"
           " 'participants', (SELECT string_agg(p.address || ':' || p.role, ',' ORDER BY p.id)"
           "  FROM participants p WHERE p.ticket_id = t.id),"
           " 'explain_agrees', (r->>'result' = 'applied') = (e #>> '{}' IS NULL)"
           "  AND (r->>'reason' IS NOT DISTINCT FROM e #>> '{}'))"
           " FROM tickets t, (SELECT current_setting('rules.result')::jsonb AS r,"
           "  current_setting('rules.explain')::jsonb AS e) x"
           " WHERE t.id = (r->>'ticket')::bigint)")


def applied(old=None, new=None, **ticket_after):
    return dict(result="applied", reason=None, old=old, new=new, **ticket_after)


def refused(reason, **ticket_after):
    return dict(result="refused", reason=reason, **ticket_after)


CASES = [
    case("#close closes the ticket and stamps closed_at", command=command("close"),
         expect=applied("open", "closed", status="closed", closed=True)),
    case("#close of a closed ticket closes it again (stamped now)", ticket=10002,
         command=command("close"), expect=applied("closed", "closed", status="closed",
                                                   closed=True)),
    case("#pending sets pending and clears closed_at", ticket=10002,
         command=command("pending"), expect=applied("closed", "pending", status="pending",
                                                    closed=False)),
    case("#priority sets the priority", command=command("priority", "urgent"),
         expect=applied("normal", "urgent", priority="urgent", status="open")),
    case("#assign an active agent assigns the ticket", command=command("assign", BEN),
         expect=applied(None, BEN, assignee=BEN)),
    case("#assign by an agent's second address assigns that agent",
         command=command("assign", "ben@old.example.com"),
         expect=applied(None, "ben@old.example.com", assignee=BEN)),
    case("#assign replaces the assignee and says who it was", ticket=10003,
         command=command("assign", BEN), expect=applied(ANN, BEN, assignee=BEN)),
    case("#assign an inactive agent is refused", ticket=10003, command=command("assign", DAN),
         expect=refused("not an active agent", assignee=ANN)),
    case("#assign an address that is no agent is refused",
         command=command("assign", "alice@customer.test"),
         expect=refused("not an active agent", assignee=None)),
    case("#note is applied (the answer becomes a note) and changes no field",
         command=command("note"), expect=applied(status="open", priority="normal")),
    case("what the parser refused stays refused, with its reason, and changes nothing",
         command=command("close", "now", error="takes no argument"),
         expect=refused("takes no argument", status="open", closed=False)),
    case("a bad priority refused by the parser changes nothing",
         command=command("priority", "asap", error="needs one of low, normal, high, urgent"),
         expect=refused("needs one of low, normal, high, urgent", priority="normal")),
    case("#solved solves the ticket and stamps closed_at", command=command("solved"),
         expect=applied("open", "solved", status="solved", closed=True)),
    case("#open reopens a closed ticket and clears closed_at", ticket=10002,
         command=command("open"), expect=applied("closed", "open", status="open", closed=False)),
    case("#queue moves the ticket (a queue never used before is created)",
         command=command("queue", "billing"), expect=applied("support", "billing",
                                                              queue="billing")),
    case("#category sets the category", command=command("category", "hardware"),
         expect=applied(None, "hardware", category="hardware")),
    case("#cc adds a participant", command=command("cc", "dora@customer.test"),
         expect=applied(None, "cc", participants="alice@customer.test:requester,"
                                                  "dora@customer.test:cc")),
    case("#cc of the requester keeps its role", command=command("cc", "alice@customer.test"),
         expect=applied("requester", "requester",
                        participants="alice@customer.test:requester")),
    case("#cc of an agent's address is refused", command=command("cc", BEN),
         expect=refused("an agent's address (#assign, or a notification, reaches agents)",
                        participants="alice@customer.test:requester")),
    case("#tag adds a tag", command=command("tag", "printer.fire"),
         expect=applied(None, "printer.fire", tags="printer.fire")),
    case("#tag of a tag the ticket has changes nothing and says so", ticket=10003,
         command=command("tag", "vip"), expect=applied("vip", "vip", tags="vip")),
    case("#reply is applied by the relay and changes no field",
         command=command("reply", "password-reset"),
         expect=applied(status="open", category=None)),
    case("a #queue the pipeline found unconfigured is refused with its reason",
         command=command("queue", "nowhere", error="no such queue in the configuration"),
         expect=refused("no such queue in the configuration", queue="support")),
    case("a command the store does not know is refused",
         command=command("escalate"), expect=refused("unknown command", status="open")),
]

# the ticket rides along in the result for the observation
TABLE = Table("agent-command", "pd_agent_command",
              lambda c: "%s || jsonb_build_object('ticket', %s)"
              % (call(c), ticket_id(c.args.get("ticket", 10001))),
              CASES, FACTS, observe=OBSERVE, explain=explain, always={"explain_agrees": True})
