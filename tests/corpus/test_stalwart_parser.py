"""pd_mail against the stalwart-mail-parser corpus (../shared/corpora).

For each eml/*/NNN.eml, pd-mail-dump's output is compared with NNN.json
(stalwart's expected parse tree, the corpus SOURCE.txt "Suggested check"):
decoded Subject, From/To/Cc names and addresses, Message-ID, In-Reply-To,
References, the text body (against text/plain parts only: stalwart also
converts HTML), the HTML body, and the attachments' count, filenames and
bytes (and that an attachment's span of the raw message, which the store
keeps instead of a decoded copy, decodes to those bytes).  Then the
header-field vectors id.json (Message-ID/References), address.json (as To)
and unstructured.json (as Subject) run through the parser inside a minimal
message.

Every mismatch must be listed in stalwart-parser.accepted with a reason
(file<TAB>field<TAB>reason); any other fails the test.  Skips (77) when the
corpus is absent.
"""
import glob
import hashlib
import json
import os
import tempfile

import pdtest
from mail_corpus import dump, load_accepted, verdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(pdtest.CORPORA, "stalwart-mail-parser")
ACCEPTED = os.path.join(HERE, "stalwart-parser.accepted")


def header(part, name):
    for h in part["headers"]:
        if h["name"] == name:
            return h["value"]
    return None


def addresses(value):
    """stalwart's Address value as [(name, address)], groups flattened."""
    if not isinstance(value, dict) or "Address" not in value:
        return []
    a = value["Address"]
    if "List" in a:
        items = a["List"]
    else:
        items = [m for g in a.get("Group", []) for m in g.get("addresses", [])]
    return [(i.get("name") or None, i.get("address") or None) for i in items]


def text_value(value):
    if isinstance(value, dict):
        if "Text" in value:
            return value["Text"]
        if "TextList" in value:
            return value["TextList"][0] if value["TextList"] else None
    return None


def id_list(value):
    if isinstance(value, dict):
        if "Text" in value:
            return [value["Text"]]
        if "TextList" in value:
            return value["TextList"]
    return []


def norm_text(s):
    if s is None:
        return None
    return s.replace("\r\n", "\n").rstrip()


def content_type(part):
    ct = header(part, "content_type")
    if isinstance(ct, dict) and "ContentType" in ct:
        c = ct["ContentType"]
        return ("%s/%s" % (c.get("c_type"), c.get("c_subtype") or "")).lower()
    return "text/plain"


def part_filename(part):
    for name, key in (("content_disposition", "filename"), ("content_type", "name")):
        v = header(part, name)
        if isinstance(v, dict) and "ContentType" in v:
            for attr in v["ContentType"].get("attributes") or []:
                if attr["name"].lower() == key:
                    return attr["value"]
    return None


def part_bytes(part):
    body = part["body"]
    if isinstance(body, dict):
        for kind in ("Binary", "InlineBinary"):
            if kind in body:
                return bytes(body[kind])
        for kind in ("Text", "Html"):
            if kind in body:
                return None  # decoded to text by stalwart; bytes not comparable
    return None


def compare(expected, got):
    """[(field, description)] of the mismatches for one message."""
    bad = []
    top = expected["parts"][0]
    parts = expected["parts"]

    subject = text_value(header(top, "subject"))
    if (subject or "").strip() != got["subject"]:
        bad.append(("subject", "got %r, want %r" % (got["subject"], subject)))

    want_from = addresses(header(top, "from"))
    got_from = (got["from"]["name"], got["from"]["address"])
    if want_from and want_from[0] != got_from:
        bad.append(("from", "got %r, want %r" % (got_from, want_from[0])))
    for field in ("to", "cc"):
        want = addresses(header(top, field))
        have = [(a["name"], a["address"]) for a in got[field]]
        if want != have:
            bad.append((field, "got %r, want %r" % (have, want)))

    want_mid = text_value(header(top, "message_id"))
    if want_mid != got["message_id"]:
        bad.append(("message_id", "got %r, want %r" % (got["message_id"], want_mid)))
    want_irt = id_list(header(top, "in_reply_to"))
    if (want_irt[0] if want_irt else None) != got["in_reply_to"]:
        bad.append(("in_reply_to", "got %r, want %r" % (got["in_reply_to"], want_irt)))
    want_refs = id_list(header(top, "references"))
    if want_refs != got["references"]:
        bad.append(("references", "got %r, want %r" % (got["references"], want_refs)))

    # text body: the first text/plain part stalwart lists as text body
    want_text = None
    for i in expected["text_body"]:
        b = parts[i]["body"]
        if isinstance(b, dict) and "Text" in b and content_type(parts[i]).startswith("text/plain"):
            want_text = b["Text"]
            break
    if want_text is not None and norm_text(want_text) != norm_text(got["text_body"]):
        bad.append(("text_body", "got %r, want %r" % (got["text_body"][:200], want_text[:200])))
    want_html = None
    for i in expected["html_body"]:
        b = parts[i]["body"]
        if isinstance(b, dict) and "Html" in b:
            want_html = b["Html"]
            break
    if want_html is not None and norm_text(want_html) != norm_text(got["html_body"]):
        bad.append(("html_body", "got %r, want %r" % ((got["html_body"] or "")[:200], want_html[:200])))

    # attachments: every leaf we do not take as the text or HTML body.
    # stalwart lists further inline text parts in text_body/html_body where
    # pd_mail keeps them as attachments (nothing lost), so the expected list
    # is its attachments plus those parts, in document order.
    chosen = set()
    for i in expected["text_body"]:
        b = parts[i]["body"]
        if isinstance(b, dict) and "Text" in b and content_type(parts[i]).startswith("text/plain"):
            chosen.add(i)
            break
    for i in expected["html_body"]:
        b = parts[i]["body"]
        if isinstance(b, dict) and "Html" in b:
            chosen.add(i)
            break
    leaves = set(expected["attachments"]) | set(expected["text_body"]) | set(expected["html_body"])
    want_att = [parts[i] for i in sorted(leaves - chosen)
                if not (isinstance(parts[i]["body"], dict) and "Multipart" in parts[i]["body"])]
    if len(want_att) != len(got["attachments"]):
        bad.append(("attachments", "got %d, want %d: %r" % (
            len(got["attachments"]), len(want_att),
            [(a["filename"], a["content_type"]) for a in got["attachments"]])))
    else:
        for n, (w, g) in enumerate(zip(want_att, got["attachments"])):
            wname = part_filename(w)
            if wname is not None and wname != g["filename"]:
                bad.append(("attachment%d.filename" % n, "got %r, want %r" % (g["filename"], wname)))
            data = part_bytes(w)
            if data is not None and hashlib.sha256(data).hexdigest() != g["sha256"]:
                bad.append(("attachment%d.bytes" % n, "got %d bytes, want %d" % (g["size"], len(data))))
            # stored as a reference into the raw message: decoded on demand
            if g.get("raw_span") is not None and not g.get("raw_span_ok"):
                bad.append(("attachment%d.raw_span" % n, "%s span does not decode to its bytes"
                            % g["raw_span"]))
    return bad


def run_id_vectors(tmp):
    """id.json: each raw header value as References and as Message-ID."""
    path = os.path.join(CORPUS, "id.json")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    files = []
    for n, v in enumerate(vectors):
        for field in ("Message-ID", "References"):
            p = os.path.join(tmp, "id%d-%s.eml" % (n, field))
            with open(p, "wb") as f:
                f.write(("From: a@example.org\n%s:%s\nbody\n" % (field, v["header"])).encode("utf-8"))
            files.append(p)
    got = dump(files)
    results = []
    for n, v in enumerate(vectors):
        want = v["expected"] or []
        mid, refs = got[2 * n], got[2 * n + 1]
        name = "id.json#%d" % n
        if refs["references"] != want:
            results.append((name, "references", "got %r, want %r" % (refs["references"], want)))
        if mid["message_id"] != (want[0] if want else None):
            results.append((name, "message_id", "got %r, want %r" % (mid["message_id"], want)))
    return results


URL_SCHEMES = ("http:", "https:", "ftp:", "mailto:")


def run_header_vectors(tmp):
    """address.json (as To) and unstructured.json (as Subject): the header
    decoding a human sees (names, RFC 2047 words, folding).  Vectors whose
    addresses are URLs are List-* values, which pd_mail reads as no
    address field: skipped."""
    cases = []
    path = os.path.join(CORPUS, "address.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for n, v in enumerate(json.load(f)):
                want = addresses({"Address": v["expected"]}) if v["expected"] else []
                if any(a and a.startswith(URL_SCHEMES) for _, a in want):
                    continue
                cases.append(("address.json#%d" % n, "to", "To:" + v["header"], want))
    path = os.path.join(CORPUS, "unstructured.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for n, v in enumerate(json.load(f)):
                cases.append(("unstructured.json#%d" % n, "subject", "Subject:" + v["header"],
                              (v["expected"] or "").strip()))
    files = []
    for n, (_, _, field, _) in enumerate(cases):
        p = os.path.join(tmp, "h%d.eml" % n)
        with open(p, "wb") as f:
            f.write(("From: a@example.org\n%s\nbody\n" % field.rstrip("\r\n")).encode("utf-8"))
        files.append(p)
    results = []
    for (name, check, _, want), got in zip(cases, dump(files)):
        have = ([(a["name"], a["address"]) for a in got["to"]] if check == "to" else got["subject"])
        if have != want:
            results.append((name, check, "got %r, want %r" % (have, want)))
    return results


def main():
    if not os.path.isdir(CORPUS):
        pdtest.skip("corpus %s is absent" % CORPUS)
    accepted = load_accepted(ACCEPTED)
    emls = sorted(glob.glob(os.path.join(CORPUS, "eml", "*", "*.eml")))
    pdtest.check(len(emls) >= 100, "only %d messages in %s" % (len(emls), CORPUS))
    mismatches = []
    with tempfile.TemporaryDirectory() as tmp:
        # the expected trees were made from the messages read with LF line ends
        lf = []
        for n, eml in enumerate(emls):
            p = os.path.join(tmp, "%d.eml" % n)
            with open(eml, "rb") as src, open(p, "wb") as dst:
                dst.write(src.read().replace(b"\r\n", b"\n"))
            lf.append(p)
        results = dump(lf)
        mismatches.extend(run_id_vectors(tmp))
        mismatches.extend(run_header_vectors(tmp))
    for eml, got in zip(emls, results):
        rel = os.path.relpath(eml, CORPUS)
        with open(eml[:-4] + ".json", encoding="utf-8") as f:
            expected = json.load(f)
        for field, what in compare(expected, got):
            mismatches.append((rel, field, what))

    verdict("messages", len(emls), mismatches, accepted)


if __name__ == "__main__":
    main()
