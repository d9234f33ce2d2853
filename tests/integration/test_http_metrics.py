"""postdeskd's /metrics on the [http] listener (issue 17 section 2, issue 15
section 2), end to end: real postdeskd, PostgreSQL, smtp-sink as the relay.

The page is checked by promtool (Debian's prometheus package), the
format's own linter.  Then mail is delivered over LMTP (a new ticket, the
same mail again, a reply) with trust-ar authentication, the acknowledgement
goes out to smtp-sink, and every family the mail path feeds must have moved
by exactly what was done: deliveries by queue and result, the latency
histogram's count, LMTP sessions, auth results per method and the verdict,
outbound by kind and result, the database pool.  Access: on loopback
/metrics needs no token; other paths 404, other methods 405; bound to every
address the token is needed (401 without, 200 with the Bearer token or the
cookie)."""
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request

import pdtest
from smtpsink import SINK, Sink

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "metrics-test-key-0123456789abcdef"
TOKEN = "operator-token-0123456789abcdef"
CUSTOMER = "alice@customer.test"
AR = ("Authentication-Results: mx.postdesk.test; spf=pass smtp.mailfrom=customer.test;"
      " dkim=pass header.d=customer.test; dmarc=pass header.from=customer.test")
PROMTOOL = shutil.which("promtool")

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def get(port, path="/metrics", headers=None, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def parse(text):
    """{'name{labels}': float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SERIES.match(line)
        pdtest.check(m, "sample line: %r" % line)
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def promtool(text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    pdtest.check(p.returncode == 0 and p.stdout.strip() == "" and p.stderr.strip() == "",
                 "promtool check metrics: rc %d\n%s%s" % (p.returncode, p.stdout, p.stderr))


def scrape(port):
    status, headers, text = get(port)
    pdtest.check_eq(status, 200, "GET /metrics")
    pdtest.check_eq(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8",
                    "content type")
    promtool(text)
    return parse(text)


def delta(before, after, series):
    return after.get(series, 0) - before.get(series, 0)


def main():
    if PROMTOOL is None:
        pdtest.skip("promtool not installed (Debian package prometheus)")
    if not os.path.exists(SINK):
        pdtest.skip("smtp-sink not installed")
    sink = Sink()
    try:
        run(sink)
    finally:
        sink.stop()
    print("ok")


def run(sink):
    with pdtest.Env() as env:
        token_file = os.path.join(env.dir, "operator.token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        http_port = pdtest.free_port()
        extra = ("\n[auth]\nmode = trust-ar\nauthserv_id = mx.postdesk.test\n"
                 "\n[outbound]\nrelay = %s\nfrom = Example Support <support@example.com>\n"
                 "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
                 "\n[http]\nlisten = 127.0.0.1:%d\noperator_token_file = %s\n"
                 % (sink.url, KEY, TEMPLATES, http_port, token_file))
        d = env.daemon(extra=extra)
        pdtest.wait_port(http_port, proc=d.proc)
        pdtest.wait_for("the http line", lambda: "http: listening on 127.0.0.1:%d" % http_port
                        in d.log_text())

        # the readiness probe's LMTP connection is counted once it is
        # accepted: a session of ours that is greeted comes after it (one
        # listening socket, accepted in order), and once it is over and
        # counted out nothing else is under way
        w = pdtest.Wire(d.port)
        w.expect("220 ")
        w.send("QUIT\r\n")
        w.expect("221 ")
        w.close()
        pdtest.wait_for("no session open", lambda: parse(get(http_port)[2]).get(
            "postdesk_lmtp_sessions_open") == 0)
        before = scrape(http_port)
        for family in ("postdesk_deliveries_total", "postdesk_delivery_duration_seconds",
                       "postdesk_lmtp_sessions_total", "postdesk_auth_results_total",
                       "postdesk_outbound_total", "postdesk_db_pool_connections"):
            pdtest.check("# TYPE %s " % family in get(http_port)[2],
                         "family %s declared from the start" % family)
        pdtest.check_eq(before.get('postdesk_build_info{version="0.1.0"}'), 1.0, "build info")

        first = pdtest.message(frm=CUSTOMER, msgid="<m1@customer.test>", headers=(AR,))
        n = pdtest.deliver_ticket(d.port, first, CUSTOMER)
        pdtest.check_eq(pdtest.deliver_ticket(d.port, first, CUSTOMER), n, "duplicate")
        reply = pdtest.message(frm=CUSTOMER, msgid="<m2@customer.test>",
                               subject="Re: Printer on fire",
                               headers=("In-Reply-To: <m1@customer.test>",))
        pdtest.check_eq(pdtest.deliver_ticket(d.port, reply, CUSTOMER), n, "threaded reply")
        pdtest.outbound_settled(env)
        pdtest.wait_for("the sessions counted out", lambda: parse(get(http_port)[2]).get(
            "postdesk_lmtp_sessions_open") == 0)

        after = scrape(http_port)
        q = 'postdesk_deliveries_total{queue="support",result="%s"}'
        for result, want in (("new", 1), ("duplicate", 1), ("threaded", 1), ("deferred", 0),
                             ("rejected", 0)):
            pdtest.check_eq(delta(before, after, q % result), want, "deliveries " + result)
        pdtest.check_eq(delta(before, after, "postdesk_delivery_duration_seconds_count"), 3,
                        "latency observations")
        inf = 'postdesk_delivery_duration_seconds_bucket{le="+Inf"}'
        pdtest.check_eq(delta(before, after, inf), 3, "+Inf bucket")
        pdtest.check(after["postdesk_delivery_duration_seconds_sum"] > 0, "latency sum")
        pdtest.check_eq(delta(before, after, "postdesk_lmtp_sessions_total"), 3, "sessions")
        a = 'postdesk_auth_results_total{method="%s",result="%s"}'
        for method, result, want in (("spf", "pass", 2), ("dkim", "pass", 2),
                                     ("dmarc", "pass", 2), ("spf", "none", 1),
                                     ("dkim", "none", 1), ("dmarc", "none", 1)):
            pdtest.check_eq(delta(before, after, a % (method, result)), want,
                            "auth %s=%s" % (method, result))
        v = 'postdesk_auth_verdicts_total{verdict="%s"}'
        pdtest.check_eq(delta(before, after, v % "authenticated"), 2, "authenticated")
        pdtest.check_eq(delta(before, after, v % "unauthenticated"), 1, "unauthenticated")
        o = 'postdesk_outbound_total{kind="%s",result="%s"}'
        pdtest.check_eq(delta(before, after, o % ("ack", "sent")), 1, "ack sent")
        pdtest.check_eq(sum(v for k, v in after.items()
                            if k.startswith("postdesk_outbound_total")), 1, "one outbound")
        pool = 'postdesk_db_pool_connections{state="%s"}'
        pdtest.check_eq(after[pool % "in_use"], 0, "pool in use when idle")
        pdtest.check(after[pool % "idle"] >= 1, "an idle pooled connection")
        pdtest.check_eq(after["postdesk_db_pool_max_connections"], 8, "pool size")
        pdtest.check_eq(after["postdesk_db_pool_waiting"], 0, "nobody waiting")

        # read from the database at scrape time, as `postdesk status` does
        pdtest.check_eq(after["postdesk_database_up"], 1, "database up")
        for state in ("queued", "sending", "failed"):
            pdtest.check_eq(after['postdesk_outbound_queue{state="%s"}' % state], 0,
                            "outbound " + state)
        pdtest.check_eq(after["postdesk_outbound_oldest_queued_seconds"], 0, "none queued")
        pdtest.check_eq(after["postdesk_tickets_held"], 0, "none held")
        env.query("update outbound set status = 'failed' returning 1")
        pdtest.check_eq(scrape(http_port)['postdesk_outbound_queue{state="failed"}'], 1,
                        "a failed row shows at once")

        # access on loopback
        pdtest.check_eq(get(http_port, "/nothing")[0], 404, "unknown path")
        pdtest.check_eq(get(http_port, method="POST")[0], 405, "POST")
        pdtest.check_eq(get(http_port, method="HEAD")[0], 200, "HEAD")
        d.stop()

        # bound to every address: the token for /metrics too
        wide = extra.replace("listen = 127.0.0.1:%d" % http_port, "listen = *:%d" % http_port)
        d = env.daemon(extra=wide)
        pdtest.wait_port(http_port, proc=d.proc)
        status, headers, _ = get(http_port)
        pdtest.check_eq(status, 401, "no token, not loopback")
        pdtest.check_eq(headers["WWW-Authenticate"], 'Bearer realm="postdesk"', "challenge")
        pdtest.check_eq(get(http_port, headers={"Authorization": "Bearer wrong-token-000000"}
                            )[0], 401, "wrong token")
        pdtest.check_eq(get(http_port, headers={"Authorization": "Bearer " + TOKEN})[0], 200,
                        "bearer token")
        pdtest.check_eq(get(http_port, headers={"Cookie": "postdesk_operator=" + TOKEN})[0],
                        200, "cookie")
        pdtest.check_eq(d.stop(), 0, "SIGTERM with the http listener")


if __name__ == "__main__":
    main()
