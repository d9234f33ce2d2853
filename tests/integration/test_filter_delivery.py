#!/usr/bin/env python3
"""The operator's rules on the mail path (issue 10): postdeskd over LMTP with
two Sieve scripts (a scoring one, a routing one), a real PostgreSQL and
Postfix's smtp-sink as the relay.

  - GTUBE scores 1000: quarantined (250 "quarantined (N)"), no ticket, no
    mail out; the quarantine row holds the raw bytes, the reason, the score
    and the hit; the same mail again is the same row; the log line names
    the score;
  - reject for one recipient of two: 550 5.7.1 with the reason for it, a
    ticket for the other;
  - discard: 250, no ticket, nothing sent, logged as discarded;
  - a score over the hold threshold (5): a ticket held 'spam', no
    acknowledgement, no notification, the score and hits on the message;
  - routing: fileinto another queue, category, priority, assign, tag,
    forward: all on the ticket, the forward queued, the agents of the
    rule's group notified instead of the queue's;
  - noack: a ticket without acknowledgement (the reason recorded);
    reply "held": the acknowledgement uses that template;
  - `postdesk quarantine list/show/release/delete`: release makes the
    ticket the rules would have made without the score, once;
  - the quarantine job purges what nobody released after quarantine_days.
"""
import datetime
import json
import os

import pdtest
from pdtest import check, check_eq
from smtpsink import Sink

KEY = "filter-test-key-0123456789abcdef"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
ALICE = "alice@customer.test"

QUEUES = """
[queue support]
addresses = support@example.com
default_group = tier1

[queue billing]
addresses = billing@example.com
default_group = tier1
"""

SCORE = """require ["vnd.postdesk", "body"];
if body :contains "%s" { score :add 1000 "GTUBE"; }
if header :contains "subject" "CHEAP PILLS" { score :add 6 "SHOUTED_PILLS"; }
""" % GTUBE

ROUTE = """require ["vnd.postdesk", "fileinto", "reject", "envelope"];
if envelope :is "to" "billing@example.com" {
    if header :contains "subject" "for billing" { reject "billing takes no such mail"; }
}
if header :is "subject" "discard me" { discard; stop; }
if header :contains "subject" "invoice" {
    fileinto "billing"; category "invoices"; priority "high"; tag "money";
    assign "ann@example.com"; forward "boss@partner.test"; group "finance";
}
if header :contains "subject" "quiet" { noack; }
if header :contains "subject" "politely" { reply "held"; }
"""


def outbound_config(port):
    return pdtest.outbound_config(port, KEY)


def mail(subject, body="Hello,\nthe printer is on fire.\n", msgid=None):
    return pdtest.message(subject=subject, frm="Alice <%s>" % ALICE, msgid=msgid, body=body)


def one(port, data, rcpt="support@example.com"):
    replies = pdtest.lmtp_deliver(port, ALICE, [rcpt], data)
    check_eq(len(replies), 1, "one reply")
    return replies[0]


def ticket_number(reply):
    check(reply.startswith("250 2.0.0 Ok: ticket "), "a ticket: %r" % reply)
    return reply.rsplit(" ", 1)[1]


def outbound(env, number):
    return env.query("select o.kind, o.template, o.recipients[1] from outbound o"
                     " join tickets t on t.id = o.ticket_id where t.number = :'p1'"
                     " order by o.id", number)


def events(env, number, kind):
    return [json.loads(r[0]) for r in env.query(
        "select e.detail::text from events e join tickets t on t.id = e.ticket_id"
        " where t.number = :'p1' and e.kind = :'p2' order by e.id", number, kind)]


def main():
    sink = Sink()
    try:
        with pdtest.Env(queues=QUEUES) as env:
            run(env, sink)
    finally:
        sink.stop()


def run(env, sink):
    filters = os.path.join(env.dir, "filters")
    os.mkdir(filters)
    for name, text in (("score.sieve", SCORE), ("route.sieve", ROUTE)):
        with open(os.path.join(filters, name), "w") as f:
            f.write(text)
    for address, name, group in (("ann@example.com", "Ann", "finance"),
                                 ("ben@example.com", "Ben", "tier1")):
        env.postdesk("agent", "add", address, "--name", name, "--group", group, check_rc=0)
    extra = (outbound_config(sink.port) + "\n[filters]\ndir = %s\n"
             "scripts = score.sieve, route.sieve\n" % filters)
    d = env.daemon(extra=extra)

    # GTUBE: quarantined, nothing else
    spam = mail("hello", body="buy now\n%s\n" % GTUBE)
    reply = one(d.port, spam)
    check(reply.startswith("250 2.0.0 Ok: quarantined ("), "quarantined: %r" % reply)
    qid = reply.split("(")[1].split(")")[0]
    check_eq(env.scalar("select count(*) from tickets"), "0", "no ticket for GTUBE")
    row = env.query("select reason, spam_score, rule_hits::text, queue, recipient,"
                    " encode(raw, 'hex') from quarantine where id = :'p1'", qid)[0]
    check("1000" in row[0] and "10" in row[0], "the reason names score and threshold: %r"
          % row[0])
    check_eq(row[1], "1000", "the score")
    check_eq(json.loads(row[2]), [{"name": "GTUBE", "points": 1000}], "the hit")
    check_eq(row[3:5], ["support", "support@example.com"], "queue and recipient")
    check_eq(bytes.fromhex(row[5]), spam, "the raw bytes as received")
    again = one(d.port, spam)
    check_eq(again, "250 2.0.0 Ok: quarantined (%s), already" % qid, "the same mail again")
    check_eq(env.scalar("select count(*) from quarantine"), "1", "one quarantine row")
    pdtest.wait_for("the log line", lambda: "score=1000 (GTUBE 1000)" in d.log_text()
                    and "status=quarantined" in d.log_text())

    # reject for one recipient, a ticket for the other
    both = mail("for billing and support")
    replies = pdtest.lmtp_deliver(d.port, ALICE, ["support@example.com",
                                                  "billing@example.com"], both)
    check_eq(len(replies), 2, "a reply per recipient: %r" % replies)
    ticket_number(replies[0])
    check_eq(replies[1], "550 5.7.1 billing takes no such mail", "reject's reason")
    pdtest.wait_for("the rejection logged", lambda: "status=rejected" in d.log_text())

    # discard
    reply = one(d.port, mail("discard me"))
    check_eq(reply, "250 2.0.0 Ok: discarded by a filter rule", "discard accepts")
    check_eq(env.scalar("select count(*) from tickets where subject = 'discard me'"), "0",
             "no ticket for a discarded mail")
    pdtest.wait_for("the discard logged", lambda: "status=discarded" in d.log_text())

    # held as spam: score 6 >= hold 5 < quarantine 10
    n = ticket_number(one(d.port, mail("CHEAP PILLS today")))
    check_eq(env.scalar("select held from tickets where number = :'p1'", n), "spam",
             "held as spam")
    check_eq(env.query("select m.spam_score, m.rule_hits::text from messages m join tickets"
                       " t on t.id = m.ticket_id where t.number = :'p1'", n),
             [["6", '[{"name": "SHOUTED_PILLS", "points": 6}]']], "score and hits stored")
    check_eq(outbound(env, n), [], "no acknowledgement, no notification")
    p = env.postdesk("ticket", "show", n, check_rc=0)
    check("score 6 (SHOUTED_PILLS 6), hold" in p.stdout, "ticket show: %s" % p.stdout)
    check_eq(events(env, n, "notify.skipped")[0]["reason"],
             "the ticket is held (spam): an operator decides first", "why nobody heard")

    # routing
    n = ticket_number(one(d.port, mail("Your invoice 42")))
    row = env.query("select q.name, t.category, t.priority, a.name from tickets t"
                    " join queues q on q.id = t.queue_id left join agents a"
                    " on a.id = t.assignee_agent_id where t.number = :'p1'", n)[0]
    check_eq(row, ["billing", "invoices", "high", "Ann"], "queue, category, priority, assignee")
    check_eq(env.query("select tag from ticket_tags g join tickets t on t.id = g.ticket_id"
                       " where t.number = :'p1'", n), [["money"]], "the tag")
    sent = outbound(env, n)
    check(["forward", "forward", "boss@partner.test"] in sent, "the forward: %r" % sent)
    check(["ack", "ack", ALICE] in sent, "the acknowledgement: %r" % sent)
    notified = [r[2] for r in sent if r[0] == "notification"]
    check_eq(notified, ["ann@example.com"], "the rule's group (finance), not tier1")
    check_eq(events(env, n, "filter.applied")[0]["category"], "invoices", "the event")

    # noack, reply
    n = ticket_number(one(d.port, mail("a quiet question")))
    check_eq([r[0] for r in outbound(env, n)], ["notification"], "no acknowledgement")
    check_eq(events(env, n, "autoreply.suppressed")[0]["reason"], "a filter rule (noack)",
             "the reason")
    n = ticket_number(one(d.port, mail("asking politely")))
    check(["ack", "held", ALICE] in outbound(env, n), "reply names the template: %r"
          % outbound(env, n))

    # the quarantine from the command line
    p = env.postdesk("quarantine", "list", check_rc=0)
    check(qid in p.stdout and "hello" in p.stdout,
          "list: %s" % p.stdout)
    p = env.postdesk("quarantine", "show", qid, check_rc=0)
    check("GTUBE" in p.stdout and "1000" in p.stdout, "show has the hits: %s" % p.stdout)
    p = env.postdesk("quarantine", "show", "--raw", qid, input=b"", check_rc=0)
    check_eq(p.stdout, spam, "show --raw: the bytes as they arrived")
    p = env.postdesk("quarantine", "show", "--json", qid, check_rc=0)
    check_eq(json.loads(p.stdout)["reason"], row_reason(env, qid), "show --json")
    p = env.postdesk("quarantine", "release", qid, check_rc=0)
    check("ticket" in p.stdout, "release made a ticket: %s" % p.stdout)
    check_eq(env.scalar("select count(*) from tickets where subject = 'hello'"), "1",
             "the released mail is a ticket")
    check_eq(env.scalar("select released_ticket is not null from quarantine where id ="
                        " :'p1'", qid), "t", "the row says so")
    p = env.postdesk("quarantine", "release", qid)
    check_eq(p.returncode, 64, "released twice: a usage error (%s)" % p.stderr)
    check("released already" in p.stderr, p.stderr)
    p = env.postdesk("quarantine", "delete", qid, check_rc=0)
    p = env.postdesk("quarantine", "show", qid)
    check_eq(p.returncode, 67, "deleted: not found (%s)" % p.stderr)
    p = env.postdesk("quarantine", "release", "x1")
    check_eq(p.returncode, 64, "a bad id is a usage error")

    # the purge job: kept quarantine_days (30d), then gone unless released
    later = one(d.port, mail("hello again", body="%s\n" % GTUBE))
    check(later.startswith("250 2.0.0 Ok: quarantined ("), later)
    p = env.postdesk("jobs", "run", "quarantine", check_rc=0)
    check_eq(p.stdout.strip(), "quarantine: 0 quarantined mails purged", "nothing due yet")
    soon = (datetime.date.today() + datetime.timedelta(days=29)).isoformat()
    p = env.postdesk("jobs", "run", "quarantine", "--now", soon, check_rc=0)
    check_eq(p.stdout.strip(), "quarantine: 0 quarantined mails purged", "29 days: kept")
    due = (datetime.date.today() + datetime.timedelta(days=31)).isoformat()
    p = env.postdesk("jobs", "run", "quarantine", "--now", due, check_rc=0)
    check_eq(p.stdout.strip(), "quarantine: 1 quarantined mails purged", "31 days: purged")
    check_eq(env.scalar("select count(*) from quarantine"), "0", "the quarantine is empty")
    d.stop()


def row_reason(env, qid):
    return env.scalar("select reason from quarantine where id = :'p1'", qid)


if __name__ == "__main__":
    main()
