/* pd-lmtp-command: parse and answer one LMTP command line.
 *
 * Verbs, FROM:/TO:, parameter and XFORWARD attribute names are case-
 * insensitive.  Paths must be in angle brackets; a quoted local part, an
 * address literal, UTF-8 and a source route (dropped, RFC 5321 C) are
 * accepted; anything else is 501.  Reply texts follow Postfix smtpd, with
 * enhanced status codes.  Every text echoed from the client goes through
 * pd_lmtp_reply(), which makes it printable.
 */
#include "pd-lmtp-private.h"

#include <string.h>

#define XFORWARD_VALUE_MAX	255	/* as smtpd: longer is 501 */

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

/* ---- paths ---- */

/* The text between < and >, honouring quoted strings; *rest_r points after
 * the '>'.  No control character, no blank outside quotes. */
static gboolean
path_scan(const char *s, const char **inner_r, gsize *len_r, const char **rest_r)
{
	gboolean quoted = FALSE;
	gsize i;

	if (s[0] != '<')
		return FALSE;
	for (i = 1; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return FALSE;
		if (quoted && c == '\\') {
			if ((unsigned char)s[i + 1] < 0x20 || s[i + 1] == 0x7f)
				return FALSE;
			i++;
		} else if (c == '"') {
			quoted = !quoted;
		} else if (!quoted && c == '>') {
			break;
		} else if (!quoted && is_blank((char)c)) {
			return FALSE;
		}
	}
	if (s[i] != '>' || (s[i + 1] != '\0' && !is_blank(s[i + 1])))
		return FALSE;
	*inner_r = s + 1;
	*len_r = i - 1;
	*rest_r = s + i + 1;
	return TRUE;
}

static gboolean
domain_valid(const char *d, gsize len)
{
	if (len == 0)
		return FALSE;
	if (d[0] == '[') {
		if (len < 3 || d[len - 1] != ']')
			return FALSE;
		for (gsize i = 1; i + 1 < len; i++)
			if (d[i] == '[' || d[i] == ']' || d[i] == '\\')
				return FALSE;
		return TRUE;
	}
	if (d[0] == '.' || d[len - 1] == '.')
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (d[i + 1] == '.')
				return FALSE;
		} else if (!g_ascii_isalnum(c) && c != '-' && c != '_' && c < 0x80) {
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
local_part_char(unsigned char c)
{
	return g_ascii_isalnum(c) || c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/* The mailbox of a path as the callbacks see it: without <>, without a
 * source route; "" for the null path.  NULL when it is not a valid one. */
static char *
path_mailbox(const char *inner, gsize len, gboolean recipient)
{
	const char *m = inner;
	gsize n = len, local_len = 0;

	if (len == 0)
		return recipient ? NULL : g_strdup("");
	if (!g_utf8_validate_len(inner, len, NULL))
		return NULL;
	if (m[0] == '@') {
		/* "@relay1,@relay2:user@domain": only the mailbox matters. */
		const char *colon = memchr(m, ':', n);

		if (colon == NULL || memchr(m, '"', (gsize)(colon - m)) != NULL)
			return NULL;
		n -= (gsize)(colon + 1 - m);
		m = colon + 1;
		if (n == 0)
			return NULL;
	}
	if (m[0] == '"') {
		local_len = 1;
		while (local_len < n && m[local_len] != '"')
			local_len += m[local_len] == '\\' ? 2 : 1;
		if (local_len >= n)
			return NULL;
		local_len++;
		if (local_len < 3)	/* "" is no local part */
			return NULL;
	} else {
		while (local_len < n && m[local_len] != '@') {
			if (!local_part_char((unsigned char)m[local_len]))
				return NULL;
			local_len++;
		}
		if (local_len == 0)
			return NULL;
	}
	if (local_len == n) {
		/* RFC 5321: RCPT TO:<Postmaster> without a domain. */
		if (recipient && n == 10 && g_ascii_strncasecmp(m, "postmaster", 10) == 0)
			return g_strndup(m, n);
		return NULL;
	}
	if (m[local_len] != '@' || !domain_valid(m + local_len + 1, n - local_len - 1))
		return NULL;
	return g_strndup(m, n);
}

/* ---- parameters ---- */

typedef struct {
	gint64 size;		/* -1: not given; G_MAXINT64: too many digits */
	gboolean body_8bit;
} MailParams;

/* Parse "KEY=VALUE ..." after a path; replies and returns FALSE on error. */
static gboolean
params_parse(PdLmtpSession *session, const char *s, MailParams *mail, GString *out)
{
	while (*(s = skip_blanks(s)) != '\0') {
		gsize len = strcspn(s, " \t");
		g_autofree char *token = g_strndup(s, len);
		char *value = strchr(token, '=');

		s += len;
		if (value != NULL)
			*value++ = '\0';
		if (mail != NULL && g_ascii_strcasecmp(token, "SIZE") == 0) {
			guint64 size = 0;

			if (value == NULL || *value == '\0' || strspn(value, "0123456789") != strlen(value)) {
				pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Bad message size syntax");
				return FALSE;
			}
			/* More digits than fit are simply too big. */
			if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &size, NULL))
				size = G_MAXINT64;
			mail->size = (gint64)size;
		} else if (mail != NULL && g_ascii_strcasecmp(token, "BODY") == 0) {
			if (value != NULL && g_ascii_strcasecmp(value, "8BITMIME") == 0) {
				mail->body_8bit = TRUE;
			} else if (value != NULL && g_ascii_strcasecmp(value, "7BIT") == 0) {
				mail->body_8bit = FALSE;
			} else {
				pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Bad BODY parameter syntax");
				return FALSE;
			}
		} else {
			pd_lmtp_reply(session, out, TRUE, 555, "5.5.4 Unsupported option: %s", token);
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- commands ---- */

static gboolean
need_lhlo(PdLmtpSession *session, GString *out)
{
	if (session->state != PD_LMTP_STATE_CONNECTED)
		return FALSE;
	pd_lmtp_reply(session, out, TRUE, 503, "5.5.1 Error: send LHLO first");
	return TRUE;
}

static void
cmd_lhlo(PdLmtpSession *session, const char *args, GString *out)
{
	const char *lines[6];
	guint n = 0;
	g_autofree char *size = g_strdup_printf("SIZE %" G_GSIZE_FORMAT, session->max_message_size);

	if (*args == '\0' || args[strcspn(args, " \t")] != '\0' ||
	    !g_utf8_validate(args, -1, NULL)) {
		pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: LHLO hostname");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)args; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: LHLO hostname");
			return;
		}
	/* A new LHLO starts over, as EHLO does in smtpd. */
	session->state = PD_LMTP_STATE_READY;
	pd_lmtp_transaction_reset(session);
	g_free(session->envelope->lhlo_name);
	session->envelope->lhlo_name = g_strdup(args);

	lines[n++] = session->hostname;
	lines[n++] = "PIPELINING";
	lines[n++] = size;
	lines[n++] = "ENHANCEDSTATUSCODES";
	lines[n++] = "8BITMIME";
	if (session->xforward_allowed)
		lines[n++] = "XFORWARD NAME ADDR PROTO HELO";
	for (guint i = 0; i + 1 < n; i++) {
		/* Multi-line: "250-" on every line but the last. */
		g_string_append(out, "250-");
		g_string_append(out, lines[i]);
		g_string_append(out, "\r\n");
	}
	pd_lmtp_reply(session, out, FALSE, 250, "%s", lines[n - 1]);
}

static void
cmd_mail(PdLmtpSession *session, const char *args, GString *out)
{
	PdEnvelope *envelope = session->envelope;
	MailParams params = { .size = -1, .body_8bit = FALSE };
	PdLmtpReply reply = { 0, NULL };
	const char *inner, *rest;
	gsize inner_len;
	char *mailbox;

	if (need_lhlo(session, out))
		return;
	if (session->state == PD_LMTP_STATE_MAIL) {
		pd_lmtp_reply(session, out, TRUE, 503, "5.5.1 Error: nested MAIL command");
		return;
	}
	if (g_ascii_strncasecmp(args, "FROM:", 5) != 0 ||
	    !path_scan(skip_blanks(args + 5), &inner, &inner_len, &rest)) {
		pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	mailbox = path_mailbox(inner, inner_len, FALSE);
	if (mailbox == NULL) {
		pd_lmtp_reply(session, out, TRUE, 501, "5.1.7 Bad sender address syntax");
		return;
	}
	if (!params_parse(session, rest, &params, out)) {
		g_free(mailbox);
		return;
	}
	if (params.size >= 0 && (guint64)params.size > session->max_message_size) {
		g_free(mailbox);
		pd_lmtp_reply(session, out, TRUE, 552, "5.3.4 Message size exceeds fixed limit");
		return;
	}
	pd_envelope_reset(envelope);
	envelope->mail_from = mailbox;
	envelope->size_hint = params.size;
	envelope->body_8bit = params.body_8bit;
	if (session->callbacks.mail_from != NULL &&
	    !session->callbacks.mail_from(session, envelope, &reply, session->user_data)) {
		if (reply.code >= 400 && reply.code <= 599)
			pd_lmtp_reply(session, out, FALSE, reply.code, "%s",
				      reply.text != NULL ? reply.text : "5.7.1 Sender rejected");
		else
			pd_lmtp_reply(session, out, FALSE, 451, "4.3.0 Internal error");
		pd_lmtp_reply_clear(&reply);
		pd_envelope_reset(envelope);
		return;
	}
	pd_lmtp_reply_clear(&reply);
	session->state = PD_LMTP_STATE_MAIL;
	pd_lmtp_reply(session, out, FALSE, 250, "2.1.0 Ok");
}

static void
cmd_rcpt(PdLmtpSession *session, const char *args, GString *out)
{
	PdEnvelope *envelope = session->envelope;
	PdLmtpReply reply = { 0, NULL };
	g_autofree char *mailbox = NULL;
	const char *inner, *rest;
	gsize inner_len;

	if (need_lhlo(session, out))
		return;
	if (session->state != PD_LMTP_STATE_MAIL) {
		pd_lmtp_reply(session, out, TRUE, 503, "5.5.1 Error: need MAIL command");
		return;
	}
	if (g_ascii_strncasecmp(args, "TO:", 3) != 0 ||
	    !path_scan(skip_blanks(args + 3), &inner, &inner_len, &rest)) {
		pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	mailbox = path_mailbox(inner, inner_len, TRUE);
	if (mailbox == NULL) {
		pd_lmtp_reply(session, out, TRUE, 501, "5.1.3 Bad recipient address syntax");
		return;
	}
	if (!params_parse(session, rest, NULL, out))
		return;
	if (envelope->recipients->len >= session->max_recipients) {
		pd_lmtp_reply(session, out, TRUE, 452, "4.5.3 Error: too many recipients");
		return;
	}
	if (session->callbacks.rcpt_to != NULL &&
	    !session->callbacks.rcpt_to(session, envelope, mailbox, &reply, session->user_data)) {
		if (reply.code >= 400 && reply.code <= 599)
			pd_lmtp_reply(session, out, FALSE, reply.code, "%s",
				      reply.text != NULL ? reply.text : "5.1.1 Recipient rejected");
		else
			pd_lmtp_reply(session, out, FALSE, 451, "4.3.0 Internal error");
		pd_lmtp_reply_clear(&reply);
		return;
	}
	pd_lmtp_reply_clear(&reply);
	pd_envelope_add_recipient(envelope, mailbox);
	pd_lmtp_reply(session, out, FALSE, 250, "2.1.5 Ok");
}

static void
cmd_data(PdLmtpSession *session, const char *args, GString *out)
{
	if (need_lhlo(session, out))
		return;
	if (*args != '\0') {
		pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: DATA");
		return;
	}
	if (session->state != PD_LMTP_STATE_MAIL || session->envelope->recipients->len == 0) {
		pd_lmtp_reply(session, out, TRUE, 503, "5.5.1 Error: need RCPT command");
		return;
	}
	/* The memory for the size it announced, before a byte of it comes:
	 * refused, the client is told at once (Postfix defers every
	 * recipient) instead of after sending it all. */
	if (session->envelope->size_hint > 0 &&
	    !pd_lmtp_reserve(session, (gsize)MIN((guint64)session->envelope->size_hint,
						 session->max_message_size), TRUE)) {
		pd_lmtp_reply(session, out, FALSE, 452, "4.3.1 Insufficient system storage");
		return;
	}
	session->state = PD_LMTP_STATE_DATA;
	session->data_state = PD_LMTP_DATA_LINE_START;
	pd_lmtp_reply(session, out, FALSE, 354, "End data with <CR><LF>.<CR><LF>");
}

/* RFC 1891 xtext: printable ASCII, "+XX" for anything else. */
static char *
xtext_decode(const char *s)
{
	GString *decoded = g_string_sized_new(strlen(s));

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '+') {
			if (!g_ascii_isxdigit(p[1]) || !g_ascii_isxdigit(p[2]))
				goto bad;
			g_string_append_c(decoded, (char)(g_ascii_xdigit_value(p[1]) * 16 +
							  g_ascii_xdigit_value(p[2])));
			p += 2;
		} else if (*p < '!' || *p > '~') {
			goto bad;
		} else {
			g_string_append_c(decoded, *p);
		}
	}
	if (memchr(decoded->str, '\0', decoded->len) != NULL ||
	    !g_utf8_validate_len(decoded->str, decoded->len, NULL))
		goto bad;
	for (gsize i = 0; i < decoded->len; i++)
		if ((unsigned char)decoded->str[i] < 0x20 || decoded->str[i] == 0x7f)
			decoded->str[i] = '?';
	return g_string_free(decoded, FALSE);
bad:
	g_string_free(decoded, TRUE);
	return NULL;
}

static const char *const xforward_names[] = {
	"NAME", "ADDR", "PROTO", "HELO", "PORT", "IDENT", "SOURCE",
};

static void
cmd_xforward(PdLmtpSession *session, const char *args, GString *out)
{
	PdEnvelope *envelope = session->envelope;
	/* Parsed first, applied only when the whole command is good. */
	char *values[G_N_ELEMENTS(xforward_names)] = { NULL };
	gboolean given[G_N_ELEMENTS(xforward_names)] = { FALSE };
	char **fields[] = { &envelope->client_name, &envelope->client_address,
			    &envelope->protocol, &envelope->client_helo };

	if (need_lhlo(session, out))
		return;
	if (session->state == PD_LMTP_STATE_MAIL) {
		pd_lmtp_reply(session, out, TRUE, 503, "5.5.1 Error: MAIL transaction in progress");
		return;
	}
	if (*args == '\0') {
		pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: XFORWARD attribute=value...");
		return;
	}
	if (!session->xforward_allowed) {
		pd_lmtp_reply(session, out, TRUE, 550, "5.7.0 Error: insufficient authorization");
		return;
	}
	for (const char *s = args; *(s = skip_blanks(s)) != '\0';) {
		gsize len = strcspn(s, " \t");
		g_autofree char *token = g_strndup(s, len);
		char *value = strchr(token, '=');
		guint k;

		s += len;
		if (value == NULL || value[1] == '\0') {
			pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Error: attribute=value expected");
			goto done;
		}
		*value++ = '\0';
		if (strlen(value) > XFORWARD_VALUE_MAX) {
			pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Error: attribute value too long");
			goto done;
		}
		for (k = 0; k < G_N_ELEMENTS(xforward_names); k++)
			if (g_ascii_strcasecmp(token, xforward_names[k]) == 0)
				break;
		if (k == G_N_ELEMENTS(xforward_names)) {
			pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Bad XFORWARD attribute name: %s",
				      token);
			goto done;
		}
		g_clear_pointer(&values[k], g_free);
		given[k] = TRUE;
		values[k] = xtext_decode(value);
		if (values[k] == NULL) {
			pd_lmtp_reply(session, out, TRUE, 501,
				      "5.5.4 Error: malformed value for attribute %s", xforward_names[k]);
			goto done;
		}
		if (strcmp(values[k], "[UNAVAILABLE]") == 0 || strcmp(values[k], "[TEMPUNAVAIL]") == 0)
			g_clear_pointer(&values[k], g_free);
		else if (k == 1 && g_ascii_strncasecmp(values[k], "IPv6:", 5) == 0)
			memmove(values[k], values[k] + 5, strlen(values[k] + 5) + 1);
	}
	/* NAME ADDR PROTO HELO fill the envelope; PORT IDENT SOURCE are
	 * accepted from Postfix and not kept. */
	for (guint k = 0; k < G_N_ELEMENTS(fields); k++) {
		if (!given[k])
			continue;
		g_free(*fields[k]);
		*fields[k] = g_steal_pointer(&values[k]);
	}
	pd_lmtp_reply(session, out, FALSE, 250, "2.0.0 Ok");
done:
	for (guint k = 0; k < G_N_ELEMENTS(values); k++)
		g_free(values[k]);
}

static void
cmd_rset(PdLmtpSession *session, const char *args, GString *out)
{
	if (*args != '\0') {
		pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: RSET");
		return;
	}
	pd_lmtp_transaction_reset(session);
	pd_lmtp_reply(session, out, FALSE, 250, "2.0.0 Ok");
}

static void
cmd_noop(PdLmtpSession *session, const char *args, GString *out)
{
	pd_lmtp_reply(session, out, FALSE, 250, "2.0.0 Ok");
}

static void
cmd_vrfy(PdLmtpSession *session, const char *args, GString *out)
{
	if (*args == '\0') {
		pd_lmtp_reply(session, out, TRUE, 501, "5.5.4 Syntax: VRFY address");
		return;
	}
	pd_lmtp_reply(session, out, FALSE, 252, "2.5.0 Cannot VRFY user; try RCPT to attempt delivery");
}

static void
cmd_quit(PdLmtpSession *session, const char *args, GString *out)
{
	pd_lmtp_reply(session, out, FALSE, 221, "2.0.0 Bye");
	session->state = PD_LMTP_STATE_CLOSED;
}

static void
cmd_helo(PdLmtpSession *session, const char *args, GString *out)
{
	pd_lmtp_reply(session, out, TRUE, 500, "5.5.1 Error: this is LMTP, send LHLO");
}

static const struct {
	const char *verb;
	void (*run)(PdLmtpSession *session, const char *args, GString *out);
	gboolean junk;		/* may be repeated idly: PD_LMTP_JUNK_LIMIT */
} commands[] = {
	{ "LHLO", cmd_lhlo, TRUE },
	{ "MAIL", cmd_mail, FALSE },
	{ "RCPT", cmd_rcpt, FALSE },
	{ "DATA", cmd_data, FALSE },
	{ "XFORWARD", cmd_xforward, FALSE },
	{ "RSET", cmd_rset, TRUE },
	{ "NOOP", cmd_noop, TRUE },
	{ "VRFY", cmd_vrfy, TRUE },
	{ "QUIT", cmd_quit, FALSE },
	{ "HELO", cmd_helo, FALSE },
	{ "EHLO", cmd_helo, FALSE },
};

void
pd_lmtp_command(PdLmtpSession *session, const char *line, gsize len, GString *out)
{
	g_autofree char *copy = NULL;
	char *verb, *args, *end;

	if (memchr(line, '\0', len) != NULL) {
		pd_lmtp_reply(session, out, TRUE, 500, "5.5.2 Error: bad syntax");
		return;
	}
	copy = g_strndup(line, len);
	verb = (char *)skip_blanks(copy);
	end = verb + strlen(verb);
	while (end > verb && is_blank(end[-1]))
		*--end = '\0';
	if (*verb == '\0') {
		pd_lmtp_reply(session, out, TRUE, 500, "5.5.2 Error: bad syntax");
		return;
	}
	args = verb + strcspn(verb, " \t");
	if (*args != '\0')
		*args++ = '\0';
	args = (char *)skip_blanks(args);

	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (g_ascii_strcasecmp(verb, commands[i].verb) != 0)
			continue;
		commands[i].run(session, args, out);
		if (commands[i].junk && session->junk_commands++ > PD_LMTP_JUNK_LIMIT)
			session->errors++;
		return;
	}
	pd_lmtp_reply(session, out, TRUE, 500, "5.5.2 Error: command not recognized");
}
