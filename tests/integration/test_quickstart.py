"""contrib/quickstart, the first README command, end to end.

1. `contrib/quickstart --check`: installs (nothing, here), starts its own
   PostgreSQL, migrates, runs postdeskd with the demo config, sends the demo
   mail with swaks, shows the ticket, then stops everything: exit 0, the
   ticket shown, its directory removed, nothing left listening.
2. The interactive way: quickstart in the foreground, a mail sent the way
   the printed swaks line does it, then Ctrl-C (SIGINT to its process group,
   as a terminal does): postdeskd and PostgreSQL stop cleanly, exit 130.
Uses the suite's build (--no-build --build-dir) on a free port.
"""
import os
import re
import signal
import socket
import subprocess
import time

import pdtest

QUICKSTART = os.path.join(pdtest.SOURCE_DIR, "contrib", "quickstart")


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def directory_of(output):
    m = re.search(r"PostgreSQL \(throwaway.*\) in (\S+)/pg", output)
    pdtest.check(m is not None, "quickstart printed its directory:\n" + output)
    return m.group(1)


def main():
    if not os.access(pdtest.POSTDESKD, os.X_OK):
        pdtest.skip("postdeskd not built")
    args = ["--no-build", "--build-dir", pdtest.BUILD_DIR]

    # 1. --check
    port = pdtest.free_port()
    p = pdtest.run([QUICKSTART, "--check", "--port", str(port)] + args, timeout=240)
    out = p.stdout + p.stderr
    pdtest.check(p.returncode == 0, "quickstart --check: exit %d\n%s" % (p.returncode, out))
    pdtest.check("check passed: the mail became ticket 10001" in out, "check line:\n" + out)
    pdtest.check("Subject:         The printer is on fire" in out
                 or "The printer is on fire" in out, "ticket show printed the subject")
    pdtest.check(re.search(r"Rules:\s+score 0, ticket", out) is not None,
                 "the shipped rules ran on the demo mail:\n" + out)
    pdtest.check("swaks --protocol LMTP --server 127.0.0.1:%d" % port in out,
                 "printed the swaks line")
    pdtest.check(re.search(r"postdesk -c \S+ ticket show 10001", out) is not None,
                 "printed the ticket show command")
    pdtest.check(not os.path.exists(directory_of(out)), "directory removed")
    pdtest.check(not listening(port), "nothing listens on %d any more" % port)

    # 2. Foreground, one mail, Ctrl-C.
    port = pdtest.free_port()
    log_path = "/tmp/pdtest-quickstart-%d.log" % os.getpid()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([QUICKSTART, "--port", str(port)] + args, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        end = time.time() + 180
        while not listening(port):
            pdtest.check(proc.poll() is None, "quickstart exited early:\n" +
                         open(log_path, errors="replace").read())
            pdtest.check(time.time() < end, "postdeskd never listened")
            time.sleep(0.2)
        replies = pdtest.lmtp_deliver(port, "bob@customer.example", ["billing@example.com"],
                                      pdtest.message(frm="bob@customer.example",
                                                     to="billing@example.com",
                                                     subject="Invoice twice"))
        pdtest.check_eq(len(replies), 1, "one reply")
        pdtest.check(replies[0].startswith("250 "), "delivered: %r" % replies)
        os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = open(log_path, errors="replace").read()
    os.unlink(log_path)
    pdtest.check(rc == 130, "exit %s after Ctrl-C, want 130\n%s" % (rc, out))
    pdtest.check("postdeskd" in out and "stopped" in out, "postdeskd stopped:\n" + out)
    pdtest.check("stopped postdeskd and PostgreSQL" in out, "cleanup ran:\n" + out)
    qsdir = directory_of(out)
    pdtest.check(not os.path.exists(qsdir), "directory removed")
    pdtest.check(not listening(port), "nothing listens on %d any more" % port)
    ps = pdtest.run(["ps", "-eo", "args"]).stdout
    pdtest.check(qsdir not in ps, "no process left using %s:\n%s" % (qsdir, ps))
    print("ok")


if __name__ == "__main__":
    main()
