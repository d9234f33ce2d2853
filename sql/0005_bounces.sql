-- 0005_bounces: the mail that comes back (issue 16, section 1).  A bounce
-- (a DSN, a non-standard bounce, an auto-reply or a feedback report sent
-- to our signed bounce address, or a DSN quoting one of our Message-IDs)
-- never becomes a ticket: pd_bounce_record (sql/functions/bounce.sql)
-- keeps it here, raw bytes included, against the outbound row it names.
CREATE TABLE bounces (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	received_at	timestamptz NOT NULL DEFAULT now(),
	-- the mail that failed; NULL: the bounce named no row of ours
	outbound_id	bigint REFERENCES outbound (id) ON DELETE SET NULL,
	-- 'bounce address' or 'Message-ID <...>'; NULL with unmatched saying why
	matched_by	text,
	unmatched	text,
	kind		text NOT NULL CHECK (kind IN ('hard', 'soft', 'auto-reply', 'feedback',
						      'delivered', 'unknown')),
	envelope_from	text NOT NULL DEFAULT '',
	recipient	text NOT NULL,		-- the envelope recipient it came to
	message_id	text,
	-- what the report says: standard, feedback_type, returned_message_id,
	-- recipients [{address, original, action, status, reply_code,
	-- diagnostic, remote_mta, kind}]
	report		jsonb NOT NULL DEFAULT '{}',
	idempotency_key	text NOT NULL UNIQUE,
	raw		bytea NOT NULL
);
CREATE INDEX bounces_outbound_idx ON bounces (outbound_id) WHERE outbound_id IS NOT NULL;

-- One row per address a bounce reported about: failing (a hard bounce:
-- no automatic mail to it until failing_until, or until an operator
-- clears it) and the soft bounces counted.
CREATE TABLE bounced_addresses (
	address		text PRIMARY KEY CHECK (address LIKE '_%@_%'),
	failing_since	timestamptz,		-- NULL: not failing
	failing_until	timestamptz,
	status		text,			-- of the last hard bounce: 5.1.1
	reply_code	integer,
	diagnostic	text,
	outbound_id	bigint REFERENCES outbound (id) ON DELETE SET NULL,
	bounce_id	bigint REFERENCES bounces (id) ON DELETE SET NULL,
	hard_bounces	integer NOT NULL DEFAULT 0,
	soft_bounces	integer NOT NULL DEFAULT 0,
	last_bounce_at	timestamptz NOT NULL DEFAULT now()
);

-- The outbound row's side: a hard bounce turns a sent row failed (status
-- and reply in last_error), soft ones are counted.
ALTER TABLE outbound ADD COLUMN bounce_status text,
		     ADD COLUMN bounced_at timestamptz,
		     ADD COLUMN soft_bounces integer NOT NULL DEFAULT 0;
