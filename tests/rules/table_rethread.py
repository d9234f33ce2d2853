"""Late parents: replies stored before the mail they answer (pd_thread_rethread).

README "Who joins a ticket": when a mail is stored, each stored mail below
it in the In-Reply-To tree is decided again by the threading rule
(pd_thread_decide, table_thread.py), now that its parent is there; when the
rule names another open ticket the mail moves there (event message.moved on
both tickets), and a ticket left without messages is closed (event
ticket.merged).  Never moved: a mail threaded by a token or [#N], a mail the
rule would give a ticket of its own, a move into a solved/closed ticket.  The
emptied ticket is merged into the one its mail went to (merged_into), so a
later reply to its acknowledgement's token joins there (table_thread.py).  So
a conversation delivered in any order ends in the tickets of date order
(tests/integration/test_thread_conversation.py).

The call stores nothing itself: the parent P (<p@x.test>, Alice's, in ticket
10001 of Acme) is already stored, as the delivery has just done.  Expect:
moved (the function's count), at (each reply's ticket number), closed (the
tickets closed), events (message.moved events written).
"""
import json

from rules import (Table, account, account_id, case, contact, lit, message, participant,
                   ticket)

ALICE = "alice@acme.test"       # Acme's primary, requester of 10001
CAROL = "carol@acme.test"       # Acme's alternate contact
MALLORY = "mallory@evil.test"   # a stranger

FACTS = [account("Acme"), contact(ALICE, "Acme", role="primary"), contact(CAROL, "Acme"),
         ticket(10001, requester=ALICE, account="Acme"), participant(10001, ALICE),
         message(10001, "p@x.test", ALICE)]


def own(number, frm, account=None):
    """A ticket the reply opened when it arrived first."""
    return [ticket(number, requester=frm, account=account), participant(number, frm)]


def reply(number, msgid, frm, parent="p@x.test", references=()):
    refs = ", ".join(lit(r) for r in references)
    return [message(number, msgid, frm, in_reply_to=parent),
            "UPDATE messages SET reference_ids = ARRAY[%s]::text[] WHERE message_id = %s;"
            % (refs, lit(msgid))]


def vouched(number):
    """The ticket the reply opened records an authenticated contact holding the
    queue's permission (pd_ticket_identify)."""
    return ("UPDATE tickets SET requester_kind = 'contact', requester_authenticated = true,"
            " requester_authorized = true WHERE number = %d;" % number)


def call(c):
    return ("pd_thread_rethread((SELECT id FROM messages WHERE message_id = 'p@x.test'), %s)"
            % lit(json.dumps(c.args.get("thread", {"queue": "support",
                                                   "queue_permission": "support"}))))


def authenticated(msgid):
    return "UPDATE messages SET from_authenticated = true WHERE message_id = %s;" % lit(msgid)


OBSERVE = """(SELECT jsonb_build_object(
  'moved', current_setting('rules.result')::jsonb,
  'at', (SELECT jsonb_object_agg(m.message_id, t.number) FROM messages m
         JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id <> 'p@x.test'),
  'closed', (SELECT coalesce(jsonb_agg(t.number ORDER BY t.number), '[]') FROM tickets t
             WHERE t.status = 'closed'),
  'merged', (SELECT jsonb_object_agg(t.number, i.number) FROM tickets t
             JOIN tickets i ON i.id = t.merged_into),
  'events', (SELECT count(*) FROM events e WHERE e.kind = 'message.moved')))"""

CASES = [
    case("a reply stored first in a ticket of its own moves to the ticket of the mail it "
         "answers, where its sender takes part; its emptied ticket is closed",
         own(10002, ALICE) + reply(10002, "r1@x.test", ALICE),
         expect=dict(moved=1, at={"r1@x.test": 10001}, closed=[10002], events=2,
                     merged={"10002": 10001})),
    case("the replies below it follow, one by one",
         own(10002, ALICE) + reply(10002, "r1@x.test", ALICE)
         + reply(10002, "g1@x.test", ALICE, parent="r1@x.test",
                 references=["p@x.test", "r1@x.test"]),
         expect=dict(moved=2, at={"r1@x.test": 10001, "g1@x.test": 10001}, closed=[10002])),
    case("a stranger's reply stays in the stranger's ticket",
         own(10003, MALLORY) + reply(10003, "r2@x.test", MALLORY),
         expect=dict(moved=0, at={"r2@x.test": 10003}, closed=[], events=0)),
    case("below a stranger's reply that stays, the requester's answer to it moves up to "
         "the requester's ticket its References name",
         own(10003, MALLORY) + reply(10003, "r2@x.test", MALLORY) + own(10004, ALICE)
         + reply(10004, "g2@x.test", ALICE, parent="r2@x.test",
                 references=["p@x.test", "r2@x.test"]),
         expect=dict(moved=1, at={"r2@x.test": 10003, "g2@x.test": 10001}, closed=[10004])),
    case("an authenticated contact of the account holding the permission moves too",
         own(10005, CAROL, "Acme") + reply(10005, "r3@x.test", CAROL) + [vouched(10005)],
         expect=dict(moved=1, at={"r3@x.test": 10001}, closed=[10005])),
    case("a colleague the delivery did not vouch for stays",
         own(10005, CAROL, "Acme") + reply(10005, "r3@x.test", CAROL),
         expect=dict(moved=0, at={"r3@x.test": 10005}, closed=[])),
    case("a reply to a reply address (support+t-TOKEN@) stays where the token put it",
         own(10002, ALICE) + reply(10002, "r1@x.test", ALICE)
         + ["UPDATE messages SET subaddress = 't-abc' WHERE message_id = 'r1@x.test';"],
         expect=dict(moved=0, at={"r1@x.test": 10002})),
    case("a reply citing one of our Message-IDs (pd.TOKEN@) stays too",
         own(10002, ALICE) + reply(10002, "r1@x.test", ALICE, references=["pd.abc@x.test"]),
         expect=dict(moved=0, at={"r1@x.test": 10002})),
    case("a reply whose subject cites [#N] stays too",
         own(10002, ALICE) + reply(10002, "r1@x.test", ALICE)
         + ["UPDATE messages SET subject = 'Re: [#10002] printer' "
            "WHERE message_id = 'r1@x.test';"],
         expect=dict(moved=0, at={"r1@x.test": 10002})),
    case("a colleague who joined a ticket, authenticated, with the permission of this "
         "delivery's queue: moves (the contact rows and the mail's verdict say so)",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL)
         + [authenticated("r5@x.test")],
         expect=dict(moved=1, at={"r5@x.test": 10001})),
    case("... not authenticated: stays",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL),
         expect=dict(moved=0, at={"r5@x.test": 10006})),
    case("... lacking the permission the queue needs: stays",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL)
         + [authenticated("r5@x.test")],
         thread={"queue": "support", "queue_permission": "billing"},
         expect=dict(moved=0, at={"r5@x.test": 10006})),
    case("... suspended: stays",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL)
         + [authenticated("r5@x.test"),
            "UPDATE contacts SET status = 'suspended' WHERE address = %s;" % lit(CAROL)],
         expect=dict(moved=0, at={"r5@x.test": 10006})),
    case("... in a ticket of another queue than this delivery's, holding that queue's "
         "permission: moves (the request lists every queue's permission)",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL)
         + [authenticated("r5@x.test")],
         thread={"queue": "billing", "queue_permission": "billing",
                 "queue_permissions": {"support": "support", "billing": "billing"}},
         expect=dict(moved=1, at={"r5@x.test": 10001})),
    case("... lacking that queue's permission: stays",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL)
         + [authenticated("r5@x.test")],
         thread={"queue": "billing", "queue_permission": "support",
                 "queue_permissions": {"support": "billing", "billing": "support"}},
         expect=dict(moved=0, at={"r5@x.test": 10006})),
    case("... in a queue that needs no permission: moves",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL)
         + [authenticated("r5@x.test")],
         thread={"queue": "billing", "queue_permission": "billing",
                 "queue_permissions": {"support": None, "billing": "billing"}},
         expect=dict(moved=1, at={"r5@x.test": 10001})),
    case("... in a ticket of another queue, the request naming only its own: stays (that "
         "queue's permission is not known)",
         own(10006, ALICE, "Acme") + reply(10006, "r5@x.test", CAROL)
         + [authenticated("r5@x.test")],
         thread={"queue": "billing", "queue_permission": "support"},
         expect=dict(moved=0, at={"r5@x.test": 10006})),
    case("never into a closed ticket",
         own(10002, ALICE) + reply(10002, "r1@x.test", ALICE)
         + ["UPDATE tickets SET status = 'closed', closed_at = now() WHERE number = 10001;"],
         expect=dict(moved=0, at={"r1@x.test": 10002}, closed=[10001])),
    case("a ticket that keeps other mail is not closed",
         own(10002, ALICE) + reply(10002, "r1@x.test", ALICE)
         + [message(10002, "other@x.test", ALICE)],
         expect=dict(moved=1, at={"r1@x.test": 10001, "other@x.test": 10002}, closed=[],
                     merged=None)),
    case("a reply already in the parent's ticket: nothing moves",
         reply(10001, "r4@x.test", ALICE),
         expect=dict(moved=0, at={"r4@x.test": 10001}, events=0)),
    case("no stored reply: nothing to do", [], expect=dict(moved=0, at=None, events=0)),
]

TABLE = Table("rethread", "pd_thread_rethread", call, CASES, FACTS, observe=OBSERVE)
