"""pdtest: the shared harness for postdesk's protocol and integration tests.

Real components only: a real PostgreSQL cluster (the one tests/run started,
or a private throwaway one when a test runs alone), the real postdeskd and
postdesk binaries from the build tree, real sockets on loopback.

    import pdtest
    with pdtest.Env() as env:           # database created + migrated
        d = env.daemon()                # postdeskd started, LMTP port ready
        s = pdtest.Wire(d.port)         # exact-bytes LMTP dialogue
        s.expect("220 ")
        ...
        env.query("select count(*) from tickets")  # -> [['1']]

A test exits 0 on success, 1 on failure (an uncaught exception), 77 to skip
(ctest SKIP_RETURN_CODE).  Nothing here needs the network or the host's DNS.
"""
import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD_DIR = os.environ.get("PD_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
POSTDESKD = os.path.join(BUILD_DIR, "daemon", "postdeskd")
POSTDESK = os.path.join(BUILD_DIR, "cli", "postdesk")
CORPORA = os.environ.get("PD_CORPORA",
                         os.path.abspath(os.path.join(SOURCE_DIR, "..", "shared", "corpora")))
DATA_DIR = os.path.join(SOURCE_DIR, "tests", "data")
MINT = os.path.join(BUILD_DIR, "tests", "unit", "token", "pd-token-mint")

SKIP = 77

# The suite runs as root and its daemons have no [daemon] user (they share
# the suite's peer-authenticated PostgreSQL): postdeskd refuses that unless
# told, for tests only.  test_daemon_privileges runs it without this, the way
# a site does (root, [daemon] user, privilege drop).
os.environ.setdefault("POSTDESK_ALLOW_ROOT", "1")


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def check_eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what or "value", got, want))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            fail("process exited with %s before listening on %d" % (proc.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    fail("nothing listens on 127.0.0.1:%d after %.0fs" % (port, timeout))


def connect_refused(port):
    """True if nothing accepts on 127.0.0.1:port (a stopping daemon's closed listener)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


TCP_ESTABLISHED, TCP_CLOSE_WAIT = 0x01, 0x08


def tcp_sockets(local_port):
    """(remote port, state, bytes not yet read) of the loopback TCP sockets
    bound to local_port, from /proc/net/tcp and tcp6 (linux/tcp_states.h)."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
            if int(local.rsplit(":", 1)[1], 16) == local_port:
                out.append((int(remote.rsplit(":", 1)[1], 16), int(state, 16),
                            int(queues.split(":")[1], 16)))
    return out


def wait_read(w, port, timeout=30):
    """Wait until the server on port has read everything w sent it (its end
    of the connection has nothing left in its receive queue): the positive
    marker that the server has the bytes, where a sleep only hopes so."""
    mine = w.sock.getsockname()[1]
    wait_for("the server to read what was sent", lambda: any(
        remote == mine and unread == 0 for remote, _, unread in tcp_sockets(port)),
        timeout=timeout)


def proc_status_kb(pid, field):
    """A kB field of /proc/PID/status (VmRSS, VmHWM), 0 if absent."""
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def proc_cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(argv, input=None, env=None, check_rc=None, timeout=120, cwd=None):
    """Run a command; returns CompletedProcess (text).  check_rc: expected rc."""
    p = subprocess.run(argv, input=input, env=env, capture_output=True, cwd=cwd,
                       timeout=timeout, text=not isinstance(input, bytes))
    if check_rc is not None and p.returncode != check_rc:
        out = p.stdout if isinstance(p.stdout, str) else p.stdout.decode("utf-8", "replace")
        err = p.stderr if isinstance(p.stderr, str) else p.stderr.decode("utf-8", "replace")
        fail("%s: exit %d, want %d\nstdout: %s\nstderr: %s" %
             (" ".join(argv), p.returncode, check_rc, out, err))
    return p


class Cluster:
    """The PostgreSQL to use: tests/run's (PGHOST set) or a private one."""

    def __init__(self, private=False):
        self.private_dir = None
        if os.environ.get("PD_TEST_PGHOST") and not private:
            self.host = os.environ["PD_TEST_PGHOST"]
        else:
            self.private_dir = tempfile.mkdtemp(prefix="pdtest-pg-")
            os.chmod(self.private_dir, 0o755)
            self.host = self.private_dir
            subprocess.run(["sh", "-c", ". '%s/pg.sh' && pd_pg_start '%s'" %
                            (HERE, self.private_dir)], check=True)
            atexit.register(self.stop)
        self.port = "5432"
        self.user = "postdesk"

    def env(self, dbname="postgres"):
        e = dict(os.environ)
        e.update(PGHOST=self.host, PGPORT=self.port, PGUSER=self.user, PGDATABASE=dbname)
        return e

    def conninfo(self, dbname):
        return "host=%s port=%s user=%s dbname=%s" % (self.host, self.port, self.user, dbname)

    def stop(self):
        if self.private_dir:
            subprocess.run(["sh", "-c", ". '%s/pg.sh' && pd_pg_stop '%s'" %
                            (HERE, self.private_dir)])
            shutil.rmtree(self.private_dir, ignore_errors=True)
            self.private_dir = None

    def pg_ctl(self, action):
        """Stop or start tests/run's cluster (for the database-down tests)."""
        subprocess.run(["sh", "-c", ". '%s/pg.sh' && pd_pg_%s '%s'" %
                        (HERE, action, self.host)], check=True)


_cluster = None


def cluster():
    global _cluster
    if _cluster is None:
        _cluster = Cluster()
    return _cluster


def private_cluster():
    """A throwaway cluster of the test's own, for tests that stop and start
    PostgreSQL (never stop the shared PD_TEST_PGHOST one):
        pg = pdtest.private_cluster(); env = pdtest.Env(pg=pg); pg.pg_ctl("stop")"""
    return Cluster(private=True)


QUEUES_DEFAULT = """
[queue support]
addresses = support@example.com, help@example.com

[queue billing]
addresses = billing@example.com
"""


class Daemon:
    def __init__(self, env, config_path, port, extra_args=(), wrapper=(), environ=None):
        """environ: variables added to postdeskd's environment."""
        self.env = env
        self.port = port
        self.config_path = config_path
        self.log_path = config_path + ".log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(list(wrapper) + [POSTDESKD, "-f", "-c", config_path]
                                     + list(extra_args),
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **environ) if environ else None)
        wait_port(port, proc=self.proc, timeout=60 if wrapper else 20)

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("postdeskd did not exit within %ds of signal %d" % (timeout, sig))
        self.log.close()
        return self.proc.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def alive(self):
        return self.proc.poll() is None


class Env:
    """A fresh, migrated database and a config directory, removed on exit."""

    def __init__(self, queues=QUEUES_DEFAULT, extra_config="", migrate=True, pg=None,
                 instance=""):
        """instance: a suffix for the database name, for tests that run
        several postdesk installations side by side."""
        self.cluster = pg or cluster()
        self.dir = tempfile.mkdtemp(prefix="pdtest-")
        os.chmod(self.dir, 0o755)
        self.dbname = "pd_%s_%d%s" % (re.sub(r"\W", "_", os.path.basename(sys.argv[0]))[:30],
                                      os.getpid(), re.sub(r"\W", "_", instance))
        self.queues = queues
        self.extra_config = extra_config
        self.daemons = []
        run(["createdb", "-T", "template0", self.dbname], env=self.cluster.env(), check_rc=0)
        if migrate:
            self.postdesk("db", "migrate", check_rc=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for d in self.daemons:
            if d.alive():
                d.stop(signal.SIGKILL)
        if exc[0] is not None:
            for d in self.daemons:
                sys.stderr.write("---- postdeskd log (%s) ----\n%s\n" %
                                 (d.config_path, d.log_text()))
        run(["dropdb", "--if-exists", "--force", self.dbname], env=self.cluster.env())
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    @property
    def conninfo(self):
        return self.cluster.conninfo(self.dbname)

    # The tests' LMTP clients stand for Postfix: they are trusted with
    # XFORWARD as the operator would configure it for Postfix on loopback
    # (postdeskd itself trusts nobody by default).
    XFORWARD_HOSTS = "xforward_hosts = 127.0.0.1 ::1"

    def config_text(self, port=None, extra="", xforward=XFORWARD_HOSTS):
        return ("[postdesk]\nconfig_version = 1\nhostname = postdesk.test\n\n"
                "[database]\nconninfo = %s\n\n"
                "[lmtp]\nlisten = 127.0.0.1:%d\n%s\n%s\n%s\n" %
                (self.conninfo, port or 0, xforward or "", self.queues,
                 self.extra_config + extra))

    def write_config(self, port=None, extra="", name="postdesk.conf"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(self.config_text(port, extra))
        os.chmod(path, 0o600)	# it may hold secrets (lib/core/pd-secrets.h)
        return path

    def daemon(self, extra="", lmtp_extra="", wrapper=(), port=None, environ=None):
        """Start postdeskd; lmtp_extra adds keys to [lmtp], extra adds sections,
        environ variables to its environment."""
        port = port or free_port()
        own_xforward = "xforward_hosts" in lmtp_extra
        text = self.config_text(port, extra, xforward=None if own_xforward else
                                self.XFORWARD_HOSTS)
        if lmtp_extra:
            text = text.replace("[lmtp]\n", "[lmtp]\n" + lmtp_extra.strip() + "\n", 1)
        path = os.path.join(self.dir, "postdeskd-%d.conf" % port)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
        d = Daemon(self, path, port, wrapper=wrapper, environ=environ)
        self.daemons.append(d)
        return d

    def install_binary(self, path=None):
        """A copy of a built binary (default: postdesk) in ENV/bin, mode 0755,
        for a side that runs unprivileged (Postfix's pipe(8) user): the build
        tree may sit in a 0700 directory (root's home) it cannot reach.  The
        binaries link the project's libraries statically; the copy is whole."""
        path = path or POSTDESK
        bindir = os.path.join(self.dir, "bin")
        os.makedirs(bindir, exist_ok=True)
        os.chmod(bindir, 0o755)
        dest = os.path.join(bindir, os.path.basename(path))
        shutil.copy2(path, dest)
        os.chmod(dest, 0o755)
        return dest

    def postdesk(self, *args, input=None, check_rc=None, config=None):
        config = config or self.write_config()
        return run([POSTDESK, "-c", config] + list(args), input=input, check_rc=check_rc)

    def query(self, sql, *params):
        """Rows of a query as lists of strings (psql -At); params as :'p1'..."""
        argv = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-d", self.dbname]
        for i, p in enumerate(params, 1):
            argv += ["-v", "p%d=%s" % (i, p)]
        p = subprocess.run(argv, input=sql, capture_output=True, text=True,
                           env=self.cluster.env(self.dbname), timeout=60)
        if p.returncode != 0:
            fail("psql failed: %s\n%s" % (sql, p.stderr))
        return [line.split("\t") for line in p.stdout.splitlines() if line != ""]

    def scalar(self, sql, *params):
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None


class Wire:
    """An exact-bytes protocol client: send lines, expect reply lines."""

    def __init__(self, port, host="127.0.0.1", timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                fail("connection closed; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """One whole (possibly multi-line) reply: list of lines."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return lines

    def expect(self, prefix):
        """Read one reply; its last line must start with prefix (str or regex)."""
        lines = self.reply()
        last = lines[-1]
        ok = last.startswith(prefix) if isinstance(prefix, str) else prefix.match(last)
        if not ok:
            fail("expected %r, got %r" % (prefix, lines))
        return lines

    def closed(self, timeout=10):
        """True once the peer closed the connection (after any pending bytes)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def greet_when_free(port, timeout=10):
    """(Wire, greeting) once a session slot is free: a session that has
    just ended is reaped by the daemon asynchronously (as is the readiness
    probe's connect and close), so until then a connection may get 421."""
    end = time.time() + timeout
    while True:
        w = Wire(port)
        line = w.line()
        if line.startswith("220 "):
            return w, line
        check(time.time() < end, "no free slot: %r" % line)
        w.close()
        time.sleep(0.1)


def message(subject="Printer on fire", frm="Alice Example <alice@customer.test>",
            to="support@example.com", msgid=None, body="Hello,\nthe printer is on fire.\n",
            headers=()):
    """A small RFC 5322 message as CRLF bytes."""
    msgid = msgid or "<%s.%d@customer.test>" % (time.time_ns(), os.getpid())
    lines = ["From: %s" % frm, "To: %s" % to, "Subject: %s" % subject,
             "Date: Mon, 23 Nov 2026 10:00:00 +0000", "Message-ID: %s" % msgid,
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    lines += list(headers)
    text = "\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")
    return text.encode("utf-8")


def lmtp_deliver(port, sender, recipients, data, lhlo="mx.test"):
    """One LMTP transaction; returns the list of per-recipient DATA replies."""
    w = Wire(port)
    w.expect("220 ")
    w.send("LHLO %s\r\n" % lhlo)
    w.expect("250 ")
    w.send("MAIL FROM:<%s>\r\n" % sender)
    w.expect("250 ")
    accepted = 0
    for r in recipients:
        w.send("RCPT TO:<%s>\r\n" % r)
        if w.reply()[-1].startswith("250"):
            accepted += 1
    if accepted == 0:
        w.close()
        return []
    w.send("DATA\r\n")
    w.expect("354 ")
    stuffed = re.sub(rb"(?m)^\.", b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    w.send(stuffed + b".\r\n")
    replies = [w.reply()[-1] for _ in range(accepted)]
    w.send("QUIT\r\n")
    w.close()
    return replies


def deliver_ticket(port, data, sender, rcpt="support@example.com"):
    """One mail over LMTP that must be accepted; the ticket number of the 250."""
    replies = lmtp_deliver(port, sender, [rcpt], data)
    check(replies and replies[-1].startswith("250"), "delivered: %r" % replies)
    return int(replies[-1].rsplit(" ", 1)[1])


def mint_token(*args):
    """pd-token-mint (tests/unit/token): reply KEY BASE TICKET_ID RECIPIENT, or
    msgid KEY TICKET_ID SERIAL RECIPIENT HOST, or bounce KEY BASE OUTBOUND_ID
    RECIPIENT; the value it prints."""
    p = subprocess.run([MINT] + [str(a) for a in args], capture_output=True, text=True)
    if p.returncode != 0:
        fail("pd-token-mint: %s" % p.stderr)
    return p.stdout.strip()


def lmtp_xforward(port, sender, recipients, data, addr, helo="mail.sender.test"):
    """One LMTP transaction with XFORWARD ADDR/HELO, as Postfix hands mail
    over (sender authentication needs them).  recipients: one address, or
    a list; returns the DATA reply, or the list of them."""
    rcpts = [recipients] if isinstance(recipients, str) else list(recipients)
    w = Wire(port)
    w.expect("220 ")
    w.send("LHLO mx.postdesk.test\r\n")
    w.expect("250 ")
    w.send("XFORWARD NAME=unknown ADDR=%s HELO=%s PROTO=ESMTP\r\n" % (addr, helo))
    w.expect("250 ")
    w.send("MAIL FROM:<%s>\r\n" % sender)
    w.expect("250 ")
    for r in rcpts:
        w.send("RCPT TO:<%s>\r\n" % r)
        w.expect("250 ")
    w.send("DATA\r\n")
    w.expect("354 ")
    w.send(re.sub(rb"(?m)^\.", b"..", data) + b".\r\n")
    replies = [w.reply()[-1] for _ in rcpts]
    w.send("QUIT\r\n")
    w.close()
    return replies[0] if isinstance(recipients, str) else replies


def outbound_section(port, key, templates, extra=""):
    """[outbound] sending to a sink on loopback port, quick to retry and poll."""
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = Example Support <support@example.com>\n"
            "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
            "retry_delays = 1\nconnect_timeout = 5\nreply_timeout = 5\ntimeout = 5\n%s"
            % (port, key, templates, extra))


def outbound_settled(env, timeout=30):
    """Wait until no outbound row is queued or being sent: each one has had
    its last try (sent, failed, cancelled), and a sent one is at its relay
    (the row is marked sent after the relay's 250).  The positive marker
    for "nothing more is sent": a delivery, a CLI command and a job queue
    their rows in their own transaction, so once that has returned every
    row it makes exists, and a row still to come would keep this waiting."""
    wait_for("every outbound row sent or failed", lambda: env.scalar(
        "select count(*) from outbound where status in ('queued', 'sending')") == "0",
        timeout=timeout)


def outbound_config(port, key, bounce_address="bounces@example.com", extra=""):
    """An [outbound] section: the relay on loopback port, the shipped
    templates, token key, short timeouts and retries for tests."""
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = Example Support <support@example.com>\n"
            "%stoken_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
            "retry_delays = 1\nconnect_timeout = 5\nreply_timeout = 5\ntimeout = 5\n%s"
            % (port, "bounce_address = %s\n" % bounce_address if bounce_address else "",
               key, os.path.join(SOURCE_DIR, "filters", "templates"), extra))


def wait_for(what, cond, timeout=30):
    """Poll cond() until it returns something true (returned), or fail."""
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    fail("timed out waiting for " + what)
