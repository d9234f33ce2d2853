/* pd-settings: every layer's settings table, in one list.
 *
 * lib/core loads and validates the configuration file but knows no upper
 * layer; this is the one place that names them all, in the order their
 * finish hooks run (a layer after those it reads: lib/pipeline derives
 * its own addresses from lib/smtp's [outbound]).  postdeskd, postdesk and
 * the tests load with it:
 *   pd_config_load(path, pd_settings_tables, &error)
 *
 * Where each layer's table is:
 *   [postdesk] [database] [lmtp] [limits] [queue NAME]  lib/core/pd-config.c
 *   [outbound] token_keys                               lib/ticket/pd-token.c
 *   [auth]                                              lib/auth/pd-auth-config.c
 *   [outbound] relay, from, templates, retries...       lib/smtp/pd-outbound.c
 *   [outbound] acknowledge, notify_agents, reopen_days  lib/pipeline/pd-pipeline-settings.c
 *   [jobs]                                              lib/jobs/pd-jobs.c
 *   [imap NAME]                                         lib/imap/pd-imap-config.c
 *   [http]                                              lib/http/pd-http-config.c
 */
#ifndef PD_SETTINGS_H
#define PD_SETTINGS_H

#include "core/pd-config.h"

/* NULL-terminated. */
extern const PdConfigTable *const pd_settings_tables[];

#endif
