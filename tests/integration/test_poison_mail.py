"""Poison messages (issue 8, item 3; DESIGN invariant 1: transient means
transient).  Two strings from the peer once reached PostgreSQL as invalid
UTF-8, an attachment's content type and a charset name quoted in a parse
warning: every attempt was answered 451 with the database's error text,
for ever.  Each is now delivered (250) and stored, raw bytes whole, with a
warning that says what was repaired; and a temporary failure's reply never
carries the database's words (the log does)."""
import re

import pdtest
from pdtest import check, check_eq

CONTENT_TYPE = (
    b"From: Alice <alice@customer.test>\r\nTo: support@example.com\r\n"
    b"Subject: poison content type\r\nMessage-ID: <poison.ct@customer.test>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    b"--b\r\nContent-Type: /\xf6\x9a\x91\x95\r\n\r\nxx\r\n--b--\r\n")
CHARSET = (
    b"From: Alice <alice@customer.test>\r\nTo: support@example.com\r\n"
    b"Subject: poison charset\r\nMessage-ID: <poison.cs@customer.test>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"utf-9\xf6\xbc\x90\x91\"\r\n\r\n"
    b"h\xe9llo\r\n")

with pdtest.Env() as env:
    d = env.daemon()
    for name, mail, warning, column, want in (
            ("content type", CONTENT_TYPE, "Content-Type: invalid UTF-8 repaired",
             "(SELECT content_type FROM message_attachments ma WHERE ma.message_row = m.id)",
             "/\ufffd"),
            ("charset", CHARSET, "text body: cannot decode as declared charset utf-9\ufffd",
             "translate(m.text_body, E'\\r\\n', '')", "h\u00e9llo")):
        replies = pdtest.lmtp_deliver(d.port, "alice@customer.test", ["support@example.com"],
                                      mail)
        check(replies and replies[0].startswith("250 2.0.0 Ok: ticket "),
              "%s: want 250, got %r" % (name, replies))
        msgid = re.search(rb"Message-ID: <([^>]+)>", mail).group(1).decode()
        rows = env.query("SELECT array_to_string(m.parse_warnings, '|'), %s, r.size"
                         " FROM messages m JOIN raw_messages r ON r.sha256 = m.raw_sha256"
                         " WHERE m.message_id = :'p1'" % column, msgid)
        check_eq(len(rows), 1, "%s: stored once" % name)
        warnings, value, size = rows[0]
        check(warning in warnings, "%s: warning %r in %r" % (name, warning, warnings))
        check_eq(value, want, "%s: stored value" % name)
        check_eq(int(size), len(mail), "%s: raw bytes whole" % name)

    # A temporary failure: 451, with none of the database's words (they
    # are in the log line).
    env.query("CREATE FUNCTION pd_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
              " BEGIN RAISE EXCEPTION 'secret-db-detail'; END $$;"
              "CREATE TRIGGER pd_test_refuse BEFORE INSERT ON messages"
              " FOR EACH ROW EXECUTE FUNCTION pd_test_refuse()")
    replies = pdtest.lmtp_deliver(d.port, "alice@customer.test", ["support@example.com"],
                                  pdtest.message(subject="refused for now"))
    check_eq(replies, ["451 4.3.0 Temporary local problem, please try again later"],
             "temporary failure reply")
    log = pdtest.wait_for("the deferral logged",
                          lambda: "secret-db-detail" in d.log_text() and d.log_text())
    check(re.search(r"status=deferred \(451 4\.3\.0 .*secret-db-detail", log),
          "the log names the database's reason:\n" + log)
    env.query("DROP TRIGGER pd_test_refuse ON messages")
    check(d.alive(), "postdeskd still up")
print("ok")
