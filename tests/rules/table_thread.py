"""Threading: which existing ticket a mail joins (pd_thread_decide).

README "Who joins a ticket": a signed token the pipeline verified for this
very sender joins its ticket; else a stored Message-ID (In-Reply-To, then
References) or the subject's [#N] of a ticket the sender already takes part
in (a participant, compared without case, by the canonical sender or the
From as written), else, same condition, the ticket of a stored reply to this
very mail (its In-Reply-To is the mail's Message-ID: the reply was delivered
first); anything else is a new ticket, and what was cited but not
allowed is "refused" (event thread.refused).  Reopening a solved/closed
ticket is not decided here (table_reopen.py).

mail(from, in_reply_to=, references=, subject_number=, token=, sender=, message_id=):
token is the ticket NUMBER whose token the pipeline verified (lib/ticket
pd-token decides that; tests/unit/token), token_id a raw ticket id.  Expect: ticket (None: a new
ticket), reason, refused (the "via: why" of each refusal).
"""
from rules import Table, case, lit, message, participant, text_array, ticket, ticket_id

ALICE = "alice@customer.test"     # requester of 10001
BOB = "bob@partner.test"          # in Cc of 10001's first mail
MALLORY = "mallory@evil.test"     # takes part in nothing

FACTS = [ticket(10001, requester=ALICE), participant(10001, ALICE),
         participant(10001, BOB, "cc"),
         message(10001, "first@customer.test", ALICE),
         message(10001, "second@customer.test", ALICE),
         message(10001, "reply-first@customer.test", ALICE, in_reply_to="late@customer.test"),
         ticket(10002, requester=MALLORY), participant(10002, MALLORY),
         message(10002, "other@evil.test", MALLORY)]


def mail(frm, in_reply_to=None, references=(), subject_number=None, token=None,
         token_via="recipient", sender=None, token_id=None, message_id=None):
    return dict(frm=frm, in_reply_to=in_reply_to, references=list(references),
                subject_number=subject_number, token=token, token_via=token_via,
                token_id=token_id, message_id=message_id,
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
    case("only the first stored Message-ID is tried: a stranger is refused even if a later "
         "one is of their own ticket",
         mail=mail(MALLORY, in_reply_to="first@customer.test", references=["other@evil.test"]),
         expect=new("Message-ID <first@customer.test>: " + NOT)),
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
]

TABLE = Table("threading", "pd_thread_decide", call, CASES, FACTS)
