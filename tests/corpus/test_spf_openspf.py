#!/usr/bin/env python3
"""The openspf SPF suites (RFC 7208 and RFC 4408) through postdesk's SPF layer.

Every scenario's zonedata becomes a static zone file for the injected resolver
(no network), every test one SPF check by pd-auth-corpus (libspf2 over our DNS
layer).  The result must be one of the expected results, and for a fail with an
expected explanation, the explanation must match.  Known libspf2 differences are
listed, with reasons, in tests/corpus/auth-spf.accepted; anything else fails.

Zone conventions of the suite (as pyspf's harness reads them): SPF-type records
are served as TXT unless the name has TXT records of its own ("TXT: NONE" means
none at all); TIMEOUT makes every lookup of a type the name has no record of
time out.
"""
import os
import subprocess
import tempfile

import pdtest
from auth_corpus import DRIVER, load_accepted, need_driver, zone_escape as escape

try:
    import yaml
except ImportError:
    pdtest.skip("python3-yaml is not installed")

CORPUS = os.path.join(pdtest.CORPORA, "spf-openspf")
# The suite's "DEFAULT" stands for the checker's own default explanation.
DEFAULT_EXPLANATION = "the sending host is not authorized by the SPF record"
SUITES = [("rfc7208", "rfc7208-tests.yml"), ("rfc4408", "rfc4408-tests.yml")]


def text_value(v):
    return "".join(v) if isinstance(v, list) else str(v)


def zone_lines(zonedata):
    lines = []
    for name, records in (zonedata or {}).items():
        records = records or []
        txt, spf, other, timeout, txt_none = [], [], [], False, False
        for r in records:
            if r == "TIMEOUT":
                timeout = True
                continue
            for k, v in r.items():
                if k == "TXT":
                    if v == "NONE":
                        txt_none = True
                    else:
                        txt.append(text_value(v))
                elif k == "SPF":
                    if v != "NONE":
                        spf.append(text_value(v))
                elif k == "MX":
                    other.append(("MX", str(v[1])))
                else:
                    other.append((k, str(v)))
        name = escape(name, space=True)
        lines.append("%s NODATA" % name)
        if timeout:
            lines.append("%s TIMEOUT" % name)
        served_txt = txt if (txt or txt_none) else spf
        for t in served_txt:
            lines.append("%s TXT %s" % (name, escape(t)))
        for k, v in other:
            lines.append("%s %s %s" % (name, k, escape(v)))
    return lines


def main():
    if not os.path.isdir(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    need_driver()
    accepted = load_accepted("auth-spf.accepted")
    total = passed = 0
    unexpected, accepted_hit = [], set()
    with tempfile.TemporaryDirectory() as tmp:
        for suite, filename in SUITES:
            with open(os.path.join(CORPUS, filename), "rb") as f:
                docs = list(yaml.safe_load_all(f))
            for index, doc in enumerate(docs):
                zone = os.path.join(tmp, "zone")
                cases = os.path.join(tmp, "cases")
                with open(zone, "w", encoding="ascii") as z:
                    z.write("\n".join(zone_lines(doc.get("zonedata"))) + "\n")
                tests = doc.get("tests") or {}
                with open(cases, "w", encoding="utf-8", errors="surrogateescape") as c:
                    for name, t in tests.items():
                        c.write("%s\t%s\t%s\t%s\n" % (name, t.get("host", ""),
                                                      t.get("helo", "") or "",
                                                      t.get("mailfrom", "") or ""))
                out = subprocess.run([DRIVER, "spf", zone, cases], capture_output=True,
                                     timeout=120)
                pdtest.check(out.returncode == 0, "driver failed: %r" % out.stderr[-2000:])
                got = {}
                for line in out.stdout.decode("utf-8", "replace").splitlines():
                    name, result, explanation = (line.split("\t") + ["", ""])[:3]
                    got[name] = (result, explanation)
                for name, t in tests.items():
                    total += 1
                    key = "%s/%s" % (suite, name)
                    want = t["result"] if isinstance(t["result"], list) else [t["result"]]
                    result, explanation = got.get(name, ("(missing)", ""))
                    ok = result in want
                    exp = t.get("explanation")
                    if exp == "DEFAULT":
                        exp = DEFAULT_EXPLANATION
                    if ok and exp is not None and result == "fail" and explanation != exp:
                        ok = False
                        result = "fail exp=%r" % explanation
                    if ok:
                        passed += 1
                        if key in accepted:
                            print("note: %s now matches; its accepted entry can go" % key)
                    elif key in accepted:
                        accepted_hit.add(key)
                    else:
                        unexpected.append("%s: got %s, want %s%s (%s)" % (
                            key, result, "|".join(want),
                            " exp=%r" % exp if exp is not None else "",
                            doc.get("description", "")))
    print("SPF suites: %d tests, %d as expected, %d accepted differences, %d unexpected"
          % (total, passed, len(accepted_hit), len(unexpected)))
    for u in unexpected:
        print("MISMATCH " + u)
    pdtest.check(total >= 390, "only %d tests found" % total)
    pdtest.check(not unexpected, "%d unexpected SPF results" % len(unexpected))


if __name__ == "__main__":
    main()
