#!/usr/bin/env python3
"""Outbound SMTP against Postfix's smtp-sink on loopback (lib/smtp, lib/template).

pd-smtp-tool (tests/unit/smtp) renders the default acknowledgement template
and sends it through pd_smtp; smtp-sink plays the relay: accepting and
dumping the mail, or answering 4xx/5xx at a chosen command, disconnecting,
or stalling.  Each outcome must be classified (sent/deferred/bounced) with
the server's own reply text, and the mail that arrives must carry the
headers RFC 3834 and our threading need.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pdtest
from smtpsink import SINK, Sink

TOOL = os.path.join(pdtest.BUILD_DIR, "tests", "unit", "smtp", "pd-smtp-tool")
TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "integration-test-key-0123456789"


def send(url, *extra, rcpts=("alice@customer.test",), timeout=60):
    argv = [TOOL, "--relay", url, "--templates", TEMPLATES, "--key", KEY]
    for r in rcpts:
        argv += ["--rcpt", r]
    p = subprocess.run(argv + list(extra), capture_output=True, text=True, timeout=timeout)
    if p.returncode not in (0, 1):
        pdtest.fail("pd-smtp-tool exit %d: %s" % (p.returncode, p.stderr))
    results = []
    for line in p.stdout.splitlines():
        kind, rest = line.split(" ", 1)
        head, reply = rest.split(" reply=", 1)
        fields = dict(kv.split("=", 1) for kv in re.split(r" (?=\w+=)", head))
        fields["reply"] = reply
        if kind == "result":
            fields["rcpts"] = []
            results.append(fields)
        else:
            results[-1]["rcpts"].append(fields)
    return results


def header(dump, name):
    m = re.search(r"(?mi)^%s: (.*(?:\r?\n[ \t].*)*)" % re.escape(name), dump)
    return m.group(1).strip() if m else None


def verify(kind, value, sender):
    p = subprocess.run([TOOL, "--key", KEY, "--verify-" + kind, value, "--sender", sender],
                       capture_output=True, text=True, timeout=30)
    return p.stdout.strip()


def test_accepted_and_headers():
    sink = Sink()
    try:
        results = send(sink.url, "--count", "3", "--in-reply-to", "<q1@customer.test>")
        pdtest.check_eq(len(results), 3, "transactions")
        for r in results:
            pdtest.check_eq(r["status"], "sent", "status")
            pdtest.check_eq(r["code"], "250", "code")
            pdtest.check(r["reply"].startswith("250 2.0.0"), "reply text kept: %r" % r["reply"])
        # one connection reused for all three messages
        pdtest.check_eq(results[-1]["connections"], "1", "connections for 3 messages")
        sink.wait_idle()
        dumps = sink.dumps()
        pdtest.check_eq(len(dumps), 3, "messages at the sink")
        ids = set()
        for d in dumps:
            # RFC 3834 3.3: an auto-reply goes out from the null sender
            pdtest.check_eq(header(d, "X-Mail-Args"), "<>", "MAIL FROM")
            pdtest.check_eq(header(d, "X-Rcpt-Args"), "<alice@customer.test>", "RCPT TO")
            pdtest.check_eq(header(d, "Auto-Submitted"), "auto-replied", "Auto-Submitted")
            pdtest.check_eq(header(d, "X-Postdesk-Ticket"), "10042", "marker")
            pdtest.check_eq(header(d, "In-Reply-To"), "<q1@customer.test>", "In-Reply-To")
            pdtest.check_eq(header(d, "References"), "<q1@customer.test>", "References")
            pdtest.check_eq(header(d, "MIME-Version"), "1.0", "MIME-Version")
            pdtest.check(header(d, "Date") is not None, "Date")
            pdtest.check_eq(header(d, "Subject"), "[#10042] Printer on fire", "Subject")
            pdtest.check("=?utf-8?" in header(d, "To").lower(), "RFC 2047 name: %r" % header(d, "To"))
            pdtest.check("Content-Transfer-Encoding: quoted-printable" in d, "QP body")
            pdtest.check("charset=utf-8" in d, "UTF-8 body")
            pdtest.check("Hello J=C3=BCrgen" in d, "body text")
            mid = header(d, "Message-Id")
            pdtest.check(re.fullmatch(r"<pd\.[a-z2-7]+@postdesk\.test>", mid or ""), "Message-ID %r" % mid)
            ids.add(mid)
            reply_to = re.search(r"<(support\+t-[a-z2-7]+@example\.com)>", header(d, "Reply-To"))
            pdtest.check(reply_to is not None, "Reply-To %r" % header(d, "Reply-To"))
            # the tokens verify for the recipient, and for nobody else
            pdtest.check(verify("msgid", mid, "alice@customer.test").startswith("verdict=valid ticket=42"),
                         "Message-ID token")
            pdtest.check(verify("reply", reply_to.group(1), "Alice@Customer.test").startswith("verdict=valid"),
                         "reply token")
            pdtest.check(verify("reply", reply_to.group(1), "mallory@evil.test").startswith(
                "verdict=issued to another recipient ticket=42"), "ticket trick refused")
        pdtest.check_eq(len(ids), 3, "distinct Message-IDs")
    finally:
        sink.stop()


def expect(results, status, code, stage, text=None, relay_problem="0"):
    pdtest.check_eq(len(results), 1, "transactions")
    r = results[0]
    pdtest.check_eq(r["status"], status, "status (%r)" % r)
    pdtest.check_eq(r["code"], code, "code (%r)" % r)
    pdtest.check_eq(r["stage"], stage, "stage (%r)" % r)
    pdtest.check_eq(r["relay_problem"], relay_problem, "relay_problem (%r)" % r)
    if text is not None:
        pdtest.check(text in r["reply"], "reply %r lacks %r" % (r["reply"], text))
    return r


def test_refusals():
    soft = "451 4.7.1 Greylisted, please try again later"
    hard = "550 5.1.1 <alice@customer.test>: Recipient address rejected: User unknown"
    cases = [
        (("-r", "RCPT", "-b", soft), "deferred", "451", "RCPT", soft, "0"),
        (("-f", "RCPT", "-B", hard), "bounced", "550", "RCPT", hard, "0"),
        (("-r", "MAIL", "-b", "452 4.3.1 Insufficient system storage"),
         "deferred", "452", "MAIL", "Insufficient system storage", "0"),
        (("-f", "MAIL", "-B", "553 5.7.1 Sender rejected"), "bounced", "553", "MAIL", "Sender rejected", "0"),
        (("-f", ".", "-B", "554 5.7.1 Message content rejected"),
         "bounced", "554", "end of data", "Message content rejected", "0"),
        (("-r", ".", "-b", "450 4.7.0 Try later"), "deferred", "450", "end of data", "Try later", "0"),
        (("-f", "DATA", "-B", "554 5.5.1 No valid recipients"), "bounced", "554", "DATA", "No valid", "0"),
        # before MAIL FROM: the relay's problem, never the message's
        (("-f", "EHLO,HELO", "-B", "554 5.7.1 Access denied"), "deferred", "554", "HELO", "Access denied", "1"),
        (("-r", "CONNECT", "-b", "421 4.3.2 Service shutting down"),
         "deferred", "421", "greeting", "shutting down", "1"),
    ]
    for options, status, code, stage, text, relay in cases:
        sink = Sink(*options)
        try:
            results = send(sink.url)
            r = expect(results, status, code, stage, text, relay)
            pdtest.check_eq(r["rcpts"][0]["status"], status, "recipient status %r" % (options,))
            if stage != "end of data":   # smtp-sink dumps what it then refuses
                sink.wait_idle()
                pdtest.check_eq(len(sink.dumps()), 0, "nothing sent for %r" % (options,))
        finally:
            sink.stop()


def test_relay_down():
    port = pdtest.free_port()   # nothing listens there
    t0 = time.time()
    r = expect(send("smtp://127.0.0.1:%d" % port), "deferred", "0", "connect", None, "1")
    pdtest.check(re.search(r"(?i)connect|refused", r["reply"]), "reply names the cause: %r" % r["reply"])
    pdtest.check(time.time() - t0 < 10, "refusal is immediate")


def test_slow_server_times_out():
    sink = Sink("-W", "MAIL:30")
    try:
        t0 = time.time()
        r = expect(send(sink.url, "--reply-timeout", "2"), "deferred", "0", "MAIL", None, "0")
        took = time.time() - t0
        pdtest.check(took < 15, "timeout took %.1fs" % took)
        pdtest.check(re.search(r"(?i)time", r["reply"]), "reply says timeout: %r" % r["reply"])
    finally:
        sink.stop()


def test_reply_lost_after_data():
    # the server drops the connection instead of answering the final dot:
    # the relay may have the message (RFC 1047), so deferred at end of data
    sink = Sink("-q", ".")
    try:
        expect(send(sink.url), "deferred", "0", "end of data", None, "0")
    finally:
        sink.stop()


def test_starttls_required_not_offered():
    # smtp-sink offers no STARTTLS: with starttls = required nothing is sent
    sink = Sink()
    try:
        r = expect(send(sink.url, "--starttls", "required"), "deferred", "0", "EHLO", None, "1")
        sink.wait_idle()
        pdtest.check_eq(len(sink.dumps()), 0, "nothing sent in clear text")
        pdtest.check(re.search(r"(?i)ssl|tls", r["reply"]), "reply names TLS: %r" % r["reply"])
    finally:
        sink.stop()


def main():
    if not os.access(SINK, os.X_OK):
        pdtest.skip("smtp-sink (Debian package postfix) is not installed")
    if not os.access(TOOL, os.X_OK):
        pdtest.skip("pd-smtp-tool not built (%s)" % TOOL)
    test_accepted_and_headers()
    test_refusals()
    test_relay_down()
    test_slow_server_times_out()
    test_reply_lost_after_data()
    test_starttls_required_not_offered()
    print("ok")


if __name__ == "__main__":
    main()
