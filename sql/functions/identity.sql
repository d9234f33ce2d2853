-- identity: who is writing (lib/ticket/pd-identity decides, these read the
-- facts and record the decision).
--
-- Agents and their addresses, accounts and their domains (a "known
-- organisation"), authorized contacts with permissions: every address and
-- domain is canonical (lib/core/pd-address), compared with plain equality.

-- The identity facts of one canonical From address, in one query: the
-- agent owning it, every contact row with it, and the accounts whose
-- domain it is in.  pd_identity_decide() (lib/ticket) picks from these.
-- PL/pgSQL, not an inlined SQL function: its plan is cached per connection,
-- so the unprepared call on the mail path costs ~0.2 ms instead of ~1 ms of
-- planning (pgbench, -M simple).
CREATE OR REPLACE FUNCTION pd_identity_facts(p_address text, p_domain text)
RETURNS TABLE (kind text, id bigint, account_id bigint, account_name text,
	       role text, permissions text[], status text, expired boolean,
	       active boolean, name text, plan text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN QUERY
	SELECT 'agent'::text, a.id, NULL::bigint, NULL::text, NULL::text, a.groups, NULL::text,
	       false, a.active, a.name, NULL::text
	  FROM agent_addresses aa JOIN agents a ON a.id = aa.agent_id
	 WHERE aa.address = p_address
	UNION ALL
	SELECT 'contact', c.id, c.account_id, ac.name, c.role, c.permissions, c.status,
	       c.expires_at IS NOT NULL AND c.expires_at <= now(), true, c.name, ac.plan
	  FROM contacts c JOIN accounts ac ON ac.id = c.account_id
	 WHERE c.address = p_address
	UNION ALL
	SELECT 'member', NULL, d.account_id, ac.name, NULL, NULL, NULL, false, true, NULL,
	       ac.plan
	  FROM account_domains d JOIN accounts ac ON ac.id = d.account_id
	 WHERE d.domain = p_domain;
END
$$;

-- Record the identity decision on a delivered message's ticket, in the
-- delivery's own statement (deliver.sql).  p_identity: {kind, account_id,
-- contact_id, authenticated, authorized, needs_authorization, reason, held}.
-- A new ticket takes the requester's identity; a reply on an existing one
-- only adds the event (who wrote it is the message's business, not the
-- ticket's requester), and may raise needs_authorization, never clear it.
CREATE OR REPLACE FUNCTION pd_ticket_identify(p_ticket_id bigint, p_message_row bigint,
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
		-- held = 'known' gets the polite reply instead of the
		-- acknowledgement (outbound.sql pd_outbound_ack); never a bounce
		INSERT INTO events (ticket_id, message_row, kind, detail)
		VALUES (p_ticket_id, p_message_row, 'ticket.held',
			jsonb_build_object('held', p_identity->>'held',
					   'reply', p_identity->>'held' = 'known'));
	END IF;
	RETURN true;
END
$$;

-- The permissions a contact does not have, as text ("" when none).
CREATE OR REPLACE FUNCTION pd_contact_may_not(p_permissions text[]) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
	SELECT array_to_string(ARRAY(
		SELECT p FROM unnest(ARRAY['support', 'technical', 'billing',
					   'records', 'contacts']) AS p
		 WHERE NOT p = ANY (p_permissions)), ', ')
$$;
