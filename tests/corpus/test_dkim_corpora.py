#!/usr/bin/env python3
"""DKIM corpora through postdesk's DKIM layer (libopendkim over our static zone).

- dkim-mail-dkim: 79 signed mails with FAKE_DNS.dat; the overall result
  (Mail::DKIM's: pass if a signature passes, else fail if one fails, else
  invalid; "none" without DKIM-Signature) must match expected.tsv (default
  mode rows; the four Strict=>1 rows describe another verifier policy).
- stalwart-mail-auth: 6 real signed mails with their DNS records: the last
  signature must pass at Unix time 1667843664 (upstream's fixed clock).
- mimekit: 3 real Gmail-signed mails (key in gmail.pub) and the RFC 8463
  example: every signature must pass.

The clock is fixed (1667843664) so expiry does not depend on the day the test
runs.  The minimum key size is 512 bits here because the corpora are older than
RFC 8301; unit-auth checks that the default (1024) refuses those keys.
Differences are listed with reasons in tests/corpus/auth-dkim.accepted.
"""
import csv
import os
import subprocess
import tempfile

import pdtest
from auth_corpus import DRIVER, load_accepted, need_driver, zone_escape

CORPORA = pdtest.CORPORA
FIXED_TIME = "1667843664"
MIN_BITS = "512"


def zone_line(name, value):
    value = value.strip()
    if value == "NXDOMAIN":
        return "%s NXDOMAIN" % name
    if value in ("~~Query timed out~~", "~~SERVFAIL~~"):
        return "%s TIMEOUT" % name
    return "%s TXT %s" % (name, zone_escape(value))


def run_driver(zone_lines, files, tmp):
    zone = os.path.join(tmp, "zone-%d" % len(os.listdir(tmp)))
    with open(zone, "w", encoding="ascii") as z:
        z.write("\n".join(zone_lines) + "\n")
    out = subprocess.run([DRIVER, "dkim", zone, FIXED_TIME, MIN_BITS] + files,
                         capture_output=True, timeout=300)
    pdtest.check(out.returncode == 0, "driver failed: %r" % out.stderr[-2000:])
    sigs = {}
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        f = line.split("\t")
        sigs.setdefault(f[0], [])
        if f[1] != "-":
            sigs[f[0]].append({"status": f[2], "domain": f[3], "selector": f[4],
                               "reason": f[5] if len(f) > 5 else ""})
    return sigs


def overall(sigs):
    statuses = [s["status"] for s in sigs]
    if not statuses:
        return "none"
    if "pass" in statuses:
        return "pass"
    if "fail" in statuses:
        return "fail"
    return "invalid"


class Tally:
    def __init__(self, accepted):
        self.accepted = accepted
        self.total = self.ok = 0
        self.accepted_hit = 0
        self.unexpected = []

    def compare(self, key, got, want, detail=""):
        self.total += 1
        if got == want:
            self.ok += 1
            if key in self.accepted:
                print("note: %s now matches; its accepted entry can go" % key)
        elif key in self.accepted:
            self.accepted_hit += 1
        else:
            self.unexpected.append("%s: got %s, want %s %s" % (key, got, want, detail))


def mail_dkim(tally, tmp):
    base = os.path.join(CORPORA, "dkim-mail-dkim")
    if not os.path.isdir(base):
        print("skip: %s absent" % base)
        return
    zone = []
    with open(os.path.join(base, "FAKE_DNS.dat"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            name, _, value = line.strip().partition(" ")
            zone.append(zone_line(name, value))
    with open(os.path.join(base, "expected.tsv"), encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["mode"] == "default"]
    files = [os.path.join(base, "corpus", r["file"]) for r in rows]
    sigs = run_driver(zone, files, tmp)
    for r, path in zip(rows, files):
        got = overall(sigs.get(path, []))
        detail = "; ".join("%s d=%s s=%s (%s)" % (s["status"], s["domain"], s["selector"],
                                                  s["reason"]) for s in sigs.get(path, []))
        tally.compare("mail-dkim/" + r["file"], got, r["expected_result"], detail)


def stalwart(tally, tmp):
    base = os.path.join(CORPORA, "stalwart-mail-auth", "dkim")
    if not os.path.isdir(base):
        print("skip: %s absent" % base)
        return
    for name in sorted(os.listdir(base)):
        with open(os.path.join(base, name), "rb") as f:
            data = f.read()
        records, _, message = data.partition(b"\n\n")
        zone = []
        for line in records.decode("utf-8").splitlines():
            rname, _, value = line.strip().partition(" ")
            zone.append(zone_line(rname, value))
        path = os.path.join(tmp, "stalwart-" + name)
        with open(path, "wb") as f:
            f.write(message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        sigs = run_driver(zone, [path], tmp).get(path, [])
        got = sigs[-1]["status"] if sigs else "none"
        detail = "; ".join("%s d=%s (%s)" % (s["status"], s["domain"], s["reason"])
                           for s in sigs)
        tally.compare("stalwart/" + name, got, "pass", detail)


def mimekit(tally, tmp):
    base = os.path.join(CORPORA, "mimekit", "dkim")
    if not os.path.isdir(base):
        print("skip: %s absent" % base)
        return
    with open(os.path.join(base, "gmail.pub"), encoding="ascii") as f:
        key = "".join(l.strip() for l in f if "-----" not in l)
    zone = [zone_line("20120113._domainkey.gmail.com", "v=DKIM1; k=rsa; p=" + key)]
    stalwart_001 = os.path.join(CORPORA, "stalwart-mail-auth", "dkim", "001.txt")
    if os.path.exists(stalwart_001):
        with open(stalwart_001, "rb") as f:
            for line in f.read().partition(b"\n\n")[0].decode().splitlines():
                rname, _, value = line.strip().partition(" ")
                zone.append(zone_line(rname, value))
    for name in ("gmail.msg", "related.msg", "multipart-no-end-boundary.msg",
                 "rfc8463-example.msg"):
        src = os.path.join(base, name)
        with open(src, "rb") as f:
            data = f.read()
        path = os.path.join(tmp, "mimekit-" + name)
        with open(path, "wb") as f:
            f.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        sigs = run_driver(zone, [path], tmp).get(path, [])
        for i, s in enumerate(sigs):
            tally.compare("mimekit/%s#%d" % (name, i + 1), s["status"], "pass",
                          "d=%s s=%s (%s)" % (s["domain"], s["selector"], s["reason"]))
        if not sigs:
            tally.compare("mimekit/" + name, "none", "pass")


def main():
    if not any(os.path.isdir(os.path.join(CORPORA, d))
               for d in ("dkim-mail-dkim", "stalwart-mail-auth", "mimekit")):
        pdtest.skip("DKIM corpora are absent from %s" % CORPORA)
    need_driver()
    tally = Tally(load_accepted("auth-dkim.accepted"))
    with tempfile.TemporaryDirectory() as tmp:
        mail_dkim(tally, tmp)
        stalwart(tally, tmp)
        mimekit(tally, tmp)
    print("DKIM corpora: %d checks, %d as expected, %d accepted differences, %d unexpected"
          % (tally.total, tally.ok, tally.accepted_hit, len(tally.unexpected)))
    for u in tally.unexpected:
        print("MISMATCH " + u)
    pdtest.check(tally.ok >= 40, "only %d DKIM checks as expected" % tally.ok)
    pdtest.check(not tally.unexpected, "%d unexpected DKIM results" % len(tally.unexpected))


if __name__ == "__main__":
    main()
