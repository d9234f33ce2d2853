-- notify: agents hear of new tickets and customer mail: notifications to
-- the ticket's assignee, the account's dedicated manager or the queue's
-- agents, forwards of a new ticket to the queue's forward_to address and
-- to the manager.
--
-- Both are outbound rows written in the delivery's own statement
-- (deliver.sql), so they commit with the message or not at all.  One row
-- per recipient: the sender signs the Reply-To token and the Message-ID for
-- the row's one recipient, so each agent's reply threads back as that
-- agent's.
--
-- Who (pd_notify_plan, shared with `postdesk test`):
--   forward       a new ticket, to its queue's forward_to and to the
--                 account's active manager; not to the address that wrote
--                 it, not for automatic mail (auto-submitted, bulk, list,
--                 bounce); and to each address of a filter rule's
--                 forward (new ticket or reply).
--   notification  a new ticket, or a message threaded onto one: to the
--                 audience of pd_notify_audience (the assignee, else the
--                 manager, else the queue's group); an address that gets
--                 the forward of this ticket gets no notification (one mail
--                 per person and message).
--   nobody        a duplicate delivery; a held ticket (unknown sender in a
--                 'known' or 'moderate' queue, or a filter rule's or the
--                 spam score's hold: an operator decides first);
--                 mail whose From is an agent address (an agent's answer,
--                 authenticated or not: agents never notify agents, so two
--                 agents' autoresponders cannot talk to each other through
--                 us); automatic mail threaded onto an existing ticket.
-- Loop safety: these rows go only to agent addresses and the configured
-- forward_to, never to the requester; mail from an agent never causes one,
-- mail from forward_to never causes a forward.
--
-- p_request: the delivery request's notify member (lib/store/pd-delivery.h,
-- PdNotifyRequest): queue (the recipient's), queues {NAME: {group,
-- forward_to}} (the default_group and forward_to of each configured queue:
-- the ticket's queue decides, whatever address a reply came to), from (the
-- canonical From), robot (why the mail is automatic), envelope_from (MAIL
-- FROM: the bounce address, or null), group and forwards (a filter
-- rule's: the group heard instead of the queue's, addresses that get a
-- forward).  NULL: outbound mail is not
-- configured or [outbound] notify_agents = no; nothing is written.

-- The agents who hear of a ticket's mail, each at its main address:
--   1. the ticket's assignee (`#assign ADDRESS`), when active: whoever
--      took the ticket follows it; the manager and the group are not
--      notified of it;
--   2. else the account's active dedicated manager;
--   3. else the active agents of the queue's default_group (every active
--      agent when unset).
-- p_ticket_id NULL: a ticket not made yet (no assignee).
CREATE OR REPLACE FUNCTION pd_notify_audience(p_ticket_id bigint, p_account bigint, p_group text)
RETURNS TABLE (address text, name text, agent_id bigint, why text)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
	-- one person who follows the ticket: its assignee, else the manager
	RETURN QUERY
	SELECT pd_agent_main_address(c.id), c.name, c.id, c.why
	  FROM (SELECT a.id, a.name, 1 AS rank, 'the ticket''s assignee'::text AS why
		  FROM tickets t JOIN agents a ON a.id = t.assignee_agent_id
		 WHERE t.id = p_ticket_id AND a.active
		UNION ALL
		SELECT a.id, a.name, 2, 'the account''s dedicated manager'
		  FROM accounts ac JOIN agents a ON a.id = ac.manager_agent_id
		 WHERE ac.id = p_account AND a.active) c
	 ORDER BY c.rank
	 LIMIT 1;
	IF FOUND THEN
		RETURN;
	END IF;
	RETURN QUERY
	SELECT x.address, x.name, x.id,
	       CASE WHEN p_group IS NULL THEN 'active agent'
		    ELSE 'active agent of group ' || p_group END
	  -- each agent's main address in one join (a subquery per agent costs
	  -- ten times more: 0.6 ms for 25 agents)
	  FROM (SELECT DISTINCT ON (a.id) a.id, a.name, aa.address
		  FROM agents a JOIN agent_addresses aa ON aa.agent_id = a.id
		 WHERE a.active AND (p_group IS NULL OR p_group = ANY (a.groups))
		 ORDER BY a.id, aa.position, aa.address) x;
END
$$;

-- Who gets what for one message: rows (kind, address, name, agent_id,
-- why), kind 'forward' or 'notification'; or one row of kind 'none' whose
-- why says why nobody does.  p_ticket_id NULL with p_new_ticket: a ticket
-- not made yet (`postdesk test`).  Reads only.
CREATE OR REPLACE FUNCTION pd_notify_plan(p_ticket_id bigint, p_new_ticket boolean,
			       p_request jsonb, p_identity jsonb)
RETURNS TABLE (kind text, address text, name text, agent_id bigint, why text)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
	v_from text := lower(p_request->>'from');
	v_robot text := p_request->>'robot';
	v_forward_to text;
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
		-- a reply a filter rule holds (or scored as spam) tells nobody,
		-- the ticket itself stays as it is
		IF v_held IS NULL AND p_identity->>'held' IN ('rule', 'spam') THEN
			v_held := p_identity->>'held';
		END IF;
	END IF;
	-- a filter rule's group wins over the queue's
	v_group := coalesce(nullif(p_request->>'group', ''),
			    nullif(p_request->'queues'->v_queue->>'group', ''));
	v_forward_to := lower(nullif(p_request->'queues'->v_queue->>'forward_to', ''));
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

	-- a filter rule's forwards (vnd.postdesk forward, redirect), new
	-- ticket or reply, each address once
	v_forwarded := ARRAY(
		SELECT DISTINCT lower(x)
		  FROM jsonb_array_elements_text(coalesce(p_request->'forwards', '[]')) AS x
		 WHERE x <> '' AND lower(x) IS DISTINCT FROM v_from ORDER BY 1);
	RETURN QUERY
	SELECT 'forward'::text, f.address,
	       (SELECT a.name FROM agent_addresses aa JOIN agents a ON a.id = aa.agent_id
		 WHERE aa.address = f.address),
	       (SELECT aa.agent_id FROM agent_addresses aa WHERE aa.address = f.address),
	       'a filter rule''s forward'
	  FROM unnest(v_forwarded) WITH ORDINALITY AS f (address, n)
	 ORDER BY f.n;

	IF p_new_ticket AND v_robot IS NULL THEN
		IF v_forward_to IS NOT NULL AND v_forward_to IS DISTINCT FROM v_from
		   AND NOT v_forward_to = ANY (v_forwarded) THEN
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

	RETURN QUERY
	SELECT 'notification'::text, n.address, n.name, n.agent_id, n.why
	  FROM pd_notify_audience(p_ticket_id, v_account, v_group) n
	 WHERE NOT n.address = ANY (v_forwarded)
	 ORDER BY n.address;
	IF NOT FOUND AND cardinality(v_forwarded) = 0 THEN
		RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text, NULL::bigint,
			CASE WHEN v_group IS NULL THEN 'no active agent'
			     ELSE 'no active agent in group ' || v_group END;
	END IF;
END
$$;

-- Queue the plan's rows for a delivered message; returns how many.  A
-- duplicate delivery writes nothing; "nobody" writes a notify.skipped
-- event with the reason.  Set-based (one INSERT for the rows, one for
-- their events): a loop of single INSERTs cost 4 ms for 25 agents.
CREATE OR REPLACE FUNCTION pd_outbound_notify(p_ticket_id bigint, p_message_row bigint,
				   p_new_ticket boolean, p_duplicate boolean,
				   p_request jsonb, p_identity jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_queue text;
	v_count integer;
BEGIN
	IF p_request IS NULL OR p_duplicate OR p_ticket_id IS NULL THEN
		RETURN 0;
	END IF;
	SELECT q.name INTO v_queue
	  FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = p_ticket_id;
	WITH plan AS MATERIALIZED (
		SELECT * FROM pd_notify_plan(p_ticket_id, p_new_ticket, p_request, p_identity)
		       WITH ORDINALITY AS p (kind, address, name, agent_id, why, ord)),
	queued AS (
		INSERT INTO outbound (ticket_id, message_row, kind, template, queue,
				      recipients, recipient_name, envelope_from, auto_reply,
				      template_values)
		SELECT p_ticket_id, p_message_row, p.kind,
		       CASE p.kind WHEN 'forward' THEN 'forward' ELSE 'agent-notification' END,
		       v_queue, ARRAY[p.address], p.name,
		       coalesce(p_request->>'envelope_from', ''), false,
		       jsonb_strip_nulls(jsonb_build_object('agent.name', p.name))
		  FROM plan p WHERE p.kind <> 'none' ORDER BY p.ord
		RETURNING id, kind, recipients[1] AS address),
	logged AS (
		INSERT INTO events (ticket_id, message_row, kind, detail)
		SELECT p_ticket_id, p_message_row, 'outbound.queued',
		       jsonb_build_object('id', q.id, 'kind', q.kind, 'to', q.address,
					  'why', p.why)
		  FROM queued q JOIN plan p ON p.kind = q.kind AND p.address = q.address
		UNION ALL
		SELECT p_ticket_id, p_message_row, 'notify.skipped',
		       jsonb_build_object('reason', p.why)
		  FROM plan p WHERE p.kind = 'none'
		RETURNING kind)
	SELECT count(*) FILTER (WHERE kind = 'outbound.queued') INTO v_count FROM logged;
	RETURN v_count;
END
$$;

-- A held ticket released by an operator (`postdesk ticket release`): its
-- agents hear of it now, as of a new ticket, with the facts of its first
-- message (From, automatic or not) and the ticket's account.  p_request:
-- the configuration's part of a request (pd_pipeline_notify_settings), NULL:
-- nothing.  Returns how many rows were queued.
CREATE OR REPLACE FUNCTION pd_outbound_notify_released(p_ticket_id bigint, p_request jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_message bigint;
	v_from text;
	v_robot text;
	v_queue text;
	v_account bigint;
BEGIN
	IF p_request IS NULL THEN
		RETURN 0;
	END IF;
	SELECT m.id, lower(m.from_address),
	       CASE WHEN m.bounce THEN 'bounce' WHEN m.auto_submitted THEN 'auto-submitted'
		    WHEN m.list THEN 'list' WHEN m.bulk THEN 'bulk' END,
	       q.name, t.account_id
	  INTO v_message, v_from, v_robot, v_queue, v_account
	  FROM tickets t JOIN queues q ON q.id = t.queue_id
	  JOIN messages m ON m.ticket_id = t.id
	 WHERE t.id = p_ticket_id
	 ORDER BY m.id
	 LIMIT 1;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	RETURN pd_outbound_notify(p_ticket_id, v_message, true, false,
		p_request || jsonb_strip_nulls(jsonb_build_object('queue', v_queue,
			'from', v_from, 'robot', v_robot)),
		jsonb_strip_nulls(jsonb_build_object('account_id', v_account)));
END
$$;
