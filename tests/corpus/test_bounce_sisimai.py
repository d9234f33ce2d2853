#!/usr/bin/env python3
"""The bounce parser and its hard-or-soft rule against
../shared/corpora/sisimai-bounces (issue 16, section 1).

Every file with an expectation in expected.tsv goes through pd_dsn_parse
(tests/unit/mail/pd-dsn-dump); its kind is compared with sisimai's class of
the first recipient: vacation -> auto-reply, feedback -> feedback,
delivered -> delivered, hardbounce true -> hard, else soft.  The two
not-bounce/ mails must be no bounce at all.  Prints the class agreement;
each difference must be in bounce-sisimai.accepted with its reason.
Skips (77) when the corpus is absent.
"""
import csv
import os
import subprocess

import pdtest
from mail_corpus import load_accepted, verdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(pdtest.CORPORA, "sisimai-bounces")
ACCEPTED = os.path.join(HERE, "bounce-sisimai.accepted")
DUMP = os.path.join(pdtest.BUILD_DIR, "tests", "unit", "mail", "pd-dsn-dump")


def sisimai_class(row):
    if row["reason"] == "vacation":
        return "auto-reply"
    if row["reason"] in ("feedback", "delivered"):
        return row["reason"]
    return "hard" if row["hardbounce"] == "true" else "soft"


def kinds(paths):
    import json
    out = []
    for i in range(0, len(paths), 100):
        chunk = paths[i:i + 100]
        p = subprocess.run([DUMP] + chunk, capture_output=True, timeout=300)
        if p.returncode != 0:
            pdtest.fail("pd-dsn-dump failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")))
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        pdtest.check_eq(len(lines), len(chunk), "dump lines")
        out.extend(json.loads(line)["kind"] for line in lines)
    return out


def main():
    if not os.path.isdir(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    if not os.path.exists(DUMP):
        pdtest.fail("%s not built" % DUMP)
    accepted = load_accepted(ACCEPTED)
    expected = {}
    with open(os.path.join(CORPUS, "expected.tsv"), encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            expected.setdefault(row["file"], row)
    files = sorted(expected)
    got = kinds([os.path.join(CORPUS, "bsd", f) for f in files])
    mismatches = []
    agree = 0
    for name, kind in zip(files, got):
        want = sisimai_class(expected[name])
        if kind == want:
            agree += 1
        else:
            mismatches.append((name, "class", "sisimai %s (%s %s), postdesk %s"
                               % (want, expected[name]["reason"], expected[name]["status"], kind)))
    nb = sorted(os.listdir(os.path.join(CORPUS, "not-bounce")))
    for name, kind in zip(nb, kinds([os.path.join(CORPUS, "not-bounce", f) for f in nb])):
        if kind is not None:
            mismatches.append(("not-bounce/" + name, "class", "postdesk %s, not a bounce" % kind))
    print("class agreement: %d of %d (%.1f %%)" % (agree, len(files), 100.0 * agree / len(files)))
    verdict("sisimai bounces", len(files) + len(nb), mismatches, accepted)


if __name__ == "__main__":
    main()
