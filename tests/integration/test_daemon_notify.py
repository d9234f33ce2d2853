"""postdeskd speaks systemd's sd_notify protocol (Type=notify): the test
plays the service manager, a unix datagram socket named by NOTIFY_SOCKET
(SO_PASSCRED on, as systemd has it, so each datagram carries its sender).

  1. READY=1 (with STATUS=listening on ...) comes from postdeskd's own pid,
     after the "ready" log line, with the listener answering 220;
     WATCHDOG_USEC=400000 brings WATCHDOG=1 about every 200 ms; a session
     opened and closed shows in STATUS= ("; 1 session open", then "0").
  2. SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1; a broken file
     too (STATUS= says it was refused), and the daemon still serves.
  3. SIGTERM: STOPPING=1, exit 0.
  4. An abstract socket ("@name"); a database that is down at start: READY=1
     all the same (deliveries answer 451), STATUS= says so.
  5. As root with [daemon] user: the socket sits in a 0700 root directory
     the dropped user cannot reach, and READY=1 still arrives after the drop
     (postdeskd connects the socket before it drops).
  6. contrib/systemd/postdeskd.service is Type=notify and passes
     `systemd-analyze verify` without a word (ExecStart pointed at the build).
"""
import os
import re
import shutil
import signal
import socket
import struct
import time

import pdtest
import postfix

check, check_eq = pdtest.check, pdtest.check_eq


class Manager:
    """The service manager's end of NOTIFY_SOCKET."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(address)
        self.name = address if address[0] != "\0" else "@" + address[1:]
        self.seen = []		# (pid, {var: value}) in order

    def receive(self, timeout):
        self.sock.settimeout(timeout)
        data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, _, _ = struct.unpack("iII", payload[:12])
        state = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
        self.seen.append((pid, state))
        return pid, state

    def expect(self, var, timeout=30, value=None):
        """The next datagram that sets var (to value, if given; WATCHDOG=1 pings
        and other datagrams in between are kept in seen)."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            check(left > 0, "no %s= within %ds; got %r" % (var, timeout, self.seen))
            try:
                pid, state = self.receive(left)
            except socket.timeout:
                continue
            if var in state and (value is None or state[var] == value):
                return pid, state

    def close(self):
        self.sock.close()


def serves(port):
    w = pdtest.Wire(port)
    w.expect("220 ")
    w.send("QUIT\r\n")
    w.expect("221 ")
    w.close()


def verify_unit(env):
    with open(os.path.join(pdtest.SOURCE_DIR, "contrib", "systemd", "postdeskd.service")) as f:
        text = f.read()
    check(re.search(r"^Type=notify$", text, re.M), "Type=notify")
    for key in ("ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes",
                "NotifyAccess=main"):
        check(re.search("^%s$" % re.escape(key), text, re.M), key)
    if shutil.which("systemd-analyze") is None:
        print("systemd-analyze missing: the unit is not verified")
        return
    unit = os.path.join(env.dir, "postdeskd.service")
    with open(unit, "w") as f:
        f.write(text.replace("/usr/local/sbin/postdeskd", pdtest.POSTDESKD))
    # --man=no: Documentation= names man pages that are not installed here
    p = pdtest.run(["systemd-analyze", "verify", "--man=no", unit])
    check_eq((p.returncode, p.stdout + p.stderr), (0, ""), "systemd-analyze verify")


def main():
    with pdtest.Env() as env:
        verify_unit(env)

        # 1. readiness and the watchdog
        m = Manager(os.path.join(env.dir, "notify"))
        d = env.daemon(environ={"NOTIFY_SOCKET": m.name, "WATCHDOG_USEC": "400000"})
        pid, state = m.expect("READY")
        check_eq(pid, d.proc.pid, "READY=1 comes from postdeskd itself")
        check_eq(state["READY"], "1", "READY")
        check(state.get("STATUS", "").startswith("listening on 127.0.0.1:%d" % d.port),
              "STATUS: %r" % state)
        check("ready: postdeskd" in d.log_text(), "READY=1 after the ready line")
        serves(d.port)
        # STATUS= follows the open sessions
        w = pdtest.Wire(d.port)
        w.expect("220 ")
        listening = "listening on 127.0.0.1:%d" % d.port
        m.expect("STATUS", value=listening + "; 1 session open", timeout=10)
        w.close()
        m.expect("STATUS", value=listening + "; 0 sessions open", timeout=10)
        pings = lambda: sum(1 for _, s in m.seen if s.get("WATCHDOG") == "1")
        while pings() < 3:
            m.expect("WATCHDOG", timeout=10)

        # 2. reload, good and broken
        d.proc.send_signal(signal.SIGHUP)
        _, state = m.expect("RELOADING")
        check_eq(state["RELOADING"], "1", "RELOADING")
        check(int(state.get("MONOTONIC_USEC", "0")) > 0, "MONOTONIC_USEC: %r" % state)
        _, state = m.expect("READY")
        check_eq(state.get("STATUS"), "reloaded", "STATUS after a reload")
        with open(d.config_path) as f:
            working = f.read()
        with open(d.config_path, "w") as f:
            f.write(working + "\n[lmtp]\nno_such_key = 1\n")
        d.proc.send_signal(signal.SIGHUP)
        m.expect("RELOADING")
        _, state = m.expect("READY")
        check("reload refused" in state.get("STATUS", ""), "STATUS: %r" % state)
        check("keeping the previous configuration" in d.log_text(), d.log_text())
        serves(d.port)

        # 3. stop
        d.proc.send_signal(signal.SIGTERM)
        pid, state = m.expect("STOPPING")
        check_eq((pid, state["STOPPING"]), (d.proc.pid, "1"), "STOPPING=1")
        check_eq(d.stop(), 0, "exit status")
        m.close()

        # 4. the abstract namespace; PostgreSQL down at start
        m = Manager("\0pdtest-notify-%d" % os.getpid())
        d = env.daemon(environ={"NOTIFY_SOCKET": m.name})
        _, state = m.expect("READY")
        check_eq(state["READY"], "1", "READY over an abstract socket")
        check("WATCHDOG" not in state, "no watchdog unless asked")
        check_eq(d.stop(), 0, "exit status")
        m.expect("STOPPING")
        path = os.path.join(env.dir, "dbdown.conf")
        port = pdtest.free_port()
        with open(path, "w") as f:
            f.write(env.config_text(port).replace(
                env.conninfo, "host=%s port=1 dbname=nothing connect_timeout=2" % env.dir))
        os.chmod(path, 0o600)
        d = pdtest.Daemon(env, path, port, environ={"NOTIFY_SOCKET": m.name})
        env.daemons.append(d)
        _, state = m.expect("READY")
        check("database unreachable" in state.get("STATUS", ""), "STATUS: %r" % state)
        check_eq(d.stop(), 0, "exit status")
        m.close()

        # 5. after the privilege drop
        if os.geteuid() != 0:
            print("ok (not root: the privilege-drop case is skipped)")
            return
        user = postfix.ensure_user()
        private = os.path.join(env.dir, "root-only")
        os.mkdir(private, 0o700)
        m = Manager(os.path.join(private, "notify"))
        port = pdtest.free_port()
        path = os.path.join(env.dir, "drop.conf")
        with open(path, "w") as f:
            f.write(env.config_text(port, "\n[daemon]\nuser = %s\n" % user))
        os.chmod(path, 0o600)
        old = os.environ.pop("POSTDESK_ALLOW_ROOT", None)
        try:
            d = pdtest.Daemon(env, path, port, environ={"NOTIFY_SOCKET": m.name})
        finally:
            if old is not None:
                os.environ["POSTDESK_ALLOW_ROOT"] = old
        env.daemons.append(d)
        _, state = m.expect("READY")
        check("running as user %s" % user in d.log_text(), "dropped first:\n" + d.log_text())
        d.proc.send_signal(signal.SIGTERM)
        m.expect("STOPPING")
        check_eq(d.stop(), 0, "exit status")
        m.close()
    print("ok")


if __name__ == "__main__":
    main()
