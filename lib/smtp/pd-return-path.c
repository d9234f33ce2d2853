/* pd-return-path: the rule "which MAIL FROM a mail of ours goes out with"
 * (issue 16, section 1; table: tests/unit/smtp/test-return-path.c).
 *
 * With [outbound] bounce_address set, every mail postdesk sends (every
 * kind, automatic replies too) leaves from a signed bounce address,
 * "bounces+b-TOKEN@example.com", whose token names the outbound row and
 * the recipient (lib/ticket/pd-token.h): a DSN that comes back names the
 * exact mail that failed, and nobody can forge one that fails an address.
 * RFC 3834 3.3 lets an automatic response use a return path that only a
 * bounce processor reads; ours (the pipeline's bounce step) never answers
 * anything, so no loop can start there.
 * Without bounce_address the row's queued envelope sender stands: the
 * null sender for automatic replies, the from address for a relayed
 * agent answer (sql/functions/agent.sql).  Pure: no I/O.
 */
#include "pd-outbound.h"

#include "core/pd-address.h"

char *
pd_return_path_decide(const PdReturnPathFacts *facts, const char **why_r)
{
	g_autofree char *signed_address = NULL;
	const char *queued = facts->queued != NULL ? facts->queued : "";
	const char *why;

	if (facts->bounce_base == NULL || facts->keys == NULL) {
		why = *queued == '\0' ? "no bounce_address: the null sender"
				      : "no bounce_address: the sender the row was queued with";
	} else if (facts->outbound_id <= 0) {
		why = "not an outbound row: the sender it was queued with";
	} else if ((signed_address = pd_token_bounce_address(facts->keys, facts->bounce_base,
							     facts->outbound_id, facts->recipient,
							     NULL)) == NULL) {
		why = "recipient not an address: the sender it was queued with";
	} else {
		if (why_r != NULL)
			*why_r = "signed bounce address (the row and its recipient)";
		return g_steal_pointer(&signed_address);
	}
	if (why_r != NULL)
		*why_r = why;
	return g_strdup(queued);
}
