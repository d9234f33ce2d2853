-- 0003_outbound: the mail postdesk sends (issue 4).
--
-- outbound: one row per mail to send.  Rows are written in the transaction
-- that decides them (the acknowledgement inside the inbound delivery, see
-- pd_outbound_ack), and sent by the daemon's sender, which claims due rows
-- with FOR UPDATE SKIP LOCKED (several daemons may share the database).
--
-- States:  queued -> sending -> sent
--                           \-> queued (transient failure: next_attempt_at
--                                       backs off; attempts counted)
--                           \-> failed (5xx with the server's reply, too
--                                       many attempts, or outcome unknown)
--          queued|failed -> cancelled (operator), failed -> queued (retry)
-- A row is marked "sending" (claimed_by, lease_until) and COMMITTED before
-- the SMTP transaction starts, and its outcome is recorded after it ends.
-- A row still "sending" after its lease means the sender died in between:
-- the relay may or may not have the mail, so it is NOT sent again
-- automatically (at most once: no duplicate after a crash); it becomes
-- failed with "outcome unknown" and an operator may `postdesk outbound
-- retry` it.
--
-- The rendered bytes (message) are fixed before the first attempt, so
-- every retry sends the same Message-ID and the same text.
--
-- autoreply_ledger: one row per automatic reply queued, for the per-address
-- cap (DESIGN invariant 3): two robots answering each other settle after
-- the cap, whatever their headers say.

CREATE TABLE outbound (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id	bigint REFERENCES tickets (id) ON DELETE CASCADE,
	-- the message this mail answers (its Message-ID becomes In-Reply-To)
	message_row	bigint REFERENCES messages (id) ON DELETE SET NULL,
	kind		text NOT NULL CHECK (kind IN ('ack', 'authorization', 'welcome',
					      'reminder', 'notification', 'relay', 'forward')),
	template	text NOT NULL CHECK (template ~ '^[a-z0-9][a-z0-9_-]*$'),
	queue		text,
	lang		text,
	recipients	text[] NOT NULL CHECK (cardinality(recipients) > 0),
	recipient_name	text,
	-- MAIL FROM; '' is the null sender (RFC 3834 3.3 for auto-replies)
	envelope_from	text NOT NULL DEFAULT '',
	auto_reply	boolean NOT NULL DEFAULT true,
	-- extra placeholder values (name -> text) beside the ticket's own
	template_values	jsonb NOT NULL DEFAULT '{}',
	message_id	text,
	message		bytea,
	status		text NOT NULL DEFAULT 'queued'
			CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	claimed_by	text,
	claimed_at	timestamptz,
	lease_until	timestamptz,
	last_error	text,
	sent_at		timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (status <> 'sending' OR (claimed_by IS NOT NULL AND lease_until IS NOT NULL))
);
CREATE INDEX outbound_due_idx ON outbound (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbound_sending_idx ON outbound (lease_until) WHERE status = 'sending';
CREATE INDEX outbound_ticket_idx ON outbound (ticket_id, id);
CREATE INDEX outbound_status_idx ON outbound (status, id DESC);
-- exactly one acknowledgement per ticket, whatever happens upstream
CREATE UNIQUE INDEX outbound_one_ack_key ON outbound (ticket_id) WHERE kind = 'ack';

CREATE TABLE autoreply_ledger (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	address		text NOT NULL,	-- lower case
	outbound_id	bigint REFERENCES outbound (id) ON DELETE SET NULL,
	sent_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX autoreply_ledger_address_idx ON autoreply_ledger (address, sent_at);

-- The acknowledgement of a delivered message, in the delivery's own
-- statement (pd-store-deliver: SELECT ..., pd_outbound_ack(...) FROM
-- pd_deliver_inbound(...)), so it commits with the ticket or not at all.
-- p_request is the pipeline's decision (lib/ticket pd_autoreply_decide):
--   {"to", "name", "template", "queue", "limit", "window"}  answer
--   {"suppress": reason, "to"}                              do not answer
-- NULL: outbound mail is not configured.  Only a new ticket is answered;
-- a duplicate delivery or a threaded reply writes nothing.  The per-address
-- cap is checked here, under a per-address lock, against the ledger.
-- p_identity is the identity decision (sql/0002 pd_ticket_identify): a
-- ticket held because its queue takes known senders only gets the polite
-- "held" reply instead of the acknowledgement (issue 3: never a bounce);
-- one held for moderation gets nothing until an operator decides.
-- Returns the outbound row id, or NULL.
CREATE FUNCTION pd_outbound_ack(p_ticket_id bigint, p_message_row bigint,
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
			      recipients, recipient_name, envelope_from, auto_reply)
	VALUES (p_ticket_id, p_message_row, 'ack', v_template,
		p_request->>'queue', p_request->>'lang', ARRAY[p_request->>'to'],
		p_request->>'name', '', true)
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
-- the row's own template_values.  Read by the sender before rendering.
CREATE FUNCTION pd_outbound_values(p_id bigint)
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
		'contact.may_not', CASE WHEN c.id IS NOT NULL THEN
			nullif(array_to_string(ARRAY(
				SELECT p FROM unnest(ARRAY['support', 'technical', 'billing',
							   'records', 'contacts']) AS p
				 WHERE NOT p = ANY (c.permissions)), ', '), '') END,
		'message.from', m.from_address,
		'message.subject', m.subject))
	       || o.template_values
	  FROM outbound o
	  LEFT JOIN tickets t ON t.id = o.ticket_id
	  LEFT JOIN queues q ON q.id = t.queue_id
	  LEFT JOIN accounts ac ON ac.id = t.account_id
	  LEFT JOIN contacts c ON c.id = t.requester_contact_id AND c.status = 'active'
	  LEFT JOIN messages m ON m.id = o.message_row
	 WHERE o.id = p_id
$$;
