"""A relay for loop tests: an SMTP server on loopback that hands every mail
it takes to an LMTP server (another postdeskd) with the same envelope, and
answers the SMTP client with what the LMTP server said, so the sending
postdeskd sees a real relay's success or failure.  rewrite(mail_from, data)
-> (mail_from, data) may change a mail on the way, as a badly behaved relay
or list server does."""
import re
import socket
import threading

import pdtest


class Bridge:
    def __init__(self, lmtp_port, rewrite=None):
        self.lmtp_port = lmtp_port
        self.rewrite = rewrite
        self.lock = threading.Lock()
        self.forwarded = []     # (mail_from, recipients, data) handed on with 250
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def count(self):
        with self.lock:
            return len(self.forwarded)

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 bridge.test ESMTP\r\n")
        mail_from, rcpts = None, []
        for raw in f:
            line = raw.decode("latin-1").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                conn.sendall(b"250 bridge.test\r\n")
            elif verb == "MAIL":
                m = re.search(r"<([^>]*)>", line)
                mail_from, rcpts = (m.group(1) if m else ""), []
                conn.sendall(b"250 2.1.0 ok\r\n")
            elif verb == "RCPT":
                m = re.search(r"<([^>]*)>", line)
                rcpts.append(m.group(1) if m else "")
                conn.sendall(b"250 2.1.5 ok\r\n")
            elif verb == "DATA":
                conn.sendall(b"354 go\r\n")
                lines = []
                for data in f:
                    if data == b".\r\n":
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                conn.sendall(self._hand_on(mail_from, rcpts, b"".join(lines)))
            elif verb == "QUIT":
                conn.sendall(b"221 2.0.0 bye\r\n")
                break
            else:       # RSET, NOOP
                mail_from, rcpts = (None, []) if verb == "RSET" else (mail_from, rcpts)
                conn.sendall(b"250 2.0.0 ok\r\n")
        conn.close()

    def _hand_on(self, mail_from, rcpts, data):
        if self.rewrite is not None:
            mail_from, data = self.rewrite(mail_from, data)
        try:
            replies = pdtest.lmtp_deliver(self.lmtp_port, mail_from, rcpts, data,
                                          lhlo="bridge.test")
        except (OSError, AssertionError) as e:
            return ("451 4.4.1 bridge: %s\r\n" % e).encode()
        if not replies or not all(r.startswith("250") for r in replies):
            return ("451 4.4.1 bridge: %r\r\n" % replies).encode()
        with self.lock:
            self.forwarded.append((mail_from, rcpts, data))
        return b"250 2.0.0 handed on\r\n"

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
