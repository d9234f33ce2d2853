"""MIME part bombs (issue 8, item 5; DESIGN invariant 5).  GMime builds
every part and every header field of a message before postdesk sees one:
1.3 million tiny parts in a 47 MB mail took 2.6 GB and 12 s, a part with
7 million header lines 4.4 GB.  The part guard cuts what GMime reads past
[limits] mime_parts (and header_count, header_bytes), so each such mail at
the size limit is stored whole (raw bytes, with a warning that says where
parsing stopped) while postdeskd stays under 200 MB (VmHWM)."""
import time

import pdtest
from pdtest import check, check_eq

LIMIT_KB = 200 * 1024


def bomb(kind, size):
    head = (b"From: bomb@customer.test\r\nTo: support@example.com\r\nSubject: %s bomb\r\n"
            b"Message-ID: <%s.bomb@customer.test>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" % (kind, kind))
    if kind == b"part":
        unit = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
        return head + unit * ((size - len(head)) // len(unit)) + b"--b--\r\n"
    unit = b"X: y\r\n"
    return head + b"--b\r\n" + unit * ((size - len(head)) // len(unit)) + b"\r\nx\r\n--b--\r\n"


with pdtest.Env() as env:
    for kind in (b"part", b"header"):
        mail = bomb(kind, 47 * 1000 * 1000)
        d = env.daemon()
        start = time.time()
        replies = pdtest.lmtp_deliver(d.port, "bomb@customer.test", ["support@example.com"], mail)
        took = time.time() - start
        check(replies and replies[0].startswith("250 2.0.0 Ok: ticket "),
              "%s bomb: want 250, got %r" % (kind, replies))
        hwm = pdtest.proc_status_kb(d.proc.pid, "VmHWM")
        print("%s bomb: %d bytes, %.1f s, VmHWM %d kB" % (kind.decode(), len(mail), took, hwm))
        check(hwm < LIMIT_KB, "%s bomb: postdeskd peaked at %d kB" % (kind, hwm))
        rows = env.query("SELECT array_to_string(m.parse_warnings, '|'), r.size FROM messages m"
                         " JOIN raw_messages r ON r.sha256 = m.raw_sha256"
                         " WHERE m.message_id = :'p1'", "%s.bomb@customer.test" % kind.decode())
        check_eq(len(rows), 1, "%s bomb stored" % kind)
        check("is not parsed (it is kept in the raw message)" in rows[0][0],
              "%s bomb: warning in %r" % (kind, rows[0][0]))
        check_eq(int(rows[0][1]), len(mail), "%s bomb: raw bytes whole" % kind)
        d.stop()
print("ok")
