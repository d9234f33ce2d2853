-- 0008_imap_backlog: how many mails wait in each IMAP mailbox (issue 13).
--
--   backlog      the messages above last_uid in the folder when the fetcher
--                last looked (the UIDs its UID SEARCH found, less those it
--                took since); NULL: never counted
--   backlog_at   when it was counted
-- Written by pd_imap_backlog (sql/functions/imap.sql) at the start of each
-- pass and after each batch; pd_imap_status returns it, so its row type
-- changes: dropped here, created again by the functions.
ALTER TABLE imap_mailboxes
	ADD COLUMN backlog bigint CHECK (backlog >= 0),
	ADD COLUMN backlog_at timestamptz;
DROP FUNCTION IF EXISTS pd_imap_status();
