/* pd-pipeline-bounce: is this copy a bounce, and of which mail of ours
 * (see pd-pipeline-bounce.h). */
#include "pd-pipeline-bounce.h"
#include "pd-pipeline.h"
#include "core/pd-address.h"
#include "core/pd-log.h"
#include "ticket/pd-ticket.h"
#include "smtp/pd-outbound.h"
#include "ticket/pd-token.h"

#include <string.h>

void
pd_bounce_match_clear(PdBounceMatch *match)
{
	if (match == NULL)
		return;
	g_clear_pointer(&match->dsn, pd_dsn_free);
	g_clear_pointer(&match->matched_by, g_free);
	memset(match, 0, sizeof(*match));
}

/* recipient is bounce_address, with or without a +tag */
static gboolean
is_bounce_address(const PdOutboundConfig *outbound, const char *recipient)
{
	PdAddress addr;
	g_autofree char *base = NULL;

	if (outbound == NULL || outbound->bounce_address == NULL ||
	    !pd_address_parse(recipient, PD_TOKEN_DELIMITER, &addr, NULL))
		return FALSE;
	if (addr.domain != NULL) {
		g_free(addr.subaddress);
		addr.subaddress = NULL;
		base = pd_address_canonical(&addr);
	}
	pd_address_clear(&addr);
	return base != NULL && g_ascii_strcasecmp(base, outbound->bounce_address) == 0;
}

gboolean
pd_pipeline_is_bounce_address(const PdConfig *config, const char *recipient)
{
	return is_bounce_address(pd_outbound_config(config), recipient);
}

/* Worth a look with pd_dsn_parse (a second parse): a report's structure,
 * the null sender, or a mailer daemon's From. */
static gboolean
looks_like_report(const PdEnvelope *envelope, const PdMail *mail)
{
	const char *from = mail->from.address;

	if (mail->class.bounce || envelope->mail_from == NULL || envelope->mail_from[0] == '\0')
		return TRUE;
	return from != NULL && (g_ascii_strncasecmp(from, "mailer-daemon@", 14) == 0 ||
				g_ascii_strncasecmp(from, "postmaster@", 11) == 0);
}

static const char *
first_recipient(const PdDsn *dsn)
{
	for (guint i = 0; dsn != NULL && i < dsn->recipients->len; i++) {
		const PdDsnRecipient *r = dsn->recipients->pdata[i];

		if (r->address != NULL)
			return r->address;
	}
	return NULL;
}

gboolean
pd_pipeline_bounce_match(const PdConfig *config, const PdEnvelope *envelope,
			 const char *recipient, const PdMail *mail, GBytes *raw,
			 PdBounceMatch *match_r)
{
	const PdOutboundConfig *outbound = pd_outbound_config(config);
	const PdTokenKeys *keys = outbound != NULL ? outbound->token_keys : NULL;
	gsize len = 0;
	const char *data;
	PdTokenInfo info;
	PdTokenVerdict verdict;

	memset(match_r, 0, sizeof(*match_r));
	if (keys == NULL)
		return FALSE;	/* no [outbound]: we send nothing, nothing comes back */
	match_r->to_bounce_address = is_bounce_address(outbound, recipient);
	if (!match_r->to_bounce_address && !looks_like_report(envelope, mail))
		return FALSE;
	data = g_bytes_get_data(raw, &len);
	match_r->dsn = pd_dsn_parse(data != NULL ? data : "", len);
	match_r->kind = match_r->dsn != NULL ? pd_dsn_kind_name(match_r->dsn->kind) : "unknown";
	if (match_r->to_bounce_address) {
		/* no recipient check: a DSN reports where the mail ended up
		 * (a forward); the store fails only the row's own recipients */
		verdict = pd_token_verify_bounce_address(keys, recipient, NULL, &info);
		if (verdict == PD_TOKEN_VALID) {
			match_r->outbound_id = info.serial;
			match_r->matched_by = g_strdup("bounce address");
			return TRUE;
		}
		if (verdict != PD_TOKEN_ABSENT) {
			/* a token that does not verify is tampering: no second way in */
			match_r->unmatched = pd_token_verdict_str(verdict);
			return TRUE;
		}
		match_r->unmatched = "no bounce token";
	}
	if (match_r->dsn != NULL && match_r->dsn->kind != PD_DSN_AUTO_REPLY &&
	    match_r->dsn->returned_message_id != NULL) {
		verdict = pd_token_verify_message_id(keys, match_r->dsn->returned_message_id,
						     first_recipient(match_r->dsn), &info);
		/* authentic either way: the recipient a DSN names may be a
		 * forward's; the store checks it against the row */
		if ((verdict == PD_TOKEN_VALID || verdict == PD_TOKEN_OTHER_RECIPIENT) &&
		    info.serial > 0) {
			match_r->outbound_id = info.serial;
			match_r->matched_by = g_strdup_printf("Message-ID <%s>",
							      match_r->dsn->returned_message_id);
			match_r->unmatched = NULL;
			return TRUE;
		}
		if (match_r->unmatched == NULL && verdict != PD_TOKEN_ABSENT)
			match_r->unmatched = pd_token_verdict_str(verdict);
	}
	if (match_r->to_bounce_address)
		return TRUE;	/* recorded, unmatched */
	pd_bounce_match_clear(match_r);
	return FALSE;
}

void
pd_pipeline_bounce_record(const PdConfig *config, const PdEnvelope *envelope,
			  const char *recipient, const PdMail *mail, GBytes *raw,
			  const PdBounceMatch *match, const char *idempotency_key,
			  PdBounceRecord *record_r)
{
	memset(record_r, 0, sizeof(*record_r));
	record_r->recipient = recipient;
	record_r->envelope_from = envelope->mail_from;
	record_r->message_id = mail->message_id;
	record_r->idempotency_key = idempotency_key;
	record_r->kind = match->kind;
	record_r->outbound_id = match->outbound_id;
	record_r->matched_by = match->matched_by;
	record_r->unmatched = match->unmatched;
	record_r->dsn = match->dsn;
	record_r->failing_days = pd_pipeline_settings(config)->failing_days;
	record_r->raw = raw;
}

/* A printable, cut copy of a peer's string for the log. */
static char *
log_text(const char *text)
{
	g_autofree char *cut = g_strndup(text != NULL ? text : "", 200);

	return g_utf8_make_valid(cut, -1);
}

gboolean
pd_pipeline_bounce_deliver(PdStore *store, const PdConfig *config, const PdEnvelope *envelope,
			   const char *recipient, const PdMail *mail, GBytes *raw,
			   const PdBounceMatch *match, gint64 *bounce_id_r, GError **error)
{
	g_autofree char *canonical = pd_address_canonicalize(recipient, NULL);
	g_autofree char *scope = g_strconcat("bounce ", canonical != NULL ? canonical : recipient,
					     NULL);
	g_autofree char *key = pd_ticket_idempotency_key(scope, mail);
	g_autofree char *msgid = log_text(mail->message_id != NULL ? mail->message_id
					  : "no-message-id");
	g_autofree char *from = log_text(envelope->mail_from);
	g_autofree char *to = log_text(recipient);
	g_autoptr(GString) row = g_string_new(NULL);
	PdBounceRecord record;
	PdBounceResult result = { 0 };

	pd_pipeline_bounce_record(config, envelope, recipient, mail, raw, match, key, &record);
	if (!pd_store_bounce_record(store, &record, &result, error))
		return FALSE;
	if (result.outbound_id > 0)
		g_string_printf(row, "outbound=%" G_GINT64_FORMAT " (by %s)", result.outbound_id,
				match->matched_by != NULL ? match->matched_by : "earlier delivery");
	else
		g_string_printf(row, "outbound=none (%s)", match->outbound_id > 0
				? "no such row" : match->unmatched != NULL ? match->unmatched
				: "names no mail of ours");
	if (result.failing != NULL)
		g_string_append_printf(row, ", failing=%s", result.failing);
	if (result.counted != NULL)
		g_string_append_printf(row, ", soft=%s", result.counted);
	pd_log_info("<%s>: from=<%s>, to=<%s>, bounce=%s, %s, status=%s (250 2.0.0 Ok: bounce "
		    "recorded), no ticket", msgid, from, to, match->kind, row->str,
		    result.duplicate ? "delivered (duplicate)" : "delivered");
	*bounce_id_r = result.bounce_id;
	pd_bounce_result_clear(&result);
	return TRUE;
}

static void
bounce_members(PdJson *json, gconstpointer data)
{
	const PdBounceMatch *match = data;

	pd_json_add_string(json, "kind", match->kind);
	pd_store_bounce_recipients_json(json, "recipients", match->dsn);
	if (match->outbound_id > 0)
		pd_json_add_int(json, "outbound_id", match->outbound_id);
	else
		pd_json_add_null(json, "outbound_id");
	pd_json_add_string(json, "matched_by", match->matched_by);
	pd_json_add_string(json, "unmatched", match->unmatched);
}

char *
pd_pipeline_bounce_json(const PdBounceMatch *match)
{
	if (match == NULL)
		return g_strdup("null");
	return pd_json_object(bounce_members, match);
}

char *
pd_pipeline_bounce_summary(const PdBounceMatch *match)
{
	if (match == NULL)
		return g_strdup("no");
	if (match->outbound_id > 0)
		return g_strdup_printf("%s, outbound %" G_GINT64_FORMAT " (by %s): no ticket, no "
				       "acknowledgement", match->kind, match->outbound_id,
				       match->matched_by);
	return g_strdup_printf("%s, no outbound row (%s): no ticket, no acknowledgement",
			       match->kind, match->unmatched != NULL ? match->unmatched
			       : "names none");
}

void
pd_pipeline_bounce_text(GString *out, const PdBounceMatch *match)
{
	for (guint i = 0; match != NULL && match->dsn != NULL && i < match->dsn->recipients->len;
	     i++) {
		const PdDsnRecipient *r = match->dsn->recipients->pdata[i];
		g_autofree char *cut = g_strndup(r->diagnostic != NULL ? r->diagnostic : "", 200);
		g_autofree char *diagnostic = g_utf8_make_valid(cut, -1);
		g_autofree char *address = g_utf8_make_valid(r->address != NULL ? r->address
							     : "(none)", -1);

		g_string_append_printf(out, "  %s: %s", address, pd_dsn_kind_name(r->kind));
		if (r->status != NULL)
			g_string_append_printf(out, " %s", r->status);
		if (r->reply_code > 0)
			g_string_append_printf(out, " (%d)", r->reply_code);
		if (*diagnostic != '\0')
			g_string_append_printf(out, ": %s", diagnostic);
		g_string_append_c(out, '\n');
	}
}
