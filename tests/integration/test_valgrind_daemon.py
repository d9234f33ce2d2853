"""postdeskd under valgrind (memcheck): a new mail, a reply, a duplicate,
an unknown recipient, a database error (a trigger that raises), a hostile
fixture, an idle timeout and a SIGHUP reload, then SIGTERM: exit 0, no
definite or indirect leak, no memory error (valgrind exits 99 on any)."""
import os
import shutil
import signal
import time

import pdtest
from pdtest import check, check_eq


def main():
    if shutil.which("valgrind") is None:
        pdtest.skip("valgrind is not installed")
    with pdtest.Env() as env:
        vlog = os.path.join(env.dir, "valgrind.log")
        wrapper = ["valgrind", "--quiet", "--leak-check=full",
                   "--errors-for-leak-kinds=definite,indirect",
                   "--show-leak-kinds=definite,indirect", "--error-exitcode=99",
                   "--num-callers=30", "--log-file=" + vlog]
        d = env.daemon(wrapper=wrapper, lmtp_extra="idle_timeout = 5")
        env.query("""
            create function pd_test_fail() returns trigger language plpgsql as $$
            begin
                if new.subject = 'make it fail' then
                    raise exception 'injected failure';
                end if;
                return new;
            end $$;
            create trigger pd_test_fail before insert on messages
                for each row execute function pd_test_fail();""")

        def one(mail, rcpts=("support@example.com",)):
            return pdtest.lmtp_deliver(d.port, "v@customer.test", list(rcpts), mail)

        first = pdtest.message(msgid="<vg.1@customer.test>")
        check(one(first)[0].startswith("250 "), "new")
        reply = pdtest.message(msgid="<vg.2@customer.test>", subject="Re: Printer on fire",
                               headers=["In-Reply-To: <vg.1@customer.test>"])
        check(one(reply, ("support@example.com", "billing@example.com"))[0].startswith("250 "),
              "reply")
        check("already stored" in one(first)[0], "duplicate")
        check_eq(one(first, ("nobody@example.com",)), [], "unknown recipient refused")
        failed = one(pdtest.message(subject="make it fail"))
        check(failed[0].startswith("451 4.3.0 "), "database error: %r" % failed)
        with open(os.path.join(pdtest.DATA_DIR, "lmtp", "broken-charset.eml"), "rb") as f:
            check(one(f.read())[0].startswith("250 "), "hostile fixture")
        d.proc.send_signal(signal.SIGHUP)
        # an idle session, timed out by the daemon
        w = pdtest.Wire(d.port)
        w.expect("220 ")
        w.expect("421 4.4.2 ")
        w.close()
        # new + hostile; the reply threads; the failed one rolled back
        check_eq(env.scalar("select count(*) from tickets"), "2", "tickets")
        pdtest.wait_for("the reload", lambda: "reloaded configuration" in d.log_text(),
                        timeout=60)
        rc = d.stop(timeout=120)
        with open(vlog) as f:
            report = f.read()
        check_eq(rc, 0, "exit status under valgrind\n" + report + d.log_text())
        check("reloaded configuration" in d.log_text(), "reloaded")
        check("definitely lost" not in report and "Invalid" not in report,
              "valgrind report:\n" + report)


if __name__ == "__main__":
    main()
