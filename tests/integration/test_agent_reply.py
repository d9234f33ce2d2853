#!/usr/bin/env python3
"""Agents answering from their mail client, end to end (issue 4 item 5).

postdeskd with sender authentication on (a static zone: agents.test's SPF
names AGENT_IP) sends through a real Postfix on loopback, which relays
customer.test and agents.test over LMTP to smtp-sink -L (the far side).
Mail comes in over LMTP with XFORWARD, as Postfix would hand it over.

- A customer mail gets exactly one acknowledgement.
- The agent's answer, composed the way a mail client does it (Re: subject,
  the notification quoted under an "On ... wrote:" line, In-Reply-To and
  References, sent to the token Reply-To), is stored as kind 'agent' with
  the full text, obeys its commands, sets the first response, and reaches
  the customer through Postfix from the support address: the agent's name
  and signature, never the agent's address, a real MAIL FROM, Auto-Submitted:
  no, In-Reply-To the customer's message, only the new text.
- The customer's answer to that relay threads back into the ticket.
- #pending, #assign, #priority, #close each change the ticket and write an
  event; an unknown command is not obeyed; #note is stored as a note and
  never leaves; a mail from the agent's address that fails SPF is an
  ordinary message: nothing obeyed, nothing relayed; an agent's mail that
  answers no ticket is an ordinary new ticket.
- `postdesk test` shows the agent decision and the parsed commands;
  `postdesk ticket show` the assignee and the first response.
The agent replies to the real notification postdesk sent them
(sql/functions/notify.sql), through Postfix to the sink like everything else.
"""
import json
import os
import re

import authzone
import pdtest
import postfix
from smtpsink import SINK, Sink, header

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "agent-reply-test-key-0123456789ab"
CUSTOMER = "alice@customer.test"
COLLEAGUE = "carl@customer.test"     # in Cc of the first mail: a participant
AGENT = "bob@agents.test"
OTHER_AGENT = "carol@agents.test"
AGENT_IP = "192.0.2.20"
CUSTOMER_IP = "192.0.2.30"
BAD_IP = "198.51.100.7"


def lmtp(port, sender, recipient, data, addr):
    reply = pdtest.lmtp_xforward(port, sender, recipient, data, addr)
    pdtest.check(reply.startswith("250 "), "%s -> %s: %r" % (sender, recipient, reply))
    return reply.rsplit(" ", 1)[1]


def to(dump):
    return header(dump, "X-Rcpt-Args") or ""


def body_of(dump):
    """The decoded text of a dumped single-part quoted-printable mail."""
    import email
    import email.policy
    msg = email.message_from_string(dump, policy=email.policy.default)
    part = msg.get_body(("plain",))
    return part.get_content() if part is not None else ""


def agent_mail(subject, body, in_reply_to, references, rcpt, frm="Bob Agent <%s>" % AGENT,
               msgid=None):
    return pdtest.message(subject=subject, frm=frm, to=rcpt, body=body, msgid=msgid,
                          headers=("In-Reply-To: %s" % in_reply_to,
                                   "References: %s" % references,
                                   "User-Agent: Mozilla Thunderbird"))


def quoted(text):
    return "".join("> %s\n" % line if line else ">\n" for line in text.splitlines())


class Desk:
    """postdeskd, Postfix and the sink, with helpers on the ticket."""

    def __init__(self, env, d, sink, mta):
        self.env, self.d, self.sink, self.mta = env, d, sink, mta

    def ticket(self, number):
        rows = self.env.query("select status, priority, coalesce((select address from"
                              " agent_addresses where agent_id = assignee_agent_id and"
                              " position = 0), '-'), first_response_at is not null"
                              " from tickets where number = :'p1'", number)
        return rows[0]

    def events(self, number, kind):
        return [json.loads(r[0]) for r in self.env.query(
            "select e.detail from events e join tickets t on t.id = e.ticket_id"
            " where t.number = :'p1' and e.kind = :'p2' order by e.id", number, kind)]

    def outbound(self, kind):
        return self.env.query("select id, status, array_to_string(recipients, ','),"
                              " envelope_from, auto_reply from outbound where kind = :'p1'"
                              " order by id", kind)

    def mail_of(self, outbound_id):
        """The mail of an outbound row as it reached the sink."""
        mid = "<%s>" % self.env.scalar("select message_id from outbound where id = :'p1'",
                                       outbound_id)
        found = [x for x in self.sink.dumps() if header(x, "Message-Id") == mid]
        pdtest.check_eq(len(found), 1, "outbound %s at the sink once" % outbound_id)
        return found[0]

    def settled(self):
        """Every outbound row sent and each one at the sink."""
        pdtest.outbound_settled(self.env)
        rows = self.env.query("select status from outbound")
        pdtest.check(all(r[0] == "sent" for r in rows), "outbound sent: %r" % rows)
        n = len(rows)
        pdtest.check(len(self.sink.dumps()) >= n, "%d mails at the sink" % n)
        return self.sink.dumps()


def reply_target(desk):
    """What the agent's client answers: the notification the agent got."""
    mine = [r for r in desk.outbound("notification") if r[2] == AGENT]
    pdtest.check_eq(len(mine), 1, "one notification to the agent")
    desk.settled()
    n = desk.mail_of(mine[0][0])
    reply_to = re.search(r"<([^>]+)>", header(n, "Reply-To")).group(1)
    mid = header(n, "Message-Id")
    refs = ((header(n, "References") or "") + " " + mid).strip()
    return reply_to, mid, refs, header(n, "Subject"), body_of(n)


def scenario(env, d, sink, mta):
    desk = Desk(env, d, sink, mta)
    customer_mid = "<q1@customer.test>"
    number = lmtp(d.port, CUSTOMER, "support@example.com",
                  pdtest.message(msgid=customer_mid, frm="Alice Example <%s>" % CUSTOMER,
                                 headers=("Cc: Carl <%s>" % COLLEAGUE,)),
                  CUSTOMER_IP)
    dumps = desk.settled()
    acks = [x for x in dumps if CUSTOMER in to(x)]
    pdtest.check_eq(len(acks), 1, "exactly one acknowledgement")
    pdtest.check_eq(header(acks[0], "Auto-Submitted"), "auto-replied", "the ack is automatic")

    # --- the agent answers from the mail client ------------------------------
    reply_to, mid, refs, subject, shown = reply_target(desk)
    body = ("#priority high\n\nHello Alice,\n\nwe sent a technician with a fire"
            " extinguisher.\n\nOn Mon, 23 Nov 2026 at 10:00, Example Support"
            " <support@example.com> wrote:\n" + quoted(shown))
    before = len(sink.dumps())
    n = lmtp(d.port, AGENT, reply_to, agent_mail("Re: " + subject, body, mid, refs, reply_to),
             AGENT_IP)
    pdtest.check_eq(n, number, "the answer threads into the ticket")
    row = env.query("select kind, strpos(text_body, '> Hello,') > 0 and"
                    " strpos(text_body, '#priority high') > 0, agent_id is not null"
                    " from messages where from_address = :'p1' order by id desc limit 1",
                    AGENT)[0]
    pdtest.check_eq(row[0], "agent", "stored as the agent's answer")
    pdtest.check_eq(row[1], "t", "the full text stored, quote and commands included")
    pdtest.check_eq(row[2], "t", "the message names its agent")
    pdtest.check_eq(desk.ticket(number), ["open", "high", "-", "t"],
                    "open, priority high, first response set")
    relays = desk.outbound("relay")
    pdtest.check_eq([r[2] for r in relays], [CUSTOMER, COLLEAGUE],
                    "one relay each to the requester and the Cc participant")
    for r in relays:
        pdtest.check_eq(r[3:], ["support@example.com", "f"], "a real MAIL FROM, not an auto-reply")
    dumps = desk.settled()
    pdtest.check_eq(len(dumps), before + 2, "two mails out for the answer")
    carl = desk.mail_of(relays[1][0])
    pdtest.check(to(carl).startswith("<%s>" % COLLEAGUE), "Carl's copy: %r" % to(carl))
    pdtest.check(header(carl, "Reply-To") != header(desk.mail_of(relays[0][0]), "Reply-To"),
                 "each recipient has a reply token of their own")
    relay = desk.mail_of(relays[0][0])
    pdtest.check("agents.test" not in relay, "the agent's address never shows:\n%s" % relay)
    pdtest.check_eq(header(relay, "X-Mail-Args"), "<support@example.com>", "MAIL FROM")
    pdtest.check(re.fullmatch(r'"?Bob Agent \(Example Support\)"? <support@example\.com>',
                              header(relay, "From") or ""), "From: %r" % header(relay, "From"))
    pdtest.check_eq(header(relay, "Auto-Submitted"), "no", "a person's mail")
    pdtest.check(header(relay, "X-Auto-Response-Suppress") is None, "no XARS on a person's mail")
    pdtest.check_eq(header(relay, "In-Reply-To"), customer_mid, "answers the customer's mail")
    pdtest.check(customer_mid in (header(relay, "References") or ""), "References")
    pdtest.check(("[#%s]" % number) in header(relay, "Subject"), "subject tag")
    text = body_of(relay)
    pdtest.check("we sent a technician with a fire extinguisher." in text, "the answer:\n" + text)
    for leaked in ("#priority", "wrote:", "> ", "on fire"):
        pdtest.check(leaked not in text, "%r is not relayed:\n%s" % (leaked, text))
    pdtest.check("Bob\nPrinter team" in text, "the agent record's signature:\n" + text)
    pdtest.check_eq(desk.events(number, "agent.command")[0]["result"], "applied", "event")
    pdtest.check_eq(len(desk.events(number, "ticket.first_response")), 1, "first response event")
    first_at = env.scalar("select first_response_at from tickets where number = :'p1'", number)

    # --- the customer answers the relay: back into the ticket ---------------
    relay_reply_to = re.search(r"<([^>]+)>", header(relay, "Reply-To")).group(1)
    relay_mid = header(relay, "Message-Id")
    n = lmtp(d.port, CUSTOMER, relay_reply_to, pdtest.message(
        subject="Re: " + header(relay, "Subject"), frm="Alice Example <%s>" % CUSTOMER,
        to=relay_reply_to, body="Thanks, it is out.\n\n" + quoted(text),
        headers=("In-Reply-To: %s" % relay_mid,
                 "References: %s %s" % (customer_mid, relay_mid))), CUSTOMER_IP)
    pdtest.check_eq(n, number, "the customer's answer threads back")
    pdtest.check_eq(env.scalar("select count(*) from tickets"), "1", "still one ticket")
    pdtest.check_eq(env.scalar("select kind from messages order by id desc limit 1"), "customer",
                    "the customer's answer")
    pdtest.check_eq(len(desk.outbound("ack")), 1, "no second acknowledgement")

    def answer(body, addr=AGENT_IP, frm="Bob Agent <%s>" % AGENT, sender=AGENT):
        return lmtp(d.port, sender, reply_to, agent_mail("Re: " + subject, body, mid, refs,
                                                         reply_to, frm=frm), addr)

    # --- commands ------------------------------------------------------------
    relays_before = len(desk.outbound("relay"))
    answer("#pending\n")
    pdtest.check_eq(desk.ticket(number)[0], "pending", "#pending")
    answer("#assign Carol+desk@AGENTS.test\n#frobnicate now\n")
    pdtest.check_eq(desk.ticket(number)[2], OTHER_AGENT, "#assign")
    answer("#assign nobody@customer.test\n")
    pdtest.check_eq(desk.ticket(number)[2], OTHER_AGENT, "#assign of a non-agent refused")
    answer("#priority urgent\n")
    pdtest.check_eq(desk.ticket(number)[1], "urgent", "#priority")
    cmds = desk.events(number, "agent.command")
    pdtest.check_eq([(c["command"], c["result"]) for c in cmds],
                    [("priority", "applied"), ("pending", "applied"), ("assign", "applied"),
                     ("frobnicate", "refused"), ("assign", "refused"), ("priority", "applied")],
                    "every command writes an event")
    pdtest.check_eq(cmds[3]["reason"], "unknown command", "unknown command not obeyed")
    pdtest.check_eq(len(desk.outbound("relay")), relays_before, "commands alone relay nothing")
    # "reply all": the same answer to the token address and to billing@ (an
    # address of another queue; help@ or support@ would be the same queue, so
    # the second copy a duplicate delivery: test_daemon_basic)
    replies = pdtest.lmtp_xforward(d.port, AGENT, [reply_to, "billing@example.com"], agent_mail(
        "Re: " + subject, "#priority low\nOne more thing, Alice.\n", mid, refs, reply_to,
        msgid="<twice@agents.test>"), AGENT_IP)
    pdtest.check_eq([r.rsplit(" ", 1)[1] for r in replies], [number, number],
                    "both copies thread into the ticket")
    pdtest.check_eq(env.query("select kind from messages where message_id = 'twice@agents.test'"
                              " order by id"), [["agent"], ["agent"]], "both stored as the agent's")
    pdtest.check_eq(len(desk.outbound("relay")), relays_before + 2, "relayed once per participant")
    pdtest.check_eq([c["command"] for c in desk.events(number, "agent.command")][len(cmds):],
                    ["priority"], "its command applied once")
    pdtest.check("another of our addresses" in desk.events(number, "agent.refused")[-1]["why"],
                 "the second copy says why it did nothing")
    answer("#priority urgent\n")
    relays_before += 2
    # the internal note never leaves
    answer("#note\nAlice's printer is a fire hazard, replace it.\n")
    row = env.query("select kind from messages order by id desc limit 1")[0]
    pdtest.check_eq(row[0], "note", "#note stored as a note")
    pdtest.check_eq(len(desk.outbound("relay")), relays_before, "a note is never relayed")
    # not authenticated: SPF fails for the agent's address
    answer("#close\nClosing this, Alice.\n", addr=BAD_IP)
    row = env.query("select kind from messages order by id desc limit 1")[0]
    pdtest.check_eq(row[0], "customer", "an unauthenticated agent address is not an agent")
    pdtest.check_eq(desk.ticket(number)[0], "pending", "its #close is not obeyed")
    pdtest.check_eq(len(desk.outbound("relay")), relays_before, "nor relayed")
    refused = desk.events(number, "agent.refused")
    pdtest.check_eq((len(refused), refused[-1]["commands_ignored"]), (2, 1), "refusal event")
    # the real #close
    answer("#close\nAll done, Alice. Write again any time.\n")
    t = desk.ticket(number)
    pdtest.check_eq(t[0], "closed", "#close")
    dumps = desk.settled()
    pdtest.check_eq(len(desk.outbound("relay")), relays_before + 2, "#close with text relays it")
    last = desk.mail_of(desk.outbound("relay")[-1][0])
    pdtest.check("All done, Alice." in body_of(last), "the closing answer went out")
    for x in dumps:
        pdtest.check("fire hazard" not in x and "Closing this" not in x,
                     "neither the note nor the unauthenticated text went out:\n%s" % x)
    pdtest.check_eq(sum("One more thing" in x for x in dumps), 2,
                    "the reply-all answer went out once per participant")
    pdtest.check_eq(env.scalar("select first_response_at from tickets where number = :'p1'",
                               number), first_at, "the first response stays the first")

    # an agent's mail that answers no ticket: an ordinary new ticket
    n2 = lmtp(d.port, AGENT, "support@example.com",
              pdtest.message(subject="Printer recall", frm="Bob Agent <%s>" % AGENT,
                             body="#close\nAll printers of type X are recalled.\n"), AGENT_IP)
    pdtest.check(n2 != number, "a new ticket")
    pdtest.check_eq(desk.ticket(n2)[0], "new", "its commands are not applied")
    pdtest.check_eq(desk.events(n2, "agent.refused")[0]["why"],
                    "answers no ticket: an ordinary new ticket", "and says why")

    # postdesk ticket show / postdesk test
    show = env.postdesk("ticket", "show", number, check_rc=0).stdout
    for needle in ("Assignee:        Carol <carol@agents.test>", "First response:  2",
                   "Status:          closed", "agent.command", "agent.answered",
                   "(in, agent)", "(in, note)", "agent      Bob Agent <bob@agents.test>"):
        pdtest.check(needle in show, "ticket show lacks %r:\n%s" % (needle, show))
    path = os.path.join(env.dir, "agent.eml")
    with open(path, "wb") as f:
        f.write(agent_mail("Re: " + subject, "#close\n#priority soon\nBye.\n", mid, refs,
                           reply_to))
    config = env.write_config(extra=d.extra)
    out = json.loads(env.postdesk("test", "--json", "--client", AGENT_IP, "--helo",
                                  "mail.sender.test", "--from", AGENT, path, config=config,
                                  check_rc=0).stdout)
    agent = out["recipients"][0]["agent"]
    pdtest.check_eq(agent["decision"], "answer", "postdesk test: the decision")
    pdtest.check_eq([(c["command"], c["error"]) for c in agent["answer"]["commands"]],
                    [("close", None), ("priority", "needs one of low, normal, high, urgent")],
                    "postdesk test: the commands")
    pdtest.check_eq(agent["answer"]["text"], "Bye.\n", "postdesk test: the relayed text")
    text = env.postdesk("test", "--client", AGENT_IP, "--helo", "mail.sender.test", "--from",
                        AGENT, path, config=config, check_rc=0).stdout
    pdtest.check("Agent:" in text and "#priority soon: not obeyed" in text and "#close;" in text,
                 "postdesk test text:\n%s" % text)
    # what the store refuses too (the delivery's pd_agent_command_check), and
    # who the answer goes to (pd_agent_answer_decide)
    with open(path, "wb") as f:
        f.write(agent_mail("Re: " + subject, "#assign nobody@agents.test\nHi.\n", mid, refs,
                           reply_to))
    out = json.loads(env.postdesk("test", "--json", "--client", AGENT_IP, "--helo",
                                  "mail.sender.test", "--from", AGENT, path, config=config,
                                  check_rc=0).stdout)
    agent = out["recipients"][0]["agent"]
    pdtest.check_eq((agent["decision"], agent["relay_to"]),
                    ("answer", "%s, %s" % (CUSTOMER, COLLEAGUE)),
                    "postdesk test: the relay's recipients")
    text = env.postdesk("test", "--client", AGENT_IP, "--helo", "mail.sender.test", "--from",
                        AGENT, path, config=config, check_rc=0).stdout
    pdtest.check("#assign nobody@agents.test: not obeyed, not an active agent" in text,
                 "postdesk test names the store's refusal:\n%s" % text)


def run(scenario, agents, outbound_extra=""):
    """postdeskd with [auth] on a static zone and [outbound] through a real
    Postfix to smtp-sink -L; agents: argument lists of `postdesk agent add`."""
    if not os.access(SINK, os.X_OK):
        pdtest.skip("smtp-sink (Debian package postfix) is not installed")
    why = postfix.available()
    if why:
        pdtest.skip(why)
    sink = Sink("-L")
    try:
        with postfix.Postfix(transport="lmtp:inet:[127.0.0.1]:%d" % sink.port,
                             domains=("customer.test", "agents.test")) as mta, \
                pdtest.Env() as env:
            zone = authzone.write_zone(os.path.join(env.dir, "zone"), [
                ("agents.test", "TXT", "v=spf1 ip4:%s -all" % AGENT_IP),
                ("_dmarc.agents.test", "TXT", "v=DMARC1; p=reject"),
                ("customer.test", "TXT", "v=spf1 ip4:%s -all" % CUSTOMER_IP),
            ])
            for args in agents:
                env.postdesk("agent", "add", *args, check_rc=0)
            extra = (authzone.auth_section(zone) +
                     "[outbound]\nrelay = smtp://127.0.0.1:%d\n"
                     "from = Example Support <support@example.com>\n"
                     "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
                     "retry_delays = 1\n%s" % (mta.port, KEY, TEMPLATES, outbound_extra))
            d = env.daemon(extra=extra)
            d.extra = extra
            scenario(env, d, sink, mta)
    finally:
        sink.stop()
    print("ok")


def main():
    run(scenario, [(AGENT, "--name", "Bob Agent", "--signature", "Bob\nPrinter team"),
                   (OTHER_AGENT, "--name", "Carol")])


if __name__ == "__main__":
    main()
