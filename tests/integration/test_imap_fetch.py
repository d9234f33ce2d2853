"""IMAP ingest against a real Dovecot IMAP on loopback (issue 13):
- mails waiting in INBOX become tickets, each once, and are moved to the
  processed folder (created by the fetcher on first use) only after the
  commit; a mail appended while postdeskd runs is a ticket soon after;
- the log line of each carries imap=NAME uid=N in the LMTP format;
- a mail over max_message_size goes to the failed folder, with an
  imap.refused event, and makes no ticket;
- the same mail appended again is a duplicate: no second message/ticket;
- `postdesk imap check` and `postdesk imap status` say what they should
  (status: the backlog the fetcher counted, 0 once INBOX is drained);
- a wrong password is a clear error (check: exit 64; postdeskd: logged,
  the mail stays)."""
import re
import time

import dovecot
import pdtest
from pdtest import check, check_eq


def main():
    with dovecot.DovecotImap({"support": "s3cret", "sales": "other"}) as dc, \
            pdtest.Env() as env:
        for i in range(3):
            dc.append("support", pdtest.message(subject="waiting %d" % i,
                                                msgid="<waiting-%d@customer.test>" % i))
        section = dovecot.imap_section(dc, env.dir, processed_folder="Processed",
                                       failed_folder="Failed", max_message_size="20k")
        wrong = dovecot.imap_section(dc, env.dir, name="sales", user="sales",
                                     password="not-the-password", tls="starttls")
        dc.append("sales", pdtest.message(subject="for sales"))

        # imap check: connects, logs in, says what it would do
        config = env.write_config(extra=section + wrong)
        p = env.postdesk("imap", "check", "support", config=config, check_rc=0)
        for want in ("logged in over TLS", "MOVE: yes, UIDPLUS: yes",
                     "folder INBOX: UIDVALIDITY", "3 messages",
                     "delivered mail: UID MOVE to Processed (missing: created on first use)",
                     "refused mail: UID MOVE to Failed (missing"):
            check(want in p.stdout, "imap check says %r:\n%s" % (want, p.stdout))
        p = env.postdesk("imap", "check", "sales", config=config, check_rc=64)
        check("login as sales refused" in p.stderr and "password_file" in p.stderr,
              "bad password: %r" % p.stderr)
        env.postdesk("imap", "check", "nobody", config=config, check_rc=64)
        p = env.postdesk("imap", "status", config=config, check_rc=0)
        check("support: " in p.stdout and "never fetched" in p.stdout, p.stdout)

        d = env.daemon(extra=section + wrong)
        pdtest.wait_for("3 tickets", lambda: env.scalar(
            "select count(*) from tickets") == "3", timeout=60)
        pdtest.wait_for("INBOX emptied", lambda: dc.uids("support") == [], timeout=30)
        check_eq(len(dc.uids("support", "Processed")), 3, "moved to Processed")
        log = d.log_text()
        for i in range(1, 4):
            check(re.search(r"<waiting-\d@customer\.test>: from=<alice@customer\.test>, "
                            r"to=<support@example\.com>, imap=support uid=%d, queue=support, "
                            r"ticket=\d+ \(new\), status=delivered" % i, log),
                  "LMTP-style log line for uid %d:\n%s" % (i, log))
            pdtest.wait_for("uid %d's action logged" % i, lambda: "imap=support uid=%d: "
                            "delivered (ticket" % i in d.log_text())
        pdtest.wait_for("the wrong password logged", lambda: re.search(
            r"error: imap=sales: connect: .*login as sales refused", d.log_text()))
        check_eq(len(dc.uids("sales")), 1, "sales' mail stays where it is")

        # a mail appended while postdeskd runs
        start = time.time()
        dc.append("support", pdtest.message(subject="live", msgid="<live@customer.test>"))
        pdtest.wait_for("the live mail", lambda: env.scalar(
            "select count(*) from messages where message_id = 'live@customer.test'") == "1")
        latency = time.time() - start
        print("appended -> ticket: %.2f s (poll_interval 0.2 s)" % latency)
        check(latency < 5, "a new mail is fetched soon: %.2f s" % latency)

        # over the limit: to Failed, an event, no ticket
        big = pdtest.message(subject="big", msgid="<big@customer.test>",
                             body="x" * 76 + "\n" * 1 + ("y" * 76 + "\n") * 400)
        dc.append("support", big)
        pdtest.wait_for("the big mail in Failed",
                        lambda: len(dc.uids("support", "Failed")) == 1, timeout=30)
        check_eq(env.scalar("select count(*) from messages "
                            "where message_id = 'big@customer.test'"), "0", "not stored")
        check_eq(env.scalar("select detail->>'reason' like '%over max_message_size%' "
                            "from events where kind = 'imap.refused'"), "t", "event")

        # the same mail again: a duplicate, moved, no new row
        dc.append("support", pdtest.message(subject="waiting 0",
                                            msgid="<waiting-0@customer.test>"))
        pdtest.wait_for("the copy moved",
                        lambda: len(dc.uids("support", "Processed")) == 5, timeout=30)
        check_eq(env.scalar("select count(*) from messages "
                            "where message_id = 'waiting-0@customer.test'"), "1",
                 "one message for two copies")
        check(re.search(r"<waiting-0@customer\.test>: .*imap=support uid=6, .*"
                        r"\(duplicate\)", d.log_text()), "logged as duplicate")
        check_eq(env.scalar("select count(*) from tickets"), "4", "tickets")
        check_eq(dc.uids("support"), [], "INBOX empty")

        p = env.postdesk("imap", "status", config=config, check_rc=0)
        check(re.search(r"support: support@127\.0\.0\.1 INBOX: UIDVALIDITY \d+, last UID 6, "
                        r"backlog 0 \(counted [-0-9: ]+\), held by \S+:%d, updated" % d.proc.pid, p.stdout), "status:\n" + p.stdout)
        check(re.search(r"sales: sales@127\.0\.0\.1 INBOX: not selected yet, held by .*\n"
                        r"  last error \(.*\): connect: 127\.0\.0\.1: login as sales refused",
                        p.stdout), "status of sales:\n" + p.stdout)
        p = env.postdesk("imap", "status", "--json", config=config, check_rc=0)
        check('"mailbox": "support"' in p.stdout and '"last_uid": 6' in p.stdout
              and '"backlog": 0' in p.stdout, p.stdout)
        check_eq(d.stop(), 0, "exit status")
        p = env.postdesk("imap", "status", config=config, check_rc=0)
        check("held by nobody" in p.stdout, "the lock went with postdeskd:\n" + p.stdout)


if __name__ == "__main__":
    main()
