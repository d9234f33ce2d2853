/* fuzz-token: libFuzzer harness for the token verifiers (lib/ticket/
 * pd-token.c), which read what a peer chooses: the envelope recipient
 * (support+t-TOKEN@, bounces+b-TOKEN@), Message-IDs (pd.TOKEN@) and the
 * path of the customer's page (/t/TOKEN).
 *
 * The input is "ADDRESS\nSENDER": every verifier gets it, with and without
 * the sender.  Besides memory errors it checks the promises: a verdict is
 * one of the enum's, only an authentic verdict carries a ticket or serial,
 * and nothing the fuzzer makes verifies as VALID under keys it cannot know
 * (a MAC of 80 bits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ticket/pd-token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PdTokenKeys *
keys(void)
{
	static PdTokenKeys *k;

	if (k == NULL) {
		const char *secrets[] = { "fuzz-token-secret-0123456789", "fuzz-token-retired-abcdefgh",
					  NULL };

		k = pd_token_keys_new(secrets, NULL);
	}
	return k;
}

static void
check(PdTokenVerdict verdict, const PdTokenInfo *info)
{
	if (verdict > PD_TOKEN_EXPIRED)
		abort();
	if ((verdict == PD_TOKEN_ABSENT || verdict == PD_TOKEN_MALFORMED ||
	     verdict == PD_TOKEN_FORGED || verdict == PD_TOKEN_EXPIRED) &&
	    (info->ticket_id != 0 || info->serial != 0))
		abort();
	/* the harness's keys are secret to the fuzzer: nothing verifies */
	if (verdict == PD_TOKEN_VALID || verdict == PD_TOKEN_WRONG_PURPOSE ||
	    verdict == PD_TOKEN_OTHER_ADDRESS || verdict == PD_TOKEN_OTHER_RECIPIENT ||
	    verdict == PD_TOKEN_EXPIRED)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	char *nl = strchr(text, '\n');
	const char *sender = NULL;
	PdTokenInfo info;

	if (nl != NULL) {
		*nl = '\0';
		sender = nl + 1;
	}
	check(pd_token_verify_reply_address(keys(), text, sender, &info), &info);
	check(pd_token_verify_message_id(keys(), text, sender, &info), &info);
	check(pd_token_verify_bounce_address(keys(), text, sender, &info), &info);
	check(pd_token_verify_bounce_address(keys(), text, NULL, &info), &info);
	check(pd_token_verify_page(keys(), text, 0, &info), &info);
	check(pd_token_verify_page(keys(), text, G_MAXINT64 / 2, &info), &info);
	g_free(text);
	return 0;
}
