"""SIGHUP under load drops nothing.

Four clients each hold one LMTP session and deliver 15 mails in it, one
transaction after another, while the main thread reloads postdeskd again
and again (each reload file adds or removes a queue, so every reload really
swaps the configuration); mail i of each client waits until reload i is
logged, so at least 14 reloads fall among the transactions of open
sessions (and some in the middle of one).  Every mail gets 250 in the session it started in
(no 421, no reconnect), every one is stored once, and the log shows the
reloads happened while the mail was flowing.
"""
import re
import signal
import threading

import pdtest
from pdtest import check, check_eq

CLIENTS = 4
MAILS = 15


reloaded = threading.Condition()
done_reloads = [0]


def client(port, n, results):
    try:
        w = pdtest.Wire(port)
        w.expect("220 ")
        w.send("LHLO mx.test\r\n")
        w.expect("250 ")
        for i in range(MAILS):
            # mail i goes after reload i has been taken: the reloads interleave
            with reloaded:
                check(reloaded.wait_for(lambda: done_reloads[0] >= i, timeout=60),
                      "reload %d never came" % i)
            w.send("MAIL FROM:<c%d@customer.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n"
                   % n)
            w.expect("250 ")
            w.expect("250 ")
            w.expect("354 ")
            data = pdtest.message(subject="load %d.%d" % (n, i),
                                  msgid="<reload-%d-%d@customer.test>" % (n, i))
            w.send(data + b"\r\n.\r\n")
            results.append(w.reply()[-1])
        w.send("QUIT\r\n")
        w.expect("221 ")
        w.close()
    except Exception as e:		# reported by the main thread
        results.append("client %d: %r" % (n, e))


def main():
    with pdtest.Env() as env:
        d = env.daemon()
        with open(d.config_path) as f:
            base = f.read()
        variants = [base, base + "\n[queue sales]\naddresses = sales@example.com\n"]
        results = []
        threads = [threading.Thread(target=client, args=(d.port, n, results))
                   for n in range(CLIENTS)]
        for t in threads:
            t.start()
        reloads = 0
        while any(t.is_alive() for t in threads):
            with open(d.config_path, "w") as f:
                f.write(variants[reloads % 2])
            before = d.log_text().count("reloaded configuration")
            d.proc.send_signal(signal.SIGHUP)
            reloads += 1
            # the next reload only once this one is done: the log line is the marker
            pdtest.wait_for("reload %d" % reloads,
                            lambda: d.log_text().count("reloaded configuration") > before)
            with reloaded:
                done_reloads[0] = reloads
                reloaded.notify_all()
        for t in threads:
            t.join()
        check_eq(len(results), CLIENTS * MAILS, "a reply per mail: %r" % results[-3:])
        bad = [r for r in results if not r.startswith("250 ")]
        check_eq(bad, [], "every mail accepted in its own session")
        check(reloads >= MAILS - 1, "reloads while the mail flowed: %d" % reloads)
        check_eq(env.scalar("select count(*) from messages where message_id like 'reload-%'"),
                 str(CLIENTS * MAILS), "each mail stored once")
        log = d.log_text()
        check(not re.search(r"421|keeping the previous configuration", log), log)
        check_eq(d.stop(), 0, "exit status")
    print("ok: %d mails in %d sessions, %d reloads" % (CLIENTS * MAILS, CLIENTS, reloads))


if __name__ == "__main__":
    main()
