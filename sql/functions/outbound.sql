-- outbound: the acknowledgement of a new ticket, and what a template
-- knows about an outbound row.
--
-- The outbound table (sql/0001_baseline.sql) holds one row per mail to
-- send; the daemon's sender renders and sends it.  Who else gets mail is
-- decided elsewhere: notify.sql (agents), agent.sql (relays to the
-- customer), authorization.sql (the holder's approval), jobs.sql (welcome
-- and reminders).

-- How many automatic mails went to p_address within the request's window
-- (p_request: {"limit", "window"}, as pd_outbound_ack gets it), when that
-- reaches its limit; NULL: below the cap, or no cap (limit 0 or unset).
-- The writers count again under the address's lock (pd_autoreply_lock).
CREATE OR REPLACE FUNCTION pd_autoreply_capped(p_address text, p_request jsonb)
RETURNS integer
LANGUAGE plpgsql STABLE
AS $$
-- PL/pgSQL, not SQL: its query is planned once per connection, not at
-- every call (it runs for every new ticket)
DECLARE
	v_limit integer := coalesce((p_request->>'limit')::integer, 0);
	v_count integer;
BEGIN
	IF v_limit <= 0 THEN
		RETURN NULL;
	END IF;
	SELECT count(*)::integer INTO v_count FROM autoreply_ledger l
	 WHERE l.address = lower(p_address)
	   AND l.sent_at > now() - make_interval(secs =>
		coalesce((p_request->>'window')::integer, 3600));
	RETURN CASE WHEN v_count >= v_limit THEN v_count END;
END
$$;

-- Two deliveries to one address must not both pass its cap: the writers
-- take this lock before they count.
CREATE OR REPLACE FUNCTION pd_autoreply_lock(p_address text)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(hashtextextended('pd-autoreply:' || lower(p_address), 0));
END
$$;

-- The acknowledgement decision of a delivered message, written by
-- pd_outbound_ack and shown by `postdesk test` (pd_store_ack_decide).
-- p_request is the pipeline's decision (lib/ticket pd_autoreply_decide), the
-- delivery request's ack member (lib/store/pd-delivery.h, PdAckRequest):
--   {"to", "name", "template", "queue", "limit", "window", "values"}  answer
--   {"suppress": reason, "to"}                                        do not answer
-- Only a new ticket is answered.  p_identity is the identity decision
-- (identity.sql pd_ticket_identify): a ticket held because its queue takes
-- known senders only gets the polite "held" reply instead (never a
-- bounce); one held for moderation, by a filter rule ('rule') or by its
-- spam score ('spam') gets nothing until an operator decides.
-- A contact whose request needs the holder's approval: the holder is asked
-- (authorization.sql pd_authorization_holder, and the holder's own cap)
-- and the contact gets the authorization-notice.  Then the sender's cap.
--   template   ack | held | authorization-notice, NULL: no acknowledgement
--   reason     why none (the loop rules' reason, 'no recipient', 'held for
--              moderation', 'held by a filter rule', 'rate limit', 'a reply
--              on an existing ticket', a filter's noack)
--   count      the automatic mails that reached the cap (reason 'rate limit')
--   holder     the primary holder asked (holder_why NULL), or not asked
--   holder_why why the holder is not asked; both NULL: nothing to ask
CREATE OR REPLACE FUNCTION pd_ack_decide(p_new_ticket boolean, p_request jsonb,
					 p_identity jsonb, OUT template text, OUT reason text,
					 OUT count integer, OUT holder text, OUT holder_why text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_to text := lower(p_request->>'to');
	v_base text := coalesce(p_request->>'template', 'ack');
	h record;
BEGIN
	IF p_request IS NULL THEN
		reason := 'not configured ([outbound] missing or acknowledge = no)';
		RETURN;
	END IF;
	IF NOT p_new_ticket THEN
		reason := 'a reply on an existing ticket';
		RETURN;
	END IF;
	reason := p_request->>'suppress';
	IF reason IS NULL AND coalesce(v_to, '') = '' THEN
		reason := 'no recipient';
	END IF;
	IF reason IS NULL AND p_identity->>'held' = 'moderate' THEN
		reason := 'held for moderation';
	ELSIF reason IS NULL AND p_identity->>'held' = 'rule' THEN
		reason := 'held by a filter rule';
	ELSIF reason IS NULL AND p_identity->>'held' = 'spam' THEN
		reason := 'held: the spam score reached the hold threshold';
	ELSIF p_identity->>'held' = 'known' THEN
		v_base := 'held';
	END IF;
	SELECT * INTO h FROM pd_authorization_holder(p_identity, reason);
	IF FOUND THEN
		holder := h.holder_address;
		holder_why := h.why;
		IF holder_why IS NULL THEN
			count := pd_autoreply_capped(holder, p_request);
			IF count IS NOT NULL THEN
				holder_why := format('rate limit: %s automatic mails to the holder in %s s',
						     count, coalesce(p_request->>'window', '3600'));
			END IF;
			count := NULL;
		END IF;
	END IF;
	IF reason IS NULL THEN
		count := pd_autoreply_capped(v_to, p_request);
		IF count IS NOT NULL THEN
			reason := 'rate limit';
		END IF;
	END IF;
	IF reason IS NULL THEN
		template := CASE WHEN holder IS NOT NULL AND holder_why IS NULL
				 THEN 'authorization-notice' ELSE v_base END;
	END IF;
END
$$;

-- The acknowledgement of a delivered message (deliver.sql), as
-- pd_ack_decide decides it: the holder's approval request
-- (authorization.sql pd_authorization_request), the 'ack' outbound row
-- counted in the ledger, or an autoreply.suppressed event with the reason.
-- NULL request (outbound mail not configured), a duplicate delivery or a
-- threaded reply write nothing.  The caps are counted under the
-- addresses' locks.  The request's "values" {NAME: text} are template
-- values that win over the ticket's (what an unauthenticated sender's mail
-- is echoed as, cut and defanged: lib/ticket/pd-echo.h).  Returns the
-- outbound row id, or NULL.
CREATE OR REPLACE FUNCTION pd_outbound_ack(p_ticket_id bigint, p_message_row bigint,
					   p_new_ticket boolean, p_duplicate boolean,
					   p_request jsonb, p_identity jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_to text := lower(p_request->>'to');
	d record;
	v_values jsonb;
	v_echo jsonb;
	v_template text;
	v_id bigint;
BEGIN
	IF p_request IS NULL OR p_duplicate OR NOT p_new_ticket OR p_ticket_id IS NULL THEN
		RETURN NULL;
	END IF;
	IF coalesce(v_to, '') <> '' AND coalesce((p_request->>'limit')::integer, 0) > 0 THEN
		PERFORM pd_autoreply_lock(v_to);
	END IF;
	SELECT * INTO d FROM pd_ack_decide(true, p_request, p_identity);
	-- asks the holder, or says why not (it counts the holder's cap again
	-- under the holder's lock)
	v_values := pd_authorization_request(p_ticket_id, p_message_row, p_request, p_identity,
					     CASE WHEN d.reason <> 'rate limit' THEN d.reason END);
	IF d.reason IS NOT NULL THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'autoreply.suppressed',
			jsonb_build_object('kind', 'ack', 'reason', d.reason, 'address', v_to) ||
			CASE WHEN d.count IS NULL THEN '{}'::jsonb
			     ELSE jsonb_build_object('count', d.count,
				'limit', (p_request->>'limit')::integer,
				'window', coalesce((p_request->>'window')::integer, 3600)) END);
		RETURN NULL;
	END IF;
	v_template := CASE WHEN v_values IS NOT NULL THEN 'authorization-notice'
			   WHEN d.template = 'authorization-notice' THEN
				coalesce(p_request->>'template', 'ack')
			   ELSE d.template END;
	v_echo := jsonb_strip_nulls(nullif(p_request->'values', 'null'));
	INSERT INTO outbound (ticket_id, message_row, kind, template, queue, lang,
			      recipients, recipient_name, envelope_from, auto_reply,
			      template_values)
	VALUES (p_ticket_id, p_message_row, 'ack', v_template,
		p_request->>'queue', p_request->>'lang', ARRAY[p_request->>'to'],
		p_request->>'name', '', true, coalesce(v_values, '{}') || coalesce(v_echo, '{}'))
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
