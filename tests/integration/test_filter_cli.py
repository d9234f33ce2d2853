"""The operator's rules from the command line: `postdesk test --json`
shows the score, every rule hit, the actions and the disposition of the
shipped-style scripts over a mail; `postdesk check-config` prints a broken
script's errors as file:line:col and exits 78 (EX_CONFIG)."""
import json
import os

import pdtest
from pdtest import check, check_eq

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

SCORE = """require ["vnd.postdesk", "body"];
if body :contains "%s" { score :add 1000 "GTUBE"; }
if not exists "date" { score :add 1 "MISSING_DATE"; }
""" % GTUBE

ROUTE = """require ["vnd.postdesk", "fileinto", "spamtest", "relational",
         "comparator-i;ascii-numeric"];
if header :contains "subject" "invoice" {
    fileinto "billing"; category "invoices"; priority "high"; tag "money";
}
if spamtest :value "ge" :comparator "i;ascii-numeric" "10" { tag "spam"; }
"""


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main():
    with pdtest.Env() as env:
        filters = os.path.join(env.dir, "filters")
        os.mkdir(filters)
        write(os.path.join(filters, "score.sieve"), SCORE)
        write(os.path.join(filters, "route.sieve"), ROUTE)
        config = env.write_config(extra="[filters]\ndir = filters\n"
                                        "scripts = score.sieve, route.sieve\n")
        p = env.postdesk("check-config", config=config, check_rc=0)
        check("ok" in p.stdout, "check-config accepts the scripts: %r" % p.stdout)

        invoice = pdtest.message(subject="Your invoice 42")
        p = env.postdesk("test", "--json", "--to", "support@example.com", "-", input=invoice,
                         config=config, check_rc=0)
        out = json.loads(p.stdout)
        check_eq(out["disposition"], "ticket", "an invoice mail makes a ticket")
        check_eq(out["category"], "invoices", "its category")
        check_eq(out["queue"], "billing", "fileinto names the queue")
        check_eq(out["tags"], ["money"], "its tags")
        check_eq(out["score"], 0, "no rule scored")
        check_eq([a["action"] for a in out["actions"]],
                 ["category", "priority", "tag", "fileinto"], "the actions in order")

        spam = pdtest.message(subject="hello", body=GTUBE)
        p = env.postdesk("test", "--json", "--to", "support@example.com", "-", input=spam,
                         config=config, check_rc=0)
        out = json.loads(p.stdout)
        check_eq(out["disposition"], "quarantine", "GTUBE is quarantined")
        check_eq(out["rules"], [{"name": "GTUBE", "points": 1000}], "the rule hit")
        check("spam" in out["tags"], "the route script read the score with spamtest")
        p = env.postdesk("test", "--to", "support@example.com", "-", input=spam,
                         config=config, check_rc=0)
        text = p.stdout.decode() if isinstance(p.stdout, bytes) else p.stdout
        check("Rules: score=1000 (GTUBE 1000)" in text, "text output: %s" % text)
        check("disposition: quarantine" in text, "text output names the disposition")
        check_eq(env.scalar("select count(*) from tickets"), "0", "postdesk test stores nothing")

        # the shipped scripts compile, and score GTUBE into the quarantine
        shipped = env.write_config(extra="[filters]\ndir = %s\nscripts = score.sieve, route.sieve\n"
                                         % os.path.join(pdtest.SOURCE_DIR, "filters"),
                                   name="shipped.conf")
        p = env.postdesk("check-config", config=shipped, check_rc=0)
        check("ok" in p.stdout, "the shipped scripts compile: %r" % p.stdout)
        p = env.postdesk("test", "--json", "--to", "support@example.com", "-", input=spam,
                         config=shipped, check_rc=0)
        check_eq(json.loads(p.stdout)["disposition"], "quarantine", "shipped score.sieve: GTUBE")

        # identity tests see the sender once it is authenticated (trust-ar:
        # the MTA's Authentication-Results), with the account's plan
        write(os.path.join(filters, "who.sieve"),
              'require "vnd.postdesk";\n'
              'if identity :plan "premium" { tag "premium"; }\n'
              'if identity :kind "contact" { category "from-a-contact"; }\n')
        who = env.write_config(extra="[filters]\ndir = filters\nscripts = who.sieve\n"
                                     "[auth]\nmode = trust-ar\nauthserv_id = mx.postdesk.test\n",
                               name="who.conf")
        env.postdesk("account", "add", "Acme", "--plan", "premium", "--domain", "acme.test",
                     config=who, check_rc=0)
        env.postdesk("contact", "add", "Acme", "bill@acme.test", "--permissions", "support",
                     config=who, check_rc=0)
        passed = ("Authentication-Results: mx.postdesk.test; spf=pass smtp.mailfrom=acme.test;"
                  " dkim=none; dmarc=pass header.from=acme.test")
        for headers, tags, category in (((passed,), ["premium"], "from-a-contact"),
                                        ((), [], None)):
            m = pdtest.message(frm="Bill <bill@acme.test>", headers=headers)
            p = env.postdesk("test", "--json", "--to", "support@example.com", "-", input=m,
                             config=who, check_rc=0)
            out = json.loads(p.stdout)
            check_eq((out["tags"], out["category"]), (tags, category),
                     "identity seen only when authenticated (%s)" % (headers or "none"))

        write(os.path.join(filters, "route.sieve"),
              'require "vnd.postdesk";\nqueue;\nif identity :kind "contact" { hold; }\n'
              'priority "high" "low";\n')
        p = env.postdesk("check-config", config=config)
        check_eq(p.returncode, 78, "a broken script is a configuration error")
        check("route.sieve:2:1:" in p.stderr and "route.sieve:4:1:" in p.stderr,
              "every error with file:line:col: %r" % p.stderr)


if __name__ == "__main__":
    main()
