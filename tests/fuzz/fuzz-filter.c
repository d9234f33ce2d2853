/* fuzz-filter: libFuzzer harness running compiled rules over fuzzed mail.
 *
 * The input is a message; it is parsed (pd_mail_parse) and a fixed pair of
 * scripts that use every vnd.postdesk test and the built-in tests that read
 * the message (header decoded and raw, address, envelope, body with every
 * content type, size, spamtest, regex) runs over it.  Checks: no crash, no
 * leak, the outcome's strings valid UTF-8, a disposition that is one of
 * the five.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter/pd-filter.h"
#include "settings/pd-settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char score_script[] =
	"require [\"vnd.postdesk\", \"body\", \"regex\", \"variables\", \"spamtest\","
	" \"relational\", \"comparator-i;ascii-numeric\", \"envelope\", \"imap4flags\"];\n"
	"if header :matches \"subject\" \"*money*\" { score :add 2 \"MONEY\"; }\n"
	"if header :regex \"subject\" \"^(re|fw):\" { score :sub 1 \"REPLY\"; }\n"
	"if address :domain \"from\" [\"gmail.com\", \"yahoo.com\"] { score :add 1 \"FREEMAIL\"; }\n"
	"if body :contains \"unsubscribe\" { score :add 1 \"BULK_BODY\"; }\n"
	"if body :raw :contains \"<script\" { score :add 1 \"SCRIPT\"; }\n"
	"if body :content \"text/html\" :contains \"display:none\" { score :add 1 \"HIDDEN\"; }\n"
	"if body :content \"\" :regex \"[0-9]{16}\" { score :add 1 \"CARD\"; }\n"
	"if fact \"link-host\" :matches \"*.ru\" { score :add 1 \"LINK\"; }\n"
	"if fact \"missing\" \"date\" { score :add 1 \"NO_DATE\"; }\n"
	"if fact \"warning\" :contains \"charset\" { score :add 1 \"CHARSET\"; }\n"
	"if fact \"class\" \"bulk\" { score :add 1 \"CLASS\"; }\n"
	"if anyof (fact \"html-only\" \"yes\", fact \"hidden-text\" \"yes\") { score :add 1 \"HTML\"; }\n"
	"if fact \"attachment-name\" :matches \"*.exe\" { score :add 5 \"EXE\"; }\n"
	"if auth \"dmarc\" \"fail\" { score :add 3 \"DMARC\"; }\n"
	"if size :over 100K { score :add 1 \"BIG\"; }\n"
	"if header :matches \"x-mailer\" \"*\" { set \"m\" \"${1}\"; tag \"${m}\"; }\n";

static const char route_script[] =
	"require [\"vnd.postdesk\", \"fileinto\", \"spamtest\", \"relational\","
	" \"comparator-i;ascii-numeric\", \"reject\"];\n"
	"if spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"8\" { quarantine \"spam\"; }\n"
	"if identity :kind \"holder\" { priority \"high\"; }\n"
	"if identity :permission \"billing\" { queue \"billing\"; }\n"
	"if thread :reply { tag \"reply\"; }\n"
	"if authenticated { noack; }\n"
	"if header :contains \"subject\" \"refund\" { fileinto \"billing\"; category \"refund\"; }\n"
	"if header :contains \"subject\" \"reject me\" { reject \"no\"; }\n";

static void
check(const char *s)
{
	if (s != NULL && !g_utf8_validate(s, -1, NULL))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static PdFilterSet *set;
	static PdConfig *config;
	const char *names[] = { "score.sieve", "route.sieve" };
	const char *texts[] = { score_script, route_script };
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(PdMail) mail = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *json = NULL;
	PdFilterOutcome outcome;
	PdFilterInput input = { 0 };

	if (set == NULL) {
		pd_mail_init();
		set = pd_filter_set_new(names, texts, 2, &error);
		if (set == NULL)
			abort();
		config = pd_config_load_data("[postdesk]\nconfig_version = 1\n"
					     "[queue support]\naddresses = s@example.org\n"
					     "[queue billing]\naddresses = b@example.org\n",
					     pd_settings_tables, &error);
		if (config == NULL)
			abort();
	}
	raw = g_bytes_new(data, size);
	mail = pd_mail_parse(raw, NULL, &error);
	if (mail == NULL)
		return 0;
	input.mail = mail;
	input.raw = raw;
	input.recipient = "s@example.org";
	input.queue = config->queues->pdata[0];
	pd_filter_run(set, config, &input, &outcome);
	if (outcome.disposition > PD_DISPOSITION_DISCARD)
		abort();
	for (guint i = 0; i < outcome.tags->len; i++)
		check(outcome.tags->pdata[i]);
	json = pd_filter_outcome_json(&outcome);
	check(json);
	pd_filter_outcome_clear(&outcome);
	return 0;
}
