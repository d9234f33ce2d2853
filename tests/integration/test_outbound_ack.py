#!/usr/bin/env python3
"""Acknowledgements end to end: postdeskd, real PostgreSQL, Postfix's smtp-sink.

A customer mail over LMTP gets exactly one acknowledgement at the sink, with
the headers RFC 3834 and our threading need; a redelivery or a threaded
reply gets none.  Relay down: the row stays queued and goes out when the
relay is back.  5xx: failed with the relay's reply.  postdeskd killed with
SIGKILL while the relay holds the message: the row ends "failed (outcome
unknown)" and the mail is not sent a second time; `postdesk outbound retry`
sends it on purpose.  Each no-auto-reply case gets no acknowledgement and
an event with its reason; a dumb autoresponder answering every mail settles
after the per-address cap.
"""
import os
import re
import shutil
import signal
import sys
import threading
import time

import lmtpbridge
import pdtest
from smtpsink import SINK, Sink, header

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "conversation-test-key-0123456789"
CUSTOMER = "alice@customer.test"


def outbound_config(relay_port, extra=""):
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = Example Support <support@example.com>\n"
            "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
            "retry_delays = 1\nconnect_timeout = 5\nreply_timeout = 5\ntimeout = 5\n%s"
            % (relay_port, KEY, TEMPLATES, extra))


def deliver(d, data, sender=CUSTOMER, rcpt="support@example.com"):
    replies = pdtest.lmtp_deliver(d.port, sender, [rcpt], data)
    pdtest.check(replies[-1].startswith("250"), "delivered: %r" % replies)
    return replies


def hdrs(text):
    return [h for h in text.split("\r\n") if h]


wait_for = pdtest.wait_for


def outbound_rows(env):
    return env.query("select id, status, attempts, coalesce(last_error, ''), "
                     "array_to_string(recipients, ',') from outbound order by id")


def test_one_ack_with_headers():
    sink = Sink()
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port))
            mail = pdtest.message(msgid="<q1@customer.test>",
                                  frm="Alice Example <%s>" % CUSTOMER)
            deliver(d, mail)
            deliver(d, mail)    # the crash-between-commit-and-250 redelivery
            number = env.scalar("select number from tickets")
            wait_for("the acknowledgement", lambda: len(sink.dumps()) >= 1)
            reply = pdtest.message(subject="Re: Printer on fire", msgid="<q2@customer.test>",
                                   frm="Alice Example <%s>" % CUSTOMER,
                                   headers=hdrs("In-Reply-To: <q1@customer.test>\r\n"
                                                      "References: <q1@customer.test>\r\n"))
            deliver(d, reply)
            pdtest.check_eq(env.scalar("select count(*) from tickets"), "1", "one ticket")
            pdtest.outbound_settled(env)
            dumps = sink.dumps()
            pdtest.check_eq(len(dumps), 1, "exactly one acknowledgement")
            a = dumps[0]
            pdtest.check_eq(header(a, "X-Mail-Args"), "<>", "MAIL FROM (RFC 3834 3.3)")
            pdtest.check_eq(header(a, "X-Rcpt-Args"), "<%s>" % CUSTOMER, "RCPT TO")
            pdtest.check_eq(header(a, "Auto-Submitted"), "auto-replied", "Auto-Submitted")
            pdtest.check_eq(header(a, "X-Postdesk-Ticket"), number, "marker")
            pdtest.check_eq(header(a, "In-Reply-To"), "<q1@customer.test>", "In-Reply-To")
            pdtest.check("#%s" % number in header(a, "Subject"), "subject %r" % header(a, "Subject"))
            pdtest.check(re.fullmatch(r"<pd\.[a-z2-7]+@postdesk\.test>", header(a, "Message-Id") or ""),
                         "Message-ID %r" % header(a, "Message-Id"))
            pdtest.check(re.search(r"<support\+t-[a-z2-7]+@example\.com>", header(a, "Reply-To") or ""),
                         "Reply-To %r" % header(a, "Reply-To"))
            pdtest.check("ticket #%s" % number in a, "body names the ticket")
            rows = outbound_rows(env)
            pdtest.check_eq(len(rows), 1, "one outbound row")
            pdtest.check_eq(rows[0][1:3], ["sent", "1"], "row sent on the first attempt")
            pdtest.check(rows[0][3].startswith("250"), "relay reply kept: %r" % rows[0][3])
            stored = env.scalar("select message_id from outbound")
            pdtest.check_eq("<%s>" % stored, header(a, "Message-Id"), "Message-ID stored")
            kinds = [r[0] for r in env.query("select kind from events where kind like 'outbound.%' order by id")]
            pdtest.check_eq(kinds, ["outbound.queued", "outbound.sent"], "events")
            # the CLI shows it
            out = env.postdesk("outbound", "list", check_rc=0).stdout
            pdtest.check(re.search(r"\bsent\s+ack\s+%s\b" % number, out), "list: %s" % out)
            out = env.postdesk("outbound", "show", rows[0][0], "--raw", check_rc=0).stdout
            pdtest.check("X-Postdesk-Ticket: %s" % number in out, "show --raw")
            r = env.postdesk("outbound", "retry", rows[0][0])
            pdtest.check_eq(r.returncode, 64, "a sent mail is not retried")
            r = env.postdesk("outbound", "show", "999999")
            pdtest.check_eq(r.returncode, 67, "unknown id")
    finally:
        sink.stop()


def test_relay_down_then_back():
    port = pdtest.free_port()
    with pdtest.Env() as env:
        d = env.daemon(extra=outbound_config(port))
        deliver(d, pdtest.message(msgid="<down1@customer.test>"))
        deliver(d, pdtest.message(msgid="<down2@customer.test>", subject="Second"))
        # two refused passes (each defers both rows) and no pass under way
        rows = wait_for("a second refused pass", lambda: [
            r for r in env.query("select id, status, attempts, coalesce(last_error, ''), "
                                 "array_to_string(recipients, ',') from outbound "
                                 "where (select count(*) from events "
                                 "       where kind = 'outbound.deferred') >= 4 "
                                 "  and not exists (select 1 from outbound "
                                 "                  where status = 'sending') order by id")])
        pdtest.check_eq([r[1] for r in rows], ["queued", "queued"], "rows stay queued")
        pdtest.check_eq([r[2] for r in rows], ["0", "0"], "relay trouble uses no attempt")
        pdtest.check(re.search(r"(?i)connect|refused", rows[0][3]), "reason kept: %r" % rows[0][3])
        sink = Sink(port=port)
        try:
            wait_for("both sent", lambda: [r[1] for r in outbound_rows(env)] == ["sent", "sent"],
                     timeout=30)
            pdtest.outbound_settled(env)
            pdtest.check_eq(len(sink.dumps()), 2, "two mails at the sink, once each")
        finally:
            sink.stop()


def test_5xx_fails_with_reply():
    sink = Sink("-f", "RCPT")
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port))
            deliver(d, pdtest.message(msgid="<hard@customer.test>"))
            wait_for("failed", lambda: outbound_rows(env)[0][1] == "failed" if outbound_rows(env) else None)
            row = outbound_rows(env)[0]
            pdtest.check(row[3].startswith("5"), "the relay's reply: %r" % row[3])
            pdtest.check_eq(row[2], "1", "no second attempt after a 5xx")
            pdtest.check_eq(env.scalar("select count(*) from events where kind = 'outbound.failed'"),
                            "1", "event")
    finally:
        sink.stop()


def test_transient_4xx_gives_up_after_max_attempts():
    sink = Sink("-r", "RCPT")
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port, "max_attempts = 3\n"))
            deliver(d, pdtest.message(msgid="<soft@customer.test>"))
            wait_for("failed after 3", lambda: outbound_rows(env)[0][1] == "failed"
                     if outbound_rows(env) else None, timeout=30)
            row = outbound_rows(env)[0]
            pdtest.check_eq(row[2], "3", "attempts")
            pdtest.check(row[3].startswith("4"), "last reply kept: %r" % row[3])
            pdtest.check_eq(env.scalar("select count(*) from events where kind = 'outbound.deferred'"),
                            "2", "two deferrals before giving up")
    finally:
        sink.stop()


def test_kill_mid_send_no_duplicate():
    # the sink takes the whole message, then waits 30 s before answering the
    # final dot: postdeskd dies in that window
    sink = Sink("-W", ".:30")
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port))
            deliver(d, pdtest.message(msgid="<kill@customer.test>"))
            wait_for("the message at the relay", lambda: len(sink.dumps()) == 1)
            pdtest.check_eq(outbound_rows(env)[0][1], "sending", "row marked before the send")
            d.kill()
            sink.stop(remove=False)
            sink.options = ()
            sink.start()        # the relay answers normally again
            d2 = env.daemon(extra=outbound_config(sink.port))
            # lease = timeout (5 s) + 5 s; then it must be "outcome unknown"
            wait_for("recovered", lambda: outbound_rows(env)[0][1] == "failed", timeout=30)
            row = outbound_rows(env)[0]
            pdtest.check("outcome unknown" in row[3], "reason: %r" % row[3])
            pdtest.outbound_settled(env)
            pdtest.check_eq(len(sink.dumps()), 1, "not sent a second time")
            pdtest.check("marked failed (outcome unknown)" in d2.log_text(), "logged")
            # the operator decides to send it again
            env.postdesk("outbound", "retry", row[0], check_rc=0)
            wait_for("sent after retry", lambda: outbound_rows(env)[0][1] == "sent")
            pdtest.check_eq(len(sink.dumps()), 2, "sent again on purpose")
            dumps = sink.dumps()
            pdtest.check_eq(header(dumps[0], "Message-Id"), header(dumps[1], "Message-Id"),
                            "the same rendered mail (one Message-ID) both times")
    finally:
        sink.stop()


def test_expired_claim_never_rendered_is_requeued():
    # a sender that died after claiming a row but before rendering it never
    # handed it to a relay: the row goes back to the queue, not to failed
    port = pdtest.free_port()
    with pdtest.Env() as env:
        d = env.daemon(extra=outbound_config(port))
        deliver(d, pdtest.message(msgid="<norender@customer.test>"))
        wait_for("a refused attempt", lambda: env.scalar(
            "select count(*) from events where kind = 'outbound.deferred'") != "0")
        d.stop()
        env.query("update outbound set status = 'sending', attempts = attempts + 1, "
                  "message = null, message_id = null, claimed_by = 'dead:1:0', "
                  "lease_until = now() - interval '1 second'")
        sink = Sink(port=port)
        try:
            env.daemon(extra=outbound_config(port))
            wait_for("sent", lambda: outbound_rows(env)[0][1] == "sent")
            pdtest.check_eq(outbound_rows(env)[0][2], "1", "the lost claim used no attempt")
            pdtest.check_eq(env.scalar("select count(*) from events where kind = "
                                       "'outbound.requeued'"), "1", "event")
            pdtest.outbound_settled(env)
            pdtest.check_eq(len(sink.dumps()), 1, "sent once")
        finally:
            sink.stop()


def test_sigterm_while_relay_stalls():
    # a relay that holds the final reply must not hold up a stop for the
    # whole SMTP timeout
    sink = Sink("-W", ".:60")
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port).replace("timeout = 5\n",
                                                                    "timeout = 120\n"))
            deliver(d, pdtest.message(msgid="<term@customer.test>"))
            wait_for("the message at the relay", lambda: len(sink.dumps()) == 1)
            t0 = time.time()
            rc = d.stop(timeout=40)
            took = time.time() - t0
            pdtest.check_eq(rc, 0, "exit status")
            pdtest.check(took < 20, "stopped in %.1f s" % took)
            pdtest.check("still being sent" in d.log_text(), "logged")
            pdtest.check_eq(outbound_rows(env)[0][1], "sending", "left for recovery")
    finally:
        sink.stop()


# (name, envelope sender, From, extra headers, expected reason)
NO_REPLY_CASES = [
    ("null sender", "", "Bob <bob@customer.test>", "", "null sender"),
    ("auto-submitted", "bob@customer.test", "bob@customer.test",
     "Auto-Submitted: auto-replied\r\n", "auto-submitted"),
    ("auto-generated", "bob@customer.test", "bob@customer.test",
     "Auto-Submitted: auto-generated (vacation)\r\n", "auto-submitted"),
    ("precedence bulk", "bob@customer.test", "bob@customer.test", "Precedence: bulk\r\n", "precedence"),
    ("precedence list", "bob@customer.test", "bob@customer.test", "Precedence: list\r\n", "precedence"),
    ("precedence junk", "bob@customer.test", "bob@customer.test", "Precedence: junk\r\n", "precedence"),
    ("list-id", "bob@customer.test", "bob@customer.test",
     "List-Id: <users.lists.customer.test>\r\n", "mailing list"),
    ("x-auto-response-suppress", "bob@customer.test", "bob@customer.test",
     "X-Auto-Response-Suppress: OOF, AutoReply\r\n", "x-auto-response-suppress"),
    ("mailer-daemon", "mailer-daemon@customer.test", "Mail Delivery System <MAILER-DAEMON@customer.test>",
     "", "robot address"),
    ("postmaster", "bob@customer.test", "postmaster@customer.test", "", "robot address"),
    ("noreply", "bob@customer.test", "noreply@customer.test", "", "robot address"),
    ("noreply envelope", "no-reply@bounces.customer.test", "Shop <shop@customer.test>", "",
     "robot address"),
    ("our own address", "support@example.com", "Example Support <support@example.com>", "",
     "own address"),
    ("vacation subject", "bob@customer.test", "bob@customer.test", "", "automatic subject"),
    ("x-autoreply", "bob@customer.test", "bob@customer.test", "X-Autoreply: yes\r\n",
     "autoresponder header"),
]


def test_no_autoreply_cases():
    sink = Sink()
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port))
            for i, (name, sender, frm, extra, reason) in enumerate(NO_REPLY_CASES):
                subject = "Out of Office: back Monday" if name == "vacation subject" else "Case %d" % i
                deliver(d, pdtest.message(subject=subject, frm=frm, msgid="<case%d@customer.test>" % i,
                                          headers=hdrs(extra)), sender=sender)
                got = env.query("select e.detail->>'reason' from events e join tickets t "
                                "on t.id = e.ticket_id where e.kind = 'autoreply.suppressed' "
                                "and t.subject = :'p1'", subject)
                pdtest.check_eq(got, [[reason]], "suppression event for %s" % name)
            # a mail with Auto-Submitted: no is a person's: it is answered
            deliver(d, pdtest.message(subject="Person", msgid="<person@customer.test>",
                                      frm="carol@customer.test",
                                      headers=hdrs("Auto-Submitted: no\r\n")))
            wait_for("the one acknowledgement", lambda: len(sink.dumps()) == 1)
            pdtest.check_eq(env.scalar("select count(*) from outbound"), "1", "one row, for the person")
            pdtest.check_eq(header(sink.dumps()[0], "X-Rcpt-Args"), "<carol@customer.test>", "to the person")
            # our own acknowledgement coming back (its Message-ID is ours)
            ack = sink.dumps()[0]
            body = ack.split("\n\n", 1)[1] if "\n\n" in ack else ""
            mid = header(ack, "Message-Id")
            looped = ("From: carol@customer.test\r\nTo: support@example.com\r\n"
                      "Subject: Returned\r\nMessage-ID: %s\r\n\r\n%s" % (mid, body))
            deliver(d, looped.encode(), sender="carol@customer.test")
            got = env.query("select detail->>'reason' from events where kind = 'autoreply.suppressed' "
                            "order by id desc limit 1")
            pdtest.check_eq(got, [["own mail (Message-ID)"]], "our Message-ID recognized")
            pdtest.outbound_settled(env)
            pdtest.check_eq(len(sink.dumps()), 1, "nothing else was sent")
    finally:
        sink.stop()


def test_strangers_marker_is_ignored():
    # issue 16 section 4: our X-Postdesk-* header names from outside are a
    # stranger's words (Request Tracker's CVE-2023-41259): the mail is a new
    # ticket like any other and is acknowledged; the ack carries our marker
    # only, never the stranger's value
    sink = Sink()
    try:
        with pdtest.Env() as env:
            d = env.daemon(extra=outbound_config(sink.port))
            deliver(d, pdtest.message(msgid="<first@customer.test>"))
            first = env.scalar("select number from tickets")
            forged = pdtest.message(subject="Forged marker", frm="Mallory <mallory@else.test>",
                                    msgid="<forged@else.test>",
                                    headers=["X-Postdesk-Ticket: %s" % first,
                                             "X-Postdesk-Loop: yes"])
            deliver(d, forged, sender="mallory@else.test")
            wait_for("two acknowledgements", lambda: len(sink.dumps()) == 2)
            rows = env.query("select number, requester_address from tickets order by number")
            pdtest.check_eq(len(rows), 2, "a ticket of its own: %r" % rows)
            second = rows[1][0]
            pdtest.check_eq(rows[1][1], "mallory@else.test", "not joined to ticket %s" % first)
            ack = [m for m in sink.dumps() if header(m, "X-Rcpt-Args") == "<mallory@else.test>"]
            pdtest.check_eq(len(ack), 1, "the stranger is acknowledged as usual")
            marks = re.findall(r"(?mi)^x-postdesk-[a-z-]*:.*$", ack[0].split("\n\n", 1)[0])
            pdtest.check_eq([m.strip() for m in marks], ["X-Postdesk-Ticket: %s" % second],
                            "only our own marker in the acknowledgement")
            pdtest.check_eq(env.scalar("select count(*) from events where "
                                       "kind = 'autoreply.suppressed'"), "0", "nothing suppressed")
    finally:
        sink.stop()


def test_two_daemons_share_the_queue():
    # several daemons on one database: every row is claimed by one of them
    # (FOR UPDATE SKIP LOCKED) and sent exactly once
    sink = Sink()
    try:
        with pdtest.Env() as env:
            daemons = [env.daemon(extra=outbound_config(sink.port, "poll_interval = 0.05\n"))
                       for _ in range(2)]
            n = 30
            for i in range(n):
                deliver(daemons[i % 2], pdtest.message(subject="Shared %d" % i,
                                                       frm="c%d@customer.test" % i,
                                                       msgid="<shared%d@customer.test>" % i),
                        sender="c%d@customer.test" % i)
            wait_for("all sent", lambda: env.scalar("select count(*) from outbound "
                                                    "where status = 'sent'") == str(n), timeout=60)
            pdtest.outbound_settled(env)
            dumps = sink.dumps()
            pdtest.check_eq(len(dumps), n, "one mail per row at the sink")
            rcpts = sorted(header(d, "X-Rcpt-Args") for d in dumps)
            pdtest.check_eq(rcpts, sorted("<c%d@customer.test>" % i for i in range(n)),
                            "each customer once")
            pdtest.check_eq(env.scalar("select max(attempts) from outbound"), "1", "one attempt each")
            senders = env.scalar("select count(distinct claimed_by) from outbound")
            print("   rows sent by %s sender instances" % senders)
    finally:
        sink.stop()


def test_held_tickets():
    # issue 3: a queue for known senders keeps a stranger's mail and answers
    # politely (never a bounce); a moderated queue answers nothing yet
    queues = ("\n[queue support]\naddresses = support@example.com\nunknown_senders = known\n"
              "\n[queue review]\naddresses = review@example.com\nunknown_senders = moderate\n")
    sink = Sink()
    try:
        with pdtest.Env(queues=queues) as env:
            d = env.daemon(extra=outbound_config(sink.port))
            deliver(d, pdtest.message(msgid="<held1@customer.test>"))
            deliver(d, pdtest.message(msgid="<held2@customer.test>", to="review@example.com",
                                      subject="Moderate me"), rcpt="review@example.com")
            wait_for("the polite reply", lambda: len(sink.dumps()) == 1)
            pdtest.outbound_settled(env)
            dumps = sink.dumps()
            pdtest.check_eq(len(dumps), 1, "one mail: the polite reply, nothing for moderation")
            pdtest.check("registered contacts" in dumps[0], "the held template")
            pdtest.check_eq(env.query("select template from outbound"), [["held"]], "template")
            got = env.query("select e.detail->>'reason' from events e join tickets t on t.id = "
                            "e.ticket_id where e.kind = 'autoreply.suppressed' and t.held = 'moderate'")
            pdtest.check_eq(got, [["held for moderation"]], "moderated: suppressed with reason")
    finally:
        sink.stop()


def test_sender_under_valgrind():
    # the sender's whole path (claim, render, send, record, a deferral, a
    # SIGHUP reload of settings and templates, stop) without a leak or a
    # memory error
    if shutil.which("valgrind") is None:
        print("   valgrind is not installed: skipped")
        return
    sink = Sink()
    try:
        with pdtest.Env() as env:
            vlog = os.path.join(env.dir, "valgrind.log")
            wrapper = ["valgrind", "--quiet", "--leak-check=full",
                       "--errors-for-leak-kinds=definite,indirect",
                       "--show-leak-kinds=definite,indirect", "--error-exitcode=99",
                       "--num-callers=30", "--log-file=" + vlog]
            d = env.daemon(wrapper=wrapper, extra=outbound_config(sink.port))
            deliver(d, pdtest.message(msgid="<vg1@customer.test>"))
            wait_for("sent", lambda: outbound_rows(env) and outbound_rows(env)[0][1] == "sent",
                     timeout=60)
            sink.stop(remove=False)     # the relay goes away: a deferral
            deliver(d, pdtest.message(msgid="<vg2@customer.test>", subject="Second"))
            wait_for("deferred", lambda: env.scalar(
                "select count(*) from events where kind = 'outbound.deferred'") != "0", timeout=60)
            d.proc.send_signal(signal.SIGHUP)
            wait_for("the reload", lambda: d.log_text().count("outbound: sending through") == 2,
                     timeout=60)
            rc = d.stop(timeout=120)
            with open(vlog) as f:
                report = f.read()
            pdtest.check_eq(rc, 0, "exit status under valgrind\n" + report + d.log_text())
            pdtest.check("definitely lost" not in report and "Invalid" not in report,
                         "valgrind report:\n" + report)
            pdtest.check_eq(d.log_text().count("outbound: sending through"), 2,
                            "settings and templates loaded again on SIGHUP")
    finally:
        sink.stop()


def test_postdesk_test_shows_the_decision():
    import json
    with pdtest.Env() as env:
        config = env.write_config(extra=outbound_config(pdtest.free_port()))
        for headers, send, reason in ((["Precedence: bulk"], False, "precedence"),
                                      ([], True, None)):
            path = os.path.join(env.dir, "m.eml")
            with open(path, "wb") as f:
                f.write(pdtest.message(headers=headers))
            out = env.postdesk("test", "--json", "--from", CUSTOMER, path, config=config,
                               check_rc=0).stdout
            ack = json.loads(out)["recipients"][0]["acknowledge"]
            pdtest.check_eq(ack["send"], send, "send for %r" % headers)
            pdtest.check_eq(ack["to"], CUSTOMER, "to")
            if reason:
                pdtest.check_eq(ack["reason"], reason, "reason")
            text = env.postdesk("test", "--from", CUSTOMER, path, config=config, check_rc=0).stdout
            pdtest.check(re.search(r"Acknowledge:\s+%s" % ("yes" if send else "no"), text), text)
            # without --from the From stands for the envelope sender
            text = env.postdesk("test", path, config=config, check_rc=0).stdout
            pdtest.check(re.search(r"Acknowledge:\s+%s" % ("yes" if send else "no"), text), text)
        # the delivery's own decision (pd_ack_decide): the template, and the
        # per-address cap the delivery would apply
        pdtest.check("template ack" in ack["reason"], "the template named: %r" % ack)
        env.query("insert into autoreply_ledger (address) select :'p1'"
                  " from generate_series(1, 3)", CUSTOMER)
        out = env.postdesk("test", "--json", "--from", CUSTOMER, path, config=config,
                           check_rc=0).stdout
        ack = json.loads(out)["recipients"][0]["acknowledge"]
        pdtest.check_eq((ack["send"], ack["reason"]), (False, "rate limit"),
                        "postdesk test at the sender's cap")


class Autoresponder(lmtpbridge.Bridge):
    """A dumb autoresponder as the relay: every mail it takes makes it send
    a fresh mail (new Message-ID, no In-Reply-To, no Auto-Submitted) back to
    postdeskd over LMTP, the worst loop partner there is."""

    def __init__(self, lmtp_port, address):
        self.address = address
        self.received = 0
        self.responded = 0      # answers postdeskd has taken (and stored)
        super().__init__(lmtp_port)

    def _hand_on(self, mail_from, rcpts, data):
        with self.lock:
            self.received += 1
            n = self.received
        threading.Thread(target=self.respond, args=(n,), daemon=True).start()
        return b"250 2.0.0 taken\r\n"

    def respond(self, n):
        mail = pdtest.message(subject="I got your mail (%d)" % n, frm=self.address,
                              msgid="<resp%d@responder.test>" % n)
        try:
            pdtest.lmtp_deliver(self.lmtp_port, self.address, ["support@example.com"], mail)
        finally:
            with self.lock:
                self.responded += 1

    def settled(self, env):
        """Nothing more will cross: every answer delivered, every row it
        queued sent, and no new mail taken meanwhile (a new row needs a new
        answer, which needs a mail taken first)."""
        def quiet():
            with self.lock:
                received = self.received
                if self.responded != received:
                    return False
            pdtest.outbound_settled(env)
            with self.lock:
                return self.received == received
        pdtest.wait_for("the exchange to stop", quiet)


def test_autoresponder_loop_settles_under_cap():
    with pdtest.Env() as env:
        lmtp_port = pdtest.free_port()
        responder = Autoresponder(lmtp_port, "robot@responder.test")
        try:
            # a ledger row older than the window (and a day) is forgotten
            env.query("insert into autoreply_ledger (address, sent_at) "
                      "values ('old@responder.test', now() - interval '3 days')")
            env.daemon(port=lmtp_port, extra=outbound_config(
                responder.port, "autoreply_limit = 3\nautoreply_window = 3600\n"))
            # the first mail starts the exchange
            pdtest.lmtp_deliver(lmtp_port, "robot@responder.test", ["support@example.com"],
                                pdtest.message(subject="hello", frm="robot@responder.test",
                                               msgid="<start@responder.test>"))
            wait_for("the loop to settle",
                     lambda: env.scalar("select count(*) from events where kind = "
                                        "'autoreply.suppressed'") != "0", timeout=30)
            responder.settled(env)
            pdtest.check_eq(responder.received, 3, "acknowledgements sent: the cap")
            pdtest.check_eq(env.scalar("select count(*) from outbound"), "3", "rows")
            pdtest.check_eq(env.scalar("select count(*) from tickets"), "4", "tickets (nothing lost)")
            got = env.query("select detail->>'reason', detail->>'count' from events "
                            "where kind = 'autoreply.suppressed'")
            pdtest.check_eq(got, [["rate limit", "3"]], "the fourth is suppressed by the cap")
            pdtest.check_eq(env.scalar("select count(*) from autoreply_ledger where "
                                       "address = 'old@responder.test'"), "0", "ledger pruned")
        finally:
            responder.close()


def main():
    if not os.path.exists(SINK):
        pdtest.skip("smtp-sink (postfix) not installed")
    tests = [test_one_ack_with_headers, test_no_autoreply_cases, test_strangers_marker_is_ignored,
             test_relay_down_then_back,
             test_5xx_fails_with_reply, test_transient_4xx_gives_up_after_max_attempts,
             test_kill_mid_send_no_duplicate, test_expired_claim_never_rendered_is_requeued,
             test_sigterm_while_relay_stalls,
             test_autoresponder_loop_settles_under_cap,
             test_two_daemons_share_the_queue, test_postdesk_test_shows_the_decision,
             test_held_tickets, test_sender_under_valgrind]
    only = sys.argv[1:]
    for t in tests:
        if only and t.__name__ not in only:
            continue
        print("--", t.__name__, flush=True)
        t()
    print("ok")


if __name__ == "__main__":
    main()
