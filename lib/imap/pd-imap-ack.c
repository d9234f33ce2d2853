/* pd-imap-ack: the after-delivery action rule (see pd-imap-ack.h). */
#include "imap/pd-imap-ack.h"

#include <stddef.h>

PdImapAction
pd_imap_ack_decide(PdImapOutcome outcome, PdImapCaps caps, const char *target,
                   const char **folder)
{
	bool has_target = target != NULL && target[0] != '\0';

	*folder = NULL;
	/* A transient failure never touches the message: it stays where it is
	 * and the next pass fetches it again. */
	if (outcome == PD_IMAP_OUTCOME_TRANSIENT)
		return PD_IMAP_LEAVE;
	/* Delivered or permanently failed: the message leaves the folder the
	 * fetcher reads, by the best means the server offers.  Without a
	 * folder to put it in, or without MOVE/UIDPLUS (a plain EXPUNGE could
	 * remove messages other clients flagged), \Seen plus the stored last
	 * UID keep it from being fetched again. */
	if (!has_target)
		return PD_IMAP_SEEN;
	if (caps.move) {
		*folder = target;
		return PD_IMAP_MOVE;
	}
	if (caps.uidplus) {
		*folder = target;
		return PD_IMAP_COPY_EXPUNGE;
	}
	return PD_IMAP_SEEN;
}

const char *
pd_imap_action_name(PdImapAction action)
{
	switch (action) {
	case PD_IMAP_LEAVE: return "leave";
	case PD_IMAP_MOVE: return "move";
	case PD_IMAP_COPY_EXPUNGE: return "copy-expunge";
	case PD_IMAP_SEEN: return "seen";
	}
	return "?";
}
