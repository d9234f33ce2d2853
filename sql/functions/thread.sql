-- thread: who may thread into a ticket (DESIGN invariant 4, the "ticket
-- trick").
--
-- A mail joins an existing ticket only when
--   - the pipeline verified a signed reply token (recipient subaddress or
--     In-Reply-To/References) issued to this very sender: p_thread->'token_ticket';
--   - or it cites a stored Message-ID (In-Reply-To, then References newest
--     first: every one is tried, the nearest ticket its sender takes part
--     in wins) or the subject tag [#N] of a ticket its sender takes part in
--     (pd_thread_takes_part: a participant, or an authenticated contact of
--     the ticket's account holding its queue's permission).
-- Anything else starts a ticket of its own, with a "thread.refused" event
-- saying why (pd_deliver_message, deliver.sql), so a stranger who cites a
-- ticket number, a Message-ID or writes to someone else's reply address
-- never joins (nor is relayed to) that ticket.  What joining does to a
-- solved/closed ticket (reopen it, or link a new one) is pd_thread_reopen.

-- Every stored message a mail cites, nearest first: the candidates in the
-- caller's order of preference (In-Reply-To, then References newest
-- first), and among messages carrying one Message-ID the oldest first.  A
-- set-returning SQL function so the planner inlines it into the caller's
-- cached plan (a scalar SQL function would be planned again on every
-- delivery: measured at a third of the delivery's server time).
-- Index-safe without statistics: that cached plan is made at a backend's
-- sixth delivery, when a fresh database's tables are tiny and never
-- analysed, and kept until an autoanalyze.  A plain join let it hash or
-- materialise a seq scan of messages, read in full on every delivery as
-- the table grew; one probe per candidate (LATERAL, kept apart from the
-- outer query by OFFSET 0) and the ticket by its key (a subquery) leave the
-- planner nothing cheaper than the indexes at any size (tests/bench/run
-- --growth: 0 seq scans).
CREATE OR REPLACE FUNCTION pd_thread_cited(candidates text[])
RETURNS TABLE (ticket_id bigint, ticket_number bigint, matched text)
LANGUAGE sql STABLE
AS $$
	SELECT m.ticket_id, (SELECT t.number FROM tickets t WHERE t.id = m.ticket_id), c.mid
	FROM unnest(candidates) WITH ORDINALITY AS c (mid, ord)
	CROSS JOIN LATERAL (SELECT o.id, o.ticket_id FROM messages o
			     WHERE o.message_id = c.mid OFFSET 0) m
	ORDER BY c.ord, m.id
$$;

-- The nearest of them (pd_store_thread_lookup).  No row: none is stored.
CREATE OR REPLACE FUNCTION pd_thread_lookup(candidates text[])
RETURNS TABLE (ticket_id bigint, ticket_number bigint, matched text)
LANGUAGE sql STABLE
AS $$
	SELECT c.ticket_id, c.ticket_number, c.matched FROM pd_thread_cited(candidates) c LIMIT 1
$$;

-- Is address (canonical, or the From as written) a participant of ticket?
CREATE OR REPLACE FUNCTION pd_thread_participant(p_ticket_id bigint, p_sender text, p_from text)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
	SELECT EXISTS (SELECT 1 FROM participants p
		       WHERE p.ticket_id = p_ticket_id
			 AND lower(p.address) IN (lower(p_sender), lower(p_from)))
$$;

-- Does the sender take part in ticket p_ticket_id, and how (the rule of
-- who may thread into a ticket; table tests/rules/table_thread.py):
--   'participant'  the requester, or an address of the first mail's Cc
--                  (participants), compared without case;
--   'contact'      an authenticated contact in good standing of the
--                  ticket's account who holds the permission of the
--                  ticket's queue: p_thread->'contact' = {account_id,
--                  queue}, set by the pipeline only for such a sender and
--                  the queue whose permission it holds (pd-pipeline-thread.c
--                  pd_pipeline_thread_contact); alternate contacts act on
--                  behalf of the account, so a colleague answering about
--                  the account's ticket belongs in it.  Joining does not
--                  make them a participant: nothing is relayed to them.
--   NULL           neither: a stranger, an unauthenticated colleague, a
--                  contact lacking the queue's permission or of another
--                  account.
CREATE OR REPLACE FUNCTION pd_thread_takes_part(p_ticket_id bigint, p_sender text, p_from text,
						 p_thread jsonb)
RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT CASE
		WHEN pd_thread_participant(p_ticket_id, p_sender, p_from) THEN 'participant'
		WHEN p_thread->'contact'->>'account_id' IS NOT NULL AND EXISTS (
			SELECT 1 FROM tickets t JOIN queues q ON q.id = t.queue_id
			 WHERE t.id = p_ticket_id
			   AND t.account_id = (p_thread->'contact'->>'account_id')::bigint
			   AND q.name = p_thread->'contact'->>'queue') THEN 'contact'
	       END
$$;

-- Which existing ticket a mail joins, if any (no reopening here): a
-- verified token, else the nearest cited Message-ID whose ticket the sender
-- takes part in (pd_thread_takes_part; every cited ticket is tried, so a
-- reply whose In-Reply-To names a stranger's ticket still joins the
-- requester's ticket its References name), else the [#N] of such a ticket,
-- else the ticket of such a stored reply to this mail (p_thread->>'message_id':
-- the mail's own Message-ID).  reason says which, and "(a contact of the
-- ticket's account)" when the sender takes part as one.  refused: each
-- ticket cited but not allowed before the one joined, for "thread.refused".
-- pd_deliver_message and `postdesk test` (pd_store_thread_decide) share it.
CREATE OR REPLACE FUNCTION pd_thread_decide(p_candidates text[], p_in_reply_to text, p_from text,
				 p_thread jsonb,
				 OUT ticket_id bigint, OUT ticket_number bigint,
				 OUT matched text, OUT reason text, OUT refused jsonb)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
	v_sender text := coalesce(p_thread->>'sender', lower(p_from));
	v_cited record;
	v_cited_id bigint;
	v_cited_number bigint;
	v_tried bigint[] := '{}';
	v_how text;
	v_hop integer;
BEGIN
	p_thread := coalesce(p_thread, '{}');
	refused := '[]';
	-- 1. a signed token the pipeline verified for this sender
	IF p_thread->>'token_ticket' IS NOT NULL THEN
		SELECT t.id, t.number INTO ticket_id, ticket_number
		  FROM tickets t WHERE t.id = (p_thread->>'token_ticket')::bigint;
		IF FOUND THEN
			reason := 'token ' || coalesce(p_thread->>'token_via', '');
		END IF;
	END IF;
	-- 2. the nearest stored Message-ID whose ticket the sender takes part in
	IF ticket_id IS NULL AND cardinality(p_candidates) > 0 THEN
		FOR v_cited IN SELECT c.ticket_id, c.ticket_number, c.matched
				 FROM pd_thread_cited(p_candidates) c LOOP
			CONTINUE WHEN v_cited.ticket_id = ANY (v_tried);
			v_tried := v_tried || v_cited.ticket_id;
			v_how := pd_thread_takes_part(v_cited.ticket_id, v_sender, p_from, p_thread);
			IF v_how IS NOT NULL THEN
				ticket_id := v_cited.ticket_id;
				ticket_number := v_cited.ticket_number;
				matched := v_cited.matched;
				reason := CASE WHEN matched = p_in_reply_to
					       THEN 'In-Reply-To <' || matched || '>'
					       ELSE 'References <' || matched || '>' END;
				EXIT;
			END IF;
			refused := refused || jsonb_build_object(
				'why', 'sender is not a participant',
				'via', 'Message-ID <' || v_cited.matched || '>',
				'ticket', v_cited.ticket_number, 'sender', v_sender);
		END LOOP;
	END IF;
	-- 3. the subject tag [#N], same condition
	IF ticket_id IS NULL AND p_thread->>'subject_number' IS NOT NULL THEN
		SELECT t.id, t.number INTO v_cited_id, v_cited_number
		  FROM tickets t WHERE t.number = (p_thread->>'subject_number')::bigint;
		IF FOUND THEN
			v_how := pd_thread_takes_part(v_cited_id, v_sender, p_from, p_thread);
			IF v_how IS NOT NULL THEN
				ticket_id := v_cited_id;
				ticket_number := v_cited_number;
				reason := 'subject [#' || v_cited_number || ']';
			ELSE
				refused := refused || jsonb_build_object(
					'why', 'sender is not a participant',
					'via', 'subject [#' || v_cited_number || ']',
					'ticket', v_cited_number, 'sender', v_sender);
			END IF;
		END IF;
	END IF;
	-- 4. a stored reply to this very mail (In-Reply-To: its Message-ID),
	--    same condition: the reply was delivered first (a retry, two
	--    sessions side by side), and the mail it answers joins its ticket
	--    instead of opening a second one for the same conversation
	IF ticket_id IS NULL AND p_thread->>'message_id' IS NOT NULL THEN
		-- (the ticket by its key: see pd_thread_cited)
		SELECT m.ticket_id, (SELECT t.number FROM tickets t WHERE t.id = m.ticket_id)
		  INTO v_cited_id, v_cited_number
		  FROM messages m
		 WHERE m.in_reply_to = p_thread->>'message_id'
		 ORDER BY m.id LIMIT 1;
		IF FOUND THEN
			v_how := pd_thread_takes_part(v_cited_id, v_sender, p_from, p_thread);
			IF v_how IS NOT NULL THEN
				ticket_id := v_cited_id;
				ticket_number := v_cited_number;
				matched := p_thread->>'message_id';
				reason := 'replied to (In-Reply-To <' || matched || '>)';
			ELSE
				refused := refused || jsonb_build_object(
					'why', 'sender is not a participant',
					'via', 'a reply to <' || (p_thread->>'message_id') || '>',
					'ticket', v_cited_number, 'sender', v_sender);
			END IF;
		END IF;
	END IF;
	IF v_how = 'contact' AND ticket_id IS NOT NULL THEN
		reason := reason || ' (a contact of the ticket''s account)';
	END IF;
	-- 5. a ticket merged into another (`postdesk ticket merge`): its mail
	--    joins that one (a merge never makes a cycle: desk.sql)
	FOR v_hop IN 1..8 LOOP
		SELECT t.id, t.number INTO v_cited_id, v_cited_number
		  FROM tickets f JOIN tickets t ON t.id = f.merged_into WHERE f.id = ticket_id;
		EXIT WHEN NOT FOUND;
		reason := reason || '; ticket ' || ticket_number || ' was merged into ' || v_cited_number;
		ticket_id := v_cited_id;
		ticket_number := v_cited_number;
	END LOOP;
END
$$;

-- Replies that arrived before the mail they answer (8 sessions, a slow
-- relay, a retry): when mail p_message_row is stored, each stored mail
-- below it in the In-Reply-To tree (its replies, their replies, ... in
-- that order) is decided again by pd_thread_decide, now that it is there:
-- the mail's candidates from its In-Reply-To and References, its sender,
-- and whether it is an authenticated contact holding its queue's
-- permission (p_thread: this delivery's thread facts, for the permission
-- each configured queue needs, queue_permissions).  When the rule now names another open ticket, the
-- mail moves there (event "message.moved" on both tickets); a ticket left
-- without messages is closed (event "ticket.merged").  A conversation
-- delivered in any order thus ends in the tickets of date order.
-- Never moved: a mail carrying a reply token or a [#N] (either may have
-- placed it), a mail the rule would now give a ticket of its own (it stays
-- where it is), a move into a solved/closed ticket.  No lock is taken: a
-- reply still in flight below a mail that moves also cites this mail (its
-- References), so it waits for this mail's Message-ID lock
-- (pd_deliver_message) and then sees the move; only a reply whose
-- References were cut short of this mail can still join the old ticket
-- (taking the moved mail's lock here made 8 sessions wait on each other
-- for seconds).  A mail that arrives in order has no stored replies: one
-- indexed lookup (messages_in_reply_to_idx).  At most 500 mails are
-- decided again per delivery.  Returns how many moved.
CREATE OR REPLACE FUNCTION pd_thread_rethread(p_message_row bigint, p_thread jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_parents bigint[] := ARRAY[p_message_row];
	v_seen bigint[] := ARRAY[p_message_row];
	v_parent record;
	v_child record;
	v_candidates text[];
	v_facts jsonb;
	v_decided record;
	v_old_number bigint;
	v_moved integer := 0;
	-- each configured queue and the permission it needs (null: none);
	-- a request without the list knows its own queue only
	v_permissions jsonb := coalesce(nullif(p_thread->'queue_permissions', 'null'),
		CASE WHEN p_thread->>'queue' IS NOT NULL
		     THEN jsonb_build_object(p_thread->>'queue', p_thread->'queue_permission')
		     ELSE '{}' END);
BEGIN
	WHILE cardinality(v_parents) > 0 AND cardinality(v_seen) <= 500 LOOP
		SELECT m.id, m.message_id, m.ticket_id INTO v_parent
		  FROM messages m WHERE m.id = v_parents[1];
		v_parents := v_parents[2:];
		CONTINUE WHEN v_parent.message_id IS NULL;
		FOR v_child IN
			SELECT m.id, m.message_id, m.in_reply_to, m.reference_ids, m.from_address,
			       m.subaddress, m.subject
			  FROM messages m
			 WHERE m.in_reply_to = v_parent.message_id AND m.direction = 'in'
			   AND m.id <> ALL (v_seen)
			 ORDER BY m.id
		LOOP
			v_seen := v_seen || v_child.id;
			v_parents := v_parents || v_child.id;
			EXIT WHEN cardinality(v_seen) > 500;
			-- a reply token (support+t-TOKEN@, pd.TOKEN@) or a [#N] may
			-- have placed it: not the Message-IDs' business
			CONTINUE WHEN v_child.subaddress LIKE 't-%'
				   OR v_child.subject ~ '\[#[0-9]+\]'
				   OR EXISTS (SELECT 1 FROM unnest(v_child.in_reply_to
								   || v_child.reference_ids) r
					       WHERE r LIKE 'pd.%');
			SELECT array_agg(c.id ORDER BY c.ord) INTO v_candidates
			  FROM (SELECT DISTINCT ON (u.id) u.id, u.ord
				  FROM unnest(v_child.in_reply_to
					      || ARRAY(SELECT r FROM unnest(v_child.reference_ids)
							 WITH ORDINALITY AS x (r, n) ORDER BY x.n DESC))
				       WITH ORDINALITY AS u (id, ord)
				 WHERE u.id IS DISTINCT FROM v_child.message_id
				 ORDER BY u.id, u.ord) c;
			-- who it is: an authenticated contact holding the permission
			-- of its ticket's queue, as the ticket it opened recorded
			-- (pd_ticket_identify), or, in a configured queue (v_permissions),
			-- by the contact rows and the mail's authentication verdict (the
			-- facts pd_identity_decide reads: no agent has the address,
			-- an active, unexpired contact with that queue's permission)
			SELECT jsonb_build_object('sender', lower(v_child.from_address),
				'contact', CASE
				WHEN t.requester_kind = 'contact' AND t.requester_authenticated
				     AND t.requester_authorized
				     AND lower(t.requester_address) = lower(v_child.from_address)
				THEN jsonb_build_object('account_id', t.account_id, 'queue', q.name)
				WHEN v_permissions ? q.name AND m.from_authenticated
				     AND NOT EXISTS (SELECT 1 FROM agent_addresses aa JOIN agents ag
							   ON ag.id = aa.agent_id
						      WHERE aa.address = lower(m.from_address) AND ag.active)
				THEN (SELECT jsonb_build_object('account_id', c.account_id, 'queue', q.name)
					FROM contacts c
				       WHERE c.address = lower(m.from_address) AND c.status = 'active'
					 AND (c.expires_at IS NULL OR c.expires_at > now())
					 AND (v_permissions->>q.name IS NULL
					      OR v_permissions->>q.name = ANY (c.permissions))
				       ORDER BY c.account_id = t.account_id DESC, c.id LIMIT 1)
				END)
			  INTO v_facts
			  FROM messages m JOIN tickets t ON t.id = m.ticket_id
			       JOIN queues q ON q.id = t.queue_id
			 WHERE m.id = v_child.id;
			SELECT d.ticket_id, d.ticket_number, d.reason INTO v_decided
			  FROM pd_thread_decide(coalesce(v_candidates, '{}'), v_child.in_reply_to,
						v_child.from_address, v_facts) d;
			CONTINUE WHEN v_decided.ticket_id IS NULL;
			SELECT t.number INTO v_old_number
			  FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.id = v_child.id;
			UPDATE tickets t SET updated_at = now()
			 WHERE t.id = v_decided.ticket_id AND t.status NOT IN ('solved', 'closed')
			   AND t.number <> v_old_number;
			CONTINUE WHEN NOT FOUND;
			UPDATE messages SET ticket_id = v_decided.ticket_id WHERE id = v_child.id;
			INSERT INTO events (ticket_id, message_row, kind, detail)
			SELECT t.id, v_child.id, 'message.moved',
			       jsonb_build_object('from', v_old_number, 'to', v_decided.ticket_number,
						  'reason', v_decided.reason,
						  'why', 'the mail it answers, <' || v_parent.message_id
							 || '>, arrived after it')
			  FROM tickets t WHERE t.number IN (v_old_number, v_decided.ticket_number);
			-- merged_into: a later mail citing the emptied ticket (its
			-- acknowledgement's token, its [#N]) joins where its mail went
			-- (pd_thread_decide step 5), instead of reopening an empty ticket
			UPDATE tickets t SET status = 'closed', closed_at = now(), updated_at = now(),
			       merged_into = v_decided.ticket_id
			 WHERE t.number = v_old_number
			   AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id);
			IF FOUND THEN
				INSERT INTO events (ticket_id, message_row, kind, detail)
				SELECT t.id, v_child.id, 'ticket.merged',
				       jsonb_build_object('into', v_decided.ticket_number,
							  'why', 'its messages moved there')
				  FROM tickets t WHERE t.number = v_old_number;
			END IF;
			v_moved := v_moved + 1;
		END LOOP;
	END LOOP;
	RETURN v_moved;
END
$$;

-- What a mail that joins ticket p_ticket_id does to it (README "Who joins a
-- ticket"): 'join' a ticket that is not solved/closed; 'reopen' one closed
-- (or solved: its last update) at most p_reopen_days (NULL: 14) days ago;
-- 'link' an older one: the mail starts a new ticket whose linked_ticket_id
-- names it.  was, closed_at: the ticket's status and when it closed, for
-- the event.  All NULL: no such ticket.  pd_deliver_message (on the ticket
-- it locked) and `postdesk test` (pd_store_thread_decide) share it.
CREATE OR REPLACE FUNCTION pd_thread_reopen(p_ticket_id bigint, p_reopen_days integer,
					    OUT action text, OUT was text, OUT closed_at timestamptz)
LANGUAGE sql STABLE
AS $$
	SELECT CASE WHEN t.status NOT IN ('solved', 'closed') THEN 'join'
		    WHEN coalesce(t.closed_at, t.updated_at) >=
			 now() - make_interval(days => coalesce(p_reopen_days, 14)) THEN 'reopen'
		    ELSE 'link' END,
	       t.status, coalesce(t.closed_at, t.updated_at)
	  FROM tickets t WHERE t.id = p_ticket_id
$$;
