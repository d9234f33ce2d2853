/* pd-filter: the operator's filter rules on the mail path.
 *
 * The scripts of [filters] scripts (Sieve, lib/sieve) are compiled once per
 * configuration into a PdFilterSet and run, in order, for each recipient's
 * delivery over the parsed mail (pd-filter-message.c) with the vendor
 * extension vnd.postdesk (pd-filter-postdesk.c: queue, group, priority,
 * category, tag, assign, forward, reply, noack, hold, quarantine, score;
 * the tests authenticated, identity, thread, auth, fact).  The first
 * script conventionally scores (filters/score.sieve), the next ones route
 * (filters/route.sieve) and read the score with spamtest.
 *
 * What the scripts did becomes a PdFilterOutcome: the score and every rule
 * hit, every action in order, and the disposition that pd_filter_decide
 * (pd-filter-decide.c, the one rule) draws from them and the queue's spam
 * thresholds.  A script's run-time error (a bound hit) is logged, its
 * actions are dropped and the mail goes on as if its rules had not
 * matched; the other scripts still run.
 *
 * Owns: the compiled scripts (immutable, shared by every thread).  Never:
 * SQL, sockets, files after loading.
 */
#ifndef PD_FILTER_H
#define PD_FILTER_H

#include <glib.h>
#include "auth/pd-auth.h"
#include "core/pd-config.h"
#include "core/pd-envelope.h"
#include "mail/pd-mail.h"
#include "ticket/pd-identity.h"

/* [filters]: dir (scripts are relative to it; relative to the directory
 * of the configuration file), scripts (run in this order).  [spam]: hold
 * and quarantine (score thresholds; [queue] spam_hold and spam_quarantine
 * override them), quarantine_days (how long quarantined mail is kept). */
typedef struct {
	char *dir;			/* absolute once loaded; NULL: unset */
	GPtrArray *scripts;		/* char *, as written; NULL: none */
} PdFilterSettings;

typedef struct {
	char *hold_text, *quarantine_text;
	double hold, quarantine;	/* of the texts */
	gint64 quarantine_days;		/* seconds */
} PdSpamSettings;

extern const PdConfigTable pd_filter_table;
extern const PdConfigTable pd_spam_table;
const PdFilterSettings *pd_filter_settings(const PdConfig *config);
const PdSpamSettings *pd_spam_settings(const PdConfig *config);

/* The thresholds of queue (its spam_hold, spam_quarantine, else [spam]'s). */
void pd_filter_thresholds(const PdConfig *config, const PdQueueConfig *queue,
			  double *hold_r, double *quarantine_r);

typedef enum {
	PD_DISPOSITION_TICKET,		/* a ticket, as without rules */
	PD_DISPOSITION_HOLD,		/* a ticket, held: no acknowledgement, no notification */
	PD_DISPOSITION_QUARANTINE,	/* no ticket: kept in the quarantine, nothing sent */
	PD_DISPOSITION_REJECT,		/* 550 5.7.1 for this recipient */
	PD_DISPOSITION_DISCARD,		/* accepted (250) and dropped */
} PdDisposition;

const char *pd_disposition_name(PdDisposition disposition);	/* "ticket", ... */

typedef struct {
	char *name;			/* "SPF_FAIL", "rspamd:BAYES_SPAM" */
	double points;
} PdFilterHit;

typedef struct {
	char *action;			/* "queue", "fileinto", "tag", "score", ... */
	char *value;			/* its argument; NULL: none */
	const char *script;		/* the script's name (borrowed from the set) */
	guint line;			/* in the script; 0: implicit */
} PdFilterAction;

typedef struct {
	gboolean ran;			/* a script ran (scripts are configured) */
	double score;
	GPtrArray *hits;		/* PdFilterHit *, in the order they fired */
	GPtrArray *actions;		/* PdFilterAction *, in the order taken */
	GPtrArray *errors;		/* char *: "file:line:col: message" of the runs */
	PdDisposition disposition;
	char *reason;			/* why the disposition; NULL for a plain ticket */
	gboolean protocol_reject;	/* ereject: refuse at the protocol level */
	gboolean by_score;		/* the score decided (hold, quarantine), no rule */
	/* what the ticket gets; NULL / FALSE / empty: the defaults */
	char *queue;			/* queue or fileinto: the last one */
	char *group;			/* the agent group that hears of it */
	char *priority;			/* low, normal, high, urgent */
	char *category;
	char *assign;			/* an agent's address */
	char *reply;			/* the template answered instead of "ack" */
	gboolean noack;
	GPtrArray *tags;		/* char *: tag and imap4flags, each once */
	GPtrArray *forwards;		/* char *: forward and redirect addresses, each once */
} PdFilterOutcome;

void pd_filter_outcome_init(PdFilterOutcome *outcome);
void pd_filter_outcome_clear(PdFilterOutcome *outcome);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PdFilterOutcome, pd_filter_outcome_clear)
/* {"score", "rules": [{"name", "points"}], "actions": [{"action",
 * "value", "script", "line"}], "disposition", "reason", "queue", "group",
 * "priority", "category", "assign", "reply", "noack", "tags", "forwards",
 * "errors"}: for the store and `postdesk test --json`. */
char *pd_filter_outcome_json(const PdFilterOutcome *outcome);
/* "score=7 (SPF_FAIL 3, GTUBE 1000)", for the log line. */
char *pd_filter_outcome_summary(const PdFilterOutcome *outcome);

/* What a run reads besides the message. */
typedef struct {
	const PdMail *mail;
	GBytes *raw;			/* as received (the body test's :raw) */
	const PdEnvelope *envelope;
	const char *recipient;		/* RCPT TO of this delivery */
	const PdQueueConfig *queue;	/* the recipient's */
	const PdAuthResult *auth;	/* NULL: authentication off */
	gboolean from_authenticated;
	const PdIdentityFacts *facts;	/* NULL: none known (or no database) */
	const PdIdentityDecision *identity;	/* NULL: not identified */
	/* thread :new / :reply, asked only when a script tests it: TRUE with
	 * *reply_r set, FALSE when unknown (the test is then false). */
	gboolean (*thread_is_reply)(gpointer user_data, gboolean *reply_r);
	gpointer thread_user_data;
	/* released from the quarantine by an operator: the spam thresholds
	 * and the quarantine action no longer apply */
	gboolean released;
} PdFilterInput;

typedef struct _PdFilterSet PdFilterSet;

/* Compile every script of config's [filters] (none: an empty set that
 * still applies the thresholds).  PD_ERROR_USAGE with every compile error,
 * one "file:line:col: message" per line, when a script is missing or
 * broken. */
PdFilterSet *pd_filter_set_load(const PdConfig *config, GError **error);
/* The same from text in memory (tests, fuzzers): names[i] is the name of
 * texts[i]; n scripts. */
PdFilterSet *pd_filter_set_new(const char *const *names, const char *const *texts, guint n,
			       GError **error);
PdFilterSet *pd_filter_set_ref(PdFilterSet *set);
void pd_filter_set_unref(PdFilterSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdFilterSet, pd_filter_set_unref)
guint pd_filter_set_count(const PdFilterSet *set);

/* Run every script over input, then decide the disposition with the
 * thresholds of config for the queue the mail ends in (config NULL: the
 * defaults, 5 and 10).  Never fails; outcome_r is initialised here. */
void pd_filter_run(const PdFilterSet *set, const PdConfig *config, const PdFilterInput *input,
		   PdFilterOutcome *outcome_r);

/* The disposition rule (pd-filter-decide.c): from what the scripts did
 * (outcome's actions: reject, quarantine, hold, discard, keep) and the
 * score against the thresholds; sets outcome->disposition and ->reason. */
void pd_filter_decide(PdFilterOutcome *outcome, double hold, double quarantine,
		      gboolean released);

/* The spamtest value (RFC 5235) of a score: "1".."10", or "0".."100" with
 * percent, scaled so that the quarantine threshold is 10 (100 %). */
char *pd_filter_spamtest_value(double score, double quarantine, gboolean percent);

#endif
