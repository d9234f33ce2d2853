-- 0007_notify: agents hear of new tickets and customer mail (issue 4 items
-- 5 and 6): notifications to the queue's agents or the account's dedicated
-- manager, forwards of a new ticket to the queue's forward_to address and
-- to the manager.
--
-- Both are outbound rows written in the delivery's own statement
-- (pd-store-deliver: SELECT ..., pd_outbound_notify(...) FROM
-- pd_deliver_inbound(...)), so they commit with the message or not at all.
-- One row per recipient: the sender signs the Reply-To token and the
-- Message-ID for the row's one recipient, so each agent's reply threads
-- back as that agent's.
--
-- Who (pd_notify_plan, shared with `postdesk test`):
--   forward       a new ticket, to the queue's forward_to and to the
--                 account's active manager; not to the address that wrote
--                 it, not for automatic mail (auto-submitted, bulk, list,
--                 bounce).
--   notification  a new ticket, or a message threaded onto one: to the
--                 account's active manager when it has one, else to the
--                 active agents of the queue's default_group (every active
--                 agent when unset), at each agent's main address; an
--                 address that gets the forward of this ticket gets no
--                 notification (one mail per person and message).
--   nobody        a duplicate delivery; a held ticket (unknown sender in a
--                 'known' or 'moderate' queue: an operator decides first);
--                 mail whose From is an agent address (an agent's answer,
--                 authenticated or not: agents never notify agents, so two
--                 agents' autoresponders cannot talk to each other through
--                 us); automatic mail threaded onto an existing ticket.
-- Loop safety: these rows go only to agent addresses and the configured
-- forward_to, never to the requester; mail from an agent never causes one,
-- mail from forward_to never causes a forward.
--
-- p_request: jsonb_object() of the pipeline's key/value pairs (all text):
--   queue (the recipient's), group:QUEUE (the default_group of each
--   configured queue that has one: a reply is notified to the group of its
--   ticket's queue, whatever address it came to), forward_to (the
--   recipient queue's), from (the canonical From),
--   robot (why the mail is automatic), envelope_from (MAIL FROM: the
--   bounce address or '').  NULL: outbound mail is not configured or
--   [outbound] notify = no; nothing is written.

-- The text of the answered message, for the notification template
-- ({{message.text}}), beside what 0003 gave (which keeps the last word,
-- so a row's own template_values still win).
ALTER FUNCTION pd_outbound_values(bigint) RENAME TO pd_outbound_values_0003;
CREATE FUNCTION pd_outbound_values(p_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('message.text', m.text_body))
	       || pd_outbound_values_0003(o.id)
	  FROM outbound o
	  LEFT JOIN messages m ON m.id = o.message_row
	 WHERE o.id = p_id
$$;

-- An agent's main address: the lowest position (0 is the main one).
CREATE FUNCTION pd_agent_main_address(p_agent_id bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT aa.address FROM agent_addresses aa
	 WHERE aa.agent_id = p_agent_id
	 ORDER BY aa.position, aa.address
	 LIMIT 1
$$;

-- Who gets what for one message: rows (kind, address, name, agent_id,
-- why), kind 'forward' or 'notification'; or one row of kind 'none' whose
-- why says why nobody does.  p_ticket_id NULL with p_new_ticket: a ticket
-- not made yet (`postdesk test`).  Reads only.
CREATE FUNCTION pd_notify_plan(p_ticket_id bigint, p_new_ticket boolean,
			       p_request jsonb, p_identity jsonb)
RETURNS TABLE (kind text, address text, name text, agent_id bigint, why text)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
	v_from text := lower(p_request->>'from');
	v_robot text := p_request->>'robot';
	v_forward_to text := lower(nullif(p_request->>'forward_to', ''));
	v_group text;
	v_queue text;
	v_held text;
	v_account bigint;
	v_author bigint;
	v_manager bigint;
	v_manager_name text;
	v_manager_address text;
	v_forwarded text[] := '{}';
BEGIN
	IF p_request IS NULL THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text, NULL::bigint,
				    'outbound mail is not configured'::text;
		RETURN;
	END IF;
	IF p_new_ticket THEN
		v_held := p_identity->>'held';
		v_account := (p_identity->>'account_id')::bigint;
		v_queue := p_request->>'queue';
	ELSE
		SELECT t.held, t.account_id, q.name INTO v_held, v_account, v_queue
		  FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = p_ticket_id;
	END IF;
	v_group := nullif(p_request->>('group:' || v_queue), '');
	IF v_held IS NOT NULL THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text, NULL::bigint,
			'the ticket is held (' || v_held || '): an operator decides first';
		RETURN;
	END IF;
	-- the agent who wrote it, by identity or by any of its addresses
	v_author := CASE WHEN p_identity->>'kind' = 'agent'
			 THEN (p_identity->>'agent_id')::bigint END;
	IF v_author IS NULL AND v_from IS NOT NULL THEN
		SELECT aa.agent_id INTO v_author FROM agent_addresses aa
		 WHERE aa.address = v_from;
	END IF;
	IF v_author IS NOT NULL THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text, NULL::bigint,
			CASE WHEN coalesce((p_identity->>'agent_action')::boolean, false)
			     THEN 'written by an authenticated agent: an agent''s answer'
			     ELSE 'From is an agent address (not authenticated: no agent '
				  || 'action); agents never notify agents' END;
		RETURN;
	END IF;
	IF NOT p_new_ticket AND v_robot IS NOT NULL THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text, NULL::bigint,
			'automatic mail (' || v_robot || ') on an existing ticket';
		RETURN;
	END IF;

	SELECT a.id, a.name, pd_agent_main_address(a.id)
	  INTO v_manager, v_manager_name, v_manager_address
	  FROM accounts ac JOIN agents a ON a.id = ac.manager_agent_id
	 WHERE ac.id = v_account AND a.active;

	IF p_new_ticket AND v_robot IS NULL THEN
		IF v_forward_to IS NOT NULL AND v_forward_to IS DISTINCT FROM v_from THEN
			v_forwarded := v_forwarded || v_forward_to;
			RETURN QUERY SELECT 'forward'::text, v_forward_to,
				(SELECT a.name FROM agent_addresses aa JOIN agents a ON a.id = aa.agent_id
				  WHERE aa.address = v_forward_to),
				(SELECT aa.agent_id FROM agent_addresses aa
				  WHERE aa.address = v_forward_to),
				'the queue''s forward_to';
		END IF;
		IF v_manager_address IS NOT NULL AND NOT v_manager_address = ANY (v_forwarded) THEN
			v_forwarded := v_forwarded || v_manager_address;
			RETURN QUERY SELECT 'forward'::text, v_manager_address, v_manager_name,
				v_manager, 'the account''s dedicated manager';
		END IF;
	END IF;

	IF v_manager IS NOT NULL THEN
		IF NOT v_manager_address = ANY (v_forwarded) THEN
			RETURN QUERY SELECT 'notification'::text, v_manager_address, v_manager_name,
				v_manager, 'the account''s dedicated manager';
		END IF;
	ELSE
		RETURN QUERY
		SELECT 'notification'::text, x.address, x.name, x.id,
		       CASE WHEN v_group IS NULL THEN 'active agent'
			    ELSE 'active agent of group ' || v_group END
		  FROM (SELECT a.id, a.name, pd_agent_main_address(a.id) AS address
			  FROM agents a
			 WHERE a.active AND (v_group IS NULL OR v_group = ANY (a.groups))) x
		 WHERE x.address IS NOT NULL AND NOT x.address = ANY (v_forwarded)
		 ORDER BY x.address;
	END IF;
	IF NOT FOUND AND cardinality(v_forwarded) = 0 THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text, NULL::bigint,
			CASE WHEN v_group IS NULL THEN 'no active agent'
			     ELSE 'no active agent in group ' || v_group END;
	END IF;
END
$$;

-- Queue the plan's rows for a delivered message; returns how many.  A
-- duplicate delivery writes nothing; "nobody" writes a notify.skipped
-- event with the reason.
CREATE FUNCTION pd_outbound_notify(p_ticket_id bigint, p_message_row bigint,
				   p_new_ticket boolean, p_duplicate boolean,
				   p_request jsonb, p_identity jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_plan record;
	v_queue text;
	v_id bigint;
	v_count integer := 0;
BEGIN
	IF p_request IS NULL OR p_duplicate OR p_ticket_id IS NULL THEN
		RETURN 0;
	END IF;
	SELECT q.name INTO v_queue
	  FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = p_ticket_id;
	FOR v_plan IN SELECT * FROM pd_notify_plan(p_ticket_id, p_new_ticket, p_request,
						   p_identity) LOOP
		IF v_plan.kind = 'none' THEN
			INSERT INTO events (ticket_id, message_row, kind, detail)
			VALUES (p_ticket_id, p_message_row, 'notify.skipped',
				jsonb_build_object('reason', v_plan.why));
			CONTINUE;
		END IF;
		INSERT INTO outbound (ticket_id, message_row, kind, template, queue,
				      recipients, recipient_name, envelope_from, auto_reply,
				      template_values)
		VALUES (p_ticket_id, p_message_row, v_plan.kind,
			CASE v_plan.kind WHEN 'forward' THEN 'forward'
					 ELSE 'agent-notification' END,
			v_queue, ARRAY[v_plan.address], v_plan.name,
			coalesce(p_request->>'envelope_from', ''), false,
			jsonb_strip_nulls(jsonb_build_object('agent.name', v_plan.name)))
		RETURNING id INTO v_id;
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'outbound.queued',
			jsonb_build_object('id', v_id, 'kind', v_plan.kind,
					   'to', v_plan.address, 'why', v_plan.why));
		v_count := v_count + 1;
	END LOOP;
	RETURN v_count;
END
$$;
