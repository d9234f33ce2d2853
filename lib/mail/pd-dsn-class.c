/* pd-dsn-class: the rule that calls one failed recipient hard or soft.
 *
 * Hard means "this address does not exist, or its domain does not take
 * mail": the recipient is marked failing and nothing automatic is sent to
 * it for a while.  Everything else that failed (full mailbox, spam filter,
 * policy, blocklist, expired in the queue, a 4xx) is soft: recorded, and
 * the sender's retry goes on.  This follows sisimai's hardbounce flag
 * (userunknown, hostunknown, hasmoved, notaccept).  When in doubt, soft:
 * a live address marked failing loses mail, a dead one kept costs a bounce.
 * Order: success and delay; a 4xx; a full mailbox in the text; words that
 * say the address exists (a blocklist, a rate, spam); a status about the
 * sender (X.1.7, X.1.8); a status about the address (X.1.1, X.1.2, X.1.3,
 * X.1.6, X.1.10, X.4.4); any other specific status (X.2.x: the mailbox
 * exists; X.7.x: policy; ...); for a generic one ("other" X.Y.0 but X.2.0,
 * or none) the text's words.  Table: tests/unit/mail/test-dsn.c. */
#include <string.h>

#include "mail/pd-dsn.h"

/* Diagnostics that say a reason other than "no such address"; checked
 * before the hard ones (a full mailbox "does not accept" mail too). */
static const char *const soft_phrases[] = {
	"spam", "blocked", "blacklist", "block list", "blocklist", "policy", "reputation",
	"rate limit", "too many", "try again later", "temporar", "greylist", "relay access denied",
	"relaying denied", "not permitted to relay", "message too large", "size limit",
	"virus", "timed out", "timeout", "connection refused", "expired", "authenticat",
	"dmarc", "dkim", "spf", "reverse dns", "ptr record", "suspended", "disabled",
	"inactive", "starttls", "sender address rejected",
};

/* Words that say the address exists whatever the status says (sendmail
 * writes Status: 5.1.1 over "5.7.1 IP address blacklisted"); a refusal
 * of our MAIL FROM (our sender, not the recipient); and an "unknown user"
 * answered only after the content was sent (end of DATA: a carrier's
 * content filter speaking, the address took RCPT). */
static const char *const exists_phrases[] = {
	"spam", "blacklist", "block list", "blocklist", "spamhaus", "reputation", "rate limit",
	"too many", "recipient preferences", "virus", "open relay",
	"after mail from", ">>> mail from", "after end of data", "end of data command",
};

/* A full mailbox says "does not accept" too: read before the hard ones. */
static const char *const full_phrases[] = {
	"quota", "mailbox full", "mailbox is full", "over the allowed", "insufficient",
};

static const char *const hard_phrases[] = {
	"user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
	"unknown recipient", "recipient unknown", "invalid recipient", "recipient not found",
	"user not found", "mailbox not found", "address not found", "does not exist",
	"doesn't exist", "no mailbox", "unknown address",
	"invalid address", "no such address", "not a valid mailbox", "unrouteable address",
	"user doesn't have", "address rejected: user", "unknown local part", "unknown or illegal alias",
	"host unknown", "host not found", "domain not found", "no such domain",
	"name or service not known", "domain name not found", "unknown host",
	"has moved", "null mx", "does not accept mail", "not accept any mail",
	"not listed in domino directory", "not listed in public name",
	"recipient name is not recognized", "invalid final delivery userid",
	"no valid recipients", "mailbox unavailable", "domain is not reachable",
	"dns lookup failure", "address rejected.",
};

static gboolean
text_has(const char *lower, const char *const *phrases, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (strstr(lower, phrases[i]) != NULL)
			return TRUE;
	return FALSE;
}

static gboolean
status_is_hard(const char *status)
{
	/* X.1.1 bad mailbox, X.1.2 bad system, X.1.3 bad syntax, X.1.6 moved,
	 * X.1.10 null MX (RFC 7505), X.4.4 unable to route. */
	static const char *const hard[] = { "1.1", "1.2", "1.3", "1.6", "1.10", "4.4" };

	if (status == NULL || status[0] != '5' || status[1] != '.')
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(hard); i++)
		if (strcmp(status + 2, hard[i]) == 0)
			return TRUE;
	return FALSE;
}

/* "Other or undefined" in its subject (RFC 3463: X.Y.0), where servers put
 * any reason and only the words tell: X.0.0, X.1.0, X.3.0, X.4.0, X.5.0,
 * X.6.0, X.7.0 is policy and X.2.0 the mailbox's state (it exists: the
 * carriers' filters answer "550 Unknown user" with it). */
static gboolean
status_is_generic(const char *status)
{
	static const char *const generic[] = { "0.0", "1.0", "3.0", "4.0", "5.0", "6.0" };

	if (status[0] == '\0' || status[1] != '.')
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(generic); i++)
		if (strcmp(status + 2, generic[i]) == 0)
			return TRUE;
	return FALSE;
}

PdDsnKind
pd_dsn_classify(const char *action, const char *status, int reply_code, const char *text)
{
	g_autofree char *lower = text != NULL ? g_ascii_strdown(text, -1) : g_strdup("");

	if (action != NULL && (g_ascii_strcasecmp(action, "delivered") == 0 ||
			       g_ascii_strcasecmp(action, "relayed") == 0 ||
			       g_ascii_strcasecmp(action, "expanded") == 0))
		return PD_DSN_DELIVERED;
	if (action != NULL && g_ascii_strcasecmp(action, "delayed") == 0)
		return PD_DSN_SOFT;
	if (status != NULL && status[0] == '2' && (reply_code == 0 || reply_code / 100 == 2))
		return PD_DSN_DELIVERED;
	if ((status != NULL && status[0] == '4') || reply_code / 100 == 4)
		return PD_DSN_SOFT;
	if (text_has(lower, full_phrases, G_N_ELEMENTS(full_phrases)))
		return PD_DSN_SOFT;
	if (text_has(lower, exists_phrases, G_N_ELEMENTS(exists_phrases)))
		return PD_DSN_SOFT;
	/* X.1.7, X.1.8: our sender address was refused, not the recipient */
	if (status != NULL && (strcmp(status + 1, ".1.7") == 0 || strcmp(status + 1, ".1.8") == 0))
		return PD_DSN_SOFT;
	if (status_is_hard(status))
		return PD_DSN_HARD;
	/* a specific status that is not about the address decides alone */
	if (status != NULL && !status_is_generic(status))
		return PD_DSN_SOFT;
	if (text_has(lower, soft_phrases, G_N_ELEMENTS(soft_phrases)))
		return PD_DSN_SOFT;
	if (text_has(lower, hard_phrases, G_N_ELEMENTS(hard_phrases)))
		return PD_DSN_HARD;
	return PD_DSN_SOFT;
}

const char *
pd_dsn_kind_name(PdDsnKind kind)
{
	switch (kind) {
	case PD_DSN_HARD: return "hard";
	case PD_DSN_SOFT: return "soft";
	case PD_DSN_AUTO_REPLY: return "auto-reply";
	case PD_DSN_FEEDBACK: return "feedback";
	case PD_DSN_DELIVERED: return "delivered";
	case PD_DSN_NONE: break;
	}
	return "none";
}
