"""A mailbox without queue = (issue 13): each mail goes to its own
recipient as LMTP routing would (Delivered-To, X-Original-To, To, Cc:
lib/imap/pd-imap-route.h), with a real Dovecot IMAP; a mail no queue has
goes to the failed folder with an imap.refused event and makes no ticket."""
import dovecot
import pdtest
from pdtest import check, check_eq


def main():
    with dovecot.DovecotImap({"support": "s3cret"}) as dc, pdtest.Env() as env:
        dc.append("support", pdtest.message(to="billing@example.com",
                                            msgid="<route-billing@customer.test>"))
        dc.append("support", pdtest.message(to="someone@else.test",
                                            msgid="<route-delivered@customer.test>",
                                            headers=["Delivered-To: help@example.com"]))
        dc.append("support", pdtest.message(to="someone@else.test",
                                            msgid="<route-nobody@customer.test>"))
        section = dovecot.imap_section(dc, env.dir, queue=None, processed_folder="Processed",
                                       failed_folder="Failed")
        config = env.write_config(extra=section)
        p = env.postdesk("imap", "check", "support", config=config, check_rc=0)
        check("each mail to its Delivered-To, X-Original-To, To or Cc" in p.stdout, p.stdout)
        d = env.daemon(extra=section)
        pdtest.wait_for("all three taken", lambda: dc.uids("support") == [], timeout=60)
        check_eq(env.query("select m.message_id, q.name from messages m "
                           "join tickets t on t.id = m.ticket_id join queues q on q.id = t.queue_id "
                           "order by m.message_id"),
                 [["route-billing@customer.test", "billing"],
                  ["route-delivered@customer.test", "support"]], "routed")
        check_eq(len(dc.uids("support", "Failed")), 1, "the unroutable one failed")
        check_eq(env.scalar("select detail->>'reason' from events where kind = 'imap.refused'"),
                 "no queue has its Delivered-To, X-Original-To, To or Cc address", "event")
        check_eq(d.stop(), 0, "exit status")


if __name__ == "__main__":
    main()
