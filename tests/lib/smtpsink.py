"""Postfix's smtp-sink on loopback as the relay postdesk sends to, for the
outbound tests: one dump file per mail (-d), readable with dumps(); stop()
and start() again for relay-down cases; extra smtp-sink options (-W, -q,
-R ...) make it answer 4xx/5xx where a test needs that."""
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pdtest

SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"


class Sink:
    def __init__(self, *options, port=None):
        self.dir = tempfile.mkdtemp(prefix="pdtest-sink-")
        os.chmod(self.dir, 0o777)   # smtp-sink writes dumps as nobody
        self.port = port or pdtest.free_port()
        self.options = options
        self.proc = None
        self.start()

    def start(self):
        argv = [SINK]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += ["-d", os.path.join(self.dir, "%M.")] + list(self.options)
        argv += ["127.0.0.1:%d" % self.port, "16"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        pdtest.wait_port(self.port, proc=self.proc)

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def dumps(self):
        out = []
        for name in sorted(os.listdir(self.dir)):
            with open(os.path.join(self.dir, name), "rb") as f:
                out.append(f.read().decode("utf-8", "replace"))
        return out

    def wait_idle(self, timeout=30):
        """Wait until the sink has read every connection to its end and
        closed it (none left established or half-closed by the client): it
        has then written every dump it ever will for them, the positive
        marker before asserting that nothing reached it."""
        pdtest.wait_for("smtp-sink to finish its connections", lambda: not any(
            state in (pdtest.TCP_ESTABLISHED, pdtest.TCP_CLOSE_WAIT)
            for _, state, _ in pdtest.tcp_sockets(self.port)), timeout=timeout)

    def stop(self, remove=True):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)


def header(text, name):
    """The first header name of a dumped mail, unfolded, or None."""
    m = re.search(r"(?mi)^%s:[ \t]*(.*(?:\r?\n[ \t].*)*)" % re.escape(name), text)
    return re.sub(r"\r?\n[ \t]+", " ", m.group(1)).strip() if m else None
