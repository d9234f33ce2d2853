/* lmtp-dialogue: the harness of the LMTP engine's table-driven tests.
 *
 * A dialogue is input bytes and the exact bytes the engine must answer
 * (greeting excluded).  dialogue_check() runs it whole, one byte at a time
 * and in 7-byte chunks, and wants the same output, the same messages and
 * the same envelopes each time.  The callbacks decide by local part:
 * RCPT unknown@ -> 550 5.1.1, broken@ -> no reply (451); MAIL from
 * blocked@ -> 550 5.7.1; DATA fail@ -> no reply (451), defer@ -> 451 4.3.0,
 * anyone else -> "250 2.0.0 <rcpt> Ok".
 */
#ifndef LMTP_DIALOGUE_H
#define LMTP_DIALOGUE_H

#include <glib.h>
#include "lmtp/pd-lmtp.h"

/* The tables leave the trailing Dialogue fields out (zero: not checked). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define HOST "lmtp.test"
#define MAX_MESSAGE 200
#define MAX_RCPT 3

/* Literal with its length, for bytes that hold NUL. */
#define BYTES(s) s, sizeof(s) - 1

enum {
	F_NO_XFORWARD = 1 << 0,	/* xforward_allowed = FALSE */
	F_SMALL_LINES = 1 << 1,	/* max_line_length = 32 */
};

typedef struct {
	const char *name;
	guint flags;
	const char *input;
	gsize input_len;		/* 0: strlen(input) */
	const char *output;
	int data_calls;			/* expected data() calls; -1: any */
	const char *message;		/* first message's bytes, NULL: not checked */
	gsize message_len;
	const char *envelope;		/* first data() envelope, see dialogue.c */
} Dialogue;

typedef struct {
	GString *out;
	GPtrArray *messages;		/* GBytes */
	GPtrArray *envelopes;		/* char *: envelope_describe() */
	PdLmtpStatus status;
	PdLmtpSession *session;
} DialogueResult;

PdLmtpSettings dialogue_settings(guint flags);
const PdLmtpCallbacks *dialogue_callbacks(void);

/* chunk 0: the whole input in one call. */
void dialogue_run(const Dialogue *d, gsize chunk, DialogueResult *r);
void dialogue_result_clear(DialogueResult *r);
void dialogue_check(const Dialogue *d);
void dialogue_check_table(const Dialogue *table, gsize n);

/* "from=<a> rcpt=<b>,<c> name=N addr=A helo=H proto=P lhlo=L size=S 8bit=0" */
char *envelope_describe(const PdEnvelope *envelope);

#endif
