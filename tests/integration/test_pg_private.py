"""The throwaway PostgreSQL of the tests and the quickstart (tests/lib/pg.sh)
is not reachable by other local users (issue 8, item 6): its socket
directory is world-readable and --keep keeps its data, so it relies on peer
authentication.  root (who runs the tests, postdeskd and the quickstart)
and postdesk-test (pipe(8)'s user in test_postfix_pipe.py) connect; the
user nobody is refused."""
import os
import shutil
import subprocess

import pdtest
import postfix
from pdtest import check, check_eq


def psql_as(pg, user):
    argv = ["psql", "-XAtq", "-c", "select current_user"]
    if user is not None:
        argv = ["setpriv", "--reuid", user, "--regid", user if user != "nobody" else "nogroup",
                "--clear-groups", "--"] + argv
    return subprocess.run(argv, env=pg.env(), capture_output=True, text=True, timeout=60,
                          cwd="/")


def main():
    if os.geteuid() != 0:
        pdtest.skip("needs root to connect as other users")
    if shutil.which("setpriv") is None:
        pdtest.skip("setpriv (util-linux) is needed")
    postfix.ensure_user()		# postdesk-test
    pg = pdtest.private_cluster()
    try:
        p = psql_as(pg, None)
        check_eq((p.returncode, p.stdout.strip()), (0, "postdesk"), "root: " + p.stderr)
        p = psql_as(pg, postfix.PIPE_USER)
        check_eq((p.returncode, p.stdout.strip()), (0, "postdesk"), "pipe user: " + p.stderr)
        p = psql_as(pg, "nobody")
        check(p.returncode != 0 and "authentication failed" in p.stderr,
              "nobody refused: %d %s %s" % (p.returncode, p.stdout, p.stderr))
    finally:
        pg.stop()
    print("ok")


if __name__ == "__main__":
    main()
