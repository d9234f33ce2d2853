#!/usr/bin/env python3
"""An agent's answer relays the agent's attachments (issue 4), end to end.

Same setup as test_agent_reply (postdeskd, a real Postfix, smtp-sink -L),
with [outbound] relay_attachments_max = 200k.  The agent answers the real
notification from a mail client with:
  - report.pdf (100,000 random bytes, Content-Disposition: attachment),
  - big.bin (300,000 random bytes: does not fit beside report.pdf),
  - notes.txt (inline without a Content-ID, as Apple Mail marks files),
  - logo.png, an inline image with a Content-ID in a multipart/related
    (a signature image: not a file for the customer).
The relay that reaches the sink carries report.pdf and notes.txt, base64,
with their names and types and the same SHA-256 as the agent's bytes; not
logo.png nor big.bin; its text names big.bin as left out, and a
"relay.attachments_left_out" event says so.  A #note with an attachment
relays nothing.
"""
import email
import email.policy
import hashlib
import os
from email.message import EmailMessage

import pdtest
from test_agent_reply import AGENT, CUSTOMER, CUSTOMER_IP, AGENT_IP, Desk, body_of, lmtp, \
    quoted, reply_target, run


def agent_mail_with_files(subject, text, in_reply_to, references, rcpt, files, msgid):
    """A mail client's answer: text (with an HTML alternative showing an
    inline logo) plus the files, as multipart/mixed."""
    msg = EmailMessage()
    msg["From"] = "Bob Agent <%s>" % AGENT
    msg["To"] = rcpt
    msg["Subject"] = subject
    msg["Date"] = "Mon, 23 Nov 2026 10:05:00 +0000"
    msg["Message-ID"] = msgid
    msg["In-Reply-To"] = in_reply_to
    msg["References"] = references
    msg["User-Agent"] = "Mozilla Thunderbird"
    msg.set_content(text)
    msg.add_alternative("<p>%s</p><img src=\"cid:logo@agents.test\">" %
                        text.split("\n")[0], subtype="html")
    html = msg.get_payload()[1]
    html.add_related(files.pop("logo.png"), maintype="image", subtype="png",
                     cid="<logo@agents.test>", disposition="inline", filename="logo.png")
    for name, (ctype, data, disposition) in files.items():
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name,
                           disposition=disposition)
    return msg.as_bytes(policy=email.policy.SMTP)


def files_of(dump):
    """{filename: (content type, sha256)} of a dumped mail's attachments."""
    msg = email.message_from_string(dump, policy=email.policy.default)
    out = {}
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        pdtest.check_eq(part.get("Content-Transfer-Encoding"), "base64",
                        "%s travels base64" % part.get_filename())
        out[part.get_filename()] = (part.get_content_type(), hashlib.sha256(data).hexdigest())
    return out


def scenario(env, d, sink, mta):
    desk = Desk(env, d, sink, mta)
    number = lmtp(d.port, CUSTOMER, "support@example.com",
                  pdtest.message(msgid="<att1@customer.test>",
                                 frm="Alice Example <%s>" % CUSTOMER), CUSTOMER_IP)
    reply_to, mid, refs, subject, shown = reply_target(desk)

    report, big = os.urandom(100000), os.urandom(300000)
    notes = "Reset the fuser, then print a test page.\n".encode()
    logo = os.urandom(2000)
    files = {"logo.png": logo,
             "report.pdf": ("application/pdf", report, "attachment"),
             "big.bin": ("application/octet-stream", big, "attachment"),
             "notes.txt": ("text/plain", notes, "inline")}
    data = agent_mail_with_files("Re: " + subject,
                                 "Hello Alice,\n\nthe service report is attached.\n\n"
                                 "On Mon, 23 Nov 2026, Example Support wrote:\n" + quoted(shown),
                                 mid, refs, reply_to, files, "<files@agents.test>")
    pdtest.check_eq(lmtp(d.port, AGENT, reply_to, data, AGENT_IP), number, "threads in")
    stored = env.query("select ma.filename from message_attachments ma join messages m"
                       " on m.id = ma.message_row where m.message_id = 'files@agents.test'"
                       " order by ma.position")
    pdtest.check_eq(sorted(r[0] for r in stored),
                    ["big.bin", "logo.png", "notes.txt", "report.pdf"],
                    "the ticket keeps all four parts")
    relays = desk.outbound("relay")
    pdtest.check_eq([r[2] for r in relays], [CUSTOMER], "one relay to the customer")
    desk.settled()
    relay = desk.mail_of(relays[0][0])
    sha = lambda b: hashlib.sha256(b).hexdigest()
    pdtest.check_eq(files_of(relay),
                    {"report.pdf": ("application/pdf", sha(report)),
                     "notes.txt": ("text/plain", sha(notes))},
                    "the relay carries the agent's files, bytes intact; not the signature "
                    "image, not the one that does not fit")
    text = body_of(relay)
    pdtest.check("the service report is attached." in text, "the answer:\n" + text)
    pdtest.check("too large to send by mail: big.bin." in text, "names what was left out:\n"
                 + text)
    pdtest.check("report.pdf" not in text, "only what was left out is named:\n" + text)
    left = desk.events(number, "relay.attachments_left_out")
    pdtest.check_eq(len(left), 1, "one event for the answer")
    pdtest.check_eq(([f["filename"] for f in left[0]["left_out"]], left[0]["relayed"],
                     left[0]["max"]), (["big.bin"], 2, 200 * 1024), "the event says what and why")

    # a note with a file: stored, never relayed
    before = len(desk.outbound("relay"))
    data = agent_mail_with_files("Re: " + subject, "#note\nInternal: invoice attached.\n",
                                 mid, refs, reply_to,
                                 {"logo.png": logo,
                                  "invoice.pdf": ("application/pdf", report, "attachment")},
                                 "<note-files@agents.test>")
    lmtp(d.port, AGENT, reply_to, data, AGENT_IP)
    pdtest.check_eq(env.scalar("select kind from messages where"
                               " message_id = 'note-files@agents.test'"), "note", "a note")
    pdtest.check_eq(len(desk.outbound("relay")), before, "a note relays nothing, no files")

    # an answer without files: a plain single-part mail as before
    lmtp(d.port, AGENT, reply_to, pdtest.message(
        subject="Re: " + subject, frm="Bob Agent <%s>" % AGENT, to=reply_to,
        body="Anything else, Alice?\n",
        headers=("In-Reply-To: %s" % mid, "References: %s" % refs)), AGENT_IP)
    desk.settled()
    plain = desk.mail_of(desk.outbound("relay")[-1][0])
    pdtest.check_eq(files_of(plain), {}, "no files")
    pdtest.check("multipart/mixed" not in plain, "not multipart:\n%s" % plain)
    pdtest.check("too large" not in body_of(plain), "no left-out line")


def main():
    run(scenario, [(AGENT, "--name", "Bob Agent")], "relay_attachments_max = 200k\n")


if __name__ == "__main__":
    main()
