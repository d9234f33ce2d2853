#!/usr/bin/env python3
"""How long `postdesk report` takes over many tickets (issue 15, "Proof").

    tests/bench/report.py [-n TICKETS] [--days D] [--runs R]

Generates TICKETS tickets (default 1,000,000) straight into a fresh,
migrated database of the tests' PostgreSQL (a private throwaway cluster
when PD_TEST_PGHOST is unset): spread evenly over the year before
2026-11-30, in 4 queues, a third of them of 200 accounts, 80 % answered
(first response 10 min to 2 days later), closed up to 10 days later
but for 2 % of them and the last 1 % (the backlog); then ANALYZE, and times `postdesk report --format json` over the
last D days (default 90) R times (default 3), printing each wall time and
the report's totals.  Not part of ctest."""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pdtest  # noqa: E402

QUEUES = "".join("\n[queue q%d]\naddresses = q%d@example.com\n" % (i, i) for i in range(4))

GENERATE = """
insert into queues (name) select 'q' || i from generate_series(0, 3) i
    on conflict (name) do nothing;
insert into accounts (name) select 'account ' || i from generate_series(1, 200) i;
insert into tickets (queue_id, subject, status, requester_address, account_id,
                     created_at, first_response_at, closed_at)
select q.id, 'ticket ' || g, case when c then 'closed' else 'open' end,
       'requester' || (g %% 5000) || '@customer.test',
       case when g %% 3 = 0 then (select min(id) from accounts) + (g %% 200) end,
       t, case when g %% 5 <> 0 then t + (600 + (g::bigint * 7919) %% 172200) * interval '1 second' end,
       case when c then t + ((g::bigint * 104729) %% 864000) * interval '1 second' end
  from generate_series(1, %d) g
  cross join lateral (select timestamptz '2026-11-30 00:00+00'
                             - (g::float8 / %d) * interval '365 days' as t,
                             g %% 50 <> 0 and g > %d * 0.01 as c) x
  join queues q on q.name = 'q' || (g %% 4);
analyze tickets;
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--runs", type=int, default=3)
    opts = ap.parse_args()
    with pdtest.Env(queues=QUEUES) as env:
        t0 = time.time()
        pdtest.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", env.dbname],
                   input=GENERATE % (opts.n, opts.n, opts.n), env=env.cluster.env(env.dbname),
                   check_rc=0, timeout=3600)
        print("generated %d tickets in %.1f s" % (
            int(env.scalar("select count(*) from tickets")), time.time() - t0))
        since = time.strftime("%Y-%m-%d", time.gmtime(
            time.mktime((2026, 11, 29, 12, 0, 0, 0, 0, 0)) - (opts.days - 1) * 86400))
        for run in range(opts.runs):
            t0 = time.time()
            p = env.postdesk("report", "--since", since, "--until", "2026-11-29",
                             "--format", "json", check_rc=0)
            took = time.time() - t0
            total = json.loads(p.stdout)["queues"][-1]
            print("run %d: %d days (%s to 2026-11-29): %.2f s; opened %d, closed %d, "
                  "backlog %d, first response p50 %d s" % (
                      run + 1, opts.days, since, took, total["opened"], total["closed"],
                      total["backlog"], total["first_response_p50"]))


if __name__ == "__main__":
    main()
