-- imap: the state of the IMAP mailboxes postdeskd reads (issue 13;
-- table imap_mailboxes, sql/0006_imap.sql).
--
-- Exactly one fetcher per mailbox across every daemon on the database: a
-- fetcher takes the mailbox's session-level advisory lock on a connection
-- of its own (pd_imap_lock) and keeps it while it fetches; if its daemon
-- dies, the connection ends, the lock is released and another daemon's
-- fetcher takes it at its next try.  The writes below refuse to run on a
-- connection that does not hold the lock (SQLSTATE 55P03), so a fetcher
-- that lost it (its connection broke and came back) stops before it acts.
--
-- A pass: pd_imap_begin (UIDVALIDITY seen now -> the last UID done), then
-- per message, after the delivery committed and the server-side action
-- was carried out, pd_imap_advance (or pd_imap_refused for a mail refused
-- for good, with an event); pd_imap_error records why a pass stopped;
-- pd_imap_backlog how many mails still wait (sql/0008_imap_backlog.sql).

-- The advisory lock key of a mailbox.
CREATE OR REPLACE FUNCTION pd_imap_lock_key(p_mailbox text) RETURNS bigint
LANGUAGE sql IMMUTABLE
AS $$
	SELECT hashtextextended('pd-imap:' || p_mailbox, 0)
$$;

-- Whether some session holds the mailbox's lock (p_pid NULL), or session
-- p_pid does.
CREATE OR REPLACE FUNCTION pd_imap_lock_held(p_mailbox text, p_pid integer)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
	SELECT EXISTS (
		SELECT 1 FROM pg_locks l
		 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		   AND l.database = (SELECT oid FROM pg_database
				      WHERE datname = current_database())
		   AND l.classid::bigint = (pd_imap_lock_key(p_mailbox) >> 32) & 4294967295
		   AND l.objid::bigint = pd_imap_lock_key(p_mailbox) & 4294967295
		   AND (p_pid IS NULL OR l.pid = p_pid))
$$;

CREATE OR REPLACE FUNCTION pd_imap_assert_holder(p_mailbox text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	IF NOT pd_imap_lock_held(p_mailbox, pg_backend_pid()) THEN
		RAISE EXCEPTION 'imap %: this session does not hold the mailbox lock', p_mailbox
			USING ERRCODE = '55P03';
	END IF;
END;
$$;

-- Take the mailbox's lock for this session if it is free: true when this
-- session holds it now (and the row names p_holder).  Call it once per
-- connection (a session's advisory locks count up).
CREATE OR REPLACE FUNCTION pd_imap_lock(p_mailbox text, p_holder text) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
	IF NOT pg_try_advisory_lock(pd_imap_lock_key(p_mailbox)) THEN
		RETURN false;
	END IF;
	INSERT INTO imap_mailboxes AS m (mailbox, holder, held_since)
	VALUES (p_mailbox, p_holder, now())
	ON CONFLICT (mailbox) DO UPDATE
	   SET holder = excluded.holder, held_since = excluded.held_since;
	RETURN true;
END;
$$;

-- A pass starts: the folder's UIDVALIDITY now; returns the last UID done
-- under it (0 when it changed or is new: an event records a change).
CREATE OR REPLACE FUNCTION pd_imap_begin(p_mailbox text, p_uidvalidity bigint) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	m imap_mailboxes%ROWTYPE;
BEGIN
	PERFORM pd_imap_assert_holder(p_mailbox);
	SELECT * INTO m FROM imap_mailboxes WHERE mailbox = p_mailbox FOR UPDATE;
	IF m.uidvalidity IS NOT DISTINCT FROM p_uidvalidity THEN
		RETURN m.last_uid;
	END IF;
	IF m.uidvalidity IS NOT NULL THEN
		INSERT INTO events (kind, detail)
		VALUES ('imap.uidvalidity', jsonb_build_object('mailbox', p_mailbox,
			'old', m.uidvalidity, 'new', p_uidvalidity, 'last_uid', m.last_uid));
	END IF;
	UPDATE imap_mailboxes SET uidvalidity = p_uidvalidity, last_uid = 0, updated_at = now()
	 WHERE mailbox = p_mailbox;
	RETURN 0;
END;
$$;

-- Every message up to p_uid is done (under p_uidvalidity); the pass went
-- well so far.
CREATE OR REPLACE FUNCTION pd_imap_advance(p_mailbox text, p_uidvalidity bigint, p_uid bigint)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pd_imap_assert_holder(p_mailbox);
	UPDATE imap_mailboxes
	   SET last_uid = greatest(last_uid, p_uid), last_error = NULL, last_error_at = NULL,
	       updated_at = now()
	 WHERE mailbox = p_mailbox AND uidvalidity = p_uidvalidity;
END;
$$;

-- Message p_uid was refused for good (p_reason: "too big", a parse limit,
-- a rule) and moved to the failed folder or flagged: an event, then as
-- pd_imap_advance.
CREATE OR REPLACE FUNCTION pd_imap_refused(p_mailbox text, p_uidvalidity bigint, p_uid bigint,
					   p_reason text, p_detail jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pd_imap_assert_holder(p_mailbox);
	INSERT INTO events (kind, detail)
	VALUES ('imap.refused', jsonb_build_object('mailbox', p_mailbox, 'uidvalidity',
		p_uidvalidity, 'uid', p_uid, 'reason', p_reason) || coalesce(p_detail, '{}'));
	PERFORM pd_imap_advance(p_mailbox, p_uidvalidity, p_uid);
END;
$$;

-- Why a pass stopped (the message stays on the server).
CREATE OR REPLACE FUNCTION pd_imap_error(p_mailbox text, p_error text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pd_imap_assert_holder(p_mailbox);
	UPDATE imap_mailboxes SET last_error = left(p_error, 1000), last_error_at = now()
	 WHERE mailbox = p_mailbox;
END;
$$;

-- The fetcher counted p_backlog messages above the last UID in the folder
-- (at the start of a pass, then less what it took).
CREATE OR REPLACE FUNCTION pd_imap_backlog(p_mailbox text, p_backlog bigint) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pd_imap_assert_holder(p_mailbox);
	UPDATE imap_mailboxes SET backlog = greatest(p_backlog, 0), backlog_at = now()
	 WHERE mailbox = p_mailbox;
END;
$$;

-- Every mailbox ever fetched, for `postdesk imap status`: holder is NULL
-- unless some session holds the lock now.
CREATE OR REPLACE FUNCTION pd_imap_status()
RETURNS TABLE (mailbox text, uidvalidity bigint, last_uid bigint, holder text,
	       held_since timestamptz, last_error text, last_error_at timestamptz,
	       updated_at timestamptz, backlog bigint, backlog_at timestamptz)
LANGUAGE sql STABLE
AS $$
	SELECT m.mailbox, m.uidvalidity, m.last_uid,
	       CASE WHEN pd_imap_lock_held(m.mailbox, NULL) THEN m.holder END,
	       CASE WHEN pd_imap_lock_held(m.mailbox, NULL) THEN m.held_since END,
	       m.last_error, m.last_error_at, m.updated_at, m.backlog, m.backlog_at
	  FROM imap_mailboxes m
	 ORDER BY m.mailbox
$$;
