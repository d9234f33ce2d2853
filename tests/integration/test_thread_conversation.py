#!/usr/bin/env python3
"""A whole conversation threaded by the rule (issue 11, section 3; README
"Who joins a ticket", pd_thread_decide / pd_thread_takes_part in
sql/functions/thread.sql).

30 mails among four people, each replying to one of the last few mails with
In-Reply-To and the full References chain:
  - Alice, Acme's primary contact, who opens the ticket (authenticated);
  - Carol, Acme's alternate contact holding the queue's permission
    (authenticated): she takes part in Acme's tickets of the queue;
  - Dave, Acme's alternate contact WITHOUT the queue's permission
    (authenticated): a ticket of his own;
  - Mallory, a stranger: a ticket of her own.
The expected tickets come from the rule itself, modelled here in a few
lines (each mail joins the nearest cited ticket its sender takes part in,
else opens one).  Delivered over LMTP in date order, the conversation makes
exactly those tickets (printed; the replies Alice and Carol write to Dave's
mails join Dave's ticket: it is the nearest, and it is Acme's).  Then the
same 30 mails go to a fresh database through 8 concurrent sessions in a
random order (seeded; PD_CONVERSATION_ROUNDS rounds, 3 by default), and the
tickets must be the same partition of the mails: replies stored before the
mail they answer move when it arrives (pd_thread_rethread).
"""
import os
import queue
import random
import re
import threading

import pdtest
from pdtest import check, check_eq
from test_auth_lmtp import lmtp

QUEUES = """
[queue support]
addresses = support@example.com
permission = support
"""
AUTH = "\n[auth]\nmode = trust-ar\nauthserv_id = mx.postdesk.test\n"

ALICE = "alice@acme.test"
CAROL = "carol@acme.test"
DAVE = "dave@acme.test"
MALLORY = "mallory@evil.test"
NAMES = {ALICE: "Alice", CAROL: "Carol", DAVE: "Dave", MALLORY: "Mallory"}
ACME = (ALICE, CAROL, DAVE)           # their tickets are Acme's
VOUCHED = (ALICE, CAROL)              # authenticated contacts holding "support"
N_MAILS = 30
SESSIONS = 8
ROUNDS = int(os.environ.get("PD_CONVERSATION_ROUNDS", "3"))


def conversation(seed=11):
    """[(msgid, sender, parent index or None)] in date order."""
    rng = random.Random(seed)
    mails = [("<c00@conv.test>", ALICE, None)]
    for i in range(1, N_MAILS):
        sender = rng.choices([ALICE, CAROL, DAVE, MALLORY], weights=[35, 25, 20, 20])[0]
        parent = max(0, i - rng.choice([1, 1, 1, 2, 3]))
        mails.append(("<c%02d@conv.test>" % i, sender, parent))
    return mails


def ancestors(mails, i):
    """Message-IDs of mail i's ancestors, root first (its References)."""
    chain = []
    parent = mails[i][2]
    while parent is not None:
        chain.insert(0, mails[parent][0])
        parent = mails[parent][2]
    return chain


def data(mails, i):
    msgid, sender, parent = mails[i]
    headers = []
    if parent is not None:
        refs = ancestors(mails, i)
        headers += ["In-Reply-To: %s" % mails[parent][0], "References: %s" % " ".join(refs)]
    verdict = "pass" if sender != MALLORY else "none"
    domain = sender.split("@")[1]
    ar = ("Authentication-Results: mx.postdesk.test; spf=%s smtp.mailfrom=%s; dkim=none;"
          " dmarc=%s header.from=%s" % (verdict, domain, verdict, domain))
    subject = "Printer on fire" if parent is None else "Re: Printer on fire"
    return (ar + "\r\n").encode() + pdtest.message(
        subject=subject, frm="%s <%s>" % (NAMES[sender], sender), msgid=msgid,
        headers=headers, body="Mail %d from %s.\n" % (i, NAMES[sender]))


def expected(mails):
    """The rule in date order: [(requester, [msgid...])] per ticket."""
    tickets = []                      # {"requester", "account", "mails"}
    ticket_of = {}
    for i, (msgid, sender, parent) in enumerate(mails):
        cited = ([mails[parent][0]] if parent is not None else []) + list(
            reversed(ancestors(mails, i)))
        joined = None
        for c in cited:
            t = tickets[ticket_of[c]]
            if sender == t["requester"] or (sender in VOUCHED and t["account"] == "Acme"):
                joined = ticket_of[c]
                break
        if joined is None:
            tickets.append({"requester": sender, "mails": [],
                            "account": "Acme" if sender in ACME else None})
            joined = len(tickets) - 1
        tickets[joined]["mails"].append(msgid.strip("<>"))
        ticket_of[msgid] = joined
    return [(t["requester"], t["mails"]) for t in tickets]


def stored(env):
    """[(requester, [msgid...])] per ticket, in ticket order."""
    rows = env.query("select t.number, t.requester_address, m.message_id from messages m"
                     " join tickets t on t.id = m.ticket_id order by t.number, m.message_id")
    out = {}
    for number, requester, msgid in rows:
        out.setdefault(int(number), [requester, []])[1].append(msgid)
    return [(r, ids) for _, (r, ids) in sorted(out.items())]


def partition(tickets):
    return sorted(sorted(ids) for _, ids in tickets)


def show(what, tickets):
    print("%s: %d tickets" % (what, len(tickets)))
    for n, (requester, ids) in enumerate(tickets):
        print("  ticket %d (requester %s): %s" % (
            n + 1, NAMES.get(requester, requester),
            " ".join(i.strip("<>").split("@")[0] for i in ids)))


def setup(env):
    env.postdesk("account", "add", "Acme", "--domain", "acme.test", check_rc=0)
    env.postdesk("contact", "add", "Acme", ALICE, "--primary", "--permissions",
                 "support,billing", check_rc=0)
    env.postdesk("contact", "add", "Acme", CAROL, "--permissions", "support", check_rc=0)
    env.postdesk("contact", "add", "Acme", DAVE, "--permissions", "billing", check_rc=0)
    return env.daemon(extra=AUTH)


def deliver_concurrently(d, mails, order):
    work = queue.Queue()
    for i in order:
        work.put(i)
    errors = []

    def session():
        while True:
            try:
                i = work.get_nowait()
            except queue.Empty:
                return
            try:
                lmtp(d.port, mails[i][1], "support@example.com", data(mails, i))
            except BaseException as e:      # pdtest.check raises SystemExit
                errors.append("mail %d: %r" % (i, e))

    threads = [threading.Thread(target=session) for _ in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "every mail accepted: %s" % errors)


def main():
    mails = conversation()
    want = expected(mails)
    show("the rule (date order)", want)
    check(len(want) >= 3, "the conversation exercises the rule: %d tickets" % len(want))

    with pdtest.Env(queues=QUEUES, instance="date") as env:
        d = setup(env)
        for i in range(len(mails)):
            lmtp(d.port, mails[i][1], "support@example.com", data(mails, i))
        got = stored(env)
        ms = sorted(int(x) for x in re.findall(r"status=delivered .*, (\d+) ms", d.log_text()))
        show("delivered in date order (delivery p50 %d ms, max %d ms)"
             % (ms[len(ms) // 2], ms[-1]), got)
        check_eq(got, want, "date order: the tickets the rule says")
        # Carol joined by being Acme's contact, and nothing made her a participant
        carol = env.scalar("select count(*) from events where kind = 'message.threaded'"
                           " and detail->>'reason' like '%%contact of the ticket''s account%%'")
        check(int(carol) > 0, "some mail joined as the account's contact")
        for who in (CAROL, MALLORY):
            check_eq(env.scalar("select count(*) from participants where address = :'p1'",
                                who), str(sum(1 for r, _ in want if r == who)),
                     "%s takes part only in the tickets she opened" % NAMES[who])
        d.stop()

    for round_ in range(ROUNDS):
        order = list(range(len(mails)))
        random.Random(1000 + round_).shuffle(order)
        with pdtest.Env(queues=QUEUES, instance="random%d" % round_) as env:
            d = setup(env)
            deliver_concurrently(d, mails, order)
            got = stored(env)
            moved = int(env.scalar("select count(distinct message_row) from events"
                                   " where kind = 'message.moved'"))
            merged = int(env.scalar("select count(*) from events where kind = 'ticket.merged'"))
            ms = sorted(int(x) for x in re.findall(r"status=delivered .*, (\d+) ms",
                                                   d.log_text()))
            print("round %d: %d sessions, random order: %d tickets (%d mails moved after"
                  " their parent arrived, %d emptied tickets closed; delivery p50 %d ms,"
                  " max %d ms)" % (round_, SESSIONS, len(got), moved, merged,
                                   ms[len(ms) // 2], ms[-1]))
            if partition(got) != partition(want):
                show("round %d, random order %s" % (round_, order), got)
            check_eq(partition(got), partition(want),
                     "round %d: %d sessions in random order make the same tickets"
                     % (round_, SESSIONS))
            d.stop()
    print("ok")


if __name__ == "__main__":
    main()
