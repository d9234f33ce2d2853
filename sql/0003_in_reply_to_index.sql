-- 0003_in_reply_to_index: the messages that answer a given Message-ID, for
-- the threading rule "a stored reply to this mail" (pd_thread_decide, step
-- 4, sql/functions/thread.sql): a reply delivered before the mail it
-- answers keeps them in one ticket.  Only messages that have an In-Reply-To.
CREATE INDEX messages_in_reply_to_idx ON messages (in_reply_to) WHERE in_reply_to IS NOT NULL;
