"""End to end with a real Postfix: the SMTP client's address reaches SPF.

swaks -> Postfix smtpd -> lmtp: with XFORWARD -> postdeskd with [auth]
mode = verify and a static zone.  swaks connects from loopback (which
lib/auth never checks: spf=none), so it presents 192.0.2.10 with Postfix's
XCLIENT (smtpd_authorized_xclient_hosts); Postfix then hands that address
to postdeskd in XFORWARD ADDR.  Proof that it reaches SPF: with acme.test's
record allowing 192.0.2.10 the stored result is spf=pass and the billing
contact's ticket is authorized; after the record is changed to "-all" and
postdeskd reloads (SIGHUP swaps the authentication context), the same mail
is spf=fail and needs authorization.
"""
import os
import signal
import time

import authzone
import pdtest
import postfix

CLIENT_IP = "192.0.2.10"
CLIENT_HELO = "mail.acme.test"
QUEUES = """
[queue billing]
addresses = billing@example.com
permission = billing
"""


def swaks(mta, msgid):
    argv = ["swaks", "--server", "127.0.0.1:%d" % mta.port,
            "--xclient-addr", CLIENT_IP, "--xclient-helo", CLIENT_HELO,
            "--helo", CLIENT_HELO, "--from", "bill@acme.test", "--to", "billing@example.com",
            "--header", "From: Bill <bill@acme.test>", "--header", "Subject: Invoice 42",
            "--header", "Message-Id: %s" % msgid, "--body", "Please resend invoice 42.\n",
            "--timeout", "30"]
    p = pdtest.run(argv, timeout=60)
    pdtest.check(p.returncode == 0, "swaks failed (%d):\n%s\n%s" % (p.returncode, p.stdout,
                                                                  p.stderr))


def stored(env, msgid, timeout=30):
    end = time.time() + timeout
    while True:
        rows = env.query("select m.client_address, m.client_helo, m.spf_result,"
                         " left(m.from_authenticated::text, 1), t.requester_authorized,"
                         " t.needs_authorization, m.auth_results"
                         " from messages m join tickets t on t.id = m.ticket_id"
                         " where m.message_id = :'p1'", msgid.strip("<>"))
        if rows or time.time() > end:
            pdtest.check(len(rows) == 1, "message %s stored once: %r" % (msgid, rows))
            return rows[0]
        time.sleep(0.2)


def main():
    with pdtest.Env(queues=QUEUES) as env:
        zone = os.path.join(env.dir, "zone")

        def spf(record):
            authzone.write_zone(zone, [("acme.test", "TXT", record),
                                       ("_dmarc.acme.test", "TXT", "v=DMARC1; p=none")])

        spf("v=spf1 ip4:%s -all" % CLIENT_IP)
        env.postdesk("account", "add", "Acme", "--domain", "acme.test", check_rc=0)
        env.postdesk("contact", "add", "Acme", "bill@acme.test", "--permissions", "billing",
                     check_rc=0)
        d = env.daemon(extra=authzone.auth_section(zone))
        with postfix.Postfix(lmtp_port=d.port,
                             main={"smtpd_authorized_xclient_hosts": "127.0.0.0/8"}) as mta:
            first = "<pf-auth-1.%d@acme.test>" % time.time_ns()
            swaks(mta, first)
            row = stored(env, first)
            pdtest.check_eq(row[:6], [CLIENT_IP, CLIENT_HELO, "pass", "t", "t", "f"],
                            "XFORWARD ADDR %s through Postfix, SPF pass" % CLIENT_IP)
            pdtest.check("spf=pass" in row[6] and "smtp.mailfrom=acme.test" in row[6],
                         "auth_results: %r" % row[6])

            # The record no longer allows the client: reload, same mail again
            spf("v=spf1 -all")
            d.proc.send_signal(signal.SIGHUP)
            end = time.time() + 20
            while "reloaded configuration" not in d.log_text() and time.time() < end:
                time.sleep(0.1)
            second = "<pf-auth-2.%d@acme.test>" % time.time_ns()
            swaks(mta, second)
            row = stored(env, second)
            pdtest.check_eq(row[:6], [CLIENT_IP, CLIENT_HELO, "fail", "f", "f", "t"],
                            "same client after the record changed: SPF fail")
            mta.wait_log(r"to=<billing@example.com>.*status=sent \(250 ", count=2)
        pdtest.check(d.alive(), "postdeskd still running")
    print("ok")


if __name__ == "__main__":
    main()
