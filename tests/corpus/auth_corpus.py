"""Shared bits of the sender-authentication corpus tests (test_spf_openspf.py,
test_dkim_corpora.py, test_psl.py): the pd-auth-corpus driver, the static-zone
escaping it reads, and the checked-in lists of accepted differences."""
import os

import pdtest

DRIVER = os.path.join(pdtest.BUILD_DIR, "tests", "unit", "auth", "pd-auth-corpus")


def need_driver():
    pdtest.check(os.access(DRIVER, os.X_OK), "driver %s is not built" % DRIVER)


def zone_escape(value, space=False):
    """A static-zone field: C escapes for '\\' and anything unprintable (and
    for spaces too when space is set, for names)."""
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    out = []
    for b in value:
        if b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F and not (space and b == 0x20):
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def load_accepted(name):
    """tests/corpus/NAME: "key<TAB>reason" lines; every key needs a reason."""
    accepted = {}
    with open(os.path.join(pdtest.SOURCE_DIR, "tests", "corpus", name), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, _, reason = line.partition("\t")
            pdtest.check(reason.strip(), "accepted difference without a reason: %r" % line)
            accepted[key.strip()] = reason.strip()
    return accepted
