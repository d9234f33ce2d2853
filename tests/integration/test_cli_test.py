"""postdesk test: every parsed field, the queue, the idempotency key and
the threading decision, as JSON (parsed here) and as text; the database is
only read (nothing written) and, when unreachable, threading is
"unknown (no database)"."""
import base64
import hashlib
import json
import os
import re

import pdtest
from pdtest import check, check_eq

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8


def sample():
    pdf64 = base64.encodebytes(PDF).decode().replace("\n", "\r\n")
    return ("From: =?utf-8?q?Zo=C3=AB_Example?= <zoe@customer.test>\r\n"
            "To: Support <support@example.com>, other@elsewhere.test\r\n"
            "Cc: Boss <boss@customer.test>\r\n"
            "Reply-To: Desk <desk@customer.test>\r\n"
            "Subject: =?utf-8?b?UmU6IERydWNrZXIgYnJlbm50IOKAkyBiaXR0ZSBoZWxmZW4=?=\r\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
            "Message-ID: <reply.2@customer.test>\r\n"
            "In-Reply-To: <first.1@customer.test>\r\n"
            "References: <zero.0@customer.test> <first.1@customer.test>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=sep\r\n\r\n"
            "--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hallo, der Drucker brennt \"immer noch\".\r\n\r\n"
            "--sep\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + pdf64 + "--sep--\r\n").encode()


def counts(env):
    return env.query("select (select count(*) from tickets), (select count(*) from messages), "
                     "(select count(*) from events)")


def main():
    with pdtest.Env() as env:
        config = env.write_config()
        # Zoë's own first mail: only a participant's reply threads (sql/functions/thread.sql)
        first = pdtest.message(msgid="<first.1@customer.test>", frm="zoe@customer.test")
        pdtest.run([pdtest.POSTDESK, "-c", config, "deliver", "-f", "zoe@customer.test",
                    "support@example.com"], input=first, check_rc=0)
        number = env.scalar("select number from tickets")
        before = counts(env)

        path = os.path.join(env.dir, "sample.eml")
        with open(path, "wb") as f:
            f.write(sample())
        p = env.postdesk("test", "--json", "--from", "zoe@customer.test", path, check_rc=0)
        out = json.loads(p.stdout)
        check_eq(out["from"], {"address": "zoe@customer.test", "name": "Zoë Example"}, "from")
        check_eq(out["to"], [{"address": "support@example.com", "name": "Support"},
                             {"address": "other@elsewhere.test", "name": None}], "to")
        check_eq(out["cc"], [{"address": "boss@customer.test", "name": "Boss"}], "cc")
        check_eq(out["reply_to"], {"address": "desk@customer.test", "name": "Desk"}, "reply_to")
        check_eq(out["subject"], "Re: Drucker brennt \u2013 bitte helfen", "subject")
        check_eq(out["message_id"], "reply.2@customer.test", "message_id")
        check_eq(out["in_reply_to"], "first.1@customer.test", "in_reply_to")
        check_eq(out["references"], ["zero.0@customer.test", "first.1@customer.test"],
                 "references")
        check_eq(out["date"], "2026-11-23T09:00:00Z", "date")
        check("der Drucker brennt \"immer noch\"." in out["text_body"], "text body")
        check_eq(len(out["attachments"]), 1, "attachments")
        att = out["attachments"][0]
        check_eq((att["filename"], att["content_type"], att["size"], att["sha256"]),
                 ("report.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()),
                 "attachment")
        check(isinstance(out["warnings"], list), "warnings is a list")
        check_eq(out["class"]["auto_submitted"], True, "class.auto_submitted")
        check_eq(out["class"]["list"], False, "class.list")
        check_eq(out["envelope"], {"mail_from": "zoe@customer.test", "recipients": []},
                 "envelope")
        # no --to: the To/Cc addresses a queue has
        check_eq(len(out["recipients"]), 1, "recipients")
        r = out["recipients"][0]
        check_eq((r["recipient"], r["queue"]), ("support@example.com", "support"), "queue")
        check(re.fullmatch(r"[0-9a-f]{64}", r["idempotency_key"]), "key: %r" % r)
        check_eq(r["thread"]["decision"], "existing", "threading decision")
        check_eq(str(r["thread"]["ticket"]), number, "threaded ticket")
        check("first.1@customer.test" in r["thread"]["reason"], "reason: %r" % r)
        check_eq(out["thread_candidates"][0], "first.1@customer.test", "In-Reply-To first")
        check_eq(out["stored"], False, "stored")
        check_eq(counts(env), before, "nothing written by postdesk test")

        # The same key as delivery computes: delivering it is stored under it.
        pdtest.run([pdtest.POSTDESK, "-c", config, "deliver", "support@example.com"],
                   input=sample(), check_rc=0)
        check_eq(env.scalar("select idempotency_key from messages "
                            "where message_id = 'reply.2@customer.test'"),
                 r["idempotency_key"], "idempotency key matches delivery")
        before = counts(env)

        # --to, stdin, an unknown recipient, a new conversation.
        p = env.postdesk("test", "--json", "--to", "billing+q3@example.com", "--to",
                         "nobody@example.com", "-", input=pdtest.message(
                             msgid="<new.9@customer.test>").decode())
        out = json.loads(p.stdout)
        check_eq([(x["recipient"], x["queue"], x["subaddress"], x["thread"]["decision"])
                  for x in out["recipients"]],
                 [("billing+q3@example.com", "billing", "q3", "new"),
                  ("nobody@example.com", None, None, "new")], "recipients")

        # Readable text.
        p = env.postdesk("test", path, check_rc=0)
        for needle in ("Zoë Example <zoe@customer.test>", "Re: Drucker brennt",
                       "report.pdf", hashlib.sha256(PDF).hexdigest(), "auto-submitted",
                       "existing ticket %s" % number, "Nothing was stored."):
            check(needle in p.stdout, "text output lacks %r:\n%s" % (needle, p.stdout))
        check_eq(counts(env), before, "nothing written by postdesk test")

        # No database: still every field; threading unknown.
        with open(config) as f:
            text = f.read()
        nodb = os.path.join(env.dir, "nodb.conf")
        with open(nodb, "w") as f:
            f.write(re.sub(r"conninfo = .*", "conninfo = host=%s/nowhere dbname=x" % env.dir,
                           text))
        p = env.postdesk("test", "--json", path, config=nodb, check_rc=0)
        out = json.loads(p.stdout)
        check_eq(out["recipients"][0]["thread"], {"decision": "unknown", "ticket": None,
                                                  "reason": "no database"}, "no database")
        check_eq(out["subject"], "Re: Drucker brennt \u2013 bitte helfen", "subject")
        p = env.postdesk("test", path, config=nodb, check_rc=0)
        check("unknown (no database)" in p.stdout, "text: %s" % p.stdout)

        # JSON escaping of control characters and quotes survives json.loads.
        nasty = (b"From: \"Q\\\"uote\" <q@customer.test>\r\nTo: support@example.com\r\n"
                 b"Subject: tab\there \\ back\r\nMessage-ID: <n@c.test>\r\n\r\n"
                 b"bell\x07 esc\x1b nul\x00 del\x7f\r\n")
        p = env.postdesk("test", "--json", "-", input=nasty.decode("latin-1"))
        check_eq(p.returncode, 0, "exit status")
        out = json.loads(p.stdout)
        check("tab" in out["subject"], "subject: %r" % out["subject"])

        # A mail without From: its sender is the envelope sender, in the test
        # as in the delivery (pd_deliver_message's requester), so Zoë's reply
        # threads into her ticket both ways.
        nofrom = ("To: support@example.com\r\nSubject: still broken\r\n"
                  "Message-ID: <nofrom.3@customer.test>\r\n"
                  "In-Reply-To: <first.1@customer.test>\r\n\r\nstill broken\r\n")
        p = env.postdesk("test", "--json", "--from", "zoe@customer.test", "-", input=nofrom,
                         check_rc=0)
        t = json.loads(p.stdout)["recipients"][0]["thread"]
        check_eq((t["decision"], str(t["ticket"])), ("existing", number),
                 "no From: postdesk test threads by the envelope sender (%r)" % t)
        pdtest.run([pdtest.POSTDESK, "-c", config, "deliver", "-f", "zoe@customer.test",
                    "support@example.com"], input=nofrom.encode(), check_rc=0)
        check_eq(env.scalar("select t.number from messages m join tickets t on t.id = m.ticket_id"
                            " where m.message_id = 'nofrom.3@customer.test'"), number,
                 "no From: the delivery threads by the envelope sender")

        # Usage errors.
        p = env.postdesk("test")
        check_eq(p.returncode, 64, "no file: exit status")
        p = env.postdesk("test", os.path.join(env.dir, "missing.eml"))
        check_eq(p.returncode, 66, "missing file: exit status")


if __name__ == "__main__":
    main()
