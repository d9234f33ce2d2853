"""postdesk report (issue 15 section 1) on a fixture made through the real
mail path, every figure of the JSON, CSV and text output checked.

Seven customer mails go to postdeskd over LMTP (an eighth is quarantined by
a filter rule) (trust-ar authentication,
so the agent's mail counts as the agent's), and the agent answers four of
them from "their mail client" through a signed reply address, closing two
with #close; the answers are relayed to the customers through smtp-sink.
The test checks that the mail path set first_response_at and closed_at on
exactly those tickets, then moves every timestamp to a fixed time (the
fake clock: PostgreSQL's now() cannot be set) and asks for the week of
2026-11-02 (a Monday) to 2026-11-08:

  ticket  queue    requester          created       1st response   closed
  T6      support  dave@customer      10-20 10:00   -              -      (carried in)
  T1      support  alice@customer     11-02 09:00   +1 h           -
  T2      support  bill@acme (Acme)   11-02 12:00   +2 h           11-03 12:00
  T3      billing  bill@acme (Acme)   11-03 08:00   +4 h           11-05 08:00
  T4      billing  carl@customer      11-05 09:00   +24 h          -
  T5      support  alice@customer     11-08 23:30   -              -
  T7      support  carl@customer      11-10 09:00   -              -      (after the range)

Every expected number below is worked out by hand from this table; the
views (report_tickets, report_daily) are checked to agree.  Bad arguments
exit 64, an unknown queue 67."""
import csv
import io
import json
import os
import urllib.error
import urllib.request
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pdtest
from pdtest import check, check_eq
from smtpsink import SINK, Sink

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "report-test-key-0123456789abcdef"
TOKEN = "report-operator-token-0123456789"
AGENT = "bob@agents.test"
QUEUES = """
[queue support]
addresses = support@example.com

[queue billing]
addresses = billing@example.com
permission = billing
"""


def ar(domain):
    return ("Authentication-Results: mx.postdesk.test; spf=pass smtp.mailfrom=%s;"
            " dmarc=pass header.from=%s" % (domain, domain))


# key: (queue address, requester, created, first response, closed)
FIXTURE = {
    "T6": ("support", "dave@customer.test", "2026-10-20 10:00", None, None),
    "T1": ("support", "alice@customer.test", "2026-11-02 09:00", "2026-11-02 10:00", None),
    "T2": ("support", "bill@acme.test", "2026-11-02 12:00", "2026-11-02 14:00",
           "2026-11-03 12:00"),
    "T3": ("billing", "bill@acme.test", "2026-11-03 08:00", "2026-11-03 12:00",
           "2026-11-05 08:00"),
    "T4": ("billing", "carl@customer.test", "2026-11-05 09:00", "2026-11-06 09:00", None),
    "T5": ("support", "alice@customer.test", "2026-11-08 23:30", None, None),
    "T7": ("support", "carl@customer.test", "2026-11-10 09:00", None, None),
}


def volume(rows):
    return [{"period": p, "queue": q, "opened": o, "closed": c, "backlog": b}
            for p, q, o, c, b in rows]


def days(queue, moves):
    """A queue's seven days from (opened, closed, backlog) triples."""
    return [("2026-11-%02d" % (2 + i), queue) + m for i, m in enumerate(moves)]


BILLING = days("billing", [(0, 0, 0), (1, 0, 1), (0, 0, 1), (1, 1, 1), (0, 0, 1), (0, 0, 1),
                           (0, 0, 1)])
SUPPORT = days("support", [(2, 0, 3), (0, 1, 2), (0, 0, 2), (0, 0, 2), (0, 0, 2), (0, 0, 2),
                           (1, 0, 3)])
EXPECTED = {
    "since": "2026-11-02", "until": "2026-11-08", "by": "day", "timezone": "UTC",
    "queue": None, "category": None, "agent": None,
    "volume": volume(sorted(BILLING + SUPPORT)),
    "queues": [
        {"queue": "billing", "opened": 2, "closed": 1, "backlog": 1, "responded": 2,
         # 4 h and 24 h: p50 14 h, p90 4 h + 0.9 * 20 h = 22 h
         "first_response_p50": 50400, "first_response_p90": 79200,
         "resolution_p50": 172800, "resolution_p90": 172800},
        {"queue": "support", "opened": 3, "closed": 1, "backlog": 3, "responded": 2,
         # 1 h and 2 h: p50 1.5 h, p90 1.9 h
         "first_response_p50": 5400, "first_response_p90": 6840,
         "resolution_p50": 86400, "resolution_p90": 86400},
        # 1, 2, 4, 24 h: p50 3 h, p90 4 h + 0.7 * 20 h = 18 h; resolution 1 d, 2 d
        {"queue": None, "opened": 5, "closed": 2, "backlog": 4, "responded": 4,
         "first_response_p50": 10800, "first_response_p90": 64800,
         "resolution_p50": 129600, "resolution_p90": 164160},
    ],
    # at 2026-11-09 00:00: T5 30 min, T4 3 d 15 h, T1 6 d 15 h, T6 19 d 14 h
    "backlog": [{"age": "under 1 day", "tickets": 1}, {"age": "1 to 3 days", "tickets": 0},
                {"age": "3 to 7 days", "tickets": 2}, {"age": "7 to 30 days", "tickets": 1},
                {"age": "30 days or more", "tickets": 0}],
    # T4: carl, a stranger, writes to billing@, which needs the billing
    # permission; bill (Acme's contact, authenticated) has it
    "requests": [
        {"queue": "billing", "needs_authorization": 1, "authorization_asked": 0,
         "approved": 0, "refused": 0, "waiting": 0, "held": 0, "quarantined": 0,
         "released": 0},
        {"queue": "support", "needs_authorization": 0, "authorization_asked": 0,
         "approved": 0, "refused": 0, "waiting": 0, "held": 0, "quarantined": 1,
         "released": 0},
        {"queue": None, "needs_authorization": 1, "authorization_asked": 0,
         "approved": 0, "refused": 0, "waiting": 0, "held": 0, "quarantined": 1,
         "released": 0}],
    "agents": [{"agent": AGENT, "name": "Bob Agent", "answers": 4, "notes": 0, "tickets": 4,
                "assigned_open": 0}],
    "requesters": [
        {"requester": "alice@customer.test", "account": None, "tickets": 2, "open": 2},
        {"requester": "bill@acme.test", "account": "Acme", "tickets": 2, "open": 0},
        {"requester": "carl@customer.test", "account": None, "tickets": 1, "open": 1}],
    "accounts": [{"account": "Acme", "tickets": 2, "open": 0, "requesters": 1}],
}

TEXT = """\
postdesk report 2026-11-02 to 2026-11-08 (UTC), by day, queue billing

Tickets opened and closed, backlog at the end of each period
period      queue    opened  closed  backlog
2026-11-02  billing       0       0        0
2026-11-03  billing       1       0        1
2026-11-04  billing       0       0        1
2026-11-05  billing       1       1        1
2026-11-06  billing       0       0        1
2026-11-07  billing       0       0        1
2026-11-08  billing       0       0        1

Per queue (first response: tickets opened in the range; resolution: closed in it)
queue    opened  closed  backlog  responded  first response p50  first response p90  resolution p50  resolution p90
billing       2       1        1          2             14h 00m             22h 00m              2d              2d
all           2       1        1          2             14h 00m             22h 00m              2d              2d

Backlog at the end of the range, by age
age              tickets
under 1 day            0
1 to 3 days            0
3 to 7 days            1
7 to 30 days           0
30 days or more        0

Authorizations, held and quarantined (tickets opened in the range; mail quarantined in it)
queue    needs authorization  authorization asked  approved  refused  waiting  held  quarantined  released
billing                    1                    0         0        0        0     0            0         0
all                        1                    0         0        0        0     0            0         0

Agents (answers and notes received in the range; open tickets assigned at its end)
agent            name       answers  notes  tickets  assigned open
bob@agents.test  Bob Agent        2      0        2              0

Top requesters (tickets opened in the range)
requester           account  tickets  open
bill@acme.test      Acme           1     0
carl@customer.test  -              1     1

Top accounts (tickets opened in the range)
account  tickets  open  requesters
Acme           1     0           1
"""


def report(env, *args, rc=0):
    p = env.postdesk("report", *args)
    check_eq(p.returncode, rc, "postdesk report %s: %s" % (" ".join(args), p.stderr))
    return p


def build_fixture(env, d):
    numbers = {}
    for key in ("T6", "T1", "T2", "T3", "T4", "T5", "T7"):
        queue, frm, _, _, _ = FIXTURE[key]
        headers = (ar("acme.test"),) if frm.endswith("@acme.test") else ()
        numbers[key] = pdtest.deliver_ticket(
            d.port, pdtest.message(subject="Question %s" % key, frm=frm,
                                   to="%s@example.com" % queue,
                                   msgid="<%s@report.test>" % key, headers=headers),
            frm, rcpt="%s@example.com" % queue)
    check_eq(len(set(numbers.values())), 7, "seven tickets")
    # the rules keep one mail out of the tickets (quarantined on the 4th)
    replies = pdtest.lmtp_deliver(d.port, "spam@customer.test", ["support@example.com"],
                                  pdtest.message(subject="QUARANTINE ME", msgid="<q@report.test>",
                                                 frm="spam@customer.test"))
    check(replies and replies[0].startswith("250") and "quarantine" in replies[0],
          "quarantined: %r" % replies)
    check_eq(env.scalar("select count(*) from quarantine"), "1", "one quarantined mail")
    env.query("update quarantine set created_at = '2026-11-04 10:00+00' returning 1")
    for key, close in (("T1", False), ("T2", True), ("T3", True), ("T4", False)):
        queue = FIXTURE[key][0]
        tid = env.scalar("select id from tickets where number = :'p1'", numbers[key])
        reply_to = pdtest.mint_token("reply", KEY, "%s@example.com" % queue, tid, AGENT)
        body = ("#close\n" if close else "") + "Hello, here is the answer.\n"
        n = pdtest.deliver_ticket(d.port, pdtest.message(
            subject="Re: Question %s" % key, frm="Bob Agent <%s>" % AGENT, to=reply_to,
            msgid="<answer-%s@agents.test>" % key, body=body, headers=(ar("agents.test"),)),
            AGENT, rcpt=reply_to)
        check_eq(n, numbers[key], "the answer to %s threads" % key)
    pdtest.outbound_settled(env)
    # what the mail path wrote, before the clock is moved
    for key, (_, _, _, responded, closed) in FIXTURE.items():
        got = env.query("select first_response_at is not null, closed_at is not null, status"
                        " from tickets where number = :'p1'", numbers[key])[0]
        check_eq(got[:2], ["t" if responded else "f", "t" if closed else "f"],
                 "%s: first response and close set by the mail path" % key)
        check_eq(got[2] == "closed", bool(closed), "%s: status %s" % (key, got[2]))
    check_eq(env.scalar("select count(*) from outbound where kind = 'relay'"
                        " and status = 'sent'"), "4", "four answers relayed")
    # the fake clock
    for key, (_, _, created, responded, closed) in FIXTURE.items():
        env.query("update tickets set created_at = :'p2'::timestamptz,"
                  " first_response_at = nullif(:'p3', '')::timestamptz,"
                  " closed_at = nullif(:'p4', '')::timestamptz where number = :'p1'"
                  " returning 1", numbers[key], created + "+00", (responded or "") and
                  responded + "+00", (closed or "") and closed + "+00")
    for key, (_, _, _, responded, _) in FIXTURE.items():
        if responded:
            env.query("update messages set received_at = :'p1'::timestamptz"
                      " where message_id = :'p2' returning 1", responded + "+00",
                      "answer-%s@agents.test" % key)
    return numbers


def main():
    if not os.path.exists(SINK):
        pdtest.skip("smtp-sink not installed")
    sink = Sink()
    try:
        with pdtest.Env(queues=QUEUES, extra_config=(
                "\n[auth]\nmode = trust-ar\nauthserv_id = mx.postdesk.test\n"
                "\n[outbound]\nrelay = %s\nfrom = Example Support <support@example.com>\n"
                "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
                % (sink.url, KEY, TEMPLATES))) as env:
            env.postdesk("agent", "add", AGENT, "--name", "Bob Agent", check_rc=0)
            env.postdesk("account", "add", "Acme", "--domain", "acme.test", check_rc=0)
            env.postdesk("contact", "add", "Acme", "bill@acme.test", "--permissions",
                         "support,billing", check_rc=0)
            token_file = os.path.join(env.dir, "operator.token")
            with open(token_file, "w") as f:
                f.write(TOKEN + "\n")
            os.chmod(token_file, 0o600)
            http_port = pdtest.free_port()
            filters = os.path.join(env.dir, "filters")
            os.mkdir(filters)
            with open(os.path.join(filters, "keep-out.sieve"), "w") as f:
                f.write('require ["vnd.postdesk"];\n'
                        'if header :contains "subject" "QUARANTINE ME" { quarantine "test"; }\n')
            d = env.daemon(extra="\n[http]\nlisten = 127.0.0.1:%d\noperator_token_file = %s\n"
                           "\n[filters]\ndir = %s\nscripts = keep-out.sieve\n"
                           % (http_port, token_file, filters))
            build_fixture(env, d)
            run_checks(env)
            check_http(env, http_port)
            check_ticket_pages(env, d, http_port)
            check_eq(d.stop(), 0, "postdeskd stops")
    finally:
        sink.stop()
    print("ok")


def run_checks(env):
    week = ("--since", "2026-11-02", "--until", "2026-11-08")
    got = json.loads(report(env, *week, "--format", "json").stdout)
    for section in EXPECTED:
        check_eq(got[section], EXPECTED[section], "json " + section)
    check_eq(sorted(got), sorted(EXPECTED), "json members")

    # CSV: the same figures, a block per section
    out = os.path.join(env.dir, "report.csv")
    report(env, *week, "--format", "csv", "-o", out)
    with open(out, "rb") as f:
        raw = f.read().decode()
    check("\n" not in raw.replace("\r\n", ""), "CRLF line ends (RFC 4180)")
    blocks = raw.split("\r\n\r\n")
    check_eq(len(blocks), 7, "seven CSV blocks")
    for block, section in zip(blocks, ("volume", "queues", "backlog", "requests", "agents",
                                       "requesters", "accounts")):
        rows = list(csv.reader(io.StringIO(block)))
        check_eq(rows[0][0], "section", "csv header")
        want = [[section] + ["" if v is None else str(v) for v in r.values()]
                for r in EXPECTED[section]]
        check_eq(rows[1:], want, "csv " + section)
        check_eq(rows[0][1:], list(EXPECTED[section][0].keys()), "csv columns " + section)

    # text, one queue, into a file
    out = os.path.join(env.dir, "report.txt")
    report(env, *week, "--queue", "billing", "-o", out)
    with open(out) as f:
        text = f.read()
    check_eq(text, TEXT, "text --queue billing")

    # by week: one period, the same totals; by month: November
    got = json.loads(report(env, *week, "--by", "week", "--format", "json").stdout)
    check_eq(got["volume"], volume([("2026-11-02", "billing", 2, 1, 1),
                                    ("2026-11-02", "support", 3, 1, 3)]), "by week")
    got = json.loads(report(env, *week, "--by", "month", "--format", "json").stdout)
    check_eq([v["period"] for v in got["volume"]], ["2026-11-01"] * 2, "by month")
    # Berlin: the range ends at 23:00 UTC on the 8th, before T5
    got = json.loads(report(env, *week, "--timezone", "Europe/Berlin", "--format",
                            "json").stdout)
    check_eq(got["queues"][-1]["opened"], 4, "Europe/Berlin: T5 falls on the 9th")
    # the assignee filter: nobody is assigned
    got = json.loads(report(env, *week, "--agent", AGENT, "--format", "json").stdout)
    check_eq(got["queues"], [{"queue": None, "opened": 0, "closed": 0, "backlog": 0,
                              "responded": 0, "first_response_p50": None,
                              "first_response_p90": None, "resolution_p50": None,
                              "resolution_p90": None}], "--agent with no assigned ticket")

    # the views agree with the functions
    check_eq(env.query("select day, queue, opened, closed from report_daily"
                       " where day between '2026-11-02' and '2026-11-08' order by 1, 2"),
             [["2026-11-02", "support", "2", "0"], ["2026-11-03", "billing", "1", "0"],
              ["2026-11-03", "support", "0", "1"], ["2026-11-05", "billing", "1", "1"],
              ["2026-11-08", "support", "1", "0"]], "report_daily")
    check_eq(env.query("select count(*), sum(first_response_seconds), sum(resolution_seconds)"
                       " from report_tickets"), [["7", "111600", "259200"]], "report_tickets")

    check_html(env, week)
    check_png(env, week)

    # bad arguments
    for args, rc, text in ((("--since", "2026-13-01"), 64, "not a date"),
                           (("--since", "2026-11-09", "--until", "2026-11-08"), 64, "empty"),
                           (("--since", "2000-01-01", "--until", "2026-11-08"), 64,
                            "longer than 3660 days"),
                           (("--by", "year"), 64, "day, week or month"),
                           (("--format", "xml"), 64, "text, csv, json, html or png"),
                           (("--timezone", "Mars/Olympus"), 64, "not a time zone"),
                           (("--top", "0"), 64, "--top 0: a number from 1 to 1000"),
                           (("--frobnicate",), 64, "unknown argument"),
                           (("--queue", "nope"), 67, 'unknown queue "nope"')):
        p = report(env, *args, rc=rc)
        check(text in p.stderr and p.stdout == "", "%s: %r" % (args, p.stderr))


SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def check_html(env, week):
    """The HTML report is one well-formed XML document (parsed by expat), with
    no script or external reference, three inline SVG charts drawn from the
    same figures, and every value escaped."""
    html = report(env, *week, "--format", "html").stdout
    root = ET.fromstring(html)
    check_eq(root.tag, XHTML + "html", "an XHTML document")
    check(root.find(".//" + XHTML + "script") is None and "<script" not in html,
          "no script")
    check(not re.search(r'(src|href)=', html), "no external resource")
    charts = root.findall(".//" + SVG + "svg")
    check_eq(len(charts), 3, "three charts")
    volume, backlog, response = charts
    tips = sorted(t.text for t in volume.iter(SVG + "title") if t.text and ":" in t.text)
    check_eq(tips, ["2026-11-02 support: 2 opened", "2026-11-03 billing: 1 opened",
                    "2026-11-03 support: 1 closed", "2026-11-05 billing: 1 closed",
                    "2026-11-05 billing: 1 opened", "2026-11-08 support: 1 opened"],
             "volume: one bar per queue and period that moved")
    check_eq(len(volume.findall(SVG + "rect")), 6 + 2, "bars and the legend's two keys")
    lines = backlog.findall(SVG + "polyline")
    check_eq([len(p.get("points").split()) for p in lines], [7, 7], "backlog: 7 days x 2")
    # backlog 3 for support on the 2nd and 8th, 2 between: the same height
    ys = [float(pt.split(",")[1]) for pt in lines[1].get("points").split()]
    check(ys[0] == ys[6] and ys[1] == ys[5] and ys[0] < ys[1], "support's line: %r" % ys)
    tips = [t.text for t in response.findall(SVG + "rect/" + SVG + "title")]
    check_eq(tips, ["billing p90: 22h 00m", "billing p50: 14h 00m", "support p90: 1h 54m",
                    "support p50: 1h 30m", "all p90: 18h 00m", "all p50: 3h 00m"],
             "response: p90 and p50 per queue")
    cells = [td.text for td in root.iter(XHTML + "td")]
    check("22h 00m" in cells and "Acme" in cells, "the tables' figures")
    # a hostile account name is text, never markup
    env.query("update accounts set name = '<script>alert(1)</script> & \"Co\"'"
              " where name = 'Acme' returning 1")
    html = report(env, *week, "--format", "html").stdout
    root = ET.fromstring(html)
    check("<script>" not in html and "&lt;script&gt;" in html, "escaped")
    check('<script>alert(1)</script> & "Co"' in [td.text for td in root.iter(XHTML + "td")],
          "the name reads as written")
    env.query("update accounts set name = 'Acme' returning 1")


def png_size(data):
    """(width, height) of a PNG, after checking that every row decodes:
    the signature, IHDR (8-bit RGB), and the IDAT stream inflating to
    height rows of 1 + 3 * width bytes."""
    check_eq(data[:8], b"\x89PNG\r\n\x1a\n", "PNG signature")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        check_eq(struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0],
                 zlib.crc32(kind + chunk), "CRC of " + kind.decode())
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour = ihdr[:4]
    check_eq((depth, colour), (8, 2), "8-bit RGB")
    check_eq(len(zlib.decompress(idat)), height * (1 + 3 * width), "every row decodes")
    return width, height


def check_png(env, week):
    """--format png: the three charts stacked, drawn by cairo from the same
    code as the SVG: 640 wide (the response chart), 250 + 250 + 166 high
    with two 16-pixel gaps."""
    out = os.path.join(env.dir, "report.png")
    report(env, *week, "--format", "png", "-o", out)
    with open(out, "rb") as f:
        data = f.read()
    check_eq(png_size(data), (640, 698), "PNG size")


def get(port, path, token=TOKEN):
    headers = {"Authorization": "Bearer " + token} if token else {}
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def check_http(env, port):
    """/report on the daemon's listener: the operator token always (even on
    loopback), the CLI's options as query parameters, the same figures."""
    week = "since=2026-11-02&until=2026-11-08"
    check_eq(get(port, "/report?" + week, token=None)[0], 401, "no token")
    check_eq(get(port, "/report?" + week, token="not-the-token-0000")[0], 401, "wrong token")
    status, ctype, body = get(port, "/report?%s&format=json" % week)
    check_eq((status, ctype), (200, "application/json"), "json")
    check_eq(json.loads(body), EXPECTED, "/report json: the CLI's figures")
    status, ctype, body = get(port, "/report?" + week)
    check_eq((status, ctype), (200, "text/html; charset=utf-8"), "html by default")
    root = ET.fromstring(body)
    check_eq(len(root.findall(".//" + SVG + "svg")), 3, "three charts")
    cli = report(env, "--since", "2026-11-02", "--until", "2026-11-08", "--format",
                 "html").stdout
    check_eq(body, cli, "the page is the CLI's HTML")
    req = urllib.request.Request("http://127.0.0.1:%d/report?%s&format=png" % (port, week),
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=60) as r:
        check_eq(r.headers.get("Content-Type"), "image/png", "png content type")
        png = r.read()
    with open(os.path.join(env.dir, "report.png"), "rb") as f:
        check_eq(png, f.read(), "/report?format=png: the CLI's PNG")
    status, _, body = get(port, "/report?%s&queue=billing&format=text" % week)
    check_eq((status, body), (200, TEXT), "text, one queue")
    for query, want in (("since=2026-02-30", 400), ("by=year", 400), ("top=x", 400),
                        ("format=pdf", 400), ("timezone=%27%3Bdrop", 400),
                        ("queue=nope", 404), ("queue=%3Cb%3E", 404)):
        status, ctype, body = get(port, "/report?" + query)
        check_eq(status, want, "/report?%s: %s" % (query, body))
        # the reason as plain text (and nosniff): an echoed "<b>" is no markup
        check_eq(ctype, "text/plain; charset=utf-8", "/report?%s: content type" % query)


def check_ticket_pages(env, d, port):
    """/tickets and /tickets/N: the operator token always; the facts of
    `ticket list` and `ticket show`; everything from mail escaped, so a
    hostile mail's markup stays text (the page parses as XML with no
    script, img or link but ours)."""
    check_eq(get(port, "/tickets", token=None)[0], 401, "/tickets without the token")
    status, ctype, body = get(port, "/tickets")
    check_eq((status, ctype), (200, "text/html; charset=utf-8"), "/tickets")
    rows = ET.fromstring(body).findall(".//" + XHTML + "tr")[1:]
    check_eq(len(rows), 7, "seven tickets listed")
    links = [r.find(".//" + XHTML + "a").get("href") for r in rows]
    number = env.scalar("select number from tickets where subject = 'Question T2'")
    check("/tickets/%s" % number in links, "a link to each ticket: %r" % links)
    status, _, body = get(port, "/tickets?queue=billing")
    check_eq(len(ET.fromstring(body).findall(".//" + XHTML + "tr")) - 1, 2, "queue billing")
    status, _, body = get(port, "/tickets/%s" % number)
    check_eq(status, 200, "/tickets/N")
    root = ET.fromstring(body)
    texts = [e.text for e in root.iter() if e.text]
    check("Question T2" in texts and "closed" in texts, "subject and status")
    pres = [p.text for p in root.iter(XHTML + "pre")]
    check_eq(len(pres), 2, "the customer's mail and the agent's answer")
    check("#close\nHello, here is the answer." in pres[1], "the answer as written: %r" % pres)
    check("agent.command" in texts, "the events")
    for path in ("/tickets/999999", "/tickets/abc", "/tickets/-1", "/tickets/"):
        check_eq(get(port, path)[0], 404, path)
    # a hostile mail
    evil = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
    n = pdtest.deliver_ticket(d.port, pdtest.message(
        subject=evil, frm='"</td><b>Eve</b>" <eve@customer.test>',
        body="</pre>%s\n<a href=\"http://evil.test/\">click</a>\n" % evil,
        msgid="<evil@customer.test>"), "eve@customer.test")
    for path in ("/tickets", "/tickets/%d" % n):
        status, _, body = get(port, path)
        check_eq(status, 200, path)
        root = ET.fromstring(body)
        for tag in ("script", "img", "b"):
            check(root.find(".//" + XHTML + tag) is None, "%s: no <%s> element" % (path, tag))
        hrefs = [a.get("href") for a in root.iter(XHTML + "a")]
        check(all(h.startswith("/tickets") for h in hrefs), "%s: only our links: %r"
              % (path, hrefs))
        check(evil in [e.text for e in root.iter() if e.text], "%s: the subject as text"
              % path)
    pres = [p.text for p in ET.fromstring(get(port, "/tickets/%d" % n)[2]).iter(XHTML + "pre")]
    check(pres[0].startswith("</pre><script>"), "the body as text: %r" % pres)


if __name__ == "__main__":
    main()
