/* pd-plan: the [plan NAME] and [category NAME] sections (issue 14,
 * sections 5 and 4).
 *
 * An account's plan (accounts.plan, `postdesk account set NAME --plan P`)
 * names one of these.  What a plan says, as written by the operator:
 *   response_time   words for the acknowledgement, "4 business hours":
 *                   {{ticket.response_time}} of the account's tickets
 *                   (daemon/pd-sender.c fills it when the mail is rendered)
 * Pure configuration, no I/O.  With no [plan] section any plan name is
 * accepted (as before); with one, `account add|set --plan` takes only the
 * configured names.
 */
#ifndef PD_PLAN_H
#define PD_PLAN_H

#include <glib.h>
#include "core/pd-config.h"
#include "core/pd-setting.h"

typedef struct {
	char *name;
	char *response_time;	/* NULL: unset */
} PdPlanConfig;

/* [plan NAME]: a GPtrArray of PdPlanConfig * for pd_config_layer(). */
extern const PdConfigTable pd_plan_table;

/* The plan called name, or NULL. */
const PdPlanConfig *pd_plan_named(const PdConfig *config, const char *name);
/* The configured plan names, "basic, premium"; "" when none. */
char *pd_plan_names(const PdConfig *config);

/* [category NAME] (issue 14, section 4): the categories a ticket may have.
 *   description     words for people (postdesk check-config, the docs)
 * With no [category] section any category name is accepted; with one,
 * `ticket set --category` and an agent's #category take only these. */
typedef struct {
	char *name;
	char *description;	/* NULL: none */
} PdCategoryConfig;

extern const PdConfigTable pd_category_table;

/* TRUE when name may be a ticket's category: any name when none is
 * configured, else one of them.  known_r (may be NULL) gets the configured
 * names, "billing, hardware" ("" when none). */
gboolean pd_category_allowed(const PdConfig *config, const char *name, char **known_r);

#endif
