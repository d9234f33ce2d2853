/* pd-secrets: the configuration's secrets stay with the users who need them.
 *
 * A configuration holds secrets when it has [outbound] token_keys (they
 * sign reply addresses: whoever knows them can join any ticket), [outbound]
 * password, or a [database] conninfo with a password.  Such a file, and
 * every file named as holding a secret ([outbound] password_file,
 * [http] operator_token_file, the conninfo's passfile), must not be
 * readable or writable by every local user (o+r, o+w).  `postdesk check-config` refuses an exposed secret
 * (exit 78); postdeskd says so at warning level at start and on reload.
 * Reads file modes only, never a secret's value beyond spotting it.
 */
#ifndef PD_SECRETS_H
#define PD_SECRETS_H

#include <glib.h>
#include "pd-config.h"

/* TRUE if a libpq connection string carries a password: a password
 * keyword ("password=x", "password = 'x'"), or a URI with user:password@
 * or ?password=. */
gboolean pd_secrets_conninfo_has_password(const char *conninfo);

/* "[outbound] token_keys, [database] conninfo password": the secrets the
 * file holds, NULL when none. */
char *pd_secrets_in_keyfile(GKeyFile *keyfile);

/* FALSE with PD_ERROR_USAGE naming the first exposed secret: the config
 * file (config->path; a config loaded from memory has none) or a secret
 * file, and its mode.  A file that cannot be read is someone else's error. */
gboolean pd_secrets_check(const PdConfig *config, GError **error);

#endif
