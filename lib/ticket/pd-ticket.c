/* pd-ticket: idempotency keys, thread candidates, subject tags. */
#include "pd-ticket.h"

#include <string.h>

char *
pd_ticket_idempotency_key(const char *queue, const PdMail *mail)
{
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	const char *mid = mail->message_id != NULL ? mail->message_id : "";

	/* Lengths prefix each field so no two tuples hash the same bytes;
	 * "queue " names what the first field is. */
	g_autofree char *head = g_strdup_printf("queue %zu:%s|%zu:%s|", strlen(queue), queue,
						strlen(mid), mid);
	g_checksum_update(sum, (const guchar *)head, strlen(head));
	/* Without a Message-ID the body alone would merge two different short
	 * mails ("thanks!"); a redelivery repeats the very same bytes, so the
	 * hash of the whole message identifies it then. */
	if (mail->message_id != NULL)
		g_checksum_update(sum, (const guchar *)mail->body_sha256, strlen(mail->body_sha256));
	else
		g_checksum_update(sum, (const guchar *)mail->raw_sha256, strlen(mail->raw_sha256));
	return g_strdup(g_checksum_get_string(sum));
}

GPtrArray *
pd_ticket_thread_candidates(const PdMail *mail, guint max)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

#define ADD(id)	do { \
		const char *id_ = (id); \
		if (id_ != NULL && *id_ != '\0' && ids->len < max && \
		    !g_hash_table_contains(seen, id_)) { \
			g_hash_table_add(seen, (gpointer)id_); \
			g_ptr_array_add(ids, g_strdup(id_)); \
		} \
	} while (0)

	ADD(mail->in_reply_to);
	if (mail->references != NULL)
		for (guint i = mail->references->len; i > 0; i--)
			ADD(mail->references->pdata[i - 1]);
#undef ADD
	return ids;
}

char *
pd_ticket_subject_tag(gint64 number)
{
	return g_strdup_printf("[#%" G_GINT64_FORMAT "]", number);
}

gint64
pd_ticket_subject_number(const char *subject)
{
	const char *p = subject;

	while (p != NULL && (p = strstr(p, "[#")) != NULL) {
		char *end;
		guint64 n;

		p += 2;
		if (!g_ascii_isdigit(*p))
			continue;
		n = g_ascii_strtoull(p, &end, 10);
		if (*end == ']' && n > 0 && n < G_MAXINT64 && end - p <= 18)
			return (gint64)n;
	}
	return 0;
}
