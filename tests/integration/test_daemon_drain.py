"""SIGTERM drains within [daemon] drain_timeout (here 3 s).

Four sessions are open when the signal comes:
  idle     between transactions: 421 4.3.2 at once, closed;
  rcpt     after MAIL and RCPT: its transaction goes on, DATA is accepted
           and stored (250), then 421 4.3.2;
  finisher in the middle of DATA: sends the rest after the stop, gets 250
           (stored) and then 421 4.3.2;
  stuck    in the middle of DATA and sends nothing more: 421 4.3.2 once
           drain_timeout has passed (not before), nothing stored, the log
           says the message was cut off.
New connections are refused once stopping; postdeskd exits 0 soon after
the stuck session is cut off.  Every wait is for a marker (the log's
"stopping" line, a reply, the refused connect), never a fixed sleep.
"""
import re
import signal
import time

import pdtest
from pdtest import check, check_eq

DRAIN = 3


def session(port, data_started):
    w = pdtest.Wire(port)
    w.expect("220 ")
    w.send("LHLO mx.test\r\n")
    w.expect("250 ")
    if data_started is None:
        return w
    w.send("MAIL FROM:<a@customer.test>\r\nRCPT TO:<support@example.com>\r\n")
    w.expect("250 ")
    w.expect("250 ")
    if data_started:
        w.send("DATA\r\n")
        w.expect("354 ")
    return w


def stored(env, msgid):
    return env.scalar("select count(*) from messages where message_id = :'p1'", msgid)


def main():
    with pdtest.Env() as env:
        d = env.daemon(extra="\n[daemon]\ndrain_timeout = %ds\n" % DRAIN)
        idle = session(d.port, None)
        rcpt = session(d.port, False)
        finisher = session(d.port, True)
        stuck = session(d.port, True)
        mails = {name: pdtest.message(msgid="<drain-%s@customer.test>" % name)
                 for name in ("rcpt", "finisher", "stuck")}
        finisher.send(mails["finisher"][:80])
        stuck.send(mails["stuck"][:80])
        # (the readiness probe's session may not be reaped yet: 4 or 5)
        marker = re.compile(r"stopping: [45] sessions open, %d s to finish" % DRAIN)
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        pdtest.wait_for("the stopping line", lambda: marker.search(d.log_text()), timeout=10)

        idle.expect("421 4.3.2 ")
        check(idle.closed(), "idle session closed")

        pdtest.wait_for("no new connections once stopping",
                        lambda: pdtest.connect_refused(d.port), timeout=10)

        rcpt.send("DATA\r\n")
        rcpt.expect("354 ")
        rcpt.send(mails["rcpt"] + b"\r\n.\r\n")
        rcpt.expect("250 ")
        rcpt.expect("421 4.3.2 ")
        check(rcpt.closed(), "closed after its transaction")

        finisher.send(mails["finisher"][80:] + b"\r\n.\r\n")
        finisher.expect("250 ")
        finisher.expect("421 4.3.2 ")
        check(finisher.closed(), "closed after its transaction")
        check(d.alive(), "still waiting for the stuck session")

        stuck.sock.settimeout(DRAIN + 10)
        stuck.expect("421 4.3.2 ")
        waited = time.monotonic() - t0
        check(waited >= DRAIN - 0.5, "cut off only after drain_timeout: %.1f s" % waited)
        check(stuck.closed(), "stuck session closed")
        check_eq(d.stop(timeout=5), 0, "exit status soon after the drain")
        check(time.monotonic() - t0 < DRAIN + 5, "exited within the drain time")
        check("message cut off by the stop after drain_timeout" in d.log_text(),
              d.log_text())
        check_eq(stored(env, "drain-rcpt@customer.test"), "1", "rcpt's mail stored")
        check_eq(stored(env, "drain-finisher@customer.test"), "1", "finisher's mail stored")
        check_eq(stored(env, "drain-stuck@customer.test"), "0", "the cut-off mail is not")
    print("ok")


if __name__ == "__main__":
    main()
