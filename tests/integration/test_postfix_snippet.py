"""The shipped main.cf lines (contrib/postfix/main.cf.lmtp, as in the README) work.

A private Postfix gets exactly the parameters of that snippet (only the
port of postdeskd replaced): relay_domains, relay_recipient_maps,
transport_maps with lmtp:inet:[127.0.0.1]:PORT, lmtp_send_xforward_command.
  - support@example.com is relayed to postdeskd, with XFORWARD: a ticket,
    client address and HELO stored;
  - an address not in relay_recipient_maps is refused by Postfix itself at
    RCPT time (550 5.1.1 ... relay recipient table), never reaching postdeskd;
  - the unix-socket variant the README describes: postdeskd listening on
    unix:PATH, Postfix's lmtp client (as user postfix) delivering through
    lmtp:unix:PATH, XFORWARD accepted from the socket.
"""
import os
import re
import time

import pdtest
import postfix


def swaks(mta, to, msgid):
    return pdtest.run(["swaks", "--server", "127.0.0.1:%d" % mta.port, "--local-interface",
                       "127.0.0.7", "--helo", "snippet.customer.test", "--from",
                       "dave@customer.test", "--to", to, "--header", "Message-Id: %s" % msgid,
                       "--header", "Subject: Snippet", "--timeout", "30"], timeout=60)


def main():
    with pdtest.Env() as env:
        d = env.daemon()
        params = postfix.contrib_main_cf(lmtp_port=d.port)
        pdtest.check_eq(params.get("lmtp_send_xforward_command"), "yes", "snippet XFORWARD")
        pdtest.check("lmtp:inet:[127.0.0.1]:%d" % d.port in params["transport_maps"],
                     "snippet transport: %r" % params)
        with postfix.Postfix(lmtp_port=d.port, main=params) as mta:
            p = swaks(mta, "support@example.com", "<snippet-1@customer.test>")
            pdtest.check(p.returncode == 0, "swaks: %d\n%s" % (p.returncode, p.stdout))
            mta.wait_log(r"lmtp\[\d+\]: \w+: to=<support@example.com>.*status=sent \(250 ")
            end = time.time() + 30
            rows = []
            while not rows and time.time() < end:
                rows = env.query("select client_address, client_helo from messages"
                                 " where message_id = 'snippet-1@customer.test'")
                time.sleep(0.1)
            pdtest.check_eq(rows, [["127.0.0.7", "snippet.customer.test"]], "XFORWARD stored")

            p = swaks(mta, "nobody@example.com", "<snippet-2@customer.test>")
            pdtest.check(p.returncode != 0 and "550 5.1.1" in p.stdout,
                         "refused at RCPT by Postfix: %d\n%s" % (p.returncode, p.stdout))
            mta.wait_log(r"NOQUEUE: reject: RCPT from .*550 5\.1\.1 <nobody@example.com>")
            pdtest.check("nobody@example.com" not in d.log_text(), "never reached postdeskd")
        pdtest.check_eq(env.scalar("select count(*) from messages"), "1", "messages")

        # The unix socket variant.
        sock_dir = os.path.join(env.dir, "run")
        os.makedirs(sock_dir, 0o755)
        sock = os.path.join(sock_dir, "lmtp")
        port = pdtest.free_port()
        text = env.config_text(port).replace(
            "listen = 127.0.0.1:%d" % port,
            "listen = 127.0.0.1:%d, unix:%s\nsocket_mode = 0666" % (port, sock))
        path = os.path.join(env.dir, "unix.conf")
        with open(path, "w") as f:
            f.write(text)
        d2 = pdtest.Daemon(env, path, port)
        env.daemons.append(d2)
        pdtest.check(os.path.exists(sock), "postdeskd made %s" % sock)
        with postfix.Postfix(transport="lmtp:unix:%s" % sock) as mta:
            p = swaks(mta, "billing@example.com", "<snippet-3@customer.test>")
            pdtest.check(p.returncode == 0, "swaks: %d\n%s" % (p.returncode, p.stdout))
            mta.wait_log(r"lmtp\[\d+\]: \w+: to=<billing@example.com>, relay=\S+\[%s\].*"
                         r"status=sent \(250 " % re.escape(sock))
        rows = env.query("select client_address, client_helo from messages"
                         " where message_id = 'snippet-3@customer.test'")
        pdtest.check_eq(rows, [["127.0.0.7", "snippet.customer.test"]],
                        "XFORWARD over the unix socket")
    print("ok")


if __name__ == "__main__":
    main()
