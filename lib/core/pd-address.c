/* pd-address: canonical form of one bare address; no header parsing. */
#include "pd-address.h"
#include "pd-error.h"

#include <string.h>

static char *
address_domain_to_ascii(const char *domain)
{
	g_autofree char *lower = NULL;

	if (!g_utf8_validate(domain, -1, NULL))
		return NULL;
	/* IDNA: g_hostname_to_ascii applies nameprep and punycode. */
	if (g_hostname_is_non_ascii(domain)) {
		g_autofree char *ascii = g_hostname_to_ascii(domain);
		if (ascii == NULL)
			return NULL;
		return g_ascii_strdown(ascii, -1);
	}
	lower = g_ascii_strdown(domain, -1);
	return g_steal_pointer(&lower);
}

static gboolean
address_domain_valid(const char *domain)
{
	if (*domain == '\0' || strlen(domain) > 255)
		return FALSE;
	if (domain[0] == '[')	/* address literal */
		return domain[strlen(domain) - 1] == ']';
	for (const char *p = domain; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_')
			return FALSE;
	}
	return domain[0] != '.' && strstr(domain, "..") == NULL;
}

gboolean
pd_address_parse(const char *text, const char *delimiter,
		 PdAddress *address_r, GError **error)
{
	g_autofree char *copy = NULL;
	char *start, *at, *end;

	memset(address_r, 0, sizeof(*address_r));
	if (text == NULL)
		goto bad;
	copy = g_strstrip(g_strdup(text));
	start = copy;
	end = copy + strlen(copy);
	if (*start == '<') {
		if (end == start || end[-1] != '>')
			goto bad;
		start++;
		*--end = '\0';
	}
	for (const char *p = start; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ' ||
		    *p == '<' || *p == '>')
			goto bad;
	at = strrchr(start, '@');
	if (at == NULL) {
		/* RFC 5321: "postmaster" alone is a valid recipient. */
		if (g_ascii_strcasecmp(start, "postmaster") != 0)
			goto bad;
		address_r->local = g_strdup("postmaster");
		return TRUE;
	}
	*at = '\0';
	if (*start == '\0' || strlen(start) > 64 * 4)
		goto bad;
	address_r->domain = address_domain_to_ascii(at + 1);
	if (address_r->domain == NULL || !address_domain_valid(address_r->domain))
		goto bad;
	if (delimiter != NULL && *delimiter != '\0') {
		char *sub = strpbrk(start, delimiter);
		if (sub != NULL && sub != start) {
			address_r->subaddress = g_strdup(sub + 1);
			*sub = '\0';
		}
	}
	address_r->local = g_utf8_validate(start, -1, NULL) ?
		g_utf8_strdown(start, -1) : g_ascii_strdown(start, -1);
	return TRUE;
bad:
	pd_address_clear(address_r);
	g_set_error(error, PD_ERROR, PD_ERROR_PERMFAIL, "Invalid address: %s",
		    text != NULL ? text : "(null)");
	return FALSE;
}

void
pd_address_clear(PdAddress *address)
{
	g_clear_pointer(&address->local, g_free);
	g_clear_pointer(&address->subaddress, g_free);
	g_clear_pointer(&address->domain, g_free);
}

char *
pd_address_canonical(const PdAddress *address)
{
	if (address->domain == NULL)
		return g_strdup(address->local);
	return g_strdup_printf("%s@%s", address->local, address->domain);
}

char *
pd_address_canonicalize(const char *text, const char *delimiter)
{
	PdAddress address;
	char *canonical;

	if (!pd_address_parse(text, delimiter, &address, NULL))
		return NULL;
	canonical = pd_address_canonical(&address);
	pd_address_clear(&address);
	return canonical;
}

gboolean
pd_address_is_robot(const char *canonical)
{
	static const char *const robots[] = {
		"mailer-daemon", "postmaster", "noreply", "no-reply",
		"donotreply", "do-not-reply", "bounce", "bounces",
		"listserv", "majordomo", "owner-", NULL,
	};
	g_autofree char *local = NULL;
	const char *at;

	if (canonical == NULL || *canonical == '\0')
		return TRUE;
	at = strchr(canonical, '@');
	local = at != NULL ? g_strndup(canonical, at - canonical) : g_strdup(canonical);
	for (guint i = 0; robots[i] != NULL; i++) {
		gsize n = strlen(robots[i]);
		if (robots[i][n - 1] == '-' ? strncmp(local, robots[i], n) == 0 :
		    strcmp(local, robots[i]) == 0)
			return TRUE;
	}
	return g_str_has_suffix(local, "-bounces") || g_str_has_suffix(local, "-request");
}
