-- 0012_agent_once: an agent's answer acts once, however many of our
-- addresses it was sent to (issue 4 item 5).
--
-- A mail reaches postdesk once per recipient (one delivery transaction
-- each: pd_pipeline_deliver).  An agent who writes to the token address
-- and Cc help@ (another address of ours; support+t-TOKEN@ and support@
-- itself are one canonical recipient, so one idempotency key: a duplicate)
-- would otherwise have the same answer applied and relayed twice: the
-- customer would get it twice and a #priority or #close would be written
-- twice.
-- Now the second copy (same Message-ID, same ticket, already stored as an
-- agent's answer or note) is stored, marked as the agent's, and does
-- nothing else; an "agent.refused" event says why.  A mail without a
-- Message-ID cannot be recognized and acts each time (RFC 5322 makes it
-- optional; every mail client sets one).

ALTER FUNCTION pd_agent_answer(bigint, bigint, boolean, boolean, jsonb, jsonb)
	RENAME TO pd_agent_answer_0010;

CREATE FUNCTION pd_agent_answer(p_ticket_id bigint, p_message_row bigint,
				p_new_ticket boolean, p_duplicate boolean,
				p_identity jsonb, p_answer jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_first bigint;
BEGIN
	IF p_answer IS NOT NULL AND p_identity IS NOT NULL AND NOT p_duplicate AND
	   NOT p_new_ticket AND p_ticket_id IS NOT NULL AND
	   coalesce((p_identity->>'agent_action')::boolean, false) THEN
		SELECT o.id INTO v_first
		  FROM messages m JOIN messages o ON o.ticket_id = m.ticket_id
					AND o.message_id = m.message_id AND o.id <> m.id
		 WHERE m.id = p_message_row AND o.kind IN ('agent', 'note')
		 ORDER BY o.id LIMIT 1;
		IF v_first IS NOT NULL THEN
			UPDATE messages m SET kind = o.kind, agent_id = o.agent_id
			  FROM messages o
			 WHERE m.id = p_message_row AND o.id = v_first;
			INSERT INTO events (ticket_id, message_row, kind, detail)
			VALUES (p_ticket_id, p_message_row, 'agent.refused',
				jsonb_build_object('why', 'the same answer reached this ticket '
							  || 'through another of our addresses; it '
							  || 'acted then',
						   'agent_id', (p_identity->>'agent_id')::bigint,
						   'first_message_row', v_first,
						   'commands_ignored',
						   jsonb_array_length(coalesce(p_answer->'commands', '[]')),
						   'relayed', false));
			RETURN 0;
		END IF;
	END IF;
	RETURN pd_agent_answer_0010(p_ticket_id, p_message_row, p_new_ticket, p_duplicate,
				    p_identity, p_answer);
END
$$;
