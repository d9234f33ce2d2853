"""One From, read one way (issue 8, item 1), end to end over LMTP.

GMime reads `From : x` (blanks before the colon) as a From field.  A mail
with `From : Bill <bill@acme.test>` above `From: eve@evil.test`, sent from
evil.test's SPF address (or DKIM-signed by evil.test), used to be handled
as bill@acme.test, authenticated: the identity was GMime's first From
mailbox, the DMARC From domain postdesk's own raw scan of `From:`.  Now the
From domain is the identity's own, and a mail whose author is not read one
way (several From fields under any spelling, a From hidden behind an
invalid line, several Sender fields) is never authenticated, with a parse
warning and a log line; a single From spelled `From :` still authenticates.
"""
import os

import authzone
import pdtest
from test_auth_lmtp import QUEUES, GOOD_IP as ACME_IP, lmtp, ticket, event

EVIL_IP = "203.0.113.66"	# in evil.test's


def raw_message(head, body="Please change my billing address.\r\n"):
    """head: header lines (str, CRLF added) as they go on the wire."""
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def standard(msgid):
    return ["To: billing@example.com", "Subject: Billing",
            "Date: Mon, 23 Nov 2026 10:00:00 +0000", "Message-ID: <%s@evil.test>" % msgid]


def warnings(env, number):
    return env.scalar("select array_to_string(m.parse_warnings, '|') from messages m"
                      " join tickets t on t.id = m.ticket_id where t.number = :'p1'", number)


def main():
    with pdtest.Env(queues=QUEUES) as env:
        key = authzone.Key(env.dir)
        zone = authzone.write_zone(os.path.join(env.dir, "zone"), [
            ("acme.test", "TXT", "v=spf1 ip4:%s -all" % ACME_IP),
            ("_dmarc.acme.test", "TXT", "v=DMARC1; p=reject"),
            ("evil.test", "TXT", "v=spf1 ip4:%s -all" % EVIL_IP),
            ("_dmarc.evil.test", "TXT", "v=DMARC1; p=none"),
            ("sel._domainkey.evil.test", "TXT", key.dns),
        ])
        env.postdesk("account", "add", "Acme", "--domain", "acme.test", check_rc=0)
        env.postdesk("contact", "add", "Acme", "bill@acme.test", "--permissions",
                     "support,billing", check_rc=0)
        d = env.daemon(extra=authzone.auth_section(zone))

        def send(head, sender, addr, signed=False):
            data = raw_message(head)
            if signed:
                data = authzone.dkim_sign(data, key, "evil.test", "sel")
            return lmtp(d.port, sender, "billing@example.com", data, addr=addr)

        # The attack: GMime's first From is Bill's, the only `From:` is Eve's
        # and evil.test's SPF passes.  Bill must not be authenticated (nor
        # Eve, when her From comes first: the author is ambiguous).
        forged = [
            ("spaced colon", "contact", ["From : Bill <bill@acme.test>", "From: eve@evil.test"]),
            ("tab before colon", "contact",
             ["From\t: Bill <bill@acme.test>", "From: eve@evil.test"]),
            ("upper case, two blanks", "contact",
             ["FROM  : bill@acme.test", "From: eve@evil.test"]),
            ("hidden below", "unknown", ["From: eve@evil.test", "From : Bill <bill@acme.test>"]),
            ("invalid line between", "contact",
             ["From : Bill <bill@acme.test>", "not a header", "From: eve@evil.test"]),
        ]
        for i, (what, kind, froms) in enumerate(forged):
            n = send(froms + standard("spf%d" % i), "eve@evil.test", EVIL_IP)
            t = ticket(env, n)
            pdtest.check_eq((t[0], t[1], t[2], t[3], t[7]), (kind, "f", "f", "t", "f"),
                            "%s: not authenticated, needs authorization" % what)
            pdtest.check("author:" in warnings(env, n), "%s: parse warning: %r"
                         % (what, warnings(env, n)))
            ev = event(env, n, "sender.authenticated")
            pdtest.check_eq(ev["from_authenticated"], False, "%s: event" % what)
            pdtest.check(any("author:" in note for note in ev["notes"]),
                         "%s: the note says why: %r" % (what, ev["notes"]))

        # The same with a DKIM signature of evil.test instead of SPF
        n = send(["From : Bill <bill@acme.test>", "From: eve@evil.test"] + standard("dkim"),
                 "eve@evil.test", "198.51.100.7", signed=True)
        t = ticket(env, n)
        pdtest.check_eq((t[1], t[2], t[7]), ("f", "f", "f"), "DKIM d=evil.test: not Bill")

        # Two Sender fields (one spelled `Sender :`): not authenticated
        n = send(["From: Bill <bill@acme.test>", "Sender : eve@evil.test",
                  "Sender: bill@acme.test"] + standard("sender"), "bill@acme.test", ACME_IP)
        pdtest.check_eq(ticket(env, n)[1:3], ["f", "f"], "two Sender fields")

        # One From, spelled with a blank before the colon, SPF pass for
        # acme.test: read one way, so authenticated
        n = send(["From : Bill <bill@acme.test>"] + standard("legit"), "bill@acme.test",
                 ACME_IP)
        t = ticket(env, n)
        pdtest.check_eq((t[0], t[1], t[2], t[3], t[7]), ("contact", "t", "t", "f", "t"),
                        "one From : field with an SPF pass")
        pdtest.check_eq(event(env, n, "sender.authenticated")["dmarc"]["from_domain"],
                        "acme.test", "DMARC From domain of `From :`")

        log = d.log_text()
        pdtest.check("author not read one way: 2 From fields" in log,
                     "the log has a warning: %s" % log[-2000:])
        d.stop()
    print("ok")


if __name__ == "__main__":
    main()
