"""dovecot: a private, throwaway Dovecot LMTP server (the benchmark's yardstick).

One temp directory holds the config, base_dir (sockets, pid), state_dir,
the log and the Maildirs.  Dovecot runs as root and delivers as one fixed
unprivileged mail user; its LMTP listener is on a free 127.0.0.1 port and
every recipient is accepted (static userdb), so the same stream that goes
to postdeskd can go to Dovecot.  mail_fsync=always: Dovecot fsyncs each
delivered mail, as durable as PostgreSQL with fsync and synchronous_commit.

    import dovecot
    with dovecot.Dovecot(process_limit=8) as dc:
        ... LMTP to 127.0.0.1:dc.port ...
        dc.count_mails()

Needs root and Debian's dovecot-core + dovecot-lmtpd; available() says why not.
"""
import os
import re
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pdtest
import postfix

DOVECOT = "/usr/sbin/dovecot"
MAIL_USER = postfix.PIPE_USER	# the one unprivileged test user

CONFIG = """\
# private Dovecot for postdesk tests and benchmark (generated)
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = {name}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
hostname = dovecot.test
postmaster_address = postmaster@example.com
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{dir}/mail/%n/Maildir
mail_fsync = always
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
lmtp_save_to_detail_mailbox = no
recipient_delimiter = +
auth_username_format = %Ln
passdb {{
  driver = static
  args = nopassword=y
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%n
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
  process_limit = {process_limit}
  process_min_avail = {min_avail}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0600
  }}
}}
"""


def available():
    if os.geteuid() != 0:
        return "a private Dovecot needs root"
    if not os.access(DOVECOT, os.X_OK) or not os.path.exists("/usr/lib/dovecot/lmtp"):
        return "Dovecot LMTP missing (Debian packages dovecot-core, dovecot-lmtpd)"
    return None


def mail_user_ids(name=MAIL_USER):
    """uid and gid of the fixed mail user (created if missing)."""
    postfix.ensure_user(name)
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


class Dovecot:
    def __init__(self, process_limit=16, port=None, parent=None):
        why = available()
        if why:
            pdtest.skip(why)
        uid, gid = mail_user_ids()
        self.dir = tempfile.mkdtemp(prefix="pd-dovecot-", dir=parent)
        os.chmod(self.dir, 0o755)
        for sub in ("run", "state", "mail"):
            os.makedirs(os.path.join(self.dir, sub), 0o755)
        shutil.chown(os.path.join(self.dir, "mail"), uid, gid)
        self.port = port or pdtest.free_port()
        self.name = "pd-dovecot-%d-%d" % (os.getpid(), self.port)
        self.config_path = os.path.join(self.dir, "dovecot.conf")
        with open(self.config_path, "w") as f:
            f.write(CONFIG.format(dir=self.dir, name=self.name, uid=uid, gid=gid,
                                  port=self.port, process_limit=process_limit,
                                  min_avail=min(process_limit, 4)))
        self._start()

    def _start(self):
        """Run dovecot -c config_path and wait for self.port."""
        # dovecot forks into the background; its children keep stdout and
        # stderr, so they go to a file, not to a pipe we would wait on.
        out_path = os.path.join(self.dir, "dovecot.out")
        with open(out_path, "wb") as out:
            rc = subprocess.run([DOVECOT, "-c", self.config_path], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=out, timeout=60).returncode
        if rc != 0:
            with open(out_path, "rb") as f:
                pdtest.fail("dovecot -c %s: exit %d\n%s\n%s" % (
                    self.config_path, rc, f.read().decode("utf-8", "replace"),
                    self.log_text()))
        self.running = True
        pdtest.wait_port(self.port, timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("---- Dovecot log ----\n" + self.log_text())
        self.stop()
        return False

    def master_pid(self):
        try:
            with open(os.path.join(self.dir, "run", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _lmtp_sum(self, measure):
        master = self.master_pid()
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if not f.read().split(b"\0")[0].endswith(b"/lmtp"):
                        continue
                if _ppid(pid) == master:
                    total += measure(pid)
            except OSError:
                continue
        return total

    def rss_hwm_kb(self):
        """Sum of VmHWM over the master's lmtp children (one process per
        concurrent session): the memory Dovecot's delivery side peaked at."""
        return self._lmtp_sum(lambda pid: pdtest.proc_status_kb(pid, "VmHWM"))

    def cpu_seconds(self):
        """CPU time (user + system) of the master's lmtp children: what
        Dovecot's delivery side cost."""
        return self._lmtp_sum(pdtest.proc_cpu_seconds)

    def stop(self):
        if self.running:
            self.running = False
            pid = self.master_pid()
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pid = None
            end = time.time() + 20
            while pid and os.path.exists("/proc/%d" % pid) and time.time() < end:
                time.sleep(0.05)
        shutil.rmtree(self.dir, ignore_errors=True)

    def count_mails(self):
        n = 0
        for root, _dirs, files in os.walk(os.path.join(self.dir, "mail")):
            if os.path.basename(root) in ("new", "cur"):
                n += len(files)
        return n

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


def _ppid(pid):
    with open("/proc/%s/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])




IMAP_CONFIG = """\
# private Dovecot IMAP for postdesk tests (generated)
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = {name}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{dir}/tls/server.pem
ssl_key = <{dir}/tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
hostname = dovecot.test
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{dir}/mail/%n/Maildir
mail_fsync = optimized
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
auth_username_format = %Ln
auth_failure_delay = 0
{capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0600
  }}
}}
"""

# What Dovecot 2.3 offers after login, less MOVE (and less UIDPLUS): the
# fetcher must take the COPY+EXPUNGE path (or the \Seen path).
CAPS_NO_MOVE = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
                "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL "
                "CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 "
                "CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH "
                "LIST-STATUS BINARY")
CAPS_NO_MOVE_NO_UIDPLUS = CAPS_NO_MOVE.replace(" UIDPLUS", "")


def make_tls(directory, names=("localhost",), ips=("127.0.0.1",)):
    """A CA and a server certificate it signed (for names and ips) in
    directory: ca.pem, server.pem, server.key.  Returns the CA's path."""
    os.makedirs(directory, 0o755, exist_ok=True)
    def ssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=directory,
                       capture_output=True, timeout=60)
    ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
        "/CN=postdesk test CA")
    ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=%s" % names[0])
    san = ",".join(["DNS:%s" % n for n in names] + ["IP:%s" % i for i in ips])
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n" % san)
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return os.path.join(directory, "ca.pem")


class DovecotImap(Dovecot):
    """A private Dovecot IMAP server: plain IMAP (STARTTLS offered) on
    .port, IMAPS on .tls_port, certificate for localhost/127.0.0.1 signed by
    .ca_file; users from users {name: password}.  capability: an
    imap_capability value (CAPS_NO_MOVE...) or None for Dovecot's own."""

    def __init__(self, users, capability=None, parent=None):
        why = available()
        if why:
            pdtest.skip(why)
        if not os.path.exists("/usr/lib/dovecot/imap"):
            pdtest.skip("Dovecot IMAP missing (Debian package dovecot-imapd)")
        uid, gid = mail_user_ids()
        self.dir = tempfile.mkdtemp(prefix="pd-dovecot-imap-", dir=parent)
        os.chmod(self.dir, 0o755)
        for sub in ("run", "state", "mail"):
            os.makedirs(os.path.join(self.dir, sub), 0o755)
        shutil.chown(os.path.join(self.dir, "mail"), uid, gid)
        self.ca_file = make_tls(os.path.join(self.dir, "tls"))
        self.users = dict(users)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for user, password in self.users.items():
                f.write("%s:{PLAIN}%s\n" % (user, password))
        self.port = pdtest.free_port()
        self.tls_port = pdtest.free_port()
        self.name = "pd-dovecot-imap-%d-%d" % (os.getpid(), self.port)
        self.config_path = os.path.join(self.dir, "dovecot.conf")
        with open(self.config_path, "w") as f:
            f.write(IMAP_CONFIG.format(
                dir=self.dir, name=self.name, uid=uid, gid=gid, port=self.port,
                tls_port=self.tls_port,
                capability="imap_capability = %s" % capability if capability else ""))
        self._start()
        pdtest.wait_port(self.tls_port, timeout=30)

    def imap(self, user):
        """A logged-in imaplib client (plain, loopback) for the test's own
        looks and changes."""
        import imaplib
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        c.login(user, self.users[user])
        return c

    def append(self, user, raw, folder="INBOX"):
        c = self.imap(user)
        try:
            typ, data = c.append(folder, None, None, raw)
            pdtest.check(typ == "OK", "APPEND: %r %r" % (typ, data))
        finally:
            c.logout()

    def uids(self, user, folder="INBOX"):
        """The UIDs in folder (empty when the folder does not exist)."""
        c = self.imap(user)
        try:
            typ, _ = c.select('"%s"' % folder)
            if typ != "OK":
                return []
            typ, data = c.uid("SEARCH", None, "ALL")
            return [int(u) for u in data[0].split()]
        finally:
            c.logout()

    def flags(self, user, folder="INBOX"):
        """{uid: flags text} of folder."""
        c = self.imap(user)
        try:
            c.select('"%s"' % folder)
            typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
            out = {}
            for item in data:
                if not item:
                    continue
                text = item.decode() if isinstance(item, bytes) else item[0].decode()
                m = re.search(r"UID (\d+)", text)
                f = re.search(r"FLAGS \(([^)]*)\)", text)
                if m:
                    out[int(m.group(1))] = " ".join(x for x in (f.group(1) if f else "").split() if x != "\\Recent")
            return out
        finally:
            c.logout()


def imap_section(dc, directory, name="support", user="support", password=None, tls="implicit",
                 queue="support", **keys):
    """An [imap NAME] section of postdesk.conf for dc (a DovecotImap): the
    password in directory/imap-NAME.secret (0600), the test CA trusted,
    polling every 0.2 s; keys add or override settings."""
    secret = os.path.join(directory, "imap-%s.secret" % name)
    with open(secret, "w") as f:
        f.write((password if password is not None else dc.users[user]) + "\n")
    os.chmod(secret, 0o600)
    settings = {
        "host": "127.0.0.1",
        "port": dc.tls_port if tls == "implicit" else dc.port,
        "tls": tls,
        "tls_ca_file": dc.ca_file,
        "user": user,
        "password_file": secret,
        "queue": queue,
        "poll_interval": "0.2",
        "timeout": "10",
    }
    settings.update(keys)
    return "\n[imap %s]\n%s\n" % (name, "".join("%s = %s\n" % (k, v)
                                                for k, v in settings.items() if v is not None))
