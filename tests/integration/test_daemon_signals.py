"""SIGTERM lets a session finish its transaction: a message in the middle
of DATA when the signal comes is still accepted (250, stored), then the
session gets 421 and postdeskd exits 0; an idle session gets 421 at once;
new connections are refused.  SIGINT stops it the same way.  XFORWARD is
offered only to the TCP clients in xforward_hosts."""
import signal
import socket
import time

import pdtest
from pdtest import check, check_eq


def lhlo(port):
    w = pdtest.Wire(port)
    w.expect("220 ")
    w.send("LHLO mx.test\r\n")
    return w, w.expect("250 ")


def main():
    with pdtest.Env() as env:
        d = env.daemon()
        busy, _ = lhlo(d.port)
        idle, _ = lhlo(d.port)
        busy.send("MAIL FROM:<a@customer.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
        busy.expect("250 ")
        busy.expect("250 ")
        busy.expect("354 ")
        mail = pdtest.message(msgid="<during-stop@customer.test>")
        busy.send(mail[:100])
        d.proc.send_signal(signal.SIGTERM)
        idle.expect("421 4.3.2 ")
        check(idle.closed(), "idle session closed")
        time.sleep(0.5)
        check(d.alive(), "waits for the transaction in progress")
        try:
            socket.create_connection(("127.0.0.1", d.port), timeout=2).close()
            refused = False
        except OSError:
            refused = True
        check(refused, "no new connections once stopping")
        busy.send(mail[100:] + b".\r\n")
        busy.expect("250 ")
        busy.expect("421 4.3.2 ")
        check_eq(d.stop(), 0, "exit status")
        check_eq(env.scalar("select count(*) from messages "
                            "where message_id = 'during-stop@customer.test'"), "1", "stored")

        d = env.daemon(lmtp_extra="xforward_hosts = 192.0.2.0/24, 2001:db8::1")
        w, reply = lhlo(d.port)
        check(not any("XFORWARD" in line for line in reply), "no XFORWARD for 127.0.0.1")
        w.send("XFORWARD ADDR=192.0.2.7\r\n")
        check(w.reply()[-1][0] == "5", "XFORWARD refused")
        w.close()
        check_eq(d.stop(signal.SIGINT), 0, "exit status after SIGINT")

        d = env.daemon(lmtp_extra="xforward_hosts = 127.0.0.0/8")
        w, reply = lhlo(d.port)
        check(any("XFORWARD" in line for line in reply), "XFORWARD for 127.0.0.0/8")
        w.close()
        check_eq(d.stop(), 0, "exit status")

        # An impatient supervisor: SIGTERM again and again while postdeskd
        # tears down still ends in a clean exit 0, never death by signal.
        for _ in range(3):
            d = env.daemon()
            end = time.time() + 0.5
            while d.alive() and time.time() < end:
                d.proc.send_signal(signal.SIGTERM)
                time.sleep(0.002)
            check_eq(d.stop(), 0, "exit status under repeated SIGTERM")


if __name__ == "__main__":
    main()
