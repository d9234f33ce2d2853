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
so the list stays true.  Prints passed/failed/skipped per area.  The
suite then runs again over lib/filter's own message (PdMail: what
postdeskd's rules read); every test whose outcome differs there is
accepted as "pipeline:FILE" with why.  Skips (77)
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


def run_suite(args):
    p = subprocess.run([RUNNER] + args, capture_output=True, timeout=120)
    if p.returncode != 0:
        pdtest.fail("pd-sieve-testsuite failed (%d): %s"
                    % (p.returncode, p.stderr.decode(errors="replace")))
    return p.stdout.decode("utf-8", errors="replace").splitlines()


def outcomes(lines):
    """{(file, test, n): verdict}, n counting tests of the same name."""
    out = {}
    for line in lines:
        fields = line.split("\t")
        key = (fields[1], fields[2])
        n = sum(1 for k in out if k[:2] == key)
        out[key + (n,)] = fields[0]
    return out


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
    p = run_suite([CORPUS] + files)
    elapsed = time.monotonic() - started
    # the same over lib/filter's message (PdMail, what postdeskd's rules read)
    pipeline = run_suite(["--pipeline", CORPUS] + files)

    counts = {}     # area -> [passed, failed, skipped files, accepted failures]
    used = set()
    unexpected = []
    seen_files = set()
    for line in p:
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
    # where the pipeline's message makes a test's outcome differ: each
    # accepted as "pipeline:FILE"
    adapter, piped = outcomes(p), outcomes(pipeline)
    differ = 0
    for key in sorted(set(adapter) | set(piped)):
        a, b = adapter.get(key), piped.get(key)
        if a == b:
            continue
        differ += 1
        i = accepting(entries, "pipeline:" + key[0], key[1])
        if i is None:
            unexpected.append("PIPELINE %s\t%s: %s with the runner's message, %s over "
                              "lib/filter's" % (key[0], key[1], a, b))
        else:
            used.add(i)
    print("over lib/filter's message (--pipeline): %d passed; %d tests differ from the "
          "runner's message (each accepted as pipeline:FILE)"
          % (sum(1 for v in piped.values() if v == "pass"), differ))
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
