"""XFORWARD only from the MTA the operator names (issue 8, item 2).

Any local user reaches loopback and may be able to reach the LMTP socket; one
that could send `XFORWARD ADDR=<an address in acme.test's SPF record>` (or a
Received header "from [that address] by <trusted relay>") would be
authenticated as acme.test.  Run as the unprivileged user nobody:
  - over TCP on 127.0.0.1, with no xforward_hosts configured: XFORWARD is not
    offered and is refused (550 5.7.0); the mail is stored, not authenticated,
    the forged trusted Received header is not believed either;
  - over the unix socket (socket_group lets nobody connect): the same, the
    kernel's credentials of the peer (SO_PEERCRED) are not in xforward_users;
  - Postfix's user (uid postfix, xforward_users = postfix) on the same socket
    gets XFORWARD: SPF passes, the From domain is authenticated;
  - socket_mode = 0666 (every local user may connect): check-config says why
    and exits 78, postdeskd refuses to start (78).
"""
import json
import os
import shutil
import subprocess
import sys

import authzone
import pdtest
from pdtest import check, check_eq

GOOD_IP = "192.0.2.10"		# in acme.test's SPF record
RELAY = "mx.postdesk.test"	# [auth] trusted_relays

# The LMTP client the test runs as another user: one transaction, every
# reply printed as JSON.  argv: unix:PATH or PORT, then the message file.
CLIENT = r'''
import json, socket, sys
target, path = sys.argv[1], sys.argv[2]
if target.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(target[5:])
else:
    s = socket.create_connection(("127.0.0.1", int(target)))
s.settimeout(30)
f = s.makefile("rb")
def reply():
    lines = []
    while True:
        line = f.readline().decode().rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return lines
out = {"greeting": reply()}
def cmd(name, text):
    s.sendall(text.encode() if isinstance(text, str) else text)
    out[name] = reply()
cmd("lhlo", "LHLO mx.postdesk.test\r\n")
cmd("xforward", "XFORWARD NAME=mail.acme.test ADDR=%s HELO=mail.acme.test PROTO=ESMTP\r\n"
    % "''' + GOOD_IP + r'''")
cmd("mail", "MAIL FROM:<bill@acme.test>\r\n")
cmd("rcpt", "RCPT TO:<support@example.com>\r\n")
cmd("data", "DATA\r\n")
cmd("dot", open(path, "rb").read() + b".\r\n")
s.sendall(b"QUIT\r\n")
print(json.dumps(out))
'''


def as_user(env, user, group, target, msgid):
    """One LMTP transaction as user:group; the replies (dict)."""
    data = (("Received: from mail.acme.test (mail.acme.test [%s])\r\n\tby %s (Postfix)"
             " with ESMTP id 4XyZ; Mon, 23 Nov 2026 10:00:00 +0000\r\n") %
            (GOOD_IP, RELAY)).encode() + pdtest.message(
                frm="Bill <bill@acme.test>", msgid="<%s@acme.test>" % msgid)
    path = os.path.join(env.dir, msgid + ".eml")
    with open(path, "wb") as f:
        f.write(data.replace(b"\r\n.", b"\r\n.."))
    p = pdtest.run(["setpriv", "--reuid", user, "--regid", group, "--clear-groups", "--",
                    sys.executable, os.path.join(env.dir, "client.py"), target, path],
                   timeout=60)
    check(p.returncode == 0, "client as %s: %d\n%s%s" % (user, p.returncode, p.stdout,
                                                         p.stderr))
    return json.loads(p.stdout)


def stored(env, msgid):
    """(from_authenticated, client_address, client_source) of a stored message."""
    rows = env.query("select from_authenticated, coalesce(client_address, '-'),"
                     " auth->>'client_source' from messages"
                     " where message_id = :'p1'", msgid + "@acme.test")
    check_eq(len(rows), 1, "stored %s" % msgid)
    return tuple(rows[0])


def refused(env, replies, what):
    check(not any("XFORWARD" in line for line in replies["lhlo"]),
          "%s: XFORWARD offered: %r" % (what, replies["lhlo"]))
    check_eq(replies["xforward"], ["550 5.7.0 Error: insufficient authorization"],
             "%s: XFORWARD" % what)
    check(replies["dot"][-1].startswith("250 "), "%s: delivered: %r" % (what, replies))


def main():
    if os.geteuid() != 0:
        pdtest.skip("needs root to run clients as other users")
    if shutil.which("setpriv") is None:
        pdtest.skip("setpriv (util-linux) is needed")
    with pdtest.Env() as env:
        with open(os.path.join(env.dir, "client.py"), "w") as f:
            f.write(CLIENT)
        zone = authzone.write_zone(os.path.join(env.dir, "zone"), [
            ("acme.test", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP),
            ("_dmarc.acme.test", "TXT", "v=DMARC1; p=reject"),
        ])
        auth = authzone.auth_section(zone, "trusted_relays = %s\n" % RELAY)
        sock = os.path.join(env.dir, "lmtp.sock")

        def config(name, port, lmtp):
            text = env.config_text(port, auth, xforward=None).replace(
                "listen = 127.0.0.1:%d\n" % port,
                "listen = 127.0.0.1:%d, unix:%s\n%s\n" % (port, sock, lmtp))
            path = os.path.join(env.dir, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        # socket_mode 0666 would let every local user connect: refused.
        bad = config("bad.conf", pdtest.free_port(), "socket_mode = 0666")
        p = env.postdesk("check-config", config=bad)
        check_eq(p.returncode, 78, "check-config exit: %s" % p.stderr)
        check("socket_mode: 0666 lets every local user connect" in p.stderr, p.stderr)
        p = pdtest.run([pdtest.POSTDESKD, "-f", "-c", bad], timeout=30)
        check_eq(p.returncode, 78, "postdeskd exit with socket_mode 0666: %s" % p.stderr)
        check(not os.path.exists(sock), "no socket made")
        # SPF checked but nobody may XFORWARD: check-config says what that means.
        p = env.postdesk("check-config", config=config("none.conf", pdtest.free_port(), ""))
        check(p.returncode == 0 and "warning: no LMTP client is trusted with XFORWARD" in
              p.stderr, "no trust: %d %s %s" % (p.returncode, p.stdout, p.stderr))

        # No xforward_hosts: loopback TCP clients get no trust.  The socket
        # is nogroup's, so nobody may connect; postfix is trusted by uid.
        port = pdtest.free_port()
        d = pdtest.Daemon(env, config("good.conf", port,
                                      "socket_group = nogroup\nxforward_users = postfix"), port)
        env.daemons.append(d)
        check(os.path.exists(sock), "postdeskd made %s: %s" % (sock, d.log_text()))
        check("trusted with XFORWARD" not in d.log_text(), "postfix is trusted")
        p = env.postdesk("check-config", config=d.config_path)
        check_eq((p.returncode, p.stdout, p.stderr), (0, "ok\n", ""), "check-config")
        check_eq(oct(os.stat(sock).st_mode & 0o777), "0o660", "socket mode")
        check_eq(os.stat(sock).st_gid, 65534, "socket group")

        r = as_user(env, "nobody", "nogroup", str(d.port), "tcp-nobody")
        refused(env, r, "nobody over TCP")
        check_eq(stored(env, "tcp-nobody"), ("f", "-", "none"), "nobody over TCP")

        r = as_user(env, "nobody", "nogroup", "unix:" + sock, "unix-nobody")
        refused(env, r, "nobody over the unix socket")
        check_eq(stored(env, "unix-nobody"), ("f", "-", "none"), "nobody over unix")

        r = as_user(env, "postfix", "nogroup", "unix:" + sock, "unix-postfix")
        check(any("XFORWARD" in line for line in r["lhlo"]), "offered to postfix: %r" % r)
        check_eq(r["xforward"], ["250 2.0.0 Ok"], "XFORWARD from postfix")
        check_eq(stored(env, "unix-postfix"), ("t", GOOD_IP, "envelope"), "postfix over unix")
    print("ok")


if __name__ == "__main__":
    main()
