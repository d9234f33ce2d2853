#!/usr/bin/env python3
"""Bounces over LMTP, each kind and every way to fake one (issue 16, section 1).

postdeskd with [outbound] bounce_address, smtp-sink as the relay.  Two
customers open tickets; their acknowledgements carry signed bounce
addresses (minted here for each row).  Then, over LMTP:
  - a DSN to a FORGED token (one character changed; another key's token),
    even one quoting alice's real Message-ID, and to the plain bounce
    address quoting a Message-ID not ours, all carrying X-Postdesk-Ticket
    and X-Postdesk-Outbound headers naming alice's row (our header names
    prove nothing, section 4): 250, recorded unmatched, no row failed, no
    address failing, no ticket;
  - a soft bounce (4.2.2 mailbox full) to alice's row: counted on the row
    and the address, nothing failed;
  - a DSN sent to support@ (not the bounce address) whose returned headers
    quote bob's acknowledgement's Message-ID: matched by the Message-ID,
    bob's row failed, bob failing, no ticket of the DSN;
  - a DSN naming another recipient than the row's (a token held by one
    recipient cannot fail someone else's address): recorded, nobody failing;
  - a vacation auto-reply to a bounce address: recorded as auto-reply;
  - a redelivery of a DSN: duplicate, counted once;
  - `postdesk address list [--failing]` shows the counts and who is
    failing; `postdesk address clear` lets mail go to bob again.
"""
import json
import os

import pdtest
from pdtest import check, check_eq
from smtpsink import Sink, header

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "bounce-lmtp-key-0123456789abcdef"
OTHER_KEY = "another-sites-key-0123456789abc"
ALICE, BOB = "alice@customer.test", "bob@customer.test"


def outbound_config(port):
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = Example Support <support@example.com>\n"
            "bounce_address = bounces@example.com\n"
            "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\nfailing_days = 7\n"
            "retry_delays = 1\nconnect_timeout = 5\nreply_timeout = 5\ntimeout = 5\n"
            % (port, KEY, TEMPLATES))


def dsn(rcpt, status, diagnostic, returned_msgid, msgid, action="failed", ours=""):
    """An RFC 3464 report as a remote MTA writes it; ours: header lines
    (our own names) a forger adds at the top and in the returned headers."""
    return (ours + "From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>\r\n"
            "To: %s\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            "Message-ID: %s\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
            "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.customer.test\r\n\r\n"
            "Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\n"
            "Diagnostic-Code: smtp; %s\r\n"
            "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "%sFrom: Example Support <support@example.com>\r\nTo: %s\r\n"
            "Subject: [#10001] Printer on fire\r\nMessage-ID: <%s>\r\n"
            "\r\n--B--\r\n" % ("bounces@example.com", msgid, rcpt, action, status, diagnostic,
                               ours, rcpt, returned_msgid)).encode()


def lmtp(d, rcpt, data, sender=""):
    replies = pdtest.lmtp_deliver(d.port, sender, [rcpt], data)
    check_eq(len(replies), 1, "one reply for %s" % rcpt)
    return replies[0]


def main():
    if not os.path.exists(pdtest.MINT):
        pdtest.skip("pd-token-mint not built (%s)" % pdtest.MINT)
    sink = Sink()
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port))
            for who, msgid in ((ALICE, "<a1@customer.test>"), (BOB, "<b1@customer.test>")):
                pdtest.deliver_ticket(d.port, pdtest.message(frm=who, msgid=msgid), who)
            pdtest.wait_for("two acks sent", lambda: env.scalar(
                "select count(*) from outbound where status = 'sent'") == "2")
            acks = dict(env.query("select recipients[1], id from outbound order by id"))
            msgids = dict(env.query("select recipients[1], message_id from outbound"))
            addr = {who: pdtest.mint_token("bounce", KEY, "bounces@example.com", acks[who], who)
                    for who in (ALICE, BOB)}
            for m in sink.dumps():
                who = header(m, "X-Rcpt-Args").strip("<>")
                check_eq(header(m, "X-Mail-Args"), "<%s>" % addr[who], "ack MAIL FROM for " + who)

            def failing():
                return env.query("select address from bounced_addresses"
                                 " where failing_until > now() order by address")

            # forged: one character changed, another site's key, the bare address
            token = addr[ALICE].split("+b-")[1].split("@")[0]
            flipped = "bounces+b-%s%s%s@example.com" % (token[:5], "a" if token[5] != "a" else "b",
                                                       token[6:])
            foreign = pdtest.mint_token("bounce", OTHER_KEY, "bounces@example.com", acks[ALICE],
                                        ALICE)
            # (a forged token is tampering: even alice's real Message-ID in the
            # returned headers does not open a second way in; the bare address
            # with a Message-ID not ours names nothing)
            for i, (rcpt, returned) in enumerate(((flipped, msgids[ALICE]),
                                                  (foreign, msgids[ALICE]),
                                                  ("bounces@example.com", "x1@elsewhere.test"))):
                # our own header names prove nothing (issue 16, section 4)
                reply = lmtp(d, rcpt, dsn(ALICE, "5.1.1", "550 5.1.1 user unknown",
                                          returned, "<forged-%d@x.test>" % i,
                                          ours="X-Postdesk-Ticket: 10001\r\n"
                                               "X-Postdesk-Outbound: %s\r\n" % acks[ALICE]))
                check(reply.startswith("250 2.0.0 Ok: bounce recorded"), "forged: %r" % reply)
            check_eq(env.query("select outbound_id is null, unmatched, kind from bounces"
                               " order by id"),
                     [["t", "forged or unknown key", "hard"]] * 2 +
                     [["t", "no bounce token", "hard"]], "forged bounces: recorded, unmatched")
            check_eq(failing(), [], "a forged bounce fails no address")
            check_eq(env.scalar("select count(*) from outbound where status = 'failed'"), "0",
                     "and no row")

            # soft: counted, nothing failed
            reply = lmtp(d, addr[ALICE], dsn(ALICE, "4.2.2", "452 4.2.2 mailbox full",
                                             msgids[ALICE], "<soft@x.test>", "delayed"))
            check(reply.startswith("250"), reply)
            check_eq(env.query("select status, soft_bounces from outbound where id = :'p1'",
                               acks[ALICE]), [["sent", "1"]], "soft: the row counts it")
            check_eq(env.query("select soft_bounces, failing_since is null from"
                               " bounced_addresses where address = :'p1'", ALICE),
                     [["1", "t"]], "soft: the address counts it, not failing")

            # by Message-ID, to support@ (not our bounce address)
            reply = lmtp(d, "support@example.com", dsn(BOB, "5.1.1", "550 5.1.1 no such user",
                                                       msgids[BOB], "<bymsgid@x.test>"))
            check(reply.startswith("250 2.0.0 Ok: bounce recorded"), "by Message-ID: %r" % reply)
            check_eq(env.query("select matched_by, outbound_id from bounces"
                               " where message_id = 'bymsgid@x.test'"),
                     [["Message-ID <%s>" % msgids[BOB], acks[BOB]]], "matched by Message-ID")
            check_eq(failing(), [[BOB]], "bob is failing")
            check_eq(env.scalar("select status from outbound where id = :'p1'", acks[BOB]),
                     "failed", "bob's row failed")

            # a valid token, but the DSN names someone else: nobody fails
            reply = lmtp(d, addr[ALICE], dsn("carol@customer.test", "5.1.1", "550 5.1.1 gone",
                                             msgids[ALICE], "<other@x.test>"))
            check(reply.startswith("250"), reply)
            check_eq(failing(), [[BOB]], "carol is not the row's recipient: nobody new fails")
            check_eq(env.scalar("select status from outbound where id = :'p1'", acks[ALICE]),
                     "sent", "alice's row stays sent")

            # a vacation reply to the return path
            vacation = pdtest.message(subject="Out of office: Printer on fire", frm=ALICE,
                                      msgid="<vac@customer.test>",
                                      headers=["Auto-Submitted: auto-replied"])
            reply = lmtp(d, addr[ALICE], vacation, sender=ALICE)
            check(reply.startswith("250 2.0.0 Ok: bounce recorded"), "vacation: %r" % reply)
            check_eq(env.scalar("select kind from bounces where message_id = 'vac@customer.test'"),
                     "auto-reply", "recorded as an auto-reply")

            # a redelivery of the soft one: nothing counted twice
            reply = lmtp(d, addr[ALICE], dsn(ALICE, "4.2.2", "452 4.2.2 mailbox full",
                                             msgids[ALICE], "<soft@x.test>", "delayed"))
            check(reply.startswith("250"), reply)
            check_eq(env.scalar("select soft_bounces from outbound where id = :'p1'",
                                acks[ALICE]), "1", "a redelivery counts nothing")

            # none of it became a ticket, a message or a mail of ours
            check_eq(env.scalar("select count(*) from tickets"), "2", "tickets")
            check_eq(env.scalar("select count(*) from messages"), "2", "messages")
            check_eq(env.scalar("select count(*) from outbound"), "2", "outbound rows")
            check_eq(env.scalar("select count(*) from bounces"), "7", "bounces kept, raw")

            # the operator's view: postdesk address list [--failing], clear
            rows = json.loads(env.postdesk("address", "list", "--json", check_rc=0).stdout)
            check_eq(sorted((r["address"], r["failing"], r["hard"], r["soft"]) for r in rows),
                     [(ALICE, False, 0, 1), (BOB, True, 1, 0)], "address list")
            rows = json.loads(env.postdesk("address", "list", "--failing", "--json",
                                           check_rc=0).stdout)
            check_eq([(r["address"], r["status"]) for r in rows], [(BOB, "550 5.1.1")],
                     "address list --failing")
            out = env.postdesk("address", "list", check_rc=0).stdout
            check(BOB in out and "no such user" in out, "the table: %s" % out)
            env.postdesk("address", "clear", BOB, check_rc=0)
            check_eq(failing(), [], "cleared: automatic mail goes to bob again")
            check_eq(env.postdesk("address", "clear", BOB).returncode, 67, "not failing: 67")
            check_eq(env.scalar("select count(*) from events where kind = 'bounce.cleared'"),
                     "1", "the clear's event")
            check_eq(d.stop(), 0, "postdeskd exit")
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
