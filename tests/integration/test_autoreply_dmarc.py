"""No backscatter to forged senders (issue 4, item 8): with sender
authentication on, a mail whose From domain publishes DMARC p=reject and
fails SPF and DKIM gets no acknowledgement (an autoreply.suppressed event
says why); the same domain authenticated by SPF gets one; a p=none domain
failing SPF still gets one; a DNS timeout proves nothing, so it is no veto."""
import os

import authzone
import pdtest
from pdtest import check_eq

GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.7"
KEY = "dmarc-test-key-0123456789abcdef"
TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")


def lmtp(port, sender, data, addr):
    w = pdtest.Wire(port)
    w.expect("220 ")
    w.send("LHLO mx.postdesk.test\r\n")
    w.expect("250 ")
    w.send("XFORWARD NAME=unknown ADDR=%s HELO=mail.sender.test PROTO=ESMTP\r\n" % addr)
    w.expect("250 ")
    w.send("MAIL FROM:<%s>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n" % sender)
    for want in ("250 ", "250 ", "354 "):
        w.expect(want)
    w.send(data.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    reply = w.reply()[-1]
    w.close()
    pdtest.check(reply.startswith("250 "), "delivered: %r" % reply)


def ack_outcome(env, msgid):
    """('ack', None) when an acknowledgement row was queued, else
    ('suppressed', reason)."""
    ticket = env.scalar("select ticket_id from messages where message_id = :'p1'", msgid)
    if env.scalar("select count(*) from outbound where ticket_id = :'p1' and kind = 'ack'",
                  ticket) == "1":
        return ("ack", None)
    return ("suppressed", env.scalar("select detail->>'reason' from events where ticket_id ="
                                     " :'p1' and kind = 'autoreply.suppressed'", ticket))


def main():
    with pdtest.Env() as env:
        zone = authzone.write_zone(os.path.join(env.dir, "zone"), [
            ("strict.test", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP),
            ("_dmarc.strict.test", "TXT", "v=DMARC1; p=reject"),
            ("lax.test", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP),
            ("_dmarc.lax.test", "TXT", "v=DMARC1; p=none"),
            ("slow.test", "TIMEOUT", ""),
            ("_dmarc.slow.test", "TIMEOUT", ""),
        ])
        outbound = ("\n[outbound]\nrelay = smtp://127.0.0.1:%d\n"
                    "from = Example Support <support@example.com>\n"
                    "token_keys = %s\ntemplates = %s\n" % (pdtest.free_port(), KEY, TEMPLATES))
        d = env.daemon(extra=authzone.auth_section(zone) + outbound)

        cases = [
            ("ceo@strict.test", BAD_IP, ("suppressed", "unauthenticated, dmarc reject")),
            ("ceo2@strict.test", GOOD_IP, ("ack", None)),
            ("someone@lax.test", BAD_IP, ("ack", None)),
            ("pat@slow.test", BAD_IP, ("ack", None)),
        ]
        for i, (frm, addr, want) in enumerate(cases):
            msgid = "dmarc.%d@sender.test" % i
            lmtp(d.port, frm, pdtest.message(frm="<%s>" % frm, msgid="<%s>" % msgid), addr)
            check_eq(ack_outcome(env, msgid), want, "%s from %s" % (frm, addr))
    print("ok")


if __name__ == "__main__":
    main()
