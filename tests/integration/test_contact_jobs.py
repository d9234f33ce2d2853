#!/usr/bin/env python3
"""Welcome mails and scheduled jobs: real PostgreSQL, postdeskd, smtp-sink.

- `postdesk contact add` of an alternate contact queues exactly one welcome
  row in its own transaction (a primary holder gets none, re-activation
  none, no [outbound] none); the mail reaches the sink with
  Auto-Submitted: auto-generated and says what the contact may and may not
  ask for and who added it.
- `postdesk jobs run reminder --now D`: due accounts get exactly one reminder
  listing every contact (permissions, status, expiry), accounts reminded
  recently or without a primary holder none, a second run in the same
  period none, the next period one again; while another session holds the
  job's advisory lock the run is skipped; four concurrent runs queue each
  reminder once.
- `postdesk jobs run expiry`: an expired contact is recorded once.
- Two postdeskd on one database, scheduler every second: each due
  reminder is queued and sent once, each expiry recorded once.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import datetime

import pdtest
from smtpsink import SINK, Sink, header

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "jobs-test-key-0123456789abcdef"


def outbound_config(port):
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = Example Support <support@example.com>\n"
            "bounce_address = bounces@example.com\n"
            "token_keys = %s\ntemplates = %s\npoll_interval = 0.2\n"
            "retry_delays = 1\nconnect_timeout = 5\nreply_timeout = 5\ntimeout = 5\n\n"
            % (port, KEY, TEMPLATES))


def body(text):
    """The decoded text of a quoted-printable single-part dump."""
    import email
    import email.policy
    msg = email.message_from_string(text, policy=email.policy.default)
    part = msg.get_body(("plain",))
    return part.get_content() if part is not None else ""


wait_for = pdtest.wait_for


def day(offset):
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def admin(env, *args):
    return env.postdesk(*args, "--actor", "ops@example.com", check_rc=0).stdout


def test_welcome():
    sink = Sink()
    try:
        with pdtest.Env(extra_config=outbound_config(sink.port)) as env:
            admin(env, "account", "add", "acme", "--domain", "acme.test")
            admin(env, "contact", "add", "acme", "boss@acme.test", "--primary", "--name", "Boss")
            out = admin(env, "contact", "add", "acme", "bob@acme.test", "--name", "Bob Smith",
                        "--permissions", "support,billing")
            pdtest.check("welcome mail queued" in out, "contact add says so: %r" % out)
            rows = env.query("select kind, array_to_string(recipients, ','), envelope_from, "
                             "auto_reply, template_values->>'contact.may', "
                             "template_values->>'contact.may_not', "
                             "template_values->>'contact.added_by', "
                             "template_values->>'queue.address' from outbound")
            pdtest.check_eq(rows, [["welcome", "bob@acme.test", "bounces@example.com", "f",
                                    "support, billing", "technical, records, contacts",
                                    "ops@example.com", "support@example.com"]],
                            "exactly one welcome row, for the alternate contact")
            pdtest.check_eq(env.query("select address, welcomed_at is not null from contacts "
                                      "order by address"),
                            [["bob@acme.test", "t"], ["boss@acme.test", "f"]], "welcomed_at")
            pdtest.check_eq(env.scalar("select count(*) from events where kind = "
                                       "'outbound.queued' and detail->>'kind' = 'welcome'"),
                            "1", "event")
            # suspended and back: not welcomed twice
            admin(env, "contact", "suspend", "bob@acme.test")
            admin(env, "contact", "activate", "bob@acme.test")
            pdtest.check_eq(env.scalar("select count(*) from outbound"), "1",
                            "re-activation queues nothing")
            # a failing add writes neither contact nor welcome
            r = env.postdesk("contact", "add", "acme", "bob@acme.test")
            pdtest.check_eq(r.returncode, 64, "duplicate contact")
            r = env.postdesk("contact", "add", "nosuch", "eve@acme.test")
            pdtest.check_eq(r.returncode, 67, "unknown account")
            pdtest.check_eq(env.scalar("select count(*) from outbound"), "1", "nothing partial")

            env.daemon()
            wait_for("the welcome mail", lambda: len(sink.dumps()) >= 1)
            pdtest.outbound_settled(env)
            dumps = sink.dumps()
            pdtest.check_eq(len(dumps), 1, "one mail at the sink")
            m = dumps[0]
            pdtest.check_eq(header(m, "X-Rcpt-Args"), "<bob@acme.test>", "RCPT TO")
            oid = env.scalar("select id from outbound where kind = 'welcome'")
            pdtest.check_eq(header(m, "X-Mail-Args"),
                            "<%s>" % pdtest.mint_token("bounce", KEY, "bounces@example.com", oid,
                                                       "bob@acme.test"),
                            "MAIL FROM: the row's signed bounce address")
            pdtest.check_eq(header(m, "Auto-Submitted"), "auto-generated", "Auto-Submitted")
            pdtest.check("acme" in header(m, "Subject"), "subject %r" % header(m, "Subject"))
            text = body(m)
            for want in ("Hello Bob Smith", "You may ask us to: support, billing.",
                         "You may not ask us to: technical, records, contacts",
                         "support@example.com", "entered by ops@example.com",
                         "(bob@acme.test)"):
                pdtest.check(want in re.sub(r"\s+", " ", text), "body has %r:\n%s" % (want, text))
            pdtest.check_eq(env.scalar("select status from outbound"), "sent", "row sent")
    finally:
        sink.stop()


def test_welcome_without_outbound():
    with pdtest.Env() as env:
        admin(env, "account", "add", "acme")
        out = admin(env, "contact", "add", "acme", "bob@acme.test")
        pdtest.check("welcome" not in out, "no welcome claimed: %r" % out)
        pdtest.check_eq(env.scalar("select count(*) from outbound"), "0", "no row")
        pdtest.check_eq(env.scalar("select welcomed_at is null from contacts"), "t",
                        "not welcomed")
        r = env.postdesk("jobs", "run", "reminder")
        pdtest.check_eq(r.returncode, 64, "a reminder needs [outbound]: %s" % r.stderr)
        env.postdesk("jobs", "run", "expiry", check_rc=0)
        bad = env.write_config(extra="[jobs]\nreminder_interval = monthly\n", name="bad.conf")
        r = env.postdesk("check-config", config=bad)
        pdtest.check_eq(r.returncode, 78, "check-config rejects a bad [jobs]")
        pdtest.check("reminder_interval" in r.stderr, "says which key: %r" % r.stderr)
        r = env.postdesk("jobs", "run", "expiry", config=bad)
        pdtest.check_eq(r.returncode, 78, "jobs run rejects it too (EX_CONFIG, as every command)")


def reminders(env):
    return env.query("select array_to_string(recipients, ','), template_values->>'account.name', "
                     "replace(template_values->>'account.contacts', E'\\n', '|') from outbound "
                     "where kind = 'reminder' order by id")


def test_reminder_cli():
    with pdtest.Env(extra_config=outbound_config(pdtest.free_port())) as env:
        for name in ("acme", "beta", "gamma"):
            admin(env, "account", "add", name)
        admin(env, "contact", "add", "acme", "boss@acme.test", "--primary", "--name", "Ann Boss")
        admin(env, "contact", "add", "acme", "bob@acme.test", "--permissions", "support,billing",
              "--expires", day(400))
        admin(env, "contact", "add", "acme", "carol@acme.test", "--name", "Carol")
        admin(env, "contact", "add", "acme", "dave@acme.test")
        admin(env, "contact", "suspend", "carol@acme.test")
        admin(env, "contact", "remove", "dave@acme.test")
        admin(env, "contact", "add", "beta", "holder@beta.test", "--primary")
        admin(env, "contact", "add", "gamma", "alt@gamma.test")     # no primary holder
        now = day(40)
        env.query("update accounts set last_reminded_at = :'p1'::date - 10 where name = 'beta'",
                  now)
        welcomes = env.scalar("select count(*) from outbound")

        out = env.postdesk("jobs", "run", "reminder", "--now", now, check_rc=0).stdout
        pdtest.check_eq(out.strip(), "reminder: 1 mails queued", "first run")
        rows = reminders(env)
        pdtest.check_eq([r[:2] for r in rows], [["boss@acme.test", "acme"]],
                        "only the due account with a primary holder")
        lines = rows[0][2].split("|")
        pdtest.check_eq(lines, [
            "- Ann Boss <boss@acme.test>, primary: may ask for support, technical, billing, "
            "records, contacts; active",
            "- <bob@acme.test>, alternate: may ask for support, billing; active; expires %s"
            % day(400),
            "- Carol <carol@acme.test>, alternate: may ask for support; suspended",
        ], "every contact (removed ones not), permissions, status, expiry")
        pdtest.check_eq(env.scalar("select to_char(last_reminded_at at time zone 'UTC', "
                                   "'YYYY-MM-DD') from accounts where name = 'acme'"), now, "last_reminded_at")

        out = env.postdesk("jobs", "run", "reminder", "--now", now, check_rc=0).stdout
        pdtest.check_eq(out.strip(), "reminder: 0 mails queued", "second run, same moment")
        env.postdesk("jobs", "run", "reminder", "--now", day(61), check_rc=0)
        pdtest.check_eq(len(reminders(env)), 2, "same period: beta is now due, acme not")
        pdtest.check_eq(reminders(env)[1][0], "holder@beta.test", "beta's holder")
        env.postdesk("jobs", "run", "reminder", "--now", day(71), check_rc=0)
        pdtest.check_eq([r[0] for r in reminders(env)],
                        ["boss@acme.test", "holder@beta.test", "boss@acme.test"],
                        "the next period: acme again")
        pdtest.check_eq(env.scalar("select count(*) from outbound"),
                        str(int(welcomes) + 3), "nothing else queued")

        # another session holds the job's advisory lock: the run is skipped
        p = subprocess.Popen(["psql", "-X", "-At", "-d", env.dbname],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env=env.cluster.env(env.dbname))
        p.stdin.write("select pg_advisory_lock(hashtextextended('pd-job:reminder', 0));\n"
                      "\\echo locked\n")
        p.stdin.flush()
        wait_for("lock", lambda: "locked" in p.stdout.readline())
        out = env.postdesk("jobs", "run", "reminder", "--now", day(200), check_rc=0).stdout
        p.stdin.close()
        p.wait(10)
        pdtest.check_eq(out.strip(), "reminder: skipped, another instance is running it",
                        "advisory lock")
        pdtest.check_eq(len(reminders(env)), 3, "nothing queued while locked")

        # four at once: each due account reminded once
        for i in range(20):
            admin(env, "account", "add", "many%d" % i)
            admin(env, "contact", "add", "many%d" % i, "h%d@many.test" % i, "--primary")
        config = env.write_config()
        procs = [subprocess.Popen([pdtest.POSTDESK, "-c", config, "jobs", "run", "reminder",
                                   "--now", day(300)], stdout=subprocess.PIPE, text=True)
                 for _ in range(4)]
        outs = [q.communicate(timeout=60)[0] for q in procs]
        pdtest.check([q.returncode for q in procs] == [0] * 4, "exit codes: %r" % outs)
        queued = sum(int(m.group(1)) for o in outs
                     for m in [re.search(r"(\d+) mails queued", o)] if m)
        pdtest.check_eq(queued, 22, "the runs together queued 22: %r" % outs)
        pdtest.check_eq(env.scalar("select count(*) from outbound where kind = 'reminder' "
                                   "and created_at > now() - interval '1 hour'"), "25",
                        "3 earlier + 22")
        pdtest.check_eq(env.scalar("select count(*) from (select recipients from outbound "
                                   "where kind = 'reminder' and template_values->>'account.name' "
                                   "like 'many%' group by recipients having count(*) > 1) d"),
                        "0", "no account twice")

        r = env.postdesk("jobs", "run", "cleanup")
        pdtest.check_eq(r.returncode, 64, "unknown job")
        r = env.postdesk("jobs", "run", "expiry", "--now", "tomorrow")
        pdtest.check_eq(r.returncode, 64, "bad --now")


def test_expiry_cli():
    with pdtest.Env() as env:
        admin(env, "account", "add", "acme")
        admin(env, "contact", "add", "acme", "bob@acme.test", "--expires", day(1))
        admin(env, "contact", "add", "acme", "eve@acme.test", "--expires", day(5))
        out = env.postdesk("jobs", "run", "expiry", check_rc=0).stdout
        pdtest.check_eq(out.strip(), "expiry: 0 expired contacts recorded", "nothing yet")
        out = env.postdesk("jobs", "run", "expiry", "--now", day(2), check_rc=0).stdout
        pdtest.check_eq(out.strip(), "expiry: 1 expired contacts recorded", "bob expired")
        env.postdesk("jobs", "run", "expiry", "--now", day(3), check_rc=0)
        rows = env.query("select detail->>'address' from events where kind = 'contact.expired' "
                         "order by id")
        pdtest.check_eq(rows, [["bob@acme.test"]], "recorded once")
        pdtest.check_eq(env.scalar("select status from contacts where address = 'bob@acme.test'"),
                        "active", "status kept: the lookup treats expired as no privilege")
        # a new expiry date is recorded again when it passes
        admin(env, "contact", "set", "bob@acme.test", "--expires", day(10))
        env.postdesk("jobs", "run", "expiry", "--now", day(11), check_rc=0)
        rows = env.query("select detail->>'address' from events where kind = 'contact.expired' "
                         "order by id")
        pdtest.check_eq(rows, [["bob@acme.test"], ["eve@acme.test"], ["bob@acme.test"]],
                        "eve once, bob's new date once")


def test_two_daemons():
    sink = Sink()
    try:
        with pdtest.Env(extra_config=outbound_config(sink.port)) as env:
            for i in range(10):
                admin(env, "account", "add", "acct%d" % i)
                admin(env, "contact", "add", "acct%d" % i, "h%d@acct.test" % i, "--primary")
            admin(env, "contact", "add", "acct0", "old@acct.test")
            admin(env, "contact", "add", "acct1", "older@acct.test")
            env.query("update accounts set created_at = now() - interval '31 days' "
                      "where name <> 'acct9'")
            env.query("update contacts set expires_at = now() - interval '1 hour' "
                      "where address in ('old@acct.test', 'older@acct.test')")
            jobs = "[jobs]\nrun_every = 1s\n"
            d1 = env.daemon(extra=jobs)
            d2 = env.daemon(extra=jobs)
            # 2 welcomes + 9 reminders (acct9 is new: not due)
            wait_for("11 mails", lambda: len(sink.dumps()) >= 11)
            # several more runs of both schedulers, each finding nothing due
            # (a run that loses the advisory lock to the other logs nothing)
            ran = [d.log_text().count("jobs: reminder: nothing due") for d in (d1, d2)]
            wait_for("two more runs of each scheduler", lambda: all(
                d.log_text().count("jobs: reminder: nothing due") >= n + 2
                for d, n in zip((d1, d2), ran)))
            pdtest.outbound_settled(env)
            dumps = sink.dumps()
            pdtest.check_eq(len(dumps), 11, "each mail once")
            to = sorted(header(m, "X-Rcpt-Args") for m in dumps
                        if "Who may act" in (header(m, "Subject") or ""))
            pdtest.check_eq(to, sorted("<h%d@acct.test>" % i for i in range(9)),
                            "one reminder per due account")
            for m in dumps:
                pdtest.check_eq(header(m, "Auto-Submitted"), "auto-generated", "Auto-Submitted")
            r0 = [m for m in dumps if header(m, "X-Rcpt-Args") == "<h0@acct.test>"][0]
            pdtest.check("old@acct.test" in body(r0) and "expired on" in body(r0),
                         "the reminder lists the expired contact: %s" % body(r0))
            pdtest.check_eq(env.scalar("select count(*) from outbound where kind = 'reminder'"),
                            "9", "nine reminder rows")
            rows = env.query("select detail->>'address' from events where kind = 'contact.expired' "
                             "order by 1")
            pdtest.check_eq(rows, [["old@acct.test"], ["older@acct.test"]], "each expiry once")
            ran = env.query("select detail->>'instance' from events where kind = 'job.run' "
                            "and detail->>'job' = 'reminder'")
            pdtest.check_eq(len(ran), 1, "one run did the reminders: %r" % ran)
            for d in (d1, d2):
                pdtest.check_eq(d.stop(), 0, "clean stop")
    finally:
        sink.stop()


if __name__ == "__main__":
    if not os.path.exists(SINK):
        pdtest.skip("smtp-sink (postfix) not installed")
    test_welcome()
    test_welcome_without_outbound()
    test_reminder_cli()
    test_expiry_cli()
    test_two_daemons()
    print("ok")
