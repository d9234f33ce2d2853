"""Secrets stay with the users who need them (issue 8, item 6).

A configuration holding secrets ([outbound] token_keys here) that every
local user may read: `postdesk check-config` names the file, the secret
and the mode and exits 78; 0640 is fine.  A password_file readable by
everyone: the same.  postdeskd refuses such a file the same way: at start
(exit 78) and on reload (the running configuration stays, mail keeps
flowing); started as root without [daemon] user under the tests' override
(POSTDESK_ALLOW_ROOT=1), it says so.
"""
import os
import signal

import pdtest
from pdtest import check, check_eq

OUTBOUND = ("[outbound]\nrelay = smtp://127.0.0.1:25\nfrom = Support <support@example.com>\n"
            "token_keys = 0123456789abcdef0123456789abcdef\n"
            "templates = %s\n" % os.path.join(pdtest.SOURCE_DIR, "filters", "templates"))


def main():
    with pdtest.Env() as env:
        path = env.write_config(extra=OUTBOUND, name="secret.conf")
        check_eq(env.postdesk("check-config", config=path).returncode, 0, "0600")
        os.chmod(path, 0o640)
        check_eq(env.postdesk("check-config", config=path).returncode, 0, "0640")
        os.chmod(path, 0o644)
        p = env.postdesk("check-config", config=path)
        check_eq(p.returncode, 78, "0644: " + p.stdout + p.stderr)
        check("%s: holds [outbound] token_keys and is readable by every local user "
              "(mode 0644); chmod o-rwx %s" % (path, path) in p.stderr, p.stderr)

        secret = os.path.join(env.dir, "relay-password")
        with open(secret, "w") as f:
            f.write("hunter2\n")
        os.chmod(secret, 0o644)
        pw = env.write_config(extra=OUTBOUND + "username = desk\npassword_file = %s\n" % secret,
                              name="pw.conf")
        p = env.postdesk("check-config", config=pw)
        check_eq(p.returncode, 78, "password_file 0644: " + p.stdout + p.stderr)
        check("%s: holds the [outbound] password_file secret and is readable" % secret
              in p.stderr, p.stderr)
        os.chmod(secret, 0o600)
        check_eq(env.postdesk("check-config", config=pw).returncode, 0, "password_file 0600")

        # postdeskd: refuses to start with it; on reload keeps the old one.
        d = env.daemon(extra=OUTBOUND)
        os.chmod(d.config_path, 0o644)
        d.proc.send_signal(signal.SIGHUP)
        want = ("SECRETS EXPOSED: %s: holds [outbound] token_keys and is readable"
                % d.config_path)
        pdtest.wait_for("the reload refused", lambda: want in d.log_text())
        check("keeping the previous configuration" in d.log_text(), d.log_text())
        pdtest.deliver_ticket(d.port, pdtest.message(), "alice@customer.test")
        d.stop()
        p = pdtest.run([pdtest.POSTDESKD, "-f", "-c", d.config_path], timeout=30)
        check_eq(p.returncode, 78, "postdeskd with an exposed secret: %s" % p.stderr)
        check(want in p.stderr, p.stderr)
        os.chmod(d.config_path, 0o600)
        d = pdtest.Daemon(env, d.config_path, d.port)
        env.daemons.append(d)
        pdtest.deliver_ticket(d.port, pdtest.message(msgid="<s2@customer.test>"),
                              "alice@customer.test")
        log = d.log_text()
        check("SECRETS EXPOSED" not in log, log)
        if os.geteuid() == 0:
            check("warning: running as root and [daemon] user is not set: "
                  "POSTDESK_ALLOW_ROOT=1" in log, log)
        d.stop()
    print("ok")


if __name__ == "__main__":
    main()
