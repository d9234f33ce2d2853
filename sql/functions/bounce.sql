-- bounce: the mail that comes back (issue 16, section 1), recorded against
-- the outbound row it names, in its own transaction: never a ticket, never
-- an acknowledgement, never a notification as a new ticket.
--
-- pd_bounce_record(p, p_raw): one bounce as the pipeline's bounce step read
-- it (lib/pipeline/pd-pipeline-bounce.c, the document of
-- lib/store/pd-store-bounce.c):
--   p: {recipient, envelope_from, message_id, idempotency_key, kind,
--       outbound_id (null: none), matched_by, unmatched, failing_days,
--       report {standard, feedback_type, returned_message_id,
--               recipients [{address, original, action, status, reply_code,
--                            diagnostic, remote_mta, kind}]}}
-- The reported recipients that count are those of the row's own
-- recipients (a valid token held by its recipient, who sees it in the
-- Return-Path, can only ever fail that recipient's own address); a report
-- that names nobody (a non-standard bounce) counts for the row's one
-- recipient.  Per counted recipient:
--   hard  the address fails until now() + failing_days
--         (bounced_addresses), a sent row becomes failed with the status
--         and diagnostic in last_error, event bounce.hard; for a relayed
--         answer the agent who wrote it hears of it (pd_bounce_notice);
--   soft  counted on the address and the row, event bounce.soft (the
--         relay's retry goes on: nothing is failed).
-- Auto-replies, feedback reports and success reports only get their event.
-- A redelivery (same idempotency key) does nothing: {duplicate: true}.
-- Returns {bounce_id, duplicate, outbound_id (null: unmatched), ticket_id,
-- failing [addresses], counted [addresses]}.
-- pd_bounce_notice(p_out, p_address, p_reason): the agent whose answer
-- (relay row p_out) bounced hard from p_address hears of it: one
-- 'notification' row, template bounce-notice, to the agent's main address,
-- with bounce.address and bounce.reason.  The agent is the author of the
-- ticket's latest agent message when the relay was queued (the answer it
-- relays: both are written in one transaction); nobody when there is none,
-- or when that is the failing address itself.
CREATE OR REPLACE FUNCTION pd_bounce_notice(p_out outbound, p_address text, p_reason text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_agent	text;
	v_id	bigint;
BEGIN
	-- the relay is queued in the transaction that stores the agent's
	-- message (pd_relay_queue): the ticket's latest agent message by then
	SELECT pd_agent_main_address(m.agent_id) INTO v_agent
	  FROM messages m
	 WHERE m.ticket_id = p_out.ticket_id AND m.agent_id IS NOT NULL
	   AND m.received_at <= p_out.created_at
	 ORDER BY m.received_at DESC, m.id DESC LIMIT 1;
	IF v_agent IS NULL OR v_agent = lower(p_address) THEN
		RETURN NULL;
	END IF;
	INSERT INTO outbound (ticket_id, kind, template, queue, recipients, auto_reply,
			      template_values)
	VALUES (p_out.ticket_id, 'notification', 'bounce-notice', p_out.queue, ARRAY[v_agent],
		true, jsonb_build_object('bounce.address', p_address,
					 'bounce.reason', left(p_reason, 500)))
	RETURNING id INTO v_id;
	INSERT INTO events (ticket_id, kind, detail)
	VALUES (p_out.ticket_id, 'outbound.queued', jsonb_build_object('id', v_id,
		'kind', 'notification', 'template', 'bounce-notice', 'to', v_agent,
		'bounced', p_address));
	RETURN v_id;
END;
$$;

CREATE OR REPLACE FUNCTION pd_bounce_record(p jsonb, p_raw bytea) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_id		bigint;
	v_out		outbound%ROWTYPE;
	v_found		boolean := false;
	v_kind		text := p->>'kind';
	v_report	jsonb := coalesce(p->'report', '{}');
	v_rcpts		jsonb;
	v_r		record;
	v_failing	text[] := '{}';
	v_counted	text[] := '{}';
	v_days		integer := greatest(coalesce((p->>'failing_days')::integer, 30), 1);
	v_error		text;
	v_reason	text;
BEGIN
	IF p->>'outbound_id' IS NOT NULL THEN
		SELECT * INTO v_out FROM outbound WHERE id = (p->>'outbound_id')::bigint FOR UPDATE;
		v_found := FOUND;
	END IF;
	INSERT INTO bounces (outbound_id, matched_by, unmatched, kind, envelope_from, recipient,
			     message_id, report, idempotency_key, raw)
	VALUES (CASE WHEN v_found THEN v_out.id END,
		CASE WHEN v_found THEN p->>'matched_by' END,
		CASE WHEN v_found THEN NULL
		     WHEN p->>'outbound_id' IS NOT NULL
		     THEN 'outbound ' || (p->>'outbound_id') || ' no longer exists'
		     ELSE coalesce(p->>'unmatched', 'names no mail of ours') END,
		v_kind, coalesce(p->>'envelope_from', ''), p->>'recipient', p->>'message_id',
		v_report, p->>'idempotency_key', p_raw)
	ON CONFLICT (idempotency_key) DO NOTHING
	RETURNING id INTO v_id;
	IF v_id IS NULL THEN
		RETURN jsonb_build_object('duplicate', true, 'bounce_id',
			(SELECT id FROM bounces WHERE idempotency_key = p->>'idempotency_key'),
			'outbound_id', (SELECT outbound_id FROM bounces
					WHERE idempotency_key = p->>'idempotency_key'),
			'failing', '[]'::jsonb, 'counted', '[]'::jsonb);
	END IF;
	IF NOT v_found THEN
		INSERT INTO events (kind, detail)
		VALUES ('bounce.unmatched', jsonb_build_object('bounce_id', v_id, 'kind', v_kind,
			'why', (SELECT unmatched FROM bounces WHERE id = v_id)));
		RETURN jsonb_build_object('duplicate', false, 'bounce_id', v_id, 'outbound_id', NULL,
					  'failing', '[]'::jsonb, 'counted', '[]'::jsonb);
	END IF;

	-- the reported recipients that are the row's own; none named: its one recipient
	v_rcpts := coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(
				coalesce(v_report->'recipients', '[]')) e
			     WHERE e->>'address' IS NOT NULL), '[]');
	IF jsonb_array_length(v_rcpts) = 0 AND cardinality(v_out.recipients) = 1 THEN
		v_rcpts := jsonb_build_array(coalesce(v_report->'recipients'->0, '{}'::jsonb)
			|| jsonb_build_object('address', v_out.recipients[1], 'kind', v_kind));
	END IF;
	FOR v_r IN
		SELECT lower(e->>'address') AS address, e->>'kind' AS kind, e->>'status' AS status,
		       nullif(e->>'reply_code', '')::integer AS reply_code,
		       e->>'diagnostic' AS diagnostic
		FROM jsonb_array_elements(v_rcpts) e
		WHERE lower(e->>'address') IN (SELECT lower(x) FROM unnest(v_out.recipients) x)
		  AND e->>'kind' IN ('hard', 'soft')
	LOOP
		IF v_r.kind = 'hard' THEN
			v_reason := concat_ws(' ', v_r.reply_code::text, v_r.status, v_r.diagnostic);
			v_error := 'bounced: ' || v_reason;
			INSERT INTO bounced_addresses AS b (address, failing_since, failing_until,
				status, reply_code, diagnostic, outbound_id, bounce_id, hard_bounces)
			VALUES (v_r.address, now(), now() + make_interval(days => v_days), v_r.status,
				v_r.reply_code, v_r.diagnostic, v_out.id, v_id, 1)
			ON CONFLICT (address) DO UPDATE SET
				failing_since = coalesce(b.failing_since, now()),
				failing_until = EXCLUDED.failing_until, status = EXCLUDED.status,
				reply_code = EXCLUDED.reply_code, diagnostic = EXCLUDED.diagnostic,
				outbound_id = EXCLUDED.outbound_id, bounce_id = EXCLUDED.bounce_id,
				hard_bounces = b.hard_bounces + 1, last_bounce_at = now();
			UPDATE outbound SET status = CASE WHEN status = 'sent' THEN 'failed'
							  ELSE status END,
				last_error = left(v_error, 1000), bounce_status = v_r.status,
				bounced_at = now(), updated_at = now()
			WHERE id = v_out.id;
			v_failing := v_failing || v_r.address;
			IF v_out.kind = 'relay' THEN
				PERFORM pd_bounce_notice(v_out, v_r.address, v_reason);
			END IF;
		ELSE
			INSERT INTO bounced_addresses AS b (address, soft_bounces, outbound_id,
							    bounce_id)
			VALUES (v_r.address, 1, v_out.id, v_id)
			ON CONFLICT (address) DO UPDATE SET soft_bounces = b.soft_bounces + 1,
				last_bounce_at = now();
			UPDATE outbound SET soft_bounces = soft_bounces + 1, updated_at = now()
			WHERE id = v_out.id;
			v_counted := v_counted || v_r.address;
		END IF;
		INSERT INTO events (ticket_id, kind, detail)
		VALUES (v_out.ticket_id, 'bounce.' || v_r.kind, jsonb_strip_nulls(jsonb_build_object(
			'bounce_id', v_id, 'outbound_id', v_out.id, 'outbound_kind', v_out.kind,
			'address', v_r.address, 'status', v_r.status, 'reply_code', v_r.reply_code,
			'diagnostic', left(v_r.diagnostic, 500))));
	END LOOP;
	IF cardinality(v_failing) = 0 AND cardinality(v_counted) = 0 THEN
		INSERT INTO events (ticket_id, kind, detail)
		VALUES (v_out.ticket_id, 'bounce.' || v_kind, jsonb_build_object(
			'bounce_id', v_id, 'outbound_id', v_out.id, 'outbound_kind', v_out.kind));
	END IF;
	RETURN jsonb_build_object('duplicate', false, 'bounce_id', v_id, 'outbound_id', v_out.id,
				  'ticket_id', v_out.ticket_id, 'failing', to_jsonb(v_failing),
				  'counted', to_jsonb(v_counted));
END;
$$;

-- pd_bounce_hold_failing(): automatic mail (auto_reply rows: the
-- acknowledgement, notices, notifications, welcome and reminder mails) due
-- to one recipient whose address is failing is not sent: the row becomes
-- failed with the reason, event outbound.failing.  A relayed agent answer
-- (a person's decision) still goes.  The sender calls it before each
-- claim.  Returns the number of rows failed.
CREATE OR REPLACE FUNCTION pd_bounce_hold_failing() RETURNS integer
LANGUAGE sql AS $$
	WITH held AS (
		UPDATE outbound o SET status = 'failed', updated_at = now(),
			last_error = 'not sent: ' || b.address || ' is failing since '
				|| to_char(b.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')
				|| ' (' || concat_ws(' ', b.reply_code::text, b.status, b.diagnostic)
				|| '), until '
				|| to_char(b.failing_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')
		FROM bounced_addresses b
		WHERE o.status = 'queued' AND o.auto_reply AND o.next_attempt_at <= now()
		  AND cardinality(o.recipients) = 1 AND b.address = lower(o.recipients[1])
		  AND b.failing_until > now()
		RETURNING o.id, o.ticket_id, o.last_error
	), ev AS (
		INSERT INTO events (ticket_id, kind, detail)
		SELECT ticket_id, 'outbound.failing', jsonb_build_object('id', id, 'error', last_error)
		FROM held RETURNING 1
	)
	SELECT count(*)::integer FROM ev;
$$;

-- pd_bounce_failing(p_address): the failing state of one address for
-- `postdesk test` and the operator ({address, failing_since, failing_until,
-- status, reply_code, diagnostic, hard_bounces, soft_bounces}), NULL when it
-- has no bounce on record.
CREATE OR REPLACE FUNCTION pd_bounce_failing(p_address text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('address', address,
		'failing', failing_until IS NOT NULL AND failing_until > now(),
		'failing_since', failing_since, 'failing_until', failing_until, 'status', status,
		'reply_code', reply_code, 'diagnostic', diagnostic, 'hard_bounces', hard_bounces,
		'soft_bounces', soft_bounces)
	FROM bounced_addresses WHERE address = lower(p_address);
$$;

-- pd_bounce_clear(p_address, p_actor): the operator says the address works
-- again (`postdesk address clear`): not failing any more, automatic mail
-- goes to it; the counts stay.  Event bounce.cleared.  FALSE when it was
-- not failing.
CREATE OR REPLACE FUNCTION pd_bounce_clear(p_address text, p_actor text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE bounced_addresses SET failing_since = NULL, failing_until = NULL
	WHERE address = lower(p_address) AND failing_until > now();
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	INSERT INTO events (actor, kind, detail)
	VALUES (coalesce(p_actor, 'postdesk'), 'bounce.cleared',
		jsonb_build_object('address', lower(p_address)));
	RETURN true;
END;
$$;
