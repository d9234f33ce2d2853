-- 0004_filters: what the operator's filter rules (lib/filter, Sieve) and
-- the spam score decide, stored where a reader looks for them.
--
--   messages.spam_score    the message's score (the scripts' score
--                          actions); NULL: no rules ran
--   messages.rule_hits     [{"name", "points"}] in the order they fired
--   messages.filter        the filter's whole outcome (actions,
--                          disposition, errors), as pd_filter_outcome_json
--   tickets.held           gains 'rule' (a rule's hold) and 'spam' (the
--                          score reached the queue's hold threshold): no
--                          acknowledgement, no notification until released
--   ticket_tags            a ticket's tags (a rule's tag, imap4flags)
--   quarantine             mail that made no ticket: the raw bytes, why,
--                          the score and the hits (postdesk quarantine)
ALTER TABLE messages ADD COLUMN spam_score double precision,
		     ADD COLUMN rule_hits jsonb,
		     ADD COLUMN filter jsonb;

ALTER TABLE tickets DROP CONSTRAINT tickets_held_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_held_check
	CHECK (held IN ('known', 'moderate', 'rule', 'spam'));

CREATE TABLE ticket_tags (
	ticket_id	bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	tag		text NOT NULL CHECK (tag ~ '^[^[:space:][:cntrl:]]{1,64}$'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag_idx ON ticket_tags (tag);

-- One row per recipient's delivery that was quarantined.  idempotency_key
-- is the delivery's (the same mail again is the same row); released_at
-- and released_ticket say what `postdesk quarantine release` made of it.
CREATE TABLE quarantine (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	idempotency_key		text NOT NULL UNIQUE,
	queue			text NOT NULL,
	recipient		text NOT NULL,
	envelope		jsonb NOT NULL,
	message_id		text,
	from_address		text,
	subject			text NOT NULL DEFAULT '',
	reason			text NOT NULL,
	spam_score		double precision,
	rule_hits		jsonb NOT NULL DEFAULT '[]',
	filter			jsonb,
	raw			bytea NOT NULL,
	raw_sha256		text NOT NULL CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
	created_at		timestamptz NOT NULL DEFAULT now(),
	expires_at		timestamptz NOT NULL,
	released_at		timestamptz,
	released_ticket		bigint
);
CREATE INDEX quarantine_created_idx ON quarantine (created_at);
CREATE INDEX quarantine_expires_idx ON quarantine (expires_at) WHERE released_at IS NULL;

-- pd_identity_facts gains the account's plan (the rules' identity :plan):
-- its result type changes, so the old one goes (identity.sql defines it).
DROP FUNCTION IF EXISTS pd_identity_facts(text, text);
