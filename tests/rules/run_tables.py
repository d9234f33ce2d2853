#!/usr/bin/env python3
"""Run the rule tables (tests/rules/table_*.py) against a real PostgreSQL.

    tests/rules/run_tables.py [NAME...]    every table, or table_NAME.py only

tests/run's cluster (PD_TEST_PGHOST) or a private throwaway one; one
database migrated once by `postdesk db migrate`; each case in its own
rolled-back transaction (tests/rules/rules.py).  Exit 1 when a case fails.
"""
import glob
import importlib
import os
import sys

import rules

HERE = os.path.dirname(os.path.abspath(__file__))


def tables(names):
    paths = sorted(glob.glob(os.path.join(HERE, "table_*.py")))
    if names:
        paths = [os.path.join(HERE, "table_%s.py" % n) for n in names]
    return [importlib.import_module(os.path.basename(p)[:-3]).TABLE for p in paths]


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    rules.main(tables(sys.argv[1:]))
