-- 0006_imap: the state of each IMAP mailbox postdeskd reads (issue 13).
--
-- One row per [imap NAME] section that was ever fetched:
--   uidvalidity   the folder's UIDVALIDITY when last_uid was taken (NULL:
--                 not selected yet).  Another value on the server means the
--                 UIDs were renumbered: last_uid starts again from 0 and the
--                 idempotency keys absorb what was already stored.
--   last_uid      every message up to this UID was delivered (or refused)
--                 and its server-side action carried out
--   holder        the daemon that last took the mailbox's advisory lock
--                 ("host:pid"); whether it still holds it is pg_locks'
--                 business (pd_imap_status)
--   last_error    the last failure of a pass, NULL after a good pass
-- The functions are in sql/functions/imap.sql.
CREATE TABLE imap_mailboxes (
	mailbox		text PRIMARY KEY CHECK (mailbox ~ '^[^[:space:][:cntrl:]]{1,200}$'),
	uidvalidity	bigint CHECK (uidvalidity BETWEEN 1 AND 4294967295),
	last_uid	bigint NOT NULL DEFAULT 0 CHECK (last_uid BETWEEN 0 AND 4294967295),
	holder		text,
	held_since	timestamptz,
	last_error	text,
	last_error_at	timestamptz,
	updated_at	timestamptz NOT NULL DEFAULT now()
);
