/* pd-template: the reply templates operators edit, and the mail they make.
 *
 * A template is a file "NAME.txt": a header block (Subject: required; From:
 * and Reply-To: optional overrides), an empty line, then the plain-text
 * body; "NAME.html" beside it adds an HTML alternative (body only).
 * Placeholders are {{ticket.number}} and the like from one fixed list
 * (pd_template_placeholders); {{#if NAME}}...{{else}}...{{/if}} shows a part
 * only when a value (or, for a group name such as "contact", any value of
 * the group) is non-empty.  Everything is checked when the set loads: an
 * unknown placeholder, header or unbalanced block is an error naming
 * file:line, so `postdesk check-config` catches it before a mail goes out.
 *
 * Lookup falls back from the most specific file: DIR/QUEUE/LANG/NAME.txt,
 * DIR/QUEUE/NAME.txt, DIR/LANG/NAME.txt, DIR/NAME.txt (LANG "pt-br" also
 * tries "pt").
 *
 * Values are inserted as text: never interpreted, HTML-escaped in the HTML
 * part, and in headers stripped of CR, LF and other controls before GMime
 * encodes them (RFC 2047), so no value can add a header.  Address headers
 * take placeholders in the display name only: "From: {{agent.name}} (Help)"
 * keeps the configured address, "From: Name <a@b>" sets a literal one.  A
 * Reply-To with an address replaces the signed reply address (no threading
 * by token then); one with a display name only keeps it.
 *
 * A PdTemplateSet is immutable once loaded; SIGHUP loads a new one and
 * swaps it (readers hold a reference).  No database, no network.
 */
#ifndef PD_TEMPLATE_H
#define PD_TEMPLATE_H

#include <glib.h>
#include <gmime/gmime.h>

#include "ticket/pd-token.h"

typedef struct _PdTemplate PdTemplate;
typedef struct _PdTemplateSet PdTemplateSet;

/* The placeholder names a template may use, NULL-terminated. */
const char *const *pd_template_placeholders(void);

/* One template from text (html may be NULL); source names it in errors
 * ("ack.txt").  PD_ERROR_USAGE with "source:line: problem" lines. */
PdTemplate *pd_template_parse(const char *source, const char *text, const char *html,
			      GError **error);
void pd_template_free(PdTemplate *tpl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdTemplate, pd_template_free)

/* Every NAME.txt / NAME.html under dir, two folder levels deep.  All
 * problems are reported at once, one "path:line: problem" per line. */
PdTemplateSet *pd_template_set_load(const char *dir, GError **error);
PdTemplateSet *pd_template_set_ref(PdTemplateSet *set);
void pd_template_set_unref(PdTemplateSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdTemplateSet, pd_template_set_unref)
/* The keys loaded ("support/de/ack", "ack"), sorted; free the array. */
GPtrArray *pd_template_set_keys(const PdTemplateSet *set);
/* The template of one key (no fallback), or NULL. */
const PdTemplate *pd_template_set_get(const PdTemplateSet *set, const char *key);
/* The distinct template names ("ack, welcome"), sorted, comma separated. */
char *pd_template_set_names(const PdTemplateSet *set);
/* Number of templates loaded (for the log line after a reload). */
guint pd_template_set_size(const PdTemplateSet *set);

/* The most specific template for name ("ack"), or NULL (PD_ERROR_NOTFOUND).
 * queue and lang may be NULL. */
const PdTemplate *pd_template_set_lookup(const PdTemplateSet *set, const char *name,
					 const char *queue, const char *lang, GError **error);
/* "support/de/ack.txt": which file a lookup found. */
const char *pd_template_source(const PdTemplate *tpl);

/* Plain-text rendering of the parts, for tests and `postdesk test`:
 * values maps placeholder name -> UTF-8 text (missing = empty). */
char *pd_template_render_subject(const PdTemplate *tpl, GHashTable *values);
char *pd_template_render_body(const PdTemplate *tpl, GHashTable *values);
char *pd_template_render_html(const PdTemplate *tpl, GHashTable *values);	/* NULL: none */

/* A file a mail carries (a relayed agent answer's attachment). */
typedef struct {
	const char *filename;		/* may be NULL */
	const char *content_type;	/* "application/pdf"; NULL: application/octet-stream */
	GBytes *content;		/* the decoded bytes */
} PdTemplateAttachment;

/* What the rendered mail is about and where it goes. */
typedef struct {
	const PdTokenKeys *keys;	/* signs Message-ID and reply address */
	gint64 ticket_id;		/* in the tokens */
	gint64 ticket_number;		/* X-Postdesk-Ticket; 0 = no ticket */
	gint64 serial;			/* unique per mail: the outbound row id */
	const char *hostname;		/* right-hand side of the Message-ID */
	const char *from_name;		/* "Example Support"; may be NULL */
	const char *from_address;	/* "support@example.com" */
	const char *reply_base;		/* token reply address base; NULL: none */
	const char *to_name;		/* may be NULL */
	const char *to_address;		/* the one recipient (tokens are per recipient) */
	const char *in_reply_to;	/* Message-ID answered (peer input), or NULL */
	const char *const *references;	/* oldest first, NULL-terminated, or NULL */
	const char *auto_submitted;	/* NULL: auto-replied with in_reply_to, else auto-generated;
					 * "no": a person's mail (no X-Auto-Response-Suppress) */
	gint64 date;			/* unix time; 0 = now */
	GBytes *attach_message;		/* a mail attached as message/rfc822 (a forward's
					 * original), or NULL */
	const PdTemplateAttachment *attachments;	/* n_attachments files, base64 */
	guint n_attachments;
} PdTemplateContext;

/* A complete RFC 5322 message: From, To, Subject, Date, Message-ID
 * (pd_token_message_id), In-Reply-To/References, Reply-To (the token
 * address), Auto-Submitted, X-Auto-Response-Suppress, X-Postdesk-Ticket,
 * MIME-Version, and a UTF-8 quoted-printable text part (multipart/
 * alternative with the HTML part when there is one); with attach_message,
 * that body and the attached mail, byte for byte, in a multipart/mixed;
 * with attachments, that body and one base64 part per file (disposition
 * attachment, its filename and type) in a multipart/mixed.  PD_ERROR_PERMFAIL
 * when the recipient is not an address. */
GMimeMessage *pd_template_render(const PdTemplate *tpl, GHashTable *values,
				 const PdTemplateContext *ctx, GError **error);

/* The message as SMTP wants it: CRLF line ends, no dot-stuffing. */
GBytes *pd_template_message_bytes(GMimeMessage *message);

#endif
