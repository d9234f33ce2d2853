#!/usr/bin/env python3
"""Generate the benchmark's mail stream, deterministically from a seed.

    gen-stream.py -n N [--seed S] [--max-size BYTES] OUTDIR

writes OUTDIR/000001.eml ... (CRLF, not dot-stuffed) and OUTDIR/index.tsv
("file<TAB>mail-from<TAB>rcpt-to" per line, in delivery order), the input of
pd-bench.  The same N and seed give byte-identical files.

What the stream looks like (support mail, roughly):
  - sizes from 2 KB to 200 KB, log-uniform (median about 20 KB); --max-size
    lowers the top (4096: small mail, about 4.5 KB, as for --growth);
  - plain text, some with an HTML alternative, some in quoted-printable
    UTF-8 with an RFC 2047 encoded subject;
  - mails over ~12 KB carry the rest as base64 attachments (PDF, PNG, logs);
  - half are replies to an earlier mail of the stream, from the same
    customer: "Re:" subject, quoted text, In-Reply-To and References;
  - 80% to support@example.com, 20% to billing@example.com.
"""
import argparse
import base64
import os
import random
import sys

WORDS = ("printer invoice account login password error server mail backup "
         "disk network slow cannot please help urgent thanks update upgrade "
         "license renewal payment card charge refund order shipping delivery "
         "address contact phone report screenshot attached version release "
         "install crash restart cluster database timeout certificate domain "
         "the a to and of in is it for on with that this we you our your "
         "have has be not are was since yesterday today morning again still "
         "customer team support ticket issue problem question request").split()
NAMES = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi",
         "Ivan", "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil",
         "Trent", "Victor", "Walter", "Zoë", "José", "Jürgen", "Åsa", "Łukasz"]
DOMAINS = ["customer.test", "acme.test", "globex.test", "initech.test",
           "umbrella.test", "hooli.test", "example.org", "example.net"]
ATTACHMENTS = [("application/pdf", "invoice-%d.pdf"), ("image/png", "screenshot-%d.png"),
               ("text/plain", "server-%d.log"), ("application/zip", "logs-%d.zip")]
MIN_SIZE, MAX_SIZE = 2 * 1024, 200 * 1024


def sentence(rng, n=None):
    n = n or rng.randint(6, 18)
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def paragraph_lines(rng, target):
    """Text of about target bytes, wrapped at 72 columns."""
    out, line, size = [], "", 0
    while size < target:
        for word in sentence(rng).split():
            if len(line) + len(word) + 1 > 72:
                out.append(line)
                size += len(line) + 2
                line = word
            else:
                line = (line + " " + word) if line else word
        if rng.random() < 0.15:
            out.append(line)
            out.append("")
            size += len(line) + 4
            line = ""
    if line:
        out.append(line)
    return out


def encode_qp_utf8(text):
    """Quoted-printable of UTF-8 text (RFC 2045), soft line breaks at 76."""
    out = []
    for line in text.split("\n"):
        enc = ""
        for ch in line.encode("utf-8"):
            c = chr(ch)
            if ch == 61 or ch > 126 or (ch < 32 and ch != 9):
                c = "=%02X" % ch
            if len(enc) + len(c) > 75:
                out.append(enc + "=")
                enc = ""
            enc += c
        if enc.endswith(" ") or enc.endswith("\t"):
            enc = enc[:-1] + "=%02X" % ord(enc[-1])
        out.append(enc)
    return "\r\n".join(out)


def rfc2047(text):
    return "=?UTF-8?B?%s?=" % base64.b64encode(text.encode("utf-8")).decode()


def make_message(rng, i, seed, history):
    reply_to = history[rng.randrange(len(history))] if history and rng.random() < 0.5 else None
    if reply_to:
        name, addr, rcpt = reply_to["name"], reply_to["addr"], reply_to["rcpt"]
        subject = reply_to["subject"]
        if not subject.startswith("Re: "):
            subject = "Re: " + subject
        refs = reply_to["refs"] + [reply_to["msgid"]]
    else:
        name = rng.choice(NAMES) + " " + rng.choice(NAMES) + "son"
        addr = "%s.%d@%s" % (name.split()[0].lower().encode("ascii", "ignore").decode() or "user",
                             rng.randrange(1000), rng.choice(DOMAINS))
        rcpt = "billing@example.com" if rng.random() < 0.2 else "support@example.com"
        subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize()
        if rng.random() < 0.2:
            subject += " – %s" % rng.choice(["dringend", "très urgent", "срочно", "至急"])
        refs = []
    msgid = "<bench.%d.%d@%s>" % (seed, i, addr.split("@")[1])
    size = int(MIN_SIZE * (MAX_SIZE / MIN_SIZE) ** rng.random())
    body = paragraph_lines(rng, max(1400, min(size - 800, rng.randint(1500, 12000))))
    if reply_to:
        quoted = ["> " + l for l in reply_to["lines"][:40]]
        body = body[: max(3, len(body) // 2)] + ["", "On Mon, 23 Nov 2026, support wrote:"] + quoted
    body += ["", "-- ", name, "Sent from my desk"]
    text = "\n".join(body)
    unicode_text = any(ord(c) > 127 for c in subject + name) or rng.random() < 0.2
    if unicode_text:
        text = text.replace("thanks", "merci beaucoup, grüße").replace("please", "bitte schön")

    headers = [
        "Return-Path: <%s>" % addr,
        "Received: from mx.%s (mx.%s [192.0.2.%d]) by mx.example.com (Postfix) with ESMTPS "
        "id %08X for <%s>; Mon, 23 Nov 2026 10:%02d:%02d +0000" % (
            addr.split("@")[1], addr.split("@")[1], rng.randint(1, 254), rng.getrandbits(32),
            rcpt, (i // 60) % 60, i % 60),
        "From: %s <%s>" % (rfc2047(name) if any(ord(c) > 127 for c in name) else '"%s"' % name,
                           addr),
        "To: %s" % rcpt,
        "Subject: %s" % (rfc2047(subject) if any(ord(c) > 127 for c in subject) else subject),
        "Date: Mon, 23 Nov 2026 %02d:%02d:%02d +0000" % (10 + i // 3600 % 12, (i // 60) % 60, i % 60),
        "Message-ID: %s" % msgid,
        "MIME-Version: 1.0",
        "User-Agent: Mozilla/5.0 Thunderbird/115.5.0",
    ]
    if reply_to:
        headers.append("In-Reply-To: %s" % reply_to["msgid"])
        headers.append("References: %s" % " ".join(refs[-10:]))

    def text_part():
        if unicode_text:
            return (["Content-Type: text/plain; charset=utf-8; format=flowed",
                     "Content-Transfer-Encoding: quoted-printable"], encode_qp_utf8(text))
        return (["Content-Type: text/plain; charset=us-ascii",
                 "Content-Transfer-Encoding: 7bit"], text.replace("\n", "\r\n"))

    def html_part():
        html = "<html><body>" + "".join(
            "<p>%s</p>" % l for l in body if l) + "</body></html>"
        return (["Content-Type: text/html; charset=utf-8",
                 "Content-Transfer-Encoding: quoted-printable"], encode_qp_utf8(html))

    def multipart(subtype, parts):
        boundary = "=_bench_%d_%08x" % (i, rng.getrandbits(32))
        lines = []
        for h, b in parts:
            lines += ["--" + boundary] + h + ["", b]
        lines.append("--" + boundary + "--")
        return (["Content-Type: multipart/%s; boundary=\"%s\"" % (subtype, boundary)],
                "\r\n".join(lines))

    main = text_part()
    if rng.random() < 0.3:
        main = multipart("alternative", [main, html_part()])
    # What the size still lacks is carried by base64 attachments (76
    # characters + CRLF per 57 bytes, ~300 bytes of part headers each).
    attach_size = size - (sum(len(h) + 2 for h in headers + main[0]) + len(main[1]))
    if attach_size > 1500:
        parts = [main]
        n_att = 1 if attach_size < 60000 else rng.randint(1, 3)
        for k in range(n_att):
            ctype, fname = rng.choice(ATTACHMENTS)
            raw = rng.randbytes((attach_size // n_att - 300) * 57 // 78)
            b64 = base64.encodebytes(raw).decode().replace("\n", "\r\n").rstrip("\r\n")
            parts.append(([
                "Content-Type: %s; name=\"%s\"" % (ctype, fname % (i * 10 + k)),
                "Content-Disposition: attachment; filename=\"%s\"" % (fname % (i * 10 + k)),
                "Content-Transfer-Encoding: base64"], b64))
        main = multipart("mixed", parts)
    head, content = main
    data = "\r\n".join(headers + head) + "\r\n\r\n" + content + "\r\n"
    history.append(dict(name=name, addr=addr, rcpt=rcpt, subject=subject, msgid=msgid,
                        refs=refs, lines=body))
    return addr, rcpt, data.encode("utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="messages (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-size", type=int, default=MAX_SIZE,
                    help="largest message in bytes (default %d)" % MAX_SIZE)
    ap.add_argument("outdir")
    args = ap.parse_args()
    globals()["MAX_SIZE"] = max(args.max_size, MIN_SIZE)	# make_message's top
    rng = random.Random(args.seed)
    os.makedirs(args.outdir, exist_ok=True)
    history, total, replies = [], 0, 0
    with open(os.path.join(args.outdir, "index.tsv"), "w") as index:
        for i in range(1, args.n + 1):
            sender, rcpt, data = make_message(rng, i, args.seed, history)
            replies += b"\r\nIn-Reply-To: " in data
            name = "%06d.eml" % i
            with open(os.path.join(args.outdir, name), "wb") as f:
                f.write(data)
            index.write("%s\t%s\t%s\n" % (name, sender, rcpt))
            total += len(data)
    print("stream: %d messages, %.1f MB, %d replies, seed %d" %
          (args.n, total / 1e6, replies, args.seed), file=sys.stderr)


if __name__ == "__main__":
    main()
