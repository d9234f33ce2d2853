#!/usr/bin/env python3
"""No answer to bounces and auto-replies: ../shared/corpora/sisimai-bounces.

Every mail in bsd/ (612 real bounces, DSNs, ARF feedback reports and
RFC 3834 vacation answers) goes into postdeskd over LMTP with outbound mail
configured; each makes a new ticket and must get no acknowledgement, only an
"autoreply.suppressed" event.  The envelope sender is the mail's From, never
the null sender, so the decision has to come from the mail itself (a relay
that rewrote the return path must not make postdesk answer a robot).  The
vacation and feedback rows of expected.tsv are checked first and strictly;
for the other bounces, misses are listed in tests/corpus/autoreply-sisimai.
accepted with a reason.  The two not-bounce/ mails are a person's and are
answered.

In-Reply-To and References are renamed before delivery so that no corpus
mail threads into another's ticket (a threaded reply is never acknowledged,
which would hide what the policy decided).
"""
import csv
import os
import re

import pdtest
from auth_corpus import load_accepted

CORPUS = os.path.join(pdtest.CORPORA, "sisimai-bounces")


def prepare(raw):
    """CRLF, threading headers renamed; (bytes, From address or None)."""
    raw = raw.replace(b"\r\n", b"\n")
    head, sep, body = raw.partition(b"\n\n")
    head = re.sub(rb"(?mi)^(in-reply-to|references):", rb"X-Corpus-\1:", head)
    frm = None
    m = re.search(rb"(?mi)^from:(.*(?:\n[ \t].*)*)", head)
    if m:
        a = re.findall(rb"[\w.+=-]+@[\w.-]+", m.group(1))
        frm = a[-1].decode("ascii", "replace") if a else None
    return (head + sep + body).replace(b"\n", b"\r\n"), frm


def deliver(d, path):
    """Deliver one file; its ticket number."""
    with open(path, "rb") as f:
        data, frm = prepare(f.read())
    replies = pdtest.lmtp_deliver(d.port, frm or "corpus@sender.test", ["support@example.com"],
                                  data)
    pdtest.check(replies and replies[-1].startswith("250"), "%s delivered: %r" % (path, replies))
    return re.search(r"ticket (\d+)", replies[-1]).group(1)


def outcomes(env):
    """ticket number -> (acknowledgements queued, suppression reason, messages)."""
    rows = env.query("select t.number, (select count(*) from outbound o where o.ticket_id = t.id),"
                     " (select string_agg(e.detail->>'reason', ',') from events e"
                     "   where e.ticket_id = t.id and e.kind = 'autoreply.suppressed'),"
                     " (select count(*) from messages m where m.ticket_id = t.id)"
                     " from tickets t")
    return {r[0]: (int(r[1]), r[2], int(r[3])) for r in rows}


def main():
    if not os.path.isdir(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    accepted = load_accepted("autoreply-sisimai.accepted")
    with open(os.path.join(CORPUS, "expected.tsv"), encoding="utf-8") as f:
        reasons = {}
        for row in csv.DictReader(f, delimiter="\t"):
            reasons.setdefault(row["file"], set()).add(row["reason"])
    strict = sorted(f for f, r in reasons.items() if r & {"vacation", "feedback"})
    pdtest.check(len(strict) >= 20, "vacation/feedback rows: %d" % len(strict))
    others = sorted(f for f in os.listdir(os.path.join(CORPUS, "bsd"))
                    if f.endswith(".eml") and f not in strict)

    answered, unexpected, seen = [], [], {}
    with pdtest.Env() as env:
        # the relay is a closed port: rows would stay queued, which is all
        # the test needs to see (nothing leaves the machine)
        d = env.daemon(extra="[outbound]\nrelay = smtp://127.0.0.1:%d\n"
                             "from = Support <support@example.com>\n"
                             "token_keys = sisimai-corpus-key-0123456789\n"
                             "templates = %s\nautoreply_limit = 0\n"
                             % (pdtest.free_port(),
                                os.path.join(pdtest.SOURCE_DIR, "filters", "templates")))
        tickets = [(name, deliver(d, os.path.join(CORPUS, "bsd", name)))
                   for name in strict + others]
        people = [(name, deliver(d, os.path.join(CORPUS, "not-bounce", name)))
                  for name in sorted(os.listdir(os.path.join(CORPUS, "not-bounce")))]
        result = outcomes(env)
        for name, number in tickets:
            acks, reason, messages = result[number]
            pdtest.check_eq(messages, 1, "%s made its own ticket" % name)
            if acks != 0:
                answered.append(name)
            else:
                seen[reason] = seen.get(reason, 0) + 1
        for name, number in people:
            acks, reason, _ = result[number]
            if acks != 1:
                unexpected.append("%s: a person's mail not answered (%s)" % (name, reason))
    for name in answered:
        if name in strict:
            unexpected.append("%s (%s) was answered" % (name, ",".join(sorted(reasons[name]))))
        elif name not in accepted:
            unexpected.append("%s (a bounce) was answered" % name)
    for name in accepted:
        if name not in answered:
            unexpected.append("%s is listed as accepted but is no longer answered" % name)
    print("suppressed: %s" % ", ".join("%s=%d" % kv for kv in sorted(seen.items(), key=str)))
    print("%d mails, %d answered (%d accepted)" % (len(strict) + len(others), len(answered),
                                                   len(accepted)))
    if unexpected:
        pdtest.fail("\n".join(unexpected))
    print("ok")


if __name__ == "__main__":
    main()
