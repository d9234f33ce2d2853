-- outbound: the acknowledgement of a new ticket, and what a template
-- knows about an outbound row.
--
-- The outbound table (sql/0001_baseline.sql) holds one row per mail to
-- send; the daemon's sender renders and sends it.  Who else gets mail is
-- decided elsewhere: notify.sql (agents), agent.sql (relays to the
-- customer), authorization.sql (the holder's approval), jobs.sql (welcome
-- and reminders).

-- The acknowledgement of a delivered message (deliver.sql).
-- p_request is the pipeline's decision (lib/ticket pd_autoreply_decide):
--   {"to", "name", "template", "queue", "lang", "limit", "window"}  answer
--   {"suppress": reason, "to"}                                      do not answer
-- NULL: outbound mail is not configured.  Only a new ticket is answered;
-- a duplicate delivery or a threaded reply writes nothing.  The
-- per-address cap is checked here, under a per-address lock, against the
-- ledger.  p_identity is the identity decision (identity.sql
-- pd_ticket_identify): a ticket held because its queue takes known
-- senders only gets the polite "held" reply instead of the
-- acknowledgement (never a bounce); one held for moderation gets nothing
-- until an operator decides.  A new ticket whose request needs the
-- holder's approval asks for it (authorization.sql
-- pd_authorization_request) and acknowledges with the
-- authorization-notice template.  Returns the outbound row id, or NULL.
CREATE OR REPLACE FUNCTION pd_outbound_ack(p_ticket_id bigint, p_message_row bigint,
					   p_new_ticket boolean, p_duplicate boolean,
					   p_request jsonb, p_identity jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_to text := lower(p_request->>'to');
	v_limit integer := coalesce((p_request->>'limit')::integer, 0);
	v_window integer := coalesce((p_request->>'window')::integer, 3600);
	v_template text := coalesce(p_request->>'template', 'ack');
	v_reason text := p_request->>'suppress';
	v_values jsonb;
	v_count integer;
	v_id bigint;
BEGIN
	IF p_request IS NULL OR p_duplicate OR NOT p_new_ticket OR p_ticket_id IS NULL THEN
		RETURN NULL;
	END IF;
	IF v_reason IS NULL AND (v_to IS NULL OR v_to = '') THEN
		v_reason := 'no recipient';
	END IF;
	IF v_reason IS NULL AND p_identity->>'held' = 'moderate' THEN
		v_reason := 'held for moderation';
	ELSIF p_identity->>'held' = 'known' THEN
		v_template := 'held';
	END IF;
	v_values := pd_authorization_request(p_ticket_id, p_message_row, p_request, p_identity,
					     v_reason);
	IF v_values IS NOT NULL THEN
		v_template := 'authorization-notice';
	END IF;
	IF v_reason IS NOT NULL THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'autoreply.suppressed',
			jsonb_build_object('kind', 'ack', 'reason', v_reason, 'address', v_to));
		RETURN NULL;
	END IF;
	IF v_limit > 0 THEN
		-- two deliveries from one address must not both pass the cap
		PERFORM pg_advisory_xact_lock(hashtextextended('pd-autoreply:' || v_to, 0));
		SELECT count(*) INTO v_count FROM autoreply_ledger
		 WHERE address = v_to AND sent_at > now() - make_interval(secs => v_window);
		IF v_count >= v_limit THEN
			INSERT INTO events (ticket_id, message_row, kind, detail)
			VALUES (p_ticket_id, p_message_row, 'autoreply.suppressed',
				jsonb_build_object('kind', 'ack', 'reason', 'rate limit',
						   'address', v_to, 'count', v_count,
						   'limit', v_limit, 'window', v_window));
			RETURN NULL;
		END IF;
	END IF;
	INSERT INTO outbound (ticket_id, message_row, kind, template, queue, lang,
			      recipients, recipient_name, envelope_from, auto_reply,
			      template_values)
	VALUES (p_ticket_id, p_message_row, 'ack', v_template,
		p_request->>'queue', p_request->>'lang', ARRAY[p_request->>'to'],
		p_request->>'name', '', true, coalesce(v_values, '{}'))
	ON CONFLICT (ticket_id) WHERE kind = 'ack' DO NOTHING
	RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		RETURN NULL;
	END IF;
	INSERT INTO autoreply_ledger (address, outbound_id) VALUES (v_to, v_id);
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (p_ticket_id, p_message_row, 'outbound.queued',
		jsonb_build_object('id', v_id, 'kind', 'ack', 'template', v_template,
				   'to', p_request->>'to'));
	RETURN v_id;
END
$$;

-- What a template needs to know about an outbound row's ticket, as
-- placeholder name -> text (lib/template pd_template_placeholders), plus
-- the row's own template_values, which win.  Read by the sender before
-- rendering.
CREATE OR REPLACE FUNCTION pd_outbound_values(p_id bigint)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'ticket.number', t.number::text,
		'ticket.subject', t.subject,
		'ticket.status', t.status,
		'ticket.priority', t.priority,
		'requester.name', t.requester_name,
		'requester.email', t.requester_address,
		'queue.name', q.name,
		'account.name', ac.name,
		'account.plan', ac.plan,
		'contact.name', c.name,
		'contact.email', c.address,
		'contact.role', c.role,
		'contact.may', CASE WHEN c.id IS NOT NULL
			THEN array_to_string(c.permissions, ', ') END,
		'contact.may_not', CASE WHEN c.id IS NOT NULL
			THEN nullif(pd_contact_may_not(c.permissions), '') END,
		'message.from', m.from_address,
		'message.subject', m.subject,
		'message.text', m.text_body))
	       || o.template_values
	  FROM outbound o
	  LEFT JOIN tickets t ON t.id = o.ticket_id
	  LEFT JOIN queues q ON q.id = t.queue_id
	  LEFT JOIN accounts ac ON ac.id = t.account_id
	  LEFT JOIN contacts c ON c.id = t.requester_contact_id AND c.status = 'active'
	  LEFT JOIN messages m ON m.id = o.message_row
	 WHERE o.id = p_id
$$;
