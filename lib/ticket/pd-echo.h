/* pd-echo: attacker-chosen text made fit to echo in an automatic reply
 * (issue 8, item 6).
 *
 * An acknowledgement to a sender who is not authenticated goes to whoever
 * the From names, with the subject, the display name and perhaps the text
 * that the real sender chose: a way to send a stranger a short message
 * from the support address ("reflection").  What is echoed to such a
 * sender is cut and cannot be clicked:
 *   - at most max characters (code points, never a cut sequence), then
 *     "…" when something was cut;
 *   - URLs are defanged as mail security tools write them: a scheme's
 *     "://" becomes "[:]//" and http/https/ftp become hxxp/hxxps/fxp
 *     ("hxxps[:]//"), "mailto:" becomes "mailto[:]";
 *   - a dot (also "。", "．", "｡") after a letter or digit and before two
 *     letters (a label a top-level domain could be) becomes "[.]", so no
 *     host name ("evil.example", "www.evil.example", "user@evil.example")
 *     is linked by a mail client; "3.5", "1.2.3.4" and "e.g." stay;
 *   - control characters and bidirectional overrides become spaces.
 * Pure: no I/O.
 */
#ifndef PD_ECHO_H
#define PD_ECHO_H

#include <glib.h>

#define PD_ECHO_MAX_CHARS 80

/* text (UTF-8, may be NULL: "") cut and defanged; newly allocated. */
char *pd_echo_text(const char *text, guint max_chars);

#endif
