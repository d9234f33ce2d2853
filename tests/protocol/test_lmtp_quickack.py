"""postdeskd acknowledges DATA content at once, so a client that sends the
final ".\\r\\n" in a small write of its own is not held ~40 ms by Nagle.

Such a client (Nagle on, the default) cannot send the 3-byte dot while the
content before it is unacknowledged; a receiver that delays its ACK (Linux:
at least 40 ms) to piggyback it on a reply stalls every message, since the
reply cannot come before the dot.  postdeskd re-arms TCP_QUICKACK after
each read inside DATA (as Dovecot's ostream does after each flush).

Over one session, 15 transactions: after the content (48 KB, no dot yet)
the client watches its own socket's TCP_INFO until nothing is unacknowledged.
The median must stay well under the 40 ms delayed-ACK floor (it is below
1 ms on an idle machine; without the server's TCP_QUICKACK it is 40 ms or
more).  Every message is then ended with a separate ".\\r\\n" and must be
delivered.
"""
import socket
import statistics
import struct
import time

import pdtest
from pdtest import check, check_eq

ROUNDS = 15
DELACK_FLOOR_MS = 40.0
LIMIT_MS = 20.0


def unacked(sock):
    """tcpi_unacked of struct tcp_info (linux/tcp.h): after 8 bytes of u8
    fields, u32 rto, ato, snd_mss, rcv_mss, then unacked."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("=I", info, 24)[0]


def wait_acked(sock, timeout=2.0):
    """Milliseconds until every sent segment is acknowledged."""
    start = time.monotonic()
    while unacked(sock) != 0:
        if time.monotonic() - start > timeout:
            pdtest.fail("content still unacknowledged after %.1f s" % timeout)
        time.sleep(0.0005)
    return (time.monotonic() - start) * 1000


def main():
    with pdtest.Env() as env:
        d = env.daemon()
        w = pdtest.Wire(d.port)
        w.expect("220 ")
        w.send("LHLO client.test\r\n")
        w.expect("250 ")
        filler = "".join("line %05d of a long enough message body\n" % i for i in range(1200))
        times = []
        for i in range(ROUNDS):
            body = pdtest.message(subject="quickack %d" % i,
                                  msgid="<quickack.%d@customer.test>" % i, body=filler)
            w.send("MAIL FROM:<alice@customer.test>\r\nRCPT TO:<support@example.com>\r\n"
                   "DATA\r\n")
            w.expect("250 ")
            w.expect("250 ")
            w.expect("354 ")
            w.send(body)   # ends in CRLF
            times.append(wait_acked(w.sock))
            w.send(".\r\n")
            w.expect("250 2.0.0 ")
        w.send("QUIT\r\n")
        w.expect("221 ")
        w.close()
        median = statistics.median(times)
        print("content acknowledged after (ms): " + " ".join("%.1f" % t for t in times))
        print("median %.1f ms (delayed-ACK floor %.0f ms)" % (median, DELACK_FLOOR_MS))
        check(median < LIMIT_MS, "median time to the content's ACK %.1f ms >= %.0f ms: the "
              "server delays its ACKs inside DATA" % (median, LIMIT_MS))
        check_eq(env.scalar("select count(*) from messages where subject like 'quickack %'"),
                 str(ROUNDS), "messages delivered")
    print("ok")


if __name__ == "__main__":
    main()
