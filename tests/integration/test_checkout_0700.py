"""The two README commands from a checkout in a 0700 directory (root's home).

The unprivileged side (Postfix's pipe(8) user, PostgreSQL's postdesk-pg)
cannot enter such a directory: the tests install what it runs into a
directory it can reach (pdtest.Env.install_binary) and the cluster's tools
run from / (tests/lib/pg.sh).  Here a checkout is laid out in a fresh 0700
directory (contrib/, filters/, tests/lib/ and the two built binaries, copied) and run
from inside it:
  1. contrib/quickstart --check: exit 0, the mail became a ticket, and no
     "could not change directory" from psql, initdb or pg_ctl;
  2. tests/integration/test_postfix_pipe.py with its build directory there
     (skipped inside when Postfix is absent): Postfix's pipe(8) delivers.
"""
import os
import shutil
import sys
import tempfile

import pdtest


def main():
    for b in (pdtest.POSTDESKD, pdtest.POSTDESK):
        if not os.access(b, os.X_OK):
            pdtest.skip("%s not built" % b)
    home = tempfile.mkdtemp(prefix="pdtest-home-")
    try:
        os.chmod(home, 0o700)
        src = os.path.join(home, "postdesk")
        shutil.copytree(os.path.join(pdtest.SOURCE_DIR, "contrib"), os.path.join(src, "contrib"))
        # the quickstart runs the shipped filter rules
        shutil.copytree(os.path.join(pdtest.SOURCE_DIR, "filters"), os.path.join(src, "filters"))
        shutil.copytree(pdtest.HERE, os.path.join(src, "tests", "lib"))
        build = os.path.join(src, "build")
        for b, sub in ((pdtest.POSTDESKD, "daemon"), (pdtest.POSTDESK, "cli")):
            os.makedirs(os.path.join(build, sub))
            shutil.copy2(b, os.path.join(build, sub, os.path.basename(b)))

        # 1. The quickstart.
        port = pdtest.free_port()
        p = pdtest.run([os.path.join(src, "contrib", "quickstart"), "--check", "--no-build",
                        "--build-dir", build, "--port", str(port)], timeout=240, cwd=src)
        out = p.stdout + p.stderr
        pdtest.check(p.returncode == 0, "quickstart --check from 0700: exit %d\n%s" %
                     (p.returncode, out))
        pdtest.check("check passed: the mail became ticket 10001" in out, "check line:\n" + out)
        pdtest.check("could not change directory" not in out, "no cwd warning:\n" + out)

        # 2. Postfix's pipe(8) user runs postdesk deliver.
        env = dict(os.environ, PD_BUILD_DIR=build)
        p = pdtest.run([sys.executable,
                        os.path.join(pdtest.SOURCE_DIR, "tests", "integration",
                                     "test_postfix_pipe.py")],
                       timeout=300, cwd=src, env=env)
        out = p.stdout + p.stderr
        if p.returncode == pdtest.SKIP:
            print("postfix pipe part skipped: " + out.strip())
        else:
            pdtest.check(p.returncode == 0, "test_postfix_pipe from 0700: exit %d\n%s" %
                         (p.returncode, out))
            pdtest.check("could not change directory" not in out, "no cwd warning:\n" + out)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
