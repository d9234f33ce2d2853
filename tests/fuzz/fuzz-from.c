/* fuzz-from: a differential harness for "one From, read one way" (issue 8,
 * item 1) and the Received/From header scanner of the pipeline's auth step
 * (issue 17).
 *
 * Each input is a message.  It is parsed by pd_mail_parse, by a plain
 * GMime parser of its own, and split by the raw header scanner
 * (core/pd-header.h); then run through pd_pipeline_authenticate in verify
 * mode against a static zone (no DNS) where 192.0.2.1 may send for
 * acme.test and evil.test: with the client address from the envelope
 * (first byte even) or from a trusted relay's Received header (odd).
 *
 * abort()s when:
 *   - the raw scanner and GMime disagree on which fields are named From
 *     while pd-mail saw no doubt in the author;
 *   - the author is not in doubt but the From domains differ: raw scan's
 *     one From field, GMime's own parse, and mail->from (the identity);
 *   - the verdict is "authenticated" while the author is in doubt, or the
 *     DMARC From domain is not the identity's domain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "settings/pd-settings.h"
#include "core/pd-header.h"
#include "mail/pd-mail.h"
#include "pipeline/pd-pipeline-auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PdPipelineAuth *
fuzz_auth(void)
{
	static PdPipelineAuth *auth;

	if (auth == NULL) {
		char zone[] = "/tmp/fuzz-from-zone-XXXXXX";
		int fd = mkstemp(zone);
		static const char records[] =
			"acme.test TXT v=spf1 ip4:192.0.2.1 -all\n"
			"evil.test TXT v=spf1 ip4:192.0.2.1 -all\n"
			"_dmarc.acme.test TXT v=DMARC1; p=reject\n";
		g_autofree char *text = NULL;
		g_autoptr(GError) error = NULL;
		PdConfig *config;

		if (fd < 0 || write(fd, records, sizeof(records) - 1) != sizeof(records) - 1)
			abort();
		close(fd);
		text = g_strdup_printf("[postdesk]\nconfig_version = 1\n[auth]\nmode = verify\nauthserv_id = fuzz.test\n"
				       "zone_file = %s\ntrusted_relays = mx.fuzz.test\n"
				       "[queue support]\naddresses = support@example.com\n", zone);
		config = pd_config_load_data(text, pd_settings_tables, &error);
		if (config == NULL || (auth = pd_pipeline_auth_new(config, &error)) == NULL)
			g_error("fuzz-from: %s", error->message);
		pd_config_unref(config);
		unlink(zone);
	}
	return auth;
}

static char *
domain_of(const char *address)
{
	const char *at = address != NULL ? strrchr(address, '@') : NULL;

	return at != NULL && at[1] != '\0' ? g_ascii_strdown(at + 1, -1) : NULL;
}

/* GMime's options as pd-mail sets them (lib/mail/pd-mail.c): the domain
 * compared is the one the identity gets, not another reading of it. */
static GMimeParserOptions *
fuzz_options(void)
{
	static const char *fallback[] = { "UTF-8", "windows-1252", NULL };
	static GMimeParserOptions *options;

	if (options == NULL) {
		options = g_mime_parser_options_new();
		g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_parameter_compliance_mode(options,
								    GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
		g_mime_parser_options_set_allow_addresses_without_domain(options, TRUE);
		g_mime_parser_options_set_fallback_charsets(options, fallback);
	}
	return options;
}

/* The first mailbox of a list, groups flattened (as pd-mail takes it). */
static InternetAddressMailbox *
first_mailbox(InternetAddressList *list)
{
	for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		InternetAddressMailbox *mb = NULL;

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return INTERNET_ADDRESS_MAILBOX(ia);
		if (INTERNET_ADDRESS_IS_GROUP(ia) &&
		    (mb = first_mailbox(internet_address_group_get_members(
			     INTERNET_ADDRESS_GROUP(ia)))) != NULL)
			return mb;
	}
	return NULL;
}

/* The domain of the first mailbox of a From value, parsed by GMime. */
static char *
value_domain(const char *value)
{
	InternetAddressList *list = internet_address_list_parse(fuzz_options(), value);
	InternetAddressMailbox *mb = first_mailbox(list);
	char *domain = mb != NULL ? domain_of(internet_address_mailbox_get_addr(mb)) : NULL;

	g_clear_object(&list);
	return domain;
}

/* GMime on its own: the From fields of its top-level header list. */
static guint
gmime_from(const uint8_t *data, size_t size, char **domain_r)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data, size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *message = g_mime_parser_construct_message(parser, fuzz_options());
	guint count = 0;

	*domain_r = NULL;
	if (message != NULL) {
		GMimeHeaderList *headers = g_mime_object_get_header_list(GMIME_OBJECT(message));

		for (int i = 0; i < g_mime_header_list_get_count(headers); i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(h), "From") != 0)
				continue;
			if (count++ == 0)
				*domain_r = value_domain(g_mime_header_get_raw_value(h));
		}
		g_object_unref(message);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return count;
}

/* The raw scanner: its valid From fields; *domain_r from the first. */
static guint
raw_from(const uint8_t *data, size_t size, char **domain_r)
{
	PdHeaderScan scan;
	PdHeaderField field;
	guint count = 0;

	*domain_r = NULL;
	pd_header_scan_init(&scan, (const char *)data, size);
	while (pd_header_scan_next(&scan, &field)) {
		if (pd_header_field_is(&field, "From") && count++ == 0) {
			g_autofree char *value = pd_header_field_unfold(&field);

			*domain_r = value_domain(value);
		}
	}
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) raw = g_bytes_new(data, size);
	g_autoptr(PdMail) mail = NULL;
	g_autoptr(PdEnvelope) envelope = pd_envelope_new("fuzz");
	g_auto(PdPipelineAuthOutcome) outcome = { 0 };
	g_autofree char *raw_domain = NULL;
	g_autofree char *gmime_domain = NULL;
	g_autofree char *mail_domain = NULL;
	guint raw_count, gmime_count;

	pd_mail_init();
	mail = pd_mail_parse(raw, NULL, NULL);
	raw_count = raw_from(data, size, &raw_domain);
	gmime_count = gmime_from(data, size, &gmime_domain);
	mail_domain = domain_of(mail->from.address);
	/* (a NUL: GMime on its own reads a header value as a C string, and
	 * pd-mail guards such a header block first, so only pd-mail's own
	 * check applies) */
	if (mail->author_doubt == NULL && memchr(data, '\0', size) == NULL) {
		if (raw_count != 1 || gmime_count != 1 ||
		    pd_header_count_like((const char *)data, size, "From", 100) != 1)
			abort();
		if (g_strcmp0(raw_domain, gmime_domain) != 0 ||
		    g_strcmp0(gmime_domain, mail_domain) != 0)
			abort();
	}

	envelope->mail_from = g_strdup("x@acme.test");
	if (size > 0 && (data[0] & 1) == 0) {
		envelope->client_address = g_strdup("192.0.2.1");
		envelope->client_helo = g_strdup("mail.acme.test");
	}
	pd_pipeline_authenticate(fuzz_auth(), envelope, raw, mail, &outcome);
	if (mail_domain != NULL && g_str_has_suffix(mail_domain, "."))
		mail_domain[strlen(mail_domain) - 1] = '\0';	/* as the DMARC step writes it */
	if (outcome.from_authenticated &&
	    (mail->author_doubt != NULL || outcome.result == NULL ||
	     g_strcmp0(outcome.result->from_domain, mail_domain) != 0))
		abort();
	return 0;
}
