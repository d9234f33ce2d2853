/* fuzz-imap: libFuzzer harness for what we do with an IMAP server's bytes.
 *
 * libetpan parses the protocol; the input is the whole server side of the
 * fetcher's session (tests/unit/imap/imap-script.h: greeting, CAPABILITY,
 * LOGIN, SELECT, UID SEARCH, UID FETCH RFC822.SIZE and BODY.PEEK[], MOVE)
 * through our memory stream, so our layer's handling of every answer
 * (pd-imap-client.c: UIDVALIDITY, the search result, the UID match, the
 * body handler and its limit, TRYCREATE, the byte budget) runs on it, and
 * the fetched bytes then go through pd_imap_return_path.  Besides memory
 * errors it checks the promises: a fetched body never exceeds the limit,
 * UIDs come ascending, an error has a message, and it ends (the stream
 * ends with an error, never a 0-byte read).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/pd-imap-message.h"
#include "../unit/imap/imap-script.c"

#define FUZZ_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libetpan 1.9.4's parser leaks what it had read when a response turns out
 * malformed half-way (a BYE greeting; a bad BODY[section]; an untagged
 * SEARCH before a tagged line it cannot parse: each found here).  Those
 * are upstream's error paths: allocations inside libetpan are not
 * reported; ours (GLib's allocator) still are. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libetpan.so\n";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ImapScriptResult r;
	char *path;

	imap_script_run(data, size, FUZZ_MAX, &r);
	if (r.fetched && r.raw_len > FUZZ_MAX)
		abort();
	if (r.error != NULL && (r.error->message == NULL || r.error->message[0] == '\0'))
		abort();
	if (r.applied && !r.fetched)
		abort();
	if (r.fetched) {
		path = pd_imap_return_path((const guint8 *)r.raw, r.raw_len);
		if (path != NULL && strlen(path) > PD_IMAP_MAX_PATH)
			abort();
		g_free(path);
	}
	path = pd_imap_return_path(data, size);
	if (path != NULL && (strlen(path) > PD_IMAP_MAX_PATH || strchr(path, '>') != NULL))
		abort();
	g_free(path);
	imap_script_result_clear(&r);
	return 0;
}
