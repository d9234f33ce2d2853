-- 0008_attachment_spans: an attachment's bytes are kept once, in the raw
-- message (issue 2, benchmark).
--
-- Until 0006 every attachment was stored twice: encoded inside
-- raw_messages.data (which must be kept as received, DESIGN invariant 6)
-- and decoded in attachments.data: a third more bytes, WAL and TOAST work
-- per delivery for a typical mail.  Now a message's attachment that sits
-- in its raw bytes as such (almost all: pd_mail_parse reads parts in place)
-- is a span of that raw message: message_attachments.raw_offset and
-- raw_length (bytes, 0-based) and transfer_encoding ('base64',
-- 'quoted-printable', 'x-uuencode', 'binary': the bytes as they are).
-- pd_mail_decode() turns the span back into exactly the decoded bytes,
-- whose SHA-256 is checked when they are read (pd_store_attachment_get,
-- `postdesk ticket attachment SHA256`).
--
-- attachments stays the content-addressed catalogue: one row per distinct
-- content (SHA-256 of the decoded bytes, its size), shared by every message
-- carrying it.  attachments.data holds the bytes only when they are not a
-- span of a raw message (a message/rfc822 part written out again, a
-- multipart prologue, a mail whose hostile header block was cut before
-- parsing) and that content was not stored before; otherwise NULL, and the
-- bytes are read through any message_attachments row with a span.  So
-- identical attachments still cost one catalogue row, and no decoded copy.
-- Rows written before this migration keep their data and no span.

ALTER TABLE attachments ALTER COLUMN data DROP NOT NULL;
ALTER TABLE message_attachments
	ADD COLUMN raw_offset bigint CHECK (raw_offset >= 0),
	ADD COLUMN raw_length bigint CHECK (raw_length >= 0),
	ADD COLUMN transfer_encoding text
		CHECK (transfer_encoding IN ('base64', 'quoted-printable', 'x-uuencode', 'binary')),
	ADD CONSTRAINT message_attachments_span_check
		CHECK ((raw_offset IS NULL) = (raw_length IS NULL)
		       AND (raw_offset IS NULL) = (transfer_encoding IS NULL));

DROP FUNCTION pd_deliver_inbound(text, text, text[], text, bytea, text, text, text[],
	text, text, text, text[], text[], text[], text[], text, text, text, timestamptz,
	text, boolean, text, text, text, text, text, text, text, text, text, text[],
	boolean[], text[], bytea[], text[], text[], boolean[], text[], jsonb);

CREATE FUNCTION pd_deliver_inbound(
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
	v_reopened boolean := false;
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

	SELECT d.ticket_id, d.ticket_number, d.matched, d.reason, d.refused
	  INTO ticket_id, ticket_number, v_matched, thread_reason, v_refused
	  FROM pd_thread_decide(p_candidates, p_in_reply_to, v_requester, v_thread) d;
	-- a reply to a solved/closed ticket: reopen it, or link a new one
	IF ticket_id IS NOT NULL THEN
		SELECT t.status, coalesce(t.closed_at, t.updated_at) INTO v_status, v_closed
		  FROM tickets t WHERE t.id = ticket_id FOR UPDATE;
		IF v_status IN ('solved', 'closed') THEN
			IF v_closed >= now() - make_interval(days =>
					coalesce((v_thread->>'reopen_days')::integer, 14)) THEN
				UPDATE tickets SET status = 'open', closed_at = NULL
				 WHERE id = ticket_id;
				v_reopened := true;
			ELSE
				v_linked := ticket_id;
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
	ELSE
		UPDATE tickets SET updated_at = now() WHERE id = ticket_id;
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
		IF v_requester IS NOT NULL THEN
			INSERT INTO participants (ticket_id, address, name, role)
			VALUES (ticket_id, v_requester, p_from_name, 'requester')
			ON CONFLICT (ticket_id, lower(address)) DO NOTHING;
		END IF;
		-- sorted, so two deliveries take their index locks in one order
		INSERT INTO participants (ticket_id, address, role)
		SELECT DISTINCT ticket_id, lower(c.address), 'cc'
		  FROM unnest(string_to_array(v_thread->>'cc', ' ')) AS c (address)
		 WHERE c.address <> ''
		 ORDER BY 2
		ON CONFLICT (ticket_id, lower(address)) DO NOTHING;
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (ticket_id, message_row, 'ticket.created',
			jsonb_build_object('number', ticket_number, 'queue', p_queue,
					   'subject', p_subject,
					   'requester', v_requester));
		IF v_linked IS NOT NULL THEN
			INSERT INTO events (ticket_id, message_row, kind, detail)
			SELECT ticket_id, message_row, 'ticket.linked',
			       jsonb_build_object('linked_ticket', t.number,
						  'why', 'reply to a ticket closed more than '
							 || coalesce(v_thread->>'reopen_days', '14')
							 || ' days ago')
			  FROM tickets t WHERE t.id = v_linked;
		END IF;
	ELSE
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (ticket_id, message_row, 'message.threaded',
			jsonb_build_object('reason', thread_reason,
					   'message_id', v_matched));
		IF v_reopened THEN
			INSERT INTO events (ticket_id, message_row, kind, detail)
			VALUES (ticket_id, message_row, 'ticket.reopened',
				jsonb_build_object('was', v_status,
						   'closed_at', v_closed));
		END IF;
	END IF;
	INSERT INTO events (ticket_id, message_row, kind, detail)
	SELECT ticket_id, message_row, 'thread.refused', r.value
	  FROM jsonb_array_elements(v_refused) AS r;
	IF v_thread->>'token_refused' IS NOT NULL THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (ticket_id, message_row, 'thread.token',
			jsonb_build_object('verdict', v_thread->>'token_refused',
					   'via', v_thread->>'token_refused_via',
					   'ticket_id', (v_thread->>'token_refused_ticket')::bigint));
	END IF;
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (ticket_id, message_row, 'message.received',
		jsonb_build_object('message_id', p_message_id,
				   'from', p_from_address,
				   'mail_from', p_mail_from,
				   'recipient', p_recipient,
				   'source', p_source,
				   'size', octet_length(p_raw),
				   'attachments', coalesce(cardinality(p_att_sha256), 0),
				   'warnings', coalesce(cardinality(p_warnings), 0)));
END
$$;
