"""sql/: the schema's history apart from its current code (issue 9).

Layout (no database): no migration defines a function; every function of
sql/functions/ is defined there exactly once (one name, one file, one
definition), with CREATE OR REPLACE so every migrate can apply it again;
no function reads the events table (one function never learns what
another did from the audit trail).

Catalog: no renamed layer (a pd_ function named ..._NNNN) exists after a
migrate, and the database holds exactly the functions of sql/functions/.

Drift: a database migrated twice (the functions applied twice) has the
same pg_get_functiondef() for every pd_ function as one built from
scratch.  A function changed or dropped by hand, or functions of another
build (--sql-dir), make `db status` say "functions out of date" (exit 1),
the ticket commands and postdeskd refuse to run (78), until `db migrate`
puts them back; then the definitions equal the fresh database's again."""
import glob
import os
import re
import shutil
import tempfile

import pdtest
from pdtest import check, check_eq

SQL_DIR = os.path.join(pdtest.SOURCE_DIR, "sql")
DEFINITION = re.compile(r"\bCREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+(\w+)\s*\(", re.I)


def code(path):
    """The file's SQL without -- comments (a comment may name anything)."""
    with open(path) as f:
        return re.sub(r"--[^\n]*", "", f.read())


def check_layout():
    migrations = sorted(glob.glob(os.path.join(SQL_DIR, "[0-9][0-9][0-9][0-9]_*.sql")))
    check(migrations, "no migrations in %s" % SQL_DIR)
    for path in migrations:
        m = DEFINITION.search(code(path))
        check(m is None, "%s defines function %s: functions live in sql/functions/"
              % (os.path.relpath(path, SQL_DIR), m and m.group(2)))
    where = {}
    files = sorted(glob.glob(os.path.join(SQL_DIR, "functions", "*.sql")))
    check(files, "no function files")
    for path in files:
        name = os.path.basename(path)
        text = code(path)
        for m in DEFINITION.finditer(text):
            check(m.group(1), "%s: %s is CREATE FUNCTION, not CREATE OR REPLACE: a second "
                  "migrate would fail" % (name, m.group(2)))
            where.setdefault(m.group(2).lower(), []).append(name)
        check(not re.search(r"\b(FROM|JOIN)\s+events\b", text, re.I),
              "%s reads the events table: a function returns what it made, never "
              "reads it back from the audit trail" % name)
    for function, names in sorted(where.items()):
        check_eq(names, names[:1], "the files that define %s" % function)
        check(not re.search(r"_[0-9]{4}$", function),
              "%s: a renamed layer of another version" % function)
    return set(where)


def definitions(env):
    """pd_ function (name and arguments) -> MD5 of its pg_get_functiondef."""
    rows = env.query("select p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid))"
                     " from pg_proc p where p.proname like 'pd\\_%'"
                     " and p.pronamespace = current_schema()::regnamespace")
    return dict((r[0], r[1]) for r in rows)


def check_same(env, fresh, what):
    got, want = definitions(env), definitions(fresh)
    check_eq(sorted(got), sorted(want), "%s: the pd_ functions" % what)
    for name in sorted(want):
        check(got[name] == want[name], "%s: %s differs from a fresh database" % (what, name))


def status_out_of_date(env, say):
    p = env.postdesk("db", "status", check_rc=1)
    check("functions out of date" in p.stdout and say in p.stdout,
          "db status lacks 'functions out of date' and %r:\n%s" % (say, p.stdout))
    p = env.postdesk("ticket", "list", check_rc=78)
    check("functions out of date" in p.stderr, "ticket list: %r" % p.stderr)
    path = env.write_config(port=pdtest.free_port(), name="stale.conf")
    p = pdtest.run([pdtest.POSTDESKD, "-f", "-c", path], timeout=30)
    check_eq(p.returncode, 78, "postdeskd's exit status on stale functions")
    check("refusing to start" in p.stderr and "functions out of date" in p.stderr,
          "postdeskd says why: %r" % p.stderr)


def migrate_back(env, fresh, what):
    p = env.postdesk("db", "migrate", check_rc=0)
    check("nothing to apply" in p.stdout, p.stdout)
    p = env.postdesk("db", "status", check_rc=0)
    check("up to date" in p.stdout, p.stdout)
    check_same(env, fresh, what)


def main():
    names = check_layout()
    with pdtest.Env(instance="fresh") as fresh, pdtest.Env() as env:
        layers = env.query("select proname from pg_proc where proname ~ '^pd_.*_[0-9]{4}$'")
        check_eq(layers, [], "renamed layers in the catalog")
        live = set(r[0] for r in env.query("select proname from pg_proc"
                                           " where proname like 'pd\\_%'"))
        check_eq(sorted(live), sorted(names), "the database's pd_ functions")

        # the functions applied again: the very same definitions
        p = env.postdesk("db", "migrate", check_rc=0)
        check("nothing to apply" in p.stdout and "functions applied: " in p.stdout, p.stdout)
        check_same(env, fresh, "migrated twice")
        p = env.postdesk("db", "status", check_rc=0)
        check("up to date" in p.stdout, p.stdout)

        # statistics: migrate analyses a table with rows and none (a
        # restore without ANALYZE), and leaves an empty one never analysed
        # (pd_db_analyze_missing, sql/functions/admin.sql)
        env.query("insert into queues (name) values ('restored')")
        stats = ("select count(*) from pg_stats where schemaname = current_schema()"
                 " and tablename = '%s'")
        check_eq(env.scalar(stats % "queues"), "0", "queues' statistics before migrate")
        env.postdesk("db", "migrate", check_rc=0)
        check(int(env.scalar(stats % "queues")) > 0, "migrate analysed queues (it has rows)")
        check_eq(env.scalar("select reltuples < 0 from pg_class"
                            " where oid = 'tickets'::regclass"), "t",
                 "tickets (empty) never analysed")
        env.query("delete from queues where name = 'restored'")

        # a function that no file defines (a test's trigger, an operator's
        # own) is not one of ours: nothing is out of date
        env.query("create function pd_test_extra() returns integer language sql"
                  " as $$ select 1 $$")
        p = env.postdesk("db", "status", check_rc=0)
        check("up to date" in p.stdout, p.stdout)
        env.query("drop function pd_test_extra()")

        # a body changed by hand
        env.query("create or replace function pd_contact_may_not(p_permissions text[])"
                  " returns text language sql immutable as $$ select ''::text $$")
        status_out_of_date(env, "changed since `postdesk db migrate`")
        migrate_back(env, fresh, "after a body changed by hand")

        # a function dropped by hand
        env.query("drop function pd_thread_participant(bigint, text, text)")
        status_out_of_date(env, "changed since `postdesk db migrate`")
        migrate_back(env, fresh, "after a function dropped by hand")

        # the functions of another build: both digests are named
        other = tempfile.mkdtemp(prefix="pd-sql-")
        try:
            shutil.copytree(SQL_DIR, os.path.join(other, "sql"))
            jobs = os.path.join(other, "sql", "functions", "jobs.sql")
            with open(jobs, "a") as f:
                f.write("\n-- another build\n")
            env.postdesk("db", "migrate", "--sql-dir", os.path.join(other, "sql"),
                         check_rc=0)
        finally:
            shutil.rmtree(other)
        mine = re.search(r"this postdesk carries:\s+([0-9a-f]{64})",
                         env.postdesk("db", "status", check_rc=1).stdout).group(1)
        theirs = env.scalar("select sha256 from schema_functions")
        check(theirs != mine, "another build's digest")
        status_out_of_date(env, "the database has %s, this postdesk carries %s"
                           % (theirs, mine))
        migrate_back(env, fresh, "after another build's functions")
    print("ok")


if __name__ == "__main__":
    main()
