"""postdeskd started as root the way a site starts it (no POSTDESK_ALLOW_ROOT).

  1. no [daemon] user: refuses to start (exit 78, says why);
  2. [daemon] user = root, or a user that does not exist: exit 78;
  3. [daemon] user = postdesk-test (group postdesk-test): binds TCP and a
     unix socket (socket_mode 0660, socket_group postdesk-test) as root, then
     every uid and gid of the process is that user's, before any mail; a
     mail over LMTP becomes a ticket (the database connection is the
     dropped user's, by peer authentication).
"""
import grp
import os
import pwd
import stat
import urllib.request

import pdtest
import postfix

check, check_eq = pdtest.check, pdtest.check_eq


def ids(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                out[k] = v.split()
    return out


def refused(env, extra, want):
    path = os.path.join(env.dir, "refused.conf")
    with open(path, "w") as f:
        f.write(env.config_text(pdtest.free_port(), extra))
    os.chmod(path, 0o600)
    p = pdtest.run([pdtest.POSTDESKD, "-f", "-c", path], timeout=30)
    check_eq(p.returncode, 78, "exit of %r: %s" % (extra, p.stderr))
    check(want in p.stderr, "%r in:\n%s" % (want, p.stderr))


def main():
    if os.geteuid() != 0:
        pdtest.skip("needs root (it tests the privilege drop)")
    user = postfix.ensure_user()
    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(user).gr_gid
    del os.environ["POSTDESK_ALLOW_ROOT"]
    with pdtest.Env() as env:
        refused(env, "", "started as root and [daemon] user is not set")
        refused(env, "\n[daemon]\nuser = root\n", "is root; postdeskd does not handle mail")
        refused(env, "\n[daemon]\nuser = pd-no-such-user\n", 'no user "pd-no-such-user"')

        port = pdtest.free_port()
        sock = os.path.join(env.dir, "lmtp.sock")
        http_port = pdtest.free_port()
        text = env.config_text(port, "\n[daemon]\nuser = %s\ngroup = %s\n"
                               "\n[http]\nlisten = 127.0.0.1:%d\n" % (user, user, http_port))
        text = text.replace("listen = 127.0.0.1:%d\n" % port,
                            "listen = 127.0.0.1:%d, unix:%s\nsocket_mode = 0660\n"
                            "socket_group = %s\n" % (port, sock, user), 1)
        path = os.path.join(env.dir, "drop.conf")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        d = pdtest.Daemon(env, path, port)
        env.daemons.append(d)
        pdtest.wait_for("running as user", lambda: "running as user %s" % user in d.log_text())
        got = ids(d.proc.pid)
        check_eq(got["Uid"], [str(uid)] * 4, "uids (real, effective, saved, fs)")
        check_eq(got["Gid"], [str(gid)] * 4, "gids")
        check("0" not in got["Groups"], "no root group: %r" % got["Groups"])
        pdtest.wait_for("the unix socket", lambda: os.path.exists(sock))
        st = os.stat(sock)
        check(stat.S_ISSOCK(st.st_mode), "a socket")
        check_eq(oct(st.st_mode & 0o777), "0o660", "socket mode")
        check_eq(st.st_gid, gid, "socket group")
        pdtest.deliver_ticket(port, pdtest.message(msgid="<drop.1@customer.test>"),
                              "alice@customer.test")
        check_eq(env.scalar("select count(*) from messages"
                            " where message_id = 'drop.1@customer.test'"), "1", "stored")
        # the [http] listener, bound as root, serves as the user: every
        # thread (its pool included) has dropped
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % http_port, timeout=30) as r:
            check("postdesk_deliveries_total{" in r.read().decode(), "/metrics after the drop")
        for task in os.listdir("/proc/%d/task" % d.proc.pid):
            with open("/proc/%d/task/%s/status" % (d.proc.pid, task)) as f:
                uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
            check_eq(uids, [str(uid)] * 4, "thread %s uids" % task)
        check_eq(d.stop(), 0, "exit after SIGTERM")
    print("ok")


if __name__ == "__main__":
    main()
