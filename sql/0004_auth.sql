-- 0004_auth: sender authentication results on every inbound message (issue 3).
--
-- The authenticate step (lib/pipeline/pd-pipeline-auth.c) runs once per
-- message; each stored copy (one per recipient) records its outcome:
--   auth_results        the Authentication-Results value (RFC 8601) that
--                       lib/auth wrote, e.g. "postdesk; spf=pass
--                       smtp.mailfrom=... ; dkim=none; dmarc=pass ..."
--   spf_result, dkim_result, dmarc_result   the three results (dkim: the
--                       first signature's, "none" without one)
--   from_authenticated  the verdict: the From domain is authenticated
--                       (aligned SPF or DKIM pass, never on a temporary
--                       failure).  NULL: authentication was off.
--   auth                the whole outcome (mode, client address and where it
--                       came from, every DKIM signature, DMARC policy, notes)
-- and one "sender.authenticated" event carries the same object.

ALTER TABLE messages
	ADD COLUMN auth_results text,
	ADD COLUMN spf_result text,
	ADD COLUMN dkim_result text,
	ADD COLUMN dmarc_result text,
	ADD COLUMN from_authenticated boolean,
	ADD COLUMN auth jsonb;

-- Called in the delivery statement, after pd_deliver_inbound (same
-- transaction).  A duplicate delivery writes nothing.
CREATE FUNCTION pd_message_auth(p_ticket_id bigint, p_message_row bigint,
				p_duplicate boolean, p_auth jsonb)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
	IF p_auth IS NULL OR p_duplicate OR p_message_row IS NULL THEN
		RETURN false;
	END IF;
	UPDATE messages
	   SET auth = p_auth,
	       auth_results = p_auth->>'results',
	       spf_result = p_auth->'spf'->>'result',
	       dkim_result = CASE WHEN p_auth->>'mode' = 'off' THEN NULL
				  ELSE coalesce(p_auth->'dkim'->0->>'result', 'none') END,
	       dmarc_result = p_auth->'dmarc'->>'result',
	       from_authenticated = CASE WHEN p_auth->>'mode' = 'off' THEN NULL
					 ELSE (p_auth->>'from_authenticated')::boolean END
	 WHERE id = p_message_row;
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (p_ticket_id, p_message_row, 'sender.authenticated', p_auth);
	RETURN true;
END
$$;
