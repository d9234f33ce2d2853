"""postdeskd against a scripted IMAP server that misbehaves (issue 13), one
behaviour per connection, in this order:
  1 silent        accepts and never greets
  2 garbage       greets, logs in, answers SELECT with binary garbage
  3 stall-fetch   stops answering in the middle of the message's literal
  4 huge-literal  announces RFC822.SIZE 300 but sends a literal of 1 GB
  5 normal        and, in IDLE, the sequence of libetpan issue 393: an
                  untagged "* 3 EXISTS" before the "+ idling" continuation
postdeskd neither hangs nor crashes: each failure is a logged timeout or
error and a reconnect (timeout = 2 s); the huge message goes to the failed
folder with an imap.refused event (its size was a lie, the limit holds);
the good message and the one announced in IDLE are stored once each; and
SIGTERM still ends it promptly."""
import re
import socket
import socketserver
import threading
import time

import pdtest
from pdtest import check, check_eq

MODES = ["silent", "garbage", "stall-fetch", "huge-literal", "normal"]


class Mailbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.mails = {1: pdtest.message(subject="the big one", msgid="<fake-1@customer.test>"),
                      2: pdtest.message(subject="plain", msgid="<fake-2@customer.test>")}
        self.moved = {}		# uid -> folder
        self.connections = 0
        self.idles = 0


BOX = Mailbox()


class Handler(socketserver.StreamRequestHandler):
    timeout = 120

    def send(self, text):
        self.wfile.write(text if isinstance(text, bytes) else text.encode())
        self.wfile.flush()

    def handle(self):
        with BOX.lock:
            n = BOX.connections
            BOX.connections += 1
        mode = MODES[n] if n < len(MODES) else "normal"
        try:
            self.session(mode)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            pass

    def session(self, mode):
        if mode == "silent":
            self.rfile.read(1)	# until the client gives up and closes
            return
        self.send("* OK fake IMAP ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
            cmd = rest.upper()
            if cmd.startswith("CAPABILITY"):
                self.send("* CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS\r\n%s OK done\r\n" % tag)
            elif cmd.startswith("LOGIN"):
                self.send("%s OK logged in\r\n" % tag)
            elif cmd.startswith("SELECT"):
                if mode == "garbage":
                    self.send(b"\x00\xff\xfe garbage \x01\x02\r\n" * 50)
                    continue
                with BOX.lock:
                    uids = sorted(BOX.mails)
                self.send("* %d EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT %d] n\r\n"
                          "%s OK [READ-WRITE] selected\r\n" % (len(uids), max(uids + [0]) + 1,
                                                              tag))
            elif cmd.startswith("UID SEARCH"):
                with BOX.lock:
                    uids = sorted(BOX.mails)
                self.send("* SEARCH %s\r\n%s OK done\r\n" % (" ".join(map(str, uids)), tag))
            elif cmd.startswith("UID FETCH"):
                uid = int(rest.split()[2])
                with BOX.lock:
                    raw = BOX.mails.get(uid)
                if raw is None:
                    self.send("%s OK done\r\n" % tag)
                elif "RFC822.SIZE" in cmd:
                    size = 300 if mode == "huge-literal" else len(raw)
                    self.send("* 1 FETCH (UID %d RFC822.SIZE %d)\r\n%s OK done\r\n" %
                              (uid, size, tag))
                elif mode == "stall-fetch":
                    self.send(b"* 1 FETCH (UID %d BODY[] {%d}\r\n" % (uid, len(raw)) +
                              raw[:len(raw) // 2])
                    self.rfile.read(1)	# silence until the client gives up
                    return
                elif mode == "huge-literal":
                    self.send(b"* 1 FETCH (UID %d BODY[] {1000000000}\r\n" % uid)
                    chunk = b"x" * 1022 + b"\r\n"
                    for _ in range(100000):	# 100 MB at most: the client stops first
                        self.send(chunk)
                    return
                else:
                    self.send(b"* 1 FETCH (UID %d BODY[] {%d}\r\n" % (uid, len(raw)) + raw +
                              b")\r\n%s OK done\r\n" % tag.encode())
            elif cmd.startswith("UID MOVE"):
                parts = rest.split()
                uid, folder = int(parts[2]), parts[3].strip('"')
                with BOX.lock:
                    BOX.mails.pop(uid, None)
                    BOX.moved[uid] = folder
                self.send("%s OK moved\r\n" % tag)
            elif cmd == "IDLE":
                with BOX.lock:
                    BOX.idles += 1
                    first = BOX.idles == 1
                    if first:
                        BOX.mails[3] = pdtest.message(subject="announced in IDLE",
                                                      msgid="<fake-3@customer.test>")
                if first:	# libetpan issue 393: an update before the continuation
                    self.send("* 3 EXISTS\r\n+ idling\r\n")
                else:
                    self.send("+ idling\r\n")
                done = self.rfile.readline()
                if not done:
                    return
                self.send("%s OK idle done\r\n" % tag)
            elif cmd.startswith("LOGOUT"):
                self.send("* BYE bye\r\n%s OK bye\r\n" % tag)
                return
            else:
                self.send("%s OK whatever\r\n" % tag)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    with pdtest.Env() as env:
        secret = env.dir + "/fake.secret"
        with open(secret, "w") as f:
            f.write("s3cret\n")
        import os
        os.chmod(secret, 0o600)
        section = ("\n[imap fake]\nhost = 127.0.0.1\nport = %d\ntls = none\nuser = support\n"
                   "password_file = %s\nqueue = support\nprocessed_folder = Processed\n"
                   "failed_folder = Failed\npoll_interval = 0.2\ntimeout = 2\n"
                   "max_message_size = 10k\n" % (port, secret))
        d = env.daemon(extra=section)
        pdtest.wait_for("the good mail and the one announced in IDLE", lambda: env.scalar(
            "select count(*) from messages where message_id in "
            "('fake-2@customer.test', 'fake-3@customer.test')") == "2", timeout=120)
        pdtest.wait_for("all moved", lambda: len(BOX.moved) == 3, timeout=30)
        check_eq(BOX.moved, {1: "Failed", 2: "Processed", 3: "Processed"}, "where each went")
        check_eq(env.scalar("select count(*) from messages"), "2", "the big one not stored")
        check_eq(env.scalar("select detail->>'uid' from events where kind = 'imap.refused'"),
                 "1", "its event")
        pdtest.wait_for("the last action logged", lambda: "imap=fake uid=3: delivered" in
                        d.log_text())
        log = d.log_text()
        for want in (r"imap=fake: connect: 127\.0\.0\.1: greeting: no answer within 2 s",
                     r"imap=fake: select: .*",
                     r"imap=fake: uid=1: 127\.0\.0\.1: UID FETCH BODY\.PEEK\[\]: no answer "
                     r"within 2 s",
                     r"imap=fake uid=1: refused \(the server sent more than 10240 bytes",
                     r"imap=fake uid=3: delivered"):
            check(re.search(want, log), "logged %r:\n%s" % (want, log))
        check(d.alive(), "postdeskd runs on")
        start = time.time()
        check_eq(d.stop(), 0, "exit status")
        check(time.time() - start < 10, "SIGTERM ends it promptly")
    server.shutdown()


if __name__ == "__main__":
    main()
