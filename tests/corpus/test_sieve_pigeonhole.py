"""lib/sieve against Pigeonhole's own Sieve test suite (../shared/corpora/
sieve-pigeonhole, see its SOURCE.txt; LGPL test data, read from there and
never copied into the repository).

Every .svtest of the corpus runs in one pd-sieve-testsuite process
(tests/unit/sieve/pd-sieve-testsuite.c: the subset of Pigeonhole's
vnd.dovecot.testsuite extension the files use, test-only).  A file that
does not compile for us (it requires an extension or a testsuite command we
lack) is skipped as a whole; otherwise each test "NAME" { } block passes or
fails.  Every skip, failure and run error must be accepted in
sieve-pigeonhole.accepted (FILE-GLOB<TAB>TEST<TAB>reason, TEST "*" for the
whole file); an exact (non-glob) entry that is no longer needed fails too,
so the list stays true.  Prints passed/failed/skipped per area.  Skips (77)
when the corpus is absent.
"""
import fnmatch
import os
import subprocess
import sys
import time

import pdtest

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(pdtest.CORPORA, "sieve-pigeonhole")
ACCEPTED = os.path.join(HERE, "sieve-pigeonhole.accepted")
RUNNER = os.path.join(pdtest.BUILD_DIR, "tests", "unit", "sieve", "pd-sieve-testsuite")


def load_accepted(path):
    """[(file glob, test, reason)] in file order."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3 or not fields[2].strip():
                pdtest.fail("%s:%d: malformed line (FILE<TAB>TEST<TAB>reason): %r"
                            % (path, n, line))
            entries.append(tuple(fields))
    return entries


def area(rel):
    """The area a file counts in: the top-level files are "base", an
    extension's files its name, the rest their folder."""
    parts = rel.split("/")
    if len(parts) == 1:
        return "base"
    if parts[0] == "extensions":
        return "/".join(parts[1:-1]) or os.path.splitext(parts[1])[0]
    return parts[0]


def accepting(entries, rel, test):
    for i, (glob, name, _) in enumerate(entries):
        if fnmatch.fnmatchcase(rel, glob) and (name == "*" or name == test):
            return i
    return None


def main():
    if not os.path.isdir(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    if not os.path.exists(RUNNER):
        pdtest.fail("%s not built" % RUNNER)
    entries = load_accepted(ACCEPTED)
    files = sorted(os.path.relpath(os.path.join(d, f), CORPUS)
                   for d, _, names in os.walk(CORPUS) for f in names if f.endswith(".svtest"))
    pdtest.check(len(files) >= 100, "only %d .svtest files in %s" % (len(files), CORPUS))

    started = time.monotonic()
    p = subprocess.run([RUNNER, CORPUS] + files, capture_output=True, timeout=120)
    elapsed = time.monotonic() - started
    if p.returncode != 0:
        pdtest.fail("pd-sieve-testsuite failed (%d): %s"
                    % (p.returncode, p.stderr.decode(errors="replace")))

    counts = {}     # area -> [passed, failed, skipped files, accepted failures]
    used = set()
    unexpected = []
    seen_files = set()
    for line in p.stdout.decode("utf-8", errors="replace").splitlines():
        fields = line.split("\t")
        if len(fields) < 3:
            pdtest.fail("pd-sieve-testsuite: malformed line %r" % line)
        verdict, rel, test = fields[0], fields[1], fields[2]
        why = fields[3] if len(fields) > 3 else ""
        seen_files.add(rel)
        c = counts.setdefault(area(rel), [0, 0, 0, 0])
        if verdict == "pass":
            c[0] += 1
            i = accepting(entries, rel, test)
            if i is not None and not any(ch in entries[i][0] for ch in "*?[") \
                    and entries[i][1] != "*":
                used.add(i)
                unexpected.append("PASSES NOW (remove from the accepted list) %s\t%s"
                                  % (rel, test))
            continue
        i = accepting(entries, rel, test)
        if i is None:
            c[1] += 1
            unexpected.append("%s %s\t%s\t%s" % (verdict.upper(), rel, test, why))
            continue
        used.add(i)
        if verdict == "skip":
            c[2] += 1
        else:
            c[3] += 1
    missing = sorted(set(files) - seen_files)
    for rel in missing:
        unexpected.append("NO OUTCOME %s (the runner printed nothing for it)" % rel)

    print("%-24s %6s %6s %8s %9s" % ("area", "passed", "failed", "skipped", "accepted"))
    total = [0, 0, 0, 0]
    for name in sorted(counts):
        c = counts[name]
        total = [a + b for a, b in zip(total, c)]
        print("%-24s %6d %6d %8d %9d" % (name, c[0], c[1], c[2], c[3]))
    print("%-24s %6d %6d %8d %9d" % ("total", total[0], total[1], total[2], total[3]))
    print("(tests passed/failed; skipped: whole files that need an extension or testsuite "
          "command we lack; accepted: failing tests listed with a reason)")
    print("%d files in %.2f s" % (len(files), elapsed))
    for i, (glob, name, _) in enumerate(entries):
        if i not in used and not any(ch in glob for ch in "*?["):
            unexpected.append("UNUSED accepted entry %s\t%s" % (glob, name))
    for u in unexpected:
        print(u)
    sys.stdout.flush()
    if unexpected:
        pdtest.fail("%d unexpected outcomes" % len(unexpected))


if __name__ == "__main__":
    main()
