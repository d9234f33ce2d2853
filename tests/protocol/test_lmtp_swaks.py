"""swaks --protocol LMTP against the real postdeskd: a normal delivery makes
a ticket, an unknown recipient is refused at RCPT with 550 5.1.1 (swaks exit
24, nothing stored), a pipelined mixed list gets one DATA reply per accepted
recipient, and a line starting with a dot arrives unstuffed."""
import re
import shutil
import subprocess

import pdtest
from pdtest import check, check_eq


def swaks(port, to, *extra):
    argv = ["swaks", "--protocol", "LMTP", "--server", "127.0.0.1", "--port", str(port),
            "--from", "alice@customer.test", "--to", to, "--helo", "mx.test",
            "--timeout", "30"] + list(extra)
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def count(env, table):
    return int(env.scalar("select count(*) from %s" % table))


def main():
    if shutil.which("swaks") is None:
        pdtest.skip("swaks is not installed")
    with pdtest.Env() as env:
        d = env.daemon()

        # A normal delivery: 250 after the dot names the ticket.
        p = swaks(d.port, "support@example.com", "--header", "Subject: Printer on fire",
                  "--header", "Message-Id: <swaks.1@customer.test>")
        check_eq(p.returncode, 0, "swaks exit status\n" + p.stdout)
        m = re.search(r"^<-  250 2\.0\.0 Ok: ticket (\d+)$", p.stdout, re.M)
        check(m is not None, "ticket in the DATA reply:\n" + p.stdout)
        check("<-  220 postdesk.test LMTP postdesk ready" in p.stdout, "greeting:\n" + p.stdout)
        check_eq(env.query("select t.number, m.subject, m.envelope_mail_from from tickets t "
                           "join messages m on m.ticket_id = t.id"),
                 [[m.group(1), "Printer on fire", "alice@customer.test"]], "stored")

        # An unknown recipient: 550 5.1.1 at RCPT, swaks exits 24, nothing stored.
        p = swaks(d.port, "nobody@example.com")
        check_eq(p.returncode, 24, "swaks exit status for a refused RCPT\n" + p.stdout)
        check("<** 550 5.1.1 Recipient address rejected: unknown queue" in p.stdout,
              "550 at RCPT:\n" + p.stdout)
        check_eq(count(env, "messages"), 1, "messages after the refused RCPT")

        # Pipelined, one unknown among two known: one reply per accepted
        # recipient, in RCPT order.
        p = swaks(d.port, "support@example.com,nobody@example.com,billing@example.com",
                  "--pipeline", "--header", "Message-Id: <swaks.2@customer.test>")
        check_eq(p.returncode, 0, "swaks exit status\n" + p.stdout)
        after_dot = p.stdout.split(" -> .\n", 1)[1]
        replies = re.findall(r"^<-  (\d{3} .*)$", after_dot, re.M)
        check_eq(len(replies), 3, "two DATA replies and 221:\n" + p.stdout)
        check(replies[0].startswith("250 2.0.0 Ok: ticket ") and
              replies[1].startswith("250 2.0.0 Ok: ticket "), "DATA replies: %r" % replies)
        check_eq(env.query("select m.envelope_recipient from messages m "
                           "where m.message_id = 'swaks.2@customer.test' order by m.id"),
                 [["support@example.com"], ["billing@example.com"]], "recipients stored")

        # A body line starting with "." is stuffed by swaks, unstuffed by us.
        p = swaks(d.port, "help@example.com", "--header", "Message-Id: <swaks.3@customer.test>",
                  "--body", "first\n.hidden dot line\n..two dots\nlast\n")
        check_eq(p.returncode, 0, "swaks exit status\n" + p.stdout)
        raw = bytes.fromhex(env.scalar(
            "select encode(r.data, 'hex') from messages m join raw_messages r "
            "on r.sha256 = m.raw_sha256 where m.message_id = 'swaks.3@customer.test'"))
        check(b"\r\nfirst\r\n.hidden dot line\r\n..two dots\r\nlast\r\n" in raw,
              "unstuffed body: %r" % raw[-120:])
    print("ok")


if __name__ == "__main__":
    main()
