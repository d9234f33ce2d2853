/* Unit tests for lib/lmtp: the memory a message takes is asked for first
 * (PdLmtpCallbacks.reserve, issue 8 item 5).  With SIZE= the whole size is
 * asked for at DATA, before 354 (refused: 452 4.3.1, no content read);
 * without it, or past it, as the content grows (refused: the rest is read
 * and dropped, each recipient gets 452 4.3.1).  What was granted is given
 * back once, after the data callback, or when the content is dropped or
 * the session ends mid-DATA. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lmtp-dialogue.h"
#include "lmtp-replies.h"

#define NO_MEMORY "452 4.3.1 Insufficient system storage\r\n"

typedef struct {
	gsize grant_up_to;	/* refuse larger requests */
	GArray *asked;		/* gsize: every request */
	gsize held;		/* granted and not given back */
	guint releases;
	guint announced;	/* requests for the SIZE= of MAIL FROM */
	guint data_calls;
	gsize held_at_data;	/* what was held when the data callback ran */
} Memory;

static gboolean
memory_reserve(PdLmtpSession *session, gsize size, gboolean announced, gpointer user_data)
{
	Memory *m = user_data;

	if (announced) {
		assert_int_equal(m->asked->len, 0);	/* SIZE=, at DATA: the first */
		m->announced++;
	}
	g_array_append_val(m->asked, size);
	if (size > m->grant_up_to)
		return FALSE;
	m->held = size;
	return TRUE;
}

static void
memory_release(PdLmtpSession *session, gpointer user_data)
{
	Memory *m = user_data;

	assert_true(m->held > 0);	/* only what was granted */
	m->held = 0;
	m->releases++;
}

static void
memory_data(PdLmtpSession *session, const PdEnvelope *envelope, GBytes *message,
	    PdLmtpReply *replies_r, gpointer user_data)
{
	Memory *m = user_data;

	m->data_calls++;
	m->held_at_data = m->held;
	assert_true(m->held >= g_bytes_get_size(message));
	for (guint i = 0; i < envelope->recipients->len; i++)
		pd_lmtp_reply_set(&replies_r[i], 250, "2.0.0 Ok");
}

static const PdLmtpCallbacks memory_callbacks = {
	.data = memory_data,
	.reserve = memory_reserve,
	.release = memory_release,
};

#define CONTENT_150 "Subject: memory\r\n\r\n" \
	"0123456789012345678901234567890123456789012345678901234567890123456789\r\n" \
	"012345678901234567890123456789012345678901234567890123456\r\n"

static void
test_reserve(void **state)
{
	static const struct {
		const char *name;
		gsize grant_up_to;
		const char *input;
		const char *output;
		guint data_calls, releases;
		gsize first_ask, last_ask;	/* 0: none asked */
		guint announced;
	} cases[] = {
		{ "SIZE granted at DATA", 1000,
		  LHLO "MAIL FROM:<a@example.com> SIZE=100\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
		  "hi\r\n.\r\n",
		  LHLO_REPLY TXN_REPLY OK, 1, 1, 100, 100, 1 },
		{ "SIZE refused at DATA: no 354, the transaction stays", 50,
		  LHLO "MAIL FROM:<a@example.com> SIZE=100\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
		  "RSET\r\n",
		  LHLO_REPLY MAIL_OK RCPT_OK NO_MEMORY OK, 0, 0, 100, 100, 1 },
		{ "content within SIZE asks nothing more", 1000,
		  LHLO "MAIL FROM:<a@example.com> SIZE=150\r\nRCPT TO:<b@example.com>\r\n"
		  "DATA\r\nhi\r\n.\r\n",
		  LHLO_REPLY TXN_REPLY OK, 1, 1, 150, 150, 1 },
		{ "no SIZE: asked as content comes, refused: 452 per recipient", 0,
		  LHLO "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
		  "RCPT TO:<c@example.com>\r\nDATA\r\n" CONTENT_150 ".\r\nNOOP\r\n",
		  LHLO_REPLY MAIL_OK RCPT_OK RCPT_OK GO NO_MEMORY NO_MEMORY OK, 0, 0,
		  MAX_MESSAGE, MAX_MESSAGE, 0 },
		{ "a SIZE that lies: asked again past it", 1000,
		  LHLO "MAIL FROM:<a@example.com> SIZE=10\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
		  CONTENT_150 ".\r\n",
		  LHLO_REPLY TXN_REPLY OK, 1, 1, 10, MAX_MESSAGE, 1 },
		{ "too big: given back, 552", 1000,
		  LHLO "MAIL FROM:<a@example.com> SIZE=100\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
		  CONTENT_150 CONTENT_150 ".\r\n",
		  LHLO_REPLY TXN_REPLY TOO_BIG, 0, 1, 100, MAX_MESSAGE, 1 },
		{ "two transactions: granted and given back each time", 1000,
		  LHLO TXN("a@example.com", "b@example.com") "one\r\n.\r\n"
		  TXN("a@example.com", "b@example.com") "two\r\n.\r\n",
		  LHLO_REPLY TXN_REPLY OK TXN_REPLY OK, 2, 2, MAX_MESSAGE, MAX_MESSAGE, 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		PdLmtpSettings settings = dialogue_settings(0);
		Memory m = { cases[i].grant_up_to, g_array_new(FALSE, FALSE, sizeof(gsize)) };
		g_autoptr(GString) out = g_string_new(NULL);
		PdLmtpSession *s = pd_lmtp_session_new(&settings, &memory_callbacks, &m);

		pd_lmtp_session_input(s, cases[i].input, strlen(cases[i].input), out);
		if (strcmp(out->str, cases[i].output) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", cases[i].name, out->str, cases[i].output);
		assert_int_equal(m.data_calls, cases[i].data_calls);
		assert_int_equal(m.releases, cases[i].releases);
		assert_int_equal(m.held, 0);
		assert_int_equal(m.announced, cases[i].announced);
		if (cases[i].first_ask == 0) {
			assert_int_equal(m.asked->len, 0);
		} else {
			assert_true(m.asked->len > 0);
			assert_int_equal(g_array_index(m.asked, gsize, 0), cases[i].first_ask);
			assert_int_equal(g_array_index(m.asked, gsize, m.asked->len - 1),
					 cases[i].last_ask);
		}
		pd_lmtp_session_free(s);
		assert_int_equal(m.held, 0);
		g_array_unref(m.asked);
	}
}

/* A session that ends in the middle of DATA gives back what it held. */
static void
test_release_on_free(void **state)
{
	static const char input[] = LHLO "MAIL FROM:<a@example.com> SIZE=100\r\n"
				    "RCPT TO:<b@example.com>\r\nDATA\r\nhalf a mes";
	PdLmtpSettings settings = dialogue_settings(0);
	Memory m = { 1000, g_array_new(FALSE, FALSE, sizeof(gsize)) };
	g_autoptr(GString) out = g_string_new(NULL);
	PdLmtpSession *s = pd_lmtp_session_new(&settings, &memory_callbacks, &m);

	pd_lmtp_session_input(s, input, sizeof(input) - 1, out);
	assert_int_equal(m.held, 100);
	pd_lmtp_session_free(s);
	assert_int_equal(m.held, 0);
	assert_int_equal(m.releases, 1);
	assert_int_equal(m.data_calls, 0);
	g_array_unref(m.asked);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_release_on_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
