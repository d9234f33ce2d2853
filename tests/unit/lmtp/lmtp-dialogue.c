/* lmtp-dialogue: run a dialogue against the engine and compare it exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lmtp-dialogue.h"

static const char *
nz(const char *s)
{
	return s != NULL ? s : "-";
}

char *
envelope_describe(const PdEnvelope *envelope)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "from=<%s> rcpt=", nz(envelope->mail_from));
	for (guint i = 0; i < envelope->recipients->len; i++)
		g_string_append_printf(s, "%s<%s>", i > 0 ? "," : "",
				       (const char *)envelope->recipients->pdata[i]);
	g_string_append_printf(s, " name=%s addr=%s helo=%s proto=%s lhlo=%s size=%" G_GINT64_FORMAT
			       " 8bit=%d", nz(envelope->client_name), nz(envelope->client_address),
			       nz(envelope->client_helo), nz(envelope->protocol),
			       nz(envelope->lhlo_name), envelope->size_hint, envelope->body_8bit);
	return g_string_free(s, FALSE);
}

static gboolean
local_is(const char *address, const char *local)
{
	return g_str_has_prefix(address, local) && address[strlen(local)] == '@';
}

static gboolean
cb_mail_from(PdLmtpSession *session, const PdEnvelope *envelope, PdLmtpReply *reply_r,
	     gpointer user_data)
{
	if (!local_is(envelope->mail_from, "blocked"))
		return TRUE;
	pd_lmtp_reply_set(reply_r, 550, "5.7.1 Sender %s blocked", envelope->mail_from);
	return FALSE;
}

static gboolean
cb_rcpt_to(PdLmtpSession *session, const PdEnvelope *envelope, const char *recipient,
	   PdLmtpReply *reply_r, gpointer user_data)
{
	if (local_is(recipient, "unknown")) {
		pd_lmtp_reply_set(reply_r, 550, "5.1.1 <%s>: User unknown", recipient);
		return FALSE;
	}
	return !local_is(recipient, "broken");
}

static void
cb_data(PdLmtpSession *session, const PdEnvelope *envelope, GBytes *message,
	PdLmtpReply *replies_r, gpointer user_data)
{
	DialogueResult *r = user_data;

	g_ptr_array_add(r->messages, g_bytes_ref(message));
	g_ptr_array_add(r->envelopes, envelope_describe(envelope));
	for (guint i = 0; i < envelope->recipients->len; i++) {
		const char *rcpt = envelope->recipients->pdata[i];

		if (local_is(rcpt, "fail"))
			continue;
		if (local_is(rcpt, "defer"))
			pd_lmtp_reply_set_line(&replies_r[i], "451 4.3.0 Try again later");
		else
			pd_lmtp_reply_set(&replies_r[i], 250, "2.0.0 <%s> Ok", rcpt);
	}
}

static const PdLmtpCallbacks callbacks = {
	.mail_from = cb_mail_from,
	.rcpt_to = cb_rcpt_to,
	.data = cb_data,
};

const PdLmtpCallbacks *
dialogue_callbacks(void)
{
	return &callbacks;
}

PdLmtpSettings
dialogue_settings(guint flags)
{
	PdLmtpSettings settings = {
		.hostname = HOST,
		.max_line_length = (flags & F_SMALL_LINES) ? 32 : 512,
		.max_message_size = MAX_MESSAGE,
		.max_recipients = MAX_RCPT,
		.xforward_allowed = !(flags & F_NO_XFORWARD),
	};
	return settings;
}

void
dialogue_run(const Dialogue *d, gsize chunk, DialogueResult *r)
{
	PdLmtpSettings settings = dialogue_settings(d->flags);
	gsize len = d->input_len != 0 ? d->input_len : strlen(d->input);
	g_autoptr(GString) greeting = g_string_new(NULL);

	r->out = g_string_new(NULL);
	r->messages = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	r->envelopes = g_ptr_array_new_with_free_func(g_free);
	r->session = pd_lmtp_session_new(&settings, &callbacks, r);
	pd_lmtp_session_greeting(r->session, greeting);
	assert_string_equal(greeting->str, "220 " HOST " LMTP postdesk ready\r\n");
	r->status = PD_LMTP_CONTINUE;
	for (gsize off = 0; off < len;) {
		gsize n = chunk == 0 ? len - off : MIN(chunk, len - off);
		PdLmtpStatus status = pd_lmtp_session_input(r->session, d->input + off, n, r->out);

		/* Once closed, always closed. */
		if (r->status == PD_LMTP_CLOSE)
			assert_int_equal(status, PD_LMTP_CLOSE);
		r->status = status;
		off += n;
	}
}

void
dialogue_result_clear(DialogueResult *r)
{
	g_string_free(r->out, TRUE);
	g_ptr_array_unref(r->messages);
	g_ptr_array_unref(r->envelopes);
	pd_lmtp_session_free(r->session);
}

static void
expect_bytes(const char *name, gsize chunk, const char *what, const char *got, gsize got_len,
	     const char *want, gsize want_len)
{
	g_autofree char *g_raw = NULL, *w_raw = NULL, *g = NULL, *w = NULL;

	if (got_len == want_len && (got_len == 0 || memcmp(got, want, got_len) == 0))
		return;
	g_raw = g_strndup(got != NULL ? got : "", got_len);
	w_raw = g_strndup(want, want_len);
	g = g_strescape(g_raw, NULL);
	w = g_strescape(w_raw, NULL);
	print_error("%s (chunk %zu): %s differs\n  got:  %s\n  want: %s\n", name, chunk, what, g, w);
	fail();
}

void
dialogue_check(const Dialogue *d)
{
	static const gsize chunks[] = { 0, 1, 7 };

	for (guint c = 0; c < G_N_ELEMENTS(chunks); c++) {
		DialogueResult r;

		dialogue_run(d, chunks[c], &r);
		expect_bytes(d->name, chunks[c], "output", r.out->str, r.out->len, d->output,
			     strlen(d->output));
		if (d->data_calls >= 0 && (int)r.messages->len != d->data_calls) {
			print_error("%s (chunk %zu): %u data calls, want %d\n", d->name, chunks[c],
				    r.messages->len, d->data_calls);
			fail();
		}
		if (d->message != NULL) {
			gsize n;
			const char *m;

			assert_true(r.messages->len > 0);
			m = g_bytes_get_data(r.messages->pdata[0], &n);
			expect_bytes(d->name, chunks[c], "message", m, n, d->message,
				     d->message_len != 0 ? d->message_len : strlen(d->message));
		}
		if (d->envelope != NULL) {
			const char *e;

			assert_true(r.envelopes->len > 0);
			e = r.envelopes->pdata[0];
			expect_bytes(d->name, chunks[c], "envelope", e, strlen(e), d->envelope,
				     strlen(d->envelope));
		}
		dialogue_result_clear(&r);
	}
}

void
dialogue_check_table(const Dialogue *table, gsize n)
{
	for (gsize i = 0; i < n; i++)
		dialogue_check(&table[i]);
}
