"""What an acknowledgement echoes (issue 8, item 6), end to end: postdeskd,
real PostgreSQL, SPF against a static zone, Postfix's smtp-sink.

To a sender who is not authenticated (the From may be forged: the ack goes
to whoever it names), the subject and the display name echoed are cut to
80 characters and their URLs and host names cannot be clicked
(lib/ticket/pd-echo.h); an authenticated sender's are echoed as written.
`[outbound] acknowledge = authenticated` answers authenticated senders
only (the others get an autoreply.suppressed event saying why), and
check-config refuses a value that is not all, authenticated or none.
"""
import email
import email.header
import email.policy
import os
import signal

import authzone
import pdtest
from smtpsink import Sink
from test_auth_lmtp import GOOD_IP, BAD_IP, lmtp
from test_outbound_ack import outbound_config

QUEUES = """
[queue support]
addresses = support@example.com
"""


def parsed(dump):
    return email.message_from_string(dump, policy=email.policy.default)


def main():
    sink = Sink()
    try:
        with pdtest.Env(queues=QUEUES) as env:
            zone = authzone.write_zone(os.path.join(env.dir, "zone"), [
                ("acme.test", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP)])
            auth = authzone.auth_section(zone)
            d = env.daemon(extra=outbound_config(sink.port) + auth)

            def send(frm, sender, addr, subject):
                data = pdtest.message(frm=frm, subject=subject)
                return lmtp(d.port, sender, "support@example.com", data, addr=addr)

            spam = "Claim your prize at www.prize.example today " + "x" * 100
            send('"Win now http://prize.example" <victim@customer.test>',
                 "victim@customer.test", BAD_IP, spam)
            docs = "See http://docs.acme.test/printer for the model"
            send('"Bill (docs.acme.test)" <bill@acme.test>', "bill@acme.test", GOOD_IP, docs)
            pdtest.wait_for("two acknowledgements", lambda: len(sink.dumps()) >= 2)
            acks = {str(parsed(m)["To"].addresses[0].addr_spec): parsed(m)
                    for m in sink.dumps()}

            forged = acks["victim@customer.test"]
            subject = str(forged["Subject"])
            echoed = subject.split("] ", 1)[1]
            pdtest.check_eq(echoed, ("Claim your prize at www[.]prize[.]example today "
                                     + "x" * 36 + "…"), "unauthenticated: subject cut, defanged")
            pdtest.check_eq(forged["To"].addresses[0].display_name,
                            "Win now hxxp[:]//prize[.]example", "To display name defanged")
            body = forged.get_body(("plain",)).get_content()
            pdtest.check("Hello Win now hxxp[:]//prize[.]example," in body,
                         "greeting defanged: %s" % body[:200])
            pdtest.check("prize.example" not in forged.as_string(),
                         "no clickable host name anywhere")

            real = acks["bill@acme.test"]
            pdtest.check_eq(str(real["Subject"]).split("] ", 1)[1], docs,
                            "authenticated: subject as written")
            pdtest.check_eq(real["To"].addresses[0].display_name, "Bill (docs.acme.test)",
                            "authenticated: display name as written")

            # acknowledge = authenticated
            with open(d.config_path) as f:
                text = f.read()
            with open(d.config_path, "w") as f:
                f.write(text.replace("[outbound]\n", "[outbound]\nacknowledge = authenticated\n"))
            d.proc.send_signal(signal.SIGHUP)
            pdtest.wait_for("the reload", lambda: "reloaded configuration" in d.log_text())
            n = send("Eve <eve@customer.test>", "eve@customer.test", BAD_IP, "no ack for me")
            reason = env.scalar("select e.detail->>'reason' from events e join tickets t"
                                " on t.id = e.ticket_id where t.number = :'p1'"
                                " and e.kind = 'autoreply.suppressed'", n)
            pdtest.check_eq(reason, "acknowledge = authenticated: the sender is not "
                            "authenticated", "suppressed, and why")
            send("Bill <bill@acme.test>", "bill@acme.test", GOOD_IP, "an ack for me")
            pdtest.wait_for("the authenticated sender's ack", lambda: len(sink.dumps()) >= 3)
            pdtest.check("eve@customer.test" not in "".join(sink.dumps()), "none for Eve")

            bad = env.write_config(extra=outbound_config(sink.port, "acknowledge = some\n"),
                                   name="bad.conf")
            p = env.postdesk("check-config", config=bad)
            pdtest.check(p.returncode == 78 and "acknowledge = some" in p.stderr,
                         "check-config: %d %s" % (p.returncode, p.stderr))
            d.stop()
    finally:
        sink.stop()
    print("ok")


if __name__ == "__main__":
    main()
