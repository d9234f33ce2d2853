#!/usr/bin/env python3
"""Who may thread into a ticket (issue 4 items 4 and 7, DESIGN invariant 4).

Over LMTP into a real PostgreSQL, with real tokens minted by
tests/unit/token/pd-token-mint under the daemon's [outbound] token_keys:
  - the requester's reply (In-Reply-To of their own mail) threads;
  - a stranger whose References cite the requester's Message-ID, or whose
    subject cites [#N], starts a ticket of its own (event thread.refused);
  - a Cc'd participant of the first mail citing [#N] threads;
  - a valid reply-address token from the sender it was issued to threads,
    and so does a valid Message-ID token in In-Reply-To;
  - the same token from another sender (the ticket trick), an altered token
    and a token under a wrong key thread nothing (event thread.token);
  - a reply to a closed ticket reopens it within reopen_days, and after
    that starts a new ticket linked to the old one;
  - `postdesk test` reports the same decisions (why it refused, that it
    reopens a ticket or starts a linked one).
"""
import json
import os

import pdtest
from pdtest import check, check_eq

KEY = "threading-test-key-0123456789"
WRONG_KEY = "another-key-nobody-configured-42"
ALICE = "alice@customer.test"
BOB = "bob@partner.test"
MALLORY = "mallory@evil.test"


mint = pdtest.mint_token


# the events pd_deliver_message writes, in the order it writes them
DELIVERY_EVENTS = ("('ticket.created', 'message.threaded', 'ticket.linked', 'ticket.reopened',"
                   " 'thread.refused', 'thread.token', 'message.received')")


def deliver(d, data, sender, rcpt="support@example.com"):
    return pdtest.deliver_ticket(d.port, data, sender, rcpt)


def mail(frm, msgid, subject="Printer on fire", headers=(), to="support@example.com"):
    return pdtest.message(subject=subject, frm=frm, msgid=msgid, to=to, headers=headers)


def events(env, number, kind):
    rows = env.query("select e.detail::text from events e join tickets t on t.id = e.ticket_id"
                     " where t.number = :'p1' and e.kind = :'p2' order by e.id",
                     number, kind)
    return [json.loads(r[0]) for r in rows]


def explain(env, data):
    """postdesk test's threading decision for a mail (nothing stored)."""
    path = os.path.join(env.dir, "explain.eml")
    with open(path, "wb") as f:
        f.write(data)
    return json.loads(env.postdesk("test", "--json", path, check_rc=0).stdout)[
        "recipients"][0]["thread"]


def main():
    if not os.path.exists(pdtest.MINT):
        pdtest.skip("pd-token-mint not built (%s)" % pdtest.MINT)
    outbound = ("[outbound]\nrelay = smtp://127.0.0.1:%d\nacknowledge = no\n"
                "from = support@example.com\n"
                "token_keys = %s\nreopen_days = 7\n" % (pdtest.free_port(), KEY))
    with pdtest.Env() as env:
        d = env.daemon(extra=outbound)

        # the requester's own thread, with Bob in Cc
        t1 = deliver(d, mail(ALICE, "<a1@customer.test>",
                             headers=["Cc: Bob <%s>, support@example.com" % BOB]), ALICE)
        t1_id = env.scalar("select id from tickets where number = :'p1'", t1)
        check_eq(env.query("select lower(address), role from participants"
                           " where ticket_id = :'p1' order by id", t1_id),
                 [[ALICE, "requester"], [BOB, "cc"]], "participants: requester + cc, not us")
        got = deliver(d, mail(ALICE, "<a2@customer.test>", "Re: Printer on fire",
                              ["In-Reply-To: <a1@customer.test>",
                               "References: <a1@customer.test>"]), ALICE)
        check_eq(got, t1, "requester's reply threads")

        # a stranger citing the requester's Message-ID in References
        got = deliver(d, mail(MALLORY, "<m1@evil.test>", "Re: Printer on fire",
                              ["References: <a1@customer.test>"]), MALLORY)
        check(got != t1, "stranger's References must not thread")
        refused = events(env, got, "thread.refused")
        check_eq(len(refused), 1, "thread.refused event")
        check_eq(refused[0]["ticket"], t1, "refused ticket")
        check("participant" in refused[0]["why"], "why: %r" % refused[0])
        # one delivery's events in the order they happened (pd_deliver_message
        # writes them in one statement)
        check_eq(env.query("select e.kind from events e join tickets t on t.id = e.ticket_id"
                           " where t.number = :'p1' and e.kind in %s"
                           " order by e.id" % DELIVERY_EVENTS, got),
                 [["ticket.created"], ["thread.refused"], ["message.received"]],
                 "event order of a refused thread")

        # a stranger citing [#N]
        got = deliver(d, mail(MALLORY, "<m2@evil.test>", "Re: [#%d] Printer on fire" % t1),
                      MALLORY)
        check(got != t1, "stranger's [#N] must not thread")
        check_eq(events(env, got, "thread.refused")[0]["via"], "subject [#%d]" % t1, "via")

        # the Cc'd participant citing [#N]
        got = deliver(d, mail(BOB, "<b1@partner.test>", "Re: [#%d] Printer on fire" % t1), BOB)
        check_eq(got, t1, "participant's [#N] threads")

        # a valid reply-address token from the right sender
        token_rcpt = mint("reply", KEY, "support@example.com", t1_id, ALICE)
        check(token_rcpt.startswith("support+t-"), "minted %r" % token_rcpt)
        got = deliver(d, mail(ALICE, "<a3@customer.test>", "fresh subject"), ALICE,
                      rcpt=token_rcpt)
        check_eq(got, t1, "valid token threads")
        check_eq(env.scalar("select detail->>'reason' from events where kind ="
                            " 'message.threaded' order by id desc limit 1"),
                 "token recipient", "thread reason")

        # a valid Message-ID token in In-Reply-To
        msgid_token = mint("msgid", KEY, "postdesk.test", t1_id, ALICE, 77)
        got = deliver(d, mail(ALICE, "<a4@customer.test>", "Re: something",
                              ["In-Reply-To: <%s>" % msgid_token]), ALICE)
        check_eq(got, t1, "valid Message-ID token threads")

        # the ticket trick: Alice's token used by another sender
        got = deliver(d, mail(MALLORY, "<m3@evil.test>", "verify your account"), MALLORY,
                      rcpt=token_rcpt)
        check(got != t1, "another sender's token must not thread")
        verdict = events(env, got, "thread.token")
        check_eq(verdict[0]["verdict"], "issued to another recipient", "verdict")
        check_eq(verdict[0]["via"], "recipient", "via")
        check_eq(env.scalar("select count(*) from messages where ticket_id = :'p1'"
                            " and from_address = :'p2'", t1_id, MALLORY), "0",
                 "nothing of Mallory's in Alice's ticket")

        # another sender's Message-ID token in In-Reply-To
        got = deliver(d, mail(MALLORY, "<m4@evil.test>", "Re: something",
                              ["In-Reply-To: <%s>" % msgid_token]), MALLORY)
        check(got != t1, "another sender's Message-ID token must not thread")

        # an altered token (one base32 character changed)
        local, domain = token_rcpt.split("@")
        last = local[-1]
        altered = local[:-1] + ("a" if last != "a" else "b") + "@" + domain
        got = deliver(d, mail(ALICE, "<a5@customer.test>", "fresh subject"), ALICE,
                      rcpt=altered)
        check(got != t1, "altered token must not thread")
        check(events(env, got, "thread.token")[0]["verdict"] in
              ("forged or unknown key", "malformed"), "altered verdict")

        # a token under a key we do not have
        wrong = mint("reply", WRONG_KEY, "support@example.com", t1_id, ALICE)
        got = deliver(d, mail(ALICE, "<a6@customer.test>", "fresh subject"), ALICE,
                      rcpt=wrong)
        check(got != t1, "wrong-key token must not thread")
        check_eq(events(env, got, "thread.token")[0]["verdict"], "forged or unknown key",
                 "wrong key verdict")

        # closed 3 days ago (reopen_days = 7): the reply reopens it
        env.query("update tickets set status = 'closed', closed_at = now() - interval '3 days'"
                  " where id = :'p1'", t1_id)
        reply = mail(ALICE, "<a7@customer.test>", "Re: Printer on fire",
                     ["In-Reply-To: <a1@customer.test>"])
        thread = explain(env, reply)
        check_eq((thread["decision"], thread["ticket"]), ("existing", int(t1)),
                 "postdesk test: the reply reopens %r" % thread)
        check("reopens it (closed)" in thread["reason"], "reopen explained: %r" % thread)
        got = deliver(d, reply, ALICE)
        check_eq(got, t1, "reply within reopen_days threads")
        check_eq(env.scalar("select status from tickets where id = :'p1'", t1_id), "open",
                 "reopened")
        check_eq(events(env, t1, "ticket.reopened")[0]["was"], "closed", "reopened event")

        # closed 30 days ago: a new ticket linked to the old one
        env.query("update tickets set status = 'solved', closed_at = now() - interval '30 days'"
                  " where id = :'p1'", t1_id)
        reply = mail(ALICE, "<a8@customer.test>", "Re: Printer on fire",
                     ["In-Reply-To: <a1@customer.test>"])
        # `postdesk test` names the new linked ticket, as the delivery makes it
        # (and so asks ack, notify and authorization about a new ticket)
        thread = explain(env, reply)
        check_eq((thread["decision"], thread["ticket"]), ("new", None),
                 "postdesk test: a reply after reopen_days %r" % thread)
        check("new ticket linked to %s" % t1 in thread["reason"] and
              "solved more than" in thread["reason"], "link explained: %r" % thread)
        got = deliver(d, reply, ALICE)
        check(got != t1, "reply after reopen_days starts a new ticket")
        check_eq(env.scalar("select linked_ticket_id from tickets where number = :'p1'", got),
                 t1_id, "linked_ticket_id")
        check_eq(events(env, got, "ticket.linked")[0]["linked_ticket"], t1, "linked event")
        check_eq(env.query("select e.kind from events e join tickets t on t.id = e.ticket_id"
                           " where t.number = :'p1' and e.kind in %s"
                           " order by e.id" % DELIVERY_EVENTS, got),
                 [["ticket.created"], ["ticket.linked"], ["message.received"]],
                 "event order of a linked ticket")
        check_eq(env.query("select e.kind from events e where e.message_row = (select max(id)"
                           " from messages where message_id = 'a7@customer.test')"
                           " and e.kind in %s order by e.id" % DELIVERY_EVENTS),
                 [["message.threaded"], ["ticket.reopened"], ["message.received"]],
                 "event order of a reopened ticket")
        check_eq(env.scalar("select status from tickets where id = :'p1'", t1_id), "solved",
                 "old ticket stays solved")
        env.query("update tickets set status = 'open', closed_at = NULL where id = :'p1'", t1_id)

        # `postdesk test` explains the same decision, nothing stored
        for frm, want in ((BOB, "existing"), (MALLORY, "new")):
            thread = explain(env, mail(frm, "<x.%s>" % frm, "Re: [#%d] Printer on fire" % t1))
            check_eq(thread["decision"], want, "postdesk test for %s: %r" % (frm, thread))
            check(want == "existing" or "not a participant" in thread["reason"],
                  "refusal explained: %r" % thread)

        # Mallory never became a participant of Alice's ticket
        check_eq(env.scalar("select count(*) from participants where ticket_id = :'p1'"
                            " and lower(address) = :'p2'", t1_id, MALLORY), "0", "no leak")
        d.stop()
    print("ok")


if __name__ == "__main__":
    main()
