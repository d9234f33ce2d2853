/* pd-secrets: which settings are secrets, and who may read them. */
#include "pd-secrets.h"
#include "pd-error.h"

#include <string.h>
#include <sys/stat.h>

/* The value of a conninfo keyword ("passfile"), keyword form only. */
static char *
conninfo_keyword(const char *conninfo, const char *keyword)
{
	gsize klen = strlen(keyword);

	for (const char *p = conninfo; *p != '\0';) {
		const char *q;
		GString *value;

		while (g_ascii_isspace(*p))
			p++;
		q = p;
		while (*q != '\0' && *q != '=' && !g_ascii_isspace(*q))
			q++;
		gboolean match = (gsize)(q - p) == klen && g_ascii_strncasecmp(p, keyword, klen) == 0;
		while (g_ascii_isspace(*q))
			q++;
		if (*q != '=')
			return NULL;	/* not keyword=value: a URI, or garbage */
		q++;
		while (g_ascii_isspace(*q))
			q++;
		value = g_string_new(NULL);
		if (*q == '\'') {
			for (q++; *q != '\0' && *q != '\''; q++) {
				if (*q == '\\' && q[1] != '\0')
					q++;
				g_string_append_c(value, *q);
			}
			if (*q == '\'')
				q++;
		} else {
			for (; *q != '\0' && !g_ascii_isspace(*q); q++) {
				if (*q == '\\' && q[1] != '\0')
					q++;
				g_string_append_c(value, *q);
			}
		}
		if (match)
			return g_string_free(value, FALSE);
		g_string_free(value, TRUE);
		p = q;
	}
	return NULL;
}

static gboolean
conninfo_is_uri(const char *conninfo)
{
	return g_str_has_prefix(conninfo, "postgresql://") ||
	       g_str_has_prefix(conninfo, "postgres://");
}

gboolean
pd_secrets_conninfo_has_password(const char *conninfo)
{
	g_autofree char *password = NULL;

	if (conninfo == NULL)
		return FALSE;
	while (g_ascii_isspace(*conninfo))
		conninfo++;
	if (conninfo_is_uri(conninfo)) {
		const char *authority = strstr(conninfo, "://") + 3;
		gsize len = strcspn(authority, "/?");
		const char *at = g_strstr_len(authority, (gssize)len, "@");
		const char *query = strchr(conninfo, '?');

		if (at != NULL && memchr(authority, ':', at - authority) != NULL)
			return TRUE;
		return query != NULL && (strstr(query, "?password=") != NULL ||
					 strstr(query, "&password=") != NULL);
	}
	password = conninfo_keyword(conninfo, "password");
	return password != NULL;
}

char *
pd_secrets_in_keyfile(GKeyFile *keyfile)
{
	g_autoptr(GPtrArray) found = g_ptr_array_new();
	g_autofree char *conninfo = NULL;

	if (keyfile == NULL)
		return NULL;
	if (g_key_file_has_key(keyfile, "outbound", "token_keys", NULL))
		g_ptr_array_add(found, "[outbound] token_keys");
	if (g_key_file_has_key(keyfile, "outbound", "password", NULL))
		g_ptr_array_add(found, "[outbound] password");
	conninfo = g_key_file_get_string(keyfile, "database", "conninfo", NULL);
	if (pd_secrets_conninfo_has_password(conninfo))
		g_ptr_array_add(found, "[database] conninfo password");
	if (found->len == 0)
		return NULL;
	g_ptr_array_add(found, NULL);
	return g_strjoinv(", ", (char **)found->pdata);
}

/* FALSE if path exists and every local user may read or write it. */
static gboolean
secrets_file_private(const char *path, const char *what, GError **error)
{
	struct stat st;

	if (path == NULL || stat(path, &st) != 0 || (st.st_mode & (S_IROTH | S_IWOTH)) == 0)
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
		    "%s: holds %s and is %s by every local user (mode %04o); chmod o-rwx %s",
		    path, what, (st.st_mode & S_IROTH) ? "readable" : "writable",
		    (guint)(st.st_mode & 07777), path);
	return FALSE;
}

gboolean
pd_secrets_check(const PdConfig *config, GError **error)
{
	g_autofree char *passfile = NULL;

	if (config->secrets_held != NULL &&
	    !secrets_file_private(config->path, config->secrets_held, error))
		return FALSE;
	if (!secrets_file_private(config->secret_password_file,
				  "the [outbound] password_file secret", error))
		return FALSE;
	if (!secrets_file_private(config->secret_token_file,
				  "the [http] operator_token_file token", error))
		return FALSE;
	if (config->conninfo != NULL && !conninfo_is_uri(config->conninfo))
		passfile = conninfo_keyword(config->conninfo, "passfile");
	return secrets_file_private(passfile, "the [database] conninfo passfile passwords",
				    error);
}
