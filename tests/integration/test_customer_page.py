#!/usr/bin/env python3
"""The customer's ticket page /t/TOKEN (issue 15 section 3), end to end.

A customer's mail (a hostile subject and body) makes a ticket; its
acknowledgement at smtp-sink carries {{ticket.url}}.  Through that link the
customer sees the number, the status and their own mail as text; after an
agent's answer (with a command) the answer as relayed, not the command;
never an internal note, another participant's mail or address, an event.
The page has the strict Content-Security-Policy and parses as XHTML with no
script, img or foreign link.  A forged, altered, expired, other-recipient
or unmatched token, and a public_url that is not set, all give the same 404;
[http] page_rate refuses the request after the limit with 429."""
import os
import re
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pdtest
from pdtest import check, check_eq
from smtpsink import SINK, Sink, header

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "page-test-key-0123456789abcdef01"
AGENT = "bob@agents.test"
CUSTOMER = "alice@customer.test"
PUBLIC = "https://help.example.test/desk"
RATE = 40
XHTML = "{http://www.w3.org/1999/xhtml}"
EVIL = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"


def ar(domain):
    return ("Authentication-Results: mx.postdesk.test; spf=pass smtp.mailfrom=%s;"
            " dmarc=pass header.from=%s" % (domain, domain))


class Client:
    """GETs on the listener; those of /t/ counted (the rate limit counts them)."""

    def __init__(self, port):
        self.port = port
        self.requests = 0

    def get(self, path):
        self.requests += path.startswith("/t/")
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path))
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()


def page_url(sink, kind):
    """The {{ticket.url}} of the customer's latest mail of kind (a
    Subject prefix) at the sink; agents' notifications carry none."""
    def find():
        mails = [m for m in sink.dumps() if header(m, "X-Rcpt-Args") == "<%s>" % CUSTOMER
                 and (header(m, "Subject") or "").startswith(kind)]
        return mails and mails[-1]
    text = re.sub(r"=\r?\n", "", pdtest.wait_for("the customer's %r mail" % kind, find))
    m = re.search(re.escape(PUBLIC) + r"/t/([a-z2-7]+)", text)
    check(m is not None, "a page link in the mail: %s" % text[:3000])
    return "/t/" + m.group(1)


def texts(root):
    return [t for e in root.iter() for t in (e.text, e.tail) if t and t.strip()]


def check_safe(body, what):
    root = ET.fromstring(body)
    for tag in ("script", "img", "link", "style", "iframe", "form", "b"):
        check(root.find(".//" + XHTML + tag) is None, "%s: no <%s>" % (what, tag))
    hrefs = [a.get("href") for a in root.iter(XHTML + "a")]
    check(all(h.startswith("mailto:support+t-") for h in hrefs), "%s: only the reply link: %r"
          % (what, hrefs))
    return root


def main():
    if not os.path.exists(SINK):
        pdtest.skip("smtp-sink not installed")
    sink = Sink()
    try:
        with pdtest.Env(extra_config=(
                "\n[auth]\nmode = trust-ar\nauthserv_id = mx.postdesk.test\n"
                "\n[outbound]\nrelay = %s\nfrom = Example Support <support@example.com>\n"
                "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
                % (sink.url, KEY, TEMPLATES))) as env:
            env.postdesk("agent", "add", AGENT, "--name", "Bob Agent", check_rc=0)
            port = pdtest.free_port()
            d = env.daemon(extra="\n[http]\nlisten = 127.0.0.1:%d\npublic_url = %s/\n"
                           "link_days = 30\npage_rate = %d\n" % (port, PUBLIC, RATE))
            run(env, d, sink, Client(port))
            check_eq(d.stop(), 0, "postdeskd stops")
    finally:
        sink.stop()
    print("ok")


def run(env, d, sink, web):
    n = pdtest.deliver_ticket(d.port, pdtest.message(
        subject="Printer %s" % EVIL, frm='"</td><b>Alice</b>" <%s>' % CUSTOMER,
        body="</pre>%s\n<a href=\"http://evil.test/\">click</a>\n" % EVIL,
        msgid="<page1@customer.test>"), CUSTOMER)
    tid = int(env.scalar("select id from tickets where number = :'p1'", n))
    path = page_url(sink, "[#")
    status, headers, body = web.get(path)
    check_eq(status, 200, "the acknowledgement's link")
    check_eq(headers.get("Content-Security-Policy"),
             "default-src 'none'; style-src 'self'; frame-ancestors 'none'", "CSP")
    check_eq(headers.get("X-Content-Type-Options"), "nosniff", "nosniff")
    root = check_safe(body, "the first page")
    check_eq(root.find(".//" + XHTML + "td[@id='status']").text, "new", "status new")
    check("Printer " + EVIL in texts(root), "the subject as text")
    pres = [p.text for p in root.iter(XHTML + "pre")]
    check_eq(len(pres), 1, "one message: %r" % pres)
    check(pres[0].startswith("</pre><script>"), "the body as text: %r" % pres)
    reply = root.find(".//" + XHTML + "a[@id='reply']").get("href")
    check(reply.startswith("mailto:support+t-") and "%5B%23" + str(n) in reply,
          "a mailto that threads: %r" % reply)

    # what the page never shows: a note, another participant's mail, events
    note = os.path.join(env.dir, "note.txt")
    with open(note, "w") as f:
        f.write("INTERNAL: the customer is difficult\n")
    env.postdesk("ticket", "note", str(n), "--file", note, "--agent", AGENT, check_rc=0)
    env.postdesk("ticket", "participant", "add", str(n), "carol@customer.test", check_rc=0)
    pdtest.deliver_ticket(d.port, pdtest.message(
        subject="Re: [#%d] Printer" % n, frm="Carol <carol@customer.test>",
        body="Carol's secret\n", msgid="<page2@customer.test>"), "carol@customer.test")
    # the agent answers through the signed reply address, with a command
    reply_to = pdtest.mint_token("reply", KEY, "support@example.com", tid, AGENT)
    pdtest.deliver_ticket(d.port, pdtest.message(
        subject="Re: [#%d] Printer" % n, frm="Bob Agent <%s>" % AGENT, to=reply_to,
        msgid="<answer@agents.test>", body="#pending\nPlease unplug it.\n",
        headers=(ar("agents.test"),)), AGENT, rcpt=reply_to)
    pdtest.outbound_settled(env)
    relays = env.query("select array_to_string(recipients, ',') from outbound"
                       " where kind = 'relay' order by id")
    check([CUSTOMER] in relays, "the answer relayed to the customer: %r" % relays)
    status, _, body = web.get(path)
    check_eq(status, 200, "the page again")
    root = check_safe(body, "the page after the answer")
    all_text = "\n".join(texts(root))
    check_eq(root.find(".//" + XHTML + "td[@id='status']").text, "pending", "status pending")
    pres = [p.text for p in root.iter(XHTML + "pre")]
    check_eq(len(pres), 2, "the customer's mail and the answer: %r" % pres)
    check("Please unplug it." in pres[1] and "#pending" not in pres[1],
          "the answer as relayed, without the command: %r" % pres[1])
    check("Bob Agent answered" in all_text, "who answered")
    for secret in ("INTERNAL", "Carol", "carol@", AGENT, "agent.command", "ticket.note"):
        check(secret not in body, "the page does not show %r" % secret)

    # the relay's link works too, for the same page
    relay_path = page_url(sink, "Re: [#")
    check_eq(web.get(relay_path)[0], 200, "the relay's link")

    # every refusal is the same 404
    token = path[len("/t/"):]
    now = int(time.time())
    altered = token[:-3] + ("a" if token[-3] != "a" else "b") + token[-2:]
    refused = {
        "altered": altered,
        "another key": pdtest.mint_token("page", "another-key-0123456789abcdefghij", now + 86400,
                                         tid, CUSTOMER),
        "expired": pdtest.mint_token("page", KEY, now - 2 * 86400, tid, CUSTOMER),
        "another recipient": pdtest.mint_token("page", KEY, now + 86400, tid,
                                               "mallory@evil.test"),
        "no such ticket": pdtest.mint_token("page", KEY, now + 86400, tid + 1000, CUSTOMER),
        "garbage": "%3Cscript%3E",
        "empty": "",
    }
    for what, t in refused.items():
        status, headers, body = web.get("/t/" + t)
        check_eq((status, body), (404, "not found\n"), "%s token" % what)
    # Carol's own link (the relay went to her too) shows her mail, not Alice's
    carol = pdtest.mint_token("page", KEY, now + 86400, tid, "carol@customer.test")
    status, _, body = web.get("/t/" + carol)
    check_eq(status, 200, "Carol's page")
    pres = [p.text for p in check_safe(body, "Carol's page").iter(XHTML + "pre")]
    check(len(pres) == 2 and "Carol's secret" in pres[0] and "unplug" in pres[1]
          and CUSTOMER not in body, "Carol's page: her mail and the answer relayed to her,"
          " not Alice's: %r" % pres)
    # the operator pages still need the operator token (none configured: 403)
    check_eq(web.get("/tickets")[0], 403, "/tickets is no public page")

    # page_rate: the requests of this client so far count; then 429
    while web.requests < RATE:
        check(web.get("/t/" + altered)[0] == 404, "under the rate")
    status, headers, body = web.get(path)
    check_eq(status, 429, "over [http] page_rate")
    check_eq(headers.get("Retry-After"), "60", "Retry-After")


if __name__ == "__main__":
    main()
