"""rules: the harness of the rule tables (tests/rules/table_*.py).

A rule that must run inside the delivery transaction is a PL/pgSQL function
(sql/functions/<area>.sql).  Its table file names the function, the facts
every case shares, and its cases: a name that says the rule in words, the
facts of the case, the call's arguments and what must come out.  For each
case the runner, against a real PostgreSQL whose schema `postdesk db
migrate` made once:

    BEGIN;  the facts (plain INSERTs);  the call of the real function;
    what the case observes (the function's output, and for a function that
    writes, the rows it wrote);  ROLLBACK;

and compares the observation with the expectation, key by key (only the
keys the case names).  One psql per table; a case whose statements fail is
run again alone to show the error.  RULES_SHOW=1 prints what each case
observed.

Facts (each returns SQL; addresses are canonical, as the store keeps them):
    agent(ADDRESS, name=, groups=(), active=True, also=(more addresses))
    account(NAME, manager=AGENT_ADDRESS, domains=())
    contact(ADDRESS, ACCOUNT, role="alternate"|"primary", permissions=(...),
            status="active", expires_days=N (negative: expired))
    ticket(NUMBER, queue="support", status="open", requester=, account=,
           held=, assignee=AGENT_ADDRESS, closed_days_ago=N, ...)
    participant(NUMBER, ADDRESS, role="requester"|"cc"|"agent")
    message(NUMBER, MESSAGE_ID, frm=, kind="customer", this=False, text=)
        this=True: the message being delivered (THIS_MESSAGE in a call)
    attachment(FILENAME, SIZE, inline=, content_id=, position=): of THIS_MESSAGE
    ledger(ADDRESS, count): automatic mails already sent to ADDRESS
References for calls: ticket_id(N), agent_id(ADDRESS), contact_id(ADDRESS),
account_id(NAME), THIS_MESSAGE, identity(...) (the identity decision's
JSON, lib/ticket pd_identity_decision_json), lit(value), text_array(list).

Each table prints "rule NAME: N cases" (tests/run adds them up).
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import pdtest  # noqa: E402


# --- SQL values --------------------------------------------------------------

def lit(value):
    """A SQL literal: NULL, true/false, a number or a quoted string."""
    if value is None:
        return "NULL"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (dict, list)):
        return lit(json.dumps(value)) + "::jsonb"
    return "'" + str(value).replace("'", "''") + "'"


def text_array(values):
    if values is None:
        return "NULL::text[]"
    return "ARRAY[%s]::text[]" % ", ".join(lit(v) for v in values)


def ticket_id(number):
    return "(SELECT id FROM tickets WHERE number = %d)" % number


def agent_id(address):
    return "(SELECT agent_id FROM agent_addresses WHERE address = %s)" % lit(address)


def contact_id(address):
    return ("(SELECT id FROM contacts WHERE address = %s AND status <> 'removed' "
            "ORDER BY id LIMIT 1)" % lit(address))


def account_id(name):
    return "(SELECT id FROM accounts WHERE name = %s)" % lit(name)


THIS_MESSAGE = "(SELECT id FROM messages WHERE idempotency_key = 'this')"


def identity(kind="unknown", authenticated=False, privileged=None, agent_action=False,
             authorized=False, needs_authorization=False, permission=None, held=None,
             agent=None, account=None, contact=None, reason="rules table"):
    """The identity decision of the mail's From, as the pipeline sends it.
    agent: an agent address; contact: a contact address (its account is
    the account unless account= names one); privileged defaults to
    authenticated."""
    if privileged is None:
        privileged = authenticated
    if contact is not None and account is None:
        account_sql = ("(SELECT account_id FROM contacts WHERE address = %s "
                       "AND status <> 'removed' ORDER BY id LIMIT 1)" % lit(contact))
    else:
        account_sql = account_id(account) if account is not None else "NULL::bigint"
    pairs = [("kind", lit(kind)), ("authenticated", lit(authenticated)),
             ("privileged", lit(privileged)), ("agent_action", lit(agent_action)),
             ("authorized", lit(authorized)),
             ("needs_authorization", lit(needs_authorization)),
             ("permission", lit(permission)), ("held", lit(held)),
             ("agent_id", agent_id(agent) if agent else "NULL::bigint"),
             ("account_id", account_sql),
             ("contact_id", contact_id(contact) if contact else "NULL::bigint"),
             ("reason", lit(reason))]
    return "jsonb_build_object(%s)" % ", ".join("'%s', %s" % (k, v) for k, v in pairs)


# --- facts ---------------------------------------------------------------------

QUEUE_SQL = "INSERT INTO queues (name) VALUES (%s) ON CONFLICT (name) DO NOTHING;"


def queue(name):
    return QUEUE_SQL % lit(name)


def agent(address, name=None, groups=(), active=True, also=()):
    addresses = [address] + list(also)
    return ("WITH a AS (INSERT INTO agents (name, groups, active) VALUES (%s, %s, %s) "
            "RETURNING id) INSERT INTO agent_addresses (agent_id, address, position) "
            "SELECT a.id, x.address, x.n - 1 FROM a, unnest(%s) WITH ORDINALITY x (address, n);"
            % (lit(name or address.split("@")[0].capitalize()), text_array(groups),
               lit(active), text_array(addresses)))


def account(name, manager=None, domains=()):
    sql = "INSERT INTO accounts (name, manager_agent_id) VALUES (%s, %s);" % (
        lit(name), agent_id(manager) if manager else "NULL")
    for d in domains:
        sql += " INSERT INTO account_domains (account_id, domain) VALUES (%s, %s);" % (
            account_id(name), lit(d))
    return sql


def contact(address, account, role="alternate", permissions=("support",), status="active",
            expires_days=None, name=None):
    expires = ("now() + make_interval(days => %d)" % expires_days
               if expires_days is not None else "NULL")
    return ("INSERT INTO contacts (account_id, address, name, role, permissions, status, "
            "added_by, expires_at) VALUES (%s, %s, %s, %s, %s, %s, 'rules', %s);"
            % (account_id(account), lit(address), lit(name), lit(role),
               text_array(permissions), lit(status), expires))


def ticket(number, queue="support", status="open", requester=None, account=None, held=None,
           assignee=None, closed_days_ago=None, priority="normal", auth_state=None,
           auth_holder=None, auth_permission=None, requester_contact=None,
           needs_authorization=False, first_response=False):
    closed = ("now() - make_interval(days => %d)" % closed_days_ago
              if closed_days_ago is not None else "NULL")
    return (QUEUE_SQL % lit(queue) +
            " INSERT INTO tickets (number, queue_id, status, priority, requester_address, "
            "account_id, held, assignee_agent_id, closed_at, updated_at, "
            "authorization_state, authorization_holder, authorization_permission, "
            "requester_contact_id, needs_authorization, first_response_at) "
            "VALUES (%d, (SELECT id FROM queues WHERE name = %s), %s, %s, %s, %s, %s, %s, "
            "%s, coalesce(%s, now()), %s, %s, %s, %s, %s, %s);"
            % (number, lit(queue), lit(status), lit(priority), lit(requester),
               account_id(account) if account else "NULL", lit(held),
               agent_id(assignee) if assignee else "NULL", closed, closed,
               lit(auth_state), lit(auth_holder), lit(auth_permission),
               contact_id(requester_contact) if requester_contact else "NULL",
               lit(needs_authorization), "now()" if first_response else "NULL"))


def participant(number, address, role="requester", name=None):
    return ("INSERT INTO participants (ticket_id, address, name, role) VALUES (%s, %s, %s, %s);"
            % (ticket_id(number), lit(address), lit(name), lit(role)))


def message(number, message_id=None, frm=None, kind="customer", direction="in", this=False,
            text=None, subject=None, in_reply_to=None):
    return ("INSERT INTO messages (ticket_id, direction, kind, idempotency_key, message_id, "
            "from_address, text_body, subject, agent_id, in_reply_to) VALUES (%s, %s, %s, %s,"
            " %s, %s, %s, %s, %s, %s);"
            % (ticket_id(number), lit(direction), lit(kind), lit("this" if this else None),
               lit(message_id), lit(frm), lit(text), lit(subject or ""),
               agent_id(frm) if kind in ("agent", "note") and frm else "NULL",
               lit(in_reply_to)))


def attachment(filename, size, content_type="application/pdf", inline=False, content_id=None,
               position=0):
    """An attachment of the message being delivered (size bytes of filename)."""
    data = "convert_to(repeat('x', %d) || %s, 'UTF8')" % (size - len(filename), lit(filename))
    return ("INSERT INTO attachments (sha256, size, data) SELECT encode(sha256(d), 'hex'), "
            "octet_length(d), d FROM (SELECT %s AS d) x ON CONFLICT DO NOTHING; "
            "INSERT INTO message_attachments (message_row, position, filename, content_type, "
            "inline, content_id, sha256) SELECT %s, %d, %s, %s, %s, %s, "
            "encode(sha256(%s), 'hex');"
            % (data, THIS_MESSAGE, position, lit(filename), lit(content_type), lit(inline),
               lit(content_id), data))


def ledger(address, count):
    return ("INSERT INTO autoreply_ledger (address) SELECT %s FROM generate_series(1, %d);"
            % (lit(address), count))


# --- cases and the runner ------------------------------------------------------

class Case:
    def __init__(self, name, facts=(), expect=None, **args):
        self.name = name
        self.facts = list(facts)
        self.expect = expect or {}
        self.args = args


def case(name, facts=(), expect=None, **args):
    return Case(name, facts, expect, **args)


class Table:
    """rule: its name in the count; function: the SQL function deciding it;
    facts: SQL every case shares; call(case) -> SQL expression (jsonb), run
    first; observe: SQL expression (jsonb) run after it, where
    current_setting('rules.result')::jsonb is the call's value (the
    default observation; a value that is not an object is {"result": it}).
    explain(case) -> SQL expression (jsonb): what `postdesk test` would say,
    evaluated before the call, current_setting('rules.explain')::jsonb in
    observe.  always: expected of every case (e.g. that explain agrees)."""

    def __init__(self, rule, function, call, cases, facts=(),
                 observe="current_setting('rules.result')::jsonb", explain=None, always=None):
        self.rule = rule
        self.function = function
        self.call = call
        self.cases = cases
        self.facts = list(facts)
        self.observe = observe
        self.explain = explain
        self.always = always or {}

    def case_sql(self, i, c):
        explain = self.explain(c) if self.explain else "NULL"
        lines = ["BEGIN;"] + self.facts + c.facts + [
            "\\o /dev/null",
            "SELECT set_config('rules.explain', coalesce((%s)::text, 'null'), true);" % explain,
            "SELECT set_config('rules.result', coalesce((%s)::text, 'null'), true);"
            % self.call(c),
            "\\o",
            "SELECT '@@%d ' || (%s)::text;" % (i, self.observe),
            "ROLLBACK;"]
        return "\n".join(lines) + "\n"


def psql(env, script, stop_on_error):
    argv = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=%d" % (1 if stop_on_error else 0),
            "-d", env.dbname]
    return subprocess.run(argv, input=script, capture_output=True, text=True,
                          env=env.cluster.env(env.dbname), timeout=300)


def matches(got, want):
    return all(k in got and got[k] == v for k, v in want.items())


def run_table(env, table):
    """Run every case of table; returns the failures (texts)."""
    script = "".join(table.case_sql(i, c) for i, c in enumerate(table.cases))
    p = psql(env, script, False)
    seen = {}
    for line in p.stdout.splitlines():
        if line.startswith("@@"):
            number, _, value = line[2:].partition(" ")
            got = json.loads(value)
            seen[int(number)] = got if isinstance(got, dict) else {"result": got}
    failures = []
    for i, c in enumerate(table.cases):
        got = seen.get(i)
        if got is None:
            alone = psql(env, table.case_sql(i, c), True)
            failures.append("%s: %s: the case did not run:\n%s" %
                            (table.rule, c.name, alone.stderr.strip()))
            print("  FAIL %s" % c.name)
        elif not matches(got, dict(table.always, **c.expect)):
            want = dict(table.always, **c.expect)
            wrong = {k: got.get(k, "(missing)") for k in want
                     if got.get(k, "(missing)") != want[k]}
            failures.append("%s: %s:\n    want %s\n    got  %s" %
                            (table.rule, c.name, json.dumps(
                                {k: want[k] for k in wrong}, sort_keys=True),
                             json.dumps(wrong, sort_keys=True)))
            print("  FAIL %s" % c.name)
        else:
            print("  ok   %s" % c.name)
        if got is not None and os.environ.get("RULES_SHOW"):
            print("       %s" % json.dumps(got, sort_keys=True))
    names = [c.name for c in table.cases]
    for n in set(names):
        if names.count(n) > 1:
            failures.append("%s: two cases are named %r" % (table.rule, n))
    print("rule %s: %d cases (%s)" % (table.rule, len(table.cases), table.function))
    return failures


def main(tables):
    """Run the tables against one freshly migrated database; exit 1 on a
    failure (each named with its case), 0 when every case holds."""
    failures = []
    cases = 0
    with pdtest.Env() as env:
        for table in tables:
            failures += run_table(env, table)
            cases += len(table.cases)
    print("rule tables (SQL): %d rules, %d cases" % (len(tables), cases))
    if failures:
        print("\n%d failed:\n%s" % (len(failures), "\n".join(failures)))
        sys.exit(1)
