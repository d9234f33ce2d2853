"""Identify and authorize on the mail path, end to end over LMTP: contacts,
agents and members set up with the admin CLI, mail delivered to postdeskd,
the ticket's identity columns and events checked in PostgreSQL.

The configuration here has no [auth] mode, so authentication is off and
every mail is unauthenticated (the verdict is FALSE): a contact or an agent
address gets no privileges, a request to billing@ needs authorization, and
the reason says why.  Authentication on (SPF/DKIM passes giving the
privileges) is test_auth_lmtp; the table is unit-identity."""
import json

import pdtest

QUEUES = """
[queue support]
addresses = support@example.com

[queue billing]
addresses = billing@example.com
permission = billing
unknown_senders = known

[queue vip]
addresses = vip@example.com
unknown_senders = moderate
"""


def ticket(env, number):
    rows = env.query("select t.requester_kind, t.requester_authenticated,"
                     " t.requester_authorized, t.needs_authorization, coalesce(a.name, '-'),"
                     " coalesce(c.address, '-'), coalesce(t.held, '-'), t.authorization_reason"
                     " from tickets t left join accounts a on a.id = t.account_id"
                     " left join contacts c on c.id = t.requester_contact_id"
                     " where t.number = :'p1'", number)
    pdtest.check(len(rows) == 1, "ticket %s not found" % number)
    return rows[0]


def deliver(d, frm, to):
    replies = pdtest.lmtp_deliver(d.port, frm, [to], pdtest.message(frm=frm, to=to))
    pdtest.check(len(replies) == 1 and replies[0].startswith("250 "),
                 "delivery %s -> %s: %r (never a bounce)" % (frm, to, replies))
    return replies[0].rsplit(" ", 1)[1]


def main():
    with pdtest.Env(queues=QUEUES) as env:
        for args in (("agent", "add", "bob@example.com", "--name", "Bob"),
                     ("account", "add", "Acme", "--domain", "acme.test"),
                     ("contact", "add", "Acme", "bill@acme.test", "--permissions",
                      "support,billing"),
                     ("contact", "add", "Acme", "sam@acme.test", "--permissions", "support"),
                     ("contact", "add", "Acme", "old@acme.test", "--permissions", "billing"),
                     ("contact", "suspend", "old@acme.test"),
                     ("contact", "add", "Acme", "gone@acme.test", "--permissions", "billing"),
                     ("contact", "remove", "gone@acme.test"),
                     ("contact", "add", "Acme", "temp@acme.test", "--permissions", "billing")):
            env.postdesk(*args, check_rc=0)
        env.query("update contacts set expires_at = now() - interval '1 hour'"
                  " where address = 'temp@acme.test' returning id")
        d = env.daemon()

        # support-only contact to billing@: a ticket that needs authorization
        n = deliver(d, "Sam@ACME.test", "billing@example.com")
        t = ticket(env, n)
        pdtest.check_eq(t[:7], ["contact", "f", "f", "t", "Acme", "sam@acme.test", "-"], "sam")
        pdtest.check("not authenticated" in t[7], "sam reason: %r" % t[7])
        show = env.postdesk("ticket", "show", n, check_rc=0).stdout
        for needle in ("Requester kind:  contact, not authenticated, not authorized",
                       "Account:         Acme", "sam@acme.test (alternate; support; active)",
                       "Authorization:   needed", "not authenticated"):
            pdtest.check(needle in show, "ticket show lacks %r:\n%s" % (needle, show))
        # postdesk test says the same without storing anything
        path = env.dir + "/sam.eml"
        with open(path, "wb") as f:
            f.write(pdtest.message(frm="sam@acme.test", to="billing@example.com"))
        before = env.scalar("select count(*) from tickets")
        out = json.loads(env.postdesk("test", "--json", path, check_rc=0).stdout)
        ident = out["recipients"][0]["identity"]
        pdtest.check_eq((ident["kind"], ident["authenticated"], ident["authorized"],
                         ident["needs_authorization"], ident["permission"]),
                        ("contact", False, False, True, "billing"), "postdesk test identity")
        text = env.postdesk("test", path, check_rc=0).stdout
        pdtest.check("Requester:     contact, not authenticated, needs authorization (billing)"
                     in text, "postdesk test text:\n%s" % text)
        pdtest.check_eq(env.scalar("select count(*) from tickets"), before, "test stores nothing")

        # billing contact, unauthenticated: identified, but no privileges
        t = ticket(env, deliver(d, "bill@acme.test", "billing@example.com"))
        pdtest.check_eq(t[:7], ["contact", "f", "f", "t", "Acme", "bill@acme.test", "-"], "bill")

        # suspended, removed, expired contacts: no privileges, and the reason
        for who, why in (("old", "suspended"), ("gone", "removed"), ("temp", "expired")):
            t = ticket(env, deliver(d, "%s@acme.test" % who, "billing@example.com"))
            pdtest.check_eq(t[:4], ["contact", "f", "f", "t"], who)
            pdtest.check("contact %s" % why in t[7], "%s reason: %r" % (who, t[7]))

        # a forged agent address: an unverified customer mail
        n = deliver(d, "bob@example.com", "support@example.com")
        t = ticket(env, n)
        pdtest.check_eq(t[:4], ["agent", "f", "f", "f"], "forged agent")
        pdtest.check("not an agent action" in t[7], "agent reason: %r" % t[7])
        pdtest.check_eq(env.scalar("select m.kind from messages m join tickets t"
                                   " on t.id = m.ticket_id where t.number = :'p1'", n),
                        "customer", "message kind")
        detail = json.loads(env.scalar("select e.detail from events e join tickets t"
                                       " on t.id = e.ticket_id where t.number = :'p1'"
                                       " and e.kind = 'requester.identified'", n))
        pdtest.check_eq((detail["kind"], detail["agent_action"], detail["authenticated"]),
                        ("agent", False, False), "identified event")

        # a member of the known organisation to support@ (open): a ticket, no hold
        t = ticket(env, deliver(d, "newhire@acme.test", "support@example.com"))
        pdtest.check_eq(t[:7], ["member", "f", "f", "f", "Acme", "-", "-"], "member")

        # unknown sender to a "known" queue: 250 (never a bounce), ticket
        # kept and held, the polite-reply hook event
        n = deliver(d, "stranger@elsewhere.test", "billing@example.com")
        t = ticket(env, n)
        pdtest.check_eq(t[:7], ["unknown", "f", "f", "t", "-", "-", "known"], "stranger")
        pdtest.check_eq(env.scalar("select e.detail->>'reply' from events e join tickets t"
                                   " on t.id = e.ticket_id where t.number = :'p1'"
                                   " and e.kind = 'ticket.held'", n), "true", "held event")
        # ... to a "moderate" queue: held for an operator, no reply
        n = deliver(d, "stranger@elsewhere.test", "vip@example.com")
        pdtest.check_eq(ticket(env, n)[6], "moderate", "moderated")
        pdtest.check_eq(env.scalar("select e.detail->>'reply' from events e join tickets t"
                                   " on t.id = e.ticket_id where t.number = :'p1'"
                                   " and e.kind = 'ticket.held'", n), "false", "moderate event")
        # ... to an open queue: nothing held
        pdtest.check_eq(ticket(env, deliver(d, "stranger@elsewhere.test",
                                            "support@example.com"))[6], "-", "open queue")

        # the queue counts see it
        queues = {q["name"]: q for q in json.loads(env.postdesk("queue", "list", "--json",
                                                                check_rc=0).stdout)}
        pdtest.check_eq(queues["billing"]["held"], 1, "billing held")
        pdtest.check_eq(queues["billing"]["needs_authorization"], 6, "billing needs auth")
        d.stop()
    print("ok")


if __name__ == "__main__":
    main()
