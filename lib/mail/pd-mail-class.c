/* pd-mail-class: the facts that keep postdesk out of mail loops.
 *
 * Only facts, no policy: Auto-Submitted other than "no", Precedence
 * bulk/junk/list, list headers, delivery or disposition reports, and
 * X-Auto-Response-Suppress asking for no automatic answers.  The ticket
 * policy and the filter rules decide what to do with them.
 */
#include <string.h>

#include "mail/pd-mail-private.h"

/* The first token of a header value, lower case, comments dropped. */
static char *
first_token(const char *value)
{
	const char *p = value, *start;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	start = p;
	while (*p != '\0' && *p != ';' && *p != '(' && *p != ' ' && *p != '\t' && *p != '\r' &&
	       *p != '\n')
		p++;
	return g_ascii_strdown(start, p - start);
}

static gboolean
report_is_bounce(GMimeObject *object)
{
	GMimeContentType *ct = g_mime_object_get_content_type(object);
	const char *report_type;

	if (ct == NULL || !g_mime_content_type_is_type(ct, "multipart", "report"))
		return FALSE;
	report_type = g_mime_content_type_get_parameter(ct, "report-type");
	return report_type != NULL && (g_ascii_strcasecmp(report_type, "delivery-status") == 0 ||
				       g_ascii_strcasecmp(report_type, "disposition-notification") == 0);
}

/* X-Auto-Response-Suppress: a comma list; All, OOF and AutoReply stop
 * automatic replies (DR/NDR/RN/NRN are about receipts, not replies). */
static gboolean
suppresses_replies(const char *value)
{
	g_auto(GStrv) tokens = g_strsplit_set(value, ",; \t", -1);

	for (char **t = tokens; *t != NULL; t++) {
		if (g_ascii_strcasecmp(*t, "all") == 0 || g_ascii_strcasecmp(*t, "oof") == 0 ||
		    g_ascii_strcasecmp(*t, "autoreply") == 0)
			return TRUE;
	}
	return FALSE;
}

void
pd_mail_classify(PdMailCtx *ctx, GMimeMessage *message)
{
	PdMail *mail = ctx->mail;
	PdMailClass *class = &mail->class;
	const char *value;
	GMimeObject *body = g_mime_message_get_mime_part(message);

	guint i = 0;

	/* every field counts: a second "Auto-Submitted : auto-replied" below
	 * an "Auto-Submitted: no" still makes the mail automatic */
	while ((value = pd_mail_header_next(mail, "Auto-Submitted", &i)) != NULL) {
		g_autofree char *token = first_token(value);

		class->auto_submitted |= *token != '\0' && strcmp(token, "no") != 0;
	}
	i = 0;
	while ((value = pd_mail_header_next(mail, "Precedence", &i)) != NULL) {
		g_autofree char *token = first_token(value);

		class->bulk |= strcmp(token, "bulk") == 0 || strcmp(token, "junk") == 0 ||
			       strcmp(token, "list") == 0;
	}
	class->list = pd_mail_header(mail, "List-Id") != NULL ||
		      pd_mail_header(mail, "List-Unsubscribe") != NULL ||
		      pd_mail_header(mail, "List-Post") != NULL;
	if (body != NULL && report_is_bounce(body))
		class->bounce = TRUE;
	if ((value = pd_mail_header(mail, "X-Auto-Response-Suppress")) != NULL)
		class->auto_reply_suppressed = suppresses_replies(value);
}
