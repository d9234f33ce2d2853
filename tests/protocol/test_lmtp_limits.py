"""Session limits of the real postdeskd over LMTP: idle_timeout = 2 answers
421 4.4.2 and closes (also in the middle of DATA, where nothing is stored);
max_sessions = 2 answers 421 4.3.2 to the extra connection and closes it
while the two sessions it holds are still served, and a freed slot is
served again."""
import time

import pdtest
from pdtest import check, check_eq

HOST = "postdesk.test"
TIMEOUT_REPLY = "421 4.4.2 %s Error: timeout exceeded" % HOST


def greet(port):
    w = pdtest.Wire(port)
    check_eq(w.line(), "220 %s LMTP postdesk ready" % HOST, "greeting")
    return w


def greet_when_free(port):
    w, line = pdtest.greet_when_free(port)
    check_eq(line, "220 %s LMTP postdesk ready" % HOST, "greeting")
    return w


def lhlo(w):
    w.send("LHLO mx.test\r\n")
    check_eq(w.reply()[-1][:4], "250 ", "LHLO")


def idle_timeout(env):
    d = env.daemon(lmtp_extra="idle_timeout = 2")
    # Idle after LHLO.
    w = greet(d.port)
    lhlo(w)
    t0 = time.time()
    check_eq(w.line(), TIMEOUT_REPLY, "idle reply")
    waited = time.time() - t0
    check(w.closed(), "closed after the timeout")
    check(1.5 <= waited < 8, "timeout after %.1fs, want about 2s" % waited)
    w.close()

    # Stalled in the middle of DATA: 421, and nothing is stored.
    w = greet(d.port)
    lhlo(w)
    w.send("MAIL FROM:<a@customer.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
    check_eq([w.line() for _ in range(3)],
             ["250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"], "txn")
    w.send(pdtest.message(msgid="<stalled.1@customer.test>"))
    check_eq(w.line(), TIMEOUT_REPLY, "reply to a stalled DATA")
    check(w.closed(), "closed after the timeout in DATA")
    w.close()
    check_eq(env.scalar("select count(*) from messages"), "0", "nothing stored")

    # A session that keeps talking is not cut off.
    w = greet(d.port)
    for _ in range(3):
        time.sleep(1.2)
        w.send("NOOP\r\n")
        check_eq(w.line(), "250 2.0.0 Ok", "NOOP before the timeout")
    w.close()
    check(d.alive(), "daemon alive")


def max_sessions(env):
    d = env.daemon(lmtp_extra="max_sessions = 2\nidle_timeout = 60")
    a = greet_when_free(d.port)
    b = greet_when_free(d.port)
    extra = pdtest.Wire(d.port)
    check_eq(extra.line(), "421 4.3.2 Too many sessions", "the extra session")
    check(extra.closed(), "the extra session is closed")
    extra.close()

    # The two held sessions are still served, one of them to the end.
    lhlo(b)
    lhlo(a)
    a.send("MAIL FROM:<a@customer.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
    check_eq([a.line() for _ in range(3)],
             ["250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"], "txn")
    a.send(pdtest.message(msgid="<held.1@customer.test>") + b".\r\nQUIT\r\n")
    check(a.line().startswith("250 2.0.0 "), "delivered while full")
    check_eq(a.line(), "221 2.0.0 Bye", "QUIT")
    check(a.closed(), "closed after QUIT")
    a.close()
    b.send("NOOP\r\n")
    check_eq(b.line(), "250 2.0.0 Ok", "the other held session")

    # The freed slot is served again (the daemon reaps it asynchronously).
    w = greet_when_free(d.port)
    w.send("QUIT\r\n")
    check_eq(w.line(), "221 2.0.0 Bye", "QUIT on the freed slot")
    w.close()
    b.close()
    check_eq(env.scalar("select count(*) from messages where message_id = 'held.1@customer.test'"),
             "1", "the message delivered while full")


def main():
    with pdtest.Env() as env:
        idle_timeout(env)
        max_sessions(env)
    print("ok")


if __name__ == "__main__":
    main()
