"""Threading: which existing ticket a mail joins (pd_thread_decide), and who
takes part in a ticket (pd_thread_takes_part).

postdeskd(8) "Who joins a ticket": a signed token the pipeline verified for this
very sender joins its ticket; else the nearest stored Message-ID (In-Reply-To,
then References newest first; every cited ticket is tried) whose ticket the
sender takes part in, else the subject's [#N] of such a ticket, else, same
condition, the ticket of a stored reply to this very mail (its In-Reply-To is
the mail's Message-ID: the reply was delivered first); anything else is a
new ticket, and what was cited but not allowed is "refused" (event
thread.refused).  Reopening a solved/closed ticket is not decided here
(table_reopen.py).

Who takes part: a participant (the requester, the first mail's Cc; compared
without case, by the canonical sender or the From as written), or an
authenticated contact of the ticket's account holding the permission of the
ticket's queue (the pipeline vouches for it: p_thread->'contact' =
{account_id, queue}, lib/pipeline pd_pipeline_thread_contact, whose own
table is tests/unit/thread/test-thread.c).

mail(from, in_reply_to=, references=, subject_number=, token=, sender=, message_id=,
contact=(ACCOUNT, QUEUE)):
token is the ticket NUMBER whose token the pipeline verified (lib/ticket
pd-token decides that; tests/unit/token), token_id a raw ticket id.  Expect: ticket (None: a new
ticket), reason, refused (the "via: why" of each refusal).
"""
from rules import (Table, account, account_id, case, contact, lit, message, participant,
                   text_array, ticket, ticket_id)

ALICE = "alice@customer.test"     # requester of 10001
BOB = "bob@partner.test"          # in Cc of 10001's first mail
MALLORY = "mallory@evil.test"     # takes part in nothing
CAROL = "carol@acme.test"         # Acme's primary, requester of 10003 (support), 10004 (billing)
DAVE = "dave@acme.test"           # Acme's alternate contact, no participant

FACTS = [ticket(10001, requester=ALICE), participant(10001, ALICE),
         participant(10001, BOB, "cc"),
         message(10001, "first@customer.test", ALICE),
         message(10001, "second@customer.test", ALICE),
         message(10001, "reply-first@customer.test", ALICE, in_reply_to="late@customer.test"),
         ticket(10002, requester=MALLORY), participant(10002, MALLORY),
         message(10002, "other@evil.test", MALLORY),
         account("Acme"), account("Other"),
         contact(CAROL, "Acme", role="primary", permissions=("support", "billing")),
         contact(DAVE, "Acme"),
         ticket(10003, requester=CAROL, account="Acme"), participant(10003, CAROL),
         message(10003, "acme-1@acme.test", CAROL),
         message(10003, "reply-acme@acme.test", CAROL, in_reply_to="late-acme@acme.test"),
         ticket(10004, queue="billing", requester=CAROL, account="Acme"),
         participant(10004, CAROL),
         message(10004, "acme-bill@acme.test", CAROL)]


def mail(frm, in_reply_to=None, references=(), subject_number=None, token=None,
         token_via="recipient", sender=None, token_id=None, message_id=None, contact=None):
    return dict(frm=frm, in_reply_to=in_reply_to, references=list(references),
                subject_number=subject_number, token=token, token_via=token_via,
                token_id=token_id, message_id=message_id, contact=contact,
                sender=sender if sender is not None else (frm.lower() if frm else None))


def call(c):
    m = c.args["mail"]
    # the candidates as pd_ticket_thread_candidates orders them: In-Reply-To
    # first, then the newest References
    candidates = ([m["in_reply_to"]] if m["in_reply_to"] else []) + list(
        reversed(m["references"]))
    facts = ["'sender', %s" % lit(m["sender"])] if m["sender"] else []
    if m["subject_number"]:
        facts.append("'subject_number', '%d'" % m["subject_number"])
    if m["message_id"]:
        facts.append("'message_id', %s" % lit(m["message_id"]))
    if m["contact"]:
        facts.append("'contact', jsonb_build_object('account_id', %s, 'queue', %s)"
                     % (account_id(m["contact"][0]), lit(m["contact"][1])))
    if m["token"] or m["token_id"]:
        facts.append("'token_ticket', %s::text, 'token_via', %s"
                     % (ticket_id(m["token"]) if m["token"] else m["token_id"],
                        lit(m["token_via"])))
    return ("(SELECT jsonb_build_object('ticket', d.ticket_number, 'reason', d.reason,"
            " 'refused', (SELECT coalesce(jsonb_agg((r->>'via') || ': ' || (r->>'why')), '[]')"
            " FROM jsonb_array_elements(d.refused) r))"
            " FROM pd_thread_decide(%s, %s, %s, jsonb_build_object(%s)) d)"
            % (text_array(candidates), lit(m["in_reply_to"]), lit(m["frm"]), ", ".join(facts)))


def joins(number, reason):
    return dict(ticket=number, reason=reason, refused=[])


def new(*refused):
    return dict(ticket=None, refused=list(refused))


NOT = "sender is not a participant"

CASES = [
    # a verified token
    case("a token verified for its sender joins its ticket", mail=mail(ALICE, token=10001),
         expect=joins(10001, "token recipient")),
    case("a token in In-Reply-To joins too, and says where it was found",
         mail=mail(ALICE, token=10001, token_via="Message-ID <pd.x@example.com>"),
         expect=joins(10001, "token Message-ID <pd.x@example.com>")),
    case("a token verified for a sender who is no participant still joins (it was issued "
         "to that sender: a forward_to, an agent)",
         mail=mail("boss@partner.test", token=10001), expect=joins(10001, "token recipient")),
    case("a token wins over a Message-ID of another ticket",
         mail=mail(ALICE, in_reply_to="other@evil.test", token=10001),
         expect=joins(10001, "token recipient")),
    case("a token of a ticket that no longer exists threads nothing",
         mail=mail(ALICE, token_id=987654321), expect=new()),
    # Message-IDs
    case("the requester's In-Reply-To of a stored message joins",
         mail=mail(ALICE, in_reply_to="first@customer.test"),
         expect=joins(10001, "In-Reply-To <first@customer.test>")),
    case("the requester's References of a stored message joins",
         mail=mail(ALICE, references=["first@customer.test"]),
         expect=joins(10001, "References <first@customer.test>")),
    case("the newest stored References wins over an older one",
         mail=mail(ALICE, references=["first@customer.test", "second@customer.test"]),
         expect=joins(10001, "References <second@customer.test>")),
    case("an unknown In-Reply-To falls back to a known References",
         mail=mail(ALICE, in_reply_to="unknown@x.test", references=["first@customer.test"]),
         expect=joins(10001, "References <first@customer.test>")),
    case("a Cc participant of the first mail joins by Message-ID",
         mail=mail(BOB, in_reply_to="second@customer.test"),
         expect=joins(10001, "In-Reply-To <second@customer.test>")),
    case("participants compare without case (From as written)",
         mail=mail("Alice@Customer.TEST", in_reply_to="first@customer.test",
                   sender="alice@customer.test"),
         expect=joins(10001, "In-Reply-To <first@customer.test>")),
    case("a stranger citing the requester's Message-ID gets a ticket of its own",
         mail=mail(MALLORY, references=["first@customer.test"]),
         expect=new("Message-ID <first@customer.test>: " + NOT)),
    case("a stranger citing the requester's In-Reply-To gets a ticket of its own",
         mail=mail(MALLORY, in_reply_to="first@customer.test"),
         expect=new("Message-ID <first@customer.test>: " + NOT)),
    case("every cited ticket is tried: a stranger citing the requester's mail first joins "
         "their own ticket that a later References names",
         mail=mail(MALLORY, in_reply_to="first@customer.test", references=["other@evil.test"]),
         expect=dict(ticket=10002, reason="References <other@evil.test>",
                     refused=["Message-ID <first@customer.test>: " + NOT])),
    case("the requester answering a stranger's mail (In-Reply-To) with the conversation in "
         "References joins the requester's ticket, not a new one",
         mail=mail(ALICE, in_reply_to="other@evil.test",
                   references=["first@customer.test", "other@evil.test"]),
         expect=dict(ticket=10001, reason="References <first@customer.test>",
                     refused=["Message-ID <other@evil.test>: " + NOT])),
    case("the nearest ticket the sender takes part in wins: In-Reply-To's before References'",
         facts=[participant(10002, ALICE, "cc")],
         mail=mail(ALICE, in_reply_to="other@evil.test", references=["first@customer.test"]),
         expect=joins(10002, "In-Reply-To <other@evil.test>")),
    case("one Message-ID stored in two tickets (two queues): the oldest the sender takes "
         "part in, the other refused",
         facts=[message(10001, "both@x.test", ALICE), message(10002, "both@x.test", MALLORY)],
         mail=mail(MALLORY, in_reply_to="both@x.test"),
         expect=dict(ticket=10002, reason="In-Reply-To <both@x.test>",
                     refused=["Message-ID <both@x.test>: " + NOT])),
    case("every cited ticket refused: one refusal each, a new ticket",
         mail=mail(DAVE, in_reply_to="other@evil.test",
                   references=["first@customer.test", "acme-1@acme.test"]),
         expect=new("Message-ID <other@evil.test>: " + NOT,
                    "Message-ID <acme-1@acme.test>: " + NOT,
                    "Message-ID <first@customer.test>: " + NOT)),
    case("no From and no envelope sender: nobody is a participant",
         mail=mail(None, in_reply_to="first@customer.test", sender=None),
         expect=new("Message-ID <first@customer.test>: " + NOT)),
    case("Message-IDs that nobody stored: a new ticket, nothing refused",
         mail=mail(ALICE, in_reply_to="nobody@x.test", references=["nobody.2@x.test"]),
         expect=new()),
    case("no Message-ID, no token, no [#N]: a new ticket", mail=mail(ALICE), expect=new()),
    # the subject's [#N]
    case("the requester citing [#N] joins", mail=mail(ALICE, subject_number=10001),
         expect=joins(10001, "subject [#10001]")),
    case("a Cc participant citing [#N] joins", mail=mail(BOB, subject_number=10001),
         expect=joins(10001, "subject [#10001]")),
    case("a stranger citing [#N] gets a ticket of its own",
         mail=mail(MALLORY, subject_number=10001),
         expect=new("subject [#10001]: " + NOT)),
    case("[#N] of a ticket that does not exist: a new ticket, nothing refused",
         mail=mail(ALICE, subject_number=99999), expect=new()),
    case("a refused Message-ID and a refused [#N] are both reported",
         mail=mail(MALLORY, in_reply_to="first@customer.test", subject_number=10001),
         expect=new("Message-ID <first@customer.test>: " + NOT, "subject [#10001]: " + NOT)),
    case("a stranger's refused Message-ID does not stop their own [#N]",
         mail=mail(MALLORY, in_reply_to="first@customer.test", subject_number=10002),
         expect=dict(ticket=10002, reason="subject [#10002]",
                     refused=["Message-ID <first@customer.test>: " + NOT])),
    # a stored reply to this mail (it was delivered first)
    case("the mail a stored reply answers joins the reply's ticket",
         mail=mail(ALICE, message_id="late@customer.test"),
         expect=joins(10001, "replied to (In-Reply-To <late@customer.test>)")),
    case("a stranger's mail that a stored reply answers gets a ticket of its own",
         mail=mail(MALLORY, message_id="late@customer.test"),
         expect=new("a reply to <late@customer.test>: " + NOT)),
    case("what a mail cites wins over a stored reply to it",
         mail=mail(MALLORY, message_id="late@customer.test", in_reply_to="other@evil.test"),
         expect=joins(10002, "In-Reply-To <other@evil.test>")),
    case("a Message-ID no stored mail answers: a new ticket, nothing refused",
         mail=mail(ALICE, message_id="lonely@customer.test"), expect=new()),
    case("a Message-ID wins over [#N] of another ticket",
         mail=mail(MALLORY, in_reply_to="other@evil.test", subject_number=10001),
         expect=joins(10002, "In-Reply-To <other@evil.test>")),
    # the account's own people: an authenticated contact holding the queue's permission
    case("an authenticated contact of the ticket's account holding its queue's permission "
         "joins, and the reason says so",
         mail=mail(DAVE, in_reply_to="acme-1@acme.test", contact=("Acme", "support")),
         expect=joins(10003, "In-Reply-To <acme-1@acme.test> (a contact of the ticket's "
                      "account)")),
    case("such a contact citing [#N] joins too",
         mail=mail(DAVE, subject_number=10003, contact=("Acme", "support")),
         expect=joins(10003, "subject [#10003] (a contact of the ticket's account)")),
    case("such a contact's mail that a stored reply answers joins the reply's ticket",
         mail=mail(DAVE, message_id="late-acme@acme.test", contact=("Acme", "support")),
         expect=joins(10003, "replied to (In-Reply-To <late-acme@acme.test>) (a contact of "
                      "the ticket's account)")),
    case("a colleague the pipeline does not vouch for (not authenticated, suspended, lacking "
         "the permission) is refused",
         mail=mail(DAVE, in_reply_to="acme-1@acme.test"),
         expect=new("Message-ID <acme-1@acme.test>: " + NOT)),
    case("a contact holding the permission of another queue than the ticket's is refused",
         mail=mail(DAVE, in_reply_to="acme-bill@acme.test", contact=("Acme", "support")),
         expect=new("Message-ID <acme-bill@acme.test>: " + NOT)),
    case("a contact of another account is refused",
         mail=mail(DAVE, in_reply_to="acme-1@acme.test", contact=("Other", "support")),
         expect=new("Message-ID <acme-1@acme.test>: " + NOT)),
    case("a ticket of no account has no contacts: only its participants take part",
         mail=mail(DAVE, in_reply_to="first@customer.test", contact=("Acme", "support")),
         expect=new("Message-ID <first@customer.test>: " + NOT)),
    case("a participant who is also such a contact joins as a participant",
         mail=mail(CAROL, in_reply_to="acme-1@acme.test", contact=("Acme", "support")),
         expect=joins(10003, "In-Reply-To <acme-1@acme.test>")),
    case("a contact refused by the nearest ticket (a stranger's) joins the account's ticket "
         "further up References",
         mail=mail(DAVE, in_reply_to="other@evil.test",
                   references=["acme-1@acme.test", "other@evil.test"],
                   contact=("Acme", "support")),
         expect=dict(ticket=10003, reason="References <acme-1@acme.test> (a contact of the "
                     "ticket's account)", refused=["Message-ID <other@evil.test>: " + NOT])),
    # merged tickets (`postdesk ticket merge`, or emptied by a late parent:
    # table_rethread.py)
    case("a token of a ticket merged into another joins that one",
         ["UPDATE tickets SET status = 'closed', closed_at = now(), merged_into = %s "
          "WHERE number = 10004;" % ticket_id(10003)],
         mail=mail(CAROL, token=10004),
         expect=joins(10003, "token recipient; ticket 10004 was merged into 10003")),
    case("... and so does a reply to its mail",
         ["UPDATE tickets SET status = 'closed', closed_at = now(), merged_into = %s "
          "WHERE number = 10004;" % ticket_id(10003)],
         mail=mail(CAROL, in_reply_to="acme-bill@acme.test"),
         expect=joins(10003, "In-Reply-To <acme-bill@acme.test>; ticket 10004 was merged "
                      "into 10003")),
]

TABLE = Table("threading", "pd_thread_decide", call, CASES, FACTS)
