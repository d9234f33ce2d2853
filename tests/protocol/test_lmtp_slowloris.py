"""Slowloris (issue 8, item 4): clients that send a byte now and then cannot
hold postdeskd's sessions, and so cannot lock the MTA out.

- A deadline per record (command line, message) that reads do not restart:
  a client dripping a command line, or message content slower than
  min_data_rate, is cut off with 421 4.4.2 after idle_timeout, while a big
  message sent at a sane speed takes longer than that and is delivered.
- max_sessions_per_client: 100 drip clients from one address get 50
  sessions, the rest 421 4.7.0, the log says how many sessions are open;
  another client delivers at once.
- Stress: 100 drip clients from 100 addresses take every session; once 3/4
  of max_sessions are open, untrusted clients get stress_timeout per record,
  so the MTA (trusted with XFORWARD, exempt from both limits), retrying as
  Postfix does, delivers within a few seconds.  (Below 3/4 the stress is
  over and the rest keep the normal deadline.)
"""
import re
import selectors
import socket
import threading
import time

import pdtest
from pdtest import check, check_eq

MTA = "127.0.0.2"		# the trusted MTA's address (xforward_hosts)


class Drippers:
    """Connections that send one byte each every `interval` seconds, from
    their own thread; each records what it received and when it closed."""

    def __init__(self, port, sources, in_data, interval=0.5):
        self.conns = []
        for i, source in enumerate(sources):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            self.conns.append({"sock": s, "data": in_data(i), "got": b"", "closed": None})
        self.interval = interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        sel = selectors.DefaultSelector()
        for c in self.conns:
            sel.register(c["sock"], selectors.EVENT_READ, c)
            if c["data"]:
                c["sock"].sendall(b"LHLO drip.test\r\nMAIL FROM:<d@drip.test>\r\n"
                                  b"RCPT TO:<support@example.com>\r\nDATA\r\n")
        next_drip = time.time()
        while not self.stop.is_set():
            for key, _ in sel.select(timeout=0.05):
                c = key.data
                try:
                    chunk = c["sock"].recv(4096)
                except OSError:
                    chunk = b""
                c["got"] += chunk
                if not chunk:
                    c["closed"] = time.time()
                    sel.unregister(c["sock"])
            if time.time() >= next_drip:
                next_drip += self.interval
                for c in self.conns:
                    if c["closed"] is None and b"220 " in c["got"]:
                        try:
                            c["sock"].send(b"x" if c["data"] else b"N")
                        except OSError:
                            pass

    def count(self, pattern):
        return sum(1 for c in self.conns if re.search(pattern, c["got"]))

    def wait(self, what, cond, timeout):
        end = time.time() + timeout
        while not cond():
            if time.time() > end:
                pdtest.fail("drippers: %s not seen within %ds" % (what, timeout))
            time.sleep(0.05)

    def close(self):
        self.stop.set()
        self.thread.join()
        for c in self.conns:
            c["sock"].close()


def deliver_from(port, source, msgid, retry_until):
    """One delivery from source, retrying a refused connection (421) like
    Postfix would, until retry_until; the time it was delivered and how
    often it was refused."""
    refused = 0
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(30)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        w = pdtest.Wire.__new__(pdtest.Wire)
        w.sock, w.buf = s, b""
        greeting = w.reply()[-1]
        if greeting.startswith("220 "):
            break
        check(greeting.startswith("421 "), "greeting %r" % greeting)
        refused += 1
        w.close()
        check(time.time() < retry_until, "refused until the deadline: %r" % greeting)
        time.sleep(0.2)
    w.send("LHLO mx.test\r\nMAIL FROM:<a@customer.test>\r\nRCPT TO:<support@example.com>\r\n"
           "DATA\r\n")
    for _ in range(4):
        w.reply()
    w.send(pdtest.message(msgid="<%s@customer.test>" % msgid) + b".\r\n")
    reply = w.reply()[-1]
    w.close()
    check(reply.startswith("250 "), "%s delivered: %r" % (msgid, reply))
    return time.time(), refused


def per_record_deadline(env):
    """No stress: idle_timeout bounds each record however it is fed."""
    d = env.daemon(lmtp_extra="xforward_hosts = %s\nidle_timeout = 2" % MTA)
    start = time.time()
    drip = Drippers(d.port, ["127.0.0.1"] * 2, lambda i: i == 1, interval=0.3)
    try:
        drip.wait("two 421 4.4.2", lambda: drip.count(rb"421 4\.4\.2 ") == 2, 20)
        elapsed = time.time() - start
        check(elapsed < 8, "cut off after %.1fs (idle_timeout 2)" % elapsed)
    finally:
        drip.close()
    log = d.log_text()
    check("command line not complete within 2 s (" in log, log)
    check("message not complete within 2 s (" in log, log)

    # 300 kB at 100 kB/s take 3 s, beyond idle_timeout: delivered.
    w = pdtest.Wire(d.port)
    w.expect("220 ")
    w.send("LHLO mx.test\r\nMAIL FROM:<a@customer.test>\r\nRCPT TO:<support@example.com>\r\n"
           "DATA\r\n")
    for _ in range(4):
        w.reply()
    big = pdtest.message(msgid="<slow-big@customer.test>",
                         body=("y" * 99 + "\n") * 3000)
    t0 = time.time()
    for i in range(0, len(big), 10000):
        w.send(big[i:i + 10000])
        time.sleep(0.1)
    w.send(b".\r\n")
    check_eq(w.reply()[-1][:4], "250 ", "slow big message")
    check(time.time() - t0 > 2.5, "it took longer than idle_timeout")
    w.close()
    d.stop()


def main():
    with pdtest.Env() as env:
        per_record_deadline(env)

        d = env.daemon(lmtp_extra="xforward_hosts = %s\nstress_timeout = 3" % MTA)
        # 100 drip clients from one address: 50 sessions, 50 refused.  (Not
        # 127.0.0.1, where the harness's readiness probe may still count.)
        drip = Drippers(d.port, ["127.0.0.4"] * 100, lambda i: i % 2 == 1)
        try:
            drip.wait("100 answers", lambda: drip.count(rb"^(220|421) ") == 100, 30)
            check_eq(drip.count(rb"^421 4\.7\.0 Too many sessions from your address"), 50,
                     "refused by max_sessions_per_client")
            # the open count may include a session still being counted in
            check(re.search(r"too many sessions from 127\.0\.0\.4 \(50; max_sessions_per_client "
                            r"50; 5[01] open of 100\): refused", d.log_text()), d.log_text())
            t0 = time.time()
            deliver_from(d.port, "127.0.0.3", "other-client", t0 + 5)
            check(time.time() - t0 < 5, "another client at once")
        finally:
            drip.close()

        d.stop()

        # 100 drip clients from 100 addresses: every session taken, until
        # stress_timeout cuts them; the MTA gets in within a few seconds.
        d = env.daemon(lmtp_extra="xforward_hosts = %s\nstress_timeout = 3" % MTA)
        drip = Drippers(d.port, ["127.0.1.%d" % i for i in range(1, 101)],
                        lambda i: i % 2 == 1)
        try:
            drip.wait("100 sessions", lambda: drip.count(rb"^220 ") == 100, 30)
            t0 = time.time()
            done, refused = deliver_from(d.port, MTA, "mta-under-attack", t0 + 20)
            check(done - t0 < 12, "the MTA delivered after %.1fs" % (done - t0))
            # stress lasts while 3/4 of the sessions are open: the first
            # quarter of the drippers made room
            check(drip.count(rb"421 4\.4\.2 ") >= 25, "drippers cut: %d" %
                  drip.count(rb"421 4\.4\.2 "))
        finally:
            drip.close()
        log = d.log_text()
        if refused:
            check("too many sessions (100 open, 0 from %s; max_sessions 100): refused" %
                  MTA in log, log)
        check(re.search(r"command line not complete within 3 s, under stress "
                        r"\(\d+ sessions open\)", log), log)
        check_eq(env.scalar("select count(*) from messages where message_id in"
                            " ('mta-under-attack@customer.test', 'other-client@customer.test',"
                            " 'slow-big@customer.test')"), "3", "stored")
        check(d.alive(), "daemon alive")
    print("ok")


if __name__ == "__main__":
    main()
