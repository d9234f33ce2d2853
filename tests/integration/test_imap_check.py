"""`postdesk imap check NAME` against a real Dovecot IMAP on loopback (issue
13): it connects exactly as postdeskd does and changes nothing.
- TLS from the first byte (993-style), STARTTLS, and plain on loopback all
  log in; the certificate is checked against tls_ca_file and the host name
  (localhost) or address (127.0.0.1);
- a server certificate nobody trusts, a wrong password, a port with nobody
  listening: each a clear one-line error and its exit code (75, 64, 75);
- capabilities: with MOVE hidden it says the UIDPLUS path, with UIDPLUS
  hidden too the \\Seen path;
- the folders it lists, what is missing, how many messages wait."""
import os

import dovecot
import pdtest
from pdtest import check, check_eq


def check_run(env, dc, want_rc, wants, **keys):
    section = dovecot.imap_section(dc, env.dir, processed_folder="Processed", **keys)
    config = env.write_config(extra=section, name="check.conf")
    p = env.postdesk("imap", "check", "support", config=config, check_rc=want_rc)
    for want in wants:
        check(want in p.stdout + p.stderr, "imap check (%r) says %r:\n%s%s" %
              (keys, want, p.stdout, p.stderr))
    return p


def main():
    with pdtest.Env() as env:
        with dovecot.DovecotImap({"support": "s3cret"}) as dc:
            dc.append("support", pdtest.message(subject="one"))
            dc.append("support", pdtest.message(subject="two"))
            before = dc.flags("support")
            check_run(env, dc, 0, ["logged in over TLSv1.", "MOVE: yes, UIDPLUS: yes",
                                   "folders: INBOX", "2 messages",
                                   "delivered mail: UID MOVE to Processed (missing",
                                   "refused mail: flag \\Seen and remember the UID "
                                   "(no folder configured)"])
            check_run(env, dc, 0, ["logged in over TLSv1."], tls="starttls")
            check_run(env, dc, 0, ["logged in (no TLS)"], tls="none")
            check_run(env, dc, 0, ["logged in over TLSv1."], host="localhost")
            p = check_run(env, dc, 75, ["the certificate of 127.0.0.1 is not trusted"],
                          tls_ca_file=None)
            check_eq(len(p.stderr.strip().splitlines()), 1, "one line: %r" % p.stderr)
            check_run(env, dc, 75, ["the certificate of 127.0.0.1 is not trusted"],
                      tls="starttls", tls_ca_file=None)
            p = check_run(env, dc, 64, ["login as support refused: Authentication failed."],
                          password="wrong")
            check("check user and password_file" in p.stderr, p.stderr)
            closed = pdtest.free_port()
            check_run(env, dc, 75, ["127.0.0.1:%d: Connection refused" % closed], port=closed)
            check_eq(dc.flags("support"), before, "nothing changed on the server")
            check_eq(dc.uids("support", "Processed"), [], "no folder created")

        with dovecot.DovecotImap({"support": "s3cret"},
                                 capability=dovecot.CAPS_NO_MOVE) as dc:
            check_run(env, dc, 0, ["MOVE: no, UIDPLUS: yes", "delivered mail: UID COPY + "
                                   "\\Deleted + UID EXPUNGE to Processed"])
        with dovecot.DovecotImap({"support": "s3cret"},
                                 capability=dovecot.CAPS_NO_MOVE_NO_UIDPLUS) as dc:
            check_run(env, dc, 0, ["MOVE: no, UIDPLUS: no", "delivered mail: flag \\Seen "
                                   "and remember the UID (the server has neither"])


if __name__ == "__main__":
    main()
