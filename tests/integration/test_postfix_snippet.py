"""The shipped Postfix snippets (contrib/postfix/main.cf.lmtp and
master.cf.lmtp, as in the README) work with the postdesk.conf keys the
README gives.

A private Postfix gets exactly the parameters of the main.cf snippet (only
the socket path replaced): relay_domains, relay_recipient_maps,
transport_maps with lmtp:unix:PATH, lmtp_send_xforward_command; its lmtp
service runs without chroot as master.cf.lmtp says.  postdeskd listens on
unix:PATH with socket_group = postfix and xforward_users = postfix:
  - support@example.com is relayed to postdeskd by Postfix's lmtp client
    (user postfix, its primary group only), with XFORWARD: a ticket,
    client address and HELO stored;
  - an address not in relay_recipient_maps is refused by Postfix itself at
    RCPT time (550 5.1.1 ... relay recipient table), never reaching postdeskd;
  - the TCP variant the snippet mentions (lmtp:inet:[127.0.0.1]:PORT), with
    xforward_hosts = 127.0.0.1 set explicitly: XFORWARD accepted.
"""
import os
import re
import time

import pdtest
import postfix

README_LMTP = "socket_group = postfix\nxforward_users = postfix\n"


def swaks(mta, to, msgid):
    return pdtest.run(["swaks", "--server", "127.0.0.1:%d" % mta.port, "--local-interface",
                       "127.0.0.7", "--helo", "snippet.customer.test", "--from",
                       "dave@customer.test", "--to", to, "--header", "Message-Id: %s" % msgid,
                       "--header", "Subject: Snippet", "--timeout", "30"], timeout=60)


def client_of(env, msgid):
    end = time.time() + 30
    rows = []
    while not rows and time.time() < end:
        rows = env.query("select client_address, client_helo from messages"
                         " where message_id = :'p1'", msgid)
        time.sleep(0.1)
    return rows


def main():
    with open(os.path.join(postfix.CONTRIB, "master.cf.lmtp")) as f:
        service = [l.split() for l in f if l.strip() and not l.startswith("#")]
    pdtest.check_eq(service, [["lmtp", "unix", "-", "-", "n", "-", "-", "lmtp"]],
                    "master.cf.lmtp")
    pdtest.check(any(l.split() == service[0] for l in postfix.MASTER_SERVICES.splitlines()),
                 "the test instance's lmtp service is the snippet's")
    with pdtest.Env() as env:
        sock_dir = os.path.join(env.dir, "run")
        os.makedirs(sock_dir, 0o755)
        sock = os.path.join(sock_dir, "lmtp")
        port = pdtest.free_port()
        # The TCP listener is only there for the harness to see postdeskd
        # ready; nothing on it is trusted (no xforward_hosts).
        text = env.config_text(port, xforward=None).replace(
            "listen = 127.0.0.1:%d\n" % port,
            "listen = 127.0.0.1:%d, unix:%s\n%s" % (port, sock, README_LMTP))
        path = os.path.join(env.dir, "unix.conf")
        with open(path, "w") as f:
            f.write(text)
        d = pdtest.Daemon(env, path, port)
        env.daemons.append(d)
        pdtest.check(os.path.exists(sock), "postdeskd made %s" % sock)
        params = postfix.contrib_main_cf(lmtp_socket=sock)
        pdtest.check_eq(params.get("lmtp_send_xforward_command"), "yes", "snippet XFORWARD")
        pdtest.check("lmtp:unix:%s" % sock in params["transport_maps"],
                     "snippet transport: %r" % params)
        with postfix.Postfix(transport="lmtp:unix:%s" % sock, main=params) as mta:
            p = swaks(mta, "support@example.com", "<snippet-1@customer.test>")
            pdtest.check(p.returncode == 0, "swaks: %d\n%s" % (p.returncode, p.stdout))
            mta.wait_log(r"lmtp\[\d+\]: \w+: to=<support@example.com>, relay=\S+\[%s\].*"
                         r"status=sent \(250 " % re.escape(sock))
            pdtest.check_eq(client_of(env, "snippet-1@customer.test"),
                            [["127.0.0.7", "snippet.customer.test"]], "XFORWARD stored")

            p = swaks(mta, "nobody@example.com", "<snippet-2@customer.test>")
            pdtest.check(p.returncode != 0 and "550 5.1.1" in p.stdout,
                         "refused at RCPT by Postfix: %d\n%s" % (p.returncode, p.stdout))
            mta.wait_log(r"NOQUEUE: reject: RCPT from .*550 5\.1\.1 <nobody@example.com>")
            pdtest.check("nobody@example.com" not in d.log_text(), "never reached postdeskd")
        pdtest.check_eq(env.scalar("select count(*) from messages"), "1", "messages")

        # The TCP variant, XFORWARD trusted because xforward_hosts says so.
        d2 = env.daemon(lmtp_extra="xforward_hosts = 127.0.0.1")
        with postfix.Postfix(lmtp_port=d2.port) as mta:
            p = swaks(mta, "billing@example.com", "<snippet-3@customer.test>")
            pdtest.check(p.returncode == 0, "swaks: %d\n%s" % (p.returncode, p.stdout))
            mta.wait_log(r"lmtp\[\d+\]: \w+: to=<billing@example.com>.*status=sent \(250 ")
        pdtest.check_eq(client_of(env, "snippet-3@customer.test"),
                        [["127.0.0.7", "snippet.customer.test"]], "XFORWARD over TCP")
    print("ok")


if __name__ == "__main__":
    main()
