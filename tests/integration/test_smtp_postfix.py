#!/usr/bin/env python3
"""Outbound SMTP through a real Postfix relay (lib/smtp, lib/template).

pd-smtp-tool sends a rendered acknowledgement to a private Postfix on
loopback (tests/lib/postfix.py), which relays customer.test over LMTP to
smtp-sink -L.  Postfix refuses some recipients with its own access table:
one permanently (550), one for now (450).  One transaction with three
recipients must come back as sent for the good one and bounced/deferred,
with Postfix's reply text, for the others; the mail that reaches the far
side through a real MTA must still carry our headers and the null sender.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pdtest
import postfix
import test_smtp_sink as common


def test_refusals_and_reuse():
    sink = common.Sink("-L")     # the far side: an LMTP server that keeps the mail
    access = ("inline:{ {nobody@customer.test=550 5.1.1 No such user here}, "
              "{later@customer.test=450 4.2.0 Mailbox busy, try later} }")
    try:
        with postfix.Postfix(transport="lmtp:inet:[127.0.0.1]:%d" % sink.port,
                             domains=("customer.test",),
                             main={"smtpd_recipient_restrictions":
                                   "check_recipient_access %s, permit_mynetworks, reject" % access,
                                   "smtpd_relay_restrictions": "permit_mynetworks, reject"}) as mta:
            url = "smtp://127.0.0.1:%d" % mta.port
            results = common.send(url, "--count", "2", "--in-reply-to", "<q9@customer.test>", rcpts=(
                "alice@customer.test", "nobody@customer.test", "later@customer.test"))
            pdtest.check_eq(len(results), 2, "transactions")
            for r in results:
                pdtest.check_eq(r["status"], "sent", "overall (alice got it): %r" % r)
                pdtest.check(r["reply"].startswith("250 2.0.0 Ok: queued as "),
                             "Postfix's queue id kept: %r" % r["reply"])
                by = {x["address"]: x for x in r["rcpts"]}
                pdtest.check_eq(by["alice@customer.test"]["status"], "sent", "alice")
                pdtest.check_eq(by["nobody@customer.test"]["status"], "bounced", "nobody")
                pdtest.check("550 5.1.1" in by["nobody@customer.test"]["reply"] and
                             "No such user here" in by["nobody@customer.test"]["reply"],
                             "nobody's reply: %r" % by["nobody@customer.test"]["reply"])
                pdtest.check_eq(by["later@customer.test"]["status"], "deferred", "later")
                pdtest.check("Mailbox busy" in by["later@customer.test"]["reply"],
                             "later's reply: %r" % by["later@customer.test"]["reply"])
            # one connection to Postfix for both transactions
            pdtest.check_eq(results[-1]["connections"], "1", "connection reuse")
            mta.wait_log(r"to=<alice@customer\.test>.*status=sent", count=2)
            end = time.time() + 20
            while len(sink.dumps()) < 2 and time.time() < end:
                time.sleep(0.2)
            dumps = sink.dumps()
            pdtest.check_eq(len(dumps), 2, "messages through Postfix")
            for d in dumps:
                pdtest.check(common.header(d, "X-Rcpt-Args").startswith("<alice@customer.test>"),
                             "only alice: %r" % common.header(d, "X-Rcpt-Args"))
                pdtest.check_eq(common.header(d, "X-Mail-Args"), "<>", "null sender kept")
                pdtest.check_eq(common.header(d, "Auto-Submitted"), "auto-replied", "Auto-Submitted")
                pdtest.check_eq(common.header(d, "X-Postdesk-Ticket"), "10042", "marker")
                mid = common.header(d, "Message-Id")
                pdtest.check(common.verify("msgid", mid, "alice@customer.test")
                             .startswith("verdict=valid"), "Message-ID token after Postfix")
    finally:
        sink.stop()


def self_signed(dirname):
    """A certificate for 127.0.0.1 (subjectAltName IP), made for this test."""
    cert, key = os.path.join(dirname, "cert.pem"), os.path.join(dirname, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o644)
    return cert, key


def test_starttls():
    """STARTTLS against Postfix: required + verified against our CA works;
    an unknown CA is a deferral that names the relay, not the message."""
    tls_dir = tempfile.mkdtemp(prefix="pdtest-tls-")
    os.chmod(tls_dir, 0o755)
    cert, key = self_signed(tls_dir)
    sink = common.Sink("-L")
    try:
        with postfix.Postfix(transport="lmtp:inet:[127.0.0.1]:%d" % sink.port,
                             domains=("customer.test",),
                             main={"smtpd_tls_security_level": "may",
                                   "smtpd_tls_cert_file": cert,
                                   "smtpd_tls_key_file": key,
                                   "smtpd_tls_loglevel": "1",
                                   "smtpd_tls_received_header": "yes"},
                             extra_master="tlsmgr unix - - n 1000? 1 tlsmgr\n") as mta:
            url = "smtp://127.0.0.1:%d" % mta.port
            ok = common.send(url, "--starttls", "required", "--ca-file", cert)
            pdtest.check_eq(ok[0]["status"], "sent", "STARTTLS, verified: %r" % ok[0])
            mta.wait_log(r"TLS connection established from")
            bad = common.send(url, "--starttls", "required", "--ca-file", "/dev/null")
            pdtest.check_eq(bad[0]["status"], "deferred", "unknown CA: %r" % bad[0])
            pdtest.check_eq(bad[0]["relay_problem"], "1", "unknown CA is the relay's problem")
            mta.wait_log(r"to=<alice@customer\.test>.*status=sent")
            end = time.time() + 20
            while len(sink.dumps()) < 1 and time.time() < end:
                time.sleep(0.2)
            dumps = sink.dumps()
            pdtest.check_eq(len(dumps), 1, "only the verified one arrived")
            pdtest.check("using TLS" in dumps[0], "Received header shows TLS")
    finally:
        sink.stop()
        shutil.rmtree(tls_dir, ignore_errors=True)


def main():
    if not os.access(common.SINK, os.X_OK):
        pdtest.skip("smtp-sink (Debian package postfix) is not installed")
    if not os.access(common.TOOL, os.X_OK):
        pdtest.skip("pd-smtp-tool not built (%s)" % common.TOOL)
    why = postfix.available()
    if why:
        pdtest.skip(why)
    test_refusals_and_reuse()
    if shutil.which("openssl"):
        test_starttls()
    else:
        print("STARTTLS part skipped: no openssl command to make a certificate")
    print("ok")


if __name__ == "__main__":
    main()
