/* pd-mail-reply: the "new text" of a reply (issue 16, section 2).
 *
 * A pure function: a message's text in, the part the customer wrote for
 * this mail out.  Cut: postdesk's own "##- Reply above this line -##"
 * marker and everything below it, the operator's extra separators,
 * attribution lines ("On ... wrote:" in several languages), Outlook
 * header blocks ("From: ... Sent: ..."), "Original Message" and forwarded
 * blocks, a trailing quoted block ("> ..."), signatures ("-- " and the
 * common mobile ones).  Never cuts to empty: then the full text is kept.
 * No I/O, no allocation a peer can grow beyond the input's size.
 */
#ifndef PD_MAIL_REPLY_H
#define PD_MAIL_REPLY_H

#include <glib.h>

#define PD_MAIL_REPLY_MARKER "##- Reply above this line -##"

/* The new text of TEXT (never NULL when TEXT is not; CRLF read as LF).
 * SEPARATORS: NULL or a NULL-terminated list of extra separator strings;
 * a line containing one cuts the text there. */
char *pd_mail_reply_trim(const char *text, const char *const *separators);

#endif
