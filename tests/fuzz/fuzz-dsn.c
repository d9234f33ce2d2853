/* fuzz-dsn: the bounce report parser (pd_dsn_parse) on any bytes.
 * abort()s when a report has no kind, more recipients than the limit, or a
 * recipient whose status is not "D.D.D" or whose reply code is not 0 or
 * 200..599. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mail/pd-dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gboolean init;
	PdDsn *dsn;

	if (!init) {
		g_mime_init();
		init = TRUE;
	}
	dsn = pd_dsn_parse((const char *)data, size);
	if (dsn == NULL)
		return 0;
	if (dsn->kind == PD_DSN_NONE || dsn->recipients->len > PD_DSN_MAX_RECIPIENTS)
		abort();
	for (guint i = 0; i < dsn->recipients->len; i++) {
		PdDsnRecipient *r = dsn->recipients->pdata[i];

		if (r->reply_code != 0 && (r->reply_code < 200 || r->reply_code > 599))
			abort();
		if (r->status != NULL && !g_regex_match_simple("^[245]\\.\\d{1,3}\\.\\d{1,3}$", r->status, 0, 0))
			abort();
	}
	pd_dsn_free(dsn);
	return 0;
}
