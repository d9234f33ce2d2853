-- filter: what the operator's filter rules (lib/filter, Sieve) decided,
-- written by the delivery (deliver.sql step 8) and the quarantine that
-- holds mail the rules keep out of the tickets (`postdesk quarantine`).
--
-- The filter member of a delivery request is pd_filter_outcome_json
-- (lib/filter/pd-filter.h): {score, rules [{name, points}], actions
-- [{action, value, script, line}], disposition, reason, queue, group,
-- priority, category, assign, reply, noack, tags [], forwards [], errors
-- []}; null when no script is configured.  The queue, group, reply, noack,
-- forwards and the hold were already applied by the pipeline to the
-- delivery's other steps; this step records the outcome and sets what
-- belongs to the ticket.

-- Step 8 of pd_deliver: the score, the hits and the outcome on the
-- message; on a NEW ticket its category, priority and assignee (a reply
-- does not re-route a ticket an agent may already work on); tags on any
-- ticket; one "filter.applied" event.  An assign to an address that is no
-- active agent's is an event ("filter.assign_unknown"), not an error.
CREATE OR REPLACE FUNCTION pd_filter_apply(p_ticket_id bigint, p_message_row bigint,
					   p_new_ticket boolean, p_duplicate boolean,
					   p_filter jsonb)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
	v_agent bigint;
BEGIN
	IF p_filter IS NULL OR p_duplicate OR p_message_row IS NULL THEN
		RETURN false;
	END IF;
	UPDATE messages
	   SET spam_score = (p_filter->>'score')::double precision,
	       rule_hits = coalesce(p_filter->'rules', '[]'),
	       filter = p_filter
	 WHERE id = p_message_row;
	IF p_new_ticket THEN
		IF p_filter->>'assign' IS NOT NULL THEN
			SELECT aa.agent_id INTO v_agent
			  FROM agent_addresses aa JOIN agents a ON a.id = aa.agent_id
			 WHERE aa.address = lower(p_filter->>'assign') AND a.active;
			IF v_agent IS NULL THEN
				INSERT INTO events (ticket_id, message_row, kind, detail)
				VALUES (p_ticket_id, p_message_row, 'filter.assign_unknown',
					jsonb_build_object('assign', p_filter->>'assign'));
			END IF;
		END IF;
		UPDATE tickets
		   SET category = coalesce(p_filter->>'category', category),
		       priority = coalesce(p_filter->>'priority', priority),
		       assignee_agent_id = coalesce(v_agent, assignee_agent_id)
		 WHERE id = p_ticket_id
		   AND (p_filter->>'category' IS NOT NULL OR p_filter->>'priority' IS NOT NULL
			OR v_agent IS NOT NULL);
	END IF;
	INSERT INTO ticket_tags (ticket_id, tag)
	SELECT DISTINCT p_ticket_id, t
	  FROM jsonb_array_elements_text(coalesce(p_filter->'tags', '[]')) AS t
	 WHERE t ~ '^[^[:space:][:cntrl:]]{1,64}$'
	ORDER BY 2
	ON CONFLICT DO NOTHING;
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (p_ticket_id, p_message_row, 'filter.applied',
		jsonb_strip_nulls(jsonb_build_object(
			'score', p_filter->'score', 'rules', p_filter->'rules',
			'disposition', p_filter->>'disposition', 'reason', p_filter->>'reason',
			'category', p_filter->>'category', 'priority', p_filter->>'priority',
			'queue', p_filter->>'queue', 'assign', p_filter->>'assign',
			'tags', p_filter->'tags', 'errors', nullif(p_filter->'errors', '[]'))));
	RETURN true;
END
$$;

-- Keep one recipient's delivery in the quarantine instead of a ticket:
-- the same delivery again (its idempotency key) is the same row
-- (duplicate true).  p_request is the delivery request (deliver.sql's
-- members: idempotency_key, queue, recipient, envelope, message, filter);
-- p_days how long it is kept before the purge job deletes it.
CREATE OR REPLACE FUNCTION pd_quarantine_add(p_request jsonb, p_raw bytea, p_days integer,
	OUT id bigint, OUT duplicate boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
	v_msg jsonb := p_request->'message';
	v_filter jsonb := nullif(p_request->'filter', 'null');
BEGIN
	duplicate := false;
	INSERT INTO quarantine (idempotency_key, queue, recipient, envelope, message_id,
				from_address, subject, reason, spam_score, rule_hits, filter,
				raw, raw_sha256, expires_at)
	VALUES (p_request->>'idempotency_key', p_request->>'queue', p_request->>'recipient',
		coalesce(nullif(p_request->'envelope', 'null'), '{}'),
		v_msg->>'message_id', v_msg->'from'->>'address',
		coalesce(v_msg->>'subject', ''),
		coalesce(v_filter->>'reason', 'a filter rule'),
		(v_filter->>'score')::double precision,
		coalesce(v_filter->'rules', '[]'), v_filter,
		p_raw, v_msg->>'raw_sha256', now() + make_interval(days => greatest(p_days, 1)))
	ON CONFLICT (idempotency_key) DO NOTHING
	RETURNING quarantine.id INTO id;
	IF id IS NULL THEN
		SELECT q.id INTO id FROM quarantine q
		 WHERE q.idempotency_key = p_request->>'idempotency_key';
		duplicate := true;
	END IF;
END
$$;

-- `postdesk quarantine purge`: the "quarantine" job (jobs.sql
-- pd_job_quarantine) as of now; returns how many rows went.
CREATE OR REPLACE FUNCTION pd_quarantine_purge() RETURNS integer
LANGUAGE sql
AS $$
	SELECT pd_job_quarantine(now())
$$;
