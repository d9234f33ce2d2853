"""Sender authentication fixtures for the tests: an RSA key made with the
openssl command, a small DKIM signer (rsa-sha256, relaxed/relaxed, RFC
6376), and the static zone file that [auth] zone_file serves to postdeskd
(format: lib/auth/pd-resolver.h, "NAME TYPE VALUE" lines)."""
import base64
import hashlib
import os
import re
import shutil
import subprocess

import pdtest


class Key:
    """A 2048-bit RSA key in directory; .dns is the TXT value of the
    selector record."""

    def __init__(self, directory, name="dkim"):
        if shutil.which("openssl") is None:
            pdtest.skip("the openssl command is needed to make DKIM keys")
        self.path = os.path.join(directory, name + ".pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", self.path], check=True,
                       capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", self.path, "-pubout", "-outform",
                              "DER"], check=True, capture_output=True).stdout
        self.dns = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()

    def sign_bytes(self, data):
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.path],
                              input=data, check=True, capture_output=True).stdout


def _relaxed_header(name, value):
    value = re.sub(r"\r\n", "", value)
    value = re.sub(r"[ \t]+", " ", value).strip()
    return "%s:%s" % (name.lower().strip(), value)


def _relaxed_body(body):
    lines = body.split(b"\r\n")
    out = [re.sub(rb"[ \t]+", b" ", line).rstrip(b" \t") for line in lines]
    while out and out[-1] == b"":
        out.pop()
    return b"".join(line + b"\r\n" for line in out)


def dkim_sign(message, key, domain, selector, signed=("from", "to", "subject", "date",
                                                     "message-id")):
    """message (CRLF bytes) with a DKIM-Signature header prepended."""
    head, body = message.split(b"\r\n\r\n", 1)
    fields = []
    for line in head.decode().split("\r\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + "\r\n" + line)
        else:
            name, value = line.split(":", 1)
            fields.append((name, value))
    bh = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest()).decode()
    names = [n for n in signed if any(f[0].lower() == n for f in fields)]
    tags = ("v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s; h=%s; bh=%s; b=" %
            (domain, selector, ":".join(names), bh))
    canon = ""
    used = set()
    for n in names:
        # the bottom-most unused instance (RFC 6376 5.4.2)
        for i in range(len(fields) - 1, -1, -1):
            if fields[i][0].lower() == n and i not in used:
                used.add(i)
                canon += _relaxed_header(*fields[i]) + "\r\n"
                break
    canon += _relaxed_header("DKIM-Signature", tags)
    b = base64.b64encode(key.sign_bytes(canon.encode())).decode()
    return ("DKIM-Signature: %s%s\r\n" % (tags, b)).encode() + message


def write_zone(path, records):
    """records: (name, type, value) tuples."""
    with open(path, "w") as f:
        f.write("# written by tests/lib/authzone.py\n")
        for name, rtype, value in records:
            f.write(("%s %s %s" % (name, rtype, value)).rstrip() + "\n")
    return path


def auth_section(zone_path, extra=""):
    return ("\n[auth]\nmode = verify\nauthserv_id = postdesk.test\nzone_file = %s\n"
            "dns_timeout = 2\n%s\n" % (zone_path, extra))
