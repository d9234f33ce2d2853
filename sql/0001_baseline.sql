-- 0001_baseline: the tables of postdesk 0.1 (DESIGN.md "Data").
--
-- Tables, indexes and constraints only: the functions are current code,
-- defined once each in sql/functions/ and applied by every `postdesk db
-- migrate` after the migrations.  This file is what the fifteen migrations
-- of the development history (0001_core .. 0015_relay_attachments) left
-- behind, squashed before the first release.  From the first release on, a
-- landed migration is never edited: a change is a new sql/NNNN_name.sql.
--
-- Every address and domain stored here is in the canonical form of
-- lib/core/pd-address (lower case, ASCII/punycode domain, no subaddress):
-- the caller canonicalizes, the database compares with plain equality.

-- --- the schema itself ------------------------------------------------------

CREATE TABLE schema_version (
	version		integer PRIMARY KEY,
	name		text NOT NULL,
	applied_at	timestamptz NOT NULL DEFAULT now()
);

-- The functions of sql/functions/ last applied (one row): sha256 is the
-- digest of their text as postdesk carries it, catalog_sha256 the digest
-- of what the catalog held right after (pg_get_functiondef of every
-- function the files define), so a build with other functions, and a
-- function changed or dropped by hand, both read as "functions out of
-- date" (lib/store/pd-store-migrate.c).
CREATE TABLE schema_functions (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	catalog_sha256	text NOT NULL CHECK (catalog_sha256 ~ '^[0-9a-f]{64}$'),
	applied_at	timestamptz NOT NULL DEFAULT now()
);

-- --- who: agents, accounts, contacts ----------------------------------------

CREATE TABLE queues (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL UNIQUE CHECK (name <> ''),
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL CHECK (name <> ''),
	groups		text[] NOT NULL DEFAULT '{}',
	active		boolean NOT NULL DEFAULT true,
	signature	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_addresses (
	agent_id	bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	address		text NOT NULL UNIQUE CHECK (address LIKE '_%@_%'),
	position	integer NOT NULL DEFAULT 0,	-- 0: the agent's main address
	PRIMARY KEY (agent_id, address)
);

-- last_reminded_at: the contact reminder job (sql/functions/jobs.sql).
CREATE TABLE accounts (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name			text NOT NULL UNIQUE CHECK (name <> ''),
	plan			text,
	manager_agent_id	bigint REFERENCES agents (id),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	last_reminded_at	timestamptz
);

CREATE TABLE account_domains (
	account_id	bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	domain		text NOT NULL UNIQUE CHECK (domain ~ '^[a-z0-9._-]+$'),
	PRIMARY KEY (account_id, domain)
);

-- welcomed_at: when the welcome mail was QUEUED (the outbound row says when
-- it was sent); never welcomed again once set.  expiry_noted_at: the expiry
-- job noted expires_at once (a new, later date is noted again).
CREATE TABLE contacts (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id	bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	address		text NOT NULL CHECK (address LIKE '_%@_%'),
	name		text,
	role		text NOT NULL DEFAULT 'alternate' CHECK (role IN ('primary', 'alternate')),
	permissions	text[] NOT NULL DEFAULT '{support}'
			CHECK (permissions <@ ARRAY['support', 'technical', 'billing',
						     'records', 'contacts']::text[]),
	status		text NOT NULL DEFAULT 'active'
			CHECK (status IN ('active', 'suspended', 'removed')),
	added_by	text NOT NULL,
	welcomed_at	timestamptz,
	confirmed_at	timestamptz,
	expires_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	expiry_noted_at	timestamptz
);
-- An account has one active primary contact; an address is a (not removed)
-- contact of an account at most once.
CREATE UNIQUE INDEX contacts_one_primary_key ON contacts (account_id)
	WHERE role = 'primary' AND status = 'active';
CREATE UNIQUE INDEX contacts_account_address_key ON contacts (account_id, address)
	WHERE status <> 'removed';
CREATE INDEX contacts_address_idx ON contacts (address);
CREATE INDEX contacts_expires_idx ON contacts (expires_at) WHERE expires_at IS NOT NULL;

-- --- tickets and their mail --------------------------------------------------

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
	-- what the ticket knows about its requester (the identity decision of
	-- its first message, sql/functions/identity.sql pd_ticket_identify)
	account_id		bigint CONSTRAINT tickets_account_fk REFERENCES accounts (id),
	requester_contact_id	bigint CONSTRAINT tickets_contact_fk REFERENCES contacts (id),
	needs_authorization	boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	first_response_at	timestamptz,
	closed_at		timestamptz,
	requester_kind		text NOT NULL DEFAULT 'unknown'
				CHECK (requester_kind IN ('agent', 'contact', 'member', 'unknown')),
	requester_authenticated	boolean NOT NULL DEFAULT false,
	requester_authorized	boolean NOT NULL DEFAULT false,
	authorization_reason	text,
	-- unknown sender to a queue that does not take them: 'known' (kept,
	-- held, a polite reply is queued) or 'moderate' (held for an operator)
	held			text CHECK (held IN ('known', 'moderate')),
	-- a reply to a ticket closed too long ago starts this one
	linked_ticket_id	bigint REFERENCES tickets (id),
	-- `#assign ADDRESS` in an agent's answer
	assignee_agent_id	bigint REFERENCES agents (id),
	-- the primary holder's approval of a request that needs a permission
	-- its contact lacks (sql/functions/authorization.sql)
	authorization_state	text
				CHECK (authorization_state IN ('requested', 'approved', 'refused')),
	authorization_permission text,
	authorization_holder	text,		-- the address asked
	authorization_answered_at timestamptz
);
ALTER SEQUENCE ticket_number_seq OWNED BY tickets.number;
CREATE INDEX tickets_updated_idx ON tickets (updated_at DESC, id DESC);
CREATE INDEX tickets_queue_status_idx ON tickets (queue_id, status, updated_at DESC);
CREATE INDEX tickets_status_idx ON tickets (status, updated_at DESC);
CREATE INDEX tickets_requester_idx ON tickets (lower(requester_address));
CREATE INDEX tickets_account_idx ON tickets (account_id, updated_at DESC)
	WHERE account_id IS NOT NULL;
CREATE INDEX tickets_linked_idx ON tickets (linked_ticket_id) WHERE linked_ticket_id IS NOT NULL;
CREATE INDEX tickets_assignee_idx ON tickets (assignee_agent_id, status, updated_at DESC)
	WHERE assignee_agent_id IS NOT NULL;

-- The message exactly as received (DESIGN invariant 6).  Identical bytes
-- (the same mail to two queues) are stored once.
CREATE TABLE raw_messages (
	sha256		text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	size		bigint NOT NULL CHECK (size >= 0),
	data		bytea NOT NULL,
	stored_at	timestamptz NOT NULL DEFAULT now()
);

-- The content-addressed catalogue of attachments: one row per distinct
-- content (SHA-256 of the decoded bytes, its size), shared by every message
-- carrying it.  data holds the bytes only when they are not a span of a
-- raw message (see message_attachments) and that content was not stored
-- before; otherwise NULL, and the bytes are read through any
-- message_attachments row with a span.  So identical attachments cost one
-- catalogue row, and no decoded copy.
CREATE TABLE attachments (
	sha256		text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	size		bigint NOT NULL CHECK (size >= 0),
	data		bytea,
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
	received_at		timestamptz NOT NULL DEFAULT now(),
	-- sender authentication (lib/pipeline/pd-pipeline-auth.c), once per
	-- message, recorded on each stored copy (sql/functions/deliver.sql
	-- pd_message_auth):
	--   auth_results        the Authentication-Results value (RFC 8601)
	--                       that lib/auth wrote
	--   spf_result, dkim_result, dmarc_result   the three results (dkim:
	--                       the first signature's, "none" without one)
	--   from_authenticated  the verdict: the From domain is authenticated
	--                       (aligned SPF or DKIM pass, never on a temporary
	--                       failure).  NULL: authentication was off.
	--   auth                the whole outcome (mode, client address and
	--                       where it came from, every DKIM signature, DMARC
	--                       policy, notes)
	auth_results		text,
	spf_result		text,
	dkim_result		text,
	dmarc_result		text,
	from_authenticated	boolean,
	auth			jsonb,
	-- who wrote an 'agent' or 'note' message (reporting per agent)
	agent_id		bigint REFERENCES agents (id)
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

-- A message's attachment that sits in its raw bytes as such (almost all:
-- pd_mail_parse reads parts in place) is a span of that raw message:
-- raw_offset and raw_length (bytes, 0-based) and transfer_encoding
-- ('base64', 'quoted-printable', 'x-uuencode', 'binary': the bytes as they
-- are).  pd_mail_decode() turns the span back into exactly the decoded
-- bytes, whose SHA-256 is checked when they are read (pd_store_attachment_get,
-- `postdesk ticket attachment SHA256`).  No span: the bytes are in
-- attachments.data (a message/rfc822 part written out again, a multipart
-- prologue, a mail whose hostile header block was cut before parsing).
CREATE TABLE message_attachments (
	message_row	bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	position	integer NOT NULL CHECK (position >= 0),
	filename	text,
	content_type	text NOT NULL DEFAULT 'application/octet-stream',
	inline		boolean NOT NULL DEFAULT false,
	content_id	text,
	sha256		text NOT NULL REFERENCES attachments (sha256),
	raw_offset	bigint CHECK (raw_offset >= 0),
	raw_length	bigint CHECK (raw_length >= 0),
	transfer_encoding text
		CHECK (transfer_encoding IN ('base64', 'quoted-printable', 'x-uuencode', 'binary')),
	PRIMARY KEY (message_row, position),
	CONSTRAINT message_attachments_span_check
		CHECK ((raw_offset IS NULL) = (raw_length IS NULL)
		       AND (raw_offset IS NULL) = (transfer_encoding IS NULL))
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

-- --- the mail postdesk sends -------------------------------------------------

-- outbound: one row per mail to send.  Rows are written in the transaction
-- that decides them (the acknowledgement inside the inbound delivery, see
-- sql/functions/outbound.sql), and sent by the daemon's sender, which
-- claims due rows with FOR UPDATE SKIP LOCKED (several daemons may share
-- the database).
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
-- attachments: [{"sha256", "filename", "content_type"}] of a relayed agent
-- answer, read by the sender (pd_store_outbound_attachments) and rendered
-- as base64 parts of a multipart/mixed.
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
	attachments	jsonb,
	CHECK (status <> 'sending' OR (claimed_by IS NOT NULL AND lease_until IS NOT NULL))
);
CREATE INDEX outbound_due_idx ON outbound (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbound_sending_idx ON outbound (lease_until) WHERE status = 'sending';
CREATE INDEX outbound_ticket_idx ON outbound (ticket_id, id);
CREATE INDEX outbound_status_idx ON outbound (status, id DESC);
-- exactly one acknowledgement per ticket, whatever happens upstream
CREATE UNIQUE INDEX outbound_one_ack_key ON outbound (ticket_id) WHERE kind = 'ack';

-- One row per automatic mail queued, for the per-address cap (DESIGN
-- invariant 3): two robots answering each other settle after the cap,
-- whatever their headers say.
CREATE TABLE autoreply_ledger (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	address		text NOT NULL,	-- lower case
	outbound_id	bigint REFERENCES outbound (id) ON DELETE SET NULL,
	sent_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX autoreply_ledger_address_idx ON autoreply_ledger (address, sent_at);
