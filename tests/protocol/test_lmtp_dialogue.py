"""LMTP dialogues with exact replies over a real socket against the real
postdeskd (the lib/lmtp engine behind the daemon's session loop): greeting,
LHLO, sequence and syntax errors, RCPT limits, pipelining, SMTP smuggling
and dot-unstuffing checked on the stored raw bytes, the size limit (552 per
recipient, session goes on), XFORWARD decoding stored on the message,
line too long, the error limit, and the same dialogue sent one byte at a
time answering the same bytes."""
import re
import socket

import pdtest
from pdtest import check, check_eq

HOST = "postdesk.test"
LIMITS = "max_message_size = 4096\nmax_line_length = 512\nmax_recipients = 2"
LHLO_HEAD = ["250-" + HOST, "250-PIPELINING", "250-SIZE 4096", "250-ENHANCEDSTATUSCODES"]
LHLO_REPLY = LHLO_HEAD + ["250-8BITMIME", "250 XFORWARD NAME ADDR PROTO HELO"]
LHLO_NO_XFORWARD = LHLO_HEAD + ["250 8BITMIME"]
OK = "250 2.0.0 Ok"
DELIVERED = re.compile(r"250 2\.0\.0 .+")
TOO_BIG = "552 5.3.4 Error: message file too big"
UNKNOWN_RCPT = "550 5.1.1 Recipient address rejected: unknown queue"


def converse(port, script, nodelay_bytes=False):
    """Run (send, [expected lines]) steps after the greeting; returns the Wire.
    An expected line is a str (exact) or a compiled regex (full match)."""
    w = pdtest.Wire(port)
    check_eq(w.line(), "220 %s LMTP postdesk ready" % HOST, "greeting")
    for send, want in script:
        if send:
            if nodelay_bytes:
                w.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                data = send.encode() if isinstance(send, str) else send
                for i in range(len(data)):
                    w.send(data[i:i + 1])
            else:
                w.send(send)
        for exp in want:
            got = w.line()
            if isinstance(exp, str):
                check_eq(got, exp, "reply to %r" % (send[:80],))
            else:
                check(exp.fullmatch(got), "reply to %r: %r !~ %r" % (send[:80], got, exp.pattern))
    return w


def raw_of(env, msgid):
    rows = env.query("select encode(r.data, 'hex') from messages m join raw_messages r "
                     "on r.sha256 = m.raw_sha256 where m.message_id = :'p1'", msgid)
    check_eq(len(rows), 1, "messages with Message-ID %s" % msgid)
    return bytes.fromhex(rows[0][0])


# One transaction's commands and replies, pipelined (RFC 2920).
def txn(frm, *rcpts):
    cmds = "MAIL FROM:<%s>\r\n" % frm + "".join("RCPT TO:<%s>\r\n" % r for r in rcpts) + "DATA\r\n"
    return cmds, ["250 2.1.0 Ok"] + ["250 2.1.5 Ok"] * len(rcpts) + [
        "354 End data with <CR><LF>.<CR><LF>"]


def commands(port):
    w = converse(port, [
        ("MAIL FROM:<a@customer.test>\r\n", ["503 5.5.1 Error: send LHLO first"]),
        ("HELO mx.test\r\n", ["500 5.5.1 Error: this is LMTP, send LHLO"]),
        ("EHLO mx.test\r\n", ["500 5.5.1 Error: this is LMTP, send LHLO"]),
        ("BDAT 10\r\n", ["500 5.5.2 Error: command not recognized"]),
        ("NOOP\r\n", [OK]),
        ("LHLO mx.test\r\n", LHLO_REPLY),
        ("RCPT TO:<support@example.com>\r\n", ["503 5.5.1 Error: need MAIL command"]),
        ("DATA\r\n", ["503 5.5.1 Error: need RCPT command"]),
        ("MAIL FROM:a@customer.test\r\n", ["501 5.5.4 Syntax: MAIL FROM:<address>"]),
        ("MAIL FROM:<a@>\r\n", ["501 5.1.7 Bad sender address syntax"]),
        ("MAIL FROM:<a@customer.test> AUTH=<>\r\n", ["555 5.5.4 Unsupported option: AUTH"]),
        ("MAIL FROM:<a@customer.test> SIZE=4097\r\n",
         ["552 5.3.4 Message size exceeds fixed limit"]),
        ("mail from:<> size=4096 body=8bitmime\r\n", ["250 2.1.0 Ok"]),
        ("MAIL FROM:<b@customer.test>\r\n", ["503 5.5.1 Error: nested MAIL command"]),
        ("RCPT TO:<>\r\n", ["501 5.1.3 Bad recipient address syntax"]),
        ("RCPT TO:<nobody@example.com>\r\n", [UNKNOWN_RCPT]),
        ("DATA\r\n", ["503 5.5.1 Error: need RCPT command"]),
        ("RCPT TO:<support@example.com>\r\n", ["250 2.1.5 Ok"]),
        ("RCPT TO:<help@example.com>\r\n", ["250 2.1.5 Ok"]),
        ("RCPT TO:<billing@example.com>\r\n", ["452 4.5.3 Error: too many recipients"]),
        ("RSET\r\n", [OK]),
        ("VRFY support\r\n", ["252 2.5.0 Cannot VRFY user; try RCPT to attempt delivery"]),
        ("XFORWARD NAME=x\r\n", [OK]),
        ("MAIL FROM:<a@customer.test>\r\n", ["250 2.1.0 Ok"]),
        ("XFORWARD NAME=y\r\n", ["503 5.5.1 Error: MAIL transaction in progress"]),
        ("XFORWARD NAME=a+zz\r\n", ["503 5.5.1 Error: MAIL transaction in progress"]),
        ("RSET\r\n", [OK]),
        ("XFORWARD NAME=a+zz\r\n", ["501 5.5.4 Error: malformed value for attribute NAME"]),
        ("XFORWARD FOO=1\r\n", ["501 5.5.4 Bad XFORWARD attribute name: FOO"]),
        ("NOOP " + "x" * 600 + "\r\n", ["500 5.5.2 Error: line too long"]),
        ("QUIT\r\n", ["221 2.0.0 Bye"]),
    ])
    check(w.closed(), "closed after QUIT")
    w.close()


def smuggling_and_stuffing(env, port):
    """Fake ends of DATA are content; a stuffed dot is removed; bytes kept."""
    msg = pdtest.message(msgid="<smuggle.1@customer.test>", body="x\n")
    body = (b"a\n.\nMAIL FROM:<evil@x.test>\r\n"
            b"b\r\n.\nRCPT TO:<billing@example.com>\r\n"
            b"c\n.\r\nd\r.\re\r\n"
            b"..stuffed\r\n...\r\nbare\rcr\r\n")
    kept = (b"a\n.\nMAIL FROM:<evil@x.test>\r\n"
            b"b\r\n\nRCPT TO:<billing@example.com>\r\n"
            b"c\n.\r\nd\r.\re\r\n"
            b".stuffed\r\n..\r\nbare\rcr\r\n")
    cmds, replies = txn("a@customer.test", "support@example.com")
    w = converse(port, [
        ("LHLO mx.test\r\n" + cmds, LHLO_REPLY + replies),
        (msg + body + b".\r\nNOOP\r\n", [DELIVERED, OK]),
        ("QUIT\r\n", ["221 2.0.0 Bye"]),
    ])
    w.close()
    check_eq(raw_of(env, "smuggle.1@customer.test"), msg + kept, "stored raw bytes")
    check_eq(env.scalar("select count(*) from messages"), "1", "one message, nothing smuggled")


def size_limit(env, port):
    """Over max_message_size: 552 per recipient, nothing stored, session goes on."""
    before = env.scalar("select count(*) from messages")
    big = pdtest.message(msgid="<big.1@customer.test>", body="y" * 5000 + "\n")
    cmds, replies = txn("a@customer.test", "support@example.com", "billing@example.com")
    w = converse(port, [
        ("LHLO mx.test\r\n" + cmds, LHLO_REPLY + replies),
        (big + b".\r\n", [TOO_BIG, TOO_BIG]),
        ("NOOP\r\n", [OK]),
    ])
    w.close()
    check_eq(env.scalar("select count(*) from messages"), before, "nothing stored")


def xforward(env, port):
    """Postfix's two XFORWARD commands, xtext and IPv6: reach the message."""
    msg = pdtest.message(msgid="<xf.1@customer.test>")
    cmds, replies = txn("a@customer.test", "support@example.com")
    w = converse(port, [
        ("LHLO mx.test\r\n", LHLO_REPLY),
        ("XFORWARD NAME=mail.customer.test ADDR=IPv6:2001:db8::25 PORT=4711\r\n", [OK]),
        ("XFORWARD PROTO=ESMTP HELO=h+C3+A9lo.customer.test SOURCE=REMOTE\r\n", [OK]),
        (cmds, replies),
        (msg + b".\r\n", [DELIVERED]),
    ])
    w.close()
    check_eq(env.query("select client_name, client_address, client_helo, client_protocol "
                       "from messages where message_id = 'xf.1@customer.test'"),
             [["mail.customer.test", "2001:db8::25", "h\u00e9lo.customer.test", "ESMTP"]],
             "client fields")


def error_limit(port):
    script = [("LHLO mx.test\r\n", LHLO_REPLY)]
    script += [("FOO\r\n", ["500 5.5.2 Error: command not recognized"])] * 19
    script += [("NOOP\r\n", [OK]),
               ("BAR\r\nNOOP\r\n", ["500 5.5.2 Error: command not recognized",
                                    "421 4.7.0 %s Error: too many errors" % HOST])]
    w = converse(port, script)
    check(w.closed(), "closed after 421")
    w.close()


def one_byte_at_a_time(env, port):
    """The same pipelined session sent whole and byte by byte: same replies."""
    def session(msgid):
        msg = pdtest.message(msgid="<%s@customer.test>" % msgid)
        cmds, replies = txn("a@customer.test", "support@example.com", "nobody@example.com")
        replies[2] = UNKNOWN_RCPT
        return ("LHLO mx.test\r\nXFORWARD ADDR=192.0.2.1\r\n" + cmds + msg.decode() +
                "..\r\n.\r\nRSET\r\nQUIT\r\n",
                LHLO_REPLY + [OK] + replies + [DELIVERED, OK, "221 2.0.0 Bye"])
    for msgid, nodelay in (("whole.1", False), ("bytes.1", True)):
        send, want = session(msgid)
        w = converse(port, [(send, want)], nodelay_bytes=nodelay)
        check(w.closed(), "closed after QUIT")
        w.close()
        check(raw_of(env, msgid + "@customer.test").endswith(b"\r\n.\r\n"), "unstuffed end")


def main():
    with pdtest.Env() as env:
        d = env.daemon(lmtp_extra=LIMITS)
        commands(d.port)
        smuggling_and_stuffing(env, d.port)
        size_limit(env, d.port)
        xforward(env, d.port)
        error_limit(d.port)
        one_byte_at_a_time(env, d.port)
        check(d.alive(), "daemon alive")

        # A client outside xforward_hosts: no XFORWARD offered or accepted.
        d2 = env.daemon(lmtp_extra=LIMITS + "\nxforward_hosts = 192.0.2.99")
        converse(d2.port, [
            ("LHLO mx.test\r\n", LHLO_NO_XFORWARD),
            ("XFORWARD ADDR=192.0.2.1\r\n", ["550 5.7.0 Error: insufficient authorization"]),
        ]).close()
    print("ok")


if __name__ == "__main__":
    main()
