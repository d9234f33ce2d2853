-- deliver: one recipient's delivery, all or nothing (DESIGN.md "store+queue").
--
-- The store runs the whole delivery of one recipient as ONE call of
-- pd_deliver (lib/store/pd-store-deliver.c), so one transaction and one
-- round trip.  Its parameters are named: request, the typed delivery
-- request as one document (lib/store/pd-delivery.h, pd_delivery_json),
-- and the bulk that does not belong in JSON: raw (the message's bytes),
-- text_body, html_body, attachment_data (the bytes of each attachment of
-- request.message.attachments that is not a span of raw; NULL where it is).
--
-- The request's members: idempotency_key, queue, recipient, subaddress,
-- envelope {mail_from, client_address, client_name, client_helo, protocol,
-- source}, message {raw_sha256, message_id, in_reply_to, references[],
-- from {address, name}, sender, to [{address, name}], cc [...], reply_to
-- {...}, subject, date, text_from_html, warnings[], class
-- {auto_submitted, bulk, list, bounce, auto_reply_suppressed}, attachments
-- [{sha256, size, filename, content_type, inline, content_id, raw_offset,
-- raw_length, encoding}]}, thread_candidates[], and one member per step of
-- the pipeline, each null when the step has nothing to say: auth,
-- identity, thread, ack, notify, agent, approval_answer, filter.

-- The steps, in this order; each sees what the ones before it wrote, and
-- each writes nothing for a duplicate delivery.
CREATE OR REPLACE FUNCTION pd_deliver(request jsonb, raw bytea, text_body text,
				      html_body text, attachment_data bytea[],
	OUT ticket_id bigint, OUT ticket_number bigint, OUT message_row bigint,
	OUT new_ticket boolean, OUT duplicate boolean, OUT thread_reason text)
LANGUAGE plpgsql
AS $$
DECLARE
	-- a step's member that is JSON null is no request at all
	v_identity jsonb := nullif(request->'identity', 'null');
	v_thread jsonb := coalesce(nullif(request->'thread', 'null'), '{}');
BEGIN
	-- 1. the message, the ticket it joins or opens (threading, reopening,
	--    linking), its attachments, participants and events
	SELECT d.ticket_id, d.ticket_number, d.message_row, d.new_ticket, d.duplicate,
	       d.thread_reason
	  INTO ticket_id, ticket_number, message_row, new_ticket, duplicate, thread_reason
	  FROM pd_deliver_message(request, raw, text_body, html_body, attachment_data) d;
	-- 2. who the requester is and what that allows (identity.sql)
	PERFORM pd_ticket_identify(ticket_id, message_row, new_ticket, duplicate, v_identity);
	-- 2b. replies stored before this mail follow it (thread.sql)
	PERFORM pd_thread_rethread(message_row, v_thread) WHERE NOT duplicate AND message_row IS NOT NULL;
	-- 3. the sender's authentication on the message
	PERFORM pd_message_auth(ticket_id, message_row, duplicate,
				nullif(request->'auth', 'null'));
	-- 4. the acknowledgement of a new ticket, or the authorization notice
	--    and the holder's approval request (outbound.sql, authorization.sql)
	PERFORM pd_outbound_ack(ticket_id, message_row, new_ticket, duplicate,
				nullif(request->'ack', 'null'), v_identity);
	-- 5. notifications and forwards to agents (notify.sql)
	PERFORM pd_outbound_notify(ticket_id, message_row, new_ticket, duplicate,
				   nullif(request->'notify', 'null'), v_identity);
	-- 6. an agent's answer: commands, relay to the customer (agent.sql)
	PERFORM pd_agent_answer(ticket_id, message_row, new_ticket, duplicate, v_identity,
				nullif(request->'agent', 'null'));
	-- 7. the primary holder's APPROVE/REFUSE (authorization.sql)
	PERFORM pd_authorization_answer(ticket_id, message_row, new_ticket, duplicate,
					v_identity, v_thread, request->>'approval_answer');
	-- 8. what the operator's filter rules decided: score, hits, category,
	--    priority, assignee, tags (filter.sql)
	PERFORM pd_filter_apply(ticket_id, message_row, new_ticket, duplicate,
				nullif(request->'filter', 'null'));
END
$$;

-- The advisory lock key of a Message-ID (pd_deliver_message).
CREATE OR REPLACE FUNCTION pd_message_id_lock(p_message_id text)
RETURNS bigint
LANGUAGE sql IMMUTABLE
AS $$
	SELECT hashtextextended('pd-message-id:' || p_message_id, 0)
$$;

-- Store one inbound message and thread it into a ticket (step 1).
--
-- A redelivery (same idempotency key) writes nothing and reports the
-- original.  Two concurrent deliveries of the same mail: the second fails
-- with unique_violation on messages_idempotency_key_key, which the store
-- reports as a duplicate.
--
-- Which ticket: pd_thread_decide (thread.sql) on what the mail cites, only
-- when it cites something (Message-IDs, a token, a subject [#N]): half of
-- all mail, new conversations, skips it.  A reply to a solved/closed
-- ticket reopens it (status open, "ticket.reopened") when it was closed at
-- most thread.reopen_days (default 14) days ago; later it starts a new
-- ticket whose linked_ticket_id names the old one ("ticket.linked"):
-- pd_thread_reopen (thread.sql) decides, on the locked ticket.  What was
-- cited but refused gets a "thread.refused" event each, a refused
-- token a "thread.token" event.
--
-- Participants: a new ticket's requester, and thread.cc (the pipeline drops
-- our own addresses and honours participants_from_cc) with role cc.
--
-- Few statements per delivery (PostgreSQL's CPU per delivery is most of
-- the benchmark): a reply to an open ticket is one UPDATE (updated_at);
-- the requester and the Cc participants one INSERT; every event
-- (ticket.created / message.threaded, ticket.linked / ticket.reopened,
-- thread.refused, thread.token, message.received) one INSERT ... SELECT
-- ... ORDER BY, ids in that order.
CREATE OR REPLACE FUNCTION pd_deliver_message(request jsonb, raw bytea, text_body text,
					      html_body text, attachment_data bytea[],
	OUT ticket_id bigint, OUT ticket_number bigint, OUT message_row bigint,
	OUT new_ticket boolean, OUT duplicate boolean, OUT thread_reason text)
LANGUAGE plpgsql
AS $$
-- An unqualified name that is both a column and an OUT parameter
-- (ticket_id, message_row) means the column; in VALUES lists, where no
-- table is in scope, it is the OUT parameter.
#variable_conflict use_column
DECLARE
	v_key text := request->>'idempotency_key';
	v_queue text := request->>'queue';
	v_env jsonb := coalesce(nullif(request->'envelope', 'null'), '{}');
	v_msg jsonb := request->'message';
	v_thread jsonb := coalesce(nullif(request->'thread', 'null'), '{}');
	v_candidates text[] := ARRAY(SELECT jsonb_array_elements_text(
					coalesce(request->'thread_candidates', '[]')));
	v_from_address text := v_msg->'from'->>'address';
	v_from_name text := v_msg->'from'->>'name';
	v_subject text := coalesce(v_msg->>'subject', '');
	v_mail_from text := v_env->>'mail_from';
	v_raw_sha256 text := v_msg->>'raw_sha256';
	v_attachments integer := jsonb_array_length(coalesce(v_msg->'attachments', '[]'));
	v_warnings text[] := ARRAY(SELECT jsonb_array_elements_text(
					coalesce(v_msg->'warnings', '[]')));
	v_queue_id bigint;
	v_matched text;
	v_requester text := coalesce(v_from_address, nullif(v_mail_from, ''));
	v_refused jsonb;
	v_status text;
	v_closed timestamptz;
	v_linked bigint;
	v_linked_number bigint;
	v_reopened boolean := false;
	v_action text;
	v_lock record;
BEGIN
	new_ticket := false;
	duplicate := false;

	-- A reply must not miss a parent whose delivery is still in flight
	-- (8 sessions deliver a conversation's mails side by side): each
	-- delivery holds its own Message-ID's lock until COMMIT, and waits for
	-- those of the Message-IDs it cites; the statements after it see them
	-- committed.  All of a delivery's locks are taken in the order of
	-- their keys, its own among them: taken own-first, a reply waiting for
	-- its parent, the parent waiting (queued behind a third mail's
	-- exclusive request) for the grandparent the reply holds, made a
	-- cycle PostgreSQL untangles only after deadlock_timeout (1 s), for
	-- seconds of latency in a conversation delivered out of order.  Two
	-- mails citing each other while both in flight are a deadlock
	-- PostgreSQL breaks (40P01), and the store runs the loser again.
	FOR v_lock IN
		SELECT pd_message_id_lock(u.id) AS key, bool_or(u.own) AS own
		  FROM (SELECT v_msg->>'message_id', true
			 WHERE v_msg->>'message_id' IS NOT NULL
			UNION ALL
			SELECT c, false FROM unnest(v_candidates) AS c
			 WHERE c IS DISTINCT FROM v_msg->>'message_id') AS u (id, own)
		 GROUP BY 1 ORDER BY 1
	LOOP
		IF v_lock.own THEN
			PERFORM pg_advisory_xact_lock(v_lock.key);
		ELSE
			PERFORM pg_advisory_xact_lock_shared(v_lock.key);
		END IF;
	END LOOP;

	SELECT m.ticket_id, t.number, m.id
	  INTO ticket_id, ticket_number, message_row
	  FROM messages m JOIN tickets t ON t.id = m.ticket_id
	 WHERE m.idempotency_key = v_key;
	IF FOUND THEN
		duplicate := true;
		thread_reason := 'duplicate';
		RETURN;
	END IF;

	-- nothing cited, no token, no Message-ID a stored reply could cite: a
	-- new ticket without asking
	v_refused := '[]';
	IF cardinality(v_candidates) > 0 OR v_thread->>'token_ticket' IS NOT NULL
	   OR v_thread->>'subject_number' IS NOT NULL OR v_thread->>'message_id' IS NOT NULL THEN
		SELECT d.ticket_id, d.ticket_number, d.matched, d.reason, d.refused
		  INTO ticket_id, ticket_number, v_matched, thread_reason, v_refused
		  FROM pd_thread_decide(v_candidates, v_msg->>'in_reply_to', v_requester,
					v_thread) d;
	END IF;
	-- a reply to an open ticket: one UPDATE; to a solved/closed one:
	-- reopen it, or link a new one
	IF ticket_id IS NOT NULL THEN
		UPDATE tickets t SET updated_at = now()
		 WHERE t.id = ticket_id AND t.status NOT IN ('solved', 'closed');
		IF NOT FOUND THEN
			PERFORM 1 FROM tickets t WHERE t.id = ticket_id FOR UPDATE;
			SELECT r.action, r.was, r.closed_at INTO v_action, v_status, v_closed
			  FROM pd_thread_reopen(ticket_id, (v_thread->>'reopen_days')::integer) r;
			IF v_action = 'reopen' THEN
				UPDATE tickets SET status = 'open', closed_at = NULL, updated_at = now()
				 WHERE id = ticket_id;
				v_reopened := true;
			ELSE
				v_linked := ticket_id;
				v_linked_number := ticket_number;
				ticket_id := NULL;
				ticket_number := NULL;
			END IF;
		END IF;
	END IF;

	IF ticket_id IS NULL THEN
		SELECT q.id INTO v_queue_id FROM queues q WHERE q.name = v_queue;
		IF NOT FOUND THEN
			INSERT INTO queues (name) VALUES (v_queue)
			ON CONFLICT (name) DO NOTHING RETURNING id INTO v_queue_id;
			IF v_queue_id IS NULL THEN
				SELECT q.id INTO v_queue_id FROM queues q WHERE q.name = v_queue;
			END IF;
		END IF;
		INSERT INTO tickets (queue_id, subject, requester_address, requester_name,
				     linked_ticket_id)
		VALUES (v_queue_id, v_subject, v_requester, v_from_name, v_linked)
		RETURNING id, number INTO ticket_id, ticket_number;
		new_ticket := true;
		thread_reason := 'new ticket';
	END IF;

	INSERT INTO raw_messages (sha256, size, data)
	VALUES (v_raw_sha256, octet_length(raw), raw)
	ON CONFLICT (sha256) DO NOTHING;

	INSERT INTO messages (ticket_id, direction, kind, idempotency_key,
		message_id, in_reply_to, reference_ids,
		from_address, from_name, sender_address,
		to_addresses, to_names, cc_addresses, cc_names,
		reply_to_address, reply_to_name, subject, date,
		text_body, text_from_html, html_body, raw_sha256,
		envelope_mail_from, envelope_recipient, subaddress,
		client_address, client_name, client_helo, client_protocol, source,
		parse_warnings, auto_submitted, bulk, list, bounce, auto_reply_suppressed)
	VALUES (ticket_id, 'in', 'customer', v_key,
		v_msg->>'message_id', v_msg->>'in_reply_to',
		ARRAY(SELECT jsonb_array_elements_text(coalesce(v_msg->'references', '[]'))),
		v_from_address, v_from_name, v_msg->>'sender',
		ARRAY(SELECT a->>'address' FROM jsonb_array_elements(coalesce(v_msg->'to', '[]')) a),
		ARRAY(SELECT a->>'name' FROM jsonb_array_elements(coalesce(v_msg->'to', '[]')) a),
		ARRAY(SELECT a->>'address' FROM jsonb_array_elements(coalesce(v_msg->'cc', '[]')) a),
		ARRAY(SELECT a->>'name' FROM jsonb_array_elements(coalesce(v_msg->'cc', '[]')) a),
		v_msg->'reply_to'->>'address', v_msg->'reply_to'->>'name', v_subject,
		(v_msg->>'date')::timestamptz,
		text_body, coalesce((v_msg->>'text_from_html')::boolean, false), html_body,
		v_raw_sha256,
		v_mail_from, request->>'recipient', request->>'subaddress',
		v_env->>'client_address', v_env->>'client_name', v_env->>'client_helo',
		v_env->>'protocol', v_env->>'source',
		v_warnings,
		coalesce((v_msg->'class'->>'auto_submitted')::boolean, false),
		coalesce((v_msg->'class'->>'bulk')::boolean, false),
		coalesce((v_msg->'class'->>'list')::boolean, false),
		coalesce((v_msg->'class'->>'bounce')::boolean, false),
		coalesce((v_msg->'class'->>'auto_reply_suppressed')::boolean, false))
	RETURNING id INTO message_row;

	IF v_attachments > 0 THEN
		-- sorted by hash so two deliveries sharing attachments take
		-- their row locks in the same order (no deadlock); bytes only for
		-- an attachment that is not a span of the raw message
		INSERT INTO attachments (sha256, size, data)
		SELECT DISTINCT ON (a.sha256) a.sha256, a.size, attachment_data[a.ord]
		  FROM ROWS FROM (jsonb_to_recordset(v_msg->'attachments')
				  AS (sha256 text, size bigint)) WITH ORDINALITY
		       AS a (sha256, size, ord)
		 ORDER BY a.sha256, attachment_data[a.ord] IS NULL
		ON CONFLICT (sha256) DO NOTHING;

		INSERT INTO message_attachments (message_row, position, filename,
			content_type, inline, content_id, sha256,
			raw_offset, raw_length, transfer_encoding)
		SELECT message_row, a.ord - 1, a.filename,
		       coalesce(a.content_type, 'application/octet-stream'),
		       coalesce(a.inline, false), a.content_id, a.sha256,
		       a.raw_offset, a.raw_length, a.encoding
		  FROM ROWS FROM (jsonb_to_recordset(v_msg->'attachments')
				  AS (sha256 text, filename text, content_type text, inline boolean,
				      content_id text, raw_offset bigint, raw_length bigint,
				      encoding text)) WITH ORDINALITY
		       AS a (sha256, filename, content_type, inline, content_id, raw_offset,
			     raw_length, encoding, ord);
	END IF;

	IF new_ticket THEN
		-- the requester, then the Cc addresses (sorted, so two deliveries
		-- take their index locks in one order); the first row of an
		-- address wins
		INSERT INTO participants (ticket_id, address, name, role)
		SELECT ticket_id, p.address, p.name, p.role
		  FROM (SELECT 0, v_requester, v_from_name, 'requester'
			 WHERE v_requester IS NOT NULL
			UNION
			SELECT 1, lower(c.address), NULL, 'cc'
			  FROM jsonb_array_elements_text(coalesce(v_thread->'cc', '[]'))
			       AS c (address)
			 WHERE c.address <> '') AS p (ord, address, name, role)
		 ORDER BY p.ord, p.address
		ON CONFLICT (ticket_id, lower(address)) DO NOTHING;
	END IF;
	-- every event of the delivery in one statement, in this order (ids
	-- follow it): what happened to the ticket, then thread refusals, then
	-- the message itself
	INSERT INTO events (ticket_id, message_row, kind, detail)
	SELECT ticket_id, message_row, e.kind, e.detail
	  FROM (SELECT 1, 0::bigint, 'ticket.created',
		       jsonb_build_object('number', ticket_number, 'queue', v_queue,
					  'subject', v_subject, 'requester', v_requester)
		 WHERE new_ticket
		UNION ALL
		SELECT 2, 0, 'ticket.linked',
		       jsonb_build_object('linked_ticket', v_linked_number,
					  'why', 'reply to a ticket closed more than '
						 || coalesce(v_thread->>'reopen_days', '14')
						 || ' days ago')
		 WHERE new_ticket AND v_linked IS NOT NULL
		UNION ALL
		SELECT 1, 0, 'message.threaded',
		       jsonb_build_object('reason', thread_reason, 'message_id', v_matched)
		 WHERE NOT new_ticket
		UNION ALL
		SELECT 2, 0, 'ticket.reopened',
		       jsonb_build_object('was', v_status, 'closed_at', v_closed)
		 WHERE NOT new_ticket AND v_reopened
		UNION ALL
		SELECT 3, r.n, 'thread.refused', r.value
		  FROM jsonb_array_elements(v_refused) WITH ORDINALITY AS r (value, n)
		UNION ALL
		SELECT 4, 0, 'thread.token',
		       jsonb_build_object('verdict', v_thread->>'token_refused',
					  'via', v_thread->>'token_refused_via',
					  'ticket_id', (v_thread->>'token_refused_ticket')::bigint)
		 WHERE v_thread->>'token_refused' IS NOT NULL
		UNION ALL
		SELECT 5, 0, 'message.received',
		       jsonb_build_object('message_id', v_msg->>'message_id',
					  'from', v_from_address,
					  'mail_from', v_mail_from,
					  'recipient', request->>'recipient',
					  'source', v_env->>'source',
					  'size', octet_length(raw),
					  'attachments', v_attachments,
					  'warnings', cardinality(v_warnings))
	       ) AS e (ord, n, kind, detail)
	 ORDER BY e.ord, e.n;
END
$$;

-- The authenticate step's outcome on the stored message (the messages
-- columns auth, auth_results, spf_result, dkim_result, dmarc_result,
-- from_authenticated) and one "sender.authenticated" event carrying the
-- same object.  p_auth NULL: nothing (authentication not recorded).
CREATE OR REPLACE FUNCTION pd_message_auth(p_ticket_id bigint, p_message_row bigint,
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
