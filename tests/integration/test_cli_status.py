"""postdesk status: one look at the daemon, the database and the queues,
exit 0 ok, 1 warning, 2 critical (monitoring's convention), text and --json.

  ok        a running postdeskd (220 on its listener), a migrated database:
            exit 0; a delivered mail shows as one open ticket in its queue;
  warning   a failed outbound row (its error listed), a queued row older
            than --max-age; a bigger --max-age silences the age;
  critical  the daemon stopped (unreachable listener), migrations pending,
            the database unreachable, a configuration that does not load;
  usage     an unknown option: 64.
"""
import json
import os

import pdtest
from pdtest import check, check_eq


def status(env, *args, config=None):
    p = env.postdesk("status", *args, config=config)
    return p.returncode, p.stdout, p.stderr


def status_json(env, *args, config=None):
    rc, out, err = status(env, "--json", *args, config=config)
    try:
        doc = json.loads(out)
    except ValueError:
        pdtest.fail("not JSON (exit %d): %r %r" % (rc, out, err))
    check_eq(doc["status"], ["ok", "warning", "critical"][rc], "status member vs exit")
    return rc, doc


def main():
    with pdtest.Env() as env:
        d = env.daemon()
        config = d.config_path
        rc, out, err = status(env, config=config)
        check_eq(rc, 0, "ok: " + out + err)
        check(out.startswith("postdesk status: ok\n"), out)
        check("daemon      ok       127.0.0.1:%d: 220 " % d.port in out, out)
        check("database    reachable" in out, out)
        check("schema      version" in out and ", current" in out, out)
        check("outbound    0 queued, 0 sending, 0 failed" in out, out)

        pdtest.deliver_ticket(d.port, pdtest.message(msgid="<status.1@customer.test>"),
                              "alice@customer.test")
        rc, doc = status_json(env, config=config)
        check_eq(rc, 0, "ok after a delivery: %r" % doc)
        check_eq(doc["problems"], [], "no problems")
        check_eq(doc["daemon"][0]["status"], "ok", "daemon")
        check(doc["daemon"][0]["reply"].startswith("220 "), doc["daemon"])
        check_eq(doc["database"], {"reachable": True, "error": None}, "database")
        check(doc["schema"]["current"] and doc["schema"]["version"] == doc["schema"]["known"],
              doc["schema"])
        queues = {q["name"]: q for q in doc["queues"]}
        check_eq((queues["support"]["open"], queues["support"]["tickets"]), (1, 1), "support")
        check_eq(queues["billing"]["open"], 0, "billing")
        check_eq(doc["outbound"], {"queued": 0, "sending": 0, "failed": 0,
                                   "oldest_queued_seconds": None}, "outbound")
        check_eq((doc["held"], doc["quarantined"]), (0, 0), "held, quarantined")

        # warnings: a failed mail, an old queued one
        env.query("insert into outbound (kind, template, recipients, status, last_error)"
                  " values ('welcome', 'welcome', '{bob@customer.test}', 'failed',"
                  " '550 5.1.1 <bob@customer.test>: no such user')")
        env.query("insert into outbound (kind, template, recipients, created_at)"
                  " values ('welcome', 'welcome', '{carol@customer.test}',"
                  " now() - interval '2 hours')")
        rc, out, _ = status(env, config=config)
        check_eq(rc, 1, "warning: " + out)
        check(out.startswith("postdesk status: warning\n"), out)
        check("1 outbound mail failed" in out, out)
        check("the oldest queued outbound mail waits for" in out, out)
        check("550 5.1.1 <bob@customer.test>: no such user" in out, "last error: " + out)
        rc, doc = status_json(env, "--max-age", "100000", config=config)
        check_eq(rc, 1, "still the failed row")
        check_eq(len(doc["problems"]), 1, "the age is within --max-age: %r" % doc["problems"])
        check_eq((doc["outbound"]["queued"], doc["outbound"]["failed"]), (1, 1), "outbound")
        check(doc["outbound"]["oldest_queued_seconds"] >= 7200, doc["outbound"])
        check_eq(doc["last_errors"][0]["error"], "550 5.1.1 <bob@customer.test>: no such user",
                 "last_errors")
        env.query("delete from outbound")
        check_eq(status(env, config=config)[0], 0, "ok again")

        # critical: the daemon stopped
        check_eq(d.stop(), 0, "exit status")
        rc, doc = status_json(env, config=config)
        check_eq(rc, 2, "daemon down: %r" % doc)
        check(doc["problems"][0].startswith("daemon unreachable on 127.0.0.1:%d" % d.port),
              doc["problems"])
        check_eq(doc["database"]["reachable"], True, "the database still is")

        # critical: the database unreachable; the file unreadable
        path = os.path.join(env.dir, "nodb.conf")
        with open(path, "w") as f:
            f.write(env.config_text().replace(env.conninfo,
                                              "host=%s port=1 dbname=nothing" % env.dir))
        os.chmod(path, 0o600)
        rc, doc = status_json(env, config=path)
        check_eq(rc, 2, "no database")
        check(any(p.startswith("database unreachable: ") for p in doc["problems"]),
              doc["problems"])
        check_eq((doc["database"]["reachable"], doc["queues"]), (False, None), "nothing read")
        rc, out, _ = status(env, config=os.path.join(env.dir, "missing.conf"))
        check_eq(rc, 2, "no configuration")
        check("configuration: " in out, out)
        rc, _, err = status(env, "--bogus", config=config)
        check_eq(rc, 64, "bad usage: " + err)

    # critical: migrations pending
    with pdtest.Env(migrate=False) as env:
        rc, doc = status_json(env)
        check_eq(rc, 2, "unmigrated")
        check("migrations pending" in doc["schema"]["problem"], doc["schema"])
        check_eq(doc["queues"], None, "tables not read")
    print("ok")


if __name__ == "__main__":
    main()
