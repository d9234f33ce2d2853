"""The IMAP form of the LMTP invariants (issue 13), real Dovecot IMAP and a
private PostgreSQL:
- database down: the mail stays in INBOX untouched (not even \\Seen); once
  the database is back it is ingested once and moved;
- postdeskd killed between COMMIT and MOVE (the test hook
  PD_TEST_IMAP_HOLD_AFTER_COMMIT stops it there): restarted, it fetches the
  mail again, the idempotency key makes it a duplicate, it is moved: one
  message, one ticket; `imap status` said 1 mail waiting meanwhile;
- killed in the middle of a 30-mail backlog: restarted, every mail once;
- two daemons on one database and one mailbox: one fetches, the other
  stands by; every mail once; the holder killed, the other takes over."""
import os
import re
import signal

import dovecot
import pdtest
from pdtest import check, check_eq


def stored(env, msgid):
    return int(env.scalar("select count(*) from messages where message_id = :'p1'", msgid))


def main():
    pg = pdtest.private_cluster()
    with dovecot.DovecotImap({"support": "s3cret"}) as dc, pdtest.Env(pg=pg) as env:
        section = dovecot.imap_section(dc, env.dir, processed_folder="Processed")

        # --- database down -------------------------------------------------
        d = env.daemon(extra=section)
        dc.append("support", pdtest.message(msgid="<warm@customer.test>"))
        pdtest.wait_for("warm-up moved", lambda: len(dc.uids("support", "Processed")) == 1)
        pg.pg_ctl("stop")
        dc.append("support", pdtest.message(msgid="<while-down@customer.test>"))
        pdtest.wait_for("the failure logged", lambda: re.search(
            r"imap=support: .*the mail stays on the server", d.log_text()), timeout=60)
        check_eq(len(dc.uids("support")), 1, "the mail stays in INBOX")
        check_eq(list(dc.flags("support").values()), [""], "untouched, not even \\Seen")
        pg.pg_ctl("start")
        pdtest.wait_for("ingested once back", lambda: stored(env, "while-down@customer.test"),
                        timeout=90)
        pdtest.wait_for("moved once back", lambda: dc.uids("support") == [], timeout=30)
        check_eq(stored(env, "while-down@customer.test"), 1, "one copy")
        check(pdtest.wait_for("working again", lambda: "working again after" in d.log_text()),
              "says it recovered")
        d.kill()

        # --- killed between COMMIT and MOVE ---------------------------------
        os.environ["PD_TEST_IMAP_HOLD_AFTER_COMMIT"] = "1"
        try:
            d = env.daemon(extra=section)
        finally:
            del os.environ["PD_TEST_IMAP_HOLD_AFTER_COMMIT"]
        dc.append("support", pdtest.message(msgid="<crash@customer.test>"))
        pdtest.wait_for("held after commit", lambda: "holding after commit" in d.log_text())
        check_eq(stored(env, "crash@customer.test"), 1, "committed")
        check_eq(len(dc.uids("support")), 1, "not moved yet")
        status_config = env.write_config(extra=section, name="status.conf")
        p = env.postdesk("imap", "status", config=status_config, check_rc=0)
        check(re.search(r"last UID \d+, backlog 1 \(counted", p.stdout),
              "the backlog counted when the pass began:\n" + p.stdout)
        d.kill()
        tickets = env.scalar("select count(*) from tickets")
        d = env.daemon(extra=section)
        pdtest.wait_for("moved after restart", lambda: dc.uids("support") == [])
        check_eq(stored(env, "crash@customer.test"), 1, "still one message")
        check_eq(env.scalar("select count(*) from tickets"), tickets, "no second ticket")
        check(re.search(r"<crash@customer\.test>: .*\(duplicate\)", d.log_text()),
              "the re-fetch is a duplicate")
        d.kill()

        # --- killed in the middle of a backlog ------------------------------
        for i in range(30):
            dc.append("support", pdtest.message(subject="backlog %d" % i,
                                                msgid="<backlog-%d@customer.test>" % i))
        d = env.daemon(extra=section)
        pdtest.wait_for("a few taken", lambda: int(env.scalar(
            "select count(*) from messages where message_id like 'backlog-%'")) >= 5)
        d.kill()
        d = env.daemon(extra=section)
        pdtest.wait_for("the backlog drained", lambda: dc.uids("support") == [], timeout=90)
        check_eq(env.query("select count(*), count(distinct message_id) from messages "
                           "where message_id like 'backlog-%'"), [["30", "30"]],
                 "every mail once")
        d.stop()

        # --- two daemons, one mailbox ---------------------------------------
        a = env.daemon(extra=section)
        pdtest.wait_for("a holds it", lambda: "this daemon fetches" in a.log_text())
        b = env.daemon(extra=section)
        pdtest.wait_for("b stands by", lambda: "another daemon holds the mailbox" in b.log_text())
        for i in range(20):
            dc.append("support", pdtest.message(subject="pair %d" % i,
                                                msgid="<pair-%d@customer.test>" % i))
        pdtest.wait_for("the pair's mail taken", lambda: dc.uids("support") == [], timeout=60)
        check("imap=support uid=" not in b.log_text(), "b fetched nothing")
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        pdtest.wait_for("b takes over", lambda: "this daemon fetches" in b.log_text(),
                        timeout=30)
        for i in range(20, 25):
            dc.append("support", pdtest.message(subject="pair %d" % i,
                                                msgid="<pair-%d@customer.test>" % i))
        pdtest.wait_for("b takes the rest", lambda: dc.uids("support") == [], timeout=60)
        check_eq(env.query("select count(*), count(distinct message_id) from messages "
                           "where message_id like 'pair-%'"), [["25", "25"]], "every mail once")
        check_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    main()
