/* pd-envelope: construction and reset of the envelope. */
#include "pd-envelope.h"

PdEnvelope *
pd_envelope_new(const char *source)
{
	PdEnvelope *envelope = g_new0(PdEnvelope, 1);

	envelope->recipients = g_ptr_array_new_with_free_func(g_free);
	envelope->source = g_strdup(source);
	envelope->size_hint = -1;
	envelope->client_trusted = TRUE;
	return envelope;
}

void
pd_envelope_reset(PdEnvelope *envelope)
{
	g_clear_pointer(&envelope->mail_from, g_free);
	g_ptr_array_set_size(envelope->recipients, 0);
	envelope->size_hint = -1;
	envelope->body_8bit = FALSE;
}

void
pd_envelope_add_recipient(PdEnvelope *envelope, const char *recipient)
{
	g_ptr_array_add(envelope->recipients, g_strdup(recipient));
}

void
pd_envelope_free(PdEnvelope *envelope)
{
	if (envelope == NULL)
		return;
	g_free(envelope->mail_from);
	g_ptr_array_unref(envelope->recipients);
	g_free(envelope->client_address);
	g_free(envelope->client_name);
	g_free(envelope->client_helo);
	g_free(envelope->protocol);
	g_free(envelope->lhlo_name);
	g_free(envelope->source);
	g_free(envelope);
}
