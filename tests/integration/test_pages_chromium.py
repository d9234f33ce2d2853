#!/usr/bin/env python3
"""The HTTP pages in a real browser (issue 15, Proof): headless Chromium
(Debian's chromium) loads /report, /tickets, /tickets/N and the customer's
/t/TOKEN from postdeskd's listener, runs whatever scripts they would run,
and the test reads the DOM it ends with (--dump-dom) and a screenshot.

The operator pages are reached the way an operator's browser reaches them:
/login?token=..&next=PATH sets the cookie and redirects (one navigation).
A hostile mail (script in subject, name and body, an onerror image) is on
every page: its script would set the document's title to "pwned" and add
an element; the DOM shows neither, only the text.  The report's chart SVG
is in the DOM; /tickets/N shows the rules' score and the rule that hit;
the customer's page shows the status.  Chromium refuses to run as root
without --no-sandbox, so as root it runs as nobody, sandboxed.  Skipped
(77) only when chromium is missing or cannot start."""
import os
import re
import shutil
import struct
import subprocess
import tempfile
import urllib.parse

import pdtest
from pdtest import check, check_eq
from smtpsink import SINK, Sink, header

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "chromium-test-key-0123456789abcdef"
TOKEN = "chromium-operator-token-0123456789"
CUSTOMER = "alice@customer.test"
PUBLIC = "http://help.example.test"
EVIL = ("<script>document.title='pwned';document.body.appendChild("
        "document.createElement('blink'))</script><img src=x onerror=\"document.title='pwned'\">")
SIZE = (1024, 1400)


class Browser:
    def __init__(self):
        self.chromium = shutil.which("chromium")
        self.dir = tempfile.mkdtemp(prefix="pdtest-chromium-")
        os.chmod(self.dir, 0o777)
        self.user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def run(self, url, *args):
        home = os.path.join(self.dir, "home")
        os.makedirs(home, exist_ok=True)
        os.chmod(home, 0o777)
        profile = tempfile.mkdtemp(dir=self.dir)
        os.chmod(profile, 0o777)
        cmd = self.user + ["env", "HOME=" + home, self.chromium, "--headless",
                           "--disable-gpu", "--no-first-run", "--disable-extensions",
                           "--user-data-dir=" + profile,
                           "--window-size=%d,%d" % SIZE] + list(args) + [url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.dir)

    def dom(self, url):
        p = self.run(url, "--dump-dom")
        check_eq(p.returncode, 0, "chromium %s: %s" % (url, p.stderr[-2000:]))
        return p.stdout

    def screenshot(self, url, name):
        path = os.path.join(self.dir, name)
        p = self.run(url, "--screenshot=" + path)
        check(p.returncode == 0 and os.path.exists(path), "screenshot of %s: %s"
              % (url, p.stderr[-2000:]))
        with open(path, "rb") as f:
            data = f.read()
        check_eq(data[:8], b"\x89PNG\r\n\x1a\n", "%s: a PNG" % name)
        check_eq(struct.unpack(">II", data[16:24]), SIZE, "%s: the window's size" % name)

    def usable(self):
        if self.chromium is None:
            return "chromium is not installed (contrib/debian-packages)"
        try:
            p = self.run("data:text/html,<title>x</title><script>document.title='js'</script>",
                         "--dump-dom")
        except (OSError, subprocess.TimeoutExpired) as e:
            return "chromium does not start: %s" % e
        if p.returncode != 0 or "<title>js</title>" not in p.stdout:
            return "chromium does not start: %s" % p.stderr[-500:]
        return None

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def title(dom):
    m = re.search(r"<title>(.*?)</title>", dom, re.S)
    return m and m.group(1)


def check_no_script_ran(dom, what, want_title):
    check_eq(title(dom), want_title, "%s: the title (a hostile script would set it)" % what)
    check("<blink" not in dom, "%s: no element added by a hostile script" % what)
    check(re.search(r"<script|<img", dom) is None, "%s: no script or img element" % what)


def main():
    if not os.path.exists(SINK):
        pdtest.skip("smtp-sink not installed")
    browser = Browser()
    why = browser.usable()
    if why:
        browser.close()
        pdtest.skip(why)
    sink = Sink()
    try:
        with pdtest.Env(extra_config=(
                "\n[outbound]\nrelay = %s\nfrom = Example Support <support@example.com>\n"
                "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
                % (sink.url, KEY, TEMPLATES))) as env:
            token_file = os.path.join(env.dir, "operator.token")
            with open(token_file, "w") as f:
                f.write(TOKEN + "\n")
            os.chmod(token_file, 0o600)
            filters = os.path.join(env.dir, "filters")
            os.mkdir(filters)
            with open(os.path.join(filters, "score.sieve"), "w") as f:
                f.write('require ["vnd.postdesk"];\n'
                        'if header :contains "subject" "script" { score :add 3 "SCRIPT_SUBJECT"; }\n')
            port = pdtest.free_port()
            d = env.daemon(extra="\n[http]\nlisten = 127.0.0.1:%d\noperator_token_file = %s\n"
                           "public_url = %s\n\n[filters]\ndir = %s\nscripts = score.sieve\n"
                           % (port, token_file, PUBLIC, filters))
            run(env, d, sink, browser, "http://127.0.0.1:%d" % port)
            check_eq(d.stop(), 0, "postdeskd stops")
    finally:
        sink.stop()
        browser.close()
    print("ok")


def login(base, path):
    return "%s/login?token=%s&next=%s" % (base, TOKEN, urllib.parse.quote(path, safe=""))


def run(env, d, sink, browser, base):
    n = pdtest.deliver_ticket(d.port, pdtest.message(
        subject="Printer %s" % EVIL, frm='"%s" <%s>' % (EVIL, CUSTOMER),
        body="</pre>%s\n" % EVIL, msgid="<chromium1@customer.test>"), CUSTOMER)
    pdtest.outbound_settled(env)
    ack = [m for m in sink.dumps() if header(m, "X-Rcpt-Args") == "<%s>" % CUSTOMER][0]
    m = re.search(re.escape(PUBLIC) + r"(/t/[a-z2-7]+)", re.sub(r"=\r?\n", "", ack))
    check(m is not None, "the acknowledgement carries the page link")
    page = m.group(1)

    # without the cookie an operator page is refused; /login sets it
    check("the operator token is needed" in browser.dom(base + "/tickets"),
          "/tickets without the cookie")
    check("not the operator token" in browser.dom(base + "/login?token=wrong-token-000000"),
          "/login with a wrong token")
    dom = browser.dom(login(base, "/report"))
    check((title(dom) or "").startswith("postdesk report "), "/report through /login: %r"
          % title(dom))
    check_eq(len(re.findall(r"<svg", dom)), 3, "/report: the three chart SVGs in the DOM")
    browser.screenshot(login(base, "/report"), "report.png")

    dom = browser.dom(login(base, "/tickets"))
    check_no_script_ran(dom, "/tickets", "Tickets")
    check("Printer &lt;script&gt;document.title='pwned'" in dom, "/tickets: the subject as text")

    dom = browser.dom(login(base, "/tickets/%d" % n))
    check_no_script_ran(dom, "/tickets/N", "Ticket %d" % n)
    check(re.search(r"<th>rule score</th><td>3 \(SCRIPT_SUBJECT 3\)</td>", dom) is not None,
          "/tickets/N: the rules' score and the rule that hit")
    browser.screenshot(login(base, "/tickets/%d" % n), "ticket.png")

    # the customer's page, no cookie
    dom = browser.dom(base + page)
    check_no_script_ran(dom, "/t/TOKEN", "Your request #%d" % n)
    check('<td id="status">new</td>' in dom, "/t/TOKEN: the status")
    check("&lt;/pre&gt;&lt;script&gt;" in dom, "/t/TOKEN: the body as text")
    browser.screenshot(base + page, "customer.png")
    check("not found" in browser.dom(base + page[:-3] + "aaa"), "an altered token: 404")


if __name__ == "__main__":
    main()
