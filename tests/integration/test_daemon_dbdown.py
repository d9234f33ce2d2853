"""No loss with PostgreSQL down (DESIGN invariant 1), on a private cluster
(the shared one is never stopped):
- PostgreSQL stopped under a running postdeskd: each recipient of a
  two-recipient transaction gets 451 4.3.0, nothing is written; once it is
  back the same mail is accepted (250 each) and stored once per recipient.
- postdeskd started while PostgreSQL is down: it logs that and runs,
  deliveries get 451 until the database is back, then 250.
- a schema this build does not know: postdeskd refuses to start (78)."""
import re
import time

import pdtest
from pdtest import check, check_eq

RCPTS = ["support@example.com", "billing@example.com"]


def counts(env):
    return [int(env.scalar("select count(*) from %s" % t))
            for t in ("tickets", "messages", "raw_messages", "events")]


def main():
    pg = pdtest.private_cluster()
    with pdtest.Env(pg=pg) as env:
        d = env.daemon()
        warm = pdtest.lmtp_deliver(d.port, "a@customer.test", RCPTS,
                                   pdtest.message(msgid="<warm@customer.test>"))
        check(all(r.startswith("250 ") for r in warm), "warm-up: %r" % warm)
        before = counts(env)

        mail = pdtest.message(msgid="<while-down@customer.test>")
        pg.pg_ctl("stop")
        replies = pdtest.lmtp_deliver(d.port, "a@customer.test", RCPTS, mail)
        check_eq(len(replies), 2, "one reply per recipient")
        for r in replies:
            check(r.startswith("451 4.3.0 "), "database down: %r" % replies)
        check(d.alive(), "postdeskd runs on")
        log = d.log_text()
        check(re.search(r"<while-down@customer\.test>: .*to=<billing@example\.com>.*"
                        r"status=deferred \(451 4\.3\.0 ", log), "deferred logged:\n" + log)
        pg.pg_ctl("start")
        check_eq(counts(env), before, "nothing written while down")

        replies = pdtest.lmtp_deliver(d.port, "a@customer.test", RCPTS, mail)
        check(all(r.startswith("250 ") for r in replies) and len(replies) == 2,
              "accepted once back: %r" % replies)
        check_eq(env.scalar("select count(*) from messages "
                            "where message_id = 'while-down@customer.test'"), "2",
                 "one copy per recipient")
        replies = pdtest.lmtp_deliver(d.port, "a@customer.test", RCPTS, mail)
        check(all("already stored" in r for r in replies), "redelivery: %r" % replies)
        check_eq(env.scalar("select count(*) from messages "
                            "where message_id = 'while-down@customer.test'"), "2",
                 "still one copy per recipient")
        check_eq(d.stop(), 0, "exit status")

        # Started while the database is down.
        pg.pg_ctl("stop")
        d2 = env.daemon()
        check("database unreachable" in d2.log_text(), "says so:\n" + d2.log_text())
        late = pdtest.message(msgid="<late@customer.test>")
        replies = pdtest.lmtp_deliver(d2.port, "a@customer.test", RCPTS[:1], late)
        check(replies[0].startswith("451 4.3.0 "), "still down: %r" % replies)
        pg.pg_ctl("start")
        replies = pdtest.lmtp_deliver(d2.port, "a@customer.test", RCPTS[:1], late)
        check(replies[0].startswith("250 "), "back: %r" % replies)
        check_eq(d2.stop(), 0, "exit status")

        # A schema from the future: refuse to start, exit 78.
        env.query("insert into schema_version (version, name) values (9999, 'future')")
        path = env.write_config(port=pdtest.free_port(), name="future.conf")
        p = pdtest.run([pdtest.POSTDESKD, "-f", "-c", path], timeout=30)
        check_eq(p.returncode, 78, "exit status on an unknown schema")
        check("refusing to start" in p.stderr, "says why: %r" % p.stderr)


if __name__ == "__main__":
    main()
