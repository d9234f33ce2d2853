"""postdesk check-config validates [outbound] and every reply template
(issue 4: an unknown placeholder is an error, reported as path:line), and
accepts the shipped defaults in filters/templates.  A template folder that
predates a feature (agent-reply.txt missing while [auth] lets agents answer
by mail; reminder.txt while [jobs] reminder is on) is an error naming the
file and the feature; turning the feature off makes it ok.  postdeskd logs
the same as a warning when it loads such a folder (and still sends the mail
whose templates exist)."""
import os
import shutil

import pdtest
from pdtest import check, check_eq

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
KEY = "0123456789abcdef0123456789abcdef"


def outbound(templates, extra=""):
    return ("[outbound]\nrelay = smtp://127.0.0.1:25\n"
            "from = Example Support <support@example.com>\n"
            "token_keys = %s\ntemplates = %s\n%s" % (KEY, templates, extra))


def main():
    with pdtest.Env() as env:  # migrated: postdeskd runs at the end
        good = env.write_config(extra=outbound(TEMPLATES), name="good.conf")
        p = env.postdesk("check-config", config=good)
        check_eq((p.returncode, p.stdout.strip()), (0, "ok"), "shipped templates: " + p.stderr)

        broken = os.path.join(env.dir, "templates")
        shutil.copytree(TEMPLATES, broken)
        with open(os.path.join(broken, "ack.txt"), "a") as f:
            f.write("Your ticket: {{ticket.nonsense}}\n")
        bad = env.write_config(extra=outbound(broken), name="bad.conf")
        p = env.postdesk("check-config", config=bad)
        check_eq(p.returncode, 78, "unknown placeholder refused")
        check("ack.txt:" in p.stderr and "ticket.nonsense" in p.stderr,
              "path:line and the placeholder named: " + p.stderr)

        worse = env.write_config(extra=outbound(TEMPLATES, "tls_verify = perhaps\n"),
                                 name="worse.conf")
        p = env.postdesk("check-config", config=worse)
        check_eq(p.returncode, 78, "bad [outbound] key refused: " + p.stderr)
        ok = env.write_config(extra=outbound(TEMPLATES, "tls_verify = no\n"), name="ok.conf")
        check_eq(env.postdesk("check-config", config=ok).returncode, 0, "tls_verify = no")
        # a folder from before agents answered by mail
        old = os.path.join(env.dir, "old-templates")
        shutil.copytree(TEMPLATES, old)
        os.remove(os.path.join(old, "agent-reply.txt"))
        os.remove(os.path.join(old, "reminder.txt"))
        auth = "[auth]\nmode = trust-ar\nauthserv_id = mx.example.com\n"
        stale = env.write_config(extra=outbound(old) + auth, name="stale.conf")
        p = env.postdesk("check-config", config=stale)
        check_eq(p.returncode, 78, "missing templates refused: " + p.stderr)
        for needle in (old + "/agent-reply.txt is missing: needed by agents answering by mail",
                       old + "/reminder.txt is missing: needed by [jobs] reminder = yes"):
            check(needle in p.stderr, "%r in: %s" % (needle, p.stderr))
        off = env.write_config(extra=outbound(old) + "[jobs]\nreminder = no\n", name="off.conf")
        p = env.postdesk("check-config", config=off)
        check_eq((p.returncode, p.stdout.strip()), (0, "ok"),
                 "without [auth] and with reminder = no neither is needed: " + p.stderr)
        d = env.daemon(extra=outbound(old) + auth)
        pdtest.wait_for("the daemon's warning", lambda: "agent-reply.txt is missing: needed by"
                        " agents answering by mail" in d.log_text())
    print("ok")


if __name__ == "__main__":
    main()
