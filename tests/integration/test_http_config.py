"""postdesk check-config judges [http] (lib/http/pd-http-config.c) as
postdeskd does at start: every bad setting is refused (exit 78) with the
file:line and what to write instead; the good ones say ok.  The operator
token file is a secret like [outbound] password_file: readable by every
local user it is refused.  postdeskd refuses the same file at start."""
import os
import subprocess

import pdtest
from pdtest import check, check_eq

TOKEN = "0123456789abcdef0123456789abcdef"

# (name, [http] body, token file content and mode or None, exit, text in the output)
CASES = [
    ("off by default", "", None, 0, "ok"),
    ("loopback v4", "listen = 127.0.0.1:8025\n", None, 0, "ok"),
    ("loopback v6", "listen = [::1]:8025\n", None, 0, "ok"),
    ("loopback with token", "listen = 127.0.0.1:8025\noperator_token_file = TOKEN\n",
     (TOKEN + "\n", 0o600), 0, "ok"),
    ("group-readable token", "listen = 127.0.0.1:8025\noperator_token_file = TOKEN\n",
     (TOKEN, 0o640), 0, "ok"),
    ("every address with token", "listen = *:8025\noperator_token_file = TOKEN\n",
     (TOKEN, 0o600), 0, "ok"),
    ("every address, no token", "listen = 0.0.0.0:8025\n", None, 78,
     "not a loopback address, and operator_token_file is not set"),
    ("wildcard, no token", "listen = *:8025\n", None, 78, "not a loopback address"),
    ("public address, no token", "listen = 192.0.2.1:8025\n", None, 78,
     "not a loopback address"),
    ("host name", "listen = localhost:8025\n", None, 78, "not a numeric address"),
    ("unix socket", "listen = unix:/run/postdesk/http\n", None, 78, "not a unix socket"),
    ("no port", "listen = 127.0.0.1\n", None, 78, "not address:port"),
    ("port 0", "listen = 127.0.0.1:0\n", None, 78, "1 to 65535"),
    ("port too big", "listen = 127.0.0.1:70000\n", None, 78, "not address:port"),
    ("token file missing", "listen = 127.0.0.1:8025\noperator_token_file = /nonexistent/t\n",
     None, 78, "[http] operator_token_file: Failed to open file"),
    ("token too short", "listen = 127.0.0.1:8025\noperator_token_file = TOKEN\n",
     ("short\n", 0o600), 78, "at least 16 are needed"),
    ("token with a space", "listen = 127.0.0.1:8025\noperator_token_file = TOKEN\n",
     ("0123456789 abcdef0123\n", 0o600), 78, "printable ASCII without spaces"),
    ("token readable by all", "listen = 127.0.0.1:8025\noperator_token_file = TOKEN\n",
     (TOKEN, 0o644), 78, "holds the [http] operator_token_file token and is readable by "
     "every local user (mode 0644)"),
    ("threads 0", "listen = 127.0.0.1:8025\nthreads = 0\n", None, 78, "threads"),
    ("max_connections 0", "listen = 127.0.0.1:8025\nmax_connections = 0\n", None, 78,
     "max_connections"),
    ("typo", "listn = 127.0.0.1:8025\n", None, 78, "listn"),
    ("token without listen", "operator_token_file = TOKEN\n", (TOKEN, 0o600), 0,
     "warning: [http] operator_token_file is set but listen is not"),
]


def main():
    with pdtest.Env(migrate=False) as env:
        for i, (name, body, token, want_rc, want_text) in enumerate(CASES):
            path = os.path.join(env.dir, "token-%d" % i)
            if token is not None:
                with open(path, "w") as f:
                    f.write(token[0])
                os.chmod(path, token[1])
            extra = "\n[http]\n" + body.replace("TOKEN", path) if body else ""
            config = env.write_config(extra=extra, name="http-%d.conf" % i)
            p = env.postdesk("check-config", config=config)
            out = p.stdout + p.stderr
            check_eq(p.returncode, want_rc, "%s: exit (%s)" % (name, out.strip()))
            check(want_text in out, "%s: %r not in %r" % (name, want_text, out))
            if want_rc != 0:
                check("http-%d.conf:" % i in out or "token-%d" % i in out,
                      "%s: the file named: %r" % (name, out))
        # postdeskd refuses the exposed token at start, like check-config
        path = os.path.join(env.dir, "token-exposed")
        with open(path, "w") as f:
            f.write(TOKEN)
        os.chmod(path, 0o644)
        config = env.write_config(extra="\n[http]\nlisten = 127.0.0.1:%d\n"
                                  "operator_token_file = %s\n" % (pdtest.free_port(), path),
                                  name="exposed.conf")
        p = subprocess.run([pdtest.POSTDESKD, "-f", "-c", config], capture_output=True,
                           text=True, timeout=60)
        check_eq(p.returncode, 78, "postdeskd with an exposed token: " + p.stderr)
        check("SECRETS EXPOSED" in p.stderr and "operator_token_file" in p.stderr,
              "postdeskd says why: " + p.stderr)
    print("%d cases ok" % len(CASES))


if __name__ == "__main__":
    main()
