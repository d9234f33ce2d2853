"""Hostile input over LMTP (DESIGN invariant 5): our fixtures in
tests/data/lmtp, generated monsters (a 1 MB header line, 100-level MIME
nesting, an oversized message) and the third-party corpora.  Each must be
stored best-effort (250, and then really stored) or refused with a clear
5xx, never a 4xx or a dropped connection; the daemon stays up; a second
session is served normally while a hostile one is in progress."""
import glob
import os
import re
import threading
import time

import pdtest
from pdtest import check, check_eq

MAX_SIZE = 3 * 1024 * 1024


def stuff(data):
    """Dot-stuffing as an SMTP client does it: only after CRLF (a line that
    ends in a bare LF is not a line for SMTP), so "LF . LF" is sent as is
    and must not end DATA."""
    data = re.sub(rb"(\r\n)\.", rb"\1..", data)
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def transaction(w, data, recipient="support@example.com", chunk=None, pause=0.0,
                sending=None):
    """sending: a threading.Event set once the first chunk of DATA is out."""
    w.send("MAIL FROM:<hostile@customer.test>\r\n")
    w.expect("250 ")
    w.send("RCPT TO:<%s>\r\n" % recipient)
    w.expect("250 ")
    w.send("DATA\r\n")
    w.expect("354 ")
    payload = stuff(data)
    if chunk is None:
        w.send(payload)
    else:
        for i in range(0, len(payload), chunk):
            w.send(payload[i:i + chunk])
            if sending is not None:
                sending.set()
            time.sleep(pause)
    return w.reply()[-1]


def session(port):
    w = pdtest.Wire(port, timeout=60)
    w.expect("220 ")
    w.send("LHLO mx.test\r\n")
    w.expect("250 ")
    return w


def nested(depth):
    head = (b"From: nest@customer.test\r\nTo: support@example.com\r\n"
            b"Subject: nested %d\r\nMessage-ID: <nested.%d@hostile.test>\r\nMIME-Version: 1.0\r\n" %
            (depth, depth))
    body = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for level in range(depth, 0, -1):
        b = b"b%d" % level
        body = (b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" +
                body + b"\r\n--" + b + b"--\r\n")
    return head + body


def check_outcome(env, name, reply, before):
    check(reply.startswith("250 ") or reply.startswith("5"),
          "%s: want 250 or a clear 5xx, got %r" % (name, reply))
    after = int(env.scalar("select count(*) from messages"))
    if reply.startswith("250 ") and "already stored" in reply:
        check_eq(after, before, "%s: a duplicate of an earlier mail" % name)
    elif reply.startswith("250 "):
        check_eq(after, before + 1, "%s: stored once" % name)
    else:
        check_eq(after, before, "%s: refused, nothing stored" % name)
    return after


def main():
    fixtures = sorted(glob.glob(os.path.join(pdtest.DATA_DIR, "lmtp", "*.eml")))
    check(len(fixtures) >= 8, "fixtures in tests/data/lmtp")
    with pdtest.Env() as env:
        d = env.daemon(lmtp_extra="max_message_size = %d" % MAX_SIZE)
        stored = 0

        w = session(d.port)
        for path in fixtures:
            with open(path, "rb") as f:
                data = f.read()
            reply = transaction(w, data)
            stored = check_outcome(env, os.path.basename(path), reply, stored)
        # "LF . LF" did not end DATA: the whole fixture is one stored message
        text = env.scalar("select text_body from messages "
                          "where message_id = 'bare-lf@hostile.test'")
        check("end" in (text or ""), "bare-lf stored whole: %r" % text)
        check_eq(env.scalar("select count(*) from messages where message_id is null "
                           "and subject = 'no message-id'"), "1",
                 "no-message-id stored (keyed by its bytes)")

        big_header = (b"From: big@customer.test\r\nTo: support@example.com\r\n"
                      b"Subject: 1 MB header line\r\nMessage-ID: <bigheader@hostile.test>\r\n"
                      b"X-Huge: " + b"h" * (1024 * 1024) + b"\r\n\r\nbody\r\n")
        reply = transaction(w, big_header)
        stored = check_outcome(env, "1 MB header line", reply, stored)

        reply = transaction(w, nested(100))
        stored = check_outcome(env, "100-level nesting", reply, stored)
        if reply.startswith("250 "):
            warnings = env.scalar("select array_to_string(parse_warnings, '|') from messages "
                                  "where message_id = 'nested.100@hostile.test'")
            check(warnings, "the nesting cut is a parse warning")

        # the same session still works after all that
        reply = transaction(w, pdtest.message(msgid="<fine.1@customer.test>"))
        check(reply.startswith("250 "), "normal mail after hostile ones: %r" % reply)
        stored += 1
        w.send("QUIT\r\n")
        w.expect("221 ")
        w.close()

        # Oversized, sent slowly, while another session delivers normally.
        oversized = pdtest.message(msgid="<huge@hostile.test>", body="x" * 70 + "\n") + \
            (b"y" * 998 + b"\r\n") * (MAX_SIZE // 1000 + 500)
        result = {}
        sending = threading.Event()

        def slow():
            ws = session(d.port)
            result["reply"] = transaction(ws, oversized, chunk=256 * 1024, pause=0.25,
                                          sending=sending)
            ws.close()

        t = threading.Thread(target=slow)
        t.start()
        check(sending.wait(30), "the hostile session is in DATA")
        t0 = time.time()
        replies = pdtest.lmtp_deliver(d.port, "ok@customer.test", ["support@example.com"],
                                      pdtest.message(msgid="<meanwhile@customer.test>"))
        elapsed = time.time() - t0
        check(t.is_alive(), "the hostile session was still running meanwhile")
        check(replies[0].startswith("250 "), "concurrent session: %r" % replies)
        check(elapsed < 5, "concurrent session took %.1fs" % elapsed)
        t.join(60)
        check(result.get("reply", "").startswith("552 5.3.4"),
              "oversized: %r" % result.get("reply"))
        stored += 1
        check_eq(int(env.scalar("select count(*) from messages")), stored, "messages")

        # Third-party corpora: every mail stored or refused cleanly.
        corpus = sorted(glob.glob(os.path.join(pdtest.CORPORA, "stalwart-mail-parser", "eml",
                                               "**", "*.eml"), recursive=True))
        corpus += sorted(p for p in glob.glob(os.path.join(pdtest.CORPORA, "rt-emails", "**"),
                                              recursive=True)
                         if os.path.isfile(p) and not p.endswith((".txt", "LICENSE", "COPYING")))
        if not corpus:
            print("note: corpora absent, skipped that part")
        w = session(d.port)
        for path in corpus:
            with open(path, "rb") as f:
                data = f.read()
            if len(data) > MAX_SIZE:
                continue
            reply = transaction(w, data)
            stored = check_outcome(env, path, reply, stored)
        w.close()
        print("corpus mails delivered: %d" % len(corpus))

        check(d.alive(), "postdeskd survived")
        check_eq(d.stop(), 0, "exit status after SIGTERM")


if __name__ == "__main__":
    main()
