"""Concurrency with Postfix's smtp-source: many LMTP sessions at once.

smtp-source is Postfix's load generator.  Its Message-Id is
<pid.fd.count@myhostname> where count is a process-wide counter read at DATA
time, and every message has the same Date and body.  So with a new
connection per message (its default), two concurrent sessions can reuse a
file descriptor and read the same counter: identical messages, which
postdesk's idempotency key (recipient + Message-ID + body hash) treats as
duplicates BY DESIGN (DESIGN invariant 2).  With -d, each session keeps its
connection (and so its fd) for the whole run and the counter only goes
down, so every Message-Id is distinct.

  1. smtp-source -L -d -s 10 -m 200 straight at postdeskd: all 200 get 250
     (smtp-source exits non-zero on any other reply), 200 messages, 200
     tickets, 200 distinct Message-IDs, and every ticket has its message.
  2. smtp-source -L -s 10 -m 100 (new connection per message, the default):
     every delivery is acknowledged, stored messages == distinct Message-IDs
     of that run (duplicates were recognised, even when they raced), and a
     ticket per stored message.
  3. Through a private Postfix: smtp-source (SMTP) -s 5 -m 100 -d into
     Postfix, whose lmtp client delivers in parallel to postdeskd: all 100
     status=sent, 100 more tickets.
"""
import time

import pdtest
import postfix

SMTP_SOURCE = postfix.SMTP_SOURCE


def smtp_source(args, timeout=300):
    p = pdtest.run([SMTP_SOURCE] + args, timeout=timeout)
    pdtest.check(p.returncode == 0, "smtp-source %s: exit %d\n%s%s" %
                 (" ".join(args), p.returncode, p.stdout, p.stderr))


def count(env, sql, *params):
    return int(env.scalar(sql, *params))


def main():
    import os
    if not os.access(SMTP_SOURCE, os.X_OK):
        pdtest.skip("smtp-source missing (Debian package postfix)")
    with pdtest.Env() as env:
        d = env.daemon(lmtp_extra="max_sessions = 50")
        target = "127.0.0.1:%d" % d.port

        # 1. Distinct messages, persistent sessions.
        t0 = time.time()
        smtp_source(["-L", "-d", "-s", "10", "-m", "200", "-f", "load1@source.test",
                     "-t", "support@example.com", "-M", "source1.test", "-S", "Load one",
                     target])
        took = time.time() - t0
        n = count(env, "select count(*) from messages where envelope_mail_from = 'load1@source.test'")
        pdtest.check_eq(n, 200, "messages from run 1")
        pdtest.check_eq(count(env, "select count(distinct message_id) from messages"
                              " where envelope_mail_from = 'load1@source.test'"), 200,
                        "distinct Message-IDs in run 1")
        pdtest.check_eq(count(env, "select count(distinct ticket_id) from messages"
                              " where envelope_mail_from = 'load1@source.test'"), 200,
                        "tickets of run 1")
        pdtest.check_eq(count(env, "select count(*) from tickets t where not exists"
                              " (select 1 from messages m where m.ticket_id = t.id)"), 0,
                        "tickets without a message")
        print("run 1: 200 messages over 10 sessions in %.1fs (%.0f/s)" % (took, 200 / took))

        # 2. A new connection per message: possible duplicates, all acknowledged.
        smtp_source(["-L", "-s", "10", "-m", "100", "-f", "load2@source.test",
                     "-t", "billing@example.com", "-M", "source2.test", target])
        rows = env.query("select count(*), count(distinct message_id), count(distinct ticket_id)"
                         " from messages where envelope_mail_from = 'load2@source.test'")
        stored, distinct, tickets = (int(x) for x in rows[0])
        pdtest.check_eq(stored, distinct, "run 2: one message per distinct Message-ID")
        pdtest.check_eq(tickets, stored, "run 2: one ticket per message")
        pdtest.check(50 <= stored <= 100, "run 2: %d distinct messages stored" % stored)
        print("run 2: 100 deliveries, %d distinct Message-IDs stored, %d duplicates "
              "acknowledged without a second row" % (stored, 100 - stored))

        # 3. Postfix in front, its lmtp client delivering in parallel.
        with postfix.Postfix(lmtp_port=d.port) as mta:
            t0 = time.time()
            smtp_source(["-d", "-s", "5", "-m", "100", "-f", "load3@source.test",
                         "-t", "support@example.com", "-M", "source3.test",
                         "127.0.0.1:%d" % mta.port])
            mta.wait_log(r"lmtp\[\d+\]: \w+: to=<support@example.com>.*status=sent \(250 ",
                         count=100, timeout=120)
            took = time.time() - t0
            statuses = mta.deliveries()
            pdtest.check_eq(sorted(set(statuses.values())), ["sent"], "Postfix delivery statuses")
            pdtest.check_eq(len(statuses), 100, "Postfix deliveries")
            print("run 3: 100 messages through Postfix in %.1fs" % took)
        pdtest.check_eq(count(env, "select count(*) from messages where envelope_mail_from"
                              " = 'load3@source.test' and client_helo = 'source3.test'"), 100,
                        "run 3 messages, with XFORWARD HELO")
        pdtest.check(d.alive(), "postdeskd still running")
    print("ok")


if __name__ == "__main__":
    main()
