#!/usr/bin/env python3
"""A request that needs a permission its contact lacks (issue 4 item 3), end
to end: real PostgreSQL, postdeskd over LMTP with sender authentication
(DKIM against a static zone), Postfix's smtp-sink as the relay.

  - an authenticated support-only contact writing to billing@ gets the
    authorization notice (instead of the plain acknowledgement) and the
    account's primary holder gets the approval request;
  - the holder's reply to it, composed like a mail client's (Re: subject,
    In-Reply-To, quoted text, sent to the Reply-To token address), with
    APPROVE on the first line and DKIM-signed, clears needs_authorization
    and the contact is told; REFUSE marks it refused and the contact is told;
  - a forged (unauthenticated) APPROVE from the holder's address, an APPROVE
    from someone else on the ticket (the contact), and other words from the
    holder change nothing but an "authorization.ignored" event;
  - an unauthenticated contact's request asks nobody (DESIGN invariant 4):
    plain acknowledgement, "authorization.not_requested"; nor does an
    automatic mail (Auto-Submitted) from the authenticated contact;
  - `postdesk ticket show` and `postdesk test` show the state and decision.
"""
import json
import os
import re

import authzone
import pdtest
from pdtest import check, check_eq, wait_for
from smtpsink import SINK, Sink, header

QUEUES = """
[queue support]
addresses = support@example.com

[queue billing]
addresses = billing@example.com
permission = billing
"""
TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "authorization-test-key-0123456789"
HOLDER = "hana@acme.test"
CONTACT = "sam@acme.test"
BAD_IP = "198.51.100.7"		# in nobody's SPF record: only DKIM can pass


def outbound(relay_port):
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = Example Support <support@example.com>\n"
            "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
            "retry_delays = 1\nconnect_timeout = 5\nreply_timeout = 5\ntimeout = 5\n"
            "autoreply_limit = 10\n"
            % (relay_port, KEY, TEMPLATES))


def words(text):
    """text with every run of whitespace as one space (templates wrap lines)"""
    return re.sub(r"\s+", " ", text)


class World:
    def __init__(self, env, d, sink, key):
        self.env, self.d, self.sink, self.key = env, d, sink, key

    def deliver(self, data, sender, rcpt, signed):
        if signed:
            data = authzone.dkim_sign(data, self.key, "acme.test", "sel")
        reply = pdtest.lmtp_xforward(self.d.port, sender, rcpt, data, BAD_IP)
        check(reply.startswith("250 "), "delivered: %r" % reply)
        return reply.rsplit(" ", 1)[1]

    def request(self, subject, signed=True, headers=()):
        data = pdtest.message(subject=subject, frm="Sam Small <%s>" % CONTACT,
                              to="billing@example.com", headers=headers,
                              body="Please send me the invoices of 2026.\nThanks, Sam\n")
        return self.deliver(data, CONTACT, "billing@example.com", signed)

    def mail(self, address, subject):
        """The mail the sink took for address whose Subject contains
        subject (waits for it; the sink's file names are not in order)."""
        def got():
            mails = [m for m in self.sink.dumps()
                     if header(m, "X-Rcpt-Args") == "<%s>" % address
                     and subject in (header(m, "Subject") or "")]
            check(len(mails) <= 1, "one mail to %s about %r" % (address, subject))
            return mails[0] if mails else None
        return wait_for("the mail to %s about %r" % (address, subject), got)

    def reply(self, mail, frm, first_line, signed=True):
        """Deliver a mail client's reply to a mail the sink took."""
        to, data = self.reply_data(mail, frm, first_line)
        return self.deliver(data, frm[frm.index("<") + 1:-1], to, signed)

    def reply_data(self, mail, frm, first_line):
        """A mail client's reply to a mail the sink took: to its Reply-To,
        Re: subject, In-Reply-To/References, the original quoted.
        Returns (the Reply-To address, the bytes)."""
        reply_to = header(mail, "Reply-To")
        to = reply_to[reply_to.rindex("<") + 1:-1]
        msgid = header(mail, "Message-Id")
        body = mail.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in mail else mail.split("\n\n", 1)[1]
        quoted = "\n".join("> " + line for line in body.replace("\r\n", "\n").split("\n"))
        data = pdtest.message(subject="Re: " + header(mail, "Subject"), frm=frm, to=to,
                              body="%s\n\nOn Monday, Example Support wrote:\n%s\n"
                                   % (first_line, quoted),
                              headers=["In-Reply-To: %s" % msgid, "References: %s" % msgid])
        return to, data

    def state(self, number):
        return self.env.query("select coalesce(authorization_state, '-'), needs_authorization,"
                              " coalesce(authorization_holder, '-') from tickets"
                              " where number = :'p1'", number)[0]

    def events(self, number, kind):
        rows = self.env.query("select e.detail::text from events e join tickets t"
                              " on t.id = e.ticket_id where t.number = :'p1'"
                              " and e.kind = :'p2' order by e.id", number, kind)
        return [json.loads(r[0]) for r in rows]

    def outbound(self, number):
        return self.env.query("select o.kind, o.template, o.recipients[1] from outbound o"
                              " join tickets t on t.id = o.ticket_id where t.number = :'p1'"
                              " order by o.id", number)


def main():
    if not os.path.exists(SINK):
        pdtest.skip("smtp-sink (postfix) not installed")
    sink = Sink()
    try:
        with pdtest.Env(queues=QUEUES) as env:
            key = authzone.Key(env.dir)
            zone = authzone.write_zone(os.path.join(env.dir, "zone"), [
                ("acme.test", "TXT", "v=spf1 -all"),
                ("_dmarc.acme.test", "TXT", "v=DMARC1; p=none"),
                ("sel._domainkey.acme.test", "TXT", key.dns),
            ])
            for args in (("account", "add", "Acme", "--domain", "acme.test"),
                         ("contact", "add", "Acme", HOLDER, "--primary", "--name", "Hana Holder",
                          "--permissions", "support,technical,billing,records,contacts"),
                         ("contact", "add", "Acme", CONTACT, "--name", "Sam Small",
                          "--permissions", "support")):
                env.postdesk(*args, check_rc=0)
            env.query("update outbound set status = 'cancelled'")	# the welcome mail
            d = env.daemon(extra=outbound(sink.port) + authzone.auth_section(zone))
            w = World(env, d, sink, key)

            # the authenticated contact asks for something it may not
            t1 = w.request("Invoices 2026")
            notice = w.mail(CONTACT, "Approval needed: Invoices 2026")
            ask = w.mail(HOLDER, "[#%s] Please approve" % t1)
            notice_text, ask_text = words(notice), words(ask)
            check_eq(w.outbound(t1), [["authorization", "approval-request", HOLDER],
                                      ["ack", "authorization-notice", CONTACT]], "rows")
            check_eq(w.state(t1), ["requested", "t", HOLDER], "asked")
            check('needs the permission "billing"' in notice_text, "notice:\n" + notice)
            check("asked the account holder" in notice_text, "notice:\n" + notice)
            check("Hello Hana Holder," in ask_text, "the holder is greeted:\n" + ask)
            check("Sam Small <%s>" % CONTACT in ask_text and "Invoices 2026" in ask_text and
                  "invoices of 2026" in ask_text, "the request is described:\n" + ask)
            check_eq(header(ask, "Auto-Submitted"), "auto-generated", "approval: generated")
            check_eq(header(ask, "X-Mail-Args"), "<>", "null sender")
            check_eq(header(ask, "X-Postdesk-Ticket"), t1, "our marker")
            check_eq(w.events(t1, "authorization.requested")[0]["holder"], HOLDER, "event")

            # a forged APPROVE: the holder's address through the holder's own
            # token, but not authenticated
            got = w.reply(ask, "Hana Holder <%s>" % HOLDER, "APPROVE", signed=False)
            check_eq(got, t1, "the forged reply threads (token) but ...")
            check_eq(w.state(t1), ["requested", "t", HOLDER], "... changes nothing")
            check_eq(w.events(t1, "authorization.ignored")[-1]["why"],
                     "From domain not authenticated", "why")

            # APPROVE from someone else on the ticket: the contact itself,
            # authenticated, replying to its notice
            got = w.reply(notice, "Sam Small <%s>" % CONTACT, "APPROVE")
            check_eq(got, t1, "the contact's reply threads")
            check_eq(w.state(t1), ["requested", "t", HOLDER], "the contact cannot approve")
            check_eq(w.events(t1, "authorization.ignored")[-1]["why"],
                     "the sender is not the primary holder who was asked", "why")

            # the holder, authenticated, with other words
            w.reply(ask, "Hana Holder <%s>" % HOLDER, "Who is Sam?")
            check_eq(w.state(t1), ["requested", "t", HOLDER], "no answer word")
            check_eq(w.events(t1, "authorization.ignored")[-1]["why"],
                     "the first line is not APPROVE or REFUSE", "why")

            # the holder's authenticated APPROVE
            w.reply(ask, "Hana Holder <%s>" % HOLDER, "Approve.")
            check_eq(w.state(t1), ["approved", "f", HOLDER], "approved")
            approved = w.events(t1, "authorization.approved")
            check_eq([(e["by"], e["permission"]) for e in approved], [(HOLDER, "billing")],
                     "event with who")
            told = w.mail(CONTACT, "Approved: Invoices 2026")
            check("has approved your request" in words(told), "the contact is told:\n" + told)
            check_eq(header(told, "Auto-Submitted"), "auto-replied", "told: auto-replied")
            check_eq(header(told, "X-Postdesk-Ticket"), t1, "told: our marker")
            # a second answer changes nothing
            w.reply(ask, "Hana Holder <%s>" % HOLDER, "REFUSE")
            check_eq(w.state(t1), ["approved", "f", HOLDER], "the first answer stands")
            check_eq(len(w.events(t1, "authorization.refused")), 0, "no refusal")

            show = env.postdesk("ticket", "show", t1, check_rc=0).stdout
            check("Authorization:   approved by %s (billing)" % HOLDER in show,
                  "ticket show:\n" + show)

            # REFUSE
            t2 = w.request("Change the bank account")
            ask2 = w.mail(HOLDER, "[#%s] Please approve" % t2)
            check("Change the bank account" in words(ask2), "second approval request")
            show = env.postdesk("ticket", "show", t2, check_rc=0).stdout
            check("Authorization:   needed; requested from %s (billing)" % HOLDER in show,
                  "ticket show:\n" + show)
            w.reply(ask2, "Hana Holder <%s>" % HOLDER, "REFUSE")
            check_eq(w.state(t2), ["refused", "t", HOLDER], "refused")
            check_eq(w.events(t2, "authorization.refused")[0]["by"], HOLDER, "event")
            told = w.mail(CONTACT, "Not approved: Change the bank account")
            check("has not approved your request" in words(told), "told:\n" + told)
            show = env.postdesk("ticket", "show", t2, check_rc=0).stdout
            check("Authorization:   refused by %s (billing)" % HOLDER in show,
                  "ticket show:\n" + show)

            # an unauthenticated contact's request asks nobody
            t3 = w.request("Forged invoices", signed=False)
            check_eq(w.outbound(t3), [["ack", "ack", CONTACT]], "plain ack only")
            check_eq(w.state(t3), ["-", "t", "-"], "needs authorization, nobody asked")
            why = w.events(t3, "authorization.not_requested")[0]["why"]
            check("not authenticated" in why, "why: %r" % why)

            # an automatic mail from the contact (its vacation notice) asks nobody
            t5 = w.request("Out of office", headers=["Auto-Submitted: auto-replied"])
            check_eq(w.outbound(t5), [], "nothing queued")
            check_eq(w.state(t5), ["-", "t", "-"], "needs authorization, nobody asked")
            check_eq(w.events(t5, "authorization.not_requested")[0]["why"],
                     "no automatic mail for this message (auto-submitted)", "why")

            # postdesk test: the decision, nothing stored
            before = env.scalar("select count(*) from outbound")
            path = os.path.join(env.dir, "request.eml")
            with open(path, "wb") as f:
                f.write(authzone.dkim_sign(pdtest.message(frm=CONTACT, to="billing@example.com"),
                                           key, "acme.test", "sel"))
            config = env.write_config(extra=outbound(sink.port) + authzone.auth_section(zone))
            out = json.loads(env.postdesk("test", "--json", "--from", CONTACT, path,
                                          config=config, check_rc=0).stdout)
            check_eq(out["recipients"][0]["authorization"],
                     {"action": "request", "detail": "ask the primary holder %s" % HOLDER},
                     "test --json")
            text = env.postdesk("test", "--from", CONTACT, path, config=config,
                                check_rc=0).stdout
            check(re.search(r"\n  Authorization:\s+request \(ask the primary holder %s\)"
                            % re.escape(HOLDER), text), text)
            # ... and for the holder's answer to a pending request
            t4 = w.request("Cancel the contract")
            to, data = w.reply_data(w.mail(HOLDER, "[#%s] Please approve" % t4),
                                    "Hana Holder <%s>" % HOLDER, "REFUSE")
            with open(path, "wb") as f:
                f.write(authzone.dkim_sign(data, key, "acme.test", "sel"))
            before = env.scalar("select count(*) from outbound")
            out = json.loads(env.postdesk("test", "--json", "--from", HOLDER, "--to", to, path,
                                          config=config, check_rc=0).stdout)
            check_eq(out["recipients"][0]["thread"]["ticket"], int(t4), "threads to t4")
            check_eq(out["recipients"][0]["authorization"],
                     {"action": "refuse", "detail": "the answer of the primary holder %s"
                      % HOLDER}, "test --json, the answer")
            check_eq(w.state(t4), ["requested", "t", HOLDER], "nothing stored")
            check_eq(env.scalar("select count(*) from outbound"), before, "nothing queued")

            pdtest.outbound_settled(env)
            check_eq(len(sink.dumps()), 9, "mails: 3 notices, 3 requests, 2 answers, 1 ack")
    finally:
        sink.stop()
    print("ok")


if __name__ == "__main__":
    main()
