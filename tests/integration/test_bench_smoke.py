"""The benchmark's stream and tools, small and checked (tests/bench).

The benchmark itself (tests/bench/run) gives figures, not verdicts; this
keeps its parts honest and uses its realistic stream as a test:
  1. gen-stream.py is deterministic (same seed, same bytes);
  2. pd-bench pushes 60 of its messages (2..200 KB, base64 attachments, half
     replies) into postdeskd in one session, in order: every one gets 250,
     every reply threads into its parent's ticket (tickets = messages -
     replies), every attachment part is stored with the SHA-256 and size of
     its decoded bytes;
  3. the same stream into the private Dovecot LMTP (tests/lib/dovecot.py)
     with 4 sessions: 60 mails in its Maildir.
"""
import email
import email.policy
import hashlib
import os
import subprocess
import sys

import pdtest
import dovecot

BENCH_DIR = os.path.join(pdtest.SOURCE_DIR, "tests", "bench")
PD_BENCH = os.path.join(pdtest.BUILD_DIR, "tests", "bench", "pd-bench")
N = 60


def generate(outdir, seed):
    subprocess.run([sys.executable, os.path.join(BENCH_DIR, "gen-stream.py"), "-n", str(N),
                    "--seed", str(seed), outdir], check=True, capture_output=True)
    return os.path.join(outdir, "index.tsv")


def pd_bench(port, sessions, index):
    p = pdtest.run([PD_BENCH, "-p", str(port), "-c", str(sessions), index], timeout=300)
    pdtest.check(p.returncode == 0, "pd-bench: exit %d\n%s%s" % (p.returncode, p.stdout,
                                                               p.stderr))
    result = dict(kv.split("=", 1) for kv in p.stdout.split())
    pdtest.check_eq(result["ok"], str(N), "messages accepted")
    return result


def main():
    if not os.access(PD_BENCH, os.X_OK):
        pdtest.skip("pd-bench not built (PD_BENCH=OFF)")
    with pdtest.Env() as env:
        index = generate(os.path.join(env.dir, "stream"), 7)
        again = generate(os.path.join(env.dir, "again"), 7)
        for name in ("000001.eml", "000030.eml", "index.tsv"):
            a = open(os.path.join(os.path.dirname(index), name), "rb").read()
            b = open(os.path.join(os.path.dirname(again), name), "rb").read()
            pdtest.check(a == b, "gen-stream is deterministic (%s)" % name)

        replies, parts, sizes = 0, [], []
        for line in open(index):
            path = os.path.join(os.path.dirname(index), line.split("\t")[0])
            raw = open(path, "rb").read()
            sizes.append(len(raw))
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            replies += msg["In-Reply-To"] is not None
            for part in msg.walk():
                if part.get_content_disposition() == "attachment":
                    data = part.get_payload(decode=True)
                    parts.append((part.get_filename(), hashlib.sha256(data).hexdigest(),
                                  len(data)))
        pdtest.check(min(sizes) >= 2000 and max(sizes) <= 205000, "sizes %d..%d" %
                     (min(sizes), max(sizes)))
        pdtest.check(replies > 10 and parts, "stream has replies (%d) and attachments (%d)" %
                     (replies, len(parts)))

        d = env.daemon()
        pd_bench(d.port, 1, index)
        pdtest.check_eq(env.scalar("select count(*) from messages"), str(N), "messages")
        pdtest.check_eq(env.scalar("select count(*) from tickets"), str(N - replies),
                        "tickets: every reply threaded into its parent's ticket")
        stored = env.query("select ma.filename, a.sha256, a.size from message_attachments ma"
                           " join attachments a on a.sha256 = ma.sha256")
        pdtest.check_eq(sorted(tuple(r) for r in stored),
                        sorted((f, h, str(n)) for f, h, n in parts),
                        "attachments: name, SHA-256 and size of the decoded bytes")
        pdtest.check(d.alive(), "postdeskd still running")

        if dovecot.available():
            print("SKIP part 3: " + dovecot.available())
        else:
            with dovecot.Dovecot(process_limit=4) as dc:
                pd_bench(dc.port, 4, index)
                pdtest.check_eq(dc.count_mails(), N, "mails in Dovecot's Maildir")
    print("ok")


if __name__ == "__main__":
    main()
