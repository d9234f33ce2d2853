"""[lmtp] socket_owner: the unix LMTP socket belongs to the MTA's user.

postdeskd started as root with [daemon] user = postdesk-test binds
unix:ENV/lmtp.sock with socket_owner = postfix, socket_mode = 0600 (no
socket_group), then drops.  The socket is postfix's, mode 0600: Postfix's
user connects and gets 220 and delivers a mail, which is stored; the daemon's
own user and nobody are refused by the kernel (EACCES).  A socket_owner that
does not exist is refused at start (exit 78, says which).
"""
import os
import pwd
import shutil
import stat
import sys

import pdtest
import postfix

check, check_eq = pdtest.check, pdtest.check_eq

CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("EACCES"); sys.exit(0)
f = s.makefile("rwb")
def reply():
    while True:
        line = f.readline().decode()
        if line[3:4] != "-":
            return line.strip()
out = [reply()]
if len(sys.argv) > 2:
    data = open(sys.argv[2], "rb").read()
    for cmd in (b"LHLO mx.test", b"MAIL FROM:<alice@customer.test>",
                b"RCPT TO:<support@example.com>", b"DATA"):
        f.write(cmd + b"\r\n"); f.flush(); out.append(reply())
    f.write(data + b"\r\n.\r\n"); f.flush(); out.append(reply())
print(" | ".join(out))
"""


def connect_as(env, user, sock, mail=None):
    argv = ["setpriv", "--reuid", user, "--regid", str(pwd.getpwnam(user).pw_gid),
            "--clear-groups", "--", sys.executable, os.path.join(env.dir, "client.py"), sock]
    if mail is not None:
        path = os.path.join(env.dir, "mail.eml")
        with open(path, "wb") as f:
            f.write(mail)
        os.chmod(path, 0o644)
        argv.append(path)
    p = pdtest.run(argv, timeout=60)
    check_eq(p.returncode, 0, "client as %s: %s" % (user, p.stderr))
    return p.stdout.strip()


def main():
    if os.geteuid() != 0:
        pdtest.skip("needs root (it binds the socket as root and drops)")
    if shutil.which("setpriv") is None:
        pdtest.skip("setpriv (util-linux) is needed")
    postfix.ensure_user("postfix")
    user = postfix.ensure_user()
    del os.environ["POSTDESK_ALLOW_ROOT"]
    with pdtest.Env() as env:
        with open(os.path.join(env.dir, "client.py"), "w") as f:
            f.write(CLIENT)
        sock = os.path.join(env.dir, "lmtp.sock")

        def config(name, owner):
            port = pdtest.free_port()
            text = env.config_text(port, "\n[daemon]\nuser = %s\n" % user)
            text = text.replace("listen = 127.0.0.1:%d\n" % port,
                                "listen = 127.0.0.1:%d, unix:%s\nsocket_owner = %s\n"
                                "socket_mode = 0600\n" % (port, sock, owner), 1)
            path = os.path.join(env.dir, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o600)
            return path, port

        path, _ = config("bad.conf", "pd-no-such-user")
        p = pdtest.run([pdtest.POSTDESKD, "-f", "-c", path], timeout=30)
        check_eq(p.returncode, 78, "unknown socket_owner: " + p.stderr)
        check('socket_owner: no user "pd-no-such-user"' in p.stderr, p.stderr)

        path, port = config("owner.conf", "postfix")
        d = pdtest.Daemon(env, path, port)
        env.daemons.append(d)
        pdtest.wait_for("running as user", lambda: "running as user %s" % user in d.log_text())
        st = os.stat(sock)
        check(stat.S_ISSOCK(st.st_mode), "a socket")
        check_eq(st.st_uid, pwd.getpwnam("postfix").pw_uid, "socket owner")
        check_eq(oct(st.st_mode & 0o777), "0o600", "socket mode")
        check_eq(connect_as(env, user, sock), "EACCES", "the daemon's own user")
        check_eq(connect_as(env, "nobody", sock), "EACCES", "nobody")
        replies = connect_as(env, "postfix", sock,
                             pdtest.message(msgid="<owner.1@customer.test>"))
        check(replies.startswith("220 ") and replies.split(" | ")[-1].startswith("250 "),
              "as postfix: " + replies)
        check_eq(env.scalar("select count(*) from messages"
                            " where message_id = 'owner.1@customer.test'"), "1", "stored")
        check_eq(d.stop(), 0, "exit after SIGTERM")
    print("ok")


if __name__ == "__main__":
    main()
