"""The Debian package (contrib/debian/build), installed on this machine.

  1. contrib/debian/build makes the .deb from the built tree (cmake
     --install into debian/tmp, no second compilation); lintian, when
     installed, reports no error;
  2. `dpkg -i` installs it: /usr/sbin/postdeskd, /usr/bin/postdesk, the man
     pages, /usr/share/postdesk/filters (templates included), the conffile
     /etc/postdesk/postdesk.conf (root:postdesk 0640), the system user
     postdesk (postinst), the unit, not enabled, not started;
  3. the installed `postdesk check-config` accepts the installed file;
  4. the installed postdeskd, started the way the unit's ExecStart does
     (plus -f for the log here, and a config of the test's own against a
     throwaway PostgreSQL migrated by the installed postdesk), runs as the
     user postdesk (the privilege drop; the unit itself sets User=) with the
     package's score.sieve, and stores one mail delivered over LMTP;
  5. `dpkg --purge` removes it all (the user stays, as Debian's policy asks).
Needs root (dpkg -i); skipped when a postdesk package is already installed
(not the test's to replace).  One run at a time machine-wide (a lock).
"""
import fcntl
import grp
import os
import pwd
import shlex
import shutil
import subprocess
import time

import pdtest

check, check_eq = pdtest.check, pdtest.check_eq

UNIT = "/lib/systemd/system/postdeskd.service"
CONF = "/etc/postdesk/postdesk.conf"


def installed():
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "postdesk"],
                       capture_output=True, text=True)
    return p.returncode == 0 and p.stdout.endswith(" installed")


def dpkg(*args):
    """dpkg ARGS, waiting while another dpkg or apt on this machine holds
    its lock (other sessions install packages too)."""
    for _ in range(120):
        p = pdtest.run(["dpkg"] + list(args), timeout=120,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if p.returncode == 0 or "lock" not in p.stderr:
            return p
        time.sleep(1)
    return p


def unit_exec_start():
    with open(UNIT) as f:
        lines = [l.strip() for l in f if l.startswith("ExecStart=")]
    check_eq(len(lines), 1, "one ExecStart in %s" % UNIT)
    return shlex.split(lines[0][len("ExecStart="):])


def main():
    if os.geteuid() != 0:
        pdtest.skip("needs root (dpkg -i installs the package on this machine)")
    if shutil.which("dh") is None:
        pdtest.skip("debhelper is not installed (contrib/debian-packages)")
    lock = open("/run/lock/postdesk-test-debian-package", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    if installed():
        pdtest.skip("a postdesk package is installed on this machine: not replacing it")
    # The dropped daemon connects as the system user postdesk (peer auth).
    os.environ["PD_PG_PEERS"] = "postdesk postdesk-test"
    pg = pdtest.private_cluster()
    out = os.path.join(pdtest.BUILD_DIR, "deb")
    shutil.rmtree(out, ignore_errors=True)
    p = pdtest.run([os.path.join(pdtest.SOURCE_DIR, "contrib", "debian", "build"),
                    "-B", pdtest.BUILD_DIR, "-o", out], check_rc=0, timeout=300)
    deb = p.stdout.strip().splitlines()[-1]
    check(os.path.exists(deb), "the .deb: %r" % deb)
    if shutil.which("lintian"):
        lint = pdtest.run(["lintian", deb], timeout=300)
        errors = [l for l in lint.stdout.splitlines() if l.startswith("E:")]
        check_eq(errors, [], "lintian errors")
        warnings = [l for l in lint.stdout.splitlines() if l.startswith("W:")]
        print("lintian: %d warnings%s" % (len(warnings), "".join("\n  " + w for w in warnings)))
    try:
        p = dpkg("-i", deb)
        check_eq(p.returncode, 0, "dpkg -i: %s%s" % (p.stdout, p.stderr))
        check(installed(), "postdesk installed")
        for path in ("/usr/sbin/postdeskd", "/usr/bin/postdesk", UNIT,
                     "/usr/share/man/man8/postdeskd.8.gz", "/usr/share/man/man5/postdesk.conf.5.gz",
                     "/usr/share/man/man1/postdesk.1.gz", "/usr/share/man/man7/postdesk-rules.7.gz",
                     "/usr/share/postdesk/filters/score.sieve",
                     "/usr/share/postdesk/filters/templates/ack.txt"):
            check(os.path.exists(path), "installed: %s" % path)
        conffiles = pdtest.run(["dpkg-query", "-W", "-f=${Conffiles}", "postdesk"]).stdout
        check(CONF in conffiles, "%s is a conffile: %r" % (CONF, conffiles))
        user = pwd.getpwnam("postdesk")
        check(user.pw_uid < 1000, "postdesk is a system user (uid %d)" % user.pw_uid)
        gid = grp.getgrnam("postdesk").gr_gid
        st = os.stat(CONF)
        check_eq((st.st_uid, st.st_gid, oct(st.st_mode & 0o777)), (0, gid, "0o640"), CONF)
        check(not os.path.exists("/etc/systemd/system/multi-user.target.wants/postdeskd.service"),
              "the unit is not enabled on install")
        with open(CONF) as f:
            text = f.read()
        check("#dir = /usr/share/postdesk/filters\n" in text, "the conffile names the shipped filters")

        p = pdtest.run(["/usr/bin/postdesk", "-c", CONF, "check-config"])
        check_eq(p.returncode, 0, "check-config of the installed file: %s%s" % (p.stdout, p.stderr))

        argv = unit_exec_start()
        check_eq(argv[0], "/usr/sbin/postdeskd", "the unit's binary")
        check("-c" in argv and argv[argv.index("-c") + 1] == CONF, "the unit's config: %r" % argv)
        del os.environ["POSTDESK_ALLOW_ROOT"]
        with pdtest.Env(pg=pg, migrate=False) as env:
            port = pdtest.free_port()
            path = os.path.join(env.dir, "postdesk.conf")
            with open(path, "w") as f:
                f.write(env.config_text(port, "\n[daemon]\nuser = postdesk\n\n[filters]\n"
                                        "dir = /usr/share/postdesk/filters\n"
                                        "scripts = score.sieve\n"))
            os.chmod(path, 0o600)
            pdtest.run(["/usr/bin/postdesk", "-c", path, "db", "migrate"], check_rc=0)
            pdtest.run(["/usr/bin/postdesk", "-c", path, "check-config"], check_rc=0)
            argv[argv.index("-c") + 1] = path
            log = open(path + ".log", "wb")
            proc = subprocess.Popen(argv + ["-f"], stdout=log, stderr=subprocess.STDOUT)
            try:
                pdtest.wait_port(port, proc=proc)
                with open("/proc/%d/status" % proc.pid) as f:
                    uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
                check_eq(uids, [str(user.pw_uid)] * 4, "postdeskd runs as postdesk")
                pdtest.deliver_ticket(port, pdtest.message(msgid="<deb.1@customer.test>"),
                                      "alice@customer.test")
                check_eq(env.scalar("select count(*) from messages"
                                    " where message_id = 'deb.1@customer.test'"), "1", "stored")
                proc.terminate()
                check_eq(proc.wait(30), 0, "exit after SIGTERM")
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                log.close()
                with open(path + ".log", errors="replace") as f:
                    daemon_log = f.read()
            check("running as user postdesk" in daemon_log, "log:\n%s" % daemon_log)
    finally:
        p = dpkg("--purge", "postdesk")
        check_eq(p.returncode, 0, "dpkg --purge: %s%s" % (p.stdout, p.stderr))
    check(not installed(), "purged")
    for path in ("/usr/sbin/postdeskd", "/usr/bin/postdesk", CONF, UNIT, "/usr/share/postdesk"):
        check(not os.path.exists(path), "removed by purge: %s" % path)
    print("ok")


if __name__ == "__main__":
    main()
