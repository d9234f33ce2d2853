-- 0001_core: the backbone tables (DESIGN.md "Data").
--
-- queues, tickets, raw_messages and attachments (content-addressed by the
-- hex SHA-256 of their bytes), messages, participants, events, and the
-- functions the store calls on the mail path (pd_deliver_inbound,
-- pd_thread_lookup): one call = one round trip = one transaction.
--
-- Applied by `postdesk db migrate` inside one transaction; never edit a
-- released migration, add sql/NNNN_name.sql instead.

CREATE TABLE schema_version (
	version		integer PRIMARY KEY,
	name		text NOT NULL,
	applied_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE queues (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL UNIQUE CHECK (name <> ''),
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Public ticket numbers: short, human-friendly, never reused.  Gaps are
-- possible (a rolled-back delivery consumed a number) and harmless.
CREATE SEQUENCE ticket_number_seq START WITH 10001;

CREATE TABLE tickets (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	number			bigint NOT NULL UNIQUE DEFAULT nextval('ticket_number_seq'),
	queue_id		bigint NOT NULL REFERENCES queues (id),
	subject			text NOT NULL DEFAULT '',
	status			text NOT NULL DEFAULT 'new'
				CHECK (status IN ('new', 'open', 'pending', 'solved', 'closed')),
	priority		text NOT NULL DEFAULT 'normal'
				CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
	category		text,
	requester_address	text,
	requester_name		text,
	-- Filled by the identity migration (accounts, contacts); no foreign
	-- key yet because those tables do not exist yet.
	account_id		bigint,
	contact_id		bigint,
	needs_authorization	boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	first_response_at	timestamptz,
	closed_at		timestamptz
);
ALTER SEQUENCE ticket_number_seq OWNED BY tickets.number;
CREATE INDEX tickets_updated_idx ON tickets (updated_at DESC, id DESC);
CREATE INDEX tickets_queue_status_idx ON tickets (queue_id, status, updated_at DESC);
CREATE INDEX tickets_status_idx ON tickets (status, updated_at DESC);
CREATE INDEX tickets_requester_idx ON tickets (lower(requester_address));

-- The message exactly as received (DESIGN invariant 6).  Identical bytes
-- (the same mail to two queues) are stored once.
CREATE TABLE raw_messages (
	sha256		text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	size		bigint NOT NULL CHECK (size >= 0),
	data		bytea NOT NULL,
	stored_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE attachments (
	sha256		text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	size		bigint NOT NULL CHECK (size >= 0),
	data		bytea NOT NULL,
	stored_at	timestamptz NOT NULL DEFAULT now()
);

-- One row per message in a ticket's conversation, inbound or outbound.
-- to_/cc_ addresses and names are parallel arrays (a name may be NULL).
CREATE TABLE messages (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id		bigint NOT NULL REFERENCES tickets (id),
	direction		text NOT NULL CHECK (direction IN ('in', 'out')),
	kind			text NOT NULL
				CHECK (kind IN ('customer', 'agent', 'note', 'system')),
	-- DESIGN invariant 2: recipient + Message-ID + body hash; NULL for
	-- messages postdesk writes itself.
	idempotency_key		text UNIQUE,
	message_id		text,
	in_reply_to		text,
	reference_ids		text[] NOT NULL DEFAULT '{}',
	from_address		text,
	from_name		text,
	sender_address		text,
	to_addresses		text[] NOT NULL DEFAULT '{}',
	to_names		text[] NOT NULL DEFAULT '{}',
	cc_addresses		text[] NOT NULL DEFAULT '{}',
	cc_names		text[] NOT NULL DEFAULT '{}',
	reply_to_address	text,
	reply_to_name		text,
	subject			text NOT NULL DEFAULT '',
	date			timestamptz,
	text_body		text,
	text_from_html		boolean NOT NULL DEFAULT false,
	html_body		text,
	raw_sha256		text REFERENCES raw_messages (sha256),
	-- what the MTA said (envelope) and who handed it to the MTA
	envelope_mail_from	text,
	envelope_recipient	text,
	subaddress		text,
	client_address		text,
	client_name		text,
	client_helo		text,
	client_protocol		text,
	source			text,
	parse_warnings		text[] NOT NULL DEFAULT '{}',
	-- classification (pd-mail PdMailClass)
	auto_submitted		boolean NOT NULL DEFAULT false,
	bulk			boolean NOT NULL DEFAULT false,
	list			boolean NOT NULL DEFAULT false,
	bounce			boolean NOT NULL DEFAULT false,
	auto_reply_suppressed	boolean NOT NULL DEFAULT false,
	received_at		timestamptz NOT NULL DEFAULT now()
);
-- lz4 compresses and decompresses mail several times faster than pglz
-- (measured: a delivery of an 8 KB mail costs the server ~25% less); used
-- when the server was built with it.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_settings
		   WHERE name = 'default_toast_compression'
		     AND 'lz4' = ANY (enumvals)) THEN
		ALTER TABLE raw_messages ALTER COLUMN data SET COMPRESSION lz4;
		ALTER TABLE attachments ALTER COLUMN data SET COMPRESSION lz4;
		ALTER TABLE messages ALTER COLUMN text_body SET COMPRESSION lz4,
				     ALTER COLUMN html_body SET COMPRESSION lz4;
	END IF;
END
$$;

-- threading: In-Reply-To / References name one of these
CREATE INDEX messages_message_id_idx ON messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_ticket_idx ON messages (ticket_id, id);
CREATE INDEX messages_raw_idx ON messages (raw_sha256);

CREATE TABLE message_attachments (
	message_row	bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	position	integer NOT NULL CHECK (position >= 0),
	filename	text,
	content_type	text NOT NULL DEFAULT 'application/octet-stream',
	inline		boolean NOT NULL DEFAULT false,
	content_id	text,
	sha256		text NOT NULL REFERENCES attachments (sha256),
	PRIMARY KEY (message_row, position)
);
CREATE INDEX message_attachments_sha256_idx ON message_attachments (sha256);

CREATE TABLE participants (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id	bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	address		text NOT NULL,
	name		text,
	role		text NOT NULL CHECK (role IN ('requester', 'cc', 'agent')),
	added_at	timestamptz NOT NULL DEFAULT now()
);
-- one row per address and ticket, whatever its case
CREATE UNIQUE INDEX participants_ticket_address_key ON participants (ticket_id, lower(address));
CREATE INDEX participants_address_idx ON participants (lower(address));

-- The audit trail: one row per pipeline decision, rule hit or admin change.
CREATE TABLE events (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ticket_id	bigint REFERENCES tickets (id) ON DELETE CASCADE,
	message_row	bigint REFERENCES messages (id) ON DELETE CASCADE,
	at		timestamptz NOT NULL DEFAULT now(),
	actor		text NOT NULL DEFAULT 'postdesk',
	kind		text NOT NULL,
	detail		jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ticket_idx ON events (ticket_id, id);
CREATE INDEX events_message_idx ON events (message_row);

-- Threading by Message-ID: the first candidate (in the caller's order of
-- preference) stored on some message wins; among messages carrying that
-- Message-ID the oldest wins.  No row: a new ticket.  A set-returning SQL
-- function so the planner inlines it into the caller's cached plan (a
-- scalar SQL function would be planned again on every delivery: measured
-- at a third of the delivery's server time).
CREATE FUNCTION pd_thread_lookup(candidates text[])
RETURNS TABLE (ticket_id bigint, ticket_number bigint, matched text)
LANGUAGE sql STABLE
AS $$
	SELECT t.id, t.number, c.mid
	FROM unnest(candidates) WITH ORDINALITY AS c (mid, ord)
	JOIN messages m ON m.message_id = c.mid
	JOIN tickets t ON t.id = m.ticket_id
	ORDER BY c.ord, m.id
	LIMIT 1
$$;

-- One inbound delivery, all or nothing (called as one statement, so one
-- transaction and one round trip).  A redelivery (same idempotency key)
-- writes nothing and reports the original.  Two concurrent deliveries of
-- the same mail: the second fails with unique_violation on
-- messages_idempotency_key_key, which the store reports as a duplicate.
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

	SELECT l.ticket_id, l.ticket_number, l.matched
	  INTO ticket_id, ticket_number, v_matched
	  FROM pd_thread_lookup(p_candidates) l;

	IF ticket_id IS NULL THEN
		SELECT q.id INTO v_queue_id FROM queues q WHERE q.name = p_queue;
		IF NOT FOUND THEN
			INSERT INTO queues (name) VALUES (p_queue)
			ON CONFLICT (name) DO NOTHING RETURNING id INTO v_queue_id;
			IF v_queue_id IS NULL THEN
				SELECT q.id INTO v_queue_id FROM queues q WHERE q.name = p_queue;
			END IF;
		END IF;
		INSERT INTO tickets (queue_id, subject, requester_address, requester_name)
		VALUES (v_queue_id, p_subject, v_requester, p_from_name)
		RETURNING id, number INTO ticket_id, ticket_number;
		new_ticket := true;
		thread_reason := 'new ticket';
	ELSE
		UPDATE tickets SET updated_at = now() WHERE id = ticket_id;
		thread_reason := CASE WHEN v_matched = p_in_reply_to
				      THEN 'In-Reply-To <' || v_matched || '>'
				      ELSE 'References <' || v_matched || '>' END;
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
		-- their row locks in the same order (no deadlock)
		INSERT INTO attachments (sha256, size, data)
		SELECT DISTINCT ON (a.sha256) a.sha256, octet_length(a.data), a.data
		  FROM unnest(p_att_sha256, p_att_data) AS a (sha256, data)
		 ORDER BY a.sha256
		ON CONFLICT (sha256) DO NOTHING;

		INSERT INTO message_attachments (message_row, position, filename,
			content_type, inline, content_id, sha256)
		SELECT message_row, a.ord - 1, a.filename,
		       coalesce(a.content_type, 'application/octet-stream'),
		       coalesce(a.inline, false), a.content_id, a.sha256
		  FROM unnest(p_att_sha256, p_att_filename, p_att_content_type,
			      p_att_inline, p_att_content_id)
		       WITH ORDINALITY AS a (sha256, filename, content_type,
					     inline, content_id, ord);
	END IF;

	IF new_ticket THEN
		IF v_requester IS NOT NULL THEN
			INSERT INTO participants (ticket_id, address, name, role)
			VALUES (ticket_id, v_requester, p_from_name, 'requester')
			ON CONFLICT (ticket_id, lower(address)) DO NOTHING;
		END IF;
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (ticket_id, message_row, 'ticket.created',
			jsonb_build_object('number', ticket_number, 'queue', p_queue,
					   'subject', p_subject,
					   'requester', v_requester));
	ELSE
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (ticket_id, message_row, 'message.threaded',
			jsonb_build_object('reason', thread_reason,
					   'message_id', v_matched));
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
