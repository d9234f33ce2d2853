#!/usr/bin/env python3
"""Tickets worked from the command line and canned replies (issue 14,
sections 1 and 3).

postdeskd over LMTP, a real PostgreSQL, Postfix's smtp-sink as the relay:
  - `ticket set` changes status, priority, category, queue and assignee
    (options or FIELD VALUE pairs), one ticket.set event per change with the
    actor; bad values exit 64, an unknown ticket or agent 67, nothing written;
  - `ticket note` stores an internal note that goes to nobody;
  - `ticket reply` (stdin) is stored as the agent's answer and relayed to the
    requester and the Cc participant from the support address, with the
    agent's name, threaded to the customer's mail, and sets the first
    response; `--template NAME` sends the canned reply rendered for the
    ticket before the text; an unknown name exits 67 listing the known ones;
  - `ticket participant add|remove`: an added address gets the next relay,
    a removed one does not; the requester stays;
  - `ticket list` filters by category, assignee, requester, account, dates
    and full-text search, as a table or --json;
  - `reply list|show` and check-config read filters/replies.
"""
import json
import os
import re

import pdtest
from pdtest import check, check_eq
from smtpsink import Sink, header

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
REPLIES = os.path.join(pdtest.SOURCE_DIR, "filters", "replies")
KEY = "desk-test-key-0123456789abcdef00"
ALICE = "alice@customer.test"
CARL = "carl@customer.test"
DORA = "dora@customer.test"
ANN = "ann@example.com"

QUEUES = """
[queue support]
addresses = support@example.com

[queue billing]
addresses = billing@example.com

[plan premium]
response_time = 4 business hours

[plan basic]

[category hardware]
description = printers, screens, anything that burns

[category billing]
"""


def outbound_config(port):
    return pdtest.outbound_section(port, KEY, TEMPLATES,
                                   "replies = %s\nnotify_agents = no\n" % REPLIES)


def body_of(dump):
    import email
    import email.policy
    msg = email.message_from_string(dump, policy=email.policy.default)
    part = msg.get_body(("plain",))
    return part.get_content() if part is not None else ""


def mail_of(env, sink, outbound_id):
    """The mail of an outbound row as it reached the sink."""
    mid = "<%s>" % env.scalar("select message_id from outbound where id = :'p1'", outbound_id)
    found = [x for x in sink.dumps() if header(x, "Message-Id") == mid]
    check_eq(len(found), 1, "outbound %s at the sink once" % outbound_id)
    return found[0]


def main():
    sink = Sink()
    try:
        with pdtest.Env(queues=QUEUES, extra_config=outbound_config(sink.port)) as env:
            scenario(env, env.daemon(), sink)
    finally:
        sink.stop()


def scenario(env, d, sink):
    def ok(*args, input=None):
        return env.postdesk(*args, input=input, check_rc=0).stdout

    def bad(rc, say, *args, input=None):
        p = env.postdesk(*args, input=input, check_rc=rc)
        err = p.stderr.decode() if isinstance(p.stderr, bytes) else p.stderr
        check(say in err, "%s: stderr %r lacks %r" % (args, err, say))

    def events(kind):
        return [[r[0]] + [json.loads(r[1])] for r in env.query(
            "select actor, detail from events where kind = :'p1' order by id", kind)]

    def relays():
        return [r[0] for r in env.query("select array_to_string(recipients, ',') from outbound"
                                        " where kind = 'relay' order by id")]

    ok("agent", "add", ANN, "--name", "Ann Agent", "--signature", "Ann\nBilling team")
    bad(64, "unknown plan \"gold\" (configured: premium, basic)", "account", "add", "acme",
        "--plan", "gold")
    ok("account", "add", "acme", "--domain", "customer.test", "--plan", "premium")
    number = str(pdtest.deliver_ticket(d.port, pdtest.message(
        frm="Alice Example <%s>" % ALICE, msgid="<fire.1@customer.test>",
        subject="Printer on fire", body="Hello,\nthe printer is on fire, smoke everywhere.\n",
        headers=("Cc: Carl <%s>" % CARL,)), ALICE))
    other = str(pdtest.deliver_ticket(d.port, pdtest.message(
        frm="bob@other.test", msgid="<inv.1@other.test>", subject="Invoice question",
        body="Why is the invoice so high?\n"), "bob@other.test", "billing@example.com"))
    pdtest.outbound_settled(env)
    acks = len(sink.dumps())
    ack = body_of(mail_of(env, sink, env.scalar(
        "select o.id from outbound o join tickets t on t.id = o.ticket_id"
        " where o.kind = 'ack' and t.number = :'p1'", number)))
    check("For acme we aim to answer within 4 business hours." in ack.replace("\n", " "),
          "the acknowledgement names the plan's response time:\n" + ack)
    ack = body_of(mail_of(env, sink, env.scalar(
        "select o.id from outbound o join tickets t on t.id = o.ticket_id"
        " where o.kind = 'ack' and t.number = :'p1'", other)))
    check("aim to answer" not in ack, "no plan, no promise:\n" + ack)

    # --- ticket set ----------------------------------------------------------
    out = ok("ticket", "set", number, "--status", "pending", "--priority", "high",
             "--category", "hardware", "--queue", "billing", "--assign", "Ann+x@EXAMPLE.com",
             "--actor", "op@example.com")
    check("status pending" in out and "priority high" in out, out)
    check_eq(env.query("select t.status, t.priority, t.category, q.name,"
                       " pd_agent_main_address(t.assignee_agent_id), t.closed_at is null"
                       " from tickets t join queues q on q.id = t.queue_id"
                       " where t.number = :'p1'", number),
             [["pending", "high", "hardware", "billing", ANN, "t"]], "the ticket changed")
    sets = events("ticket.set")
    check_eq([(e[0], e[1]["field"], e[1]["old"], e[1]["new"]) for e in sets],
             [("op@example.com", "status", "new", "pending"),
              ("op@example.com", "priority", "normal", "high"),
              ("op@example.com", "category", None, "hardware"),
              ("op@example.com", "queue", "support", "billing"),
              ("op@example.com", "assign", None, ANN)], "one event per change, with the actor")
    # the FIELD VALUE form; an unchanged value writes no event
    ok("ticket", "set", number, "status", "solved", "priority", "high", "--actor", "op2")
    check_eq(env.scalar("select status || ',' || (closed_at is not null) from tickets"
                        " where number = :'p1'", number), "solved,true", "solved sets closed_at")
    check_eq(len(events("ticket.set")), 6, "priority high again: no event")
    ok("ticket", "set", number, "--status", "open", "--queue", "support", "--category", "")
    check_eq(env.query("select status, closed_at is null, category is null from tickets"
                       " where number = :'p1'", number), [["open", "t", "t"]], "reopened")
    js = json.loads(ok("ticket", "set", "#" + number, "--assign", "", "--json"))
    check_eq(js, [{"field": "assign", "old": ANN, "new": None, "changed": True}], "--json")
    ok("ticket", "set", number, "--assign", ANN)

    before = env.scalar("select count(*) from events")
    bad(64, "unknown status", "ticket", "set", number, "--status", "bogus")
    bad(64, "unknown priority", "ticket", "set", number, "priority", "whenever")
    bad(64, "no [queue nowhere]", "ticket", "set", number, "--queue", "nowhere")
    bad(64, "category", "ticket", "set", number, "--category", "Not A Category!")
    bad(64, "unknown category \"toys\" (configured: hardware, billing)", "ticket", "set",
        number, "--category", "toys")
    bad(67, "unknown agent", "ticket", "set", number, "--assign", "nobody@example.com")
    bad(67, "no ticket 999999", "ticket", "set", "999999", "--status", "open")
    bad(64, "nothing to change", "ticket", "set", number)
    bad(64, "unknown field", "ticket", "set", number, "colour", "red")
    bad(64, "not a ticket number", "ticket", "set", "abc", "--status", "open")
    # one bad value among good ones: nothing of the call is written
    bad(64, "unknown priority", "ticket", "set", number, "--status", "closed",
        "--priority", "whenever")
    check_eq(env.scalar("select status from tickets where number = :'p1'", number), "open",
             "a refused call changes nothing")
    check_eq(env.scalar("select count(*) from events"), before, "no event for a refused call")

    # --- ticket note -----------------------------------------------------------
    out = ok("ticket", "note", number, "--agent", ANN, "--actor", "op@example.com",
             input="Called the customer: the fire brigade is there.\n")
    check("note added" in out, out)
    check_eq(env.query("select m.kind, m.direction, m.from_name, m.agent_id is not null"
                       " from messages m join tickets t on t.id = m.ticket_id"
                       " where t.number = :'p1' and m.kind = 'note'", number),
             [["note", "in", "Ann Agent", "t"]], "a note, by the agent")
    check_eq(relays(), [], "a note is sent to nobody")
    check_eq([e[0] for e in events("ticket.note")], ["op@example.com"], "note event")
    bad(64, "empty", "ticket", "note", number, input="  \n")
    bad(64, "not UTF-8", "ticket", "note", number, input=b"\xff\xfe bad\n")
    bad(64, "--template is for ticket reply", "ticket", "note", number, "--template",
        "solved", input="x\n")

    # --- ticket reply ----------------------------------------------------------
    out = ok("ticket", "reply", number, "--agent", ANN, "--actor", "op@example.com",
             input="We sent a technician with an extinguisher.\n")
    check_eq(out.strip(), "ticket %s: reply queued to %s, %s" % (number, ALICE, CARL), "reply")
    check_eq(relays(), [ALICE, CARL], "relayed to the requester and the Cc participant")
    check_eq(env.query("select m.kind, m.direction, t.first_response_at is not null"
                       " from messages m join tickets t on t.id = m.ticket_id"
                       " where t.number = :'p1' and m.direction = 'out'", number),
             [["agent", "out", "t"]], "stored as the agent's answer; first response set")
    pdtest.outbound_settled(env)
    dumps = sink.dumps()
    check_eq(len(dumps), acks + 2, "two relays at the sink")
    relay = mail_of(env, sink, env.scalar("select min(id) from outbound where kind = 'relay'"))
    text = body_of(relay)
    check("We sent a technician with an extinguisher." in text, text)
    check("Ann\nBilling team" in text, "the agent's signature:\n" + text)
    check_eq(header(relay, "In-Reply-To"), "<fire.1@customer.test>", "threaded")
    check(("[#%s]" % number) in header(relay, "Subject"), header(relay, "Subject"))
    check(ANN not in relay, "the agent's address never shows")

    # --- canned replies --------------------------------------------------------
    out = ok("reply", "list")
    check("password-reset" in out and "How to reset a password" in out, out)
    out = ok("reply", "show", "password-reset")
    check("File:    password-reset.txt" in out and "Forgot password?" in out, out)
    env.postdesk("reply", "show", "nosuch", check_rc=67)
    bad(67, "known: password-reset, solved", "ticket", "reply", number, "--template", "nosuch")
    bad(64, "not a canned reply", "ticket", "reply", number, "--template", "../x")
    ok("ticket", "participant", "add", number, DORA.upper(), "--actor", "op@example.com")
    bad(64, "already takes part", "ticket", "participant", "add", number, DORA)
    ok("ticket", "participant", "remove", number, CARL)
    bad(67, "takes no part", "ticket", "participant", "remove", number, CARL)
    bad(64, "requester", "ticket", "participant", "remove", number, ALICE)
    check_eq([(e[0], e[1]["address"]) for e in events("participant.added")],
             [("op@example.com", DORA)], "participant event")
    n_before = len(relays())
    out = ok("ticket", "reply", number, "--template", "password-reset")
    check_eq(out.strip(), "ticket %s: reply queued to %s, %s" % (number, ALICE, DORA),
             "Carl removed, Dora added")
    tmp = os.path.join(env.dir, "extra.txt")
    with open(tmp, "w") as f:
        f.write("And one more thing: the toner is on us.\n")
    ok("ticket", "reply", number, "--template", "solved", "--file", tmp)
    check_eq(len(relays()), n_before + 4, "two canned answers to two people")
    pdtest.outbound_settled(env)
    check_eq(env.scalar("select count(*) from outbound where status <> 'sent'"), "0",
             "everything sent")
    mine = [mail_of(env, sink, r[0]) for r in env.query(
        "select id from outbound where kind = 'relay' and recipients = ARRAY[:'p1'] order by id",
        DORA)]
    check_eq(len(mine), 2, "Dora got both canned answers")
    canned = [body_of(x) for x in mine]
    check(any("Forgot password?" in t and ("[#%s]" % number) in t for t in canned),
          "the canned reply rendered for the ticket:\n%s" % canned)
    both = [t for t in canned if "is solved" in t]
    check(len(both) == 1 and both[0].index("is solved") < both[0].index("toner is on us"),
          "the canned text, then the agent's own:\n%s" % both)
    check('"Printer on fire"' in both[0], "ticket.subject placeholder:\n" + both[0])
    check_eq([e[1].get("reply") for e in events("ticket.replied")],
             [None, "password-reset", "solved"], "ticket.replied events name the reply")

    # --- ticket list -----------------------------------------------------------
    ok("ticket", "set", number, "--category", "hardware")
    def listed(*args):
        return [str(t["number"]) for t in json.loads(ok("ticket", "list", "--json", *args))]
    check_eq(listed(), [number, other], "all, newest update first")
    check_eq(listed("--category", "hardware"), [number], "--category")
    check_eq(listed("--assignee", ANN), [number], "--assignee")
    check_eq(listed("--requester", "BOB@other.test"), [other], "--requester")
    check_eq(listed("--account", "acme"), [number], "--account")
    check_eq(listed("--search", "smoke"), [number], "--search: a word of the text")
    check_eq(listed("--search", "invoice"), [other], "--search: a word of the subject")
    check_eq(listed("--search", "smoke -fire"), [], "--search: websearch syntax")
    check_eq(listed("--search", "extinguisher"), [number], "--search: the answer's text")
    check_eq(listed("--since", "2000-01-01", "--until", "2999-01-01"), [number, other],
             "--since/--until")
    check_eq(listed("--since", "2999-01-01"), [], "--since the future")
    t = json.loads(ok("ticket", "list", "--json", "--search", "fire"))[0]
    check_eq((t["category"], t["assignee"], t["account"], t["priority"]),
             ("hardware", ANN, "acme", "high"), "--json members")
    out = ok("ticket", "list", "--search", "smoke")
    check(out.splitlines()[1].startswith(number), out)
    bad(64, "--since wants", "ticket", "list", "--since", "yesterday")
    bad(64, "--search wants", "ticket", "list", "--search", "")

    # --- tags ------------------------------------------------------------------
    out = ok("ticket", "set", number, "--tag", "vip", "--tag", "hardware", "--actor", "op")
    check("tag vip" in out, out)
    ok("ticket", "set", number, "--untag", "hardware", "--tag", "vip")
    check_eq(env.query("select g.tag from ticket_tags g join tickets t on t.id = g.ticket_id"
                       " where t.number = :'p1'", number), [["vip"]], "tags")
    check_eq([(e[1]["field"], e[1]["old"], e[1]["new"]) for e in events("ticket.set")
              if e[1]["field"] == "tag"],
             [("tag", None, "vip"), ("tag", None, "hardware"), ("tag", "hardware", None)],
             "a tag event per change, none for a tag already there")
    bad(64, "tag \"a b\"", "ticket", "set", number, "--tag", "a b")
    check("Tags:            vip" in ok("ticket", "show", number), "ticket show: tags")

    # --- merge ------------------------------------------------------------------
    third = str(pdtest.deliver_ticket(d.port, pdtest.message(
        frm="Alice Example <%s>" % ALICE, msgid="<fire.2@customer.test>",
        subject="Printer STILL on fire", body="It is still burning.\n"), ALICE))
    ok("ticket", "set", third, "--tag", "urgent-fire")
    out = ok("ticket", "merge", third, number, "--actor", "op@example.com")
    check_eq(out.strip(), "ticket %s merged into %s" % (third, number), "merge")
    check_eq(env.query("select status, (select number from tickets m where m.id = t.merged_into)"
                       " from tickets t where number = :'p1'", third),
             [["closed", number]], "the merged ticket is closed and points at the other")
    check_eq(env.scalar("select count(*) from messages m join tickets t on t.id = m.ticket_id"
                        " where t.number = :'p1'", third), "0", "its messages moved")
    check_eq(env.scalar("select count(*) from ticket_tags g join tickets t on t.id = g.ticket_id"
                        " where t.number = :'p1' and g.tag = 'urgent-fire'", number), "1",
             "its tags moved")
    check("Merged into:     %s" % number in ok("ticket", "show", third), "show points at it")
    check_eq(sorted(e[1].get("into", e[1].get("from")) for e in events("ticket.merged")),
             sorted([int(number), int(third)]), "an event on each ticket")
    # mail citing the merged ticket joins the one it went into
    n = pdtest.deliver_ticket(d.port, pdtest.message(
        frm="Alice Example <%s>" % ALICE, msgid="<fire.3@customer.test>",
        subject="Re: [#%s] Printer STILL on fire" % third, body="Any news?\n"), ALICE)
    check_eq(str(n), number, "[#merged] threads into the ticket it was merged into")
    bad(64, "already merged", "ticket", "merge", third, number)
    bad(64, "into itself", "ticket", "merge", number, number)
    bad(64, "merge into that one", "ticket", "merge", other, third)
    bad(67, "no ticket", "ticket", "merge", "999999", number)
    check_eq(listed("--search", "burning"), [number], "the moved message is found in its new "
             "ticket")

    # --- the history shows it all, with the actors -------------------------
    out = ok("ticket", "show", number)
    for want in ("op@example.com", "ticket.set", "ticket.note", "ticket.replied",
                 "participant.added", "(in, note)", "(out, agent)"):
        check(want in out, "ticket show lacks %r:\n%s" % (want, out))
    outbound = out[out.index("\nOutbound mail\n"):out.index("\nEvents\n")]
    check(re.search(r"#\d+ +ack +ack +to %s: sent \(1 attempt\)" % ALICE, outbound) and
          re.search(r"relay +agent-reply +to %s: sent" % DORA, outbound),
          "ticket show lists the outbound mail with its state:\n" + outbound)
    js = json.loads(ok("ticket", "show", number, "--json"))
    check_eq((js["number"], js["category"], js["tags"], js["merged_into"]),
             (int(number), "hardware", "urgent-fire, vip", None), "show --json")
    check(any(o["kind"] == "relay" and o["status"] == "sent" and o["to"] == DORA
              for o in js["outbound"]), "show --json: outbound %r" % js["outbound"])
    check(any(e["kind"] == "ticket.set" and e["actor"] == "op@example.com" and
              e["detail"]["field"] == "status" for e in js["events"]), "show --json: events")
    check(any(m["kind"] == "note" for m in js["messages"]), "show --json: the note")
    check_eq(json.loads(ok("ticket", "show", "--json", third))["merged_into"], int(number),
             "show --json: merged_into")
    out = ok("check-config")
    check(out is not None, out)


if __name__ == "__main__":
    main()
