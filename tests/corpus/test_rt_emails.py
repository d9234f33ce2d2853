"""pd_mail against Request Tracker's test mails (../shared/corpora/rt-emails).

No expected results ship with this corpus, so two checks:
1. No loss: Python's own email parser (stdlib, an independent reading)
   walks each mail; every leaf part must be found in pd_mail's result: a
   text/plain or text/html part's text in the text body, the HTML body or a
   text attachment; a message/rfc822 part as a message/rfc822 attachment;
   any other part as an attachment with the same SHA-256.  The number of
   leaves must match too.
2. Decoding facts from RT's own tests (han-encodings.t, rfc2231-attachment.t,
   sendmail.t, email-file-attachments.t): subjects, names, filenames.

Mismatches must be listed in rt-emails.accepted (file<TAB>check<TAB>reason).
Skips (77) when the corpus is absent.
"""
import base64
import email
import email.policy
import hashlib
import os
import re

import pdtest
from mail_corpus import dump, load_accepted, verdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(pdtest.CORPORA, "rt-emails")
ACCEPTED = os.path.join(HERE, "rt-emails.accepted")

# file -> {field: expected}; "subject"/"text_contains"/"filenames"/"bounce"
FACTS = {
    "new-ticket-from-gb18030": {"subject": "测试", "text_contains": "测试"},
    "new-ticket-from-iso-8859-1": {"text_contains": "Håvard"},
    "8859-15-message-series/msg1": {"subject": "test äöüßÄÖÜß€", "text_contains": "äöüßÄÖÜß€"},
    "8859-15-message-series/msg7": {"subject": "test äöüßÄÖÜß€"},
    "rfc2231-attachment-filename-continuations": {"filenames": ["新しいテキスト ドキュメント.txt"]},
    "subject-with-folding-ws": {"subject": "test"},
    "nested-rfc-822": {"subject": "[Jonas Liljegren] Re: [Para] Nivåer?",
                       "text_contains": "Material för att uppdatera texten om nivåer."},
    "email-file-attachment.eml": {"filenames": ["test-email.eml"]},
    "email-file-attachment-2.eml": {"filenames": ["test-email-2.eml"]},
    "multipart-report": {"bounce": True},
    "russian-subject-no-content-type": {"subject": "тест тест"},
    "multipart-alternative-with-umlaut": {"text_contains": "Grüße"},
}


def norm(text):
    return re.sub(r"\s+", " ", text or "").strip()


def leaves(msg):
    """Leaf parts in document order; message/rfc822 is a leaf."""
    if msg.get_content_maintype() == "multipart":
        payload = msg.get_payload()
        if isinstance(payload, list) and payload:
            for part in payload:
                yield from leaves(part)
            return
        # a multipart without parts: its text is the leaf
        yield msg
        return
    yield msg


def decode_text(data, charset):
    for cs in (charset, "utf-8", "windows-1252", "latin-1"):
        if not cs:
            continue
        try:
            return data.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def check_no_loss(rel, raw, got):
    bad = []
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    # empty text parts (a mail of headers only) leave nothing to lose
    parts = [p for p in leaves(msg)
             if p.is_multipart() or p.get_content_maintype() != "text" or p.get_payload(decode=True)]
    atts = list(got["attachments"])
    bodies = norm(got["text_body"]) + " " + norm(got["html_body"] or "")
    att_texts = []
    for a in atts:
        data = base64.b64decode(a.get("content", ""))
        att_texts.append(norm(decode_text(data, "utf-8")))
    att_sums = [a["sha256"] for a in atts]
    for n, part in enumerate(parts):
        ctype = part.get_content_type()
        if part.get_content_maintype() in ("message", "multipart") and part.is_multipart():
            # message/rfc822, message/delivery-status...: Python keeps these
            # parsed, so only the attachment's type can be compared
            if ctype != "multipart/mixed" and not any(a["content_type"] == ctype for a in atts):
                bad.append(("part%d" % n, "%s part missing" % ctype))
            continue
        data = part.get_payload(decode=True) or b""
        if part.get_content_maintype() == "text":
            text = norm(decode_text(data, part.get_content_charset()))
            if not text:
                continue
            if text in bodies or text in att_texts or hashlib.sha256(data).hexdigest() in att_sums:
                continue
            # same text up to the charset guess: compare the ASCII words
            ascii_words = norm(re.sub(r"[^\x20-\x7e]+", " ", text))
            ours = norm(re.sub(r"[^\x20-\x7e]+", " ", bodies + " " + " ".join(att_texts)))
            if ascii_words and ascii_words in ours:
                bad.append(("part%d.charset" % n, "%s text found only with another charset" % ctype))
            else:
                bad.append(("part%d" % n, "%s text missing: %r" % (ctype, text[:120])))
        elif hashlib.sha256(data).hexdigest() not in att_sums:
            bad.append(("part%d" % n, "%s attachment missing (%d bytes)" % (ctype, len(data))))
    ours = len(atts) + (1 if got["html_body"] is not None else 0) + \
        (1 if got["text_body"] and not got["text_from_html"] else 0)
    if ours != len(parts):
        bad.append(("leaves", "pd_mail has %d parts, Python's email %d" % (ours, len(parts))))
    return bad


def check_facts(rel, got):
    bad = []
    facts = FACTS.get(rel, {})
    if "subject" in facts and got["subject"] != facts["subject"]:
        bad.append(("subject", "got %r, want %r" % (got["subject"], facts["subject"])))
    if "text_contains" in facts and facts["text_contains"] not in got["text_body"]:
        bad.append(("text", "%r not in %r" % (facts["text_contains"], got["text_body"][:200])))
    if "filenames" in facts:
        names = [a["filename"] for a in got["attachments"]]
        if names != facts["filenames"]:
            bad.append(("filenames", "got %r, want %r" % (names, facts["filenames"])))
    if "bounce" in facts and got["class"]["bounce"] != facts["bounce"]:
        bad.append(("bounce", "got %r" % got["class"]["bounce"]))
    return bad


def main():
    if not os.path.isdir(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    accepted = load_accepted(ACCEPTED)
    files = []
    for root, _, names in os.walk(CORPUS):
        for name in names:
            if name.startswith("LICENSE") or name == "SOURCE.txt":
                continue
            files.append(os.path.join(root, name))
    files.sort()
    pdtest.check(len(files) >= 25, "only %d mails in %s" % (len(files), CORPUS))
    results = dump(files, "--content")
    mismatches = []
    for path, got in zip(files, results):
        rel = os.path.relpath(path, CORPUS)
        with open(path, "rb") as f:
            raw = f.read()
        for check, what in check_no_loss(rel, raw, got) + check_facts(rel, got):
            mismatches.append((rel, check, what))
    for rel in FACTS:
        pdtest.check(os.path.join(CORPUS, rel) in files, "no %s in the corpus" % rel)
    verdict("mails", len(files), mismatches, accepted)


if __name__ == "__main__":
    main()
