"""The manual (doc/*.[1-8], mdoc) is clean and complete.

  - `mandoc -T lint -W warning` finds nothing in any page (errors and
    warnings: bad macros, broken lists, a sentence not on a new line, ...);
  - every configuration key that a settings table in lib/ declares (its
    `"key", PD_SETTING_...` row) is named in postdesk.conf(5), so a new key
    without its documentation fails here;
  - postdesk(1) names every subcommand that `postdesk --help` lists, and
    postdeskd(8) every option that `postdeskd --help` prints;
  - every whole script (a literal block that starts with `require`) in
    postdesk-rules(7) compiles: `postdesk check-config` with it in
    [filters] scripts says ok.
"""
import glob
import os
import re
import shutil

import pdtest
from pdtest import check, check_eq

DOC = os.path.join(pdtest.SOURCE_DIR, "doc")


def text_of(page):
    """The page as mandoc renders it, in plain text."""
    p = pdtest.run(["mandoc", "-T", "ascii", "-O", "width=200", page], check_rc=0)
    return re.sub(r".\x08", "", p.stdout)


def main():
    if shutil.which("mandoc") is None:
        pdtest.skip("mandoc is missing (contrib/debian-packages lists it)")
    pages = sorted(glob.glob(os.path.join(DOC, "*.[1-8]")))
    check_eq([os.path.basename(p) for p in pages],
             ["postdesk-rules.7", "postdesk.1", "postdesk.conf.5", "postdeskd.8"], "the pages")
    for page in pages:
        p = pdtest.run(["mandoc", "-T", "lint", "-W", "warning", page])
        check_eq((p.returncode, p.stdout + p.stderr), (0, ""), "mandoc -T lint " + page)

    conf = text_of(os.path.join(DOC, "postdesk.conf.5"))
    keys = {}
    for source in glob.glob(os.path.join(pdtest.SOURCE_DIR, "lib", "**", "*.c"),
                            recursive=True):
        with open(source) as f:
            for m in re.finditer(r'(?:\b[A-Z_]+\(\s*|\.key\s*=\s*)"([a-z0-9_]+)"\s*,\s*'
                                 r'(?:\.type\s*=\s*)?PD_SETTING_', f.read()):
                keys.setdefault(m.group(1), os.path.relpath(source, pdtest.SOURCE_DIR))
    check(len(keys) > 50, "the settings tables were found: %d keys" % len(keys))
    missing = sorted("%s (%s)" % (k, src) for k, src in keys.items()
                     if not re.search(r"\b%s\b" % re.escape(k), conf))
    check_eq(missing, [], "keys not in postdesk.conf(5)")

    cli = text_of(os.path.join(DOC, "postdesk.1"))
    usage = pdtest.run([pdtest.POSTDESK, "--help"], check_rc=0).stdout
    commands = re.findall(r"^  ([a-z-]+)", usage, re.M)
    check(len(commands) > 5, usage)
    check_eq([c for c in commands if "postdesk " + c not in cli], [],
             "commands not in postdesk(1)")

    daemon = text_of(os.path.join(DOC, "postdeskd.8"))
    usage = pdtest.run([pdtest.POSTDESKD, "--help"], check_rc=0).stdout
    options = re.findall(r"^  (-[-a-z]+)", usage, re.M)
    check(len(options) >= 3, usage)
    check_eq([o for o in options if o not in daemon], [], "options not in postdeskd(8)")
    rules = open(os.path.join(DOC, "postdesk-rules.7")).read()
    scripts = [b.replace("\\e", "\\") for b in
               re.findall(r"^\.Bd -literal[^\n]*\n(require .*?)^\.Ed$", rules, re.M | re.S)]
    check(len(scripts) >= 1, "a whole script in postdesk-rules(7)")
    with pdtest.Env(migrate=False, queues=pdtest.QUEUES_DEFAULT) as env:
        for i, script in enumerate(scripts):
            with open(os.path.join(env.dir, "example%d.sieve" % i), "w") as f:
                f.write(script)
        config = env.write_config(extra="\n[filters]\ndir = %s\nscripts = %s\n" % (
            env.dir, ", ".join("example%d.sieve" % i for i in range(len(scripts)))))
        p = env.postdesk("check-config", config=config)
        check_eq((p.returncode, p.stdout.strip()), (0, "ok"),
                 "the examples of postdesk-rules(7) compile: " + p.stderr)
    print("ok: %d pages, %d keys, %d commands" % (len(pages), len(keys), len(commands)))


if __name__ == "__main__":
    main()
