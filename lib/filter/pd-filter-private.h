/* pd-filter-private: what the pd-filter files share. */
#ifndef PD_FILTER_PRIVATE_H
#define PD_FILTER_PRIVATE_H

#include "pd-filter.h"
#include "sieve/pd-sieve.h"

/* One run of one script: the message the script reads, and where its
 * vnd.postdesk actions go until the run is known to have succeeded. */
typedef struct {
	PdSieveMessage message;		/* first: the script's PdSieveMessage */
	const PdFilterInput *input;
	const char *script;		/* its name */
	double quarantine;		/* for spamtest */
	double score;			/* so far, this run's score actions included */
	GPtrArray *hits;		/* PdFilterHit *: this run's */
	GPtrArray *actions;		/* PdFilterAction *: this run's */
	char *spamtest;			/* the last spamtest value given out */
	/* the body test's views, made valid UTF-8 once per run (a script
	 * has many body tests, an attachment may be large) */
	char *raw_body;
	GPtrArray *part_text;		/* char *, per attachment; NULL: not made yet */
} PdFilterRun;

void pd_filter_run_init(PdFilterRun *run, const PdFilterInput *input, const char *script,
			double score, double quarantine);
void pd_filter_run_clear(PdFilterRun *run);

PdFilterAction *pd_filter_action_new(const char *action, const char *value, const char *script,
				     guint line);
void pd_filter_action_free(gpointer action);
PdFilterHit *pd_filter_hit_new(const char *name, double points);
void pd_filter_hit_free(gpointer hit);

/* The vnd.postdesk extension (pd-filter-postdesk.c). */
extern const PdSieveExtension pd_filter_postdesk;

/* The values of `fact KEY` (pd-filter-message.c): appended to values
 * (char *); FALSE for an unknown key (a compile-time error already). */
gboolean pd_filter_fact_values(const PdFilterInput *input, const char *key, GPtrArray *values);
extern const char *const pd_filter_fact_keys[];

#endif
