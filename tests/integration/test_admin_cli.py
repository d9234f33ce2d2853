"""The admin CLI (postdesk account|contact|agent|queue) against a real
PostgreSQL: every change lands with its event row, every bad argument gets a
one-line message and exit 64 (67 for an unknown object), and nothing partial
is written (row counts of every identity table and of events unchanged)."""
import json

import pdtest

QUEUES = """
[queue support]
addresses = support@example.com

[queue billing]
addresses = billing@example.com
permission = billing
unknown_senders = known
"""

TABLES = ("accounts", "account_domains", "contacts", "agents", "agent_addresses", "events")


def counts(env):
    return env.query("select " + ", ".join("(select count(*) from %s)" % t for t in TABLES))


def ok(env, *args):
    p = env.postdesk(*args, "--actor", "tester")
    if p.returncode != 0:
        pdtest.fail("postdesk %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def bad(env, rc, needle, *args):
    """A refused command: exit rc, one line on stderr naming the problem,
    nothing written."""
    before = counts(env)
    p = env.postdesk(*args)
    pdtest.check_eq(p.returncode, rc, "exit of postdesk %s (stderr %r)" % (" ".join(args), p.stderr))
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    pdtest.check(lines and needle.lower() in lines[0].lower(),
                 "stderr of postdesk %s: want %r in %r" % (" ".join(args), needle, p.stderr))
    if rc != 64 or "usage:" not in p.stderr:
        pdtest.check_eq(len(lines), 1, "one-line message for %s: %r" % (" ".join(args), p.stderr))
    pdtest.check_eq(counts(env), before, "rows after refused postdesk %s" % " ".join(args))


def main():
    with pdtest.Env(queues=QUEUES) as env:
        ok(env, "agent", "add", "Bob@Example.COM", "--name", "Bob Agent", "--group", "tier1",
           "--address", "robert@example.com")
        ok(env, "account", "add", "Acme", "--plan", "premium", "--domain", "ACME.test",
           "--domain", "acme.example", "--manager", "robert@example.com")
        ok(env, "contact", "add", "Acme", "Alice@ACME.test", "--primary", "--name", "Alice")
        ok(env, "contact", "add", "Acme", "dave+tag@acme.test", "--permissions",
           "support,billing", "--expires", "2099-12-31")

        # stored canonically, with defaults and the manager resolved
        pdtest.check_eq(env.query("select address, role, array_to_string(permissions, ','),"
                                  " status, expires_at::date, added_by from contacts order by id"),
                        [["alice@acme.test", "primary", "support,technical,billing,records,contacts",
                          "active", "", "tester"],
                         ["dave@acme.test", "alternate", "support,billing", "active",
                          "2099-12-31", "tester"]], "contacts")
        pdtest.check_eq(env.query("select domain from account_domains order by 1"),
                        [["acme.example"], ["acme.test"]], "domains")
        pdtest.check_eq(env.scalar("select aa.address from accounts a join agent_addresses aa"
                                   " on aa.agent_id = a.manager_agent_id and aa.position = 0"),
                        "bob@example.com", "manager")
        pdtest.check_eq(env.query("select actor, kind from events order by id"),
                        [["tester", "agent.created"], ["tester", "account.created"],
                         ["tester", "contact.added"], ["tester", "contact.added"]], "events")

        # the readable and the JSON forms
        show = ok(env, "account", "show", "Acme")
        for needle in ("premium", "bob@example.com", "acme.test", "alice@acme.test",
                       "support,billing", "2099-12-31"):
            pdtest.check(needle in show, "account show lacks %r:\n%s" % (needle, show))
        data = json.loads(ok(env, "account", "show", "Acme", "--json"))
        pdtest.check_eq(data["manager"], "bob@example.com", "json manager")
        pdtest.check_eq(data["domains"], ["acme.example", "acme.test"], "json domains")
        pdtest.check_eq([c["address"] for c in data["contacts"]],
                        ["alice@acme.test", "dave@acme.test"], "json contacts")
        pdtest.check_eq(data["contacts"][1]["permissions"], ["support", "billing"], "json perms")
        lst = json.loads(ok(env, "contact", "list", "Acme", "--json"))
        pdtest.check_eq(len(lst), 2, "contact list")
        pdtest.check_eq(json.loads(ok(env, "account", "list", "--json"))[0]["primary_contact"],
                        "alice@acme.test", "account list")
        agent = json.loads(ok(env, "agent", "show", "ROBERT@example.com", "--json"))
        pdtest.check_eq(agent["addresses"], ["bob@example.com", "robert@example.com"], "agent")
        queues = json.loads(ok(env, "queue", "list", "--json"))
        pdtest.check_eq([(q["name"], q["permission"], q["unknown_senders"]) for q in queues],
                        [("support", None, "open"), ("billing", "billing", "known")], "queues")
        pdtest.check("billing" in ok(env, "queue", "show", "billing"), "queue show")

        # changes, each with an event carrying old and new
        ok(env, "contact", "set", "dave@acme.test", "--permissions", "support,technical")
        ev = json.loads(env.scalar("select detail from events where kind ="
                                   " 'contact.permissions_changed'"))
        pdtest.check_eq((ev["old"], ev["new"]), (["support", "billing"], ["support", "technical"]),
                        "permissions event")
        ok(env, "contact", "suspend", "dave@acme.test")
        pdtest.check_eq(env.scalar("select status from contacts where address = 'dave@acme.test'"),
                        "suspended", "suspended")
        bad(env, 64, "already suspended", "contact", "suspend", "dave@acme.test")
        ok(env, "contact", "activate", "dave@acme.test")
        ok(env, "contact", "suspend", "dave@acme.test")
        pdtest.check_eq(env.query("select kind from events where kind like 'contact.%'"
                                  " and detail->>'address' = 'dave@acme.test' order by id"),
                        [["contact.permissions_changed"], ["contact.suspended"],
                         ["contact.reactivated"], ["contact.suspended"]], "status events")
        ok(env, "account", "set", "Acme", "--remove-domain", "acme.example", "--plan", "basic")
        pdtest.check_eq(env.scalar("select count(*) from account_domains"), "1", "domain removed")
        ok(env, "agent", "set", "bob@example.com", "--group", "tier2", "--group", "billing")
        ok(env, "agent", "remove", "robert@example.com")
        pdtest.check_eq(env.scalar("select active from agents"), "f", "agent removed")

        # bad input: clear message, exit 64/67, nothing written
        bad(env, 67, 'unknown account "Nope"', "contact", "add", "Nope", "x@acme.test")
        bad(env, 64, "invalid address", "contact", "add", "Acme", "not an address")
        bad(env, 64, "invalid address", "contact", "add", "Acme", "@acme.test")
        bad(env, 64, 'unknown permission "bogus"', "contact", "add", "Acme", "x@acme.test",
            "--permissions", "support,bogus")
        bad(env, 64, "already has a primary contact", "contact", "add", "Acme", "x@acme.test",
            "--primary")
        bad(env, 64, "not in the future", "contact", "add", "Acme", "x@acme.test",
            "--expires", "2020-01-01")
        bad(env, 64, "invalid date", "contact", "add", "Acme", "x@acme.test",
            "--expires", "2031-02-30")
        bad(env, 64, "already a contact", "contact", "add", "Acme", "ALICE@acme.test")
        bad(env, 64, "already exists", "account", "add", "Acme")
        bad(env, 64, "already belongs", "account", "add", "Other", "--domain", "acme.test")
        bad(env, 64, "invalid domain", "account", "add", "Other", "--domain", "no_dots")
        bad(env, 67, "unknown agent", "account", "add", "Other", "--manager", "nobody@example.com")
        bad(env, 67, "unknown contact", "contact", "set", "nobody@acme.test", "--name", "X")
        bad(env, 67, "unknown contact", "contact", "remove", "nobody@acme.test")
        bad(env, 67, "unknown account", "account", "show", "Nope")
        bad(env, 67, "unknown account", "contact", "list", "Nope")
        bad(env, 67, "unknown agent", "agent", "show", "nobody@example.com")
        bad(env, 67, "unknown queue", "queue", "show", "nope")
        bad(env, 64, "already belongs to an agent", "agent", "add", "x@example.com", "--name", "X",
            "--address", "bob@example.com")
        bad(env, 64, "--name is required", "agent", "add", "x@example.com")
        bad(env, 64, "already removed", "agent", "remove", "bob@example.com")
        bad(env, 64, "nothing to change", "contact", "set", "alice@acme.test")
        bad(env, 64, "unknown option", "account", "add", "X", "--bogus")
        bad(env, 64, "unknown action", "contact", "frobnicate")
        # a failing step late in one command leaves nothing of its earlier steps
        bad(env, 64, "already belongs", "account", "set", "Acme", "--add-domain", "new.test",
            "--add-domain", "acme.test")
        bad(env, 64, "already belongs", "account", "add", "Globex", "--domain", "globex.test",
            "--domain", "acme.test")
        pdtest.check_eq(env.scalar("select count(*) from accounts where name = 'Globex'"), "0",
                        "Globex not created")

        # an address in two accounts needs --account
        ok(env, "account", "add", "Globex")
        ok(env, "contact", "add", "Globex", "alice@acme.test")
        bad(env, 64, "--account", "contact", "suspend", "alice@acme.test")
        ok(env, "contact", "remove", "alice@acme.test", "--account", "Globex")
        pdtest.check_eq(env.query("select a.name, c.status from contacts c join accounts a"
                                  " on a.id = c.account_id where address = 'alice@acme.test'"
                                  " order by c.id"),
                        [["Acme", "active"], ["Globex", "removed"]], "remove in one account")
        # after the primary is suspended or removed, another may become
        # primary; the old one cannot come back as a second primary
        ok(env, "contact", "suspend", "alice@acme.test")
        ok(env, "contact", "add", "Acme", "erin@acme.test", "--primary")
        bad(env, 64, "another primary contact", "contact", "activate", "alice@acme.test")
        ok(env, "contact", "remove", "alice@acme.test")
        # the actor defaults to the Unix user
        p = env.postdesk("account", "add", "Initech", check_rc=0)
        pdtest.check(env.scalar("select actor from events order by id desc limit 1") not in
                     ("", "tester", "postdesk"), "default actor")
    print("ok")


if __name__ == "__main__":
    main()
