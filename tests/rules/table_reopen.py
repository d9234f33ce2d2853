"""Reopen or link: what a mail that joins a ticket does to it (pd_thread_reopen).

postdeskd(8) "Who joins a ticket": a reply to a solved/closed ticket reopens it
within reopen_days (14 when unset) of its closing (a solved ticket without a
closing time: of its last update); later it opens a new ticket linked to the
old one (linked_ticket_id).  A ticket that is not solved/closed is simply
joined.  The delivery decides on the ticket it locked (pd_deliver_message),
`postdesk test` with the same function (pd_store_thread_decide).

Expect: action (join | reopen | link), was (the status it had).
"""
from rules import Table, case, lit, ticket, ticket_id

FACTS = [ticket(10001, status="new"), ticket(10002, status="open"),
         ticket(10003, status="pending")]


def call(c):
    return ("(SELECT to_jsonb(r) - 'closed_at' FROM pd_thread_reopen(%s, %s) r)"
            % (ticket_id(c.args.get("ticket", 10010)), lit(c.args.get("days"))))


def closed(days_ago, status="closed"):
    return ticket(10010, status=status, closed_days_ago=days_ago)


def updated(days_ago, status="solved"):
    return ("INSERT INTO tickets (number, queue_id, status, updated_at) VALUES (10010, "
            "(SELECT id FROM queues WHERE name = 'support'), %s, now() - make_interval(days "
            "=> %d));" % (lit(status), days_ago))


CASES = [
    case("a new ticket is joined", ticket=10001, days=7, expect=dict(action="join", was="new")),
    case("an open ticket is joined", ticket=10002, days=7,
         expect=dict(action="join", was="open")),
    case("a pending ticket is joined (a customer's answer to a question)", ticket=10003,
         days=7, expect=dict(action="join", was="pending")),
    case("a ticket closed 3 days ago reopens (reopen_days 7)", [closed(3)], days=7,
         expect=dict(action="reopen", was="closed")),
    case("a ticket solved 3 days ago reopens", [closed(3, "solved")], days=7,
         expect=dict(action="reopen", was="solved")),
    case("a ticket closed 8 days ago: a new ticket linked to it (reopen_days 7)",
         [closed(8)], days=7, expect=dict(action="link", was="closed")),
    case("a ticket solved 30 days ago: a new linked ticket", [closed(30, "solved")], days=7,
         expect=dict(action="link", was="solved")),
    case("reopen_days unset is 14: closed 10 days ago reopens", [closed(10)], days=None,
         expect=dict(action="reopen")),
    case("reopen_days unset is 14: closed 15 days ago links", [closed(15)], days=None,
         expect=dict(action="link")),
    case("reopen_days 0: every reply to a closed ticket starts a linked one",
         [closed(0), "UPDATE tickets SET closed_at = now() - interval '1 minute' "
                     "WHERE number = 10010;"], days=0, expect=dict(action="link")),
    case("no closing time: the last update counts (solved 3 days ago reopens)",
         [updated(3)], days=7, expect=dict(action="reopen", was="solved")),
    case("no closing time: the last update counts (solved 20 days ago links)",
         [updated(20)], days=7, expect=dict(action="link", was="solved")),
    case("a long reopen_days reopens an old ticket", [closed(300)], days=3650,
         expect=dict(action="reopen")),
    case("no such ticket: no decision", ticket=99999, days=7,
         expect=dict(action=None, was=None)),
]

TABLE = Table("reopen", "pd_thread_reopen", call, CASES, FACTS)
