#!/usr/bin/env python3
"""The shipped spam score (filters/score.sieve) against
../shared/corpora/spamassassin-public (issue 10): every mail of the three
groups scored by the rules alone (tests/unit/filter/pd-filter-score: no
network, no DNS lists, no sender authentication), with the default
thresholds hold = 5 and quarantine = 10.

Prints, per group, how many reach hold and quarantine, and the rules that
fired most.  What must hold:
  - no ham is quarantined (a quarantined mail makes no ticket: the one
    mistake a help desk must not make), easy or hard;
  - no easy ham (people's conversations) is held;
  - hard ham (newsletters and marketing the reader asked for: content like
    spam's by design) is held at most 15 % (held: still a ticket, only no
    acknowledgement and no notification until an operator looks);
  - at least half the spam is held or quarantined (58.0 % when written; the
    rest needs what the corpus cannot give offline: DNS lists, Bayes,
    rspamd).
A ham mail that breaks the first two rules is a mismatch unless listed in
spam-spamassassin.accepted with its reason.  Every mail must score (no
crash, no hang).  Skips (77) when the corpus is absent.
"""
import collections
import os
import subprocess

import pdtest
from mail_corpus import load_accepted, verdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(pdtest.CORPORA, "spamassassin-public")
ACCEPTED = os.path.join(HERE, "spam-spamassassin.accepted")
TOOL = os.path.join(pdtest.BUILD_DIR, "tests", "unit", "filter", "pd-filter-score")
SCRIPT = os.path.join(pdtest.SOURCE_DIR, "filters", "score.sieve")
HOLD, QUARANTINE = 5, 10


def score(files):
    out = []
    for i in range(0, len(files), 500):
        chunk = files[i:i + 500]
        p = subprocess.run([TOOL, SCRIPT, "--"] + chunk, capture_output=True, timeout=600)
        if p.returncode != 0:
            pdtest.fail("pd-filter-score failed (%d): %s"
                        % (p.returncode, p.stderr.decode(errors="replace")))
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        pdtest.check_eq(len(lines), len(chunk), "a line per mail")
        out.extend(line.split("\t") for line in lines)
    return out


def main():
    if not os.path.isdir(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    if not os.path.exists(TOOL):
        pdtest.fail("%s not built" % TOOL)
    accepted = load_accepted(ACCEPTED)
    mismatches = []
    rates = {}
    total = 0
    for group in ("easy-ham-1", "hard-ham-1", "spam-1"):
        names = sorted(os.listdir(os.path.join(CORPUS, group)))
        rows = score([os.path.join(CORPUS, group, n) for n in names])
        total += len(rows)
        held = quarantined = 0
        hits = collections.Counter()
        for name, (points, disposition, rules) in zip(names, rows):
            pdtest.check(points != "error", "%s/%s scored: %s" % (group, name, disposition))
            value = float(points)
            held += value >= HOLD
            quarantined += value >= QUARANTINE
            hits.update(r for r in rules.split(",") if r)
            rel = "%s/%s" % (group, name)
            if "ham" in group and value >= QUARANTINE:
                mismatches.append((rel, "quarantined", "score %g (%s)" % (value, rules)))
            elif group.startswith("easy") and value >= HOLD:
                mismatches.append((rel, "held", "score %g (%s)" % (value, rules)))
        n = len(rows)
        rates[group] = 100.0 * held / n
        print("%-11s %4d mails: %4d held or quarantined (%.1f %%), %4d quarantined (%.1f %%)"
              % (group, n, held, 100.0 * held / n, quarantined, 100.0 * quarantined / n))
        print("            most hit: %s" % ", ".join("%s %d" % kv for kv in hits.most_common(8)))
    verdict("spam score", total, mismatches, accepted)
    pdtest.check(rates["hard-ham-1"] <= 15.0,
                 "hard ham held at most 15 %% (%.1f %%)" % rates["hard-ham-1"])
    pdtest.check(rates["spam-1"] >= 50.0, "spam held at least 50 %% (%.1f %%)" % rates["spam-1"])


if __name__ == "__main__":
    main()
