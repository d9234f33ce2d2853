-- jobs: the welcome mail and the scheduled jobs.
--
-- welcome: `postdesk contact add` of an alternate contact queues the
-- welcome mail in the transaction that adds the contact
-- (pd_contact_welcome) and sets contacts.welcomed_at at that moment.  A
-- contact with welcomed_at set is never welcomed again (re-activation goes
-- through admin.sql pd_admin_contact_status and queues nothing).
--
-- jobs (lib/jobs, run by postdeskd's scheduler and `postdesk jobs run`):
-- pd_job_run takes a transaction-level advisory lock per job, so of several
-- daemons sharing the database one runs a job at a time; the job itself
-- only acts on what is due in its own statement, so a run after another
-- instance's run finds nothing left to do.
--   reminder  every account whose active primary holder is due (last
--             reminded, or created, at least the interval ago) gets one
--             mail listing its contacts; accounts.last_reminded_at.
--   expiry    contacts whose expires_at passed get one "contact.expired"
--             event.  The status stays: the identity lookup already treats
--             an expired contact as having no privileges (identity.sql
--             pd_identity_facts "expired"); contacts.expiry_noted_at makes
--             it once per expiry date (a new, later date is noted again
--             when it passes).
--   quarantine quarantined mail past its expires_at that nobody released
--             is deleted (pd_job_quarantine).

-- A contact's placeholder values (lib/template names), for templates
-- rendered without a ticket.
CREATE OR REPLACE FUNCTION pd_contact_values(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object(
		'contact.name', c.name,
		'contact.email', c.address,
		'contact.role', c.role,
		'contact.may', array_to_string(c.permissions, ', '),
		'contact.may_not', nullif(pd_contact_may_not(c.permissions), ''),
		'contact.added_by', c.added_by,
		'account.name', a.name,
		'account.plan', a.plan))
	  FROM contacts c JOIN accounts a ON a.id = c.account_id
	 WHERE c.id = p_id
$$;

-- Queue the welcome mail of the (not removed) contact p_address of account
-- p_account.  p_envelope_from: MAIL FROM (the bounce address, or '');
-- p_write_to: the address the mail tells the contact to write to.  Only an
-- active alternate contact that was never welcomed gets one.  Returns the
-- outbound id, or NULL when nothing was queued.
CREATE OR REPLACE FUNCTION pd_contact_welcome(p_actor text, p_account text, p_address text,
				   p_envelope_from text, p_write_to text)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	c contacts%ROWTYPE;
	v_id bigint;
BEGIN
	SELECT * INTO c FROM contacts
	 WHERE account_id = pd_admin_account_id(p_account) AND address = p_address
	   AND status <> 'removed'
	   FOR UPDATE;
	IF NOT FOUND OR c.role <> 'alternate' OR c.status <> 'active' OR
	   c.welcomed_at IS NOT NULL THEN
		RETURN NULL;
	END IF;
	INSERT INTO outbound (kind, template, recipients, recipient_name, envelope_from,
			      auto_reply, template_values)
	VALUES ('welcome', 'welcome', ARRAY[c.address], c.name, coalesce(p_envelope_from, ''),
		false, pd_contact_values(c.id) ||
		       jsonb_strip_nulls(jsonb_build_object('queue.address', p_write_to)))
	RETURNING id INTO v_id;
	UPDATE contacts SET welcomed_at = now() WHERE id = c.id;
	INSERT INTO events (actor, kind, detail)
	VALUES (p_actor, 'outbound.queued',
		jsonb_build_object('id', v_id, 'kind', 'welcome', 'template', 'welcome',
				   'contact_id', c.id, 'to', c.address));
	RETURN v_id;
END
$$;

-- The contact list of a reminder: one line per contact that is not
-- removed, the primary holder first.
CREATE OR REPLACE FUNCTION pd_account_contacts_text(p_account bigint, p_now timestamptz)
RETURNS text
LANGUAGE sql STABLE
AS $$
	SELECT string_agg(format('- %s%s, %s: may ask for %s; %s%s',
			coalesce(c.name || ' ', ''), '<' || c.address || '>', c.role,
			coalesce(nullif(array_to_string(c.permissions, ', '), ''), 'nothing'),
			CASE WHEN c.expires_at IS NOT NULL AND c.expires_at <= p_now
			     THEN 'expired' ELSE c.status END,
			CASE WHEN c.expires_at IS NULL THEN ''
			     WHEN c.expires_at <= p_now
			     THEN ' on ' || to_char(c.expires_at, 'YYYY-MM-DD')
			     ELSE '; expires ' || to_char(c.expires_at, 'YYYY-MM-DD') END),
			E'\n' ORDER BY c.role = 'primary' DESC, c.address)
	  FROM contacts c
	 WHERE c.account_id = p_account AND c.status <> 'removed'
$$;

CREATE OR REPLACE FUNCTION pd_job_reminder(p_now timestamptz, p_interval interval, p_envelope_from text)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	r record;
	v_id bigint;
	v_count integer := 0;
BEGIN
	-- The UPDATE is the claim: a concurrent run re-checks the condition
	-- on the updated row and skips it, advisory lock or not.
	FOR r IN
		UPDATE accounts a SET last_reminded_at = p_now
		 WHERE coalesce(a.last_reminded_at, a.created_at) <= p_now - p_interval
		   AND EXISTS (SELECT 1 FROM contacts c WHERE c.account_id = a.id
				  AND c.role = 'primary' AND c.status = 'active')
		RETURNING a.id, a.name
	LOOP
		INSERT INTO outbound (kind, template, recipients, recipient_name, envelope_from,
				      auto_reply, template_values)
		SELECT 'reminder', 'reminder', ARRAY[c.address], c.name,
		       coalesce(p_envelope_from, ''), false,
		       pd_contact_values(c.id) || jsonb_strip_nulls(jsonb_build_object(
				'requester.name', c.name, 'requester.email', c.address,
				'account.contacts', pd_account_contacts_text(r.id, p_now)))
		  FROM contacts c
		 WHERE c.account_id = r.id AND c.role = 'primary' AND c.status = 'active'
		RETURNING id INTO v_id;
		INSERT INTO events (actor, kind, detail)
		VALUES ('postdesk-jobs', 'outbound.queued',
			jsonb_build_object('id', v_id, 'kind', 'reminder', 'template', 'reminder',
					   'account_id', r.id, 'account', r.name));
		v_count := v_count + 1;
	END LOOP;
	RETURN v_count;
END
$$;

CREATE OR REPLACE FUNCTION pd_job_expiry(p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	r record;
	v_count integer := 0;
BEGIN
	FOR r IN
		UPDATE contacts c SET expiry_noted_at = p_now
		 WHERE c.expires_at <= p_now AND c.status <> 'removed'
		   AND (c.expiry_noted_at IS NULL OR c.expiry_noted_at < c.expires_at)
		RETURNING c.id, c.account_id, c.address, c.role, c.status, c.expires_at
	LOOP
		INSERT INTO events (actor, kind, detail)
		VALUES ('postdesk-jobs', 'contact.expired',
			jsonb_build_object('contact_id', r.id, 'account_id', r.account_id,
					   'address', r.address, 'role', r.role,
					   'status', r.status, 'expires_at', r.expires_at));
		v_count := v_count + 1;
	END LOOP;
	RETURN v_count;
END
$$;

-- The quarantine job: quarantined mail (filter.sql) whose expires_at
-- ([spam] quarantine_days after it came) passed by p_now and that nobody
-- released is deleted; returns how many.
CREATE OR REPLACE FUNCTION pd_job_quarantine(p_now timestamptz) RETURNS integer
LANGUAGE sql
AS $$
	WITH gone AS (
		DELETE FROM quarantine
		 WHERE released_at IS NULL AND expires_at <= p_now
		RETURNING 1)
	SELECT count(*)::integer FROM gone
$$;

-- Run one job under its advisory lock (held until this statement's
-- transaction ends).  p_params: {"interval": seconds, "envelope_from"}.
-- Returns how many things it did, or NULL when another session holds the
-- job's lock (it is running elsewhere right now).
CREATE OR REPLACE FUNCTION pd_job_run(p_job text, p_instance text, p_now timestamptz, p_params jsonb)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	v_count integer;
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtextextended('pd-job:' || p_job, 0)) THEN
		RETURN NULL;
	END IF;
	IF p_job = 'reminder' THEN
		v_count := pd_job_reminder(p_now,
			make_interval(secs => (p_params->>'interval')::double precision),
			p_params->>'envelope_from');
	ELSIF p_job = 'expiry' THEN
		v_count := pd_job_expiry(p_now);
	ELSIF p_job = 'quarantine' THEN
		v_count := pd_job_quarantine(p_now);
	ELSE
		RAISE EXCEPTION 'unknown job "%"', p_job USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_count > 0 THEN
		INSERT INTO events (actor, kind, detail)
		VALUES ('postdesk-jobs', 'job.run',
			jsonb_build_object('job', p_job, 'instance', p_instance,
					   'now', p_now, 'count', v_count));
	END IF;
	RETURN v_count;
END
$$;
