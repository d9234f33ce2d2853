/* pd-mail-address: one address field's value, read as a human reads it.
 *
 * GMime parses the value (after pd-mail-words.c made its encoded words
 * safe); then two repairs, each with a warning:
 *   - a mailbox without a display name takes the comment written next to
 *     its address as its name ("jmueller (Jürgen Müller)", the RFC 822
 *     habit of old clients and of local addresses without a domain);
 *   - a value in which GMime finds no mailbox although it holds an '@'
 *     (spaces in an unquoted local part: "John Smith <john smith@x.org>";
 *     a quoted pair in a folded comment) is read again without its
 *     comments: it keeps its address, the local part quoted when it holds
 *     spaces ("john smith"@x.org, which is valid and reaches the same
 *     mailbox), and its name; in a list, such an element (which GMime
 *     drops) is read so on its own, the other elements as GMime reads them.
 *   - encoded words after an address that GMime takes for an address of
 *     their own ("<a@b.example> =?utf-8?q?Doe?=") are its name.
 * The From check (pd-mail-author.c) compares with GMime's plain parse of
 * the raw value, so a From repaired here is never authenticated.
 */
#include <string.h>

#include "mail/pd-mail-private.h"

/* The comment that ends right before p or starts right after q (blanks
 * between), without its parentheses, or NULL. */
static char *
adjacent_comment(const char *value, const char *p, const char *q)
{
	const char *end = value + strlen(value);
	const char *a, *b;
	int depth = 0;

	for (b = q; b < end && (*b == ' ' || *b == '\t' || *b == '>'); b++)
		;
	if (b < end && *b == '(') {
		for (a = b; a < end; a++) {
			if (*a == '\\' && a + 1 < end)
				a++;
			else if (*a == '(')
				depth++;
			else if (*a == ')' && --depth == 0)
				return g_strndup(b + 1, a - b - 1);
		}
		return NULL;
	}
	for (a = p; a > value && (a[-1] == ' ' || a[-1] == '\t' || a[-1] == '<'); a--)
		;
	if (a > value && a[-1] == ')') {
		depth = 0;
		for (b = a - 1; b >= value; b--) {
			if (*b == ')')
				depth++;
			else if (*b == '(' && --depth == 0)
				return g_strndup(b + 1, a - 1 - b - 1);
			if (b == value)
				break;
		}
	}
	return NULL;
}

/* addr where it stands in value as a whole token, or NULL. */
static const char *
find_token(const char *value, const char *addr)
{
	gsize n = strlen(addr);

	for (const char *at = strstr(value, addr); at != NULL; at = strstr(at + 1, addr)) {
		gboolean starts = at == value || strchr(" \t\r\n<>(),:;\"", at[-1]) != NULL;
		gboolean ends = at[n] == '\0' || strchr(" \t\r\n<>(),:;\"", at[n]) != NULL;

		if (starts && ends)
			return at;
	}
	return NULL;
}

static void
comment_names(PdMailCtx *ctx, const char *what, const char *value, InternetAddressList *list)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *addr, *name, *at;
		g_autofree char *comment = NULL;

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			comment_names(ctx, what, value,
				      internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)));
			continue;
		}
		addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		name = internet_address_get_name(ia);
		if (addr == NULL || *addr == '\0' || (name != NULL && *name != '\0') ||
		    (at = find_token(value, addr)) == NULL)
			continue;
		comment = adjacent_comment(value, at, at + strlen(addr));
		if (comment != NULL) {
			g_autofree char *decoded = g_mime_utils_header_decode_text(ctx->options, comment);

			g_strstrip(decoded);
			if (*decoded == '\0')
				continue;
			internet_address_set_name(ia, decoded);
			pd_mail_warn(ctx, "%s: the comment next to %s taken as its name", what, addr);
		}
	}
}

static gboolean
has_mailbox(InternetAddressList *list)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia) ||
		    has_mailbox(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia))))
			return TRUE;
	}
	return FALSE;
}

static gboolean
domain_ok(const char *domain)
{
	if (*domain == '\0')
		return FALSE;
	for (const char *p = domain; *p; p++) {
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && (guchar)*p < 0x80)
			return FALSE;
	}
	return TRUE;
}

/* value without its comments (quoted strings and quoted pairs kept). */
static char *
without_comments(const char *value)
{
	GString *out = g_string_sized_new(strlen(value));
	int depth = 0;
	gboolean quoted = FALSE;

	for (const char *p = value; *p; p++) {
		if (*p == '\\' && p[1] != '\0' && (quoted || depth > 0)) {
			if (depth == 0)
				g_string_append_len(out, p, 2);
			p++;
		} else if (depth == 0 && *p == '"') {
			quoted = !quoted;
			g_string_append_c(out, *p);
		} else if (!quoted && *p == '(') {
			depth++;
		} else if (!quoted && *p == ')' && depth > 0) {
			depth--;
		} else if (depth == 0) {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

/* text without blanks and line breaks next to a dot (obsolete CFWS
 * around the dots of RFC 5322 4.4); into out. */
static void
squeeze_dots(GString *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (g_ascii_isspace(*p)) {
			const char *q = p;

			while (g_ascii_isspace(*q))
				q++;
			if (*q == '.' || (out->len > 0 && out->str[out->len - 1] == '.') || *q == '\0') {
				p = q - 1;
				continue;
			}
			g_string_append_c(out, ' ');
			p = q - 1;
			continue;
		}
		g_string_append_c(out, *p);
	}
}

/* "Name <local part with spaces@domain>" or "local part@domain", comments
 * dropped: the address kept (a local part with spaces quoted) and the name. */
static InternetAddress *
spaced_mailbox(PdMailCtx *ctx, const char *what, const char *value)
{
	g_autofree char *plain = without_comments(value);
	const char *lt = strrchr(plain, '<'), *gt = lt != NULL ? strchr(lt, '>') : NULL;
	g_autofree char *addr = NULL;
	g_autofree char *name = NULL;
	g_autofree char *fixed = NULL;
	g_autoptr(GString) local = g_string_new(NULL);
	g_autoptr(GString) domain = g_string_new(NULL);
	char *at;

	if (lt != NULL && gt != NULL) {
		addr = g_strndup(lt + 1, gt - lt - 1);
		name = g_strndup(plain, lt - plain);
	} else {
		addr = g_strdup(plain);
	}
	g_strstrip(addr);
	if ((at = strrchr(addr, '@')) == NULL || at == addr || strchr(addr, '"') != NULL)
		return NULL;
	*at = '\0';
	squeeze_dots(local, g_strstrip(addr));
	squeeze_dots(domain, g_strstrip(at + 1));
	if (local->len == 0 || strpbrk(local->str, "<>()[],;:\\@") != NULL ||
	    strchr(domain->str, ' ') != NULL || !domain_ok(domain->str))
		return NULL;
	fixed = strchr(local->str, ' ') != NULL
			? g_strdup_printf("\"%s\"@%s", local->str, domain->str)
			: g_strdup_printf("%s@%s", local->str, domain->str);
	if (name != NULL) {
		g_autofree char *decoded = NULL;

		g_strstrip(name);
		if (name[0] == '"' && strlen(name) >= 2 && name[strlen(name) - 1] == '"') {
			name[strlen(name) - 1] = '\0';
			memmove(name, name + 1, strlen(name));
		}
		decoded = g_mime_utils_header_decode_phrase(ctx->options, name);
		g_free(name);
		name = *decoded != '\0' ? g_steal_pointer(&decoded) : NULL;
	}
	pd_mail_warn(ctx, "%s: an address GMime could not read, kept as %s", what, fixed);
	return internet_address_mailbox_new(name, fixed);
}

/* "<a@b.example> =?utf-8?q?Doe?=": GMime reads the words after the
 * address as an address of their own; they are the name of the one before. */
static void
trailing_names(PdMailCtx *ctx, const char *what, InternetAddressList *list)
{
	for (int i = 1; list != NULL && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		InternetAddress *before = internet_address_list_get_address(list, i - 1);
		const char *addr, *name;
		g_autofree char *decoded = NULL;

		if (!INTERNET_ADDRESS_IS_MAILBOX(ia) || !INTERNET_ADDRESS_IS_MAILBOX(before))
			continue;
		addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		name = internet_address_get_name(before);
		if (addr == NULL || strncmp(addr, "=?", 2) != 0 || strchr(addr, '@') != NULL ||
		    (name != NULL && *name != '\0') ||
		    (internet_address_get_name(ia) != NULL && *internet_address_get_name(ia) != '\0'))
			continue;
		decoded = g_mime_utils_header_decode_phrase(ctx->options, addr);
		internet_address_set_name(before, decoded);
		pd_mail_warn(ctx, "%s: the words after %s taken as its name", what,
			     internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(before)));
		internet_address_list_remove_at(list, i);
		i--;
	}
}

/* The top-level elements of an address list: split at the commas outside
 * quotes, comments and angle brackets.  NULL when it has group syntax (a
 * top-level ':'), which only GMime reads. */
static GPtrArray *
split_elements(const char *value)
{
	GPtrArray *elements = g_ptr_array_new_with_free_func(g_free);
	const char *start = value;
	int comment = 0, angle = 0;
	gboolean quoted = FALSE;

	for (const char *p = value;; p++) {
		if (*p == '\0' || (*p == ',' && !quoted && comment == 0 && angle == 0)) {
			g_ptr_array_add(elements, g_strndup(start, p - start));
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (*p == '\\' && (quoted || comment > 0) && p[1] != '\0') {
			p++;
		} else if (*p == '"' && comment == 0) {
			quoted = !quoted;
		} else if (!quoted && *p == '(') {
			comment++;
		} else if (!quoted && *p == ')' && comment > 0) {
			comment--;
		} else if (!quoted && comment == 0 && *p == '<') {
			angle++;
		} else if (!quoted && comment == 0 && *p == '>' && angle > 0) {
			angle--;
		} else if (!quoted && comment == 0 && angle == 0 && (*p == ':' || *p == ';')) {
			g_ptr_array_unref(elements);
			return NULL;
		}
	}
	return elements;
}

static void
add_mailbox(InternetAddressList **list, InternetAddress *mb)
{
	if (*list == NULL)
		*list = internet_address_list_new();
	internet_address_list_add(*list, mb);
	g_object_unref(mb);
}

/* GMime's list without the mailboxes it could not read: each element
 * read on its own, and those GMime reads no mailbox in repaired. */
static InternetAddressList *
per_element(PdMailCtx *ctx, const char *what, GPtrArray *elements)
{
	InternetAddressList *out = internet_address_list_new();

	for (guint i = 0; i < elements->len; i++) {
		const char *element = elements->pdata[i];
		InternetAddressList *one = internet_address_list_parse(ctx->options, element);
		InternetAddress *mb;

		if (has_mailbox(one))
			internet_address_list_append(out, one);
		else if (strchr(element, '@') != NULL && (mb = spaced_mailbox(ctx, what, element)) != NULL)
			add_mailbox(&out, mb);
		g_clear_object(&one);
	}
	return out;
}

static guint
count_with_at(GPtrArray *elements)
{
	guint n = 0;

	for (guint i = 0; i < elements->len; i++)
		n += strchr(elements->pdata[i], '@') != NULL;
	return n;
}

InternetAddressList *
pd_mail_parse_address_value(PdMailCtx *ctx, const char *what, const char *value)
{
	InternetAddressList *list = internet_address_list_parse(ctx->options, value);
	g_autoptr(GPtrArray) elements = NULL;
	InternetAddress *mb;

	if (!has_mailbox(list)) {
		if (strchr(value, '@') != NULL && (mb = spaced_mailbox(ctx, what, value)) != NULL)
			add_mailbox(&list, mb);
	} else if (strchr(value, ',') != NULL && (elements = split_elements(value)) != NULL &&
		   (guint)internet_address_list_length(list) < count_with_at(elements)) {
		/* an element GMime could not read was dropped from the list */
		g_object_unref(list);
		list = per_element(ctx, what, elements);
	}
	trailing_names(ctx, what, list);
	comment_names(ctx, what, value, list);
	return list;
}
