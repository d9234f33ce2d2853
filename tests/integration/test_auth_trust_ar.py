"""trust-ar mode over LMTP (issue 8, item 6): postdesk honours only the
topmost Authentication-Results header of each trusted authserv-id.  The
MTA adds its header above the ones the mail came with; a forged header
with the MTA's id further down (the MTA should have removed it, and
check-config and the daemon's log say so) is ignored, whatever it claims.
"""
import pdtest
from test_auth_lmtp import lmtp, ticket, event

QUEUES = """
[queue billing]
addresses = billing@example.com
permission = billing
"""

AUTH = "\n[auth]\nmode = trust-ar\nauthserv_id = mx.postdesk.test\n"
# the MTA's milters checked SPF and DKIM (no DMARC): the verdict is theirs
REAL_NONE = ("Authentication-Results: mx.postdesk.test; spf=fail smtp.mailfrom=acme.test;"
             " dkim=none")
REAL_PASS = ("Authentication-Results: mx.postdesk.test; spf=pass smtp.mailfrom=acme.test;"
             " dkim=none; dmarc=pass header.from=acme.test")
FORGED_DKIM = "Authentication-Results: mx.postdesk.test; dkim=pass header.d=acme.test"
FORGED_DMARC = "Authentication-Results: mx.postdesk.test; dmarc=pass header.from=acme.test"


def main():
    with pdtest.Env(queues=QUEUES) as env:
        env.postdesk("account", "add", "Acme", "--domain", "acme.test", check_rc=0)
        env.postdesk("contact", "add", "Acme", "bill@acme.test", "--permissions", "billing",
                     check_rc=0)
        config = env.write_config(extra=AUTH, name="trust.conf")
        p = env.postdesk("check-config", config=config, check_rc=0)
        pdtest.check("must remove the Authentication-Results headers" in p.stdout and
                     p.stdout.strip().endswith("ok"), "check-config says: %r" % p.stdout)
        d = env.daemon(extra=AUTH)
        pdtest.wait_for("the daemon's note", lambda: "the MTA must remove the "
                        "Authentication-Results" in d.log_text())

        def send(*ar):
            # the MTA's header first, then what came with the mail
            data = ("\r\n".join(ar[:1]) + "\r\n").encode() + pdtest.message(
                frm="bill@acme.test", to="billing@example.com", headers=ar[1:])
            return lmtp(d.port, "bill@acme.test", "billing@example.com", data)

        # forged passes below the MTA's real verdict: ignored
        n = send(REAL_NONE, FORGED_DKIM, FORGED_DMARC)
        pdtest.check_eq(ticket(env, n)[:4], ["contact", "f", "f", "t"],
                        "forged A-R below the real one")
        notes = event(env, n, "sender.authenticated")["notes"]
        pdtest.check(any("only the topmost one counts" in note for note in notes),
                     "noted: %r" % notes)
        # the real header passes: authenticated, the forged ones change nothing
        n = send(REAL_PASS, FORGED_DKIM)
        pdtest.check_eq(ticket(env, n)[:4], ["contact", "t", "t", "f"], "real A-R pass")
        d.stop()
    print("ok")


if __name__ == "__main__":
    main()
