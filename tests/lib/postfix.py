"""postfix: a private, throwaway Postfix instance for one test.

Everything lives in one temp directory: config_directory (main.cf,
master.cf), queue_directory, data_directory and the log file, so several
instances run side by side without touching /etc/postfix, /var/spool/postfix
or each other.  smtpd listens on a free 127.0.0.1 port; example.com (or the
domains given) is relayed through Postfix's lmtp client, with XFORWARD, to
postdeskd; no DNS is ever used; the log is a plain file (maillog_file via
postlogd), so no syslog is needed.

    import postfix
    with postfix.Postfix(lmtp_port=d.port) as mta:
        subprocess.run(["swaks", "--server", "127.0.0.1:%d" % mta.port, ...])
        mta.wait_log(r"status=sent")
        print(mta.log_text())

Needs root (postfix start/stop) and Debian's postfix package; skip() when
either is missing (pdtest.skip, exit 77).
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

import pdtest

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
SMTP_SOURCE = "/usr/sbin/smtp-source"
PIPE_USER = "postdesk-test"	# unprivileged user for pipe(8) (never root, never postfix)

# master.cf services a relay-only instance needs; chroot off everywhere so no
# files need copying into the queue directory.
MASTER_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

QUEUE_DIRS = [(sub, None, 0o700) for sub in (
    "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
    "private", "saved", "trace")] + [("maildrop", "postdrop", 0o730),
                                     ("public", "postdrop", 0o710), ("pid", None, 0o755)]


def available():
    """None if a private Postfix can run here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "a private Postfix needs root"
    for path in (POSTFIX, POSTCONF, "/usr/lib/postfix/sbin/master"):
        if not os.access(path, os.X_OK):
            return "%s missing (Debian package postfix)" % path
    return None


def ensure_user(name=PIPE_USER):
    """An unprivileged system user (created if missing) for pipe(8) and the like."""
    def exists():
        return subprocess.run(["id", "-u", name], capture_output=True).returncode == 0

    if not exists():
        # Tests run in parallel: another one may create it at the same time.
        p = subprocess.run(["useradd", "--system", "--no-create-home",
                            "--shell", "/usr/sbin/nologin", name],
                           capture_output=True, text=True)
        if p.returncode != 0 and not exists():
            pdtest.fail("useradd %s: %s" % (name, p.stderr))
    return name


CONTRIB = os.path.join(pdtest.SOURCE_DIR, "contrib", "postfix")


DOC_SOCKET = "/run/postdesk/lmtp"	# the socket path of the README and contrib/


def contrib_main_cf(name="main.cf.lmtp", lmtp_port=2424, lmtp_socket=DOC_SOCKET):
    """The active parameters of a shipped main.cf snippet, as a dict, with
    postdeskd's documented port 2424 and socket path replaced: tests run
    what the README shows."""
    params = {}
    with open(os.path.join(CONTRIB, name)) as f:
        for line in f:
            if line.strip() and not line.startswith(("#", " ", "\t")):
                key, value = (x.strip() for x in line.split("=", 1))
                params[key] = value.replace("]:2424", "]:%d" % lmtp_port).replace(
                    DOC_SOCKET, lmtp_socket)
    return params


def contrib_master_cf(name="master.cf.pipe", user=PIPE_USER, postdesk=None, config=None):
    """The master.cf service of a shipped snippet (its first uncommented line
    and the indented lines after it), with the user, the postdesk binary and
    the config path replaced."""
    out = []
    with open(os.path.join(CONTRIB, name)) as f:
        for line in f:
            if not out and line.strip() and not line.startswith("#"):
                out.append(line)
            elif out and line.startswith((" ", "\t")):
                out.append(line)
            elif out:
                break
    text = "".join(out).replace("user=postdesk ", "user=%s " % user)
    if postdesk:
        text = text.replace("/usr/local/bin/postdesk ", postdesk + " ")
    if config:
        text = text.replace("/etc/postdesk/postdesk.conf", config)
    return text


class Postfix:
    """One private Postfix instance.

    lmtp_port: postdeskd's port; mail for `domains` goes to
      lmtp:inet:[127.0.0.1]:lmtp_port with lmtp_send_xforward_command=yes
      (postdeskd trusts it with XFORWARD only with xforward_hosts =
      127.0.0.1, which pdtest's configurations set).
    transport: instead, any transport(5) nexthop for `domains`
      (e.g. "postdesk:" for a pipe service added through extra_master).
    main: extra main.cf parameters (dict), applied last.
    extra_master: extra master.cf lines (a pipe service, say).
    """

    def __init__(self, lmtp_port=None, transport=None, domains=("example.com",),
                 main=None, extra_master=""):
        why = available()
        if why:
            pdtest.skip(why)
        if transport is None:
            if lmtp_port is None:
                raise ValueError("lmtp_port or transport is required")
            transport = "lmtp:inet:[127.0.0.1]:%d" % lmtp_port
        self.dir = tempfile.mkdtemp(prefix="pdtest-postfix-")
        os.chmod(self.dir, 0o755)
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "spool")
        self.data_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "maillog")
        for d in (self.config_dir, self.queue_dir):
            os.makedirs(d, 0o755)
        os.makedirs(self.data_dir, 0o700)
        shutil.chown(self.data_dir, "postfix", "postfix")
        self.port = pdtest.free_port()
        self.name = "pdtest-%d-%d" % (os.getpid(), self.port)
        self.started = False
        params = {
            "compatibility_level": "3.6",
            "config_directory": self.config_dir,
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "syslog_name": "postfix-" + self.name,
            "maillog_file": self.log_path,
            "maillog_file_prefixes": self.dir,
            "myhostname": "mx.%s.test" % self.name,
            "mydomain": "test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": " ".join(domains),
            "transport_maps": "inline:{%s}" % ", ".join(
                "%s=%s" % (d, transport) for d in domains),
            "local_recipient_maps": "",
            "local_transport": "error:local delivery is off in this test instance",
            "alias_maps": "",
            "alias_database": "",
            "relayhost": "",
            "default_transport": "error:no outbound mail from this test instance",
            # No DNS anywhere: names come from /etc/hosts, IPs are literal.
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "lmtp_host_lookup": "native",
            "smtpd_peername_lookup": "no",
            "lmtp_send_xforward_command": "yes",
            "smtpd_authorized_xforward_hosts": "",
            "biff": "no",
            "smtputf8_enable": "no",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "lmtp_tls_security_level": "none",
            "message_size_limit": "52428800",
            # Retry quickly: a test waits seconds, not minutes.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "lmtp_connection_cache_on_demand": "no",
            "in_flow_delay": "0",
            "shlib_directory": "/usr/lib/postfix",
            "daemon_directory": "/usr/lib/postfix/sbin",
            "meta_directory": "/etc/postfix",
        }
        params.update(main or {})
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            for key, value in params.items():
                f.write("%s = %s\n" % (key, value))
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write("127.0.0.1:%d inet n - n - - smtpd\n" % self.port)
            f.write(MASTER_SERVICES)
            f.write(extra_master)
        self._make_queue()
        self._run("start")
        self.started = True
        pdtest.wait_port(self.port, timeout=30)

    def _make_queue(self):
        """The queue tree as post-install create-missing makes it (see
        /etc/postfix/postfix-files), plus quick-start: postfix start then
        skips its integrity checks (seconds of postconf and find runs) on
        this brand-new, known-good queue."""
        for sub, group, mode in QUEUE_DIRS:
            path = os.path.join(self.queue_dir, sub)
            os.makedirs(path, exist_ok=True)
            if sub != "pid":
                shutil.chown(path, "postfix", group or "postfix")
            os.chmod(path, mode)
        open(os.path.join(self.queue_dir, "quick-start"), "w").close()

    def _run(self, action):
        p = subprocess.run([POSTFIX, "-c", self.config_dir, action],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            pdtest.fail("postfix -c %s %s: exit %d\n%s%s\n%s" %
                        (self.config_dir, action, p.returncode, p.stdout, p.stderr,
                         self.log_text()))
        return p

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("---- Postfix log (%s) ----\n%s" % (self.name, self.log_text()))
        self.stop()
        return False

    def stop(self):
        if self.started:
            self.started = False
            subprocess.run([POSTFIX, "-c", self.config_dir, "stop"],
                           capture_output=True, timeout=120)
            # postfix stop returns at once; wait for master (and so its
            # children) to be gone before the directory is removed.
            pid = self._master_pid()
            end = time.time() + 20
            while pid and os.path.exists("/proc/%d" % pid) and time.time() < end:
                time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def postconf(self, *args):
        return subprocess.run([POSTCONF, "-c", self.config_dir] + list(args),
                              capture_output=True, text=True, check=True).stdout

    def flush(self):
        """Ask for an immediate delivery attempt of everything queued."""
        self._run("flush")

    def queue_count(self):
        """Messages still in the queue (active, incoming, deferred...)."""
        n = 0
        for sub in ("incoming", "active", "deferred", "hold", "maildrop"):
            for _root, _dirs, files in os.walk(os.path.join(self.queue_dir, sub)):
                n += len(files)
        return n

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, pattern, count=1, timeout=60):
        """Wait until pattern (regex) matches at least count log lines; returns them."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            hits = [l for l in self.log_text().splitlines() if rx.search(l)]
            if len(hits) >= count:
                return hits
            if time.time() > end:
                pdtest.fail("Postfix log: %d of %d lines match %r after %ds" %
                            (len(hits), count, pattern, timeout))
            time.sleep(0.2)

    def deliveries(self):
        """{queue_id: status} for every delivery attempt in the log (last wins)."""
        out = {}
        for line in self.log_text().splitlines():
            m = re.search(r": ([0-9A-F]{6,}): to=<[^>]*>.* status=(\w+)", line)
            if m:
                out[m.group(1)] = m.group(2)
        return out
