"""A real Postfix relays mail to postdeskd through an lmtp: transport.

swaks speaks SMTP to a private Postfix instance (tests/lib/postfix.py) from
127.0.0.5 with its own HELO; Postfix's lmtp client delivers to postdeskd
with XFORWARD (lmtp_send_xforward_command = yes).  Proves:
  - the ticket appears, with the subject and the raw bytes Postfix handed
    over (Postfix's own Received: header included);
  - XFORWARD ADDR/HELO/PROTO reach messages.client_address/_helo/_protocol:
    127.0.0.5 is the SMTP client, not the address Postfix connects from;
  - a reply sent through Postfix (In-Reply-To) threads into the same ticket;
  - one SMTP transaction to support@ and billing@ becomes one LMTP
    transaction with a reply per recipient: one ticket in each queue;
  - an unknown recipient is refused at RCPT (550 5.1.1) and Postfix, not
    postdesk, bounces it; the other recipient is still delivered;
  - Postfix logs status=sent with postdeskd's 250 for every delivery;
  - a second instance runs side by side with its own port, queue and log.
"""
import subprocess
import time

import pdtest
import postfix

CLIENT_IP = "127.0.0.5"
CLIENT_HELO = "client.customer.test"


def swaks(mta, to, msgid, subject, extra=()):
    argv = ["swaks", "--server", "127.0.0.1:%d" % mta.port, "--local-interface", CLIENT_IP,
            "--helo", CLIENT_HELO, "--from", "alice@customer.test", "--to", to,
            "--header", "From: Alice Example <alice@customer.test>",
            "--header", "Subject: %s" % subject, "--header", "Message-Id: %s" % msgid,
            "--body", "Hello,\nthe printer on the 3rd floor is on fire.\n", "--timeout", "30"]
    p = pdtest.run(argv + list(extra), timeout=60)
    pdtest.check(p.returncode == 0, "swaks failed (%d):\n%s\n%s" % (p.returncode, p.stdout,
                                                                  p.stderr))
    return p.stdout


def bare(msgid):
    """Message-IDs are stored without their angle brackets."""
    return msgid.strip("<>")


def wait_rows(env, sql, want, *params, timeout=30):
    end = time.time() + timeout
    while True:
        rows = env.query(sql, *params)
        if len(rows) >= want or time.time() > end:
            return rows
        time.sleep(0.2)


def main():
    with pdtest.Env() as env:
        d = env.daemon()
        with postfix.Postfix(lmtp_port=d.port) as mta:
            # 1. A new mail through Postfix becomes a ticket.
            msgid = "<pf-first.%d@customer.test>" % time.time_ns()
            swaks(mta, "support@example.com", msgid, "Printer on fire")
            rows = wait_rows(env, "select t.number, t.subject, m.client_address, m.client_helo,"
                             " m.client_protocol, m.envelope_mail_from, m.envelope_recipient,"
                             " m.source, encode(r.data, 'escape') like '%(Postfix) with ESMTP%'"
                             " from messages m join tickets t on t.id = m.ticket_id"
                             " join raw_messages r on r.sha256 = m.raw_sha256"
                             " where m.message_id = :'p1'", 1, bare(msgid))
            pdtest.check_eq(len(rows), 1, "messages stored for %s" % msgid)
            number, subject, addr, helo, proto, mail_from, rcpt, source, via_postfix = rows[0]
            pdtest.check_eq(subject, "Printer on fire", "ticket subject")
            pdtest.check_eq(addr, CLIENT_IP, "client_address from XFORWARD ADDR")
            pdtest.check_eq(helo, CLIENT_HELO, "client_helo from XFORWARD HELO")
            pdtest.check_eq(proto, "ESMTP", "client_protocol from XFORWARD PROTO")
            pdtest.check_eq(mail_from, "alice@customer.test", "envelope sender")
            pdtest.check_eq(rcpt, "support@example.com", "envelope recipient")
            pdtest.check_eq(source, "lmtp", "source")
            pdtest.check_eq(via_postfix, "t", "raw message carries Postfix's Received header")
            sent = mta.wait_log(r"lmtp\[\d+\]: \w+: to=<support@example.com>.*"
                                r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d.*status=sent \(250 " % d.port)
            pdtest.check(len(sent) == 1, "one LMTP delivery logged: %r" % sent)

            # 2. The customer's reply, through Postfix, threads into that ticket.
            reply_id = "<pf-reply.%d@customer.test>" % time.time_ns()
            swaks(mta, "support@example.com", reply_id, "Re: Printer on fire",
                  ["--header", "In-Reply-To: %s" % msgid, "--header", "References: %s" % msgid])
            rows = wait_rows(env, "select t.number from messages m join tickets t"
                             " on t.id = m.ticket_id where m.message_id = :'p1'", 1, bare(reply_id))
            pdtest.check_eq(rows, [[number]], "reply threads into ticket %s" % number)

            # 3. Two recipients, one unknown: Postfix's lmtp client sends one
            #    transaction; postdeskd refuses nobody@ at RCPT time.
            multi_id = "<pf-multi.%d@customer.test>" % time.time_ns()
            swaks(mta, "support@example.com,billing@example.com,nobody@example.com",
                  multi_id, "Invoice and printer")
            rows = wait_rows(env, "select m.envelope_recipient, q.name from messages m"
                             " join tickets t on t.id = m.ticket_id join queues q"
                             " on q.id = t.queue_id where m.message_id = :'p1'"
                             " order by 1", 2, bare(multi_id))
            pdtest.check_eq(rows, [["billing@example.com", "billing"],
                                   ["support@example.com", "support"]],
                            "one message per recipient, each in its queue")
            bounced = mta.wait_log(r"to=<nobody@example.com>.*status=bounced.*5\.1\.1")
            pdtest.check(len(bounced) == 1, "unknown recipient bounced by Postfix: %r" % bounced)
            mta.wait_log(r"to=<billing@example.com>.*status=sent \(250 ")

            # 4. A second instance side by side: its own port, queue and log.
            with postfix.Postfix(lmtp_port=d.port) as other:
                pdtest.check(other.port != mta.port and other.dir != mta.dir, "separate")
                other_id = "<pf-other.%d@customer.test>" % time.time_ns()
                swaks(other, "help@example.com", other_id, "Second instance")
                other.wait_log(r"to=<help@example.com>.*status=sent \(250 ")
                pdtest.check(other_id not in mta.log_text(), "first log untouched")
                pdtest.check(msgid not in other.log_text(), "second log is its own")
                pdtest.check(mta.name in mta.log_text() and other.name in other.log_text()
                             and other.name not in mta.log_text(), "distinct syslog_name")

            pdtest.check_eq(env.scalar("select count(*) from tickets"), "4", "tickets")
            pdtest.check_eq(env.scalar("select count(*) from messages"), "5", "messages")
            statuses = mta.deliveries()
            pdtest.check(all(s in ("sent", "bounced") for s in statuses.values()),
                         "no deferred delivery: %r" % statuses)
        pdtest.check(d.alive(), "postdeskd still running")
        log = d.log_text()
        pdtest.check(msgid in log, "postdeskd logged the delivery of %s" % msgid)
    print("ok")


if __name__ == "__main__":
    main()
