/* pd-pipeline-auth: the authenticate step, shared by delivery and
 * `postdesk test` (pd-pipeline-auth.c says what it decides and why). */
#ifndef PD_PIPELINE_AUTH_H
#define PD_PIPELINE_AUTH_H

#include <glib.h>
#include "auth/pd-auth.h"
#include "core/pd-config.h"
#include "core/pd-envelope.h"
#include "mail/pd-mail.h"

typedef struct _PdPipelineAuth PdPipelineAuth;

/* The [auth] settings of config (pd_auth_settings) and, unless the mode is
 * off, a PdAuth built from them.  PD_ERROR_USAGE on an unloadable PSL or
 * resolver. */
PdPipelineAuth *pd_pipeline_auth_new(const PdConfig *config, GError **error);
PdPipelineAuth *pd_pipeline_auth_ref(PdPipelineAuth *pa);
void pd_pipeline_auth_unref(PdPipelineAuth *pa);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PdPipelineAuth, pd_pipeline_auth_unref)
PdAuthMode pd_pipeline_auth_mode(const PdPipelineAuth *pa);
/* What the operator must make sure of for the mode to be safe (trust-ar:
 * the MTA removes foreign Authentication-Results), or NULL. */
char *pd_pipeline_auth_advice(const PdPipelineAuth *pa);

typedef struct {
	PdAuthResult *result;		/* NULL: mode off */
	gboolean from_authenticated;	/* the verdict; FALSE when temporary */
	char *results;			/* Authentication-Results value, NULL: off */
	char *json;			/* the whole outcome, for the store and --json */
	char *client_address;		/* what SPF was given, NULL: unknown */
	char *client_helo;
	const char *client_source;	/* "envelope", "received" (trusted relay), "none" */
} PdPipelineAuthOutcome;

/* One check for one message (pa NULL: off): raw as received, mail its
 * parse (the From domain is mail->from's, NULL or an author_doubt: never
 * authenticated).  Never fails. */
void pd_pipeline_authenticate(PdPipelineAuth *pa, const PdEnvelope *envelope, GBytes *raw,
			      const PdMail *mail, PdPipelineAuthOutcome *outcome_r);
void pd_pipeline_auth_outcome_clear(PdPipelineAuthOutcome *outcome);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PdPipelineAuthOutcome, pd_pipeline_auth_outcome_clear)
/* "spf=pass dkim=none dmarc=pass: From domain authenticated" */
char *pd_pipeline_auth_summary(const PdPipelineAuthOutcome *outcome);

#endif
