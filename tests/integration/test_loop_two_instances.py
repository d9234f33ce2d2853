#!/usr/bin/env python3
"""Two postdesk installations mailing each other (issue 4, "Loop cases";
DESIGN invariant 3).

Instance A (support@a.test) and instance B (support@b.test): two postdeskd
processes, two databases on the test cluster, each one's outbound relay a
bridge (tests/lib/lmtpbridge.py) that delivers to the OTHER's LMTP port.
The exchange starts with one mail from B's support address to A, as when
one help desk is the other's customer.

  - Relays that pass mail as it is: A's acknowledgement goes out with the
    null sender and Auto-Submitted: auto-replied, and B answers nothing.
    Exactly one mail crosses.
  - Relays that strip every marker a loop could be recognized by (the
    envelope sender rewritten to the From, Auto-Submitted, Precedence,
    X-Auto-Response-Suppress, X-Postdesk-Ticket removed, fresh Message-IDs,
    no In-Reply-To/References, the [#N] subject tag removed): every mail
    then looks like a person's new request, and only the per-address cap
    stops the exchange.  With autoreply_limit = 3 on both sides, exactly
    2 x 3 = 6 mails cross and A suppresses the next one ("rate limit");
    every mail is still stored (A: 4 tickets, B: 3).
"""
import contextlib
import itertools
import os
import re

import lmtpbridge
import pdtest
from pdtest import check_eq

TEMPLATES = os.path.join(pdtest.SOURCE_DIR, "filters", "templates")
LIMIT = 3


def config(name, relay_port):
    return ("[outbound]\nrelay = smtp://127.0.0.1:%d\n"
            "from = %s Support <support@%s.test>\n"
            "token_keys = loop-test-key-of-instance-%s-0123456789\ntemplates = %s\n"
            "poll_interval = 0.1\nretry_delays = 1\nconnect_timeout = 5\n"
            "reply_timeout = 10\ntimeout = 10\n"
            "autoreply_limit = %d\nautoreply_window = 3600\n"
            % (relay_port, name.upper(), name, name, TEMPLATES, LIMIT))


def queues(name):
    return "\n[queue support]\naddresses = support@%s.test\n" % name


_serial = itertools.count(1)
MARKERS = re.compile(rb"(?mi)^(auto-submitted|precedence|x-auto-response-suppress|"
                     rb"x-postdesk-[a-z-]*|in-reply-to|references|message-id)"
                     rb":.*\r\n(?:[ \t].*\r\n)*")


def strip_markers(mail_from, data):
    """What a relay that loses every loop marker would hand on."""
    head, body = data.split(b"\r\n\r\n", 1)
    head = MARKERS.sub(b"", head + b"\r\n")
    head = re.sub(rb"(?mi)^(subject:[ \t]*)(?:\[#\d+\][ \t]*)+", rb"\1", head)
    head += b"Message-ID: <stripped%d@relay.test>\r\n" % next(_serial)
    frm = re.search(rb"(?mi)^from:.*<([^>]+)>", head)
    return frm.group(1).decode(), head + b"\r\n" + body


@contextlib.contextmanager
def exchange(rewrite):
    """A and B wired to each other, the first mail delivered to A:
    yields (env_a, env_b, a_to_b, b_to_a)."""
    port_a, port_b = pdtest.free_port(), pdtest.free_port()
    a_to_b = lmtpbridge.Bridge(port_b, rewrite)      # A's relay
    b_to_a = lmtpbridge.Bridge(port_a, rewrite)      # B's relay
    try:
        with pdtest.Env(queues=queues("a"), instance="a") as env_a, \
                pdtest.Env(queues=queues("b"), instance="b") as env_b:
            env_a.daemon(port=port_a, extra=config("a", a_to_b.port))
            env_b.daemon(port=port_b, extra=config("b", b_to_a.port))
            first = pdtest.message(subject="Your invoice 4711",
                                   frm="B Support <support@b.test>",
                                   to="support@a.test", msgid="<start@b.test>")
            replies = pdtest.lmtp_deliver(port_a, "support@b.test", ["support@a.test"], first)
            pdtest.check(replies and replies[0].startswith("250"), "first mail: %r" % replies)
            yield env_a, env_b, a_to_b, b_to_a
    finally:
        a_to_b.close()
        b_to_a.close()


def suppressed(env):
    return env.query("select detail->>'reason', detail->>'address' from events"
                     " where kind = 'autoreply.suppressed' order by id")


def quiet(env_a, env_b):
    """Wait until nothing more can cross.  A row is marked sent only after
    the bridge has delivered it to the other side, whose rows for it are then
    committed: so A all sent, then B all sent, then A unchanged and all sent
    leaves no mail in flight and none to come."""
    def rows(env):
        got = env.query("select status from outbound order by id")
        return got if all(r[0] == "sent" for r in got) else None

    def check():
        first = rows(env_a)
        return first is not None and rows(env_b) is not None and rows(env_a) == first
    pdtest.wait_for("the exchange to stop", check, timeout=30)


def test_markers_stop_it_at_once():
    with exchange(None) as (env_a, env_b, a_to_b, b_to_a):
        pdtest.wait_for("B to decide", lambda: suppressed(env_b))
        check_eq(suppressed(env_b), [["null sender", "support@a.test"]], "B's decision")
        quiet(env_a, env_b)
        check_eq((a_to_b.count, b_to_a.count), (1, 0), "mails A->B, B->A")
        mail_from, rcpts, data = a_to_b.forwarded[0]
        check_eq((mail_from, rcpts), ("", ["support@b.test"]), "A's ack: null sender")
        for marker in (b"\r\nAuto-Submitted: auto-replied\r\n", b"\r\nX-Postdesk-Ticket: "):
            pdtest.check(marker in data, "A's ack carries %r" % marker)
        check_eq(env_a.scalar("select count(*) from tickets"), "1", "A's tickets")
        check_eq(env_b.scalar("select count(*) from tickets"), "1", "B's tickets")


def test_cap_stops_it_without_markers():
    with exchange(strip_markers) as (env_a, env_b, a_to_b, b_to_a):
        pdtest.wait_for("A to stop at the cap", lambda: suppressed(env_a), timeout=60)
        quiet(env_a, env_b)
        check_eq((a_to_b.count, b_to_a.count), (LIMIT, LIMIT), "mails A->B, B->A")
        check_eq(suppressed(env_a), [["rate limit", "support@b.test"]], "A's decision")
        check_eq(suppressed(env_b), [], "B never had to decide")
        check_eq(env_a.scalar("select count(*) from tickets"), str(LIMIT + 1), "A's tickets")
        check_eq(env_b.scalar("select count(*) from tickets"), str(LIMIT), "B's tickets")
        for mail_from, _, data in a_to_b.forwarded + b_to_a.forwarded:
            pdtest.check(mail_from != "" and b"Auto-Submitted" not in data,
                         "the relay stripped the markers")


def main():
    for t in (test_markers_stop_it_at_once, test_cap_stops_it_without_markers):
        print("--", t.__name__, flush=True)
        t()
    print("ok")


if __name__ == "__main__":
    main()
