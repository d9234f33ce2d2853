"""The soak (tests/soak/run) in CI's size: 400 messages through a private
Postfix to two postdeskd on one database while PostgreSQL is restarted
twice (fast, immediate), each postdeskd is SIGKILLed once and the outbound
relay is down for 5 s.  Nothing lost, nothing duplicated, every ticket one
acknowledgement, each sent at most once (tests/soak/run says which figures
it checks).  The full run: tests/soak/run (N = 10,000, relay down 60 s)."""
import os
import sys

import pdtest
import postfix


def main():
    why = postfix.available()
    if why:
        pdtest.skip(why)
    if not os.access(postfix.SMTP_SOURCE, os.X_OK):
        pdtest.skip("smtp-source missing (Debian package postfix)")
    p = pdtest.run([sys.executable, os.path.join(pdtest.SOURCE_DIR, "tests", "soak", "run"),
                    "-n", "400", "--relay-down", "5", "-B", pdtest.BUILD_DIR], timeout=540)
    print(p.stdout)
    if p.returncode == pdtest.SKIP:
        pdtest.skip(p.stdout + p.stderr)
    pdtest.check_eq(p.returncode, 0, "tests/soak/run -n 400:\n%s%s" % (p.stdout, p.stderr[-20000:]))
    pdtest.check(p.stdout.rstrip().endswith("soak: ok"), "soak: ok")
    print("ok")


if __name__ == "__main__":
    main()
