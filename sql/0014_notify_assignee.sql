-- 0014_notify_assignee: an assigned ticket's mail goes to its assignee
-- (issue 4 item 5, after 0007_notify, 0009_notify_release and the assignee
-- of 0010_agent).
--
-- Who is notified of a ticket's mail (pd_notify_audience, so the next
-- change of the audience replaces this one small function, not the plan):
--   1. the ticket's assignee (`#assign ADDRESS`), when active: whoever
--      took the ticket follows it; the manager and the group are not
--      notified of it any more;
--   2. else the account's active dedicated manager;
--   3. else the active agents of the queue's default_group (every active
--      agent when unset).
-- Forwards (new tickets: forward_to and the manager) are unchanged, and so
-- is who hears of nothing (pd_notify_plan).

-- The agents who hear of a ticket's mail, each at its main address.
-- p_ticket_id NULL: a ticket not made yet (no assignee).
CREATE FUNCTION pd_notify_audience(p_ticket_id bigint, p_account bigint, p_group text)
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

-- The plan of 0009 with its notifications from pd_notify_audience.
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
	END IF;
	v_group := nullif(p_request->>('group:' || v_queue), '');
	v_forward_to := lower(nullif(p_request->>('forward_to:' || v_queue), ''));
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
