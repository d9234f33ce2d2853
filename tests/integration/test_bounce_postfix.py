#!/usr/bin/env python3
"""A bounce of our own mail comes back through a real Postfix (issue 16, section 1).

postdeskd sends through a private Postfix (tests/lib/postfix.py), which
delivers example.com back to postdeskd over LMTP; gone.test goes there
too, where no queue has gone@ (550 5.1.1 at RCPT, after Postfix accepted
the mail), so Postfix itself writes the DSN:
  - a customer at gone@gone.test opens a ticket; the acknowledgement
    leaves with MAIL FROM bounces+b-TOKEN@example.com, the token minted
    here for that outbound row and recipient;
  - Postfix bounces it, and its DSN comes back to that address over LMTP:
    postdeskd answers 250 "bounce recorded", the bounce is stored raw
    against the acknowledgement's row (matched by the bounce address),
    the row turns failed with 5.1.1, the address is failing, the
    ticket gets a bounce.hard event;
  - no ticket, message or acknowledgement comes of the DSN;
  - the next ticket from that address gets no acknowledgement: the row is
    failed "not sent: ... is failing", and Postfix never sees it;
  - `postdesk test --json` of the stored DSN shows "bounce" with the kind,
    the recipient's status and the outbound row; ordinary mail "bounce": null.
"""
import base64
import json
import os
import re
import subprocess

import pdtest
import postfix
from pdtest import check, check_eq

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "bounce-test-key-0123456789abcdef"
GONE = "gone@gone.test"


def outbound_config(relay_port):
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = Example Support <support@example.com>\n"
            "bounce_address = bounces@example.com\n"
            "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
            "retry_delays = 1\nconnect_timeout = 5\nreply_timeout = 5\ntimeout = 5\n"
            % (relay_port, KEY, TEMPLATES))


def new_ticket(d, msgid, subject):
    data = pdtest.message(subject=subject, frm="Gone Away <%s>" % GONE, msgid=msgid)
    return pdtest.deliver_ticket(d.port, data, GONE)


def main():
    if not os.path.exists(pdtest.MINT):
        pdtest.skip("pd-token-mint not built (%s)" % pdtest.MINT)
    with pdtest.Env() as env:
        port = pdtest.free_port()
        # gone.test goes to postdeskd's LMTP too, which has no such queue:
        # 550 5.1.1 at RCPT, after Postfix took the mail (an error: transport
        # would be refused by smtpd itself, and postdesk would see the 550)
        maps = "inline:{example.com=lmtp:inet:[127.0.0.1]:%d, gone.test=lmtp:inet:[127.0.0.1]:%d}" \
            % (port, port)
        with postfix.Postfix(lmtp_port=port, main={"transport_maps": maps}) as mta:
            d = env.daemon(port=port, extra=outbound_config(mta.port))
            t1 = new_ticket(d, "<gone-1@gone.test>", "Printer on fire")
            ack = env.scalar("select o.id from outbound o join tickets t on t.id = o.ticket_id"
                             " where t.number = :'p1' and o.kind = 'ack'", t1)
            check(ack is not None, "an acknowledgement is queued")
            bounce_address = pdtest.mint_token("bounce", KEY, "bounces@example.com", ack, GONE)

            # Postfix takes it from the signed address and bounces it
            mta.wait_log(r"from=<%s>" % re.escape(bounce_address))
            mta.wait_log(r"to=<gone@gone\.test>.*dsn=5\.1\.1, status=bounced")
            # ... and its DSN comes back over LMTP to that address
            mta.wait_log(r"to=<%s>.*status=sent \(250 2\.0\.0 Ok: bounce recorded\)"
                         % re.escape(bounce_address))
            rows = env.query("select kind, outbound_id, matched_by, recipient, envelope_from,"
                             " report->>'standard', report->'recipients'->0->>'status',"
                             " report->'recipients'->0->>'address', length(raw) > 500"
                             " from bounces")
            check_eq(rows, [["hard", ack, "bounce address", bounce_address, "", "true",
                             "5.1.1", GONE, "t"]], "the bounce, stored against the ack's row")
            row = env.query("select status, bounce_status, last_error like 'bounced: %5.1.1%'"
                            " from outbound where id = :'p1'", ack)
            check_eq(row, [["failed", "5.1.1", "t"]], "the acknowledgement's row failed")
            check_eq(env.query("select address, failing_until > now() + interval '29 days',"
                               " hard_bounces from bounced_addresses"),
                     [[GONE, "t", "1"]], "the address is failing for failing_days (30)")
            check_eq(env.query("select e.kind, e.detail->>'status', e.detail->>'address'"
                               " from events e join tickets t on t.id = e.ticket_id"
                               " where t.number = :'p1' and e.kind like 'bounce%'", t1),
                     [["bounce.hard", "5.1.1", GONE]], "the ticket's bounce event")
            # nothing of the DSN became a ticket, a message or a mail of ours
            check_eq(env.scalar("select count(*) from tickets"), "1", "no ticket of the DSN")
            check_eq(env.scalar("select count(*) from messages"), "1", "no message of the DSN")
            check_eq(env.scalar("select count(*) from outbound"), "1", "no reply to the DSN")

            # the next ticket from that address: no acknowledgement goes out
            t2 = new_ticket(d, "<gone-2@gone.test>", "Still on fire")
            check(t2 != t1, "a new ticket")
            pdtest.wait_for("the second ack held", lambda: env.scalar(
                "select last_error from outbound o join tickets t on t.id = o.ticket_id"
                " where t.number = :'p1' and o.kind = 'ack' and o.status = 'failed'", t2))
            err = env.scalar("select last_error from outbound o join tickets t"
                             " on t.id = o.ticket_id where t.number = :'p1'", t2)
            check(err.startswith("not sent: gone@gone.test is failing since "),
                  "why it was not sent: %r" % err)
            check_eq(env.scalar("select count(*) from events where kind = 'outbound.failing'"),
                     "1", "its event")
            check_eq(len(re.findall(r"to=<gone@gone\.test>", mta.log_text())), 1,
                     "Postfix saw one mail to the failing address")

            # postdesk test explains the DSN as the delivery read it
            raw = subprocess.run(["psql", "-X", "-At", "-d", env.dbname, "-c",
                                  "select encode(raw, 'base64') from bounces"],
                                 capture_output=True, text=True, check=True,
                                 env=env.cluster.env(env.dbname)).stdout
            dsn = base64.b64decode(raw)
            conf = d.config_path
            r = env.postdesk("test", "--json", "--from", "", "--to", bounce_address, "-",
                             input=dsn, check_rc=0, config=conf)
            out = json.loads(r.stdout)
            b = out["bounce"]
            check_eq((b["kind"], b["outbound_id"], b["matched_by"]),
                     ("hard", int(ack), "bounce address"), "postdesk test: bounce")
            check_eq([(x["address"], x["status"]) for x in b["recipients"]],
                     [(GONE, "5.1.1")], "postdesk test: recipients")
            r = env.postdesk("test", "--to", bounce_address, "--from", "", "-", input=dsn,
                             check_rc=0, config=conf)
            text = r.stdout.decode("utf-8", "replace")
            check(re.search(r"Bounce: +hard, outbound %s \(by bounce address\)" % ack, text),
                  "text output: %s" % text)
            check("Queue:         (none: the bounce address" in text, "its recipient: %s" % text)
            plain = pdtest.message(subject="Hello", frm="Alice <alice@customer.test>",
                                   msgid="<plain@customer.test>")
            r = env.postdesk("test", "--json", "-", input=plain, check_rc=0, config=conf)
            check_eq(json.loads(r.stdout)["bounce"], None, "ordinary mail: bounce null")
            check_eq(d.stop(), 0, "postdeskd exit")


if __name__ == "__main__":
    main()
