-- deliver: one inbound delivery, all or nothing (DESIGN.md "store+queue").
--
-- The store runs the whole delivery of one recipient as ONE statement
-- (lib/store/pd-store.c, PD_STMT_DELIVER), so one transaction and one
-- round trip:
--   SELECT pd_ticket_identify(...), pd_message_auth(...), pd_outbound_ack(...),
--          pd_outbound_notify(...), pd_agent_answer(...),
--          pd_authorization_answer(...)
--     FROM pd_deliver_inbound(...) d
-- pd_deliver_inbound stores the message and threads it; the functions of
-- the SELECT list run after it returned, see the ticket it made or chose,
-- and commit with it or not at all.  Each of them writes nothing for a
-- duplicate delivery.

-- Store one inbound message and thread it into a ticket.
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
-- most p_thread->>'reopen_days' (default 14) days ago; later it starts a
-- new ticket whose linked_ticket_id names the old one ("ticket.linked"):
-- pd_thread_reopen (thread.sql) decides, on the locked ticket.
-- What was cited but refused gets a "thread.refused" event each, a refused
-- token a "thread.token" event.
--
-- Participants: a new ticket's requester, and its Cc addresses
-- (p_thread->>'cc', space separated: the pipeline drops our own addresses
-- and honours participants_from_cc) with role cc.
--
-- p_thread: jsonb_object() of the thread step's key/value pairs (all
-- text): sender, token_ticket, token_via, token_refused,
-- token_refused_ticket, token_refused_via, subject_number, cc,
-- reopen_days.  NULL: no facts (nothing but Message-IDs of participants
-- threads).
--
-- Few statements per delivery (PostgreSQL's CPU per delivery is most of
-- the benchmark): a reply to an open ticket is one UPDATE (updated_at);
-- the requester and the Cc participants one INSERT; every event
-- (ticket.created / message.threaded, ticket.linked / ticket.reopened,
-- thread.refused, thread.token, message.received) one INSERT ... SELECT
-- ... ORDER BY, ids in that order.
CREATE OR REPLACE FUNCTION pd_deliver_inbound(
	p_idempotency_key text, p_queue text, p_candidates text[],
	p_raw_sha256 text, p_raw bytea,
	p_message_id text, p_in_reply_to text, p_references text[],
	p_from_address text, p_from_name text, p_sender_address text,
	p_to_addresses text[], p_to_names text[],
	p_cc_addresses text[], p_cc_names text[],
	p_reply_to_address text, p_reply_to_name text,
	p_subject text, p_date timestamptz,
	p_text_body text, p_text_from_html boolean, p_html_body text,
	p_mail_from text, p_recipient text, p_subaddress text,
	p_client_address text, p_client_name text, p_client_helo text,
	p_client_protocol text, p_source text, p_warnings text[],
	p_class boolean[],	-- auto_submitted, bulk, list, bounce, auto_reply_suppressed
	p_att_sha256 text[], p_att_data bytea[], p_att_filename text[],
	p_att_content_type text[], p_att_inline boolean[], p_att_content_id text[],
	p_thread jsonb,
	-- each attachment's decoded size, and where it sits in p_raw (NULL:
	-- not a span of it, its bytes are in p_att_data)
	p_att_size bigint[], p_att_raw_offset bigint[], p_att_raw_length bigint[],
	p_att_encoding text[],
	OUT ticket_id bigint, OUT ticket_number bigint, OUT message_row bigint,
	OUT new_ticket boolean, OUT duplicate boolean, OUT thread_reason text)
LANGUAGE plpgsql
AS $$
-- An unqualified name that is both a column and an OUT parameter
-- (ticket_id, message_row) means the column; in VALUES lists, where no
-- table is in scope, it is the OUT parameter.
#variable_conflict use_column
DECLARE
	v_queue_id bigint;
	v_matched text;
	v_requester text := coalesce(p_from_address, nullif(p_mail_from, ''));
	v_thread jsonb := coalesce(p_thread, '{}');
	v_refused jsonb;
	v_status text;
	v_closed timestamptz;
	v_linked bigint;
	v_linked_number bigint;
	v_reopened boolean := false;
	v_action text;
BEGIN
	new_ticket := false;
	duplicate := false;

	SELECT m.ticket_id, t.number, m.id
	  INTO ticket_id, ticket_number, message_row
	  FROM messages m JOIN tickets t ON t.id = m.ticket_id
	 WHERE m.idempotency_key = p_idempotency_key;
	IF FOUND THEN
		duplicate := true;
		thread_reason := 'duplicate';
		RETURN;
	END IF;

	-- nothing cited, no token: a new ticket without asking
	v_refused := '[]';
	IF cardinality(p_candidates) > 0 OR v_thread ? 'token_ticket'
	   OR v_thread ? 'subject_number' THEN
		SELECT d.ticket_id, d.ticket_number, d.matched, d.reason, d.refused
		  INTO ticket_id, ticket_number, v_matched, thread_reason, v_refused
		  FROM pd_thread_decide(p_candidates, p_in_reply_to, v_requester, v_thread) d;
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
		SELECT q.id INTO v_queue_id FROM queues q WHERE q.name = p_queue;
		IF NOT FOUND THEN
			INSERT INTO queues (name) VALUES (p_queue)
			ON CONFLICT (name) DO NOTHING RETURNING id INTO v_queue_id;
			IF v_queue_id IS NULL THEN
				SELECT q.id INTO v_queue_id FROM queues q WHERE q.name = p_queue;
			END IF;
		END IF;
		INSERT INTO tickets (queue_id, subject, requester_address, requester_name,
				     linked_ticket_id)
		VALUES (v_queue_id, p_subject, v_requester, p_from_name, v_linked)
		RETURNING id, number INTO ticket_id, ticket_number;
		new_ticket := true;
		thread_reason := 'new ticket';
	END IF;

	INSERT INTO raw_messages (sha256, size, data)
	VALUES (p_raw_sha256, octet_length(p_raw), p_raw)
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
	VALUES (ticket_id, 'in', 'customer', p_idempotency_key,
		p_message_id, p_in_reply_to, coalesce(p_references, '{}'),
		p_from_address, p_from_name, p_sender_address,
		coalesce(p_to_addresses, '{}'), coalesce(p_to_names, '{}'),
		coalesce(p_cc_addresses, '{}'), coalesce(p_cc_names, '{}'),
		p_reply_to_address, p_reply_to_name, coalesce(p_subject, ''), p_date,
		p_text_body, coalesce(p_text_from_html, false), p_html_body, p_raw_sha256,
		p_mail_from, p_recipient, p_subaddress,
		p_client_address, p_client_name, p_client_helo, p_client_protocol, p_source,
		coalesce(p_warnings, '{}'),
		coalesce(p_class[1], false), coalesce(p_class[2], false),
		coalesce(p_class[3], false), coalesce(p_class[4], false),
		coalesce(p_class[5], false))
	RETURNING id INTO message_row;

	IF cardinality(p_att_sha256) > 0 THEN
		-- sorted by hash so two deliveries sharing attachments take
		-- their row locks in the same order (no deadlock); bytes only for
		-- an attachment that is not a span of the raw message
		INSERT INTO attachments (sha256, size, data)
		SELECT DISTINCT ON (a.sha256) a.sha256, a.size, a.data
		  FROM unnest(p_att_sha256, p_att_size, p_att_data) AS a (sha256, size, data)
		 ORDER BY a.sha256, a.data IS NULL
		ON CONFLICT (sha256) DO NOTHING;

		INSERT INTO message_attachments (message_row, position, filename,
			content_type, inline, content_id, sha256,
			raw_offset, raw_length, transfer_encoding)
		SELECT message_row, a.ord - 1, a.filename,
		       coalesce(a.content_type, 'application/octet-stream'),
		       coalesce(a.inline, false), a.content_id, a.sha256,
		       a.raw_offset, a.raw_length, a.encoding
		  FROM unnest(p_att_sha256, p_att_filename, p_att_content_type,
			      p_att_inline, p_att_content_id,
			      p_att_raw_offset, p_att_raw_length, p_att_encoding)
		       WITH ORDINALITY AS a (sha256, filename, content_type,
					     inline, content_id,
					     raw_offset, raw_length, encoding, ord);
	END IF;

	IF new_ticket THEN
		-- the requester, then the Cc addresses (sorted, so two deliveries
		-- take their index locks in one order); the first row of an
		-- address wins
		INSERT INTO participants (ticket_id, address, name, role)
		SELECT ticket_id, p.address, p.name, p.role
		  FROM (SELECT 0, v_requester, p_from_name, 'requester'
			 WHERE v_requester IS NOT NULL
			UNION
			SELECT 1, lower(c.address), NULL, 'cc'
			  FROM unnest(string_to_array(v_thread->>'cc', ' ')) AS c (address)
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
		       jsonb_build_object('number', ticket_number, 'queue', p_queue,
					  'subject', p_subject, 'requester', v_requester)
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
		       jsonb_build_object('message_id', p_message_id,
					  'from', p_from_address,
					  'mail_from', p_mail_from,
					  'recipient', p_recipient,
					  'source', p_source,
					  'size', octet_length(p_raw),
					  'attachments', coalesce(cardinality(p_att_sha256), 0),
					  'warnings', coalesce(cardinality(p_warnings), 0))
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
