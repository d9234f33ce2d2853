"""postdesk deliver, as Postfix's pipe(8) runs it: exit 0 only once stored
(a redelivery is a duplicate: still 0, one copy), 67 for a recipient no
queue has, 65 for a message over max_message_size, 75 for every transient
failure (database unreachable, configuration unreadable, bad arguments);
the reason on stderr is one line led by an enhanced status code, which
pipe(8) uses in the bounce or defer."""
import os
import re

import pdtest
from pdtest import check, check_eq


def deliver(env, args, data, config=None):
    return pdtest.run([pdtest.POSTDESK, "-c", config or env.write_config(), "deliver"] + args,
                      input=data)


def err(p):
    return p.stderr.decode("utf-8", "replace")


def main():
    with pdtest.Env(extra_config="") as env:
        config = env.write_config()
        with open(config) as f:
            text = f.read()
        small = os.path.join(env.dir, "small.conf")
        with open(small, "w") as f:
            f.write(text.replace("[lmtp]\n", "[lmtp]\nmax_message_size = 4k\n"))
        nodb = os.path.join(env.dir, "nodb.conf")
        with open(nodb, "w") as f:
            f.write(re.sub(r"conninfo = .*", "conninfo = host=%s/nowhere dbname=x "
                           "connect_timeout=2" % env.dir, text))

        # Postfix hands the message with LF line ends (pipe(8) without flag
        # "." or CRLF conversion); the envelope from the arguments.
        mail = pdtest.message(msgid="<pipe.1@customer.test>").replace(b"\r\n", b"\n")
        args = ["-f", "alice@customer.test", "-a", "192.0.2.9", "-n", "mx.customer.test",
                "-h", "helo.customer.test", "--", "support+urgent@example.com"]
        p = deliver(env, args, mail, config)
        check_eq(p.returncode, 0, "stored: exit status (stderr %r)" % err(p))
        check_eq(env.query("select envelope_mail_from, envelope_recipient, subaddress, "
                           "client_address, client_name, client_helo, source from messages"),
                 [["alice@customer.test", "support+urgent@example.com", "urgent",
                   "192.0.2.9", "mx.customer.test", "helo.customer.test", "pipe"]],
                 "stored envelope")
        p = deliver(env, args, mail, config)
        check_eq(p.returncode, 0, "redelivery: exit status")
        check_eq(env.scalar("select count(*) from messages"), "1", "one message")
        check_eq(env.scalar("select count(*) from tickets"), "1", "one ticket")

        # The null sender, passed by Postfix as an empty argument.
        p = deliver(env, ["-f", "", "billing@example.com"],
                    pdtest.message(msgid="<bounce.2@customer.test>"), config)
        check_eq(p.returncode, 0, "null sender: exit status (stderr %r)" % err(p))
        check_eq(env.scalar("select envelope_mail_from = '' from messages "
                            "where message_id = 'bounce.2@customer.test'"), "t", "null sender")

        # 67: unknown recipient.
        p = deliver(env, ["-f", "a@customer.test", "nobody@example.com"],
                    pdtest.message(), config)
        check_eq(p.returncode, 67, "unknown recipient: exit status")
        check(err(p).startswith("5.1.1 <nobody@example.com>: "), "reason: %r" % err(p))
        check_eq(err(p).count("\n"), 1, "one line")

        # 65: too big.
        big = pdtest.message(body=("x" * 70 + "\n") * 100)
        p = deliver(env, ["-f", "a@customer.test", "support@example.com"], big, small)
        check_eq(p.returncode, 65, "too big: exit status")
        check(err(p).startswith("5.3.4 "), "reason: %r" % err(p))

        # 75: database unreachable; nothing stored anywhere.
        p = deliver(env, ["-f", "a@customer.test", "support@example.com"],
                    pdtest.message(msgid="<nodb.3@customer.test>"), nodb)
        check_eq(p.returncode, 75, "database unreachable: exit status (stderr %r)" % err(p))
        check(err(p).startswith("4.3.0 <support@example.com>: "), "reason: %r" % err(p))
        # with two recipients, one unknown: the transient failure wins
        p = deliver(env, ["-f", "a@customer.test", "nobody@example.com", "support@example.com"],
                    pdtest.message(msgid="<nodb.4@customer.test>"), nodb)
        check_eq(p.returncode, 75, "mixed unknown + database down: exit status")

        # 75: configuration unreadable, arguments wrong.
        p = deliver(env, ["-f", "a@customer.test", "support@example.com"], pdtest.message(),
                    os.path.join(env.dir, "missing.conf"))
        check_eq(p.returncode, 75, "configuration unreadable: exit status")
        check(err(p).startswith("4.3.5 "), "reason: %r" % err(p))
        p = deliver(env, ["-f", "a@customer.test"], pdtest.message(), config)
        check_eq(p.returncode, 75, "no recipient: exit status")
        p = deliver(env, ["-x", "support@example.com"], pdtest.message(), config)
        check_eq(p.returncode, 75, "unknown option: exit status")

        check_eq(env.scalar("select count(*) from messages"), "2", "messages at the end")


if __name__ == "__main__":
    main()
