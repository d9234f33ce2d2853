/* pd-outbound: the [outbound] section of postdesk.conf.
 *
 *   [outbound]
 *   relay = smtp://127.0.0.1:25          ; or smtps://host:465
 *   helo = desk.example.com              ; default: [postdesk] hostname
 *   starttls = no | try | required       ; default no (a loopback Postfix)
 *   tls_verify = yes                     ; certificate and host name
 *   ca_file = /etc/ssl/certs/relay.pem
 *   username = postdesk                  ; AUTH when set
 *   password_file = /etc/postdesk/relay.secret   ; or password = ...
 *   connect_timeout = 30                 ; seconds
 *   reply_timeout = 300                  ; any one SMTP reply (RFC 5321 4.5.3.2)
 *   timeout = 600                        ; the whole transaction
 *   from = Example Support <support@example.com>
 *   reply_address = support@example.com  ; base of support+t-TOKEN@; default: from
 *   bounce_address = postdesk-bounces@example.com   ; MAIL FROM of mail people wrote;
 *                                        ; unset: <> for everything
 *   token_keys = SECRET1, SECRET2        ; first signs; >= 16 bytes each
 *                                        ; (lib/ticket/pd-token.h declares it)
 *   templates = /etc/postdesk/templates
 *   max_attempts = 10          ; transient failures before a mail is failed
 *   retry_delays = 60, 300, 900, 3600, 7200, 14400   ; seconds; last repeats
 *   poll_interval = 5          ; seconds between looks at an idle queue
 *
 * Rows are queued with a return path class: automatic replies
 * (acknowledgement, authorization notice) with the null sender,
 * notifications, welcome and reminder mails with bounce_address when set,
 * relayed agent answers (a person's mail) with bounce_address, else the
 * from address (the pipeline's agent step, sql/functions/agent.sql).
 * When bounce_address is set, the sender sends every one of them from a
 * signed bounce address instead (pd_return_path_decide, the rule in
 * pd-return-path.c), so that bounces come back to postdesk's bounce step.
 * Parsing only: no I/O but password_file.
 */
#ifndef PD_OUTBOUND_H
#define PD_OUTBOUND_H

#include <glib.h>

#include "core/pd-config.h"
#include "smtp/pd-smtp.h"
#include "template/pd-template.h"
#include "ticket/pd-token.h"

#define PD_OUTBOUND_MAX_DELAYS 16

typedef struct {
	gboolean enabled;	/* the file has [outbound] */
	PdSmtpRelay relay;
	char *from;		/* as written */
	char *from_name;	/* may be NULL */
	char *from_address;
	char *reply_text;	/* reply_address as written, NULL: from */
	char *reply_address;	/* token base */
	char *bounce_text;
	char *bounce_address;	/* NULL: null sender for everything */
	char *password_file;
	char *templates_dir;	/* NULL: not configured */
	/* the canned replies (issue 14 section 3): template files NAME.txt
	 * (.html) under DIR[/QUEUE][/LANG], rendered for the ticket into the
	 * relayed answer's {{message.text}}; NULL: none */
	char *replies_dir;
	const PdTokenKeys *token_keys;	/* pd_token_keys_of() */
	/* the sender (postdeskd) */
	guint max_attempts;	/* transient failures before a mail is failed */
	GPtrArray *retry_delays;	/* as written */
	guint delays[PD_OUTBOUND_MAX_DELAYS];	/* seconds; the last repeats */
	guint n_delays;
	guint poll_ms;		/* between looks at an idle queue */
} PdOutboundConfig;

/* The table of the keys above, and its struct; NULL without [outbound]. */
extern const PdConfigTable pd_outbound_table;
const PdOutboundConfig *pd_outbound_config(const PdConfig *config);

/* For `postdesk check-config`: every template in the [outbound] templates
 * folder, all problems in one error (template ones as path:line), and
 * every template a configured feature needs (config->needed_templates:
 * each layer declares those of its features) present for every queue.
 * No [outbound] section: nothing to check, TRUE.
 * templates_r (may be NULL) gets the number of templates loaded. */
gboolean pd_outbound_check(const PdConfig *config, guint *templates_r, GError **error);
/* The needed-templates part of pd_outbound_check for a loaded set (dir
 * names it in the error): every needed template found for every queue (a
 * queue's own folder may hold it; DIR/NAME.txt serves the others), all
 * misses in one PD_ERROR_USAGE. */
gboolean pd_outbound_check_needed(const PdConfig *config, const PdTemplateSet *set,
				  const char *dir, GError **error);

/* The canned replies of [outbound] replies, or NULL: PD_ERROR_NOTFOUND
 * when none are configured, PD_ERROR_USAGE with "path:line: problem"
 * lines when the folder does not load. */
PdTemplateSet *pd_outbound_replies_load(const PdConfig *config, GError **error);
/* The reply name exists for queue (NULL: any configured queue or the
 * folder's own); else FALSE with PD_ERROR_NOTFOUND naming the known ones. */
gboolean pd_outbound_reply_known(const PdConfig *config, const PdTemplateSet *replies,
				 const char *name, const char *queue, GError **error);
/* A canned reply's name: what a template name may be. */
gboolean pd_outbound_reply_name_valid(const char *name);

/* [outbound] acknowledge: who gets an acknowledgement of a new ticket.
 * "all" (the default; "yes" too), "authenticated" (only senders whose From
 * domain is authenticated: nobody can make postdesk mail a stranger by
 * forging the From) or "none" ("no" too).  lib/pipeline declares the key
 * (pd-pipeline-settings.c). */
typedef enum {
	PD_ACKNOWLEDGE_ALL,
	PD_ACKNOWLEDGE_AUTHENTICATED,
	PD_ACKNOWLEDGE_NONE,
} PdAcknowledge;

/* MAIL FROM for a mail: "" (null) for automatic replies, else the bounce
 * address or "". */
const char *pd_outbound_envelope_from(const PdOutboundConfig *config, gboolean auto_reply);

/* The rule (pd-return-path.c): the MAIL FROM outbound row outbound_id
 * is sent with.  bounce_base: [outbound] bounce_address (NULL: unset);
 * keys: [outbound] token_keys; recipient: the row's first recipient;
 * queued: the row's envelope_from ("" null sender). */
typedef struct {
	const char *bounce_base;
	const PdTokenKeys *keys;
	gint64 outbound_id;
	const char *recipient;
	const char *queued;
} PdReturnPathFacts;

/* The address (newly allocated; "" for the null sender); why_r (may be
 * NULL) gets the reason, for the log and the table. */
char *pd_return_path_decide(const PdReturnPathFacts *facts, const char **why_r);

#endif
