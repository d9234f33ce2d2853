/* pd-mail-author: is the author of this mail read one way? (issue 8, item 1)
 *
 * The identity is GMime's first From mailbox, and the DMARC From domain
 * is taken from that same parsed value (pd-pipeline-auth.c).  This file
 * checks that nothing else could read the mail's author differently: the
 * raw header block is scanned for every field that looks like From,
 * Sender or Reply-To under any spelling ("From :", "FROM\t:", "From\x01:",
 * an indented first line), and compared with the fields GMime parsed.
 * Any disagreement, or an author the DMARC rule cannot use, is a doubt:
 * mail->author_doubt says why, a parse warning says it too, and the
 * authenticate step never passes such a mail.
 *
 * Called after the fields are filled (mail->from is GMime's first From
 * mailbox).  The rule, in order (the first that fails is the doubt):
 *   - From: exactly one field looks like From in the raw bytes, GMime
 *     parsed exactly one, and its raw value is the raw scan's byte for
 *     byte (folding aside; a hostile header block that was rewritten
 *     before GMime read it fails this);
 *   - that From holds exactly one mailbox (RFC 7489 6.6.1), whose address
 *     has a domain and no line break or control character (a fold in a
 *     quoted local part is kept by GMime, dropped by an unfolding reader);
 *   - Sender and Reply-To: at most one field each, and GMime parsed as
 *     many as look like one in the raw bytes.
 */
#include <string.h>

#include "mail/pd-mail-private.h"

const char *const pd_mail_author_fields[PD_MAIL_AUTHOR_FIELDS] = { "From", "Sender", "Reply-To" };

/* The fields named name in GMime's top-level header list; *first_r gets
 * the first one's raw value. */
static guint
gmime_count(GMimeMessage *message, const char *name, const char **first_r)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));
	int n = headers != NULL ? g_mime_header_list_get_count(headers) : 0;
	guint count = 0;

	*first_r = NULL;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
			continue;
		if (count++ == 0)
			*first_r = g_mime_header_get_raw_value(h);
	}
	return count;
}

/* A header value without line breaks and without blanks around it. */
static char *
value_key(const char *p, gsize len)
{
	GString *out = g_string_sized_new(len);

	for (gsize i = 0; i < len; i++) {
		if (p[i] != '\r' && p[i] != '\n')
			g_string_append_c(out, p[i]);
	}
	while (out->len > 0 && (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '\t'))
		g_string_truncate(out, out->len - 1);
	while (out->len > 0 && (out->str[0] == ' ' || out->str[0] == '\t'))
		g_string_erase(out, 0, 1);
	return g_string_free(out, FALSE);
}

/* GMime's raw value of the one From field is the raw scan's. */
static gboolean
same_value(const PdMailCtx *ctx, const char *gmime_raw)
{
	g_autofree char *raw = NULL;
	g_autofree char *parsed = NULL;

	if (ctx->raw_from.start == NULL || gmime_raw == NULL)
		return FALSE;
	raw = value_key(ctx->raw_from.value, ctx->raw_from.end - ctx->raw_from.value);
	parsed = value_key(gmime_raw, strlen(gmime_raw));
	return strcmp(raw, parsed) == 0;
}

/* The mailboxes of a From value, groups flattened; *address_r (NULL
 * before) gets the first one's address. */
static int
count_mailboxes(InternetAddressList *list, const char **address_r)
{
	int n = list != NULL ? internet_address_list_length(list) : 0, count = 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			count += count_mailboxes(
				internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
				address_r);
			continue;
		}
		if (*address_r == NULL)
			*address_r = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		count++;
	}
	return count;
}

static char *
from_doubt(PdMailCtx *ctx, GMimeMessage *message)
{
	guint raw = ctx->raw_author_fields[0];
	const char *value = NULL, *first = NULL;
	g_autofree char *address = NULL;
	guint parsed = message != NULL ? gmime_count(message, "From", &value) : 0;
	InternetAddressList *list;
	int mailboxes;

	if (ctx->junk_prefix > 0)
		return g_strdup("bytes before the header block that are no header field");
	if (raw == 0 && parsed == 0)
		return g_strdup("no From field");
	if (raw > 1 || parsed > 1)
		return g_strdup_printf("%u From fields", MAX(raw, parsed));
	if (raw != parsed || !same_value(ctx, value))
		return g_strdup("a From field that GMime and the raw header scan read differently");
	list = internet_address_list_parse(ctx->options, value);
	mailboxes = count_mailboxes(list, &first);
	address = g_strdup(first);	/* the list owns first */
	g_clear_object(&list);
	if (mailboxes == 0)
		return g_strdup("a From field with no mailbox");
	if (mailboxes > 1)
		return g_strdup_printf("a From field with %d mailboxes", mailboxes);
	if (address == NULL || strchr(address, '@') == NULL || strrchr(address, '@')[1] == '\0')
		return g_strdup("a From address without a domain");
	/* a line break inside a quoted local part: GMime keeps the fold, a
	 * reader of the unfolded field another address */
	for (const char *p = address; *p; p++) {
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return g_strdup("a From address with a line break or control character");
	}
	/* the identity is mail->from: it must be this address as it is */
	if (ctx->mail->from.address == NULL || strcmp(ctx->mail->from.address, address) != 0)
		return g_strdup("a From address that cannot be kept as it is written");
	return NULL;
}

void
pd_mail_check_author(PdMailCtx *ctx, GMimeMessage *message)
{
	PdMail *mail = ctx->mail;
	char *doubt = from_doubt(ctx, message);

	for (guint i = 1; i < PD_MAIL_AUTHOR_FIELDS && doubt == NULL; i++) {
		const char *name = pd_mail_author_fields[i], *value;
		guint raw = ctx->raw_author_fields[i];
		guint parsed = message != NULL ? gmime_count(message, name, &value) : 0;

		if (raw > 1 || parsed > 1)
			doubt = g_strdup_printf("%u %s fields", MAX(raw, parsed), name);
		else if (raw != parsed)
			doubt = g_strdup_printf("a %s field that GMime and the raw header scan "
						"read differently", name);
	}
	mail->author_doubt = doubt;
	if (doubt != NULL)
		pd_mail_warn(ctx, "author: %s (not authenticated)", doubt);
}
