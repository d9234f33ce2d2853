"""The store under real processes: no duplicates, content addressing.

- The same mail handed to 8 `postdesk deliver` processes at once (Postfix
  retrying while an earlier attempt is still committing): every process
  exits 0, and there is one message row, one ticket, one set of events.
- The same bytes to two queues: two tickets, two message rows, ONE raw
  message row and ONE attachment row (content-addressed by SHA-256).
- A reply naming the first mail in References only threads to its ticket;
  a reply naming an unknown Message-ID starts a new one.
"""
import base64
import hashlib
import subprocess

import pdtest
from pdtest import check, check_eq

ATTACHMENT = b"\x00\x01binary log bytes\xff" * 50


def mail(msgid, subject="Disk full", refs=None):
    headers = ["References: %s" % refs] if refs else []
    text = ("From: Carol <carol@customer.test>\r\n"
            "To: support@example.com, billing@example.com\r\n"
            "Subject: %s\r\nMessage-ID: %s\r\n%s"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nThe disk is full.\r\n"
            "--b\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename=log.bin\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n" %
            (subject, msgid, "".join(h + "\r\n" for h in headers),
             base64.b64encode(ATTACHMENT).decode()))
    return text.encode()


def main():
    with pdtest.Env() as env:
        config = env.write_config()
        data = mail("<race@customer.test>")
        procs = [subprocess.Popen([pdtest.POSTDESK, "-c", config, "deliver", "-f",
                                   "carol@customer.test", "support@example.com"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(8)]
        # write everything first, then close all stdins together: the
        # processes parse and reach the database at about the same time
        for p in procs:
            p.stdin.write(data)
        for p in procs:
            p.stdin.close()
        for p in procs:
            p.wait(timeout=120)
            check_eq(p.returncode, 0, "deliver exit (stderr %r)" % p.stderr.read())
        check_eq(env.scalar("select count(*) from messages"), "1", "message rows")
        check_eq(env.scalar("select count(*) from tickets"), "1", "tickets")
        check_eq(env.scalar("select count(*) from events where kind = 'ticket.created'"),
                 "1", "ticket.created events")

        # the same bytes to the other queue: a ticket of its own, shared content
        env.postdesk("deliver", "-f", "carol@customer.test", "billing@example.com",
                     input=data, check_rc=0)
        check_eq(env.scalar("select count(*) from tickets"), "2", "tickets")
        check_eq(env.scalar("select count(*) from messages"), "2", "message rows")
        check_eq(env.scalar("select count(*) from raw_messages"), "1", "raw rows")
        check_eq(env.query("select sha256, size from attachments"),
                 [[hashlib.sha256(ATTACHMENT).hexdigest(), str(len(ATTACHMENT))]],
                 "attachment rows")
        check_eq(env.scalar("select count(*) from message_attachments"), "2",
                 "message_attachments")
        raw = env.scalar("select encode(data, 'hex') from raw_messages")
        check_eq(bytes.fromhex(raw), data, "raw bytes as received")

        # threading through References only
        first = env.scalar("select t.number from tickets t join queues q on q.id = t.queue_id"
                           " where q.name = 'support'")
        env.postdesk("deliver", "-f", "carol@customer.test", "support@example.com",
                     input=mail("<r2@customer.test>", "Re: Disk full",
                                refs="<unknown@x> <race@customer.test>"), check_rc=0)
        check_eq(env.scalar("select t.number from messages m join tickets t on t.id ="
                            " m.ticket_id where m.message_id = 'r2@customer.test'"),
                 first, "threaded by References")
        check("References <race@customer.test>" in
              env.scalar("select string_agg(detail->>'reason', ',') from events"
                         " where kind = 'message.threaded'"), "threading reason")
        env.postdesk("deliver", "-f", "carol@customer.test", "support@example.com",
                     input=mail("<r3@customer.test>", "Re: something else",
                                refs="<never-stored@elsewhere>"), check_rc=0)
        check_eq(env.scalar("select count(*) from tickets"), "3", "unknown References")
    print("ok")


if __name__ == "__main__":
    main()
