#!/usr/bin/env python3
"""Agents hear of tickets (issue 4 items 5 and 6): notifications and forwards.

postdeskd over LMTP, a real PostgreSQL, Postfix's smtp-sink as the relay:
  - a new ticket notifies the active agents of the queue's default_group, one
    mail each, with the Reply-To token issued to that agent (minted here with
    the same key and compared) and the "reply above this line" marker; the
    acknowledgement goes to the customer as before;
  - the agent's reply to that address threads into the ticket; the same
    address used by another agent does not (tokens are per recipient);
  - a customer reply notifies again; a duplicate delivery, automatic mail on
    the ticket and mail from an agent address notify nobody; once the ticket
    is assigned, only the assignee is notified;
  - an account with a dedicated manager: the manager gets the new ticket as
    a forward (and nobody else a notification), then a notification for the
    customer's reply;
  - a queue's forward_to (not an agent) gets a forward with the original
    mail attached as message/rfc822; its reply to the forward threads back
    as customer mail (not an agent action) and notifies the agents;
  - a ticket held for moderation notifies nobody until `postdesk ticket
    release` lets it go;
  - every such mail carries Auto-Submitted: auto-generated, our markers and
    the bounce address as MAIL FROM;
  - `postdesk test` names who would be notified or forwarded.
"""
import json
import os
import re

import pdtest
from pdtest import check, check_eq
from smtpsink import Sink, header

KEY = "notify-test-key-0123456789abcdef"
MARKER = "##- Reply above this line -##"
ALICE = "alice@customer.test"
CAROL = "carol@acme.test"
BOSS = "boss@partner.test"
ANN, BEN, CAT, DAN, MIA = ("%s@example.com" % n for n in ("ann", "ben", "cat", "dan", "mia"))

QUEUES = """
[queue support]
addresses = support@example.com
default_group = tier1

[queue sales]
addresses = sales@example.com
forward_to = %s

[queue vip]
addresses = vip@example.com
unknown_senders = moderate
""" % BOSS


def outbound_config(port):
    return pdtest.outbound_config(port, KEY)


def mint_reply(ticket_id, recipient):
    return pdtest.mint_token("reply", KEY, "support@example.com", ticket_id, recipient)


def deliver(d, data, sender, rcpt="support@example.com"):
    return pdtest.deliver_ticket(d.port, data, sender, rcpt)


def mail(frm, msgid, subject="Printer on fire", headers=(), to="support@example.com",
         body="Hello,\nthe printer is on fire.\n"):
    return pdtest.message(subject=subject, frm=frm, msgid=msgid, to=to, headers=headers,
                          body=body)


class Outbox:
    """The sink's new mails (its dump files are not in arrival order), once
    the sender has finished every row."""

    def __init__(self, env, sink):
        self.env, self.sink, self.seen = env, sink, set()

    def wait_new(self, expected):
        pdtest.outbound_settled(self.env, timeout=20)   # the sink has all there will be
        new = [m for m in self.sink.dumps() if m not in self.seen]
        self.seen.update(new)
        check_eq(len(new), expected, "new mails at the sink: %s" %
                 [(header(m, "X-Rcpt-Args"), header(m, "Subject")) for m in new])
        return new


def rcpt(m):
    return (header(m, "X-Rcpt-Args") or "").strip("<>")


def by_rcpt(mails):
    return {rcpt(m): m for m in mails}


def ticket_id(env, number):
    return env.scalar("select id from tickets where number = :'p1'", number)


def skipped(env, number):
    return [json.loads(r[0])["reason"] for r in env.query(
        "select e.detail::text from events e join tickets t on t.id = e.ticket_id"
        " where t.number = :'p1' and e.kind = 'notify.skipped' order by e.id", number)]


def check_agent_mail(m, env, number, to, kind):
    tid = ticket_id(env, number)
    check_eq(rcpt(m), to, "RCPT TO")
    check_eq(header(m, "Auto-Submitted"), "auto-generated", "%s: Auto-Submitted" % kind)
    check_eq(header(m, "X-Auto-Response-Suppress"), "All", "X-Auto-Response-Suppress")
    check_eq(header(m, "X-Postdesk-Ticket"), str(number), "marker header")
    # the signed bounce address of this very row (lib/smtp/pd-return-path.c)
    oid = env.scalar("select id from outbound where message_id = '%s'"
                     % header(m, "Message-ID").strip().strip("<>"))
    check_eq(header(m, "X-Mail-Args"),
             "<%s>" % pdtest.mint_token("bounce", KEY, "bounces@example.com", oid, to),
             "MAIL FROM: the row's signed bounce address")
    check("<support@example.com>" in (header(m, "From") or ""), "From: %r" % header(m, "From"))
    check_eq(header(m, "Reply-To").split("<")[-1].rstrip(">"), mint_reply(tid, to),
             "Reply-To token issued to %s" % to)
    check(MARKER in m, "%s carries the reply marker" % kind)
    check("#%d" % number in header(m, "Subject"), "subject tag: %r" % header(m, "Subject"))


def setup_people(env):
    ok = lambda *a: env.postdesk(*a, check_rc=0)
    ok("agent", "add", ANN, "--name", "Ann Agent", "--group", "tier1")
    ok("agent", "add", BEN, "--name", "Ben Agent", "--group", "tier1", "--group", "tier2")
    ok("agent", "add", CAT, "--name", "Cat Agent", "--group", "tier2")
    ok("agent", "add", DAN, "--name", "Dan Agent", "--group", "tier1")
    ok("agent", "set", DAN, "--inactive")
    ok("agent", "add", MIA, "--name", "Mia Manager", "--group", "managers")
    ok("account", "add", "Acme", "--plan", "premium", "--domain", "acme.test",
       "--manager", MIA)


def main():
    if not os.path.exists(pdtest.MINT):
        pdtest.skip("pd-token-mint not built (%s)" % pdtest.MINT)
    sink = Sink()
    try:
        with pdtest.Env(queues=QUEUES) as env:
            setup_people(env)
            d = env.daemon(extra=outbound_config(sink.port))
            box = Outbox(env, sink)
            group_notifications(env, d, box)
            manager(env, d, box)
            forward_to(env, d, box)
            held(env, d, box)
            explain(env, d)
            check_config(env, sink)
    finally:
        sink.stop()


def group_notifications(env, d, box):
    first = mail("Alice <%s>" % ALICE, "<n1@customer.test>",
                 body="Hello,\nthe printer is on fire.\nPlease send water.\n")
    t1 = deliver(d, first, ALICE)
    new = by_rcpt(box.wait_new(3))
    check_eq(sorted(new), sorted([ALICE, ANN, BEN]), "ack + tier1's active agents")
    check_eq(header(new[ALICE], "Auto-Submitted"), "auto-replied", "the ack is unchanged")
    for agent in (ANN, BEN):
        check_agent_mail(new[agent], env, t1, agent, "notification")
        check("Please send water." in new[agent], "the customer's text")
        check_eq(header(new[agent], "In-Reply-To"), "<n1@customer.test>", "In-Reply-To")
    check_eq(env.query("select kind, template, array_to_string(recipients, ',')"
                       " from outbound where kind <> 'ack' order by id"),
             [["notification", "agent-notification", ANN],
              ["notification", "agent-notification", BEN]], "one row per agent")

    # the customer answers: notified again; a redelivery of it: nothing
    reply = mail("Alice <%s>" % ALICE, "<n2@customer.test>", "Re: Printer on fire",
                 ["In-Reply-To: <n1@customer.test>", "References: <n1@customer.test>"],
                 body="It is getting worse.\n")
    check_eq(deliver(d, reply, ALICE), t1, "the reply threads")
    check_eq(deliver(d, reply, ALICE), t1, "redelivery")
    new = by_rcpt(box.wait_new(2))
    check_eq(sorted(new), sorted([ANN, BEN]), "a customer reply notifies, no second ack")
    check("It is getting worse." in new[ANN], "the reply's text")

    # Ann answers to the Reply-To of her notification: threads by her token,
    # and notifies nobody (an agent's mail; not authenticated here)
    tid = ticket_id(env, t1)
    ann_reply = mint_reply(tid, ANN)
    answer = mail("Ann Agent <%s>" % ANN, "<a1@example.com>", "Re: [#%d] Printer on fire" % t1,
                  ["In-Reply-To: <n1@customer.test>"], to=ann_reply,
                  body="Sending water.\n\n> %s\n> ...\n" % MARKER)
    check_eq(deliver(d, answer, ANN, rcpt=ann_reply), t1, "the agent's reply threads by token")
    # Ben's token used by Ann: not hers, a ticket of its own, nobody notified
    ben_reply = mint_reply(tid, BEN)
    stolen = mail("Ann Agent <%s>" % ANN, "<a2@example.com>", "Re: something", to=ben_reply)
    other = deliver(d, stolen, ANN, rcpt=ben_reply)
    check(other != t1, "another agent's token does not thread")
    # automatic mail on the ticket (a vacation reply): nobody
    auto = mail("Alice <%s>" % ALICE, "<n3@customer.test>", "Out of office",
                ["In-Reply-To: <n2@customer.test>", "Auto-Submitted: auto-replied"])
    check_eq(deliver(d, auto, ALICE), t1, "the automatic mail threads")
    new = box.wait_new(1)
    check_eq((rcpt(new[0]), header(new[0], "Auto-Submitted")), (ANN, "auto-replied"),
             "only the acknowledgement of Ann's new ticket; no notification")
    reasons = skipped(env, t1)
    check_eq(len(reasons), 2, "two skipped: %r" % reasons)
    check("agent" in reasons[0], "agent's mail: %r" % reasons[0])
    check("automatic mail (auto-submitted)" in reasons[1], "automatic: %r" % reasons[1])
    check("agent" in skipped(env, other)[0], "new ticket by an agent: nobody")
    check_eq(env.scalar("select count(*) from outbound where ticket_id = :'p1'", tid), "5",
             "ack + 2 + 2, nothing for redelivery, agent or robot")

    # assigned (#assign, sql/functions/agent.sql; set here directly): the customer's
    # next mail notifies the assignee only, even one outside the group
    env.query("update tickets set assignee_agent_id ="
              " (select agent_id from agent_addresses where address = :'p1')"
              " where number = :'p2'", CAT, t1)
    more = mail("Alice <%s>" % ALICE, "<n4@customer.test>", "Re: Printer on fire",
                ["In-Reply-To: <n2@customer.test>"], body="Any news?\n")
    check_eq(deliver(d, more, ALICE), t1, "threads")
    new = box.wait_new(1)
    check_eq(rcpt(new[0]), CAT, "the assignee only")
    check_agent_mail(new[0], env, t1, CAT, "notification")


def manager(env, d, box):
    t = deliver(d, mail("Carol <%s>" % CAROL, "<c1@acme.test>", "VPN down"), CAROL)
    new = by_rcpt(box.wait_new(2))
    check_eq(sorted(new), sorted([CAROL, MIA]), "the manager only, not tier1")
    check_agent_mail(new[MIA], env, t, MIA, "forward")
    check_eq(env.scalar("select kind from outbound where recipients = array[:'p1']"
                        " and ticket_id = :'p2'", MIA, ticket_id(env, t)), "forward",
             "a managed account's new ticket is forwarded to the manager")
    check("message/rfc822" in new[MIA], "the original attached")
    reply = mail("Carol <%s>" % CAROL, "<c2@acme.test>", "Re: VPN down",
                 ["In-Reply-To: <c1@acme.test>"], body="Still down.\n")
    check_eq(deliver(d, reply, CAROL), t, "threads")
    new = box.wait_new(1)
    check_eq(rcpt(new[0]), MIA, "the reply: a notification to the manager only")
    check_agent_mail(new[0], env, t, MIA, "notification")
    check("Still down." in new[0], "text")


def forward_to(env, d, box):
    t = deliver(d, mail("Alice <%s>" % ALICE, "<s1@customer.test>", "Quote please",
                        to="sales@example.com", body="Ten printers, please.\n"),
                ALICE, rcpt="sales@example.com")
    new = by_rcpt(box.wait_new(6))
    check_eq(sorted(new), sorted([ALICE, BOSS, ANN, BEN, CAT, MIA]),
             "ack, forward, every active agent (no default_group)")
    fwd = new[BOSS]
    check_agent_mail(fwd, env, t, BOSS, "forward")
    check("Ten printers, please." in fwd, "inline text")
    check(re.search(r"(?i)content-type: message/rfc822", fwd), "message/rfc822 attached")
    check("Message-ID: <s1@customer.test>" in fwd, "the original's own headers inside")
    # Boss answers the forward: threads (token issued to him), customer mail
    boss_reply = mint_reply(ticket_id(env, t), BOSS)
    answer = mail("Boss <%s>" % BOSS, "<b1@partner.test>", "Re: Fwd: [#%d] Quote please" % t,
                  to=boss_reply, body="Give them 10% off.\n")
    check_eq(deliver(d, answer, BOSS, rcpt=boss_reply), t, "forward_to's reply threads")
    check_eq(env.scalar("select kind from messages where message_id = 'b1@partner.test'"),
             "customer", "not an agent action")
    new = by_rcpt(box.wait_new(4))
    check_eq(sorted(new), sorted([ANN, BEN, CAT, MIA]), "the agents hear of it; no forward")


def held(env, d, box):
    t = deliver(d, mail("Alice <%s>" % ALICE, "<v1@customer.test>", "Let me in",
                        to="vip@example.com"), ALICE, rcpt="vip@example.com")
    box.wait_new(0)
    check("held" in skipped(env, t)[0], "held: %r" % skipped(env, t))
    # the operator lets it go: now the agents hear of it, as of a new ticket
    out = env.postdesk("ticket", "release", str(t), check_rc=0, config=d.config_path).stdout
    check("released" in out, out)
    new = by_rcpt(box.wait_new(4))
    check_eq(sorted(new), sorted([ANN, BEN, CAT, MIA]), "released: every active agent")
    check_agent_mail(new[CAT], env, t, CAT, "notification")
    env.postdesk("ticket", "release", str(t), check_rc=0, config=d.config_path)
    box.wait_new(0)     # not held any more: nothing again


def explain(env, d):
    path = os.path.join(env.dir, "explain.eml")
    with open(path, "wb") as f:
        f.write(mail("Alice <%s>" % ALICE, "<x1@customer.test>", "New one"))
    out = env.postdesk("test", "--to", "support@example.com", path, check_rc=0,
                       config=d.config_path).stdout
    check(re.search(r"Notify:.*%s" % re.escape(ANN), out), "test names Ann: %s" % out)
    check(BEN in out and CAT not in out, "only tier1")
    out = env.postdesk("test", "--json", "--to", "sales@example.com", path, check_rc=0,
                       config=d.config_path).stdout
    rec = json.loads(out)["recipients"][0]["notify"]
    kinds = sorted((r["kind"], r["address"]) for r in rec)
    check(("forward", BOSS) in kinds, "test --json: the forward %r" % kinds)
    # notify_agents = no: nobody, and `postdesk test` says why
    off = os.path.join(env.dir, "off.conf")
    with open(d.config_path) as f, open(off, "w") as g:
        g.write(f.read().replace("[outbound]\n", "[outbound]\nnotify_agents = no\n"))
    out = env.postdesk("test", "--to", "support@example.com", path, check_rc=0,
                       config=off).stdout
    check("notify_agents = no" in out, "test with notify_agents = no: %s" % out)


def check_config(env, sink):
    # [auth] on: without it check-config warns that agents' answers cannot act
    auth = "[auth]\nmode = verify\n"

    def verdict(queues, extra=""):
        path = os.path.join(env.dir, "check.conf")
        with open(path, "w") as f:
            f.write(env.config_text(extra=outbound_config(sink.port) + extra + auth)
                    .replace(QUEUES, queues))
        os.chmod(path, 0o600)	# it holds token_keys (check-config refuses 0644)
        r = env.postdesk("check-config", config=path)
        return r.returncode, r.stdout + r.stderr

    check_eq(verdict(QUEUES), (0, "ok\n"), "the test's own configuration")
    rc, out = verdict(QUEUES.replace("forward_to = %s" % BOSS, "forward_to = Vip@Example.com"))
    check(rc == 78 and "own address" in out, "forward_to to ourselves: %d %s" % (rc, out))
    rc, out = verdict(QUEUES.replace("default_group = tier1", "default_group = tier1, tier2"))
    check(rc == 78 and "default_group" in out, "two groups: %d %s" % (rc, out))
    rc, out = verdict(QUEUES, "notify_agents = maybe\n")
    check(rc == 78 and "notify_agents" in out, "not yes/no: %d %s" % (rc, out))


if __name__ == "__main__":
    main()
