-- authorization: a request that needs a permission its contact lacks: the
-- authorization notice to the contact, the approval request to the
-- account's primary holder, and the holder's answer.
--
-- All of it runs in the delivery's own statement (deliver.sql), so it
-- commits with the message or not at all.
--
-- Asking (pd_authorization_request, from outbound.sql pd_outbound_ack): a
-- NEW ticket whose requester is a contact that is AUTHENTICATED, in good
-- standing and lacks the queue's permission (the identity decision says
-- privileged and needs_authorization), whose mail may be answered
-- automatically (the loop policy, lib/ticket pd-autoreply), of an account
-- with an active primary holder who is not the requester, and the holder's
-- per-address cap not reached:
--   - an outbound row kind 'authorization', template approval-request, to
--     the holder (not an auto-reply: Auto-Submitted: auto-generated; null
--     envelope sender), counted in the auto-reply ledger like every
--     automatic mail, so a flood of requests cannot flood the holder;
--   - tickets.authorization_state = 'requested' (+ permission, holder);
--   - the contact's acknowledgement is the authorization-notice template
--     instead of ack (still the ticket's one 'ack' row, same cap).
-- Otherwise the plain acknowledgement, and an "authorization.not_requested"
-- event saying why.  An unauthenticated From never asks the holder
-- (DESIGN invariant 4): a forger could otherwise make the holder approve a
-- request the real contact never made; that ticket keeps
-- needs_authorization and an agent decides.
--
-- Answering (pd_authorization_answer, in the delivery statement): a reply
-- on a ticket whose state is 'requested' is the holder's answer when
--   - its first line is APPROVE or REFUSE (lib/ticket pd-authorization),
--   - it threaded by a signed token issued to its sender (the approval
--     request's Reply-To or Message-ID),
--   - its sender is the holder who was asked and still the account's
--     active primary holder,
--   - and its From domain is authenticated.
-- APPROVE: needs_authorization = false, state 'approved'; REFUSE: state
-- 'refused' (needs_authorization stays true: nobody may act on it).  Event
-- "authorization.approved"/"authorization.refused" with who, and the
-- contact is told (kind 'authorization', template authorization-approved /
-- authorization-refused, an auto-reply).  Any other mail on that ticket
-- that carries an answer word, or comes from the holder, changes nothing
-- but an "authorization.ignored" event with why.  Only the first valid
-- answer counts.

-- Who would be asked to approve the request of p_identity (the identity
-- decision of a new ticket), or why nobody is.  p_suppressed: the loop
-- policy's reason not to answer this mail (NULL: it may be answered).
-- Returns no row when the request needs no authorization at all.
CREATE OR REPLACE FUNCTION pd_authorization_holder(p_identity jsonb, p_suppressed text,
					OUT holder_id bigint, OUT holder_address text,
					OUT holder_name text, OUT why text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	IF p_identity IS NULL OR
	   NOT coalesce((p_identity->>'needs_authorization')::boolean, false) THEN
		RETURN;
	END IF;
	IF p_identity->>'kind' IS DISTINCT FROM 'contact' THEN
		why := 'requester is not a contact of an account';
	ELSIF NOT coalesce((p_identity->>'authenticated')::boolean, false) THEN
		why := 'From domain not authenticated: a forged From never asks the holder';
	ELSIF NOT coalesce((p_identity->>'privileged')::boolean, false) THEN
		why := 'contact not in good standing';
	ELSIF p_suppressed IS NOT NULL THEN
		why := 'no automatic mail for this message (' || p_suppressed || ')';
	ELSE
		SELECT c.id, c.address, c.name INTO holder_id, holder_address, holder_name
		  FROM contacts c
		 WHERE c.account_id = (p_identity->>'account_id')::bigint
		   AND c.role = 'primary' AND c.status = 'active'
		   AND (c.expires_at IS NULL OR c.expires_at > now());
		IF NOT FOUND THEN
			why := 'the account has no active primary holder';
		ELSIF holder_id = (p_identity->>'contact_id')::bigint THEN
			why := 'the requester is the primary holder';
			holder_id := NULL;
			holder_address := NULL;
			holder_name := NULL;
		END IF;
	END IF;
	RETURN NEXT;
END
$$;

-- Ask the primary holder to approve a new ticket's request (see the top).
-- p_request: pd_outbound_ack's request (queue, lang, limit, window).
-- Returns the notice's template values when the holder was asked, else
-- NULL (then the contact gets the plain acknowledgement).
CREATE OR REPLACE FUNCTION pd_authorization_request(p_ticket_id bigint, p_message_row bigint,
					 p_request jsonb, p_identity jsonb, p_suppressed text)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	h record;
	v_permission text := p_identity->>'permission';
	v_limit integer := coalesce((p_request->>'limit')::integer, 0);
	v_window integer := coalesce((p_request->>'window')::integer, 3600);
	v_count integer;
	v_summary text;
	v_id bigint;
BEGIN
	SELECT * INTO h FROM pd_authorization_holder(p_identity, p_suppressed);
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF h.why IS NULL AND v_limit > 0 THEN
		-- the holder's cap, counted again under the holder's lock
		-- (pd_ack_decide counted it without)
		PERFORM pd_autoreply_lock(h.holder_address);
		v_count := pd_autoreply_capped(h.holder_address, p_request);
		IF v_count IS NOT NULL THEN
			h.why := format('rate limit: %s automatic mails to the holder in %s s',
					v_count, v_window);
		END IF;
	END IF;
	IF h.why IS NOT NULL THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'authorization.not_requested',
			jsonb_build_object('why', h.why, 'permission', v_permission,
					   'holder', h.holder_address));
		RETURN NULL;
	END IF;
	-- what was asked: the subject and the start of the text, indented
	-- like the template's line
	SELECT left(coalesce(m.subject, ''), 200) ||
	       CASE WHEN coalesce(btrim(m.text_body), '') = '' THEN ''
		    ELSE E'\n\n  ' || regexp_replace(
				rtrim(left(btrim(m.text_body, E' \t\r\n'), 500)),
				E'\r?\n', E'\n  ', 'g') END
	  INTO v_summary
	  FROM messages m WHERE m.id = p_message_row;
	INSERT INTO outbound (ticket_id, message_row, kind, template, queue, lang,
			      recipients, recipient_name, envelope_from, auto_reply,
			      template_values)
	VALUES (p_ticket_id, NULL, 'authorization', 'approval-request',
		p_request->>'queue', p_request->>'lang', ARRAY[h.holder_address],
		h.holder_name, '', false,
		jsonb_build_object('request.permission', v_permission,
				   'request.summary', coalesce(v_summary, ''),
				   -- the holder is who this mail greets
				   'requester.name', coalesce(h.holder_name, ''),
				   'requester.email', h.holder_address))
	RETURNING id INTO v_id;
	INSERT INTO autoreply_ledger (address, outbound_id) VALUES (h.holder_address, v_id);
	UPDATE tickets
	   SET authorization_state = 'requested', authorization_permission = v_permission,
	       authorization_holder = h.holder_address
	 WHERE id = p_ticket_id;
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (p_ticket_id, p_message_row, 'authorization.requested',
		jsonb_build_object('holder', h.holder_address, 'permission', v_permission,
				   'outbound_id', v_id)),
	       (p_ticket_id, p_message_row, 'outbound.queued',
		jsonb_build_object('id', v_id, 'kind', 'authorization',
				   'template', 'approval-request', 'to', h.holder_address));
	RETURN jsonb_build_object('request.permission', v_permission);
END
$$;

-- Is a reply on ticket p_ticket_id the holder's answer?  NULL: not an
-- attempt at one (no answer word, not from the holder, or nothing is
-- being asked); else {"answer", "sender", "accepted", "why"}.
-- p_identity: the reply's identity decision; p_thread: the thread step's
-- facts (sender, token_ticket); p_answer: 'approve', 'refuse' or NULL.
CREATE OR REPLACE FUNCTION pd_authorization_answer_check(p_ticket_id bigint, p_identity jsonb,
					      p_thread jsonb, p_answer text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	t record;
	v_sender text := lower(p_thread->>'sender');
	v_why text;
BEGIN
	SELECT tk.authorization_state, tk.authorization_holder, tk.account_id INTO t
	  FROM tickets tk WHERE tk.id = p_ticket_id;
	IF NOT FOUND OR t.authorization_state IS DISTINCT FROM 'requested' THEN
		RETURN NULL;
	END IF;
	IF p_answer IS NULL AND v_sender IS DISTINCT FROM t.authorization_holder THEN
		RETURN NULL;
	END IF;
	IF p_answer IS NULL THEN
		v_why := 'the first line is not APPROVE or REFUSE';
	ELSIF v_sender IS DISTINCT FROM t.authorization_holder THEN
		v_why := 'the sender is not the primary holder who was asked';
	ELSIF NOT coalesce((p_identity->>'authenticated')::boolean, false) THEN
		v_why := 'From domain not authenticated';
	ELSIF (p_thread->>'token_ticket')::bigint IS DISTINCT FROM p_ticket_id THEN
		v_why := 'not a reply through the approval request (no valid token for the sender)';
	ELSIF NOT EXISTS (SELECT 1 FROM contacts c
			   WHERE c.account_id = t.account_id AND c.address = v_sender
			     AND c.role = 'primary' AND c.status = 'active'
			     AND (c.expires_at IS NULL OR c.expires_at > now())) THEN
		v_why := 'the sender is no longer the account''s active primary holder';
	END IF;
	RETURN jsonb_build_object('answer', p_answer, 'sender', v_sender,
				  'accepted', v_why IS NULL, 'why', v_why);
END
$$;

-- The holder's answer on a delivered reply (see the top).  Returns the
-- new state ('approved', 'refused'), 'ignored', or NULL (not an answer).
CREATE OR REPLACE FUNCTION pd_authorization_answer(p_ticket_id bigint, p_message_row bigint,
					p_new_ticket boolean, p_duplicate boolean,
					p_identity jsonb, p_thread jsonb, p_answer text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	v_check jsonb;
	v_state text;
	t record;
	v_to text;
	v_name text;
	v_first bigint;
	v_template text;
	v_id bigint;
BEGIN
	IF p_duplicate OR p_new_ticket OR p_ticket_id IS NULL THEN
		RETURN NULL;
	END IF;
	-- one answer at a time: the row lock orders two replies
	PERFORM 1 FROM tickets WHERE id = p_ticket_id FOR UPDATE;
	v_check := pd_authorization_answer_check(p_ticket_id, p_identity,
						 coalesce(p_thread, '{}'), p_answer);
	IF v_check IS NULL THEN
		RETURN NULL;
	END IF;
	IF NOT (v_check->>'accepted')::boolean THEN
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'authorization.ignored',
			v_check - 'accepted' || jsonb_build_object(
				'authenticated', coalesce((p_identity->>'authenticated')::boolean,
							  false)));
		RETURN 'ignored';
	END IF;
	v_state := CASE p_answer WHEN 'approve' THEN 'approved' ELSE 'refused' END;
	UPDATE tickets
	   SET authorization_state = v_state,
	       needs_authorization = (v_state <> 'approved'),
	       authorization_answered_at = now()
	 WHERE id = p_ticket_id
	RETURNING authorization_permission, authorization_holder, requester_contact_id,
		  requester_address, requester_name, queue_id INTO t;
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (p_ticket_id, p_message_row, 'authorization.' || v_state,
		jsonb_build_object('by', t.authorization_holder,
				   'permission', t.authorization_permission));
	-- tell the contact, in the thread of their first mail
	SELECT c.address, c.name INTO v_to, v_name FROM contacts c
	 WHERE c.id = t.requester_contact_id;
	v_to := coalesce(v_to, lower(t.requester_address));
	v_name := coalesce(v_name, t.requester_name);
	IF v_to IS NULL THEN
		RETURN v_state;
	END IF;
	SELECT min(m.id) INTO v_first FROM messages m
	 WHERE m.ticket_id = p_ticket_id AND m.direction = 'in';
	v_template := 'authorization-' || v_state;
	INSERT INTO outbound (ticket_id, message_row, kind, template, queue, recipients,
			      recipient_name, envelope_from, auto_reply, template_values)
	SELECT p_ticket_id, v_first, 'authorization', v_template, q.name, ARRAY[v_to],
	       v_name, '', true,
	       jsonb_build_object('request.permission', t.authorization_permission,
				  'approval.address', t.authorization_holder)
	  FROM queues q WHERE q.id = t.queue_id
	RETURNING id INTO v_id;
	INSERT INTO autoreply_ledger (address, outbound_id) VALUES (v_to, v_id);
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (p_ticket_id, p_message_row, 'outbound.queued',
		jsonb_build_object('id', v_id, 'kind', 'authorization',
				   'template', v_template, 'to', v_to));
	RETURN v_state;
END
$$;

-- `postdesk test`: what the delivery would decide about authorization,
-- without writing.  p_ticket_number: the ticket the mail threads into
-- (NULL: a new ticket); p_ack: the acknowledgement request the delivery
-- gets (pd_outbound_ack's p_request, NULL: none).  action: 'request' (the
-- holder is asked), 'not requested', 'approve', 'refuse', 'ignored', or
-- NULL (nothing to decide); detail says who or why.  A new ticket: what
-- pd_ack_decide says of the holder (pd_outbound_ack asks by it); a reply:
-- pd_authorization_answer_check (pd_authorization_answer obeys it).
CREATE OR REPLACE FUNCTION pd_authorization_explain(p_ticket_number bigint, p_identity jsonb,
					 p_thread jsonb, p_answer text, p_ack jsonb,
					 OUT action text, OUT detail text)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	d record;
	v_check jsonb;
BEGIN
	IF p_ticket_number IS NULL THEN
		SELECT * INTO d FROM pd_ack_decide(true, p_ack, p_identity);
		IF d.holder IS NOT NULL AND d.holder_why IS NULL THEN
			action := 'request';
			detail := 'ask the primary holder ' || d.holder;
		ELSIF d.holder_why IS NOT NULL THEN
			action := 'not requested';
			detail := d.holder_why;
		END IF;
		RETURN;
	END IF;
	SELECT pd_authorization_answer_check(t.id, p_identity, coalesce(p_thread, '{}'), p_answer)
	  INTO v_check FROM tickets t WHERE t.number = p_ticket_number;
	IF v_check IS NULL THEN
		RETURN;
	END IF;
	IF (v_check->>'accepted')::boolean THEN
		action := v_check->>'answer';
		detail := 'the answer of the primary holder ' || (v_check->>'sender');
	ELSE
		action := 'ignored';
		detail := v_check->>'why';
	END IF;
END
$$;
