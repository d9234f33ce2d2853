"""Shared by the pd_mail corpus tests: the dump tool, the accepted list and
the verdict.  An accepted list has one difference a line,
file<TAB>check<TAB>reason; any mismatch not listed fails the test."""
import json
import os
import subprocess

import pdtest

DUMP = os.path.join(pdtest.BUILD_DIR, "tests", "unit", "mail", "pd-mail-dump")


def load_accepted(path):
    accepted = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3 or not fields[2].strip():
                pdtest.fail("%s: malformed line (file<TAB>check<TAB>reason): %r" % (path, line))
            accepted[(fields[0], fields[1])] = fields[2]
    return accepted


def dump(paths, *options):
    """pd-mail-dump's JSON object for each path, in order."""
    if not os.path.exists(DUMP):
        pdtest.fail("%s not built" % DUMP)
    out = []
    for i in range(0, len(paths), 50):
        chunk = paths[i:i + 50]
        p = subprocess.run([DUMP] + list(options) + chunk, capture_output=True, timeout=300)
        if p.returncode != 0:
            pdtest.fail("pd-mail-dump failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")))
        lines = p.stdout.decode("utf-8").splitlines()
        pdtest.check_eq(len(lines), len(chunk), "dump lines")
        out.extend(json.loads(line) for line in lines)
    return out


def verdict(what, count, mismatches, accepted):
    """Prints every mismatch not accepted and fails if there is one."""
    failed = 0
    seen = set()
    for rel, check, detail in mismatches:
        seen.add((rel, check))
        if (rel, check) in accepted:
            continue
        print("MISMATCH %s\t%s\t%s" % (rel, check, detail))
        failed += 1
    for key in sorted(set(accepted) - seen):
        print("note: accepted difference no longer seen: %s %s" % key)
    print("%d %s, %d mismatches (%d accepted)" % (count, what, len(mismatches), len(mismatches) - failed))
    if failed:
        pdtest.fail("%d unexpected mismatches" % failed)
