/* pd-settings: the list of every layer's settings table (pd-settings.h). */
#include "pd-settings.h"
#include "auth/pd-auth.h"
#include "filter/pd-filter.h"
#include "http/pd-http.h"
#include "jobs/pd-jobs.h"
#include "imap/pd-imap-config.h"
#include "pipeline/pd-pipeline.h"
#include "smtp/pd-outbound.h"
#include "ticket/pd-plan.h"
#include "ticket/pd-token.h"

const PdConfigTable *const pd_settings_tables[] = {
	&pd_token_table,
	&pd_auth_table,
	&pd_outbound_table,
	&pd_pipeline_table,
	&pd_filter_table,
	&pd_spam_table,
	&pd_jobs_table,
	&pd_imap_table,
	&pd_http_table,
	&pd_plan_table,
	&pd_category_table,
	NULL,
};
