-- admin: what `postdesk account|contact|agent` call (through
-- lib/store/pd-store-identity.c).
--
-- One call = one statement = one transaction, each change with its event
-- row (actor, kind, detail {old, new}).  They raise SQLSTATE P0002
-- (no_data_found) for an unknown object and 22023 (invalid_parameter_value)
-- or 23505 (unique_violation) for a bad argument; the message is meant for
-- the operator.  Addresses and domains arrive canonical.

CREATE OR REPLACE FUNCTION pd_admin_event(p_actor text, p_kind text, p_detail jsonb)
RETURNS void LANGUAGE sql
AS $$
	INSERT INTO events (actor, kind, detail) VALUES (p_actor, p_kind, p_detail)
$$;

CREATE OR REPLACE FUNCTION pd_admin_agent_id(p_address text) RETURNS bigint
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

CREATE OR REPLACE FUNCTION pd_admin_account_id(p_name text) RETURNS bigint
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

CREATE OR REPLACE FUNCTION pd_admin_account_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('name', a.name, 'plan', a.plan,
		'manager', (SELECT min(aa.address) FROM agent_addresses aa
			     WHERE aa.agent_id = a.manager_agent_id AND aa.position = 0),
		'domains', coalesce((SELECT jsonb_agg(d.domain ORDER BY d.domain)
				       FROM account_domains d WHERE d.account_id = a.id), '[]'))
	  FROM accounts a WHERE a.id = p_id
$$;

CREATE OR REPLACE FUNCTION pd_admin_account_add(p_actor text, p_name text, p_plan text,
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

CREATE OR REPLACE FUNCTION pd_admin_domains_add(p_account bigint, p_domains text[])
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

CREATE OR REPLACE FUNCTION pd_admin_account_set(p_actor text, p_name text, p_plan text,
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

CREATE OR REPLACE FUNCTION pd_admin_contact_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('account', a.name, 'address', c.address, 'name', c.name,
				  'role', c.role, 'permissions', to_jsonb(c.permissions),
				  'status', c.status, 'expires', c.expires_at::date)
	  FROM contacts c JOIN accounts a ON a.id = c.account_id WHERE c.id = p_id
$$;

-- The one not-removed contact row of an address (in p_account if given).
CREATE OR REPLACE FUNCTION pd_admin_contact_id(p_address text, p_account text) RETURNS bigint
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

CREATE OR REPLACE FUNCTION pd_admin_contact_add(p_actor text, p_account text, p_address text,
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
	-- the welcome mail (what the contact may and may not do) is queued
	-- by jobs.sql pd_contact_welcome, in the same transaction of
	-- `postdesk contact add` (lib/store/pd-store-jobs.c)
	PERFORM pd_admin_event(p_actor, 'contact.added',
			       jsonb_build_object('contact_id', v_id,
						  'new', pd_admin_contact_json(v_id)));
	RETURN v_id;
END
$$;

CREATE OR REPLACE FUNCTION pd_admin_contact_set(p_actor text, p_address text, p_account text,
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
CREATE OR REPLACE FUNCTION pd_admin_contact_status(p_actor text, p_address text, p_account text,
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

CREATE OR REPLACE FUNCTION pd_admin_agent_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_build_object('name', a.name, 'groups', to_jsonb(a.groups),
		'active', a.active, 'signature', a.signature,
		'addresses', (SELECT jsonb_agg(aa.address ORDER BY aa.position, aa.address)
				FROM agent_addresses aa WHERE aa.agent_id = a.id))
	  FROM agents a WHERE a.id = p_id
$$;

CREATE OR REPLACE FUNCTION pd_admin_addresses_add(p_agent bigint, p_addresses text[], p_first integer)
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

CREATE OR REPLACE FUNCTION pd_admin_agent_add(p_actor text, p_address text, p_name text,
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
CREATE OR REPLACE FUNCTION pd_admin_agent_set(p_actor text, p_address text, p_name text,
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

-- `postdesk db migrate` ends with this (lib/store/pd-store-migrate.c): every
-- table of the schema that has rows but no statistics (a restore without
-- ANALYZE, an upgrade of a database autovacuum never reached) is analysed
-- now, so no plan of the first deliveries is made on guesses.  An empty
-- table is left alone: analysed empty, the planner would take it for the
-- 0 pages it has and cache seq-scan plans at the first deliveries, where
-- never analysed it counts at least 10 pages and picks the indexes
-- (tests/bench/run --growth).  Returns the tables analysed.
CREATE OR REPLACE FUNCTION pd_db_analyze_missing() RETURNS text[]
LANGUAGE plpgsql
AS $$
DECLARE
	v_done text[] := '{}';
	r record;
BEGIN
	FOR r IN SELECT c.oid::regclass AS rel
		   FROM pg_class c
		  WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
		    AND pg_relation_size(c.oid) > 0
		    AND NOT EXISTS (SELECT 1 FROM pg_stats s
				     WHERE s.schemaname = current_schema()
				       AND s.tablename = c.relname)
		  ORDER BY c.relname LOOP
		EXECUTE format('ANALYZE %s', r.rel);
		v_done := v_done || r.rel::text;
	END LOOP;
	RETURN v_done;
END
$$;
