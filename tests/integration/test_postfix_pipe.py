"""A real Postfix delivers through pipe(8) to `postdesk deliver`.

The master.cf service is read from contrib/postfix/master.cf.pipe, the one
postdeskd(8) shows (user, binary and config path replaced): pipe runs `postdesk deliver` as an unprivileged user
(created if missing) with the envelope and the client's address, name and
HELO as arguments, one recipient per run.  Proves:
  - a mail becomes a ticket; source 'pipe'; the client address and HELO of
    the SMTP client reach the stored message;
  - the null sender (a bounce) arrives as an empty envelope sender;
  - an unknown recipient: EX_NOUSER (67), Postfix bounces it;
  - the database unreachable: exit 75, Postfix defers the mail (status=
    deferred) and keeps it; once the database is there, `postfix flush`
    delivers it: exactly one ticket, nothing lost.
"""
import os
import re
import time

import pdtest
import postfix

CLIENT_IP = "127.0.0.6"


def swaks(mta, sender, to, msgid, subject):
    p = pdtest.run(["swaks", "--server", "127.0.0.1:%d" % mta.port, "--local-interface",
                    CLIENT_IP, "--helo", "pipe-client.customer.test", "--from", sender,
                    "--to", to, "--header", "Subject: %s" % subject,
                    "--header", "Message-Id: %s" % msgid, "--timeout", "30"], timeout=60)
    pdtest.check(p.returncode == 0, "swaks: %d\n%s%s" % (p.returncode, p.stdout, p.stderr))


def wait_scalar(env, sql, want, *params, timeout=30):
    end = time.time() + timeout
    while True:
        got = env.scalar(sql, *params)
        if got == want or time.time() > end:
            return got
        time.sleep(0.2)


def main():
    why = postfix.available()
    if why:
        pdtest.skip(why)
    user = postfix.ensure_user()
    with pdtest.Env() as env:
        config = env.write_config(name="pipe.conf")
        good_text = open(config).read()
        os.chmod(env.dir, 0o755)
        os.chmod(config, 0o644)
        service = postfix.contrib_master_cf(user=user, postdesk=env.install_binary(), config=config)
        with postfix.Postfix(transport="postdesk:", extra_master=service,
                             main={"postdesk_destination_recipient_limit": "1"}) as mta:
            # 1. A customer mail.
            swaks(mta, "carol@customer.test", "support@example.com",
                  "<pipe-1@customer.test>", "Pipe delivery")
            mta.wait_log(r"pipe\[\d+\]: \w+: to=<support@example.com>.*"
                         r"relay=postdesk.*status=sent")
            rows = env.query("select m.source, m.client_address, m.client_helo,"
                             " m.envelope_mail_from, t.subject from messages m join tickets t"
                             " on t.id = m.ticket_id where m.message_id = 'pipe-1@customer.test'")
            pdtest.check_eq(rows, [["pipe", CLIENT_IP, "pipe-client.customer.test",
                                    "carol@customer.test", "Pipe delivery"]], "stored message")

            # 2. The null sender.
            swaks(mta, "<>", "billing@example.com", "<pipe-2@customer.test>",
                  "Undelivered Mail Returned to Sender")
            mta.wait_log(r"to=<billing@example.com>.*relay=postdesk.*status=sent")
            rows = env.query("select '<' || coalesce(envelope_mail_from, 'NULL') || '>'"
                             " from messages where message_id = 'pipe-2@customer.test'")
            pdtest.check_eq(rows, [["<>"]], "null sender stored as empty")

            # 3. An unknown recipient bounces (EX_NOUSER), from Postfix.
            swaks(mta, "carol@customer.test", "nobody@example.com",
                  "<pipe-3@customer.test>", "Who is there")
            hits = mta.wait_log(r"to=<nobody@example.com>.*relay=postdesk.*status=bounced")
            pdtest.check(len(hits) == 1, "bounced: %r" % hits)

            # 4. Database unreachable: deferred, then delivered once it is back.
            with open(config, "w") as f:
                f.write(re.sub(r"dbname=(\S+)", r"dbname=\1_not_yet", good_text))
            swaks(mta, "carol@customer.test", "support@example.com",
                  "<pipe-4@customer.test>", "Later")
            hits = mta.wait_log(r"to=<support@example.com>.*relay=postdesk.*status=deferred")
            pdtest.check(len(hits) >= 1, "deferred: %r" % hits)
            pdtest.check(mta.queue_count() == 1, "the deferred mail is still queued")
            pdtest.check_eq(env.scalar("select count(*) from messages"
                                       " where message_id = 'pipe-4@customer.test'"), "0",
                            "nothing stored while the database is away")
            with open(config, "w") as f:
                f.write(good_text)
            mta.flush()
            got = wait_scalar(env, "select count(*) from messages"
                              " where message_id = 'pipe-4@customer.test'", "1")
            pdtest.check_eq(got, "1", "delivered after the database came back")
            mta.wait_log(r"to=<support@example.com>.*relay=postdesk.*status=sent", count=2)
            end = time.time() + 10
            while mta.queue_count() and time.time() < end:
                time.sleep(0.2)
            pdtest.check_eq(mta.queue_count(), 0, "Postfix queue empty")
        pdtest.check_eq(env.scalar("select count(*) from tickets"), "3", "tickets")
    print("ok")


if __name__ == "__main__":
    main()
