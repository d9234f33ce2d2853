"""A memory budget for the messages in progress (issue 8, item 5; DESIGN
invariant 5).  Each message takes its share of [lmtp] max_memory before its
content is read (6 bytes per byte: what it costs from DATA to COMMIT), at
DATA when MAIL FROM said SIZE=, else as the content grows; a session whose
announced share does not fit waits (at most 60 s, and never longer than
idle_timeout), growth in the content does not wait, and then it gets 452
4.3.1 (RFC 3463: insufficient system storage), never an out-of-memory.  Ten sessions send a 14 MB mail at once (half with SIZE=,
half without) under a budget for two: postdeskd's peak RSS stays near the
budget (not ten mails' worth), every mail is answered 250 or 452, and the
ones refused are accepted when sent again: none lost, none stored twice."""
import base64
import os
import re
import threading

import pdtest
from pdtest import check, check_eq

MB = 1024 * 1024
MAX_SIZE = 16 * MB
BUDGET = 2 * 6 * MAX_SIZE
SLACK_KB = 80 * 1024		# the daemon itself, GLib, GMime, libpq


def big_mail(i):
    head = (b"From: big%d@customer.test\r\nTo: support@example.com\r\nSubject: big %d\r\n"
            b"Message-ID: <big.%d@customer.test>\r\nMIME-Version: 1.0\r\n" % (i, i, i))
    if i % 2 == 0:
        data = base64.encodebytes(os.urandom(10 * 1000 * 1000)).replace(b"\n", b"\r\n")
        return head + (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                       b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
                       b"Content-Type: application/octet-stream; name=big.bin\r\n"
                       b"Content-Transfer-Encoding: base64\r\n\r\n" + data + b"--b--\r\n")
    line = b"All work and no play makes Jack a dull boy, all work and no play.\r\n"
    return head + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + line * (14 * MB // len(line))


def deliver(port, mail, with_size):
    """One transaction; the DATA reply when it refuses, else the reply
    after the content."""
    w = pdtest.Wire(port, timeout=120)
    w.expect("220 ")
    w.send("LHLO mx.test\r\n")
    w.expect("250 ")
    w.send("MAIL FROM:<big@customer.test>%s\r\n" % (" SIZE=%d" % len(mail) if with_size else ""))
    w.expect("250 ")
    w.send("RCPT TO:<support@example.com>\r\n")
    w.expect("250 ")
    w.send("DATA\r\n")
    reply = w.reply()[-1]
    if reply.startswith("354"):
        w.send(re.sub(rb"(?m)^\.", b"..", mail) + b".\r\n")
        reply = w.reply()[-1]
    w.send("QUIT\r\n")
    w.close()
    return reply


with pdtest.Env() as env:
    d = env.daemon(lmtp_extra="max_message_size = %d\nmax_memory = %d\nidle_timeout = 5" %
                   (MAX_SIZE, BUDGET))
    mails = [big_mail(i) for i in range(10)]
    replies = {}

    def send(i):
        replies[i] = deliver(d.port, mails[i], with_size=(i < 5))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    check(len(replies) == 10, "every session answered: %r" % replies)
    hwm = pdtest.proc_status_kb(d.proc.pid, "VmHWM")
    accepted = [i for i, r in replies.items() if r.startswith("250 ")]
    refused = [i for i, r in replies.items() if r.startswith("452 4.3.1 ")]
    print("10 x 14 MB at once, budget %d MB: %d accepted, %d refused (452), VmHWM %d MB" %
          (BUDGET // MB, len(accepted), len(refused), hwm // 1024))
    check_eq(sorted(accepted + refused), list(range(10)), "each 250 or 452: %r" % replies)
    check(hwm < BUDGET // 1024 + SLACK_KB, "peak RSS %d kB, budget %d kB" % (hwm, BUDGET // 1024))
    check(d.alive(), "postdeskd up")

    # the refused ones, sent again one at a time: accepted
    for i in refused:
        r = deliver(d.port, mails[i], with_size=True)
        check(r.startswith("250 "), "big %d again: %r" % (i, r))
    for i in range(10):
        check_eq(env.scalar("select count(*) from messages where message_id = :'p1'",
                            "big.%d@customer.test" % i), "1", "big %d stored once" % i)
    check_eq(d.stop(), 0, "exit status")
print("ok")
