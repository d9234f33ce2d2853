"""An operator lifts a hold: a stranger's mail to a moderated queue is kept
as a held ticket (never bounced), `postdesk ticket list --held` finds it,
`postdesk ticket release N` lifts the hold with an audit event naming the
operator, and bad input gets the documented exit codes with nothing written."""
import pdtest
from pdtest import check, check_eq

QUEUES = """
[queue support]
addresses = support@example.com

[queue sales]
addresses = sales@example.com
unknown_senders = moderate
"""


def main():
    with pdtest.Env(queues=QUEUES) as env:
        d = env.daemon()
        replies = pdtest.lmtp_deliver(d.port, "stranger@elsewhere.test", ["sales@example.com"],
                                      pdtest.message(frm="Stranger <stranger@elsewhere.test>",
                                                     to="sales@example.com",
                                                     subject="Buy our widgets"))
        check(replies and replies[0].startswith("250 "), "held mail accepted: %r" % replies)
        pdtest.lmtp_deliver(d.port, "alice@customer.test", ["support@example.com"],
                            pdtest.message())
        number = env.scalar("select number from tickets where held = 'moderate'")
        check(number is not None, "the stranger's ticket is held")

        out = env.postdesk("ticket", "list", "--held", check_rc=0).stdout
        check(number in out and "Buy our widgets" in out, "list --held shows it:\n" + out)
        check("Printer on fire" not in out, "list --held shows only held tickets:\n" + out)

        out = env.postdesk("ticket", "release", number, "--actor", "op@example.com",
                           check_rc=0).stdout
        check_eq(out.strip(), "ticket %s released (was held: moderate)" % number, "release")
        check_eq(env.scalar("select held is null from tickets where number = :'p1'", number),
                 "t", "hold lifted")
        check_eq(env.query("select e.actor, e.detail->>'held' from events e"
                           " join tickets t on t.id = e.ticket_id"
                           " where t.number = :'p1' and e.kind = 'ticket.released'", number),
                 [["op@example.com", "moderate"]], "audit event")
        check_eq(env.postdesk("ticket", "list", "--held", check_rc=0).stdout.strip(),
                 "no tickets", "nothing held any more")

        events = env.scalar("select count(*) from events")
        out = env.postdesk("ticket", "release", "#" + number, check_rc=0).stdout
        check_eq(out.strip(), "ticket %s was not held" % number, "second release")
        p = env.postdesk("ticket", "release", "999999", check_rc=67)
        check("no ticket 999999" in p.stderr, "unknown ticket: " + p.stderr)
        env.postdesk("ticket", "release", "abc", check_rc=64)
        env.postdesk("ticket", "release", check_rc=64)
        check_eq(env.scalar("select count(*) from events"), events, "nothing written")
    print("ok")


if __name__ == "__main__":
    main()
