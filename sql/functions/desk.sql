-- desk: tickets worked by people from the command line (issue 14 section
-- 1): what `postdesk ticket set|note|reply|participant` call, through
-- lib/store/pd-store-desk.c.
--
-- One call = one statement = one transaction on the locked ticket; each
-- change writes an event with the actor (events.actor: --actor or the
-- Unix user), which `postdesk ticket show` lists in the ticket's history.
-- Like admin.sql they raise SQLSTATE P0002 (no_data_found) for an unknown
-- ticket or agent and 22023 (invalid_parameter_value) or 23505
-- (unique_violation) for a bad argument, with a message for the operator.
-- Addresses arrive canonical (pd_address_canonicalize); a queue name is
-- one of the configuration's (the CLI checks it).
--
-- Events:
--   ticket.set           {field, old, new}, one per field that changed
--                        (field "tag": a tag added, new, or removed, old)
--   ticket.merged        {into} on the merged ticket, {from, messages,
--                        participants_added} on the one it went into
--   ticket.note          {message_row}: an internal note (messages.kind
--                        'note'), never sent to anyone
--   ticket.replied       {message_row, relayed_to, template, reply}: an
--                        answer written at the command line, stored as
--                        the agent's (direction 'out') and relayed to the
--                        requester and participants as an agent's answer
--                        by mail is (pd_relay_queue, agent.sql)
--   participant.added    {address}, participant.removed {address, role}

-- The id of ticket p_number, locked for the change.
CREATE OR REPLACE FUNCTION pd_desk_ticket(p_number bigint) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint;
BEGIN
	SELECT id INTO v_id FROM tickets WHERE number = p_number FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no ticket %', p_number USING ERRCODE = 'no_data_found';
	END IF;
	RETURN v_id;
END
$$;

-- An active agent's id by one of its addresses (admin.sql's lookup);
-- NULL for NULL.
CREATE OR REPLACE FUNCTION pd_desk_agent(p_address text) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_id bigint := CASE WHEN p_address IS NOT NULL THEN pd_admin_agent_id(p_address) END;
BEGIN
	IF v_id IS NOT NULL AND NOT (SELECT a.active FROM agents a WHERE a.id = v_id) THEN
		RAISE EXCEPTION 'agent % is not active', p_address
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN v_id;
END
$$;

-- Change fields of ticket p_number.  p_changes: {"status", "priority",
-- "category", "queue", "assign", "tag": [..], "untag": [..]}, any of them;
-- "" clears category and assign.  Status solved/closed sets closed_at (kept when it already was),
-- any other status clears it.  Returns [{field, old, new, changed}] in
-- the order above; an unchanged field writes no event.
CREATE OR REPLACE FUNCTION pd_desk_ticket_set(p_actor text, p_number bigint, p_changes jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_desk_ticket(p_number);
	v_field text;
	v_new text;
	v_old text;
	v_queue_id bigint;
	v_agent bigint;
	v_changed boolean;
	v_result jsonb := '[]';
BEGIN
	FOREACH v_field IN ARRAY ARRAY['status', 'priority', 'category', 'queue', 'assign'] LOOP
		CONTINUE WHEN NOT p_changes ? v_field;
		v_new := nullif(p_changes->>v_field, '');
		CASE v_field
		WHEN 'status' THEN
			IF v_new IS NULL OR v_new NOT IN ('new', 'open', 'pending', 'solved', 'closed') THEN
				RAISE EXCEPTION 'unknown status "%" (new, open, pending, solved, closed)',
				      coalesce(v_new, '') USING ERRCODE = 'invalid_parameter_value';
			END IF;
			SELECT status INTO v_old FROM tickets WHERE id = v_id;
			UPDATE tickets
			   SET status = v_new,
			       closed_at = CASE WHEN v_new IN ('solved', 'closed')
						THEN coalesce(closed_at, now()) END
			 WHERE id = v_id;
		WHEN 'priority' THEN
			IF v_new IS NULL OR v_new NOT IN ('low', 'normal', 'high', 'urgent') THEN
				RAISE EXCEPTION 'unknown priority "%" (low, normal, high, urgent)',
				      coalesce(v_new, '') USING ERRCODE = 'invalid_parameter_value';
			END IF;
			SELECT priority INTO v_old FROM tickets WHERE id = v_id;
			UPDATE tickets SET priority = v_new WHERE id = v_id;
		WHEN 'category' THEN
			SELECT category INTO v_old FROM tickets WHERE id = v_id;
			UPDATE tickets SET category = v_new WHERE id = v_id;
		WHEN 'queue' THEN
			IF v_new IS NULL THEN
				RAISE EXCEPTION 'a ticket is always in a queue'
				      USING ERRCODE = 'invalid_parameter_value';
			END IF;
			INSERT INTO queues (name) VALUES (v_new) ON CONFLICT (name) DO NOTHING;
			SELECT id INTO v_queue_id FROM queues WHERE name = v_new;
			SELECT q.name INTO v_old FROM tickets t JOIN queues q ON q.id = t.queue_id
			 WHERE t.id = v_id;
			UPDATE tickets SET queue_id = v_queue_id WHERE id = v_id;
		WHEN 'assign' THEN
			v_agent := pd_desk_agent(v_new);
			SELECT pd_agent_main_address(assignee_agent_id) INTO v_old
			  FROM tickets WHERE id = v_id;
			v_new := pd_agent_main_address(v_agent);
			UPDATE tickets SET assignee_agent_id = v_agent WHERE id = v_id;
		END CASE;
		v_result := v_result || jsonb_build_object('field', v_field, 'old', v_old,
							   'new', v_new,
							   'changed', v_old IS DISTINCT FROM v_new);
		IF v_old IS DISTINCT FROM v_new THEN
			INSERT INTO events (ticket_id, actor, kind, detail)
			VALUES (v_id, p_actor, 'ticket.set',
				jsonb_build_object('field', v_field, 'old', v_old, 'new', v_new));
		END IF;
	END LOOP;
	-- tags (ticket_tags, shared with the filter rules' tag action): a
	-- tag added is {new}, one removed {old}
	FOR v_old, v_new IN
		SELECT NULL, x FROM jsonb_array_elements_text(coalesce(p_changes->'tag', '[]')) x
		UNION ALL
		SELECT x, NULL FROM jsonb_array_elements_text(coalesce(p_changes->'untag', '[]')) x
	LOOP
		IF v_new IS NOT NULL THEN
			INSERT INTO ticket_tags (ticket_id, tag) VALUES (v_id, v_new)
			ON CONFLICT DO NOTHING;
		ELSE
			DELETE FROM ticket_tags WHERE ticket_id = v_id AND tag = v_old;
		END IF;
		v_changed := FOUND;
		v_result := v_result || jsonb_build_object('field', 'tag', 'old', v_old, 'new', v_new,
							   'changed', v_changed);
		IF v_changed THEN
			INSERT INTO events (ticket_id, actor, kind, detail)
			VALUES (v_id, p_actor, 'ticket.set',
				jsonb_build_object('field', 'tag', 'old', v_old, 'new', v_new));
		END IF;
	END LOOP;
	UPDATE tickets SET updated_at = now() WHERE id = v_id;
	RETURN v_result;
END
$$;

-- A message written at the command line into ticket p_id: kind 'note'
-- (direction 'in', like an agent's #note by mail) or 'agent' (direction
-- 'out': an answer), by the agent p_agent (NULL: the operator p_actor).
CREATE OR REPLACE FUNCTION pd_desk_message(p_id bigint, p_actor text, p_agent bigint,
					   p_kind text, p_text text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_row bigint;
BEGIN
	IF btrim(coalesce(p_text, ''), E' \t\r\n') = '' THEN
		RAISE EXCEPTION 'the text is empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO messages (ticket_id, direction, kind, from_address, from_name, subject,
			      text_body, source, agent_id)
	SELECT t.id, CASE p_kind WHEN 'note' THEN 'in' ELSE 'out' END, p_kind,
	       pd_agent_main_address(p_agent),
	       coalesce((SELECT a.name FROM agents a WHERE a.id = p_agent), p_actor),
	       t.subject, p_text, 'cli', p_agent
	  FROM tickets t WHERE t.id = p_id
	RETURNING id INTO v_row;
	UPDATE tickets SET updated_at = now() WHERE id = p_id;
	RETURN v_row;
END
$$;

-- An internal note on ticket p_number; returns its message row.
CREATE OR REPLACE FUNCTION pd_desk_ticket_note(p_actor text, p_number bigint, p_agent text,
					       p_text text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_desk_ticket(p_number);
	v_row bigint := pd_desk_message(v_id, p_actor, pd_desk_agent(p_agent), 'note', p_text);
BEGIN
	INSERT INTO events (ticket_id, message_row, actor, kind, detail)
	VALUES (v_id, v_row, p_actor, 'ticket.note', jsonb_build_object('message_row', v_row));
	RETURN v_row;
END
$$;

-- An answer on ticket p_number, relayed like an agent's answer by mail:
-- p_text becomes {{message.text}} of the relay template p_template
-- ('agent-reply'), by the agent p_agent (its name and signature; NULL:
-- none); p_reply: the canned reply rendered before the text (the sender
-- renders filters/replies/NAME for the ticket, reply.name), NULL: none.
-- p_envelope_from: the relay's MAIL FROM.  Refused when nobody but agents
-- takes part.  Returns {message_row, relayed_to}.
CREATE OR REPLACE FUNCTION pd_desk_ticket_reply(p_actor text, p_number bigint, p_agent text,
						p_text text, p_template text, p_reply text,
						p_envelope_from text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_desk_ticket(p_number);
	v_agent bigint := pd_desk_agent(p_agent);
	v_to jsonb := pd_relay_recipients(v_id, NULL);
	v_row bigint;
	v_relayed jsonb;
	v_text text := coalesce(p_text, '');
BEGIN
	IF jsonb_array_length(v_to) = 0 THEN
		RAISE EXCEPTION 'ticket % has nobody to answer (no requester or participant '
		      'who is not an agent)', p_number USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_row := pd_desk_message(v_id, p_actor, v_agent, 'agent',
		CASE WHEN p_reply IS NOT NULL AND btrim(v_text, E' \t\r\n') = ''
		     THEN '(canned reply ' || p_reply || ')' ELSE v_text END);
	v_relayed := pd_relay_queue(v_id, v_row, v_to, coalesce(p_template, 'agent-reply'),
		p_envelope_from,
		jsonb_strip_nulls(jsonb_build_object(
			'message.text', v_text, 'reply.name', p_reply,
			'agent.name', (SELECT a.name FROM agents a WHERE a.id = v_agent),
			'agent.signature', (SELECT a.signature FROM agents a WHERE a.id = v_agent))),
		NULL);
	PERFORM pd_relay_answered(v_id, v_row, v_agent, v_relayed, false);
	INSERT INTO events (ticket_id, message_row, actor, kind, detail)
	VALUES (v_id, v_row, p_actor, 'ticket.replied',
		jsonb_strip_nulls(jsonb_build_object('message_row', v_row, 'relayed_to', v_relayed,
						     'template', coalesce(p_template, 'agent-reply'),
						     'reply', p_reply, 'agent_id', v_agent)));
	RETURN jsonb_build_object('message_row', v_row, 'relayed_to', v_relayed);
END
$$;

-- Add (p_add) or remove address p_address as a participant of ticket
-- p_number.  Added as 'cc' (answers are relayed to it, it may thread in);
-- the requester is never removed.
CREATE OR REPLACE FUNCTION pd_desk_ticket_participant(p_actor text, p_number bigint,
						      p_address text, p_add boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_desk_ticket(p_number);
	v_role text;
BEGIN
	SELECT role INTO v_role FROM participants
	 WHERE ticket_id = v_id AND lower(address) = lower(p_address);
	IF p_add THEN
		IF v_role IS NOT NULL THEN
			RAISE EXCEPTION '% already takes part in ticket % (%)', p_address, p_number,
			      v_role USING ERRCODE = 'unique_violation';
		END IF;
		INSERT INTO participants (ticket_id, address, role) VALUES (v_id, p_address, 'cc');
		INSERT INTO events (ticket_id, actor, kind, detail)
		VALUES (v_id, p_actor, 'participant.added', jsonb_build_object('address', p_address));
	ELSE
		IF v_role IS NULL THEN
			RAISE EXCEPTION '% takes no part in ticket %', p_address, p_number
			      USING ERRCODE = 'no_data_found';
		END IF;
		IF v_role = 'requester' THEN
			RAISE EXCEPTION '% is the requester of ticket %: not removed', p_address,
			      p_number USING ERRCODE = 'invalid_parameter_value';
		END IF;
		DELETE FROM participants WHERE ticket_id = v_id AND lower(address) = lower(p_address);
		INSERT INTO events (ticket_id, actor, kind, detail)
		VALUES (v_id, p_actor, 'participant.removed',
			jsonb_build_object('address', p_address, 'role', v_role));
	END IF;
	UPDATE tickets SET updated_at = now() WHERE id = v_id;
END
$$;

-- Merge ticket p_from into p_into (`postdesk ticket merge FROM INTO`):
-- FROM's messages and tags move to INTO (its outbound mail stays: the
-- record of what was sent for FROM, one acknowledgement each); its participants
-- join INTO (the requester as 'cc') and stay on FROM too, so a reply that
-- cites FROM ([#FROM], its reply token) still passes the participant check
-- and then joins INTO (pd_thread_decide follows tickets.merged_into).
-- FROM is closed with merged_into set: `ticket show FROM` points at INTO.
-- Refused: a ticket into itself, FROM already merged, INTO merged itself
-- (merge into the ticket it points at).  Events ticket.merged on both.
CREATE OR REPLACE FUNCTION pd_desk_ticket_merge(p_actor text, p_from bigint, p_into bigint)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	v_from bigint;
	v_into bigint;
	v_merged bigint;
	v_which bigint;
	v_messages integer;
	v_participants integer;
BEGIN
	IF p_from = p_into THEN
		RAISE EXCEPTION 'a ticket cannot be merged into itself'
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- both locked, in number order (two merges never wait on each other)
	IF p_from < p_into THEN
		v_from := pd_desk_ticket(p_from);
		v_into := pd_desk_ticket(p_into);
	ELSE
		v_into := pd_desk_ticket(p_into);
		v_from := pd_desk_ticket(p_from);
	END IF;
	-- neither may point elsewhere already (so a merge never makes a cycle)
	SELECT t.number, m.number INTO v_which, v_merged
	  FROM tickets t JOIN tickets m ON m.id = t.merged_into
	 WHERE t.id IN (v_from, v_into) ORDER BY t.id = v_from DESC LIMIT 1;
	IF v_merged IS NOT NULL THEN
		RAISE EXCEPTION '%', format('ticket %s was already merged into %s%s', v_which, v_merged,
			CASE WHEN v_which = p_into THEN ': merge into that one' ELSE '' END)
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	UPDATE messages SET ticket_id = v_into WHERE ticket_id = v_from;
	GET DIAGNOSTICS v_messages = ROW_COUNT;
	INSERT INTO ticket_tags (ticket_id, tag)
	SELECT v_into, tag FROM ticket_tags WHERE ticket_id = v_from
	ON CONFLICT DO NOTHING;
	DELETE FROM ticket_tags WHERE ticket_id = v_from;
	INSERT INTO participants (ticket_id, address, name, role)
	SELECT v_into, p.address, p.name, CASE p.role WHEN 'requester' THEN 'cc' ELSE p.role END
	  FROM participants p WHERE p.ticket_id = v_from ORDER BY p.id
	ON CONFLICT (ticket_id, lower(address)) DO NOTHING;
	GET DIAGNOSTICS v_participants = ROW_COUNT;
	UPDATE tickets SET merged_into = v_into, status = 'closed',
			   closed_at = coalesce(closed_at, now()), updated_at = now()
	 WHERE id = v_from;
	UPDATE tickets
	   SET updated_at = now(),
	       first_response_at = least(first_response_at,
					 (SELECT f.first_response_at FROM tickets f WHERE f.id = v_from))
	 WHERE id = v_into;
	INSERT INTO events (ticket_id, actor, kind, detail)
	VALUES (v_from, p_actor, 'ticket.merged', jsonb_build_object('into', p_into)),
	       (v_into, p_actor, 'ticket.merged',
		jsonb_build_object('from', p_from, 'messages', v_messages,
				   'participants_added', v_participants));
	RETURN jsonb_build_object('messages', v_messages, 'participants_added', v_participants);
END
$$;
