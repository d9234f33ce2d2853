/* pd-filter-postdesk: the vendor extension vnd.postdesk (postdesk-rules(7)).
 *
 * Actions (each recorded as a PdFilterAction of the run; the last queue,
 * group, priority, category, assign and reply win; tags and forwards add
 * up):
 *   queue "NAME"            the ticket's queue (a configured one)
 *   group "NAME"            the agent group that hears of the ticket
 *   priority "low"|"normal"|"high"|"urgent"
 *   category "NAME"
 *   tag "NAME"
 *   assign "agent@example.com"
 *   forward "address"       the ticket's mail sent on, as the queue's forward_to
 *   reply "TEMPLATE"        this template answers instead of the acknowledgement
 *   noack                   no acknowledgement
 *   hold                    a ticket, held for an operator
 *   quarantine "REASON"     no ticket: kept in the quarantine
 *   score :add N "RULE"     the message's score rises by N (:sub N lowers it)
 * Tests:
 *   authenticated                         the From domain is authenticated
 *   identity :kind|:permission|:plan|:account [MATCH] <keys>
 *       who the sender is, only when authenticated and in good standing
 *       (otherwise kind "unknown" and nothing else): kinds agent, holder,
 *       contact (a holder is a contact too), member, unknown
 *   thread :new | :reply                  a new ticket or a reply to one
 *   auth "spf"|"dkim"|"dmarc"|"dmarc-policy" [MATCH] <keys>
 *       the results of sender authentication ("none" when it is off)
 *   fact "KEY" [MATCH] <keys>             the parser's facts: class,
 *       warning, html-only, hidden-text, link-host, attachment-type,
 *       attachment-name, missing (pd-filter-message.c)
 * A wrong value (an unknown queue or priority, an unknown fact) is a
 * run-time error of the script: its actions are dropped.
 */
#include "pd-filter-private.h"

#include <string.h>

static PdFilterRun *
postdesk_run(PdSieveCall *call)
{
	return (PdFilterRun *) pd_sieve_call_message(call);
}

static void
postdesk_record(PdSieveCall *call, const char *action, const char *value)
{
	PdFilterRun *run = postdesk_run(call);

	g_ptr_array_add(run->actions, pd_filter_action_new(action, value, run->script,
							   pd_sieve_call_line(call)));
}

/* Argument index of the call, expanded; NULL (a run error) when it is not
 * valid UTF-8: bytes of an 8-bit header matched into a variable must not
 * reach tags, outbound mail or PostgreSQL text (*bad_r TRUE then). */
static char *
postdesk_string(PdSieveCall *call, const char *action, gboolean *bad_r)
{
	char *value = pd_sieve_call_string(call, 0);

	*bad_r = FALSE;
	if (value != NULL && !g_utf8_validate(value, -1, NULL)) {
		pd_sieve_call_error(call, "%s: the value is not valid UTF-8", action);
		g_free(value);
		*bad_r = TRUE;
		return NULL;
	}
	return value;
}

static gboolean
postdesk_name_ok(const char *value)
{
	if (value == NULL || value[0] == '\0' || strlen(value) > 64)
		return FALSE;
	for (const char *p = value; *p != '\0'; p++)
		if (g_ascii_isspace(*p) || g_ascii_iscntrl(*p))
			return FALSE;
	return TRUE;
}

/* queue, group, category, tag, reply: a name; assign, forward: an address */
static gboolean
run_named(PdSieveCall *call, const char *action)
{
	gboolean bad;
	g_autofree char *value = postdesk_string(call, action, &bad);

	if (bad)
		return TRUE;
	if (strcmp(action, "assign") == 0 || strcmp(action, "forward") == 0) {
		const char *at = value != NULL ? strrchr(value, '@') : NULL;

		if (at == NULL || at == value || at[1] == '\0' || strlen(value) > 254 ||
		    strpbrk(value, " \t\r\n<>,;\"") != NULL) {
			pd_sieve_call_error(call, "%s: \"%s\" is not a mail address", action,
					    value != NULL ? value : "");
			return TRUE;
		}
	} else if (!postdesk_name_ok(value)) {
		pd_sieve_call_error(call, "%s: \"%s\" is not a name (1 to 64 characters, no blanks)",
				    action, value != NULL ? value : "");
		return TRUE;
	}
	postdesk_record(call, action, value);
	return TRUE;
}

static gboolean run_queue(PdSieveCall *call, gpointer u) { return run_named(call, "queue"); }
static gboolean run_group(PdSieveCall *call, gpointer u) { return run_named(call, "group"); }
static gboolean run_category(PdSieveCall *call, gpointer u) { return run_named(call, "category"); }
static gboolean run_tag(PdSieveCall *call, gpointer u) { return run_named(call, "tag"); }
static gboolean run_reply(PdSieveCall *call, gpointer u) { return run_named(call, "reply"); }
static gboolean run_assign(PdSieveCall *call, gpointer u) { return run_named(call, "assign"); }
static gboolean run_forward(PdSieveCall *call, gpointer u) { return run_named(call, "forward"); }

static gboolean
run_priority(PdSieveCall *call, gpointer user_data)
{
	static const char *const priorities[] = { "low", "normal", "high", "urgent", NULL };
	g_autofree char *value = pd_sieve_call_string(call, 0);

	if (value == NULL || !g_strv_contains(priorities, value)) {
		pd_sieve_call_error(call, "priority: \"%s\" is none of low, normal, high, urgent",
				    value != NULL ? value : "");
		return TRUE;
	}
	postdesk_record(call, "priority", value);
	return TRUE;
}

static gboolean
run_noack(PdSieveCall *call, gpointer user_data)
{
	postdesk_record(call, "noack", NULL);
	return TRUE;
}

static gboolean
run_hold(PdSieveCall *call, gpointer user_data)
{
	postdesk_record(call, "hold", NULL);
	return TRUE;
}

static gboolean
run_quarantine(PdSieveCall *call, gpointer user_data)
{
	gboolean bad = FALSE;
	g_autofree char *reason = pd_sieve_call_positional(call) > 0 ?
				  postdesk_string(call, "quarantine", &bad) : NULL;

	if (!bad)
		postdesk_record(call, "quarantine", reason);
	return TRUE;
}

/* Rule names are what operators grep logs for: letters, digits, _ - : . */
static gboolean
postdesk_rule_name_ok(const char *name)
{
	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return FALSE;
	for (const char *p = name; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("_-:.", *p) == NULL)
			return FALSE;
	return TRUE;
}

static gboolean
run_score(PdSieveCall *call, gpointer user_data)
{
	PdFilterRun *run = postdesk_run(call);
	gboolean bad;
	g_autofree char *name = postdesk_string(call, "score", &bad);
	guint64 points = 0;
	double delta;
	gboolean add = pd_sieve_call_tag_number(call, "add", &points);

	if (bad)
		return TRUE;
	if (!add && !pd_sieve_call_tag_number(call, "sub", &points)) {
		pd_sieve_call_error(call, "score needs :add N or :sub N");
		return TRUE;
	}
	if (!postdesk_rule_name_ok(name)) {
		pd_sieve_call_error(call, "score: \"%s\" is not a rule name (letters, digits, _-:.)",
				    name != NULL ? name : "");
		return TRUE;
	}
	if (points > 100000) {
		pd_sieve_call_error(call, "score: %" G_GUINT64_FORMAT " points is too many", points);
		return TRUE;
	}
	delta = add ? (double) points : -(double) points;
	run->score += delta;
	g_ptr_array_add(run->hits, pd_filter_hit_new(name, delta));
	{
		g_autofree char *value = g_strdup_printf("%s %+g", name, delta);

		postdesk_record(call, "score", value);
	}
	return TRUE;
}

static gboolean
run_authenticated(PdSieveCall *call, gpointer user_data)
{
	return postdesk_run(call)->input->from_authenticated;
}

/* The account of the identity: its name and plan from the facts. */
static void
identity_account(const PdFilterInput *input, const char **name_r, const char **plan_r)
{
	const PdIdentityDecision *d = input->identity;
	const PdIdentityFacts *f = input->facts;

	*name_r = NULL;
	*plan_r = NULL;
	if (d == NULL || f == NULL || d->account_id == 0)
		return;
	for (guint i = 0; i < f->contacts->len; i++) {
		const PdContactFacts *c = f->contacts->pdata[i];

		if (c->account_id == d->account_id) {
			*name_r = c->account_name;
			*plan_r = c->account_plan;
			return;
		}
	}
	if (f->member_account_id == d->account_id) {
		*name_r = f->member_account_name;
		*plan_r = f->member_account_plan;
	}
}

static const PdContactFacts *
identity_contact(const PdFilterInput *input)
{
	const PdIdentityDecision *d = input->identity;

	if (d == NULL || input->facts == NULL || d->contact_id == 0)
		return NULL;
	for (guint i = 0; i < input->facts->contacts->len; i++) {
		const PdContactFacts *c = input->facts->contacts->pdata[i];

		if (c->id == d->contact_id)
			return c;
	}
	return NULL;
}

static gboolean
run_identity(PdSieveCall *call, gpointer user_data)
{
	const PdFilterInput *input = postdesk_run(call)->input;
	const PdIdentityDecision *d = input->identity;
	gboolean known = d != NULL && d->privileged;
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	const PdContactFacts *contact = known ? identity_contact(input) : NULL;
	const char *account = NULL, *plan = NULL;

	if (known)
		identity_account(input, &account, &plan);
	if (pd_sieve_call_has_tag(call, "kind")) {
		if (!known) {
			g_ptr_array_add(values, g_strdup("unknown"));
		} else if (d->kind == PD_REQUESTER_CONTACT) {
			if (contact != NULL && contact->primary)
				g_ptr_array_add(values, g_strdup("holder"));
			g_ptr_array_add(values, g_strdup("contact"));
		} else {
			g_ptr_array_add(values, g_strdup(pd_requester_kind_name(d->kind)));
		}
	} else if (pd_sieve_call_has_tag(call, "permission")) {
		if (contact != NULL && contact->permissions != NULL)
			for (char **p = contact->permissions; *p != NULL; p++)
				g_ptr_array_add(values, g_strdup(*p));
	} else if (pd_sieve_call_has_tag(call, "plan")) {
		if (plan != NULL)
			g_ptr_array_add(values, g_strdup(plan));
	} else if (pd_sieve_call_has_tag(call, "account")) {
		if (account != NULL)
			g_ptr_array_add(values, g_strdup(account));
	} else {
		pd_sieve_call_error(call, "identity needs one of :kind :permission :plan :account");
		return FALSE;
	}
	return pd_sieve_call_match(call, values, 0);
}

static gboolean
run_thread(PdSieveCall *call, gpointer user_data)
{
	const PdFilterInput *input = postdesk_run(call)->input;
	gboolean want_reply = pd_sieve_call_has_tag(call, "reply");
	gboolean reply = FALSE;

	if (want_reply == pd_sieve_call_has_tag(call, "new")) {
		pd_sieve_call_error(call, "thread needs :new or :reply");
		return FALSE;
	}
	if (input->thread_is_reply == NULL ||
	    !input->thread_is_reply(input->thread_user_data, &reply))
		return FALSE;
	return reply == want_reply;
}

static gboolean
run_auth(PdSieveCall *call, gpointer user_data)
{
	const PdAuthResult *auth = postdesk_run(call)->input->auth;
	g_autofree char *method = pd_sieve_call_string(call, 0);
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

	if (g_strcmp0(method, "spf") == 0) {
		g_ptr_array_add(values, g_strdup(auth != NULL ? pd_auth_status_name(auth->spf)
						 : "none"));
	} else if (g_strcmp0(method, "dkim") == 0) {
		if (auth == NULL || auth->dkim == NULL || auth->dkim->len == 0)
			g_ptr_array_add(values, g_strdup("none"));
		else
			for (guint i = 0; i < auth->dkim->len; i++) {
				const PdDkimSignature *sig = auth->dkim->pdata[i];

				g_ptr_array_add(values, g_strdup(pd_auth_status_name(sig->status)));
			}
	} else if (g_strcmp0(method, "dmarc") == 0) {
		g_ptr_array_add(values, g_strdup(auth != NULL ? pd_auth_status_name(auth->dmarc)
						 : "none"));
	} else if (g_strcmp0(method, "dmarc-policy") == 0) {
		g_ptr_array_add(values, g_strdup(auth != NULL ?
						 pd_dmarc_policy_name(auth->dmarc_policy) : "none"));
	} else {
		pd_sieve_call_error(call, "auth: \"%s\" is none of spf, dkim, dmarc, dmarc-policy",
				    method != NULL ? method : "");
		return FALSE;
	}
	return pd_sieve_call_match(call, values, 1);
}

static gboolean
run_fact(PdSieveCall *call, gpointer user_data)
{
	const PdFilterInput *input = postdesk_run(call)->input;
	g_autofree char *key = pd_sieve_call_string(call, 0);
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);

	if (key == NULL || !pd_filter_fact_values(input, key, values)) {
		g_autofree char *known = g_strjoinv(", ", (char **) pd_filter_fact_keys);

		pd_sieve_call_error(call, "fact: \"%s\" is none of %s", key != NULL ? key : "",
				    known);
		return FALSE;
	}
	return pd_sieve_call_match(call, values, 1);
}

static const char *const score_tags[] = { "add=N", "sub=N", NULL };
static const char *const identity_tags[] = { "kind", "permission", "plan", "account", NULL };
static const char *const thread_tags[] = { "new", "reply", NULL };

#define MATCH (PD_SIEVE_TAGS_MATCH | PD_SIEVE_TAGS_COMPARATOR)

static const PdSieveCommand postdesk_commands[] = {
	{ "queue", FALSE, "S", 0, NULL, FALSE, run_queue },
	{ "group", FALSE, "S", 0, NULL, FALSE, run_group },
	{ "priority", FALSE, "S", 0, NULL, FALSE, run_priority },
	{ "category", FALSE, "S", 0, NULL, FALSE, run_category },
	{ "tag", FALSE, "S", 0, NULL, FALSE, run_tag },
	{ "assign", FALSE, "S", 0, NULL, FALSE, run_assign },
	{ "forward", FALSE, "S", 0, NULL, FALSE, run_forward },
	{ "reply", FALSE, "S", 0, NULL, FALSE, run_reply },
	{ "noack", FALSE, "", 0, NULL, FALSE, run_noack },
	{ "hold", FALSE, "", 0, NULL, FALSE, run_hold },
	{ "quarantine", FALSE, "s", 0, NULL, FALSE, run_quarantine },
	{ "score", FALSE, "S", 0, score_tags, FALSE, run_score },
	{ "authenticated", TRUE, "", 0, NULL, FALSE, run_authenticated },
	{ "identity", TRUE, "L", MATCH, identity_tags, FALSE, run_identity },
	{ "thread", TRUE, "", 0, thread_tags, FALSE, run_thread },
	{ "auth", TRUE, "SL", MATCH, NULL, FALSE, run_auth },
	{ "fact", TRUE, "SL", MATCH, NULL, FALSE, run_fact },
};

const PdSieveExtension pd_filter_postdesk = {
	"vnd.postdesk", postdesk_commands, G_N_ELEMENTS(postdesk_commands), NULL,
};
