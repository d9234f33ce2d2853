"""postdesk db migrate|status and ticket list|show against a real PostgreSQL.

Mail goes in through `postdesk deliver` (the real pipeline), the CLI's
output is read back: the table, the ticket with its messages, attachments
(name, type, size, sha256; `ticket attachment SHA256` prints the bytes,
decoded from the raw message) and events; terminal escapes from mail never
reach the output; bad arguments exit 64, an unknown ticket 67, a database
without the schema 78.
"""
import hashlib
import os
import re

import pdtest
from pdtest import check, check_eq

PDF = b"%PDF-1.4 pretend this is an invoice\n"


def mail_with_attachment(msgid):
    import base64
    body = base64.b64encode(PDF).decode()
    text = ("From: Alice Example <alice@customer.test>\r\n"
            "To: support@example.com\r\n"
            "Subject: Invoice \x1b[31mwrong\r\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: <%s>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=xyz\r\n\r\n"
            "--xyz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "The invoice is wrong.\r\nSee attached.\r\n"
            "--xyz\r\nContent-Type: application/pdf; name=invoice.pdf\r\n"
            "Content-Disposition: attachment; filename=invoice.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--xyz--\r\n" % (msgid, body))
    return text.encode()


def deliver(env, data, rcpt="support@example.com"):
    env.postdesk("deliver", "-f", "alice@customer.test", rcpt, input=data, check_rc=0)


def usage(env, *args, rc=64, say=None):
    p = env.postdesk(*args, check_rc=rc)
    if say:
        check(say in p.stderr, "%s: stderr %r lacks %r" % (args, p.stderr, say))
    return p


def main():
    with pdtest.Env(migrate=False) as env:
        # an empty database: status says so, ticket commands refuse (78)
        p = env.postdesk("db", "status", check_rc=1)
        check("pending" in p.stdout, p.stdout)
        usage(env, "ticket", "list", rc=78, say="db migrate")
        p = env.postdesk("db", "migrate", check_rc=0)
        check("applied 0001_baseline" in p.stdout, p.stdout)
        p = env.postdesk("db", "migrate", check_rc=0)
        check("nothing to apply" in p.stdout, p.stdout)
        p = env.postdesk("db", "status", check_rc=0)
        check("up to date" in p.stdout, p.stdout)
        check_eq(env.scalar("select count(*) = max(version) from schema_version"), "t",
                 "one schema_version row per migration")

        p = env.postdesk("ticket", "list", check_rc=0)
        check_eq(p.stdout, "no tickets\n", "empty list")

        deliver(env, mail_with_attachment("inv.1@customer.test"))
        deliver(env, pdtest.message(subject="Re: Invoice", msgid="<inv.2@customer.test>",
                                    body="Any news?\n",
                                    headers=["In-Reply-To: <inv.1@customer.test>"]))
        deliver(env, pdtest.message(subject="Refund please", frm="bob@other.test",
                                    msgid="<bill.1@other.test>"), "billing@example.com")

        p = env.postdesk("ticket", "list", check_rc=0)
        lines = p.stdout.splitlines()
        check_eq(len(lines), 3, "header + 2 tickets:\n" + p.stdout)
        check(re.match(r"NUMBER\s+STATUS\s+QUEUE\s+REQUESTER\s+SUBJECT\s+MSGS\s+UPDATED$",
                       lines[0]), lines[0])
        rows = {l.split()[0]: l for l in lines[1:]}
        check_eq(sorted(rows), ["10001", "10002"], "ticket numbers")
        check(re.match(r"10001\s+new\s+support\s+alice@customer\.test\s+Invoice .*wrong\s+2\s+"
                       r"\d{4}-\d\d-\d\d \d\d:\d\d$", rows["10001"]), rows["10001"])
        check(re.match(r"10002\s+new\s+billing\s+bob@other\.test\s+Refund please\s+1\s+",
                       rows["10002"]), rows["10002"])
        check("\x1b" not in p.stdout, "escape sequence reached the terminal")

        p = env.postdesk("ticket", "list", "--queue", "billing", check_rc=0)
        check_eq(len(p.stdout.splitlines()), 2, "--queue billing")
        check("10002" in p.stdout, p.stdout)
        p = env.postdesk("ticket", "list", "--limit", "1", check_rc=0)
        check_eq(len(p.stdout.splitlines()), 2, "--limit 1")
        p = env.postdesk("ticket", "list", "--status", "closed", check_rc=0)
        check_eq(p.stdout, "no tickets\n", "--status closed")

        p = env.postdesk("ticket", "show", "10001", check_rc=0)
        out = p.stdout
        check("\x1b" not in out, "escape sequence reached the terminal")
        check(out.startswith("Ticket 10001: Invoice "), out[:80])
        for want in ["Status:          new", "Queue:           support",
                     "Requester:       Alice Example <alice@customer.test>",
                     "requester  Alice Example <alice@customer.test>",
                     "Message 1 of 2 (in, customer)", "Message 2 of 2 (in, customer)",
                     "From:            Alice Example <alice@customer.test>",
                     "Message-ID:      <inv.1@customer.test>",
                     "Subject:         Re: Invoice",
                     "    The invoice is wrong.\n    See attached.\n",
                     "    Any news?\n",
                     "invoice.pdf  application/pdf  %d bytes  sha256 %s" %
                     (len(PDF), hashlib.sha256(PDF).hexdigest()),
                     "ticket.created", "message.threaded", "message.received",
                     "In-Reply-To <inv.1@customer.test>"]:
            check(want in out, "ticket show lacks %r:\n%s" % (want, out))
        check(re.search(r"Date:\s+2026-11-23 \d\d:00:00 [+-]\d{4}", out), "date line")
        p = env.postdesk("ticket", "show", "#10002", check_rc=0)
        check("Refund please" in p.stdout, p.stdout)

        # the attachment's bytes: stored once, as a span of the raw message
        # (message_attachments), decoded on demand and checked against the hash
        sha = hashlib.sha256(PDF).hexdigest()
        check_eq(env.query("select a.data is null, ma.transfer_encoding from attachments a"
                           " join message_attachments ma using (sha256)"),
                 [["t", "base64"]], "attachment stored as a span of the raw message")
        p = pdtest.run([pdtest.POSTDESK, "-c", env.write_config(), "ticket", "attachment",
                        sha.upper()], input=b"", check_rc=0)
        check_eq(p.stdout, PDF, "ticket attachment bytes")
        usage(env, "ticket", "attachment", "0" * 64, rc=67, say="no attachment")
        usage(env, "ticket", "attachment", "xyz", say="not a SHA-256")
        usage(env, "ticket", "attachment", say="which one")
        # bytes that no longer match their hash are refused, not printed
        env.query("update raw_messages set data = convert_to(replace(convert_from(data, 'UTF8'),"
                  " 'JVBE', 'JVBF'), 'UTF8')")
        p = pdtest.run([pdtest.POSTDESK, "-c", env.write_config(), "ticket", "attachment", sha],
                       input=b"")
        check(p.returncode != 0 and p.stdout == b"" and b"hash to" in p.stderr,
              "tampered attachment: rc %d stderr %r" % (p.returncode, p.stderr))

        # unknown ticket: EX_NOUSER (67), the same code as an unknown recipient
        usage(env, "ticket", "show", "99999", rc=67, say="no ticket 99999")
        # bad arguments: 64 with a message, nothing else
        usage(env, "ticket", say="which action")
        usage(env, "ticket", "close", "1", say="unknown action")
        usage(env, "ticket", "show", say="which ticket")
        usage(env, "ticket", "show", "abc", say="not a ticket number")
        usage(env, "ticket", "show", "0", say="not a ticket number")
        usage(env, "ticket", "show", "1", "2", say="which ticket")
        usage(env, "ticket", "list", "--status", "bogus", say="unknown status")
        usage(env, "ticket", "list", "--limit", "0", say="--limit")
        usage(env, "ticket", "list", "--limit", "ten", say="--limit")
        usage(env, "ticket", "list", "--queue", say="missing value")
        usage(env, "ticket", "list", "extra", say="unknown option")
        usage(env, "db", say="which action")
        usage(env, "db", "drop", say="unknown action")
        usage(env, "db", "status", "now", say="unexpected argument")
        usage(env, "db", "migrate", "--sql-dir", "/nonexistent/sql", say="/nonexistent/sql")

        # a database newer than this postdesk: status 1, ticket commands 78
        env.query("insert into schema_version (version, name) values (9999, 'future')")
        p = env.postdesk("db", "status", check_rc=1)
        check("newer" in p.stdout, p.stdout)
        usage(env, "ticket", "list", rc=78, say="newer")
        usage(env, "db", "migrate", rc=64, say="newer")
    print("ok")


if __name__ == "__main__":
    main()
