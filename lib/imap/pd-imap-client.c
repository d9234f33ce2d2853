/* pd-imap-client: the IMAP session over libetpan (see pd-imap-client.h). */
#include "imap/pd-imap-client.h"
#include "imap/pd-imap-stream.h"
#include "core/pd-error.h"

#include <string.h>

/* Commands other than a body FETCH may read this much. */
#define CLIENT_BUDGET PD_IMAP_COMMAND_SLACK

struct _PdImapClient {
	mailimap *session;
	PdImapStream *stream;	/* owned by session's mailstream */
	char *host;
	char *user;
	const char *secret_key;	/* "password_file" or "oauth2_token_file" */
	guint timeout;
	gboolean broken;
	gboolean logged_in;
	char *capabilities;
	PdImapCaps caps;
	/* the body being fetched (client_body) */
	GByteArray *body;
	gsize body_max;
	gboolean body_over;
};

static void
client_begin(PdImapClient *c, guint64 budget)
{
	pd_imap_stream_begin(c->stream, c->timeout * PD_IMAP_COMMAND_WAITS, budget);
}

/* text (the server's), printable and cut, for messages and the log. */
static char *
printable(const char *text)
{
	GString *out = g_string_new(NULL);

	for (const char *p = text != NULL ? text : ""; *p != '\0' && out->len < 200; p++)
		g_string_append_c(out, (guchar)*p >= 0x20 && (guchar)*p < 0x7f ? *p : '?');
	while (out->len > 0 && out->str[out->len - 1] == '?')	/* CRLF */
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

/* The server's text of its last tagged answer, printable and cut. */
static char *
client_server_text(PdImapClient *c)
{
	return printable(c->session->imap_response);
}

/* Set error for libetpan result r of what (a command); marks the session
 * broken unless the server answered (NO/BAD). */
static void
client_error(PdImapClient *c, int r, const char *what, GError **error)
{
	g_autofree char *text = NULL;
	const char *why;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_MEMORY:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_SSL:
		c->broken = TRUE;
		why = pd_imap_stream_error(c->stream);
		if (why == NULL)
			why = r == MAILIMAP_ERROR_PARSE ? "an answer that is not IMAP"
			      : r == MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION ? "the server refuses us"
			      : "the connection failed";
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: %s: %s", c->host, what, why);
		return;
	default:
		text = client_server_text(c);
		if (r == MAILIMAP_ERROR_LOGIN)
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE,
				    "%s: login as %s refused: %s (check user and %s)",
				    c->host, c->user, *text != '\0' ? text : "no reason given",
				    c->secret_key);
		else
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: %s refused: %s",
				    c->host, what, *text != '\0' ? text : "no reason given");
	}
}

static gboolean
client_usable(PdImapClient *c, GError **error)
{
	if (!c->broken)
		return TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: the session is broken", c->host);
	return FALSE;
}

static bool
client_body(int msg_att_type, struct mailimap_msg_att_body_section *section, const char *bytes,
	    size_t length, void *context)
{
	PdImapClient *c = context;

	(void)msg_att_type;
	(void)section;
	if (c->body == NULL)
		return true;	/* not a fetch of ours: drop it */
	if (c->body->len + length > c->body_max) {
		c->body_over = TRUE;
		return false;
	}
	g_byte_array_append(c->body, (const guint8 *)bytes, (guint)length);
	return true;
}

static gboolean
client_has(PdImapClient *c, const char *cap)
{
	g_auto(GStrv) names = g_strsplit(c->capabilities, " ", -1);

	for (guint i = 0; names[i] != NULL; i++)
		if (g_ascii_strcasecmp(names[i], cap) == 0)
			return TRUE;
	return FALSE;
}

/* CAPABILITY, read from the session's list ourselves: libetpan 1.9.4's
 * mailimap_capability() copies the list and crashes on a missing one (an
 * OK without an untagged CAPABILITY) or on a nameless entry ("*
 * CAPABILITY " with a trailing space), and mailimap_has_extension() on the
 * latter too (each found by fuzz-imap). */
static void
client_read_caps(PdImapClient *c)
{
	struct mailimap_connection_info *info;
	GString *text = g_string_new(NULL);
	int r;

	client_begin(c, CLIENT_BUDGET);
	r = mailimap_custom_command(c->session, "CAPABILITY");
	info = c->session->imap_connection_info;
	if (r == MAILIMAP_NO_ERROR && info != NULL && info->imap_capability != NULL &&
	    info->imap_capability->cap_list != NULL) {
		for (clistiter *it = clist_begin(info->imap_capability->cap_list); it != NULL;
		     it = clist_next(it)) {
			struct mailimap_capability *cap = clist_content(it);

			if (cap == NULL)
				continue;
			if (cap->cap_type == MAILIMAP_CAPABILITY_NAME && cap->cap_data.cap_name)
				g_string_append_printf(text, "%s%s", text->len ? " " : "",
						       cap->cap_data.cap_name);
			else if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE &&
				 cap->cap_data.cap_auth_type)
				g_string_append_printf(text, "%sAUTH=%s", text->len ? " " : "",
						       cap->cap_data.cap_auth_type);
		}
	}
	g_free(c->capabilities);
	c->capabilities = g_string_free(text, FALSE);
	c->caps.move = client_has(c, "MOVE");
	c->caps.uidplus = client_has(c, "UIDPLUS");
}

/* Greeting, STARTTLS, login: over a stream already made. */
static gboolean
client_start(PdImapClient *c, const PdImapConfig *ic, mailstream_low *low, GError **error)
{
	mailstream *stream = mailstream_new(low, 8192);
	int r;

	g_assert(stream != NULL);
	c->session = mailimap_new(0, NULL);
	g_assert(c->session != NULL);
	mailimap_set_timeout(c->session, ic->timeout);
	mailimap_set_msg_body_handler(c->session, client_body, c);
	client_begin(c, CLIENT_BUDGET);
	r = mailimap_connect(c->session, stream);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		if (c->session->imap_stream == NULL)
			mailstream_close(stream);
		client_error(c, r, "greeting", error);
		return FALSE;
	}
	client_read_caps(c);
	if (ic->tls == PD_IMAP_TLS_STARTTLS) {
		if (!client_has(c, "STARTTLS")) {
			c->broken = TRUE;
			g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: the server does not "
				    "offer STARTTLS (tls = starttls)", c->host);
			return FALSE;
		}
		client_begin(c, CLIENT_BUDGET);
		r = mailimap_starttls(c->session);
		if (r != MAILIMAP_NO_ERROR) {
			client_error(c, r, "STARTTLS", error);
			return FALSE;
		}
		if (!pd_imap_stream_starttls(c->stream, error)) {
			c->broken = TRUE;
			return FALSE;
		}
		client_read_caps(c);	/* what was said before TLS does not count */
	}
	if (ic->oauth2_token_file == NULL && client_has(c, "LOGINDISABLED")) {
		c->broken = TRUE;
		g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: the server refuses LOGIN "
			    "here (LOGINDISABLED)", c->host);
		return FALSE;
	}
	if (ic->oauth2_token_file != NULL) {
		g_autofree char *token = NULL;

		/* read at every login: a refresher may have rewritten it */
		if (!pd_imap_secret_read(ic->oauth2_token_file, &token, error)) {
			c->broken = TRUE;
			return FALSE;
		}
		if (!client_has(c, "AUTH=XOAUTH2")) {
			c->broken = TRUE;
			g_set_error(error, PD_ERROR, PD_ERROR_USAGE, "%s: the server does not offer "
				    "AUTH=XOAUTH2 (oauth2_token_file)", c->host);
			return FALSE;
		}
		client_begin(c, CLIENT_BUDGET);
		r = mailimap_oauth2_authenticate(c->session, ic->user, token);
		memset(token, 0, strlen(token));
	} else {
		client_begin(c, CLIENT_BUDGET);
		r = mailimap_login(c->session, ic->user, ic->password);
	}
	if (r != MAILIMAP_NO_ERROR) {
		client_error(c, r, ic->oauth2_token_file != NULL ? "AUTHENTICATE XOAUTH2" : "LOGIN",
			     error);
		c->broken = TRUE;	/* nothing more to do on it */
		return FALSE;
	}
	c->logged_in = TRUE;
	client_read_caps(c);
	return TRUE;
}

static PdImapClient *
client_new(const PdImapConfig *ic)
{
	PdImapClient *c = g_new0(PdImapClient, 1);

	c->host = g_strdup(ic->host);
	c->user = g_strdup(ic->user);
	c->timeout = ic->timeout;
	c->secret_key = ic->oauth2_token_file != NULL ? "oauth2_token_file" : "password_file";
	c->capabilities = g_strdup("");
	return c;
}

PdImapClient *
pd_imap_client_connect(const PdImapConfig *ic, int cancel_fd, GError **error)
{
	g_autoptr(PdImapClient) c = client_new(ic);
	mailstream_low *low = NULL;

	c->stream = pd_imap_stream_connect(ic->host, ic->port, ic->tls == PD_IMAP_TLS_IMPLICIT ?
					   PD_IMAP_STREAM_TLS : PD_IMAP_STREAM_PLAIN,
					   ic->tls_ca_file, ic->timeout, cancel_fd, &low, error);
	if (c->stream == NULL)
		return NULL;
	if (!client_start(c, ic, low, error))
		return NULL;
	return g_steal_pointer(&c);
}

PdImapClient *
pd_imap_client_connect_memory(const PdImapConfig *ic, const guint8 *data, gsize len,
			      GError **error)
{
	g_autoptr(PdImapClient) c = client_new(ic);
	mailstream_low *low = NULL;

	g_return_val_if_fail(ic->tls == PD_IMAP_TLS_NONE, NULL);
	c->stream = pd_imap_stream_new_memory(data, len, &low);
	if (!client_start(c, ic, low, error))
		return NULL;
	return g_steal_pointer(&c);
}

void
pd_imap_client_free(PdImapClient *c)
{
	if (c == NULL)
		return;
	if (c->session != NULL) {
		if (c->logged_in && !c->broken) {
			/* a polite goodbye, but never a long wait for it */
			pd_imap_stream_begin(c->stream, MIN(c->timeout, 5u), CLIENT_BUDGET);
			mailimap_logout(c->session);
		} else if (c->session->imap_stream != NULL) {
			/* mailimap_free would LOGOUT and wait for the answer */
			mailstream_close(c->session->imap_stream);
			c->session->imap_stream = NULL;
		}
		mailimap_free(c->session);
	}
	g_free(c->host);
	g_free(c->user);
	g_free(c->capabilities);
	g_free(c);
}

gboolean
pd_imap_client_broken(PdImapClient *c)
{
	return c->broken;
}

PdImapCaps
pd_imap_client_caps(PdImapClient *c)
{
	return c->caps;
}

const char *
pd_imap_client_capabilities(PdImapClient *c)
{
	return c->capabilities;
}

const char *
pd_imap_client_tls(PdImapClient *c)
{
	return pd_imap_stream_tls_version(c->stream);
}

gboolean
pd_imap_client_list(PdImapClient *c, GPtrArray **names_r, GError **error)
{
	clist *list = NULL;
	int r;

	if (!client_usable(c, error))
		return FALSE;
	client_begin(c, CLIENT_BUDGET);
	r = mailimap_list(c->session, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR) {
		client_error(c, r, "LIST", error);
		return FALSE;
	}
	*names_r = g_ptr_array_new_with_free_func(g_free);
	for (clistiter *it = clist_begin(list); it != NULL; it = clist_next(it)) {
		struct mailimap_mailbox_list *mb = clist_content(it);

		g_ptr_array_add(*names_r, g_utf8_make_valid(mb->mb_name, -1));
	}
	mailimap_list_result_free(list);
	return TRUE;
}

gboolean
pd_imap_client_select(PdImapClient *c, const char *folder, PdImapFolder *folder_r,
		      GError **error)
{
	struct mailimap_selection_info *info;
	int r;

	if (!client_usable(c, error))
		return FALSE;
	client_begin(c, CLIENT_BUDGET);
	r = mailimap_select(c->session, folder);
	if (r != MAILIMAP_NO_ERROR) {
		g_autofree char *what = g_strdup_printf("SELECT %s", folder);

		client_error(c, r, what, error);
		return FALSE;
	}
	info = c->session->imap_selection_info;
	if (info == NULL || info->sel_uidvalidity == 0) {
		g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: SELECT %s: no UIDVALIDITY "
			    "(RFC 3501 requires it; UIDs cannot be trusted)", c->host, folder);
		return FALSE;
	}
	folder_r->uidvalidity = info->sel_uidvalidity;
	folder_r->uidnext = info->sel_uidnext;
	folder_r->exists = info->sel_has_exists ? info->sel_exists : 0;
	return TRUE;
}

static gint
uid_compare(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return x < y ? -1 : x > y;
}

gboolean
pd_imap_client_search_after(PdImapClient *c, guint32 after_uid, GArray **uids_r,
			    GError **error)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	int r;

	if (!client_usable(c, error))
		return FALSE;
	*uids_r = g_array_new(FALSE, FALSE, sizeof(guint32));
	if (after_uid == G_MAXUINT32)
		return TRUE;
	/* "N:*" also names the highest UID when it is below N (RFC 3501
	 * 6.4.8): filtered below */
	key = mailimap_search_key_new_uid(mailimap_set_new_interval(after_uid + 1, 0));
	client_begin(c, CLIENT_BUDGET);
	r = mailimap_uid_search(c->session, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		g_clear_pointer(uids_r, g_array_unref);
		client_error(c, r, "UID SEARCH", error);
		return FALSE;
	}
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		guint32 uid = *(uint32_t *)clist_content(it);

		if (uid > after_uid)
			g_array_append_val(*uids_r, uid);
	}
	mailimap_search_result_free(result);
	g_array_sort(*uids_r, uid_compare);
	return TRUE;
}

/* UID FETCH uid with att; the msg_att of uid (in *result_r, to free with
 * mailimap_fetch_list_free) or NULL when the message is gone. */
static struct mailimap_msg_att *
client_fetch(PdImapClient *c, guint32 uid, struct mailimap_fetch_att *att, guint64 budget,
	     clist **result_r, int *r_r)
{
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	struct mailimap_set *set = mailimap_set_new_single(uid);

	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(type, att);
	*result_r = NULL;
	client_begin(c, budget);
	*r_r = mailimap_uid_fetch(c->session, set, type, result_r);
	mailimap_fetch_type_free(type);
	mailimap_set_free(set);
	if (*r_r != MAILIMAP_NO_ERROR)
		return NULL;
	for (clistiter *it = clist_begin(*result_r); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *msg = clist_content(it);

		for (clistiter *a = clist_begin(msg->att_list); a != NULL; a = clist_next(a)) {
			struct mailimap_msg_att_item *item = clist_content(a);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    item->att_data.att_static != NULL &&
			    item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID &&
			    item->att_data.att_static->att_data.att_uid == uid)
				return msg;
		}
	}
	return NULL;
}

static struct mailimap_msg_att_static *
msg_static(struct mailimap_msg_att *msg, int type)
{
	for (clistiter *a = clist_begin(msg->att_list); a != NULL; a = clist_next(a)) {
		struct mailimap_msg_att_item *item = clist_content(a);

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    item->att_data.att_static != NULL &&
		    item->att_data.att_static->att_type == type)
			return item->att_data.att_static;
	}
	return NULL;
}

gboolean
pd_imap_client_fetch_size(PdImapClient *c, guint32 uid, gboolean *exists_r, guint32 *size_r,
			  GError **error)
{
	clist *result = NULL;
	struct mailimap_msg_att *msg;
	struct mailimap_msg_att_static *size;
	int r;

	*exists_r = FALSE;
	*size_r = 0;
	if (!client_usable(c, error))
		return FALSE;
	msg = client_fetch(c, uid, mailimap_fetch_att_new_rfc822_size(), CLIENT_BUDGET, &result, &r);
	if (r != MAILIMAP_NO_ERROR) {
		client_error(c, r, "UID FETCH RFC822.SIZE", error);
		return FALSE;
	}
	size = msg != NULL ? msg_static(msg, MAILIMAP_MSG_ATT_RFC822_SIZE) : NULL;
	if (size != NULL) {
		*exists_r = TRUE;
		*size_r = size->att_data.att_rfc822_size;
	}
	if (result != NULL)
		mailimap_fetch_list_free(result);
	return TRUE;
}

gboolean
pd_imap_client_fetch(PdImapClient *c, guint32 uid, gsize max, GBytes **raw_r, GError **error)
{
	clist *result = NULL;
	struct mailimap_msg_att *msg;
	g_autoptr(GByteArray) body = g_byte_array_new();
	int r;

	*raw_r = NULL;
	if (!client_usable(c, error))
		return FALSE;
	c->body = body;
	c->body_max = max;
	c->body_over = FALSE;
	msg = client_fetch(c, uid, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)),
			   (guint64)max + CLIENT_BUDGET, &result, &r);
	c->body = NULL;
	if (c->body_over) {
		c->broken = TRUE;	/* the rest of the literal is still on the wire */
		if (result != NULL)
			mailimap_fetch_list_free(result);
		g_set_error(error, PD_ERROR, PD_ERROR_PERMFAIL, "more than %" G_GSIZE_FORMAT
			    " bytes (max_message_size)", max);
		return FALSE;
	}
	if (r != MAILIMAP_NO_ERROR) {
		client_error(c, r, "UID FETCH BODY.PEEK[]", error);
		return FALSE;
	}
	if (msg != NULL && msg_static(msg, MAILIMAP_MSG_ATT_BODY_SECTION) != NULL)
		*raw_r = g_byte_array_free_to_bytes(g_steal_pointer(&body));
	mailimap_fetch_list_free(result);
	return TRUE;
}

static gboolean
client_store_flag(PdImapClient *c, struct mailimap_set *set, struct mailimap_flag *flag,
		  const char *what, GError **error)
{
	struct mailimap_flag_list *flags = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *store;
	int r;

	mailimap_flag_list_add(flags, flag);
	store = mailimap_store_att_flags_new_add_flags_silent(flags);
	client_begin(c, CLIENT_BUDGET);
	r = mailimap_uid_store(c->session, set, store);
	mailimap_store_att_flags_free(store);
	if (r != MAILIMAP_NO_ERROR) {
		client_error(c, r, what, error);
		return FALSE;
	}
	return TRUE;
}

/* MOVE or COPY of set to folder; *trycreate_r when the server says the
 * folder is missing. */
static gboolean
client_transfer(PdImapClient *c, struct mailimap_set *set, gboolean move, const char *folder,
		gboolean *trycreate_r, GError **error)
{
	int r;

	*trycreate_r = FALSE;
	client_begin(c, CLIENT_BUDGET);
	r = move ? mailimap_uid_move(c->session, set, folder)
		 : mailimap_uid_copy(c->session, set, folder);
	if (r == MAILIMAP_NO_ERROR)
		return TRUE;
	if (!c->broken && c->session->imap_response_info != NULL &&
	    c->session->imap_response_info->rsp_trycreate) {
		*trycreate_r = TRUE;
		return FALSE;
	}
	client_error(c, r, move ? "UID MOVE" : "UID COPY", error);
	return FALSE;
}

gboolean
pd_imap_client_apply(PdImapClient *c, guint32 uid, PdImapAction action, const char *folder,
		     GError **error)
{
	struct mailimap_set *set;
	gboolean ok = TRUE, trycreate = FALSE;
	int r;

	if (action == PD_IMAP_LEAVE)
		return TRUE;
	if (!client_usable(c, error))
		return FALSE;
	set = mailimap_set_new_single(uid);
	if (action == PD_IMAP_MOVE || action == PD_IMAP_COPY_EXPUNGE) {
		gboolean move = action == PD_IMAP_MOVE;

		ok = client_transfer(c, set, move, folder, &trycreate, error);
		if (!ok && trycreate) {
			client_begin(c, CLIENT_BUDGET);
			r = mailimap_create(c->session, folder);
			if (r != MAILIMAP_NO_ERROR && c->broken)
				client_error(c, r, "CREATE", error);
			else	/* a CREATE refused as "exists" (a race) is fine */
				ok = client_transfer(c, set, move, folder, &trycreate, error);
			if (!ok && trycreate)
				client_error(c, MAILIMAP_ERROR_UID_COPY, "UID COPY", error);
		}
		if (ok && !move) {
			ok = client_store_flag(c, set, mailimap_flag_new_deleted(),
					       "UID STORE +FLAGS (\\Deleted)", error);
			if (ok) {
				client_begin(c, CLIENT_BUDGET);
				r = mailimap_uid_expunge(c->session, set);
				if (r != MAILIMAP_NO_ERROR) {
					client_error(c, r, "UID EXPUNGE", error);
					ok = FALSE;
				}
			}
		}
	} else {
		ok = client_store_flag(c, set, mailimap_flag_new_seen(),
				       "UID STORE +FLAGS (\\Seen)", error);
	}
	mailimap_set_free(set);
	return ok;
}

gboolean
pd_imap_client_can_idle(PdImapClient *c)
{
	return client_has(c, "IDLE");
}

#define IDLE_TAG "pdidle"

/* The stream failed in IDLE: the session is broken; FALSE. */
static gboolean
idle_broken(PdImapClient *c, GError **error)
{
	c->broken = TRUE;
	g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: IDLE: %s", c->host,
		    pd_imap_stream_error(c->stream) != NULL ? pd_imap_stream_error(c->stream)
							    : "the connection failed");
	return FALSE;
}

/* One line of the IDLE exchange into line; FALSE (broken, error set) when
 * the stream fails. */
static gboolean
idle_line(PdImapClient *c, MMAPString *line, GError **error)
{
	if (mailstream_read_line(c->session->imap_stream, line) != NULL)
		return TRUE;
	return idle_broken(c, error);
}

/* What an IDLE line says: 'e' a new message (* N EXISTS), 'b' BYE, 't' our
 * tag's answer (ok_r), '+' the continuation, 0 anything else. */
static int
idle_kind(const char *text, gboolean *ok_r)
{
	const char *p;

	if (text[0] == '+')
		return '+';
	if (g_str_has_prefix(text, IDLE_TAG " ")) {
		*ok_r = g_ascii_strncasecmp(text + strlen(IDLE_TAG " "), "OK", 2) == 0;
		return 't';
	}
	if (!g_str_has_prefix(text, "* "))
		return 0;
	if (g_ascii_strncasecmp(text + 2, "BYE", 3) == 0)
		return 'b';
	for (p = text + 2; g_ascii_isdigit(*p); p++)
		;
	if (p > text + 2 && g_ascii_strncasecmp(p, " EXISTS", 7) == 0)
		return 'e';
	return 0;
}

static void
idle_refused(PdImapClient *c, const char *what, const char *text, GError **error)
{
	g_autofree char *shown = printable(text);

	g_set_error(error, PD_ERROR, PD_ERROR_TEMPFAIL, "%s: %s: %s", c->host, what, shown);
}

static gboolean
idle_send(PdImapClient *c, const char *text, GError **error)
{
	mailstream *s = c->session->imap_stream;

	if (mailstream_write(s, text, strlen(text)) >= 0 && mailstream_flush(s) != -1)
		return TRUE;
	return idle_broken(c, error);
}

/* Read one IDLE line: its kind (idle_kind), -1 after a failure or a BYE
 * (error set, the session broken); *news_r on EXISTS. */
static int
idle_step(PdImapClient *c, MMAPString *line, gboolean *news_r, gboolean *tag_ok_r,
	  GError **error)
{
	int kind;

	if (!idle_line(c, line, error))
		return -1;
	kind = idle_kind(line->str, tag_ok_r);
	if (kind == 'e')
		*news_r = TRUE;
	if (kind == 'b') {
		c->broken = TRUE;
		idle_refused(c, "the server said goodbye in IDLE", line->str, error);
		return -1;
	}
	return kind;
}

/* idle_step until a line of a kind in until ("+t": the continuation or
 * our tag's answer); that kind, or -1. */
static int
idle_read_until(PdImapClient *c, MMAPString *line, const char *until, gboolean *news_r,
		gboolean *tag_ok_r, GError **error)
{
	for (;;) {
		int kind = idle_step(c, line, news_r, tag_ok_r, error);

		if (kind < 0 || (kind != 0 && strchr(until, kind) != NULL))
			return kind;
	}
}

gboolean
pd_imap_client_idle(PdImapClient *c, guint seconds, gboolean *news_r, GError **error)
{
	MMAPString *line = mmap_string_new("");
	gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
	gboolean ok = FALSE, tag_ok = FALSE;
	int kind = 0;

	*news_r = FALSE;
	if (!client_usable(c, error))
		goto out;
	client_begin(c, CLIENT_BUDGET);
	if (!idle_send(c, IDLE_TAG " IDLE\r\n", error))
		goto out;
	/* up to the continuation: untagged updates may come first (issue 393) */
	kind = idle_read_until(c, line, "+t", news_r, &tag_ok, error);
	if (kind < 0)
		goto out;
	while (kind == '+' && !*news_r) {
		gint64 left = (end - g_get_monotonic_time()) / 1000;
		int ready;

		if (left <= 0)
			break;
		ready = c->session->imap_stream->read_buffer_len > 0 ? 1
			: pd_imap_stream_wait_readable(c->stream, (guint)MIN(left, G_MAXINT));
		if (ready < 0) {
			idle_broken(c, error);
			goto out;
		}
		if (ready == 0)
			break;
		client_begin(c, CLIENT_BUDGET);
		if (idle_step(c, line, news_r, &tag_ok, error) == 't')
			kind = 't';	/* the server ended it: no DONE */
		else if (c->broken)
			goto out;
	}
	if (kind != 't') {
		client_begin(c, CLIENT_BUDGET);
		if (!idle_send(c, "DONE\r\n", error) ||
		    idle_read_until(c, line, "t", news_r, &tag_ok, error) < 0)
			goto out;
	}
	if (!tag_ok)
		idle_refused(c, "IDLE refused", line->str, error);
	ok = tag_ok;
out:
	mmap_string_free(line);
	return ok;
}

gboolean
pd_imap_client_noop(PdImapClient *c, GError **error)
{
	int r;

	if (!client_usable(c, error))
		return FALSE;
	client_begin(c, CLIENT_BUDGET);
	r = mailimap_noop(c->session);
	if (r != MAILIMAP_NO_ERROR) {
		client_error(c, r, "NOOP", error);
		return FALSE;
	}
	return TRUE;
}
