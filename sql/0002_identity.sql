-- 0002_identity: who is writing (issue 3).
--
-- agents and their addresses, accounts and their domains (a "known
-- organisation"), authorized contacts with permissions, and what a ticket
-- knows about its requester.  Every address and domain stored here is in
-- the canonical form of lib/core/pd-address (lower case, ASCII/punycode
-- domain, no subaddress): the caller canonicalizes, the database compares
-- with plain equality.
--
-- The admin functions (pd_admin_*) are what `postdesk account|contact|agent`
-- call: one call = one statement = one transaction, each change with its
-- event row (actor, kind, detail {old, new}).  They raise SQLSTATE P0002
-- (no_data_found) for an unknown object and 22023 (invalid_parameter_value)
-- or 23505 (unique_violation) for a bad argument; the message is meant for
-- the operator.

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

CREATE TABLE accounts (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name			text NOT NULL UNIQUE CHECK (name <> ''),
	plan			text,
	manager_agent_id	bigint REFERENCES agents (id),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_domains (
	account_id	bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	domain		text NOT NULL UNIQUE CHECK (domain ~ '^[a-z0-9._-]+$'),
	PRIMARY KEY (account_id, domain)
);

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
	updated_at	timestamptz NOT NULL DEFAULT now()
);
-- An account has one active primary contact; an address is a (not removed)
-- contact of an account at most once.
CREATE UNIQUE INDEX contacts_one_primary_key ON contacts (account_id)
	WHERE role = 'primary' AND status = 'active';
CREATE UNIQUE INDEX contacts_account_address_key ON contacts (account_id, address)
	WHERE status <> 'removed';
CREATE INDEX contacts_address_idx ON contacts (address);

-- What the ticket knows about its requester (filled on the mail path by
-- pd_ticket_identify below).  tickets.account_id and contact_id exist
-- since 0001; now they get their foreign keys.
ALTER TABLE tickets
	ADD CONSTRAINT tickets_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id),
	ADD CONSTRAINT tickets_contact_fk FOREIGN KEY (contact_id) REFERENCES contacts (id),
	ADD COLUMN requester_kind text NOT NULL DEFAULT 'unknown'
		CHECK (requester_kind IN ('agent', 'contact', 'member', 'unknown')),
	ADD COLUMN requester_authenticated boolean NOT NULL DEFAULT false,
	ADD COLUMN requester_authorized boolean NOT NULL DEFAULT false,
	ADD COLUMN authorization_reason text,
	-- unknown sender to a queue that does not take them: 'known' (kept,
	-- held, a polite reply is queued) or 'moderate' (held for an operator)
	ADD COLUMN held text CHECK (held IN ('known', 'moderate'));
ALTER TABLE tickets RENAME COLUMN contact_id TO requester_contact_id;
CREATE INDEX tickets_account_idx ON tickets (account_id, updated_at DESC)
	WHERE account_id IS NOT NULL;

-- The identity facts of one canonical From address, in one query: the
-- agent owning it, every contact row with it, and the accounts whose
-- domain it is in.  pd_identity_decide() (lib/ticket) picks from these.
-- PL/pgSQL, not an inlined SQL function: its plan is cached per connection,
-- so the unprepared call on the mail path costs ~0.2 ms instead of ~1 ms of
-- planning (pgbench, -M simple).
CREATE FUNCTION pd_identity_facts(p_address text, p_domain text)
RETURNS TABLE (kind text, id bigint, account_id bigint, account_name text,
	       role text, permissions text[], status text, expired boolean,
	       active boolean, name text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN QUERY
	SELECT 'agent'::text, a.id, NULL::bigint, NULL::text, NULL::text, a.groups, NULL::text,
	       false, a.active, a.name
	  FROM agent_addresses aa JOIN agents a ON a.id = aa.agent_id
	 WHERE aa.address = p_address
	UNION ALL
	SELECT 'contact', c.id, c.account_id, ac.name, c.role, c.permissions, c.status,
	       c.expires_at IS NOT NULL AND c.expires_at <= now(), true, c.name
	  FROM contacts c JOIN accounts ac ON ac.id = c.account_id
	 WHERE c.address = p_address
	UNION ALL
	SELECT 'member', NULL, d.account_id, ac.name, NULL, NULL, NULL, false, true, NULL
	  FROM account_domains d JOIN accounts ac ON ac.id = d.account_id
	 WHERE d.domain = p_domain;
END
$$;

-- Record the identity decision on a delivered message's ticket, in the
-- delivery's own statement (pd-store-deliver: SELECT ..., pd_ticket_identify
-- (...) FROM pd_deliver_inbound(...)).  p_identity: {kind, account_id,
-- contact_id, authenticated, authorized, needs_authorization, reason, held}.
-- A new ticket takes the requester's identity; a reply on an existing one
-- only adds the event (who wrote it is the message's business, not the
-- ticket's requester), and may raise needs_authorization, never clear it.
CREATE FUNCTION pd_ticket_identify(p_ticket_id bigint, p_message_row bigint,
				   p_new_ticket boolean, p_duplicate boolean,
				   p_identity jsonb)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
	IF p_identity IS NULL OR p_duplicate OR p_ticket_id IS NULL THEN
		RETURN false;
	END IF;
	IF p_new_ticket THEN
		UPDATE tickets
		   SET account_id = (p_identity->>'account_id')::bigint,
		       requester_contact_id = (p_identity->>'contact_id')::bigint,
		       requester_kind = coalesce(p_identity->>'kind', 'unknown'),
		       requester_authenticated = coalesce((p_identity->>'authenticated')::boolean, false),
		       requester_authorized = coalesce((p_identity->>'authorized')::boolean, false),
		       needs_authorization = coalesce((p_identity->>'needs_authorization')::boolean, false),
		       authorization_reason = p_identity->>'reason',
		       held = p_identity->>'held'
		 WHERE id = p_ticket_id;
	ELSIF coalesce((p_identity->>'needs_authorization')::boolean, false) THEN
		UPDATE tickets SET needs_authorization = true,
				   authorization_reason = p_identity->>'reason'
		 WHERE id = p_ticket_id AND NOT needs_authorization;
	END IF;
	INSERT INTO events (ticket_id, message_row, kind, detail)
	VALUES (p_ticket_id, p_message_row, 'requester.identified', p_identity);
	IF p_new_ticket AND p_identity->>'held' IS NOT NULL THEN
		-- Issue 4 (outbound) turns 'ticket.held' with held = 'known'
		-- into the polite queued reply; never a bounce.
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'ticket.held',
			jsonb_build_object('held', p_identity->>'held',
					   'reply', p_identity->>'held' = 'known'));
	END IF;
	RETURN true;
END
$$;

-- --- admin (postdesk account|contact|agent) -------------------------------

CREATE FUNCTION pd_admin_event(p_actor text, p_kind text, p_detail jsonb)
RETURNS void LANGUAGE sql
AS $$
	INSERT INTO events (actor, kind, detail) VALUES (p_actor, p_kind, p_detail)
$$;

CREATE FUNCTION pd_admin_agent_id(p_address text) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_id bigint;
BEGIN
	SELECT agent_id INTO v_id FROM agent_addresses WHERE address = p_address;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown agent %', p_address USING ERRCODE = 'no_data_found';
	END IF;
	RETURN v_id;
END
$$;

CREATE FUNCTION pd_admin_account_id(p_name text) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_id bigint;
BEGIN
	SELECT id INTO v_id FROM accounts WHERE name = p_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown account "%"', p_name USING ERRCODE = 'no_data_found';
	END IF;
	RETURN v_id;
END
$$;

CREATE FUNCTION pd_admin_account_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('name', a.name, 'plan', a.plan,
		'manager', (SELECT min(aa.address) FROM agent_addresses aa
			     WHERE aa.agent_id = a.manager_agent_id AND aa.position = 0),
		'domains', coalesce((SELECT jsonb_agg(d.domain ORDER BY d.domain)
				       FROM account_domains d WHERE d.account_id = a.id), '[]'))
	  FROM accounts a WHERE a.id = p_id
$$;

CREATE FUNCTION pd_admin_account_add(p_actor text, p_name text, p_plan text,
				     p_domains text[], p_manager text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint;
	v_manager bigint;
BEGIN
	IF EXISTS (SELECT 1 FROM accounts WHERE name = p_name) THEN
		RAISE EXCEPTION 'account "%" already exists', p_name USING ERRCODE = 'unique_violation';
	END IF;
	IF p_manager IS NOT NULL THEN
		v_manager := pd_admin_agent_id(p_manager);
	END IF;
	INSERT INTO accounts (name, plan, manager_agent_id)
	VALUES (p_name, p_plan, v_manager) RETURNING id INTO v_id;
	PERFORM pd_admin_domains_add(v_id, p_domains);
	PERFORM pd_admin_event(p_actor, 'account.created',
			       jsonb_build_object('new', pd_admin_account_json(v_id)));
	RETURN v_id;
END
$$;

CREATE FUNCTION pd_admin_domains_add(p_account bigint, p_domains text[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	v_domain text;
	v_owner text;
BEGIN
	FOREACH v_domain IN ARRAY coalesce(p_domains, '{}') LOOP
		SELECT a.name INTO v_owner FROM account_domains d
		  JOIN accounts a ON a.id = d.account_id WHERE d.domain = v_domain;
		IF FOUND THEN
			RAISE EXCEPTION 'domain % already belongs to account "%"', v_domain, v_owner
			      USING ERRCODE = 'unique_violation';
		END IF;
		INSERT INTO account_domains (account_id, domain) VALUES (p_account, v_domain);
	END LOOP;
END
$$;

CREATE FUNCTION pd_admin_account_set(p_actor text, p_name text, p_plan text,
				     p_add_domains text[], p_remove_domains text[],
				     p_manager text, p_clear_manager boolean)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_admin_account_id(p_name);
	v_old jsonb := pd_admin_account_json(v_id);
	v_domain text;
BEGIN
	IF p_plan IS NOT NULL THEN
		UPDATE accounts SET plan = nullif(p_plan, '') WHERE id = v_id;
	END IF;
	IF p_manager IS NOT NULL THEN
		UPDATE accounts SET manager_agent_id = pd_admin_agent_id(p_manager) WHERE id = v_id;
	ELSIF p_clear_manager THEN
		UPDATE accounts SET manager_agent_id = NULL WHERE id = v_id;
	END IF;
	FOREACH v_domain IN ARRAY coalesce(p_remove_domains, '{}') LOOP
		DELETE FROM account_domains WHERE account_id = v_id AND domain = v_domain;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'account "%" has no domain %', p_name, v_domain
			      USING ERRCODE = 'no_data_found';
		END IF;
	END LOOP;
	PERFORM pd_admin_domains_add(v_id, p_add_domains);
	UPDATE accounts SET updated_at = now() WHERE id = v_id;
	PERFORM pd_admin_event(p_actor, 'account.changed',
			       jsonb_build_object('old', v_old, 'new', pd_admin_account_json(v_id)));
	RETURN v_id;
END
$$;

CREATE FUNCTION pd_admin_contact_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('account', a.name, 'address', c.address, 'name', c.name,
				  'role', c.role, 'permissions', to_jsonb(c.permissions),
				  'status', c.status, 'expires', c.expires_at::date)
	  FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE c.id = p_id
$$;

-- The one not-removed contact row of an address (in p_account if given).
CREATE FUNCTION pd_admin_contact_id(p_address text, p_account text) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	v_ids bigint[];
BEGIN
	IF p_account IS NOT NULL THEN
		PERFORM pd_admin_account_id(p_account);
	END IF;
	SELECT array_agg(c.id) INTO v_ids FROM contacts c JOIN accounts a ON a.id = c.account_id
	 WHERE c.address = p_address AND c.status <> 'removed'
	   AND (p_account IS NULL OR a.name = p_account);
	IF v_ids IS NULL THEN
		RAISE EXCEPTION 'unknown contact %', p_address ||
		      CASE WHEN p_account IS NULL THEN '' ELSE ' in account "' || p_account || '"' END
		      USING ERRCODE = 'no_data_found';
	END IF;
	IF cardinality(v_ids) > 1 THEN
		RAISE EXCEPTION '% is a contact of % accounts: say which with --account',
		      p_address, cardinality(v_ids) USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN v_ids[1];
END
$$;

CREATE FUNCTION pd_admin_contact_add(p_actor text, p_account text, p_address text,
				     p_name text, p_primary boolean, p_permissions text[],
				     p_expires date)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_account bigint := pd_admin_account_id(p_account);
	v_id bigint;
BEGIN
	IF p_expires IS NOT NULL AND p_expires <= current_date THEN
		RAISE EXCEPTION 'expiry date % is not in the future', p_expires
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF EXISTS (SELECT 1 FROM contacts WHERE account_id = v_account AND address = p_address
		   AND status <> 'removed') THEN
		RAISE EXCEPTION '% is already a contact of account "%"', p_address, p_account
		      USING ERRCODE = 'unique_violation';
	END IF;
	IF p_primary AND EXISTS (SELECT 1 FROM contacts WHERE account_id = v_account
				 AND role = 'primary' AND status = 'active') THEN
		RAISE EXCEPTION 'account "%" already has a primary contact', p_account
		      USING ERRCODE = 'unique_violation';
	END IF;
	INSERT INTO contacts (account_id, address, name, role, permissions, added_by, expires_at)
	VALUES (v_account, p_address, p_name,
		CASE WHEN p_primary THEN 'primary' ELSE 'alternate' END,
		coalesce(p_permissions, CASE WHEN p_primary
			 THEN ARRAY['support', 'technical', 'billing', 'records', 'contacts']
			 ELSE ARRAY['support'] END),
		p_actor, p_expires)
	RETURNING id INTO v_id;
	-- Issue 4 (outbound) turns 'contact.added' into the queued welcome
	-- mail (what the contact may and may not do) and sets welcomed_at.
	PERFORM pd_admin_event(p_actor, 'contact.added',
			       jsonb_build_object('contact_id', v_id,
						  'new', pd_admin_contact_json(v_id)));
	RETURN v_id;
END
$$;

CREATE FUNCTION pd_admin_contact_set(p_actor text, p_address text, p_account text,
				     p_name text, p_permissions text[], p_expires date,
				     p_clear_expires boolean)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_admin_contact_id(p_address, p_account);
	v_old jsonb := pd_admin_contact_json(v_id);
	v_new jsonb;
BEGIN
	IF p_expires IS NOT NULL AND p_expires <= current_date THEN
		RAISE EXCEPTION 'expiry date % is not in the future', p_expires
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	UPDATE contacts
	   SET name = CASE WHEN p_name IS NULL THEN name ELSE nullif(p_name, '') END,
	       permissions = coalesce(p_permissions, permissions),
	       expires_at = CASE WHEN p_clear_expires THEN NULL
				 ELSE coalesce(p_expires::timestamptz, expires_at) END,
	       updated_at = now()
	 WHERE id = v_id;
	v_new := pd_admin_contact_json(v_id);
	IF p_permissions IS NOT NULL AND v_old->'permissions' <> v_new->'permissions' THEN
		PERFORM pd_admin_event(p_actor, 'contact.permissions_changed',
			jsonb_build_object('contact_id', v_id, 'address', p_address,
					   'old', v_old->'permissions', 'new', v_new->'permissions'));
	END IF;
	IF v_old - 'permissions' <> v_new - 'permissions' OR
	   (p_permissions IS NULL AND v_old = v_new) THEN
		PERFORM pd_admin_event(p_actor, 'contact.changed',
			jsonb_build_object('contact_id', v_id, 'old', v_old, 'new', v_new));
	END IF;
	RETURN v_id;
END
$$;

-- p_status: 'suspended', 'removed' (remove keeps the row for the audit
-- trail and for tickets that name it) or 'active' (a suspended contact back).
CREATE FUNCTION pd_admin_contact_status(p_actor text, p_address text, p_account text,
					p_status text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_admin_contact_id(p_address, p_account);
	v_old text;
BEGIN
	SELECT status INTO v_old FROM contacts WHERE id = v_id;
	IF v_old = p_status THEN
		RAISE EXCEPTION 'contact % is already %', p_address, p_status
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF p_status = 'active' AND EXISTS (
		SELECT 1 FROM contacts c JOIN contacts o ON o.account_id = c.account_id
		 WHERE c.id = v_id AND c.role = 'primary' AND o.id <> c.id
		   AND o.role = 'primary' AND o.status = 'active') THEN
		RAISE EXCEPTION 'the account of % has another primary contact now', p_address
		      USING ERRCODE = 'unique_violation';
	END IF;
	UPDATE contacts SET status = p_status, updated_at = now() WHERE id = v_id;
	PERFORM pd_admin_event(p_actor,
			       CASE p_status WHEN 'removed' THEN 'contact.removed'
			       WHEN 'active' THEN 'contact.reactivated'
			       ELSE 'contact.suspended' END,
			       jsonb_build_object('contact_id', v_id, 'address', p_address,
						  'old', v_old, 'new', p_status));
	RETURN v_id;
END
$$;

CREATE FUNCTION pd_admin_agent_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('name', a.name, 'groups', to_jsonb(a.groups),
		'active', a.active, 'signature', a.signature,
		'addresses', (SELECT jsonb_agg(aa.address ORDER BY aa.position, aa.address)
				FROM agent_addresses aa WHERE aa.agent_id = a.id))
	  FROM agents a WHERE a.id = p_id
$$;

CREATE FUNCTION pd_admin_addresses_add(p_agent bigint, p_addresses text[], p_first integer)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
	v_address text;
	v_pos integer := p_first;
BEGIN
	FOREACH v_address IN ARRAY coalesce(p_addresses, '{}') LOOP
		IF EXISTS (SELECT 1 FROM agent_addresses WHERE address = v_address) THEN
			RAISE EXCEPTION 'address % already belongs to an agent', v_address
			      USING ERRCODE = 'unique_violation';
		END IF;
		INSERT INTO agent_addresses (agent_id, address, position)
		VALUES (p_agent, v_address, v_pos);
		v_pos := v_pos + 1;
	END LOOP;
END
$$;

CREATE FUNCTION pd_admin_agent_add(p_actor text, p_address text, p_name text,
				   p_groups text[], p_aliases text[], p_signature text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO agents (name, groups, signature)
	VALUES (p_name, coalesce(p_groups, '{}'), p_signature) RETURNING id INTO v_id;
	PERFORM pd_admin_addresses_add(v_id, ARRAY[p_address] || coalesce(p_aliases, '{}'), 0);
	PERFORM pd_admin_event(p_actor, 'agent.created',
			       jsonb_build_object('agent_id', v_id, 'new', pd_admin_agent_json(v_id)));
	RETURN v_id;
END
$$;

-- p_active: NULL = unchanged.  agent remove is p_active = false: the row
-- stays (accounts and tickets may name it), the agent no longer counts.
CREATE FUNCTION pd_admin_agent_set(p_actor text, p_address text, p_name text,
				   p_groups text[], p_add_addresses text[],
				   p_remove_addresses text[], p_active boolean,
				   p_signature text, p_kind text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	v_id bigint := pd_admin_agent_id(p_address);
	v_old jsonb := pd_admin_agent_json(v_id);
	v_address text;
BEGIN
	IF p_active IS NOT NULL AND p_kind = 'agent.removed' AND NOT (v_old->>'active')::boolean THEN
		RAISE EXCEPTION 'agent % is already removed', p_address
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	UPDATE agents
	   SET name = coalesce(p_name, name), groups = coalesce(p_groups, groups),
	       active = coalesce(p_active, active),
	       signature = CASE WHEN p_signature IS NULL THEN signature
				ELSE nullif(p_signature, '') END,
	       updated_at = now()
	 WHERE id = v_id;
	FOREACH v_address IN ARRAY coalesce(p_remove_addresses, '{}') LOOP
		DELETE FROM agent_addresses WHERE agent_id = v_id AND address = v_address;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'agent % has no address %', p_address, v_address
			      USING ERRCODE = 'no_data_found';
		END IF;
	END LOOP;
	PERFORM pd_admin_addresses_add(v_id, p_add_addresses,
		(SELECT coalesce(max(position), -1) + 1 FROM agent_addresses WHERE agent_id = v_id));
	IF NOT EXISTS (SELECT 1 FROM agent_addresses WHERE agent_id = v_id) THEN
		RAISE EXCEPTION 'an agent needs at least one address'
		      USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM pd_admin_event(p_actor, p_kind,
			       jsonb_build_object('agent_id', v_id, 'old', v_old,
						  'new', pd_admin_agent_json(v_id)));
	RETURN v_id;
END
$$;
