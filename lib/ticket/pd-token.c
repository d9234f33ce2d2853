/* pd-token: HMAC-signed reply addresses and Message-IDs; see pd-token.h. */
#include "pd-token.h"

#include <string.h>

#include "core/pd-address.h"
#include "core/pd-error.h"

#define TOKEN_RCPT_LEN	4
#define TOKEN_MAC_LEN	10
#define TOKEN_MAX_BYTES	(9 + 9 + TOKEN_RCPT_LEN + TOKEN_MAC_LEN)
#define TOKEN_MAX_CHARS	((TOKEN_MAX_BYTES * 8 + 4) / 5)

#define PURPOSE_REPLY	'R'
#define PURPOSE_MSGID	'M'
#define PURPOSE_BOUNCE	'B'
#define PURPOSE_PAGE	'P'	/* never in mail headers: not in purposes[] */

static const char purposes[] = { PURPOSE_REPLY, PURPOSE_MSGID, PURPOSE_BOUNCE };

static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

struct _PdTokenKeys {
	GPtrArray *secrets;	/* GBytes * */
};

/* --- keys -------------------------------------------------------------- */

PdTokenKeys *
pd_token_keys_new(const char *const *secrets, GError **error)
{
	PdTokenKeys *keys;

	if (secrets == NULL || secrets[0] == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "token_keys: at least one key is required");
		return NULL;
	}
	keys = g_new0(PdTokenKeys, 1);
	keys->secrets = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	for (guint i = 0; secrets[i] != NULL; i++) {
		gsize len = strlen(secrets[i]);

		if (len < PD_TOKEN_MIN_KEY_LEN) {
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "token_keys: key %u is %zu bytes, at least %d required", i + 1,
				    len, PD_TOKEN_MIN_KEY_LEN);
			pd_token_keys_free(keys);
			return NULL;
		}
		for (guint j = 0; j < i; j++) {
			if (strcmp(secrets[i], secrets[j]) == 0) {
				g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
					    "token_keys: key %u repeats key %u", i + 1, j + 1);
				pd_token_keys_free(keys);
				return NULL;
			}
		}
		g_ptr_array_add(keys->secrets, g_bytes_new(secrets[i], len));
	}
	return keys;
}

/* [outbound] token_keys, made into keys once per configuration. */
typedef struct {
	GPtrArray *secrets;	/* char * */
	PdTokenKeys *keys;	/* NULL: no [outbound] */
} TokenSettings;

static gboolean
token_finish(gpointer values, const char *name, PdConfig *config, PdConfigLoad *load)
{
	TokenSettings *t = values;
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	g_autoptr(GError) error = NULL;

	(void)name;
	for (guint i = 0; i < t->secrets->len; i++)
		g_ptr_array_add(list, t->secrets->pdata[i]);
	if (!pd_config_has_section(config, "outbound"))
		return TRUE;
	if (list->len == 0) {
		pd_config_error(load, "outbound", NULL, "[outbound] token_keys: missing (one or "
				"more secrets, the first signs)");
		return FALSE;
	}
	g_ptr_array_add(list, NULL);
	t->keys = pd_token_keys_new((const char *const *)list->pdata, &error);
	if (t->keys == NULL) {
		pd_config_error(load, "outbound", "token_keys", "[outbound] %s", error->message);
		return FALSE;
	}
	return TRUE;
}

static void
token_clear(gpointer values)
{
	TokenSettings *t = values;

	g_clear_pointer(&t->keys, pd_token_keys_free);
}

static const PdSetting token_settings[] = {
	{ .key = "token_keys", .type = PD_SETTING_LIST,
	  .offset = G_STRUCT_OFFSET(TokenSettings, secrets) },
	{ NULL }
};

const PdConfigTable pd_token_table = {
	.section = "outbound", .size = sizeof(TokenSettings), .settings = token_settings,
	.finish = token_finish, .clear = token_clear,
};

const PdTokenKeys *
pd_token_keys_of(const PdConfig *config)
{
	const TokenSettings *t = pd_config_layer(config, &pd_token_table);

	return t->keys;
}

void
pd_token_keys_free(PdTokenKeys *keys)
{
	if (keys == NULL)
		return;
	g_ptr_array_unref(keys->secrets);
	g_free(keys);
}

/* --- encoding ---------------------------------------------------------- */

static void
varint_put(GByteArray *out, guint64 value)
{
	do {
		guint8 byte = value & 0x7f;

		value >>= 7;
		if (value != 0)
			byte |= 0x80;
		g_byte_array_append(out, &byte, 1);
	} while (value != 0);
}

/* Minimal LEB128 of at most 63 bits; FALSE on anything else. */
static gboolean
varint_get(const guint8 *buf, gsize len, gsize *pos, gint64 *value_r)
{
	guint64 value = 0;

	for (guint shift = 0; shift < 63; shift += 7) {
		guint8 byte;

		if (*pos >= len)
			return FALSE;
		byte = buf[(*pos)++];
		if (shift == 56 && (byte & 0x80 || byte > 0x7f))
			return FALSE;
		value |= (guint64)(byte & 0x7f) << shift;
		if ((byte & 0x80) == 0) {
			if (byte == 0 && shift != 0)
				return FALSE;	/* non-minimal */
			if (value > G_MAXINT64)
				return FALSE;
			*value_r = (gint64)value;
			return TRUE;
		}
	}
	return FALSE;
}

static char *
base32_encode(const guint8 *buf, gsize len)
{
	GString *out = g_string_sized_new(len * 8 / 5 + 2);
	guint32 acc = 0;
	guint bits = 0;

	for (gsize i = 0; i < len; i++) {
		acc = (acc << 8) | buf[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			g_string_append_c(out, base32_alphabet[(acc >> bits) & 0x1f]);
		}
	}
	if (bits > 0)
		g_string_append_c(out, base32_alphabet[(acc << (5 - bits)) & 0x1f]);
	return g_string_free(out, FALSE);
}

/* Case-insensitive; rejects impossible lengths and non-zero pad bits so
 * that each byte string has exactly one accepted spelling. */
static gboolean
base32_decode(const char *text, gsize text_len, guint8 *out, gsize out_size, gsize *len_r)
{
	guint32 acc = 0;
	guint bits = 0;
	gsize n = 0;

	if (text_len == 0 || text_len > TOKEN_MAX_CHARS)
		return FALSE;
	for (gsize i = 0; i < text_len; i++) {
		char c = g_ascii_tolower(text[i]);
		const char *p = c != '\0' ? strchr(base32_alphabet, c) : NULL;

		if (p == NULL)
			return FALSE;
		acc = (acc << 5) | (guint32)(p - base32_alphabet);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n >= out_size)
				return FALSE;
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return FALSE;
	*len_r = n;
	return TRUE;
}

/* --- MACs -------------------------------------------------------------- */

static void
keyed_digest(GBytes *key, const char *label, const char *text, guint8 digest[32])
{
	gsize klen, dlen = 32;
	const guint8 *k = g_bytes_get_data(key, &klen);
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, k, klen);

	g_hmac_update(hmac, (const guchar *)label, strlen(label) + 1);
	g_hmac_update(hmac, (const guchar *)text, strlen(text));
	g_hmac_get_digest(hmac, digest, &dlen);
}

static void
token_mac(GBytes *key, char purpose, const guint8 *payload, gsize len,
	  guint8 mac[TOKEN_MAC_LEN])
{
	gsize klen, dlen = 32;
	const guint8 *k = g_bytes_get_data(key, &klen);
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, k, klen);
	guint8 digest[32];
	guint8 p = (guint8)purpose;

	g_hmac_update(hmac, (const guchar *)"pd-token-1", 11);
	g_hmac_update(hmac, &p, 1);
	g_hmac_update(hmac, payload, len);
	g_hmac_get_digest(hmac, digest, &dlen);
	memcpy(mac, digest, TOKEN_MAC_LEN);
}

static gboolean
equal_constant_time(const guint8 *a, const guint8 *b, gsize len)
{
	guint8 diff = 0;

	for (gsize i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static guint8
address_tag(GBytes *key, const char *base_canonical)
{
	guint8 digest[32];

	keyed_digest(key, "pd-addr-1", base_canonical, digest);
	return digest[0] & 0x7f;
}

static void
recipient_tag(GBytes *key, const char *recipient_canonical, guint8 tag[TOKEN_RCPT_LEN])
{
	guint8 digest[32];

	keyed_digest(key, "pd-rcpt-1", recipient_canonical, digest);
	memcpy(tag, digest, TOKEN_RCPT_LEN);
}

static char *
token_make(const PdTokenKeys *keys, char purpose, gint64 ticket_id, guint64 extra,
	   const char *recipient_canonical)
{
	GBytes *key = g_ptr_array_index(keys->secrets, 0);
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 tag[TOKEN_RCPT_LEN], mac[TOKEN_MAC_LEN];

	varint_put(buf, (guint64)ticket_id);
	varint_put(buf, extra);
	recipient_tag(key, recipient_canonical, tag);
	g_byte_array_append(buf, tag, sizeof(tag));
	token_mac(key, purpose, buf->data, buf->len, mac);
	g_byte_array_append(buf, mac, sizeof(mac));
	return base32_encode(buf->data, buf->len);
}

/* --- issuing ----------------------------------------------------------- */

/* "local+PREFIXTOKEN@domain" for base "local@domain"; what names the
 * token in errors.  The reply purpose's extra is the address tag, the
 * bounce purpose's 0. */
static char *
token_address(const PdTokenKeys *keys, const char *what, char purpose, const char *prefix,
	      const char *base, gint64 first, const char *recipient, GError **error)
{
	PdAddress addr;
	g_autofree char *rcpt = pd_address_canonicalize(recipient, NULL);
	g_autofree char *canonical = NULL;
	g_autofree char *token = NULL;
	guint64 extra = 0;
	char *result;

	g_return_val_if_fail(keys != NULL && first >= 0, NULL);
	if (rcpt == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: recipient \"%s\" is not an address",
			    what, recipient != NULL ? recipient : "(null)");
		return NULL;
	}
	if (!pd_address_parse(base, PD_TOKEN_DELIMITER, &addr, NULL) || addr.domain == NULL ||
	    addr.subaddress != NULL) {
		pd_address_clear(&addr);
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "%s: \"%s\" is not a plain address (local@domain, no +tag)", what,
			    base != NULL ? base : "(null)");
		return NULL;
	}
	canonical = pd_address_canonical(&addr);
	if (purpose == PURPOSE_REPLY)
		extra = address_tag(g_ptr_array_index(keys->secrets, 0), canonical);
	token = token_make(keys, purpose, first, extra, rcpt);
	result = g_strdup_printf("%s" PD_TOKEN_DELIMITER "%s%s@%s", addr.local, prefix, token,
				 addr.domain);
	pd_address_clear(&addr);
	return result;
}

char *
pd_token_reply_address(const PdTokenKeys *keys, const char *base, gint64 ticket_id,
		       const char *recipient, GError **error)
{
	return token_address(keys, "reply token", PURPOSE_REPLY, PD_TOKEN_REPLY_PREFIX, base,
			     ticket_id, recipient, error);
}

char *
pd_token_message_id(const PdTokenKeys *keys, gint64 ticket_id, gint64 serial,
		    const char *recipient, const char *hostname, GError **error)
{
	g_autofree char *rcpt = pd_address_canonicalize(recipient, NULL);
	g_autofree char *token = NULL;

	g_return_val_if_fail(keys != NULL && ticket_id >= 0 && serial >= 0, NULL);
	g_return_val_if_fail(hostname != NULL && *hostname != '\0', NULL);
	if (rcpt == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "Message-ID token: recipient \"%s\" is not an address",
			    recipient != NULL ? recipient : "(null)");
		return NULL;
	}
	token = token_make(keys, PURPOSE_MSGID, ticket_id, (guint64)serial, rcpt);
	return g_strdup_printf(PD_TOKEN_MSGID_PREFIX "%s@%s", token, hostname);
}

/* The first varint of a bounce token is the outbound row id, the second
 * is 0 (room for a later use). */
char *
pd_token_bounce_address(const PdTokenKeys *keys, const char *base, gint64 outbound_id,
			const char *recipient, GError **error)
{
	return token_address(keys, "bounce token", PURPOSE_BOUNCE, PD_TOKEN_BOUNCE_PREFIX, base,
			     outbound_id, recipient, error);
}

/* --- verifying --------------------------------------------------------- */

const char *
pd_token_verdict_str(PdTokenVerdict verdict)
{
	switch (verdict) {
	case PD_TOKEN_VALID: return "valid";
	case PD_TOKEN_ABSENT: return "absent";
	case PD_TOKEN_MALFORMED: return "malformed";
	case PD_TOKEN_FORGED: return "forged or unknown key";
	case PD_TOKEN_WRONG_PURPOSE: return "token of another kind (Message-ID vs reply address)";
	case PD_TOKEN_OTHER_ADDRESS: return "issued on another of our addresses";
	case PD_TOKEN_OTHER_RECIPIENT: return "issued to another recipient";
	case PD_TOKEN_EXPIRED: return "expired";
	}
	return "unknown";
}

/* Decode TOKEN and find the key that authenticates it for purpose (or the
 * other purpose, for a precise verdict).  base_canonical: the address the
 * token arrived on (reply purpose only). */
static PdTokenVerdict
token_check(const PdTokenKeys *keys, char purpose, const char *text, gsize text_len,
	    const char *base_canonical, const char *sender, PdTokenInfo *info_r)
{
	guint8 buf[TOKEN_MAX_BYTES];
	gsize len, pos = 0, signed_len;
	gint64 first, extra;
	g_autofree char *rcpt = NULL;

	if (!base32_decode(text, text_len, buf, sizeof(buf), &len))
		return PD_TOKEN_MALFORMED;
	if (!varint_get(buf, len, &pos, &first) || !varint_get(buf, len, &pos, &extra) ||
	    len - pos != TOKEN_RCPT_LEN + TOKEN_MAC_LEN)
		return PD_TOKEN_MALFORMED;
	signed_len = pos + TOKEN_RCPT_LEN;
	rcpt = sender != NULL ? pd_address_canonicalize(sender, NULL) : NULL;

	/* the purpose asked for first, then the others (a precise verdict) */
	for (guint pass = 0; pass < G_N_ELEMENTS(purposes) + 1; pass++) {
		char tried = pass == 0 ? purpose : purposes[pass - 1];

		if (pass > 0 && tried == purpose)
			continue;
		for (guint i = 0; i < keys->secrets->len; i++) {
			GBytes *key = g_ptr_array_index(keys->secrets, i);
			guint8 mac[TOKEN_MAC_LEN], tag[TOKEN_RCPT_LEN];

			token_mac(key, tried, buf, signed_len, mac);
			if (!equal_constant_time(mac, buf + signed_len, TOKEN_MAC_LEN))
				continue;
			if (info_r != NULL) {
				info_r->ticket_id = purpose == PURPOSE_BOUNCE ? 0 : first;
				info_r->serial = purpose == PURPOSE_MSGID ? extra
					       : purpose == PURPOSE_BOUNCE ? first : 0;
				info_r->key_index = i;
			}
			if (pass > 0)
				return PD_TOKEN_WRONG_PURPOSE;
			if (purpose == PURPOSE_REPLY && extra != address_tag(key, base_canonical))
				return PD_TOKEN_OTHER_ADDRESS;
			/* a bounce comes from MAILER-DAEMON: the recipient it
			 * reports is checked when it reports one */
			if (purpose == PURPOSE_BOUNCE && sender == NULL)
				return PD_TOKEN_VALID;
			if (rcpt == NULL)
				return PD_TOKEN_OTHER_RECIPIENT;
			recipient_tag(key, rcpt, tag);
			if (!equal_constant_time(tag, buf + pos, TOKEN_RCPT_LEN))
				return PD_TOKEN_OTHER_RECIPIENT;
			return PD_TOKEN_VALID;
		}
	}
	return PD_TOKEN_FORGED;
}

/* A token in the subaddress of address after prefix; base_canonical is
 * only the reply purpose's. */
static PdTokenVerdict
token_check_address(const PdTokenKeys *keys, char purpose, const char *prefix,
		    const char *address, const char *sender, PdTokenInfo *info_r)
{
	PdAddress addr;
	PdTokenVerdict verdict;
	g_autofree char *canonical = NULL;
	const char *token;

	g_return_val_if_fail(keys != NULL, PD_TOKEN_ABSENT);
	if (info_r != NULL)
		memset(info_r, 0, sizeof(*info_r));
	if (!pd_address_parse(address, PD_TOKEN_DELIMITER, &addr, NULL))
		return PD_TOKEN_ABSENT;
	if (addr.subaddress == NULL || addr.domain == NULL ||
	    g_ascii_strncasecmp(addr.subaddress, prefix, strlen(prefix)) != 0) {
		pd_address_clear(&addr);
		return PD_TOKEN_ABSENT;
	}
	canonical = pd_address_canonical(&addr);
	token = addr.subaddress + strlen(prefix);
	verdict = token_check(keys, purpose, token, strlen(token),
			      purpose == PURPOSE_REPLY ? canonical : NULL, sender, info_r);
	pd_address_clear(&addr);
	return verdict;
}

PdTokenVerdict
pd_token_verify_reply_address(const PdTokenKeys *keys, const char *address,
			      const char *sender, PdTokenInfo *info_r)
{
	return token_check_address(keys, PURPOSE_REPLY, PD_TOKEN_REPLY_PREFIX, address, sender,
				   info_r);
}

PdTokenVerdict
pd_token_verify_message_id(const PdTokenKeys *keys, const char *message_id,
			   const char *sender, PdTokenInfo *info_r)
{
	const char *start, *at;
	gsize len;

	g_return_val_if_fail(keys != NULL, PD_TOKEN_ABSENT);
	if (info_r != NULL)
		memset(info_r, 0, sizeof(*info_r));
	if (message_id == NULL)
		return PD_TOKEN_ABSENT;
	start = message_id;
	while (g_ascii_isspace(*start))
		start++;
	if (*start == '<')
		start++;
	if (g_ascii_strncasecmp(start, PD_TOKEN_MSGID_PREFIX, strlen(PD_TOKEN_MSGID_PREFIX)) != 0)
		return PD_TOKEN_ABSENT;
	start += strlen(PD_TOKEN_MSGID_PREFIX);
	at = strchr(start, '@');
	if (at == NULL)
		return PD_TOKEN_MALFORMED;
	len = (gsize)(at - start);
	return token_check(keys, PURPOSE_MSGID, start, len, NULL, sender, info_r);
}

PdTokenVerdict
pd_token_verify_bounce_address(const PdTokenKeys *keys, const char *address,
			       const char *recipient, PdTokenInfo *info_r)
{
	return token_check_address(keys, PURPOSE_BOUNCE, PD_TOKEN_BOUNCE_PREFIX, address,
				   recipient, info_r);
}

/* --- the customer's ticket page --------------------------------------- */

#define DAY_SECONDS (24 * 60 * 60)

char *
pd_token_page(const PdTokenKeys *keys, gint64 ticket_id, const char *recipient,
	      gint64 expires, GError **error)
{
	g_autofree char *rcpt = pd_address_canonicalize(recipient, NULL);

	g_return_val_if_fail(keys != NULL && ticket_id >= 0 && expires >= 0, NULL);
	if (rcpt == NULL) {
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
			    "page token: recipient \"%s\" is not an address",
			    recipient != NULL ? recipient : "(null)");
		return NULL;
	}
	return token_make(keys, PURPOSE_PAGE, ticket_id, (guint64)(expires / DAY_SECONDS), rcpt);
}

PdTokenVerdict
pd_token_verify_page(const PdTokenKeys *keys, const char *token, gint64 now,
		     PdTokenInfo *info_r)
{
	guint8 buf[TOKEN_MAX_BYTES];
	gsize len, pos = 0, signed_len;
	gint64 first, last_day;

	g_return_val_if_fail(keys != NULL && info_r != NULL, PD_TOKEN_ABSENT);
	memset(info_r, 0, sizeof(*info_r));
	if (token == NULL || *token == '\0')
		return PD_TOKEN_ABSENT;
	if (!base32_decode(token, strlen(token), buf, sizeof(buf), &len) ||
	    !varint_get(buf, len, &pos, &first) || !varint_get(buf, len, &pos, &last_day) ||
	    len - pos != TOKEN_RCPT_LEN + TOKEN_MAC_LEN)
		return PD_TOKEN_MALFORMED;
	signed_len = pos + TOKEN_RCPT_LEN;
	for (guint i = 0; i < keys->secrets->len; i++) {
		guint8 mac[TOKEN_MAC_LEN];

		token_mac(g_ptr_array_index(keys->secrets, i), PURPOSE_PAGE, buf, signed_len, mac);
		if (!equal_constant_time(mac, buf + signed_len, TOKEN_MAC_LEN))
			continue;
		if (now / DAY_SECONDS > last_day)
			return PD_TOKEN_EXPIRED;
		info_r->ticket_id = first;
		info_r->key_index = i;
		memcpy(info_r->recipient_tag, buf + pos, TOKEN_RCPT_LEN);
		return PD_TOKEN_VALID;
	}
	return PD_TOKEN_FORGED;
}

gboolean
pd_token_page_recipient(const PdTokenKeys *keys, const PdTokenInfo *info, const char *recipient)
{
	g_autofree char *rcpt = pd_address_canonicalize(recipient, NULL);
	guint8 tag[TOKEN_RCPT_LEN];

	g_return_val_if_fail(keys != NULL && info != NULL, FALSE);
	if (rcpt == NULL || info->key_index >= keys->secrets->len)
		return FALSE;
	recipient_tag(g_ptr_array_index(keys->secrets, info->key_index), rcpt, tag);
	return equal_constant_time(tag, info->recipient_tag, TOKEN_RCPT_LEN);
}
