#!/usr/bin/env python3
"""The desk's agent commands by mail (issue 14, section 2), end to end.

Same setup as test_agent_reply (postdeskd with sender authentication, a real
Postfix, smtp-sink -L), with [outbound] replies = filters/replies.  The agent
answers the real notification from a mail client:
  - `#cc ADDRESS` adds a participant, and this very answer reaches it too;
  - `#category NAME`, `#queue NAME` change the ticket; `#queue` of a queue the
    configuration does not have is not obeyed, with the reason in its event;
  - `#reply NAME` alone sends the canned reply rendered for the ticket (the
    customer's name, the ticket number) from the support address; with a
    text, the canned reply comes first; an unknown name is not obeyed and
    the answer is relayed without it;
  - `#solved` and `#open` set the status (closed_at with it);
  - `postdesk test` shows a #reply of an unknown name as not obeyed.
"""
import json
import os

import pdtest
from smtpsink import header
from test_agent_reply import AGENT, CUSTOMER, COLLEAGUE, AGENT_IP, CUSTOMER_IP, Desk, \
    agent_mail, body_of, lmtp, reply_target, run

REPLIES = os.path.join(pdtest.SOURCE_DIR, "filters", "replies")
DORA = "dora@customer.test"


def scenario(env, d, sink, mta):
    desk = Desk(env, d, sink, mta)
    number = lmtp(d.port, CUSTOMER, "support@example.com",
                  pdtest.message(msgid="<desk.1@customer.test>",
                                 frm="Alice Example <%s>" % CUSTOMER,
                                 headers=("Cc: Carl <%s>" % COLLEAGUE,)), CUSTOMER_IP)
    reply_to, mid, refs, subject, _ = reply_target(desk)

    def answer(body, msgid=None):
        n = lmtp(d.port, AGENT, reply_to, agent_mail("Re: " + subject, body, mid, refs, reply_to,
                                                     msgid=msgid), AGENT_IP)
        pdtest.check_eq(n, number, "threads into the ticket")

    def row():
        return env.query("select t.status, t.category, q.name, t.closed_at is not null"
                         " from tickets t join queues q on q.id = t.queue_id"
                         " where t.number = :'p1'", number)[0]

    def relays():
        return [r[2] for r in desk.outbound("relay")]

    answer("#cc Dora+desk@Customer.TEST\n#category Hardware\n\nDora, you are in copy now.\n")
    pdtest.check_eq(relays(), [CUSTOMER, COLLEAGUE, DORA], "#cc: this answer reaches Dora too")
    pdtest.check_eq(env.scalar("select role from participants where address = :'p1'", DORA),
                    "cc", "Dora takes part")
    pdtest.check_eq(row()[1], "hardware", "#category")

    answer("#category toys\n")
    cmds = desk.events(number, "agent.command")
    pdtest.check_eq((cmds[-1]["result"], cmds[-1]["reason"], row()[1]),
                    ("refused", "unknown category (configured: hardware)", "hardware"),
                    "#category of an unconfigured category is refused")
    answer("#queue billing\n#queue nowhere\n")
    pdtest.check_eq(row()[2], "billing", "#queue")
    cmds = desk.events(number, "agent.command")
    pdtest.check_eq((cmds[-1]["result"], cmds[-1]["reason"]),
                    ("refused", "no such queue in the configuration"), "unknown queue refused")

    n = len(relays())
    answer("#reply password-reset\n")
    pdtest.check_eq(relays()[n:], [CUSTOMER, COLLEAGUE, DORA], "#reply alone is relayed")
    answer("#reply solved\n#solved\n\nAnd the toner is on us.\n")
    pdtest.check_eq(row()[0::3], ["solved", "t"], "#solved stamps closed_at")
    answer("#reply no-such-reply\nOnly my own words.\n")
    cmds = desk.events(number, "agent.command")
    pdtest.check_eq((cmds[-1]["command"], cmds[-1]["result"]), ("reply", "refused"),
                    "an unknown canned reply is not obeyed")
    pdtest.check("no canned reply" in cmds[-1]["reason"], cmds[-1]["reason"])
    answer("#open\n")
    pdtest.check_eq(row()[0::3], ["open", "f"], "#open clears closed_at")

    desk.settled()
    to_alice = [r[0] for r in desk.outbound("relay") if r[2] == CUSTOMER]
    texts = [body_of(desk.mail_of(i)) for i in to_alice]
    pdtest.check("Forgot password?" in texts[1] and ("[#%s]" % number) in texts[1] and
                 "Hello Alice Example" in texts[1],
                 "the canned reply rendered for the ticket:\n" + texts[1])
    pdtest.check(texts[2].index("is solved") < texts[2].index("toner is on us"),
                 "the canned reply, then the agent's text:\n" + texts[2])
    pdtest.check("Only my own words." in texts[3] and "Forgot" not in texts[3] and
                 "solved" not in texts[3], "no canned text for an unknown name:\n" + texts[3])
    pdtest.check_eq(env.scalar("select count(*) from outbound where status <> 'sent'"), "0",
                    "everything sent")
    # one notice per answer with refused commands, to the agent, automatic
    notices = [r for r in env.query("select id, recipients[1] from outbound"
                                    " where template = 'agent-refused' order by id")]
    pdtest.check_eq([n[1] for n in notices], [AGENT] * 3, "three answers had refusals")
    first = desk.mail_of(notices[1][0])
    pdtest.check("#queue nowhere (line 2): no such queue in the configuration" in body_of(first),
                 "the notice says what and why:\n" + body_of(first))
    pdtest.check_eq(header(first, "Auto-Submitted"), "auto-generated", "an automatic mail")

    path = os.path.join(env.dir, "agent.eml")
    with open(path, "wb") as f:
        f.write(agent_mail("Re: " + subject, "#reply nope\n#cc carl@customer.test\nHi.\n",
                           mid, refs, reply_to))
    config = env.write_config(extra=d.extra)
    out = json.loads(env.postdesk("test", "--json", "--client", AGENT_IP, "--helo",
                                  "mail.sender.test", "--from", AGENT, path, config=config,
                                  check_rc=0).stdout)
    cmds = out["recipients"][0]["agent"]["answer"]["commands"]
    pdtest.check_eq([c["command"] for c in cmds], ["reply", "cc"], "postdesk test: commands")
    pdtest.check("no canned reply \"nope\"" in (cmds[0]["error"] or ""), cmds[0])


def main():
    run(scenario, [(AGENT, "--name", "Bob Agent")],
        outbound_extra="replies = %s\n\n[category hardware]\n" % REPLIES)


if __name__ == "__main__":
    main()
