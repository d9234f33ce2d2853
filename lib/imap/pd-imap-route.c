/* pd-imap-route: a queue-less mailbox's recipient (see the header). */
#include "imap/pd-imap-route.h"
#include "core/pd-header.h"

#include <string.h>

/* address, or the <address> inside a field value, when a queue has it. */
static char *
route_try(const PdConfig *config, const char *text)
{
	g_autofree char *address = NULL;
	const char *lt = strchr(text, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		address = g_strstrip(g_strndup(lt + 1, gt - lt - 1));
	else
		address = g_strstrip(g_strdup(text));
	if (*address == '\0' || pd_config_queue_for(config, address, NULL) == NULL)
		return NULL;
	return g_steal_pointer(&address);
}

static char *
route_field(const PdConfig *config, const guint8 *raw, gsize len, const char *name)
{
	PdHeaderScan scan;
	PdHeaderField field;

	pd_header_scan_init(&scan, (const char *)raw, len);
	while (pd_header_scan_next(&scan, &field)) {
		g_autofree char *value = NULL;
		char *found;

		if (!pd_header_field_is(&field, name))
			continue;
		value = pd_header_field_unfold(&field);
		if (value != NULL && (found = route_try(config, value)) != NULL)
			return found;
	}
	return NULL;
}

static char *
route_list(const PdConfig *config, const GPtrArray *addresses)
{
	for (guint i = 0; addresses != NULL && i < addresses->len; i++) {
		const PdMailAddress *a = addresses->pdata[i];
		char *found;

		if (a->address != NULL && (found = route_try(config, a->address)) != NULL)
			return found;
	}
	return NULL;
}

char *
pd_imap_route(const PdConfig *config, const guint8 *raw, gsize len, const PdMail *mail)
{
	char *found = route_field(config, raw, len, "Delivered-To");

	if (found == NULL)
		found = route_field(config, raw, len, "X-Original-To");
	if (found == NULL && mail != NULL)
		found = route_list(config, mail->to);
	if (found == NULL && mail != NULL)
		found = route_list(config, mail->cc);
	return found;
}
