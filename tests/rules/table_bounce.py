"""A bounce against the outbound row it names (pd_bounce_record, sql/functions/bounce.sql).

The pipeline's bounce step (lib/pipeline/pd-pipeline-bounce.c) has decided
that a mail is a bounce and which outbound row it names (a signed bounce
address or one of our Message-IDs); here, inside its transaction: only the
reported recipients that are the row's own count (a token's holder can fail
nobody else's address), a report that names nobody counts for the row's one
recipient; hard fails the address for failing_days and turns a sent row
failed, soft is counted; other kinds only get their event; a row that no
longer exists or no row at all leaves the bounce unmatched; a redelivery
does nothing.

bounce(kind=, recipients=[rcpt(...)], outbound=True|None|id).  Expect:
failing (addresses failing afterwards), soft (soft bounces on the address
rows), row (the acknowledgement's status, bounce_status, soft_bounces),
events (bounce.* kinds), unmatched, duplicate.
"""
from rules import Table, agent, case, lit, message, ticket, ticket_id

ALICE = "alice@customer.test"
ROW = "(SELECT id FROM outbound WHERE kind = 'ack')"
RELAY = "(SELECT id FROM outbound WHERE kind = 'relay')"
ANN = "ann@example.com"

FACTS = [ticket(10001, status="new", requester=ALICE),
         "INSERT INTO outbound (ticket_id, kind, template, recipients, status, sent_at)"
         " VALUES (%s, 'ack', 'ack', ARRAY['%s'], 'sent', now());" % (ticket_id(10001), ALICE)]


def rcpt(address=ALICE, kind="hard", status="5.1.1", code=550, diagnostic="user unknown"):
    return {"address": address, "kind": kind, "status": status, "reply_code": code,
            "diagnostic": diagnostic, "action": "failed"}


def call(c):
    doc = {"recipient": "bounces+b-x@example.com", "envelope_from": "",
           "message_id": "dsn@mx.customer.test", "idempotency_key": c.args.get("key", "k1"),
           "kind": c.args.get("kind", "hard"), "matched_by": "bounce address",
           "failing_days": c.args.get("days", 30),
           "report": {"standard": True, "recipients": c.args.get("recipients", [rcpt()])}}
    outbound = c.args.get("outbound", True)
    row = ROW if outbound is True else outbound if str(outbound).startswith("(") \
        else lit(outbound)
    return "pd_bounce_record(%s || jsonb_build_object('outbound_id', %s), '\\x00'::bytea)" % (
        lit(doc), row if outbound is not None else "NULL")


# an agent's answer relayed to alice: the agent's message and the relay row
# written with it (sql/functions/agent.sql, pd_relay_queue)
def relayed(author=ANN):
    return [agent(ANN, also=["ann.alias@example.com"]),
            message(10001, "answer@example.com", author, kind="agent", direction="in"),
            "INSERT INTO outbound (ticket_id, kind, template, recipients, status, sent_at,"
            " auto_reply) VALUES (%s, 'relay', 'agent-reply', ARRAY['%s'], 'sent', now(),"
            " false);" % (ticket_id(10001), ALICE)]


OBSERVE = """(SELECT jsonb_build_object(
  'duplicate', (current_setting('rules.result')::jsonb)->'duplicate',
  'failing', (SELECT coalesce(jsonb_agg(address ORDER BY address), '[]') FROM bounced_addresses
              WHERE failing_until > now()),
  'days', (SELECT round(extract(epoch FROM failing_until - now()) / 86400) FROM bounced_addresses
           WHERE address = 'alice@customer.test'),
  'hard', (SELECT hard_bounces FROM bounced_addresses WHERE address = 'alice@customer.test'),
  'soft', (SELECT coalesce(sum(soft_bounces), 0) FROM bounced_addresses),
  'row', (SELECT concat_ws(' ', status, bounce_status, soft_bounces) FROM outbound
          WHERE kind = 'ack'),
  'events', (SELECT coalesce(jsonb_agg(kind ORDER BY id), '[]') FROM events
             WHERE kind LIKE 'bounce%'),
  'unmatched', (SELECT unmatched FROM bounces ORDER BY id DESC LIMIT 1),
  'relay', (SELECT concat_ws(' ', status, bounce_status) FROM outbound WHERE kind = 'relay'),
  'notice', (SELECT o.recipients[1] || ': ' || (o.template_values->>'bounce.address') || ' '
                    || (o.template_values->>'bounce.reason')
             FROM outbound o WHERE o.template = 'bounce-notice')))"""

HARD = dict(failing=[ALICE], row="failed 5.1.1 0", events=["bounce.hard"], unmatched=None)
NOTHING = dict(failing=[], soft=0, row="sent 0", events=[])

DUPLICATE = ("INSERT INTO bounces (kind, recipient, idempotency_key, raw)"
             " VALUES ('hard', 'bounces@example.com', 'k1', '\\x00');")
EARLIER_HARD = ("INSERT INTO bounced_addresses (address, failing_since, failing_until, hard_bounces)"
                " VALUES ('%s', now() - interval '3 days', now() + interval '1 day', 1);" % ALICE)

CASES = [
    case("a hard bounce for the row's recipient: the address fails, the sent row fails",
         expect=dict(HARD, soft=0, days=30, hard=1, duplicate=False)),
    case("failing_days decides how long", days=7, expect=dict(HARD, days=7)),
    case("the recipient's case does not matter", recipients=[rcpt("Alice@Customer.TEST")],
         expect=HARD),
    case("a second hard bounce: counted, failing_until moves on",
         [EARLIER_HARD], expect=dict(HARD, hard=2, days=30)),
    case("a soft bounce: counted on the row and the address, nothing failed",
         kind="soft", recipients=[rcpt(kind="soft", status="4.2.2", code=452)],
         expect=dict(failing=[], soft=1, row="sent 1", events=["bounce.soft"])),
    case("a report that names nobody counts for the row's one recipient",
         recipients=[{"kind": "hard", "status": "5.0.0"}],
         expect=dict(failing=[ALICE], row="failed 5.0.0 0", events=["bounce.hard"])),
    case("a recipient not the row's (a token held by alice cannot fail carol): nothing failed",
         recipients=[rcpt("carol@customer.test")], expect=dict(NOTHING, events=["bounce.hard"])),
    case("of several recipients reported, only the row's own counts",
         recipients=[rcpt("carol@customer.test"), rcpt()], expect=HARD),
    case("an auto-reply: its event only", kind="auto-reply", recipients=[],
         expect=dict(NOTHING, events=["bounce.auto-reply"])),
    case("a feedback report: its event only", kind="feedback", recipients=[],
         expect=dict(NOTHING, events=["bounce.feedback"])),
    case("a success report (Action: delivered) fails nothing", kind="delivered",
         recipients=[rcpt(kind="delivered", status="2.0.0", code=250)],
         expect=dict(NOTHING, events=["bounce.delivered"])),
    case("no row named: unmatched, nothing failed", outbound=None,
         expect=dict(NOTHING, events=["bounce.unmatched"], unmatched="names no mail of ours")),
    case("a row that no longer exists: unmatched, nothing failed", outbound=999999,
         expect=dict(NOTHING, events=["bounce.unmatched"],
                     unmatched="outbound 999999 no longer exists")),
    case("a relayed answer that bounces hard: the agent hears of it, at the main address",
         relayed("ann.alias@example.com"), outbound=RELAY,
         expect=dict(failing=[ALICE], relay="failed 5.1.1", row="sent 0",
                     notice="%s: %s 550 5.1.1 user unknown" % (ANN, ALICE))),
    case("a relayed answer that bounces soft: counted, nobody told", relayed(),
         outbound=RELAY, kind="soft", recipients=[rcpt(kind="soft", status="4.2.2", code=452)],
         expect=dict(failing=[], relay="sent", notice=None)),
    case("a relay queued for a message that is not an agent's: nobody to tell",
         relayed("someone@customer.test"), outbound=RELAY,
         expect=dict(failing=[ALICE], relay="failed 5.1.1", notice=None)),
    case("an acknowledgement that bounces: no notice (nobody wrote it)",
         relayed(), expect=dict(HARD, notice=None)),
    case("a redelivery (same idempotency key): nothing again", [DUPLICATE],
         expect=dict(NOTHING, duplicate=True)),
]

TABLE = Table("bounce", "pd_bounce_record", call, CASES, FACTS, observe=OBSERVE)
