#!/usr/bin/env python3
"""Public Suffix List tests (../shared/corpora/psl-tests) through pd_auth_org_domain.

The DMARC organizational domain (RFC 7489 3.2) is the registrable domain of the
PSL; every checkPublicSuffix(in, out) line is one lookup with the list the
system has (Debian's publicsuffix package, via libpsl).  Differences that come
from the list version differing from the one the test file was written for are
listed with reasons in tests/corpus/auth-psl.accepted.  Answers are compared
in A-label form: postdesk canonicalizes every domain to it (IDNA 2008 via
libidn2), so 食狮.com.cn comes back as xn--85x722f.com.cn.
"""
import os
import re
import subprocess

import pdtest
from auth_corpus import DRIVER, load_accepted, need_driver

CORPUS = os.path.join(pdtest.CORPORA, "psl-tests", "test_psl.txt")
LINE = re.compile(r"checkPublicSuffix\((null|'[^']*'),\s*(null|'[^']*')\);")


def unquote(v):
    return None if v == "null" else v[1:-1]


def a_label(domain):
    """pd_auth_org_domain answers in A-labels (every domain postdesk compares is)."""
    if domain is None:
        return None
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return domain


def main():
    if not os.path.exists(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    need_driver()
    accepted = load_accepted("auth-psl.accepted")
    cases = []
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            m = LINE.search(line)
            if m:
                cases.append((unquote(m.group(1)), unquote(m.group(2))))
    pdtest.check(len(cases) >= 80, "only %d PSL cases parsed" % len(cases))
    stdin = "".join("%s\n" % (c[0] if c[0] is not None else "") for c in cases)
    out = subprocess.run([DRIVER, "psl"], input=stdin.encode("utf-8"), capture_output=True,
                         timeout=60)
    pdtest.check(out.returncode == 0, "driver failed: %r" % out.stderr[-2000:])
    got = out.stdout.decode("utf-8").splitlines()
    pdtest.check(len(got) == len(cases), "driver answered %d of %d" % (len(got), len(cases)))
    ok, hit, unexpected = 0, 0, []
    for (domain, want), answer in zip(cases, got):
        answer = None if answer == "null" else answer
        want = a_label(want)
        key = domain if domain is not None else "null"
        if answer == want:
            ok += 1
            if key in accepted:
                print("note: %s now matches; its accepted entry can go" % key)
        elif key in accepted:
            hit += 1
        else:
            unexpected.append("%s: got %s, want %s" % (key, answer, want))
    print("PSL: %d cases, %d as expected, %d accepted differences, %d unexpected"
          % (len(cases), ok, hit, len(unexpected)))
    for u in unexpected:
        print("MISMATCH " + u)
    pdtest.check(not unexpected, "%d unexpected PSL results" % len(unexpected))


if __name__ == "__main__":
    main()
