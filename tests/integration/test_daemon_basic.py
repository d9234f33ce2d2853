"""postdeskd end to end over LMTP with a real PostgreSQL: a new mail makes a
ticket, a reply threads into it, a redelivery is a duplicate (one message
row, one ticket, both 250), an unknown recipient is refused at RCPT, the
per-recipient log line, max_sessions, idle timeout, a unix socket with its
mode, SIGHUP reload (good and bad config), SIGTERM exit 0, check-config."""
import os
import re
import signal
import stat
import socket
import time

import pdtest
from pdtest import check, check_eq


def count(env, table):
    return int(env.scalar("select count(*) from %s" % table))


def wait_log(d, pattern, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        m = re.search(pattern, d.log_text())
        if m:
            return m
        time.sleep(0.05)
    pdtest.fail("log never matched %r:\n%s" % (pattern, d.log_text()))


def main():
    with pdtest.Env() as env:
        d = env.daemon(lmtp_extra="max_sessions = 3\nidle_timeout = 2")
        wait_log(d, r"ready")

        # A new mail: one ticket, 250 only once it is committed.
        first = pdtest.message(msgid="<first.1@customer.test>")
        replies = pdtest.lmtp_deliver(d.port, "alice@customer.test",
                                      ["support@example.com"], first)
        check_eq(len(replies), 1, "replies")
        check(replies[0].startswith("250 2.0.0"), "new mail: %r" % replies)
        check_eq(count(env, "tickets"), 1, "tickets")
        number = env.scalar("select number from tickets")
        check(number in replies[0], "the 250 names ticket %s: %r" % (number, replies[0]))
        wait_log(d, r"<first\.1@customer\.test>: from=<alice@customer\.test>, "
                    r"to=<support@example\.com>, queue=support, ticket=%s \(new\), "
                    r"status=delivered \(250 [^)]*\), \d+ ms" % number)

        # The same bytes again (the crash between COMMIT and 250): duplicate.
        replies = pdtest.lmtp_deliver(d.port, "alice@customer.test",
                                      ["support@example.com"], first)
        check(replies[0].startswith("250 "), "redelivery: %r" % replies)
        check_eq(count(env, "tickets"), 1, "tickets after redelivery")
        check_eq(count(env, "messages"), 1, "messages after redelivery")
        wait_log(d, r"ticket=%s \(duplicate\), status=delivered" % number)

        # A reply threads into the ticket.
        reply = pdtest.message(subject="Re: Printer on fire", msgid="<reply.2@customer.test>",
                               headers=["In-Reply-To: <first.1@customer.test>",
                                        "References: <first.1@customer.test>"])
        replies = pdtest.lmtp_deliver(d.port, "alice@customer.test",
                                      ["support@example.com"], reply)
        check(replies[0].startswith("250 "), "reply: %r" % replies)
        check_eq(count(env, "tickets"), 1, "tickets after reply")
        check_eq(count(env, "messages"), 2, "messages after reply")
        wait_log(d, r"<reply\.2@customer\.test>: .*ticket=%s \(threaded: In-Reply-To "
                    r"<first\.1@customer\.test>\)" % number)

        # Two recipients, one known to each queue: one reply each, in order;
        # an unknown recipient is refused at RCPT time with 550 5.1.1.
        w = pdtest.Wire(d.port)
        w.expect("220 ")
        w.send("LHLO mx.test\r\n")
        w.expect("250 ")
        w.send("MAIL FROM:<bob@customer.test>\r\n")
        w.expect("250 ")
        w.send("RCPT TO:<nobody@example.com>\r\n")
        w.expect("550 5.1.1 ")
        w.send("RCPT TO:<billing+invoices@example.com>\r\n")
        w.expect("250 ")
        w.send("RCPT TO:<Help@Example.COM>\r\n")
        w.expect("250 ")
        w.send("DATA\r\n")
        w.expect("354 ")
        w.send(pdtest.message(msgid="<two.3@customer.test>") + b".\r\n")
        w.expect("250 ")
        w.expect("250 ")
        w.send("QUIT\r\n")
        w.expect("221 ")
        w.close()
        check_eq(env.query("select q.name, m.subaddress from messages m join tickets t "
                           "on t.id = m.ticket_id join queues q on q.id = t.queue_id "
                           "where m.message_id = 'two.3@customer.test' order by q.name"),
                 [["billing", "invoices"], ["support", ""]], "queues of the two copies")

        # Two addresses of one queue (support@ and help@): one ticket; each
        # recipient gets its 250, the second "already stored" (the
        # idempotency key is per queue, lib/ticket/pd-ticket.h).
        replies = pdtest.lmtp_deliver(d.port, "bob@customer.test",
                                      ["support@example.com", "help@example.com"],
                                      pdtest.message(msgid="<one-queue.5@customer.test>"))
        check(len(replies) == 2 and all(r.startswith("250 ") for r in replies),
              "both recipients: %r" % replies)
        check("already stored" in replies[1], "the second is the first's ticket: %r" % replies)
        check_eq(env.query("select count(distinct ticket_id), count(*) from messages"
                           " where message_id = 'one-queue.5@customer.test'"),
                 [["1", "1"]], "one ticket, one message for one queue")

        # max_sessions = 3: the fourth connection gets 421 4.3.2 and is closed.
        # (the sessions above are reaped asynchronously: wait for each slot)
        held = [pdtest.greet_when_free(d.port)[0] for _ in range(3)]
        extra = pdtest.Wire(d.port)
        extra.expect("421 4.3.2 ")
        check(extra.closed(), "the refused connection is closed")
        extra.close()
        # idle_timeout = 2: idle sessions get 421 4.4.2 and are closed.
        t0 = time.time()
        for w in held:
            lines = w.expect("421 4.4.2 ")
            check("timeout exceeded" in lines[-1], "timeout text: %r" % lines)
            check(w.closed(), "closed after the timeout")
            w.close()
        check(time.time() - t0 < 10, "timeout took %.1fs" % (time.time() - t0))
        # and the daemon serves again afterwards
        replies = pdtest.lmtp_deliver(d.port, "carol@customer.test", ["support@example.com"],
                                      pdtest.message(msgid="<after.4@customer.test>"))
        check(replies[0].startswith("250 "), "after timeouts: %r" % replies)

        # SIGHUP: a queue added to the config is accepted afterwards.
        w = pdtest.Wire(d.port)
        w.expect("220 ")
        w.send("LHLO mx.test\r\nMAIL FROM:<x@customer.test>\r\nRCPT TO:<sales@example.com>\r\n")
        w.expect("250 ")
        w.expect("250 ")
        w.expect("550 5.1.1 ")
        w.close()
        with open(d.config_path) as f:
            text = f.read()
        with open(d.config_path, "w") as f:
            f.write(text + "\n[queue sales]\naddresses = sales@example.com\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_log(d, r"reloaded configuration .*\(3 queues\)")
        replies = pdtest.lmtp_deliver(d.port, "x@customer.test", ["sales@example.com"],
                                      pdtest.message(msgid="<sales.5@customer.test>"))
        check(replies and replies[0].startswith("250 "), "sales after HUP: %r" % replies)
        check_eq(env.scalar("select q.name from messages m join tickets t on t.id = m.ticket_id "
                            "join queues q on q.id = t.queue_id "
                            "where m.message_id = 'sales.5@customer.test'"), "sales", "queue")

        # A broken config on SIGHUP is logged; the old one stays.
        with open(d.config_path, "w") as f:
            f.write(text.replace("config_version = 1", "config_version = 99"))
        d.proc.send_signal(signal.SIGHUP)
        wait_log(d, r"reload: .*config_version = 99.*keeping the previous configuration")
        check(d.alive(), "alive after a bad reload")
        replies = pdtest.lmtp_deliver(d.port, "x@customer.test", ["sales@example.com"],
                                      pdtest.message(msgid="<sales.6@customer.test>"))
        check(replies and replies[0].startswith("250 "), "old config kept: %r" % replies)

        # check-config judges the same files the same way.
        p = env.postdesk("check-config", config=d.config_path)
        check_eq(p.returncode, 78, "check-config on the broken file")
        check("config_version = 99" in p.stderr, "check-config says why: %r" % p.stderr)
        p = env.postdesk("check-config", check_rc=0)
        check_eq(p.stdout.strip(), "ok", "check-config output")
        bad = env.write_config(extra="", name="badlisten.conf")
        with open(bad) as f:
            bad_text = f.read()
        with open(bad, "w") as f:
            f.write(bad_text.replace("listen = 127.0.0.1:0", "listen = 127.0.0.1:http"))
        p = env.postdesk("check-config", config=bad)
        check_eq(p.returncode, 78, "check-config on a bad listen entry")
        check("listen" in p.stderr, "names the listen entry: %r" % p.stderr)

        # SIGTERM: exit 0, "stopped".
        check_eq(d.stop(), 0, "exit status after SIGTERM")
        check("stopped" in d.log_text(), "logs stopped")

        # A unix socket with socket_mode, alongside TCP; XFORWARD allowed
        # there for the peer uid named in xforward_users (ours, root).
        sock_path = os.path.join(env.dir, "lmtp.sock")
        port = pdtest.free_port()
        d2 = env.daemon(port=port, lmtp_extra="socket_mode = 0620\nxforward_users = %d" % os.geteuid()).config_path
        # (replace the listen line: both TCP and the unix socket)
        for dd in env.daemons:
            if dd.config_path == d2:
                dd.stop()
        with open(d2) as f:
            text = f.read()
        with open(d2, "w") as f:
            f.write(text.replace("listen = 127.0.0.1:%d" % port,
                                 "listen = 127.0.0.1:%d, unix:%s" % (port, sock_path)))
        d3 = pdtest.Daemon(env, d2, port)
        env.daemons.append(d3)
        # the TCP listener may answer before the unix socket is bound and
        # chmod-ed (before its listen(): nobody connects in between); a wrong
        # mode never turns right, so this fails as the check below would
        pdtest.wait_for("the unix socket with mode 0620", lambda: os.path.exists(sock_path) and
                        stat.S_IMODE(os.stat(sock_path).st_mode) == 0o620, 10)
        check(stat.S_ISSOCK(os.stat(sock_path).st_mode), "unix socket exists")
        check_eq(stat.S_IMODE(os.stat(sock_path).st_mode), 0o620, "socket mode")
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.connect(sock_path)
        w = pdtest.Wire.__new__(pdtest.Wire)
        w.sock, w.buf = u, b""
        w.expect("220 ")
        w.send("LHLO mx.test\r\n")
        lhlo = w.expect("250 ")
        check(any("XFORWARD" in l for l in lhlo), "XFORWARD offered to our uid: %r" % lhlo)
        w.send("XFORWARD ADDR=192.0.2.7 NAME=client.example HELO=client.example\r\n")
        w.expect("250 ")
        w.send("MAIL FROM:<dave@customer.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
        w.expect("250 ")
        w.expect("250 ")
        w.expect("354 ")
        w.send(pdtest.message(msgid="<unix.7@customer.test>") + b".\r\n")
        w.expect("250 ")
        w.close()
        check_eq(env.query("select client_address, client_helo from messages "
                           "where message_id = 'unix.7@customer.test'"),
                 [["192.0.2.7", "client.example"]], "XFORWARD data stored")
        check_eq(d3.stop(), 0, "exit status")
        check(not os.path.exists(sock_path), "unix socket removed at exit")


if __name__ == "__main__":
    main()
