-- 0015_relay_attachments: a relayed agent answer carries the agent's
-- attachments (issue 4).
--
-- Which parts: every attachment of the agent's mail except an inline part
-- with a Content-ID, which is what a mail client makes of an image shown in
-- the HTML body or the signature (multipart/related, cid: URLs) and is not
-- meant as a file for the customer.  So Content-Disposition: attachment is
-- relayed, and so is an inline part without a Content-ID (Apple Mail marks
-- dropped-in files inline).  The notification the agent answers is not
-- re-attached by a reply, so nothing of ours comes back this way.
--
-- How much: p_answer->>'attachments_max' (the pipeline's [outbound]
-- relay_attachments_max, decoded bytes; absent: none).  The attachments are
-- taken in their order while their total fits; one that does not fit is
-- left out, named in the template value "attachments.left_out" (the
-- agent-reply template says so to the customer) and in one
-- "relay.attachments_left_out" event; it stays in the ticket.
--
-- outbound.attachments: [{"sha256", "filename", "content_type"}], read by
-- the sender (pd_store_outbound_attachments) and rendered as base64 parts
-- of a multipart/mixed.  A note (#note) is never relayed, so carries none.

ALTER TABLE outbound ADD COLUMN attachments jsonb;

ALTER FUNCTION pd_agent_answer(bigint, bigint, boolean, boolean, jsonb, jsonb)
	RENAME TO pd_agent_answer_0012;

CREATE FUNCTION pd_agent_answer(p_ticket_id bigint, p_message_row bigint,
				p_new_ticket boolean, p_duplicate boolean,
				p_identity jsonb, p_answer jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_relayed integer;
	v_max bigint := coalesce((p_answer->>'attachments_max')::bigint, 0);
	v_total bigint := 0;
	v_sent jsonb := '[]';
	v_left jsonb := '[]';
	v_names text[] := '{}';
	v_att record;
BEGIN
	v_relayed := pd_agent_answer_0012(p_ticket_id, p_message_row, p_new_ticket,
					  p_duplicate, p_identity, p_answer);
	IF coalesce(v_relayed, 0) = 0 THEN
		RETURN v_relayed;
	END IF;
	FOR v_att IN
		SELECT ma.filename, ma.content_type, a.sha256, a.size
		  FROM message_attachments ma JOIN attachments a ON a.sha256 = ma.sha256
		 WHERE ma.message_row = p_message_row
		   AND NOT (ma.inline AND ma.content_id IS NOT NULL)
		 ORDER BY ma.position
	LOOP
		IF v_total + v_att.size <= v_max THEN
			v_total := v_total + v_att.size;
			v_sent := v_sent || jsonb_build_object('sha256', v_att.sha256,
							       'filename', v_att.filename,
							       'content_type', v_att.content_type);
		ELSE
			v_left := v_left || jsonb_build_object('sha256', v_att.sha256,
							       'filename', v_att.filename,
							       'size', v_att.size);
			v_names := v_names || coalesce(v_att.filename, 'unnamed ' || v_att.content_type);
		END IF;
	END LOOP;
	IF jsonb_array_length(v_sent) = 0 AND jsonb_array_length(v_left) = 0 THEN
		RETURN v_relayed;
	END IF;
	-- this answer's relay rows: the ones its outbound.queued events name
	UPDATE outbound o
	   SET attachments = nullif(v_sent, '[]'),
	       template_values = CASE WHEN jsonb_array_length(v_left) = 0 THEN o.template_values
		       ELSE o.template_values || jsonb_build_object('attachments.left_out',
						array_to_string(v_names, ', ')) END
	 WHERE o.id IN (SELECT (e.detail->>'id')::bigint FROM events e
			 WHERE e.message_row = p_message_row AND e.kind = 'outbound.queued'
			   AND e.detail->>'kind' = 'relay');
	IF jsonb_array_length(v_left) > 0 THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'relay.attachments_left_out',
			jsonb_build_object('why', 'larger than [outbound] relay_attachments_max '
						  || 'together with the others',
					   'max', v_max, 'relayed', jsonb_array_length(v_sent),
					   'left_out', v_left));
	END IF;
	RETURN v_relayed;
END
$$;
