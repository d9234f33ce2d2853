"""Agent answer: when a mail counts as an agent's answer, and what it does
(pd_agent_answer; its commands: table_agent_command.py).

postdeskd(8) "Agents working by mail": a mail is an agent answer when it threads
into an existing ticket, its From is an active agent's address and its From
domain is authenticated (the identity decision's agent_action).  Then it is
the agent's message (kind agent, or note for #note), the agent takes part,
its commands apply, and unless it is a note its text is relayed to the
requester and the other participants (not agents, not the sender), in reply
to the customer's last message, with the attachments that fit
relay_attachments_max (never an inline part with a Content-ID).  The first
relayed answer sets first_response_at; a ticket still new becomes open.
The same answer reaching the ticket through another of our addresses acts
once.  Not an answer (event agent.refused): an unauthenticated agent
address, an answer to no ticket.

answer(text, note=, commands=, max=): lib/ticket pd_agent_answer_json plus
what the pipeline adds.  Expect: result (relay rows, None: not an answer),
kind (of the message), relayed (addresses), refused (agent.refused why),
not_relayed (why nothing went out), status, first_response, attachments
(the relay's file names), left_out (the template's attachments.left_out).
Every case also asks `postdesk test`'s function (pd_agent_answer_decide,
before the mail is stored; pd_agent_answer acts by it) and expects the same
decision and relay list: explain_agrees.
"""
from rules import (THIS_MESSAGE, Table, agent, attachment, case, identity, lit, message,
                   participant, ticket, ticket_id)

ANN, BEN = "ann@example.com", "ben@example.com"
ALICE, BOB = "alice@customer.test", "bob@partner.test"

FACTS = [agent(ANN, name="Ann Agent"), agent(BEN),
         ticket(10001, status="new", requester=ALICE), participant(10001, ALICE),
         participant(10001, BOB, "cc"), participant(10001, BEN, "agent"),
         message(10001, "q1@customer.test", ALICE), message(10001, "q2@customer.test", ALICE),
         ticket(10002, status="open", requester=BEN), participant(10002, BEN)]


def this(number=10001, msgid="answer@example.com", frm=ANN):
    """The agent's mail being delivered, stored as customer mail first."""
    return message(number, msgid, frm, this=True)


AGENT = identity("agent", True, agent=ANN, agent_action=True)
NOT_AUTHENTICATED = identity("agent", False, agent=ANN, reason="From domain not authenticated")


def answer(text="Hello Alice,\nit is fixed.", note=False, commands=(), max=7000000):
    return {"note": note, "commands": [{"command": c, "argument": a, "error": None, "line": i}
                                       for i, (c, a) in enumerate(commands, 1)],
            "text": text, "from": ANN, "envelope_from": "bounces@example.com",
            "attachments_max": max, "template": "agent-reply"}


def call(c):
    number = c.args.get("ticket", 10001)
    return "pd_agent_answer(%s, %s, %s, %s, %s, %s)" % (
        ticket_id(number), THIS_MESSAGE, lit(c.args.get("new", False)),
        lit(c.args.get("duplicate", False)), c.args.get("identity", AGENT),
        lit(c.args.get("answer", answer())))


def explain(c):
    """What `postdesk test` says (pd_agent_answer_decide, before the mail is
    stored: no row, its Message-ID)."""
    return ("(SELECT to_jsonb(d) FROM pd_agent_answer_decide(%s, NULL, 'answer@example.com', "
            "%s, %s, %s) d)" % (ticket_id(c.args.get("ticket", 10001)),
                                lit(c.args.get("new", False)), c.args.get("identity", AGENT),
                                lit(c.args.get("answer", answer()))))


DELIVERED = """(SELECT jsonb_build_object(
  'result', current_setting('rules.result')::jsonb,
  'kind', m.kind,
  'relayed', (SELECT coalesce(jsonb_agg(o.recipients[1] ORDER BY o.id), '[]') FROM outbound o
              WHERE o.ticket_id = m.ticket_id AND o.kind = 'relay'),
  'in_reply_to', (SELECT DISTINCT p.message_id FROM outbound o JOIN messages p
                  ON p.id = o.message_row WHERE o.ticket_id = m.ticket_id AND o.kind = 'relay'),
  'attachments', (SELECT jsonb_agg(a->>'filename') FROM outbound o,
                  jsonb_array_elements(o.attachments) a
                  WHERE o.id = (SELECT min(id) FROM outbound WHERE ticket_id = m.ticket_id
                                AND kind = 'relay')),
  'left_out', (SELECT o.template_values->>'attachments.left_out' FROM outbound o
               WHERE o.id = (SELECT min(id) FROM outbound WHERE ticket_id = m.ticket_id
                             AND kind = 'relay')),
  'refused', (SELECT e.detail->>'why' FROM events e WHERE e.message_row = m.id
              AND e.kind = 'agent.refused'),
  'not_relayed', (SELECT e.detail->>'why_not_relayed' FROM events e WHERE e.message_row = m.id
                  AND e.kind = 'agent.answered'),
  'commands', (SELECT count(*) FROM events e WHERE e.message_row = m.id
               AND e.kind = 'agent.command'),
  'agent_takes_part', EXISTS (SELECT 1 FROM participants p WHERE p.ticket_id = m.ticket_id
                              AND p.address = %s AND p.role = 'agent'),
  'notice', (SELECT o.recipients[1] || ': ' || (o.template_values->>'message.text')
             FROM outbound o WHERE o.ticket_id = m.ticket_id AND o.kind = 'notification'
             AND o.template = 'agent-refused'),
  'reply', (SELECT o.template_values->>'reply.name' FROM outbound o
            WHERE o.id = (SELECT min(id) FROM outbound WHERE ticket_id = m.ticket_id
                          AND kind = 'relay')),
  'status', t.status,
  'first_response', t.first_response_at IS NOT NULL)
 FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.idempotency_key = 'this')""" % lit(ANN)

# postdesk test's decision beside what the delivery did: the same kind of
# answer (refused, again, note, commands, answer) and the same relay list
OBSERVE = """(SELECT o || jsonb_build_object(
  'explain', x.e->>'decision',
  'explain_agrees', coalesce(x.e->>'decision', '-') = CASE
        WHEN o->>'refused' LIKE 'the same answer%%' THEN 'again'
        WHEN o->>'refused' IS NOT NULL THEN 'refused'
        WHEN o->>'kind' = 'note' THEN 'note'
        WHEN o->>'not_relayed' = 'nothing but commands and quotes' THEN 'commands'
        WHEN o->>'kind' = 'agent' THEN 'answer' ELSE '-' END
    AND (SELECT coalesce(jsonb_agg(r->'address'), '[]')
           FROM jsonb_array_elements(coalesce(x.e->'relay_to', '[]')) r) = o->'relayed')
 FROM %s AS y (o), (SELECT current_setting('rules.explain')::jsonb AS e) x)""" % DELIVERED


def relayed(*to, **more):
    return dict(relayed=list(to), refused=None, **more)


def refused(why, **more):
    return dict(result=None, kind="customer", relayed=[], refused=why, commands=0, **more)


CASES = [
    case("an authenticated active agent's answer is relayed to the requester and the Cc "
         "participant, not to agents", [this()],
         expect=relayed(ALICE, BOB, result=2, kind="agent", not_relayed=None,
                        agent_takes_part=True, reply=None)),
    case("the relay answers the customer's last message", [this()],
         expect=relayed(ALICE, BOB, in_reply_to="q2@customer.test")),
    case("the first relayed answer sets first_response_at and opens a new ticket", [this()],
         expect=relayed(ALICE, BOB, status="open", first_response=True)),
    case("an answer on a pending ticket leaves it pending",
         [ticket(10003, status="pending", requester=ALICE), participant(10003, ALICE),
          this(10003)], ticket=10003, expect=relayed(ALICE, status="pending")),
    case("#close with a text: relayed, and the ticket stays closed", [this()],
         answer=answer(commands=[("close", None)]),
         expect=relayed(ALICE, BOB, status="closed", commands=1)),
    case("#note: stored as a note, relayed to nobody", [this()],
         answer=answer(note=True, commands=[("note", None)]),
         expect=dict(result=0, kind="note", relayed=[], not_relayed="internal note",
                     status="new", first_response=False)),
    case("nothing but commands and quotes: commands apply, nothing is relayed", [this()],
         answer=answer(text="", commands=[("priority", "high")]),
         expect=dict(result=0, kind="agent", relayed=[], commands=1,
                     not_relayed="nothing but commands and quotes", first_response=False)),
    case("#cc ADDRESS: the new participant gets this answer too", [this()],
         answer=answer(commands=[("cc", "dora@customer.test")]),
         expect=relayed(ALICE, BOB, "dora@customer.test", commands=1)),
    case("#cc of someone already taking part relays once", [this()],
         answer=answer(commands=[("cc", BOB)]), expect=relayed(ALICE, BOB)),
    case("#reply NAME alone: relayed, the relay names the canned reply", [this()],
         answer=answer(text="", commands=[("reply", "password-reset")]),
         expect=relayed(ALICE, BOB, kind="agent", reply="password-reset", not_relayed=None)),
    case("#reply NAME with a text: the last obeyed #reply counts", [this()],
         answer=answer(commands=[("reply", "solved"), ("reply", "password-reset")]),
         expect=relayed(ALICE, BOB, reply="password-reset")),
    case("commands not obeyed: one notice to the agent lists them all", [this()],
         answer=dict(answer(), commands=[
             {"command": "assign", "argument": "nobody@example.com", "error": None, "line": 1},
             {"command": "frob", "argument": None, "error": "unknown command", "line": 2},
             {"command": "priority", "argument": "high", "error": None, "line": 3}]),
         expect=relayed(ALICE, BOB, commands=3, notice=ANN + ": #assign nobody@example.com "
                        "(line 1): not an active agent\n#frob (line 2): unknown command")),
    case("every command obeyed: no notice", [this()],
         answer=answer(commands=[("priority", "high")]), expect=relayed(ALICE, BOB, notice=None)),
    case("no customer takes part: nothing is relayed, and why", [this(10002)], ticket=10002,
         expect=dict(result=0, kind="agent", relayed=[], not_relayed="no customer takes part")),
    case("an agent's address among the Cc participants gets no relay",
         [participant(10001, ANN, "cc"), this()], expect=relayed(ALICE, BOB)),
    case("From not authenticated: an ordinary customer message, nothing obeyed or relayed",
         [this()], identity=NOT_AUTHENTICATED, answer=answer(commands=[("close", None)]),
         expect=refused("not an agent action: From domain not authenticated", status="new")),
    case("an inactive agent: an ordinary customer message",
         [this()], identity=identity("agent", True, agent=ANN, reason="inactive agent"),
         expect=refused("not an agent action: inactive agent")),
    case("an authenticated agent's mail to no ticket: an ordinary new ticket, commands not "
         "applied", [this()], new=True, answer=answer(commands=[("close", None)]),
         expect=refused("answers no ticket: an ordinary new ticket", status="new")),
    case("a duplicate delivery does nothing at all (postdesk test looks for no duplicates: "
         "it names the answer)", [this()], duplicate=True,
         expect=dict(result=None, kind="customer", relayed=[], refused=None,
                     explain="answer", explain_agrees=False)),
    case("the same answer through another of our addresses acts once",
         [message(10001, "answer@example.com", ANN, kind="agent"), this()],
         answer=answer(commands=[("close", None)]),
         expect=dict(result=0, kind="agent", relayed=[], commands=0, status="new",
                     refused="the same answer reached this ticket through another of our "
                             "addresses; it acted then")),
    case("a mail that is not an agent's (no answer facts) is nothing here", [this()],
         answer=None, identity=identity("contact"), expect=dict(result=None, refused=None)),
    # attachments
    case("the relay carries the agent's attachments",
         [this(), attachment("report.pdf", 1000), attachment("log.txt", 500, "text/plain",
                                                             position=1)],
         expect=relayed(ALICE, BOB, attachments=["report.pdf", "log.txt"], left_out=None)),
    case("an inline image with a Content-ID (a signature logo) is not relayed",
         [this(), attachment("logo.png", 300, "image/png", inline=True, content_id="l@x"),
          attachment("report.pdf", 1000, position=1)],
         expect=relayed(ALICE, BOB, attachments=["report.pdf"], left_out=None)),
    case("an inline part without a Content-ID is relayed (Apple Mail's dropped-in file)",
         [this(), attachment("photo.jpg", 300, "image/jpeg", inline=True)],
         expect=relayed(ALICE, BOB, attachments=["photo.jpg"])),
    case("what does not fit relay_attachments_max is left out and named",
         [this(), attachment("small.pdf", 600), attachment("big.pdf", 900, position=1),
          attachment("tiny.txt", 300, "text/plain", position=2)], answer=answer(max=1000),
         expect=relayed(ALICE, BOB, attachments=["small.pdf", "tiny.txt"], left_out="big.pdf")),
    case("relay_attachments_max = 0 relays none", [this(), attachment("report.pdf", 1000)],
         answer=answer(max=0), expect=relayed(ALICE, BOB, attachments=None,
                                              left_out="report.pdf")),
    case("a note carries no attachments (nothing is relayed)",
         [this(), attachment("report.pdf", 1000)], answer=answer(note=True),
         expect=dict(result=0, kind="note", relayed=[], attachments=None)),
]

TABLE = Table("agent-answer", "pd_agent_answer", call, CASES, FACTS, observe=OBSERVE,
              explain=explain, always={"explain_agrees": True})
