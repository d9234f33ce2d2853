"""Authorization answer: when the holder's APPROVE or REFUSE counts
(pd_authorization_answer, its check pd_authorization_answer_check).

README: on a ticket whose state is 'requested', a reply is the holder's
answer when its first line is APPROVE or REFUSE (the word: lib/ticket
pd-authorization, tests/unit/authorization), it threaded through the approval
request's own token (issued to its sender), its sender is the holder who was
asked and still the account's active primary holder, and its From domain is
authenticated.  APPROVE clears needs_authorization (state approved), REFUSE
keeps it (state refused); the contact is told (authorization-approved /
-refused).  Only the first valid answer counts; any other attempt changes
nothing but an authorization.ignored event with why.  A mail with no answer
word from someone else is no attempt at all.

Every case also asks `postdesk test`'s function (pd_authorization_explain,
before the delivery runs) and expects the same verdict: explain_agrees.

answer(word, sender=, token=, authenticated=).  Expect: result (approved,
refused, ignored, None), why, needs (needs_authorization after), told (the
template the contact gets).
"""
from rules import (THIS_MESSAGE, Table, account, case, contact, identity, lit, message,
                   ticket, ticket_id)

HOLDER = "holder@acme.test"
CAROL = "carol@acme.test"
MALLORY = "mallory@evil.test"

FACTS = [account("acme"), contact(HOLDER, "acme", "primary", ["support", "billing"]),
         contact(CAROL, "acme"),
         ticket(10001, queue="billing", requester=CAROL, account="acme",
                auth_state="requested", auth_holder=HOLDER, auth_permission="billing",
                requester_contact=CAROL, needs_authorization=True),
         message(10001, "ask@acme.test", CAROL),
         ticket(10002, requester=CAROL, account="acme", needs_authorization=True,
                requester_contact=CAROL),
         ticket(10003, queue="billing", requester=CAROL, account="acme",
                auth_state="approved", auth_holder=HOLDER, auth_permission="billing",
                requester_contact=CAROL)]


def reply(word, sender=HOLDER, token=10001, authenticated=True, number=10001, new=False,
          duplicate=False):
    return dict(word=word, sender=sender, token=token, authenticated=authenticated,
                number=number, new=new, duplicate=duplicate)


def facts(r):
    thread = "jsonb_build_object('sender', %s" % lit(r["sender"])
    if r["token"]:
        thread += ", 'token_ticket', %s::text" % ticket_id(r["token"])
    return thread + ")", identity("contact", r["authenticated"], contact=r["sender"])


def call(c):
    r = c.args["reply"]
    thread, who = facts(r)
    return "to_jsonb(pd_authorization_answer(%s, %s, %s, %s, %s, %s, %s))" % (
        ticket_id(r["number"]), THIS_MESSAGE, lit(r["new"]), lit(r["duplicate"]), who,
        thread, lit(r["word"]))


def explain(c):
    r = c.args["reply"]
    thread, who = facts(r)
    return ("(SELECT to_jsonb(x) FROM pd_authorization_explain(%s, %s, %s, %s, NULL) x)"
            % ("NULL" if r["new"] else r["number"], who, thread, lit(r["word"])))


OBSERVE = """(SELECT jsonb_build_object(
  'result', r.v,
  'why', (SELECT e.detail->>'why' FROM events e WHERE e.message_row = m.id
          AND e.kind = 'authorization.ignored'),
  'needs', t.needs_authorization,
  'state', t.authorization_state,
  'told', (SELECT o.template || ' ' || o.recipients[1] FROM outbound o
           WHERE o.ticket_id = t.id AND o.kind = 'authorization'),
  'explain', x.e->>'action',
  'explain_agrees', coalesce(x.e->>'action', 'none') = CASE r.v
        WHEN 'approved' THEN 'approve' WHEN 'refused' THEN 'refuse'
        WHEN 'ignored' THEN 'ignored' ELSE 'none' END)
 FROM messages m JOIN tickets t ON t.id = m.ticket_id,
      (SELECT current_setting('rules.result')::jsonb #>> '{}' AS v) r,
      (SELECT current_setting('rules.explain')::jsonb AS e) x
 WHERE m.idempotency_key = 'this')"""


def this(number=10001, sender=HOLDER):
    return message(number, "answer@acme.test", sender, this=True)


def ignored(why):
    return dict(result="ignored", why=why, needs=True, state="requested", told=None)


CASES = [
    case("the holder's APPROVE through the request's token counts: approved, the contact "
         "is told", [this()], reply=reply("approve"),
         expect=dict(result="approved", why=None, needs=False, state="approved",
                     told="authorization-approved " + CAROL)),
    case("the holder's REFUSE counts: refused, still needs authorization", [this()],
         reply=reply("refuse"),
         expect=dict(result="refused", needs=True, state="refused",
                     told="authorization-refused " + CAROL)),
    case("From not authenticated: ignored (a forged holder approves nothing)", [this()],
         reply=reply("approve", authenticated=False),
         expect=ignored("From domain not authenticated")),
    case("another sender's APPROVE is ignored", [this(sender=MALLORY)],
         reply=reply("approve", sender=MALLORY, token=None),
         expect=ignored("the sender is not the primary holder who was asked")),
    case("the requester approving their own request is ignored", [this(sender=CAROL)],
         reply=reply("approve", sender=CAROL),
         expect=ignored("the sender is not the primary holder who was asked")),
    case("the holder's APPROVE without the request's token is ignored", [this()],
         reply=reply("approve", token=None),
         expect=ignored("not a reply through the approval request (no valid token for the "
                        "sender)")),
    case("a token of another ticket is not the request's", [this()],
         reply=reply("approve", token=10002),
         expect=ignored("not a reply through the approval request (no valid token for the "
                        "sender)")),
    case("a holder no longer the active primary holder is ignored",
         [this(), "UPDATE contacts SET status = 'suspended' WHERE address = '%s';" % HOLDER],
         reply=reply("approve"),
         expect=ignored("the sender is no longer the account's active primary holder")),
    case("an expired holder is ignored",
         [this(), "UPDATE contacts SET expires_at = now() - interval '1 day' "
                  "WHERE address = '%s';" % HOLDER], reply=reply("approve"),
         expect=ignored("the sender is no longer the account's active primary holder")),
    case("the holder's mail without an answer word is ignored, and why", [this()],
         reply=reply(None), expect=ignored("the first line is not APPROVE or REFUSE")),
    case("someone else's mail without an answer word is no attempt at all",
         [this(sender=CAROL)], reply=reply(None, sender=CAROL),
         expect=dict(result=None, why=None, needs=True, state="requested")),
    case("only the first valid answer counts: a later one on an approved ticket is nothing",
         [this(10003)], reply=reply("refuse", number=10003, token=10003),
         expect=dict(result=None, why=None, state="approved")),
    case("a ticket that asked nobody: an answer word is nothing",
         [this(10002)], reply=reply("approve", number=10002, token=10002),
         expect=dict(result=None, why=None, needs=True, state=None)),
    case("a duplicate delivery of the answer does nothing (postdesk test looks for no "
         "duplicates: it names the answer)", [this()],
         reply=reply("approve", duplicate=True),
         expect=dict(result=None, needs=True, state="requested", explain_agrees=False,
                     explain="approve")),
]

TABLE = Table("authorization-answer", "pd_authorization_answer", call, CASES, FACTS,
              observe=OBSERVE, explain=explain, always={"explain_agrees": True})
