"""Who hears of a ticket: notifications and forwards (pd_notify_plan, with its
audience pd_notify_audience).

postdeskd(8) "Who hears of a ticket": a new ticket and each later mail on it
notify, at each agent's main address, the ticket's active assignee, else the
account's active dedicated manager, else the active agents of the queue's
default_group (every active agent when unset).  A new ticket is also
forwarded to the queue's forward_to and to the manager; an address that gets
the forward gets no notification.  Nobody hears of a held ticket, of mail
whose From is an agent address (authenticated or not), of automatic mail on
an existing ticket; automatic mail and mail from forward_to itself are never
forwarded.

request(...): the pipeline's notify request (pd_pipeline_notify_request, the
delivery request's notify member): queue (the recipient's), from, robot, and
the group and forward_to of every queue.
Each case delivers (pd_outbound_notify, which queues the plan's rows) and
expects what was queued, "KIND ADDRESS (why)" ("none - (why)": nobody, the
notify.skipped event); and that `postdesk test`'s plan, asked before the
delivery as it asks it (no ticket yet for a new one), says the same:
explain_agrees.
"""
from rules import (THIS_MESSAGE, Table, account, agent, case, identity, lit, message,
                   participant, ticket, ticket_id)

ANN, BEN, CAT, DAN, MIA = ("%s@example.com" % n for n in ("ann", "ben", "cat", "dan", "mia"))
ALICE = "alice@customer.test"
CAROL = "carol@acme.test"
BOSS = "boss@partner.test"

FACTS = [agent(ANN, groups=["tier1"]), agent(BEN, groups=["tier1"], also=["ben@old.example.com"]),
         agent(CAT, groups=["tier2"]), agent(DAN, groups=["tier1"], active=False),
         agent(MIA, groups=["managers"]),
         account("acme", manager=MIA), account("lapsed", manager=DAN), account("plain"),
         ticket(10001, requester=ALICE), participant(10001, ALICE),
         ticket(10002, queue="billing", requester=ALICE),
         ticket(10003, requester=CAROL, account="acme"),
         ticket(10004, requester=ALICE, assignee=CAT),
         ticket(10005, requester=ALICE, assignee=DAN),
         ticket(10006, requester=CAROL, account="acme", assignee=BEN),
         ticket(10007, requester=ALICE, held="moderate")]

GROUPS = {"support": "tier1", "billing": "tier2"}


def request(frm=ALICE, queue="support", robot=None, groups=GROUPS, forward_to=None):
    queues = dict((name, {"group": group, "forward_to": None}) for name, group in groups.items())
    if forward_to:
        queues.setdefault(queue, {"group": None})["forward_to"] = forward_to
    return {"queues": queues, "envelope_from": "bounces@example.com",
            "queue": queue, "from": frm, "robot": robot}


def req_sql(c):
    req = c.args.get("request", request())
    return lit(req) if req is not None else "NULL"


def explain(c):
    """The plan as `postdesk test` asks it (pd_store_notify_plan: a new
    ticket not made yet), before the delivery."""
    number = c.args.get("ticket")
    return ("(SELECT coalesce(jsonb_agg(p.kind || ' ' || coalesce(p.address, '-') || ' ('"
            " || p.why || ')'), '[]') FROM pd_notify_plan(%s, %s, %s, %s) p)"
            % (ticket_id(number) if number else "NULL", lit(number is None), req_sql(c),
               c.args.get("identity", identity())))


def call(c):
    """The delivery: pd_outbound_notify on the ticket (a new one is 10099,
    made by the delivery) for the message being delivered."""
    number = c.args.get("ticket") or 10099
    return "to_jsonb(pd_outbound_notify(%s, %s, %s, false, %s, %s))" % (
        ticket_id(number), THIS_MESSAGE, lit(c.args.get("ticket") is None), req_sql(c),
        c.args.get("identity", identity()))


def delivered(c):
    """The delivered message on its ticket (a new ticket: made in the
    recipient's queue)."""
    number = c.args.get("ticket")
    req = c.args.get("request") or {}
    if number is None:
        return [ticket(10099, queue=req.get("queue", "support"), status="new"),
                message(10099, "new@customer.test", req.get("from"), this=True)]
    return [message(number, "reply@customer.test", req.get("from"), this=True)]


# what the delivery queued, in the plan's words (its outbound.queued and
# notify.skipped events), beside what postdesk test said
OBSERVE = """(SELECT jsonb_build_object('result', w.rows, 'explain', x.e,
                                      'explain_agrees', w.rows = x.e)
 FROM (SELECT coalesce(jsonb_agg(CASE e.kind WHEN 'notify.skipped'
                THEN 'none - (' || (e.detail->>'reason') || ')'
                ELSE (e.detail->>'kind') || ' ' || (e.detail->>'to') || ' ('
                     || (e.detail->>'why') || ')' END ORDER BY e.id), '[]') AS rows
         FROM events e WHERE e.message_row = %s
          AND e.kind IN ('outbound.queued', 'notify.skipped')) w,
      (SELECT current_setting('rules.explain')::jsonb AS e) x)""" % THIS_MESSAGE


def new(req=None, who=None, **kw):
    """A new ticket (not made yet, as `postdesk test` asks)."""
    return dict(request=req or request(), identity=who or identity(), **kw)


def on(number, req=None, who=None):
    """A mail threaded onto an existing ticket."""
    return dict(ticket=number, request=req or request(), identity=who or identity())


def plan(*rows):
    return {"result": list(rows)}


def nobody(why):
    return plan("none - (%s)" % why)


def notified(*agents, why="active agent of group tier1"):
    return ["notification %s (%s)" % (a, why) for a in agents]


MANAGER = "the account's dedicated manager"
ACME = identity("contact", account="acme")

CASES = [
    # a new ticket
    case("a new ticket notifies the active agents of the queue's group (not an inactive "
         "one), each at its main address", **new(), expect=plan(*notified(ANN, BEN))),
    case("no default_group: every active agent is notified",
         **new(request(groups={})),
         expect=plan(*notified(ANN, BEN, CAT, MIA, why="active agent"))),
    case("the queue of the recipient picks the group of a new ticket",
         **new(request(queue="billing")),
         expect=plan(*notified(CAT, why="active agent of group tier2"))),
    case("a group without an active agent: nobody, and why",
         **new(request(groups={"support": "tier9"})),
         expect=nobody("no active agent in group tier9")),
    case("an account's active manager gets the forward of a new ticket, and no "
         "notification besides", **new(who=ACME),
         expect=plan("forward %s (%s)" % (MIA, MANAGER))),
    case("an account whose manager is inactive: the group is notified",
         **new(who=identity("contact", account="lapsed")), expect=plan(*notified(ANN, BEN))),
    case("an account without a manager: the group is notified",
         **new(who=identity("contact", account="plain")), expect=plan(*notified(ANN, BEN))),
    case("the queue's forward_to gets the forward, and the group its notifications",
         **new(request(forward_to=BOSS)),
         expect=plan("forward %s (the queue's forward_to)" % BOSS, *notified(ANN, BEN))),
    case("forward_to and the manager both get the forward; nobody else",
         **new(request(forward_to=BOSS), who=ACME),
         expect=plan("forward %s (the queue's forward_to)" % BOSS,
                     "forward %s (%s)" % (MIA, MANAGER))),
    case("a forward_to that is an agent gets the forward, not also a notification",
         **new(request(forward_to=ANN)),
         expect=plan("forward %s (the queue's forward_to)" % ANN, *notified(BEN))),
    case("a forward_to that is the manager gets one forward",
         **new(request(forward_to=MIA), who=ACME),
         expect=plan("forward %s (the queue's forward_to)" % MIA)),
    case("mail from forward_to itself is not forwarded to it",
         **new(request(frm=BOSS, forward_to=BOSS)), expect=plan(*notified(ANN, BEN))),
    case("automatic mail opening a ticket is not forwarded, but notified",
         **new(request(robot="bulk", forward_to=BOSS), who=ACME),
         expect=plan("notification %s (%s)" % (MIA, MANAGER))),
    case("a ticket held for moderation: nobody until it is released",
         **new(who=identity(held="moderate")),
         expect=nobody("the ticket is held (moderate): an operator decides first")),
    case("a ticket held for known senders: nobody until it is released",
         **new(who=identity(held="known")),
         expect=nobody("the ticket is held (known): an operator decides first")),
    case("an authenticated agent's new mail: agents never notify agents",
         **new(request(frm=ANN), who=identity("agent", True, agent=ANN, agent_action=True)),
         expect=nobody("written by an authenticated agent: an agent's answer")),
    case("mail from an agent address, not authenticated: still nobody",
         **new(request(frm=ANN), who=identity("agent", agent=ANN)),
         expect=nobody("From is an agent address (not authenticated: no agent action); "
                       "agents never notify agents")),
    case("mail from an agent's second address: nobody",
         **new(request(frm="ben@old.example.com")),
         expect=nobody("From is an agent address (not authenticated: no agent action); "
                       "agents never notify agents")),
    case("mail from an inactive agent's address: nobody", **new(request(frm=DAN)),
         expect=nobody("From is an agent address (not authenticated: no agent action); "
                       "agents never notify agents")),
    case("outbound mail not configured: nothing is written (postdesk test says nobody "
         "without asking)", request=None, identity=identity(),
         expect=dict(result=[], explain=["none - (outbound mail is not configured)"],
                     explain_agrees=False)),
    # a mail on an existing ticket
    case("a reply notifies the group of the ticket's queue, whatever address it came to",
         **on(10002), expect=plan(*notified(CAT, why="active agent of group tier2"))),
    case("a reply is never forwarded", **on(10001, request(forward_to=BOSS)),
         expect=plan(*notified(ANN, BEN))),
    case("a reply on an account's ticket notifies the manager (no forward)", **on(10003),
         expect=plan("notification %s (%s)" % (MIA, MANAGER))),
    case("an assigned ticket notifies its assignee only", **on(10004),
         expect=plan("notification %s (the ticket's assignee)" % CAT)),
    case("an assignee wins over the account's manager", **on(10006),
         expect=plan("notification %s (the ticket's assignee)" % BEN)),
    case("an inactive assignee: the group is notified", **on(10005),
         expect=plan(*notified(ANN, BEN))),
    case("automatic mail on an existing ticket: nobody", **on(10001, request(robot="list")),
         expect=nobody("automatic mail (list) on an existing ticket")),
    case("a reply on a held ticket: nobody", **on(10007),
         expect=nobody("the ticket is held (moderate): an operator decides first")),
    case("an agent's answer on a ticket: nobody",
         **on(10001, request(frm=ANN), identity("agent", True, agent=ANN, agent_action=True)),
         expect=nobody("written by an authenticated agent: an agent's answer")),
]

for c in CASES:
    c.facts = delivered(c) + c.facts

TABLE = Table("notify", "pd_notify_plan", call, CASES, FACTS, observe=OBSERVE, explain=explain,
              always={"explain_agrees": True})
