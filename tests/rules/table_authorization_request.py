"""Authorization request: when the account's primary holder is asked to approve
a new ticket (pd_authorization_request, its holder pd_authorization_holder).

README "Requests that need the account holder's approval": an authenticated
contact in good standing writing to a queue whose permission it lacks (the
identity decision's needs_authorization) makes the holder get an
approval-request and the ticket's state 'requested'.  Nobody is asked (event
authorization.not_requested with why) when the From is not authenticated,
the sender is not a contact, not in good standing, is the holder, when the
account has no active primary holder, when the mail gets no automatic reply,
or when the holder's cap of automatic mails is reached.  A request that needs
no authorization asks nothing and says nothing.

Every case also asks `postdesk test`'s function (pd_authorization_explain,
before the delivery runs) and expects it to say the same: explain_agrees.

Expect: result (the notice's template values, None: the plain ack), asked
(the holder's address), state, why (authorization.not_requested), explain.
"""
from rules import (THIS_MESSAGE, Table, account, case, contact, identity, ledger, lit,
                   message, ticket, ticket_id)

HOLDER = "holder@acme.test"
CAROL = "carol@acme.test"        # an alternate contact with support only

FACTS = [account("acme", domains=["acme.test"]), account("orphan"),
         contact(HOLDER, "acme", "primary", ["support", "billing"], name="Hilda Holder"),
         contact(CAROL, "acme"), contact("otto@orphan.test", "orphan"),
         ticket(10001, queue="billing", status="new", requester=CAROL, account="acme"),
         message(10001, "ask@acme.test", CAROL, this=True, subject="Refund",
                 text="Please refund invoice 42.")]


def carol(**kw):
    d = dict(kind="contact", authenticated=True, needs_authorization=True,
             permission="billing", contact=CAROL)
    d.update(kw)
    return identity(**d)


# the acknowledgement request (pd_outbound_ack's, which asks the holder)
ACK = {"to": CAROL, "queue": "billing", "limit": "3", "window": "3600"}


def call(c):
    ack = c.args.get("ack", ACK)
    return "pd_authorization_request(%s, %s, %s, %s, %s)" % (
        ticket_id(10001), THIS_MESSAGE, lit(ack), c.args.get("identity", carol()),
        lit(ack.get("suppress")))


def explain(c):
    return ("(SELECT to_jsonb(x) FROM pd_authorization_explain(NULL, %s, NULL, NULL, %s) x)"
            % (c.args.get("identity", carol()), lit(c.args.get("ack", ACK))))


OBSERVE = """(SELECT jsonb_build_object(
  'result', current_setting('rules.result')::jsonb,
  'asked', (SELECT o.recipients[1] FROM outbound o WHERE o.ticket_id = t.id
            AND o.template = 'approval-request'),
  'state', t.authorization_state,
  'why', (SELECT e.detail->>'why' FROM events e WHERE e.ticket_id = t.id
          AND e.kind = 'authorization.not_requested'),
  'explain', x.e->>'action',
  'explain_agrees', coalesce(x.e->>'action', 'none') =
        CASE WHEN t.authorization_state = 'requested' THEN 'request'
             WHEN EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id
                          AND e.kind = 'authorization.not_requested') THEN 'not requested'
             ELSE 'none' END)
 FROM tickets t, (SELECT current_setting('rules.explain')::jsonb AS e) x
 WHERE t.number = 10001)"""


def asked():
    return dict(result={"request.permission": "billing"}, asked=HOLDER, state="requested",
                why=None)


def not_asked(why):
    return dict(result=None, asked=None, state=None, why=why)


CASES = [
    case("an authenticated contact lacking the queue's permission: the holder is asked",
         expect=asked()),
    case("no cap configured (limit 0): the holder is asked",
         [ledger(HOLDER, 5)], ack={"to": CAROL, "queue": "billing"}, expect=asked()),
    case("From not authenticated: a forged From never asks the holder",
         identity=carol(authenticated=False),
         expect=not_asked("From domain not authenticated: a forged From never asks the "
                          "holder")),
    case("a member of a known organisation (no contact) is not a contact",
         identity=carol(kind="member", contact=None, account="acme"),
         expect=not_asked("requester is not a contact of an account")),
    case("a stranger is not a contact", identity=carol(kind="unknown", contact=None),
         expect=not_asked("requester is not a contact of an account")),
    case("a contact not in good standing is not asked for",
         identity=carol(privileged=False),
         expect=not_asked("contact not in good standing")),
    case("a mail that gets no automatic reply asks nobody",
         ack={"suppress": "auto-submitted", "to": CAROL},
         expect=not_asked("no automatic mail for this message (auto-submitted)")),
    case("the holder writing lacks nothing to ask themselves",
         identity=carol(contact=HOLDER),
         expect=not_asked("the requester is the primary holder")),
    case("an account without a primary holder: nobody to ask",
         identity=carol(contact="otto@orphan.test"),
         expect=not_asked("the account has no active primary holder")),
    case("a suspended holder is not asked",
         [f"UPDATE contacts SET status = 'suspended' WHERE address = '{HOLDER}';"],
         expect=not_asked("the account has no active primary holder")),
    case("an expired holder is not asked",
         [f"UPDATE contacts SET expires_at = now() - interval '1 day' "
          f"WHERE address = '{HOLDER}';"],
         expect=not_asked("the account has no active primary holder")),
    case("the holder's cap of automatic mails reached: not asked", [ledger(HOLDER, 3)],
         expect=not_asked("rate limit: 3 automatic mails to the holder in 3600 s")),
    case("below the holder's cap: asked", [ledger(HOLDER, 2)], expect=asked()),
    case("a request that needs no authorization asks nothing and says nothing",
         identity=carol(needs_authorization=False),
         expect=dict(result=None, asked=None, state=None, why=None)),
]

TABLE = Table("authorization-request", "pd_authorization_request", call, CASES, FACTS,
              observe=OBSERVE, explain=explain, always={"explain_agrees": True})
