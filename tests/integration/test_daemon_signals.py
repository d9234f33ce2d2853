"""SIGTERM lets a session finish its transaction: a message in the middle
of DATA when the signal comes is still accepted (250, stored), then the
session gets 421 and postdeskd exits 0; an idle session gets 421 at once;
new connections are refused.  SIGINT stops it the same way.  XFORWARD is
offered only to the TCP clients in xforward_hosts.

SIGHUP with a broken file (a misspelt key, a bad value) is refused: the
error is logged with its file:line and the running configuration stays (a
queue the broken file adds gets 550, the old ones 250); the fixed file is
then taken.  The mail-path warnings (a queue permission nobody can hold
while [auth] is off) are logged at warning level at start and on every
reload, and printed by check-config, which still exits 0."""
import re
import signal
import time

import pdtest
from pdtest import check, check_eq


def lhlo(port):
    w = pdtest.Wire(port)
    w.expect("220 ")
    w.send("LHLO mx.test\r\n")
    return w, w.expect("250 ")


def rcpt(port, address):
    """The RCPT TO reply for address."""
    w, _ = lhlo(port)
    w.send("MAIL FROM:<a@customer.test>\r\nRCPT TO:<%s>\r\n" % address)
    w.expect("250 ")
    reply = w.reply()[-1]
    w.close()
    return reply


QUEUES = pdtest.QUEUES_DEFAULT + "permission = billing\n"
WARNING = "[queue billing] permission = billing: no contact can hold it"


def sighup_broken():
    with pdtest.Env(queues=QUEUES) as env:
        d = env.daemon()
        check(re.search(r"warning: \S+:\d+: " + re.escape(WARNING), d.log_text()),
              "the warning at start, at warning level, with file:line:\n" + d.log_text())
        with open(d.config_path) as f:
            working = f.read()
        lines = working.count("\n")

        def reload(text, marker):
            with open(d.config_path, "w") as f:
                f.write(text)
            before = d.log_text().count(marker)
            d.proc.send_signal(signal.SIGHUP)
            pdtest.wait_for(marker, lambda: d.log_text().count(marker) > before)

        check_eq(rcpt(d.port, "billing@example.com")[:3], "250", "billing")
        check(rcpt(d.port, "sales@example.com").startswith("550 "), "no sales queue yet")
        # a misspelt key: refused, named with its line, the old configuration kept
        reload(working + "\n[queue sales]\naddresses = sales@example.com\n"
               "unknown_sender = moderate\n", "keeping the previous configuration")
        check(re.search(r"reload: %s:%d: unknown key 'unknown_sender' in \[queue sales\]; "
                        r"did you mean 'unknown_senders'\?; keeping the previous "
                        r"configuration" % (re.escape(d.config_path), lines + 4), d.log_text()),
              "the refusal names file:line:\n" + d.log_text())
        check(d.alive(), "alive after a refused reload")
        check(rcpt(d.port, "sales@example.com").startswith("550 "),
              "the refused file's new queue is not taken")
        check_eq(rcpt(d.port, "billing@example.com")[:3], "250", "the old queues still are")
        p = env.postdesk("check-config", config=d.config_path)
        check_eq(p.returncode, 78, "check-config on the refused file")
        check("%s:%d: unknown key 'unknown_sender'" % (d.config_path, lines + 4) in p.stderr,
              p.stderr)
        # a bad value: the same
        reload(working + "\n[queue sales]\naddresses = sales@example.com\n"
               "unknown_senders = maybe\n", "keeping the previous configuration")
        check("%s:%d: [queue sales] unknown_senders = maybe: open, known or moderate"
              % (d.config_path, lines + 4) in d.log_text(), d.log_text())
        check(rcpt(d.port, "sales@example.com").startswith("550 "), "still the old one")
        # fixed: taken, and the warning said again
        warnings = d.log_text().count(WARNING)
        reload(working + "\n[queue sales]\naddresses = sales@example.com\n"
               "unknown_senders = moderate\n", "reloaded configuration")
        check_eq(rcpt(d.port, "sales@example.com")[:3], "250", "the fixed file is taken")
        check(d.log_text().count(WARNING) > warnings, "the warning again on reload")
        p = env.postdesk("check-config", config=d.config_path)
        check_eq((p.returncode, p.stdout.strip()), (0, "ok"), "a warning is no error: " +
                 p.stderr)
        check(re.search(r"\S+:\d+: warning: " + re.escape(WARNING), p.stderr),
              "check-config prints the warning: " + p.stderr)
        check_eq(d.stop(), 0, "exit status")


def main():
    sighup_broken()
    with pdtest.Env() as env:

        d = env.daemon()
        busy, _ = lhlo(d.port)
        idle, _ = lhlo(d.port)
        busy.send("MAIL FROM:<a@customer.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
        busy.expect("250 ")
        busy.expect("250 ")
        busy.expect("354 ")
        mail = pdtest.message(msgid="<during-stop@customer.test>")
        busy.send(mail[:100])
        d.proc.send_signal(signal.SIGTERM)
        idle.expect("421 4.3.2 ")
        check(idle.closed(), "idle session closed")
        # the 250 for the rest of the mail below is what proves the wait
        check(d.alive(), "waits for the transaction in progress")
        # the listeners close right after the sessions are told to stop
        pdtest.wait_for("no new connections once stopping",
                        lambda: pdtest.connect_refused(d.port), timeout=10)
        busy.send(mail[100:] + b".\r\n")
        busy.expect("250 ")
        busy.expect("421 4.3.2 ")
        check_eq(d.stop(), 0, "exit status")
        check_eq(env.scalar("select count(*) from messages "
                            "where message_id = 'during-stop@customer.test'"), "1", "stored")

        d = env.daemon(lmtp_extra="xforward_hosts = 192.0.2.0/24, 2001:db8::1")
        w, reply = lhlo(d.port)
        check(not any("XFORWARD" in line for line in reply), "no XFORWARD for 127.0.0.1")
        w.send("XFORWARD ADDR=192.0.2.7\r\n")
        check(w.reply()[-1][0] == "5", "XFORWARD refused")
        w.close()
        check_eq(d.stop(signal.SIGINT), 0, "exit status after SIGINT")

        d = env.daemon(lmtp_extra="xforward_hosts = 127.0.0.0/8")
        w, reply = lhlo(d.port)
        check(any("XFORWARD" in line for line in reply), "XFORWARD for 127.0.0.0/8")
        w.close()
        check_eq(d.stop(), 0, "exit status")

        # An impatient supervisor: SIGTERM again and again while postdeskd
        # tears down still ends in a clean exit 0, never death by signal.
        for _ in range(3):
            d = env.daemon()
            end = time.time() + 0.5
            while d.alive() and time.time() < end:
                d.proc.send_signal(signal.SIGTERM)
                time.sleep(0.002)
            check_eq(d.stop(), 0, "exit status under repeated SIGTERM")


if __name__ == "__main__":
    main()
