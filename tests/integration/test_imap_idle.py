"""IDLE against a real Dovecot IMAP (issue 13): with poll_interval = 60 s,
a mail appended while the fetcher waits in IDLE is a ticket within 2 s
(only the server's "* N EXISTS" can have woken it), and SIGTERM ends an
IDLE at once."""
import time

import dovecot
import pdtest
from pdtest import check, check_eq


def main():
    with dovecot.DovecotImap({"support": "s3cret"}) as dc, pdtest.Env() as env:
        section = dovecot.imap_section(dc, env.dir, processed_folder="Processed",
                                       poll_interval="60")
        d = env.daemon(extra=section)
        pdtest.wait_for("logged in", lambda: "IDLE yes" in d.log_text())
        latencies = []
        for i in range(3):
            start = time.time()
            dc.append("support", pdtest.message(msgid="<idle-%d@customer.test>" % i))
            pdtest.wait_for("ticket %d" % i, lambda: env.scalar(
                "select count(*) from messages where message_id = :'p1'",
                "idle-%d@customer.test" % i) == "1", timeout=10)
            latencies.append(time.time() - start)
        print("IDLE: appended -> stored in %s s" % ", ".join("%.2f" % x for x in latencies))
        check(max(latencies) < 2, "within 2 s of the append: %r" % latencies)
        pdtest.wait_for("moved", lambda: dc.uids("support") == [])
        start = time.time()
        check_eq(d.stop(), 0, "exit status")
        check(time.time() - start < 5, "SIGTERM ends the IDLE at once: %.1f s" %
              (time.time() - start))


if __name__ == "__main__":
    main()
