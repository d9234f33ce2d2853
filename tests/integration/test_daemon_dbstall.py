"""A stalled PostgreSQL (issue 8, item 6): stopped with SIGSTOP, so its
sockets stay open and nothing answers, the way a hung disk or a dead
network path looks.  libpq has no client-side timeout: before, a delivery
waited for ever and, once the pool's connections were all held, so did
every session after it.  With [database] timeout = 2, every delivery
(more sessions than pool connections) gets 451 4.3.0 within seconds; once
the server runs again mail is accepted, and a mail answered 451 that the
server committed after all is a duplicate when the MTA retries, never a
second copy.  On a private cluster (the shared one is never stopped)."""
import os
import signal
import threading
import time

import pdtest
from pdtest import check, check_eq

TIMEOUT = 2


def cluster_pids(pg):
    """The postmaster and every process it started."""
    with open(os.path.join(pg.private_dir, "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    pids = [postmaster]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == postmaster:
            pids.append(int(entry))
    return pids


def signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def main():
    pg = pdtest.private_cluster()
    with pdtest.Env(pg=pg) as env:
        # a second [database] group adds its keys to the first (GKeyFile)
        d = env.daemon(extra="[database]\ntimeout = %d\npool_size = 2\n" % TIMEOUT)
        warm = pdtest.lmtp_deliver(d.port, "a@customer.test", ["support@example.com"],
                                   pdtest.message(msgid="<warm@customer.test>"))
        check(warm[0].startswith("250 "), "warm-up: %r" % warm)

        pids = cluster_pids(pg)
        signal_all(pids, signal.SIGSTOP)
        try:
            results = {}

            def deliver(i):
                start = time.time()
                r = pdtest.lmtp_deliver(d.port, "a@customer.test", ["support@example.com"],
                                        pdtest.message(msgid="<stalled.%d@customer.test>" % i))
                results[i] = (r, time.time() - start)

            threads = [threading.Thread(target=deliver, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            check(not any(t.is_alive() for t in threads) and len(results) == 4,
                  "every session answered: %r" % results)
            for i, (r, took) in sorted(results.items()):
                print("stalled %d: %r after %.1f s" % (i, r, took))
                check(r and r[0].startswith("451 4.3.0 "), "stalled %d: %r" % (i, r))
                # a call (2 s + 2 s grace), a reconnect (2 s), a wait for
                # a connection (2 s): well under a minute, never for ever
                check(took < 30, "stalled %d took %.1f s" % (i, took))
            check(d.alive(), "postdeskd runs on")
        finally:
            signal_all(pids, signal.SIGCONT)

        # running again: every mail accepted once, redeliveries duplicates
        for i in range(4):
            mail = pdtest.message(msgid="<stalled.%d@customer.test>" % i)
            r = pdtest.lmtp_deliver(d.port, "a@customer.test", ["support@example.com"], mail)
            check(r[0].startswith("250 "), "after the stall %d: %r" % (i, r))
            check_eq(env.scalar("select count(*) from messages where message_id = :'p1'",
                                "stalled.%d@customer.test" % i), "1", "stored once")
        check_eq(d.stop(), 0, "exit status")
    print("ok")


main()
