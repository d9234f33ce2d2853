"""postdeskd SIGKILLed in the middle of DATA and in the middle of the
database transaction: nothing half-written (a delivery is all or nothing),
and after a restart the redelivery gives exactly one ticket and one
message.  The transaction is held open by a test trigger that sleeps
inside the messages insert (after the ticket row was inserted)."""
import time

import pdtest
from pdtest import check, check_eq

TABLES = ("tickets", "messages", "raw_messages", "events", "participants")


def counts(env):
    return dict((t, int(env.scalar("select count(*) from %s" % t))) for t in TABLES)


def wait_backends(env, cond, what, timeout=30):
    end = time.time() + timeout
    sql = ("select count(*) from pg_stat_activity where datname = current_database() "
           "and wait_event = 'PgSleep'")
    while time.time() < end:
        n = int(env.scalar(sql))
        if cond(n):
            return
        time.sleep(0.05)
    pdtest.fail("timed out waiting for %s" % what)


def open_data(port, recipient="support@example.com"):
    w = pdtest.Wire(port)
    w.expect("220 ")
    w.send("LHLO mx.test\r\nMAIL FROM:<k@customer.test>\r\nRCPT TO:<%s>\r\nDATA\r\n" % recipient)
    w.expect("250 ")
    w.expect("250 ")
    w.expect("250 ")
    w.expect("354 ")
    return w


def kill_mid_transaction(env, mail, detect_disconnect):
    """Kill postdeskd while the trigger sleeps; returns the counts after."""
    before = counts(env)
    d = env.daemon()
    w = open_data(d.port)
    w.send(mail + b".\r\n")
    wait_backends(env, lambda n: n >= 1, "the delivery to sleep in the trigger")
    d.kill()
    w.close()
    # The backend aborts at once (client_connection_check_interval) or
    # finishes its single statement; either way all or nothing.
    wait_backends(env, lambda n: n == 0, "the orphaned backend to finish")
    after = counts(env)
    delta = dict((t, after[t] - before[t]) for t in TABLES)
    if detect_disconnect:
        check_eq(delta, dict((t, 0) for t in TABLES), "nothing written after the kill")
    else:
        check(all(v == 0 for v in delta.values()) or
              (delta["tickets"] == 1 and delta["messages"] == 1 and
               delta["raw_messages"] == 1 and delta["events"] >= 2),
              "all or nothing: %r" % delta)
    return delta


def main():
    with pdtest.Env() as env:
        # 1. Killed in the middle of DATA.
        d = env.daemon()
        mail = pdtest.message(msgid="<mid-data@customer.test>", body="line\n" * 20000)
        w = open_data(d.port)
        w.send(mail[:len(mail) // 2])
        pdtest.wait_read(w, d.port)     # the daemon has half the content
        d.kill()
        w.close()
        check_eq(counts(env), dict((t, 0) for t in TABLES), "nothing after a kill mid-DATA")
        d = env.daemon()
        replies = pdtest.lmtp_deliver(d.port, "k@customer.test", ["support@example.com"], mail)
        check(replies[0].startswith("250 "), "redelivery: %r" % replies)
        check_eq(counts(env)["tickets"], 1, "one ticket")
        check_eq(counts(env)["messages"], 1, "one message")
        d.stop()

        # 2. Killed in the middle of the transaction.
        env.query("""
            create function pd_test_slow() returns trigger language plpgsql as $$
            begin perform pg_sleep(3); return new; end $$;
            create trigger pd_test_slow before insert on messages
                for each row execute function pd_test_slow();""")
        # 2a: PostgreSQL notices the dead client and rolls back.
        env.query("alter database %s set client_connection_check_interval = '100ms'" %
                  env.dbname)
        mail_a = pdtest.message(msgid="<mid-txn-a@customer.test>")
        kill_mid_transaction(env, mail_a, detect_disconnect=True)
        # 2b: it does not notice: the statement completes and commits, but
        # no 250 was sent; the redelivery must be a duplicate.
        env.query("alter database %s reset client_connection_check_interval" % env.dbname)
        mail_b = pdtest.message(msgid="<mid-txn-b@customer.test>")
        kill_mid_transaction(env, mail_b, detect_disconnect=False)

        env.query("drop trigger pd_test_slow on messages")
        d = env.daemon()
        for m, mid in ((mail_a, "mid-txn-a"), (mail_b, "mid-txn-b")):
            for _ in range(2):
                replies = pdtest.lmtp_deliver(d.port, "k@customer.test",
                                              ["support@example.com"], m)
                check(replies[0].startswith("250 "), "redelivery of %s: %r" % (mid, replies))
            check_eq(env.scalar("select count(*) from messages where message_id = :'p1'",
                                mid + "@customer.test"), "1", "%s: one message" % mid)
            check_eq(env.scalar("select count(distinct ticket_id) from messages "
                                "where message_id = :'p1'", mid + "@customer.test"), "1",
                     "%s: one ticket" % mid)
        check_eq(counts(env)["tickets"], 3, "three tickets in all")
        # every ticket has its message: nothing half-written anywhere
        check_eq(env.scalar("select count(*) from tickets t where not exists "
                            "(select 1 from messages m where m.ticket_id = t.id)"), "0",
                 "tickets without a message")
        check_eq(d.stop(), 0, "exit status")


if __name__ == "__main__":
    main()
