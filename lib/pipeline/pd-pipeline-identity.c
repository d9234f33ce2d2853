/* pd-pipeline-identity: the identify step (issue 3) for the mail path and
 * for `postdesk test`.
 *
 * From canonical address -> facts (one store query on the delivery's own
 * connection) -> pd_identity_decide() with the authentication verdict and
 * the recipient's queue.  A mail without a usable From is an unknown sender.
 */
#include "pd-pipeline-private.h"
#include "core/pd-address.h"
#include "store/pd-store-identity.h"

gboolean
pd_pipeline_identify(PdStore *store, const PdConfig *config, const PdQueueConfig *queue,
		     const PdMail *mail, gboolean from_authenticated, PdIdentityFacts **facts_r,
		     PdIdentityDecision *decision_r, GError **error)
{
	g_autoptr(PdIdentityFacts) facts = NULL;
	g_autofree char *from = NULL;

	if (mail->from.address != NULL)
		from = pd_address_canonicalize(mail->from.address, config->recipient_delimiter);
	if (from != NULL && !pd_store_identity_facts(store, from, &facts, error))
		return FALSE;
	pd_identity_decide(facts, from_authenticated, queue, decision_r);
	if (facts_r != NULL)
		*facts_r = g_steal_pointer(&facts);
	return TRUE;
}
