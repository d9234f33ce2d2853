"""Sender authentication on the mail path, end to end over LMTP with
XFORWARD: SPF/DKIM/DMARC checked by postdeskd against a static zone
([auth] zone_file), the verdict fed into identify/authorize, the results
stored on the message (sql/functions/deliver.sql) with a "sender.authenticated"
event, and shown by `postdesk ticket show` and `postdesk test`.

Spoofing: a billing contact's From failing SPF and DKIM gets no privileges;
an SPF pass from the XFORWARD client address or an aligned DKIM pass gets
them; an agent's address without authentication is an unverified customer
mail.  Permissions with authentication on: support-only contact -> needs
authorization, billing contact -> authorized, suspended/removed/expired ->
no privileges.  Also: the trusted relay's Received header when there is no
XFORWARD, a forged one ignored, a DNS timeout never trusted (and never a
deferral), foreign Authentication-Results ignored, check-config on [auth]."""
import json
import os
import signal
import time

import authzone
import pdtest

QUEUES = """
[queue support]
addresses = support@example.com

[queue billing]
addresses = billing@example.com
permission = billing
"""

GOOD_IP = "192.0.2.10"		# in acme.test's SPF record
AGENT_IP = "192.0.2.20"		# in example.com's
BAD_IP = "198.51.100.7"		# in nobody's


def lmtp(port, sender, recipient, data, addr=None, helo="mail.sender.test"):
    """One LMTP transaction with XFORWARD (addr None: no XFORWARD)."""
    w = pdtest.Wire(port)
    w.expect("220 ")
    w.send("LHLO mx.postdesk.test\r\n")
    w.expect("250 ")
    if addr is not None:
        w.send("XFORWARD NAME=unknown ADDR=%s HELO=%s PROTO=ESMTP\r\n" % (addr, helo))
        w.expect("250 ")
    w.send("MAIL FROM:<%s>\r\n" % sender)
    w.expect("250 ")
    w.send("RCPT TO:<%s>\r\n" % recipient)
    w.expect("250 ")
    w.send("DATA\r\n")
    w.expect("354 ")
    w.send(data.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    reply = w.reply()[-1]
    w.send("QUIT\r\n")
    w.close()
    pdtest.check(reply.startswith("250 "), "%s -> %s: %r (never deferred nor bounced)"
                 % (sender, recipient, reply))
    return reply.rsplit(" ", 1)[1]


def ticket(env, number):
    rows = env.query("select t.requester_kind, t.requester_authenticated,"
                     " t.requester_authorized, t.needs_authorization,"
                     " coalesce(m.spf_result, '-'), coalesce(m.dkim_result, '-'),"
                     " coalesce(m.dmarc_result, '-'), coalesce(left(m.from_authenticated::text, 1), '-'),"
                     " m.kind, coalesce(m.auth_results, '-')"
                     " from tickets t join messages m on m.ticket_id = t.id"
                     " where t.number = :'p1'", number)
    pdtest.check(len(rows) == 1, "ticket %s not found" % number)
    return rows[0]


def event(env, number, kind):
    text = env.scalar("select e.detail from events e join tickets t on t.id = e.ticket_id"
                      " where t.number = :'p1' and e.kind = :'p2'", number, kind)
    pdtest.check(text is not None, "ticket %s has no %s event" % (number, kind))
    return json.loads(text)


def main():
    with pdtest.Env(queues=QUEUES) as env:
        key = authzone.Key(env.dir)
        zone = authzone.write_zone(os.path.join(env.dir, "zone"), [
            ("acme.test", "TXT", "v=spf1 ip4:%s -all" % GOOD_IP),
            ("_dmarc.acme.test", "TXT", "v=DMARC1; p=reject"),
            ("sel._domainkey.acme.test", "TXT", key.dns),
            ("example.com", "TXT", "v=spf1 ip4:%s -all" % AGENT_IP),
            ("_dmarc.example.com", "TXT", "v=DMARC1; p=reject"),
            ("slow.test", "TIMEOUT", ""),
            ("_dmarc.slow.test", "TIMEOUT", ""),
        ])
        auth = authzone.auth_section(zone, "trusted_relays = mx.postdesk.test, "
                                           "imap.postdesk.test, 10.0.0.1\n")
        for args in (("agent", "add", "bob@example.com", "--name", "Bob"),
                     ("account", "add", "Acme", "--domain", "acme.test"),
                     ("contact", "add", "Acme", "bill@acme.test", "--permissions",
                      "support,billing"),
                     ("contact", "add", "Acme", "sam@acme.test", "--permissions", "support"),
                     ("contact", "add", "Acme", "old@acme.test", "--permissions", "billing"),
                     ("contact", "suspend", "old@acme.test"),
                     ("contact", "add", "Acme", "gone@acme.test", "--permissions", "billing"),
                     ("contact", "remove", "gone@acme.test"),
                     ("contact", "add", "Acme", "temp@acme.test", "--permissions", "billing"),
                     ("account", "add", "Slow", "--domain", "slow.test"),
                     ("contact", "add", "Slow", "pat@slow.test", "--permissions", "billing")):
            env.postdesk(*args, check_rc=0)
        env.query("update contacts set expires_at = now() - interval '1 hour'"
                  " where address = 'temp@acme.test' returning id")
        d = env.daemon(extra=auth)

        def send(frm, to, addr, signed=False, tamper=False, headers=(), sender=None):
            data = pdtest.message(frm=frm, to=to, headers=headers)
            if signed:
                data = authzone.dkim_sign(data, key, "acme.test", "sel")
            if tamper:
                data = data.replace(b"on fire", b"on ice!")
            return lmtp(d.port, sender or frm, to, data, addr=addr)

        # Spoofing: a billing contact's From, SPF fail (client not in the
        # record), no DKIM: a ticket that needs authorization, no privileges.
        n = send("bill@acme.test", "billing@example.com", BAD_IP)
        pdtest.check_eq(ticket(env, n)[:9], ["contact", "f", "f", "t", "fail", "none", "fail",
                                             "f", "customer"], "spoofed billing contact")
        ev = event(env, n, "sender.authenticated")
        pdtest.check_eq((ev["client_address"], ev["client_source"], ev["from_authenticated"]),
                        (BAD_IP, "envelope", False), "event of the spoof")
        pdtest.check_eq(event(env, n, "requester.identified")["authenticated"], False,
                        "identified event of the spoof")
        # ... with a forged Authentication-Results claiming a pass: ignored
        n = send("bill@acme.test", "billing@example.com", BAD_IP, headers=(
            "Authentication-Results: postdesk.test; spf=pass smtp.mailfrom=acme.test;"
            " dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test",))
        pdtest.check_eq(ticket(env, n)[:4], ["contact", "f", "f", "t"], "forged A-R")

        # The same with an SPF pass: the XFORWARD ADDR is in the record
        n = send("bill@acme.test", "billing@example.com", GOOD_IP)
        t = ticket(env, n)
        pdtest.check_eq(t[:8], ["contact", "t", "t", "f", "pass", "none", "pass", "t"],
                        "SPF pass")
        pdtest.check("spf=pass" in t[9] and "dmarc=pass" in t[9], "auth_results: %r" % t[9])
        show = env.postdesk("ticket", "show", n, check_rc=0).stdout
        for needle in ("Sender auth:", "From domain authenticated", "Auth results:",
                       "spf=pass"):
            pdtest.check(needle in show, "ticket show lacks %r:\n%s" % (needle, show))

        # Peer bytes that are not UTF-8 (a signature's d= and s=) are stored,
        # never a reason to defer the mail
        raw = (b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=caf\xe9.test;"
               b" s=s\xff; h=from; bh=AAAA; b=AAAA\r\n" +
               pdtest.message(frm="bill@acme.test", to="billing@example.com"))
        n = lmtp(d.port, "bill@acme.test", "billing@example.com", raw, addr=BAD_IP)
        pdtest.check_eq(ticket(env, n)[:4], ["contact", "f", "f", "t"], "non-UTF-8 d=")
        event(env, n, "sender.authenticated")

        # An aligned DKIM pass (SPF still fails): authenticated, authorized
        n = send("bill@acme.test", "billing@example.com", BAD_IP, signed=True)
        pdtest.check_eq(ticket(env, n)[:8], ["contact", "t", "t", "f", "fail", "pass", "pass",
                                             "t"], "DKIM pass")
        ev = event(env, n, "sender.authenticated")
        pdtest.check_eq((ev["dkim"][0]["domain"], ev["dkim"][0]["aligned"]),
                        ("acme.test", True), "DKIM signature in the event")
        # ... a signed mail altered on the way: DKIM fails, no privileges
        n = send("bill@acme.test", "billing@example.com", BAD_IP, signed=True, tamper=True)
        pdtest.check_eq(ticket(env, n)[:6], ["contact", "f", "f", "t", "fail", "fail"],
                        "tampered DKIM")

        # An agent's address without authentication: an unverified customer
        # mail, not an agent action; with an SPF pass it is the agent's.
        n = send("bob@example.com", "support@example.com", BAD_IP)
        t = ticket(env, n)
        pdtest.check_eq((t[0], t[1], t[8]), ("agent", "f", "customer"), "forged agent")
        pdtest.check_eq(event(env, n, "requester.identified")["agent_action"], False,
                        "forged agent event")
        n = send("bob@example.com", "support@example.com", AGENT_IP)
        pdtest.check_eq(ticket(env, n)[1], "t", "agent authenticated")
        pdtest.check_eq(event(env, n, "requester.identified")["agent_action"], True,
                        "authenticated agent event")

        # Two addresses in From: no single author domain, so no DMARC
        # verdict (RFC 7489 6.6.1) and no privileges despite the SPF pass
        n = send("bill@acme.test, eve@evil.test", "billing@example.com", GOOD_IP,
                 sender="bill@acme.test")
        t = ticket(env, n)
        pdtest.check_eq((t[1], t[2], t[7]), ("f", "f", "f"), "two From addresses")

        # Permissions with authentication on (SPF pass for every one)
        t = ticket(env, send("sam@acme.test", "billing@example.com", GOOD_IP))
        pdtest.check_eq(t[:4], ["contact", "t", "f", "t"], "support-only contact to billing@")
        t = ticket(env, send("sam@acme.test", "support@example.com", GOOD_IP))
        pdtest.check_eq(t[:4], ["contact", "t", "t", "f"], "support-only contact to support@")
        for who in ("old", "gone", "temp"):
            t = ticket(env, send("%s@acme.test" % who, "billing@example.com", GOOD_IP))
            pdtest.check_eq(t[:4], ["contact", "t", "f", "t"], "%s contact" % who)

        # A DNS timeout: never trusted, never deferred (stored unauthenticated)
        n = send("pat@slow.test", "billing@example.com", GOOD_IP)
        t = ticket(env, n)
        pdtest.check_eq((t[1], t[2], t[3], t[4]), ("f", "f", "t", "temperror"), "DNS timeout")
        pdtest.check_eq(event(env, n, "sender.authenticated")["temporary"], True,
                        "temporary in the event")

        # No XFORWARD: the trusted relay's Received header names the client
        relay = ("Received: from mail.acme.test (mail.acme.test [%s]) by mx.postdesk.test"
                 " (Postfix) with ESMTPS id 4AbC; Mon, 23 Nov 2026 10:00:01 +0000")
        inner = ("Received: from mx.postdesk.test (mx.postdesk.test [10.0.0.1]) by"
                 " imap.postdesk.test (Dovecot) with LMTP; Mon, 23 Nov 2026 10:00:02 +0000")
        msg = pdtest.message(frm="bill@acme.test", to="billing@example.com")
        n = lmtp(d.port, "bill@acme.test", "billing@example.com",
                 (inner + "\r\n" + relay % GOOD_IP + "\r\n").encode() + msg)
        pdtest.check_eq(ticket(env, n)[:5], ["contact", "t", "t", "f", "pass"],
                        "trusted relay chain")
        ev = event(env, n, "sender.authenticated")
        pdtest.check_eq((ev["client_address"], ev["client_source"], ev["client_helo"]),
                        (GOOD_IP, "received", "mail.acme.test"), "client from Received")
        # ... folded as Postfix writes it: "by" on a continuation line
        folded = ("Received: from mail.acme.test (mail.acme.test [%s])\r\n"
                  "\tby mx.postdesk.test (Postfix) with ESMTPS id 4AbD;\r\n"
                  "\tMon, 23 Nov 2026 10:00:01 +0000\r\n" % GOOD_IP)
        msg = pdtest.message(frm="bill@acme.test", to="billing@example.com")
        n = lmtp(d.port, "bill@acme.test", "billing@example.com", folded.encode() + msg)
        ev = event(env, n, "sender.authenticated")
        pdtest.check_eq((ev["client_address"], ev["client_source"], ev["client_helo"]),
                        (GOOD_IP, "received", "mail.acme.test"), "folded Received")
        # ... a forged "trusted" header below a stranger's: not believed
        forged = ("Received: from evil (evil [203.0.113.9]) by mx.evil.test; "
                  "Mon, 23 Nov 2026 10:00:00 +0000\r\n" + relay % GOOD_IP + "\r\n").encode()
        msg = pdtest.message(frm="bill@acme.test", to="billing@example.com")
        n = lmtp(d.port, "bill@acme.test", "billing@example.com", forged + msg)
        t = ticket(env, n)
        pdtest.check_eq(t[:3], ["contact", "f", "f"], "forged Received")
        pdtest.check_eq(event(env, n, "sender.authenticated")["client_source"], "none",
                        "forged Received ignored")

        # ... a client that says HELO with our relay's name is still the client
        helo = ("Received: from mx.postdesk.test (unknown [203.0.113.9]) by mx.postdesk.test"
                " (Postfix) with ESMTP id 5XyZ; Mon, 23 Nov 2026 10:00:01 +0000\r\n")
        msg = pdtest.message(frm="bill@acme.test", to="billing@example.com")
        n = lmtp(d.port, "bill@acme.test", "billing@example.com",
                 (helo + relay % GOOD_IP + "\r\n").encode() + msg)
        pdtest.check_eq(ticket(env, n)[:5], ["contact", "f", "f", "t", "fail"], "HELO as relay")
        pdtest.check_eq(event(env, n, "sender.authenticated")["client_address"], "203.0.113.9",
                        "the relay's client")
        # ... "[UNAVAILABLE]" is no address: no client
        msg = pdtest.message(frm="bill@acme.test", to="billing@example.com")
        n = lmtp(d.port, "bill@acme.test", "billing@example.com",
                 (relay.replace("[%s]", "[UNAVAILABLE]") + "\r\n").encode() + msg)
        pdtest.check_eq(event(env, n, "sender.authenticated")["client_source"], "none",
                        "UNAVAILABLE")

        # postdesk test: the results and the verdict, nothing stored
        path = os.path.join(env.dir, "bill.eml")
        with open(path, "wb") as f:
            f.write(pdtest.message(frm="bill@acme.test", to="billing@example.com"))
        config = env.write_config(extra=auth, name="test.conf")
        before = env.scalar("select count(*) from messages")
        out = json.loads(env.postdesk("test", "--json", "--from", "bill@acme.test",
                                      "--client", GOOD_IP, path, check_rc=0,
                                      config=config).stdout)
        a = out["authentication"]
        pdtest.check_eq((a["mode"], a["spf"]["result"], a["dmarc"]["result"],
                         a["from_authenticated"]), ("verify", "pass", "pass", True),
                        "postdesk test --json authentication")
        ident = out["recipients"][0]["identity"]
        pdtest.check_eq((ident["authenticated"], ident["authorized"]), (True, True),
                        "postdesk test identity")
        text = env.postdesk("test", "--from", "bill@acme.test", "--client", BAD_IP, path,
                            check_rc=0, config=config).stdout
        for needle in ("Authentication:", "spf=fail", "From domain NOT authenticated",
                       "needs authorization"):
            pdtest.check(needle in text, "postdesk test lacks %r:\n%s" % (needle, text))
        pdtest.check_eq(env.scalar("select count(*) from messages"), before,
                        "postdesk test stores nothing")
        # without [auth]: off, nobody authenticated
        out = json.loads(env.postdesk("test", "--json", "--client", GOOD_IP, path,
                                      check_rc=0).stdout)
        pdtest.check_eq((out["authentication"]["mode"], out["authentication"]["spf"]),
                        ("off", None), "mode off by default")

        # check-config validates [auth]
        pdtest.check_eq(env.postdesk("check-config", config=config).returncode, 0,
                        "check-config with [auth]")
        for bad in ("\n[auth]\nmode = sometimes\n", "\n[auth]\nmode = verify\nspf = yes\n",
                    "\n[auth]\nmode = verify\ntrusted_relays = bad/host\n",
                    "\n[auth]\nmode = trust-ar\n"):
            bad_config = env.write_config(extra=bad, name="bad.conf")
            p = env.postdesk("check-config", config=bad_config)
            pdtest.check(p.returncode == 78 and "[auth]" in p.stderr,
                         "check-config %r: %d %s" % (bad, p.returncode, p.stderr))
        # A reload with a broken [auth] keeps the running configuration
        with open(d.config_path) as f:
            text = f.read()
        with open(d.config_path, "w") as f:
            f.write(text.replace("mode = verify", "mode = sometimes"))
        d.proc.send_signal(signal.SIGHUP)
        end = time.time() + 20
        while "keeping the previous configuration" not in d.log_text() and time.time() < end:
            time.sleep(0.1)
        pdtest.check("[auth] mode" in d.log_text(), "reload error logged:\n%s" % d.log_text())
        n = send("bill@acme.test", "billing@example.com", GOOD_IP)
        pdtest.check_eq(ticket(env, n)[:4], ["contact", "t", "t", "f"], "after a bad reload")
        d.stop()
    print("ok")


if __name__ == "__main__":
    main()
