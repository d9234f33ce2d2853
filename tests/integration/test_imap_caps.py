"""The after-delivery action by what the server offers, with a real Dovecot
whose capabilities are trimmed (issue 13):
- MOVE hidden: UID COPY + \\Deleted + UID EXPUNGE (UIDPLUS) to Processed;
- MOVE and UIDPLUS hidden: the mail stays, flagged \\Seen, and the stored
  last UID keeps it from being fetched again;
- UIDVALIDITY changed (the folder deleted and made again, the same mails
  in it once more): the fetcher starts over from UID 0, an
  imap.uidvalidity event says so, and the idempotency keys make the old
  mails duplicates: no second message or ticket, the new one stored."""
import re

import dovecot
import pdtest
from pdtest import check, check_eq


def count(env, like):
    return int(env.scalar("select count(*) from messages where message_id like :'p1'", like))


def main():
    with pdtest.Env() as env:
        with dovecot.DovecotImap({"support": "s3cret"}, capability=dovecot.CAPS_NO_MOVE) as dc:
            section = dovecot.imap_section(dc, env.dir, processed_folder="Processed")
            for i in range(3):
                dc.append("support", pdtest.message(msgid="<uidplus-%d@customer.test>" % i))
            d = env.daemon(extra=section)
            pdtest.wait_for("copied and expunged", lambda: dc.uids("support") == [] and
                            len(dc.uids("support", "Processed")) == 3)
            check_eq(count(env, "uidplus-%"), 3, "stored once each")
            check("MOVE no, UIDPLUS yes" in d.log_text(), d.log_text())
            pdtest.wait_for("the action logged", lambda: "delivered (ticket 10001), "
                            "copy-expunge to Processed" in d.log_text())
            d.stop()

        with dovecot.DovecotImap({"support": "s3cret"},
                                 capability=dovecot.CAPS_NO_MOVE_NO_UIDPLUS) as dc:
            section = dovecot.imap_section(dc, env.dir, processed_folder="Processed",
                                           folder="Support")
            c = dc.imap("support")
            c.create("Support")
            c.logout()
            for i in range(2):
                dc.append("support", pdtest.message(msgid="<seen-%d@customer.test>" % i),
                          folder="Support")
            d = env.daemon(extra=section)
            pdtest.wait_for("flagged", lambda: list(dc.flags("support", "Support").values())
                            == ["\\Seen", "\\Seen"])
            check_eq(count(env, "seen-%"), 2, "stored once each")
            check_eq(len(dc.uids("support", "Support")), 2, "left in the folder")
            dc.append("support", pdtest.message(msgid="<seen-2@customer.test>"),
                      folder="Support")
            pdtest.wait_for("the third", lambda: count(env, "seen-%") == 3)
            pdtest.wait_for("the third's action logged", lambda: len(re.findall(
                r"imap=support uid=\d+: delivered", d.log_text())) >= 3)
            check_eq(len(re.findall(r"imap=support uid=\d+: delivered", d.log_text())), 3,
                     "each fetched once (the last UID, not \\Seen, decides)")

            # UIDVALIDITY changes: the folder made again (the first server's
            # INBOX to this one's Support was a change already)
            events = int(env.scalar("select count(*) from events "
                                    "where kind = 'imap.uidvalidity'"))
            c = dc.imap("support")
            c.delete("Support")
            c.create("Support")
            c.logout()
            for i in range(4):
                dc.append("support", pdtest.message(msgid="<seen-%d@customer.test>" % i),
                          folder="Support")
            pdtest.wait_for("the new one", lambda: count(env, "seen-%") == 4, timeout=30)
            pdtest.wait_for("all flagged again", lambda: list(
                dc.flags("support", "Support").values()) == ["\\Seen"] * 4)
            check_eq(env.query("select count(*), count(distinct message_id) from messages "
                               "where message_id like 'seen-%'"), [["4", "4"]], "no duplicates")
            check_eq(int(env.scalar("select count(*) from events "
                                    "where kind = 'imap.uidvalidity'")), events + 1,
                     "the change is recorded")
            pdtest.wait_for("the old mails absorbed", lambda: len(re.findall(
                r"<seen-\d@customer\.test>: .*\(duplicate\)", d.log_text())) == 3)
            d.stop()


if __name__ == "__main__":
    main()
