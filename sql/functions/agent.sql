-- agent: agents answering from their mail client.
--
-- An agent answer is a mail that threads into an existing ticket (normally
-- through the signed reply token of the notification the agent got) whose
-- From is an active agent's address AND whose From domain is authenticated
-- (the identity decision's agent_action, lib/ticket pd-identity).  It is
-- stored as the agent's (messages.kind 'agent', or 'note' for #note, with
-- messages.agent_id), its commands are applied, and unless it is a note its
-- relayed text goes to the requester and the ticket's other participants
-- (not agents, not the sender) as 'relay' outbound rows: from the support
-- address, the agent's own address never shown, threaded to the customer's
-- last message, a real MAIL FROM, not an automatic reply.
--
-- Not an agent answer, and never obeyed nor relayed:
--   - a mail from an agent's address whose From is not authenticated (or
--     from an inactive agent): an ordinary customer message of the ticket
--     it threads into, with an "agent.refused" event;
--   - an authenticated agent's mail that threads into no ticket: an
--     ordinary new ticket (the agent is its requester), with an
--     "agent.refused" event saying the commands were not applied.
--
-- An answer acts once, however many of our addresses it was sent to: a
-- mail reaches postdesk once per recipient (one delivery transaction
-- each), so an agent who writes to the token address and Cc help@ would
-- otherwise have it applied and relayed twice.  The second copy (same
-- Message-ID, same ticket, already stored as an agent's answer or note) is
-- stored, marked as the agent's, and does nothing else; an "agent.refused"
-- event says why.  A mail without a Message-ID cannot be recognized and
-- acts each time (RFC 5322 makes it optional; every mail client sets one).
--
-- The relay carries the agent's attachments: every attachment of the
-- mail except an inline part with a Content-ID, which is what a mail
-- client makes of an image shown in the HTML body or the signature
-- (multipart/related, cid: URLs) and is not meant as a file for the
-- customer.  So Content-Disposition: attachment is relayed, and so is an
-- inline part without a Content-ID (Apple Mail marks dropped-in files
-- inline).  The notification the agent answers is not re-attached by a
-- reply, so nothing of ours comes back this way.  How much:
-- p_answer->>'attachments_max' (the pipeline's [outbound]
-- relay_attachments_max, decoded bytes; absent: none).  The attachments
-- are taken in their order while their total fits; one that does not fit
-- is left out, named in the template value "attachments.left_out" (the
-- agent-reply template says so to the customer) and in one
-- "relay.attachments_left_out" event; it stays in the ticket.
--
-- p_answer: the pipeline's parse of the mail (lib/ticket pd_agent_answer_json
-- plus "from", "envelope_from", "template", "attachments_max"), given for
-- every mail whose From is an agent's address; NULL otherwise.

-- An agent's main address: the lowest position (0 is the main one).
CREATE OR REPLACE FUNCTION pd_agent_main_address(p_agent_id bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT aa.address FROM agent_addresses aa
	 WHERE aa.agent_id = p_agent_id
	 ORDER BY aa.position, aa.address
	 LIMIT 1
$$;

-- Who an answer on a ticket is relayed to: the requester and the other
-- participants, not agents, not p_sender (lower case; NULL: nobody
-- excluded).  [{address, name}] in the order they joined.
CREATE OR REPLACE FUNCTION pd_relay_recipients(p_ticket_id bigint, p_sender text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('address', p.address, 'name', p.name)
				  ORDER BY p.id), '[]')
	  FROM participants p
	 WHERE p.ticket_id = p_ticket_id AND p.role IN ('requester', 'cc')
	   AND lower(p.address) IS DISTINCT FROM p_sender
	   AND NOT EXISTS (SELECT 1 FROM agent_addresses aa WHERE aa.address = lower(p.address))
$$;

-- One 'relay' outbound row per recipient of p_recipients ([{address,
-- name}], pd_relay_recipients), each with its outbound.queued event on
-- p_message_row (the answer being relayed): from the support address,
-- threaded to the customer's last message (not p_message_row), a person's
-- mail (auto_reply false) with MAIL FROM p_envelope_from.  p_values: the
-- template values (message.text, agent.name, ...); p_attachments: the
-- outbound.attachments of each row (NULL: none).  Returns the addresses
-- queued, as a jsonb array.  The answer of an agent by mail
-- (pd_agent_answer) and of `postdesk ticket reply` (desk.sql) both go out
-- this way.
CREATE OR REPLACE FUNCTION pd_relay_queue(p_ticket_id bigint, p_message_row bigint,
					  p_recipients jsonb, p_template text,
					  p_envelope_from text, p_values jsonb,
					  p_attachments jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	v_queue text;
	v_parent bigint;
	v_row record;
	v_id bigint;
	v_relayed jsonb := '[]';
BEGIN
	SELECT q.name INTO v_queue FROM tickets t JOIN queues q ON q.id = t.queue_id
	 WHERE t.id = p_ticket_id;
	-- the customer's last message: what the relay answers (threading)
	SELECT m.id INTO v_parent FROM messages m
	 WHERE m.ticket_id = p_ticket_id AND m.direction = 'in' AND m.kind = 'customer'
	   AND m.id IS DISTINCT FROM p_message_row
	   AND NOT EXISTS (SELECT 1 FROM agent_addresses aa
			    WHERE aa.address = lower(m.from_address))
	 ORDER BY m.id DESC LIMIT 1;
	FOR v_row IN
		SELECT r->>'address' AS address, r->>'name' AS name
		  FROM jsonb_array_elements(p_recipients) WITH ORDINALITY x (r, n)
		 ORDER BY x.n
	LOOP
		INSERT INTO outbound (ticket_id, message_row, kind, template, queue,
				      recipients, recipient_name, envelope_from, auto_reply,
				      template_values, attachments)
		VALUES (p_ticket_id, v_parent, 'relay', p_template, v_queue,
			ARRAY[v_row.address], v_row.name, coalesce(p_envelope_from, ''), false,
			coalesce(p_values, '{}'), p_attachments)
		RETURNING id INTO v_id;
		v_relayed := v_relayed || to_jsonb(v_row.address);
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'outbound.queued',
			jsonb_build_object('id', v_id, 'kind', 'relay', 'template', p_template,
					   'to', v_row.address));
	END LOOP;
	RETURN v_relayed;
END
$$;

-- An answer reached a customer (p_relayed: the addresses it was relayed
-- to, none: nothing happens): the ticket's first response when it has
-- none yet (event ticket.first_response), and a ticket still 'new' becomes
-- 'open' unless p_status_set (the answer set a status itself).
CREATE OR REPLACE FUNCTION pd_relay_answered(p_ticket_id bigint, p_message_row bigint,
					     p_agent bigint, p_relayed jsonb,
					     p_status_set boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	UPDATE tickets SET first_response_at = now()
	 WHERE id = p_ticket_id AND first_response_at IS NULL
	   AND jsonb_array_length(p_relayed) > 0;
	IF FOUND THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'ticket.first_response',
			jsonb_strip_nulls(jsonb_build_object('agent_id', p_agent)));
	END IF;
	IF NOT p_status_set THEN
		UPDATE tickets SET status = 'open' WHERE id = p_ticket_id AND status = 'new';
	END IF;
END
$$;

-- Whether one command of an answer would be obeyed: NULL, or why not (the
-- parser's refusal, an #assign to no active agent, a command the store
-- does not know).  pd_agent_command obeys by it; `postdesk test` shows it.
CREATE OR REPLACE FUNCTION pd_agent_command_check(p_command jsonb)
RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT CASE
		WHEN p_command->>'error' IS NOT NULL THEN p_command->>'error'
		WHEN p_command->>'command' IN ('close', 'pending', 'priority', 'note', 'solved',
					       'open', 'queue', 'category', 'tag', 'reply') THEN NULL
		WHEN p_command->>'command' = 'assign' THEN
			CASE WHEN EXISTS (SELECT 1 FROM agent_addresses aa
					    JOIN agents a ON a.id = aa.agent_id
					   WHERE aa.address = p_command->>'argument' AND a.active)
			     THEN NULL ELSE 'not an active agent' END
		-- agents hear of a ticket by notification, never by relay
		WHEN p_command->>'command' = 'cc' THEN
			CASE WHEN EXISTS (SELECT 1 FROM agent_addresses aa
					   WHERE aa.address = p_command->>'argument')
			     THEN 'an agent''s address (#assign, or a notification, reaches agents)' END
		ELSE 'unknown command' END
$$;

-- One command of an answer on a locked ticket; returns the event detail
-- (result 'applied' with old/new, or 'refused' with the reason).
CREATE OR REPLACE FUNCTION pd_agent_command(p_ticket_id bigint, p_command jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	v_name text := p_command->>'command';
	v_arg text := p_command->>'argument';
	v_detail jsonb := jsonb_build_object('command', v_name, 'argument', v_arg,
					     'line', (p_command->>'line')::integer);
	v_refused text := pd_agent_command_check(p_command);
	v_old text;
	v_new text;
	v_agent bigint;
BEGIN
	IF v_refused IS NOT NULL THEN
		RETURN v_detail || jsonb_build_object('result', 'refused', 'reason', v_refused);
	END IF;
	CASE v_name
	WHEN 'close', 'pending', 'solved', 'open' THEN
		v_new := CASE v_name WHEN 'close' THEN 'closed' ELSE v_name END;
		SELECT status INTO v_old FROM tickets WHERE id = p_ticket_id;
		UPDATE tickets
		   SET status = v_new,
		       closed_at = CASE WHEN v_new IN ('closed', 'solved') THEN now() END
		 WHERE id = p_ticket_id;
		RETURN v_detail || jsonb_build_object('result', 'applied', 'old', v_old, 'new', v_new);
	WHEN 'queue' THEN
		INSERT INTO queues (name) VALUES (v_arg) ON CONFLICT (name) DO NOTHING;
		SELECT q.name INTO v_old FROM tickets t JOIN queues q ON q.id = t.queue_id
		 WHERE t.id = p_ticket_id;
		UPDATE tickets SET queue_id = (SELECT q.id FROM queues q WHERE q.name = v_arg)
		 WHERE id = p_ticket_id;
		RETURN v_detail || jsonb_build_object('result', 'applied', 'old', v_old, 'new', v_arg);
	WHEN 'category' THEN
		SELECT category INTO v_old FROM tickets WHERE id = p_ticket_id;
		UPDATE tickets SET category = v_arg WHERE id = p_ticket_id;
		RETURN v_detail || jsonb_build_object('result', 'applied', 'old', v_old, 'new', v_arg);
	WHEN 'tag' THEN
		INSERT INTO ticket_tags (ticket_id, tag) VALUES (p_ticket_id, v_arg)
		ON CONFLICT DO NOTHING;
		RETURN v_detail || jsonb_build_object('result', 'applied',
			'old', CASE WHEN NOT FOUND THEN v_arg END, 'new', v_arg);
	WHEN 'cc' THEN
		SELECT role INTO v_old FROM participants
		 WHERE ticket_id = p_ticket_id AND lower(address) = v_arg;
		INSERT INTO participants (ticket_id, address, role) VALUES (p_ticket_id, v_arg, 'cc')
		ON CONFLICT (ticket_id, lower(address)) DO NOTHING;
		RETURN v_detail || jsonb_build_object('result', 'applied', 'old', v_old,
						      'new', coalesce(v_old, 'cc'));
	WHEN 'priority' THEN
		SELECT priority INTO v_old FROM tickets WHERE id = p_ticket_id;
		UPDATE tickets SET priority = v_arg WHERE id = p_ticket_id;
		RETURN v_detail || jsonb_build_object('result', 'applied', 'old', v_old, 'new', v_arg);
	WHEN 'assign' THEN
		SELECT a.id INTO v_agent FROM agent_addresses aa JOIN agents a ON a.id = aa.agent_id
		 WHERE aa.address = v_arg AND a.active;
		SELECT pd_agent_main_address(t.assignee_agent_id)
		  INTO v_old FROM tickets t WHERE t.id = p_ticket_id;
		UPDATE tickets SET assignee_agent_id = v_agent WHERE id = p_ticket_id;
		RETURN v_detail || jsonb_build_object('result', 'applied', 'old', v_old,
						      'new', v_arg, 'agent_id', v_agent);
	ELSE	-- note; reply (the relay carries it: pd_agent_answer)
		RETURN v_detail || jsonb_build_object('result', 'applied');
	END CASE;
END
$$;

-- The canned reply an answer sends: the argument of its last #reply that
-- is obeyed (commands as pd_agent_answer_decide checks them: a "refused"
-- member, NULL when obeyed), or NULL.
CREATE OR REPLACE FUNCTION pd_agent_canned(p_commands jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT c->>'argument'
	  FROM jsonb_array_elements(coalesce(p_commands, '[]')) WITH ORDINALITY x (c, n)
	 WHERE c->>'command' = 'reply' AND c->>'refused' IS NULL AND c->>'error' IS NULL
	 ORDER BY n DESC LIMIT 1
$$;

-- Whether a mail is an agent's answer and what it does, without writing:
-- pd_agent_answer acts by it, `postdesk test` shows it
-- (pd_store_agent_decide).  p_ticket_id: the ticket it threads into (NULL,
-- or p_new_ticket: none); p_message_row: the mail's row (NULL before it is
-- stored); p_message_id:
-- its Message-ID; p_identity, p_answer: as pd_agent_answer gets them.
--   decision  refused (an ordinary customer message or new ticket), again
--             (another copy acted: first_row), note, commands (nothing
--             relayed), answer; NULL: no answer facts (not an agent's mail)
--   why       the reason, as the agent.refused / agent.answered events say
--   relay_to  [{address, name}]: who the answer is relayed to
--   commands  [{command, argument, line, refused}]: NULL refused = obeyed
CREATE OR REPLACE FUNCTION pd_agent_answer_decide(p_ticket_id bigint, p_message_row bigint,
						  p_message_id text, p_new_ticket boolean,
						  p_identity jsonb, p_answer jsonb,
						  OUT decision text, OUT why text,
						  OUT first_row bigint, OUT relay_to jsonb,
						  OUT commands jsonb)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_sender text := lower(p_answer->>'from');
BEGIN
	relay_to := '[]';
	IF p_answer IS NULL OR p_identity IS NULL THEN
		RETURN;
	END IF;
	SELECT coalesce(jsonb_agg(c || jsonb_build_object('refused', pd_agent_command_check(c))
				  ORDER BY n), '[]')
	  INTO commands
	  FROM jsonb_array_elements(coalesce(p_answer->'commands', '[]')) WITH ORDINALITY x (c, n);
	IF NOT coalesce((p_identity->>'agent_action')::boolean, false) THEN
		decision := 'refused';
		why := 'not an agent action: ' || coalesce(p_identity->>'reason', 'not authenticated');
		RETURN;
	END IF;
	IF p_new_ticket OR p_ticket_id IS NULL THEN
		decision := 'refused';
		why := 'answers no ticket: an ordinary new ticket';
		RETURN;
	END IF;
	-- the same answer through another of our addresses: it acted then
	SELECT o.id INTO first_row FROM messages o
	 WHERE o.ticket_id = p_ticket_id AND o.message_id = p_message_id
	   AND o.id IS DISTINCT FROM p_message_row AND o.kind IN ('agent', 'note')
	 ORDER BY o.id LIMIT 1;
	IF first_row IS NOT NULL THEN
		decision := 'again';
		why := 'the same answer reached this ticket through another of our addresses; '
		       || 'it acted then';
		RETURN;
	END IF;
	IF coalesce((p_answer->>'note')::boolean, false) THEN
		decision := 'note';
		why := 'internal note';
		RETURN;
	END IF;
	IF coalesce(p_answer->>'text', '') = '' AND pd_agent_canned(commands) IS NULL THEN
		decision := 'commands';
		why := 'nothing but commands and quotes';
		RETURN;
	END IF;
	-- and whom its #cc adds (not yet participants: the commands come after)
	SELECT pd_relay_recipients(p_ticket_id, v_sender) || coalesce(jsonb_agg(
			jsonb_build_object('address', c->>'argument', 'name', NULL) ORDER BY n), '[]')
	  INTO relay_to
	  FROM jsonb_array_elements(commands) WITH ORDINALITY x (c, n)
	 WHERE c->>'command' = 'cc' AND c->>'refused' IS NULL
	   AND c->>'argument' IS DISTINCT FROM v_sender
	   AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.ticket_id = p_ticket_id
			    AND lower(p.address) = c->>'argument');
	decision := 'answer';
	IF jsonb_array_length(relay_to) = 0 THEN
		why := 'no customer takes part';
	END IF;
END
$$;

-- The agent answer of a delivered message, in the delivery's own statement
-- (deliver.sql), so the commands, the relay rows and the message commit
-- together or not at all.  Returns the number of relay rows queued, or
-- NULL when the mail is not an agent answer.
CREATE OR REPLACE FUNCTION pd_agent_answer(p_ticket_id bigint, p_message_row bigint,
				p_new_ticket boolean, p_duplicate boolean,
				p_identity jsonb, p_answer jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_agent bigint := (p_identity->>'agent_id')::bigint;
	v_note boolean := coalesce((p_answer->>'note')::boolean, false);
	v_text text := coalesce(p_answer->>'text', '');
	v_sender text := lower(p_answer->>'from');
	v_commands jsonb := coalesce(p_answer->'commands', '[]');
	v_max bigint := coalesce((p_answer->>'attachments_max')::bigint, 0);
	v_name text;
	v_signature text;
	v_status text;
	d record;
	v_command jsonb;
	v_detail jsonb;
	v_status_set boolean := false;
	v_relayed jsonb := '[]';
	v_total bigint := 0;
	v_sent jsonb := '[]';
	v_left jsonb := '[]';
	v_left_names text[] := '{}';
	v_left_out jsonb := '{}';
	v_att record;
	v_refusals text[] := '{}';
	v_notice bigint;
BEGIN
	IF p_answer IS NULL OR p_identity IS NULL OR p_duplicate OR p_ticket_id IS NULL THEN
		RETURN NULL;
	END IF;
	-- decided on the locked ticket (its participants, its earlier copies)
	SELECT t.status INTO v_status FROM tickets t WHERE t.id = p_ticket_id FOR UPDATE;
	SELECT * INTO d FROM pd_agent_answer_decide(p_ticket_id, p_message_row,
		(SELECT m.message_id FROM messages m WHERE m.id = p_message_row),
		p_new_ticket, p_identity, p_answer);
	IF d.decision IN ('refused', 'again') THEN
		IF d.decision = 'again' THEN
			UPDATE messages m SET kind = o.kind, agent_id = o.agent_id
			  FROM messages o
			 WHERE m.id = p_message_row AND o.id = d.first_row;
		END IF;
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'agent.refused',
			jsonb_strip_nulls(jsonb_build_object('why', d.why, 'agent_id', v_agent,
					   'first_message_row', d.first_row))
			|| jsonb_build_object('commands_ignored', jsonb_array_length(v_commands),
					      'relayed', false));
		RETURN CASE WHEN d.decision = 'again' THEN 0 END;
	END IF;

	SELECT a.name, a.signature INTO v_name, v_signature FROM agents a WHERE a.id = v_agent;
	UPDATE messages SET kind = CASE WHEN v_note THEN 'note' ELSE 'agent' END,
			    agent_id = v_agent
	 WHERE id = p_message_row;
	IF v_sender IS NOT NULL THEN
		INSERT INTO participants (ticket_id, address, name, role)
		VALUES (p_ticket_id, v_sender, v_name, 'agent')
		ON CONFLICT (ticket_id, lower(address)) DO NOTHING;
	END IF;

	FOR v_command IN SELECT c FROM jsonb_array_elements(v_commands) AS c LOOP
		v_detail := pd_agent_command(p_ticket_id, v_command);
		IF v_detail->>'result' = 'refused' THEN
			v_refusals := v_refusals || ('#' || (v_detail->>'command')
				|| coalesce(' ' || (v_detail->>'argument'), '')
				|| ' (line ' || (v_detail->>'line') || '): ' || (v_detail->>'reason'));
		END IF;
		v_status_set := v_status_set OR (v_detail->>'result' = 'applied' AND
						 v_detail->>'command' IN ('close', 'pending', 'solved',
									  'open'));
		INSERT INTO events (ticket_id, message_row, actor, kind, detail)
		VALUES (p_ticket_id, p_message_row, coalesce(v_sender, 'agent'), 'agent.command',
			v_detail);
	END LOOP;

	IF d.decision = 'answer' THEN
		-- the attachments the relay carries, in their order while they fit
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
				v_left_names := v_left_names ||
					coalesce(v_att.filename, 'unnamed ' || v_att.content_type);
			END IF;
		END LOOP;
		IF jsonb_array_length(v_left) > 0 THEN
			v_left_out := jsonb_build_object('attachments.left_out',
							 array_to_string(v_left_names, ', '));
		END IF;
		v_relayed := pd_relay_queue(p_ticket_id, p_message_row, d.relay_to,
			coalesce(p_answer->>'template', 'agent-reply'),
			p_answer->>'envelope_from',
			jsonb_strip_nulls(jsonb_build_object('message.text', v_text,
							     'agent.name', v_name,
							     'agent.signature', v_signature,
							     'reply.name', pd_agent_canned(d.commands)))
			|| v_left_out,
			nullif(v_sent, '[]'));
		PERFORM pd_relay_answered(p_ticket_id, p_message_row, v_agent, v_relayed,
					  v_status_set OR v_status <> 'new');
	END IF;
	-- what was not obeyed, in one mail to the agent (not one per command):
	-- an automatic notification (the agent-refused template), so mail
	-- about it never comes back as an agent action
	IF cardinality(v_refusals) > 0 AND v_sender IS NOT NULL THEN
		INSERT INTO outbound (ticket_id, message_row, kind, template, queue, recipients,
				      recipient_name, envelope_from, auto_reply, template_values)
		SELECT p_ticket_id, p_message_row, 'notification', 'agent-refused', q.name,
		       ARRAY[v_sender], v_name, coalesce(p_answer->>'envelope_from', ''), false,
		       jsonb_strip_nulls(jsonb_build_object(
				'agent.name', v_name,
				'message.text', array_to_string(v_refusals, E'\n')))
		  FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = p_ticket_id
		RETURNING id INTO v_notice;
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'outbound.queued',
			jsonb_build_object('id', v_notice, 'kind', 'notification',
					   'template', 'agent-refused', 'to', v_sender,
					   'refused', cardinality(v_refusals)));
	END IF;
	INSERT INTO events (ticket_id, message_row, actor, kind, detail)
	VALUES (p_ticket_id, p_message_row, coalesce(v_sender, 'agent'), 'agent.answered',
		jsonb_build_object('agent_id', v_agent, 'note', v_note,
				   'commands', jsonb_array_length(v_commands),
				   'relayed_to', v_relayed,
				   'why_not_relayed', d.why));
	IF jsonb_array_length(v_relayed) > 0 AND jsonb_array_length(v_left) > 0 THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'relay.attachments_left_out',
			jsonb_build_object('why', 'larger than [outbound] relay_attachments_max '
						  || 'together with the others',
					   'max', v_max, 'relayed', jsonb_array_length(v_sent),
					   'left_out', v_left));
	END IF;
	RETURN jsonb_array_length(v_relayed);
END
$$;
