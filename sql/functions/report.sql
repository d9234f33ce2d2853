-- report.sql: the reporting layer (issue 15 section 1; DESIGN.md "Data").
--
-- Two views an operator's own tools (psql, Grafana, Metabase) can read, and
-- the functions `postdesk report` calls; they read only tickets, queues,
-- accounts and agent addresses (never events), so the CLI and a dashboard
-- show the same figures.
--
--   report_tickets   one row per ticket: queue, status, category, requester,
--                    account, assignee (the agent's main address), created,
--                    first response, closed, and the two durations in seconds
--   report_daily     per UTC day and queue: tickets opened, tickets closed
--
-- The functions take a range of whole days in a time zone: p_since and
-- p_until are both included (p_until's day runs to midnight in p_tz), and
-- the filters p_queue, p_category, p_agent (the assignee's address), NULL:
-- any.  "Closed" is tickets.closed_at (#close; a reopened ticket has none
-- until it is closed again).  A ticket is in the backlog at a time when it
-- was created before and not closed by then.  Durations are whole seconds;
-- p50/p90 are percentile_cont (interpolated), rounded.
--
-- The views are replaced on every migrate like the functions: columns are
-- only ever appended, so an operator's view on top of them survives.

CREATE OR REPLACE VIEW report_tickets AS
SELECT t.id, t.number, q.name AS queue, t.status, t.priority, t.category,
       lower(t.requester_address) AS requester, acc.name AS account,
       (SELECT aa.address FROM agent_addresses aa
	 WHERE aa.agent_id = t.assignee_agent_id
	 ORDER BY aa.position, aa.address LIMIT 1) AS assignee,
       t.created_at, t.first_response_at, t.closed_at,
       round(extract(epoch FROM t.first_response_at - t.created_at))::bigint
	       AS first_response_seconds,
       round(extract(epoch FROM t.closed_at - t.created_at))::bigint AS resolution_seconds
  FROM tickets t
  JOIN queues q ON q.id = t.queue_id
  LEFT JOIN accounts acc ON acc.id = t.account_id;

CREATE OR REPLACE VIEW report_daily AS
SELECT d.day, d.queue, sum(d.opened)::bigint AS opened, sum(d.closed)::bigint AS closed
  FROM (SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, r.queue, 1 AS opened,
	       0 AS closed
	  FROM report_tickets r
	UNION ALL
	SELECT (r.closed_at AT TIME ZONE 'UTC')::date, r.queue, 0, 1
	  FROM report_tickets r WHERE r.closed_at IS NOT NULL) d
 GROUP BY d.day, d.queue;

-- The tickets a report looks at: in scope, and open at some time of the
-- range (created before its end, not closed before its start); lo and hi
-- are the range's bounds.
CREATE OR REPLACE FUNCTION pd_report_tickets(p_since date, p_until date, p_tz text,
					      p_queue text, p_category text, p_agent text)
RETURNS TABLE (queue text, requester text, account text, created_at timestamptz,
	       first_response_at timestamptz, closed_at timestamptz,
	       first_response_seconds bigint, resolution_seconds bigint,
	       lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE
AS $$
	-- report_tickets' columns, straight from the tables: the assignee is
	-- matched by agent id, not looked up for every ticket
	SELECT q.name, lower(t.requester_address), acc.name, t.created_at,
	       t.first_response_at, t.closed_at,
	       round(extract(epoch FROM t.first_response_at - t.created_at))::bigint,
	       round(extract(epoch FROM t.closed_at - t.created_at))::bigint, b.lo, b.hi
	  FROM (SELECT p_since::timestamp AT TIME ZONE p_tz AS lo,
		       (p_until + 1)::timestamp AT TIME ZONE p_tz AS hi) b
	  JOIN tickets t ON t.created_at < b.hi
	   AND (t.closed_at IS NULL OR t.closed_at >= b.lo)
	  JOIN queues q ON q.id = t.queue_id
	  LEFT JOIN accounts acc ON acc.id = t.account_id
	 WHERE (p_queue IS NULL OR q.name = p_queue)
	   AND (p_category IS NULL OR t.category = p_category)
	   AND (p_agent IS NULL OR t.assignee_agent_id IN
		(SELECT aa.agent_id FROM agent_addresses aa WHERE aa.address = lower(p_agent)))
$$;

-- Per period (day, week: ISO, from Monday; month) and queue: opened,
-- closed, and the backlog at the period's end.  Every period of the range
-- is listed for every queue with a ticket open in the range, zeros
-- included; a period is named by its first day (a week or month may begin
-- before p_since: only the range's days are counted).
CREATE OR REPLACE FUNCTION pd_report_volume(p_since date, p_until date, p_by text, p_tz text,
					     p_queue text, p_category text, p_agent text)
RETURNS TABLE (period date, queue text, opened bigint, closed bigint, backlog bigint)
LANGUAGE sql STABLE
AS $$
	WITH s AS (SELECT * FROM pd_report_tickets(p_since, p_until, p_tz, p_queue, p_category,
						   p_agent)),
	moves AS (
		SELECT m.period, m.queue, sum(m.opened) AS opened, sum(m.closed) AS closed
		  FROM (SELECT date_trunc(p_by, s.created_at AT TIME ZONE p_tz)::date AS period,
			       s.queue, 1 AS opened, 0 AS closed
			  FROM s WHERE s.created_at >= s.lo
			UNION ALL
			SELECT date_trunc(p_by, s.closed_at AT TIME ZONE p_tz)::date, s.queue, 0, 1
			  FROM s WHERE s.closed_at >= s.lo AND s.closed_at < s.hi) m
		 GROUP BY m.period, m.queue),
	carried AS (SELECT s.queue, count(*) AS n FROM s WHERE s.created_at < s.lo
		     GROUP BY s.queue),
	grid AS (
		SELECT p.period::date AS period, q.queue,
		       coalesce(m.opened, 0)::bigint AS opened,
		       coalesce(m.closed, 0)::bigint AS closed
		  FROM generate_series(date_trunc(p_by, p_since::timestamp), p_until::timestamp,
				       ('1 ' || p_by)::interval) p(period)
		 CROSS JOIN (SELECT DISTINCT s.queue FROM s) q
		  LEFT JOIN moves m ON m.period = p.period::date AND m.queue = q.queue)
	SELECT g.period, g.queue, g.opened, g.closed,
	       (coalesce(c.n, 0) + sum(g.opened - g.closed)
			OVER (PARTITION BY g.queue ORDER BY g.period))::bigint
	  FROM grid g LEFT JOIN carried c ON c.queue = g.queue
	 ORDER BY g.period, g.queue
$$;

-- Per queue, then all queues (queue NULL): opened and closed in the range,
-- the backlog at its end, how many of the tickets opened in the range had
-- a first response by its end, and their first-response time; the
-- resolution time of the tickets closed in the range.
CREATE OR REPLACE FUNCTION pd_report_queues(p_since date, p_until date, p_tz text,
					     p_queue text, p_category text, p_agent text)
RETURNS TABLE (queue text, opened bigint, closed bigint, backlog bigint, responded bigint,
	       first_response_p50 bigint, first_response_p90 bigint,
	       resolution_p50 bigint, resolution_p90 bigint)
LANGUAGE sql STABLE
AS $$
	SELECT s.queue,
	       count(*) FILTER (WHERE s.created_at >= s.lo),
	       count(*) FILTER (WHERE s.closed_at >= s.lo AND s.closed_at < s.hi),
	       count(*) FILTER (WHERE s.closed_at IS NULL OR s.closed_at >= s.hi),
	       count(*) FILTER (WHERE s.created_at >= s.lo AND s.first_response_at < s.hi),
	       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.first_response_seconds)
		     FILTER (WHERE s.created_at >= s.lo AND s.first_response_at < s.hi))::bigint,
	       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY s.first_response_seconds)
		     FILTER (WHERE s.created_at >= s.lo AND s.first_response_at < s.hi))::bigint,
	       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.resolution_seconds)
		     FILTER (WHERE s.closed_at >= s.lo AND s.closed_at < s.hi))::bigint,
	       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY s.resolution_seconds)
		     FILTER (WHERE s.closed_at >= s.lo AND s.closed_at < s.hi))::bigint
	  FROM pd_report_tickets(p_since, p_until, p_tz, p_queue, p_category, p_agent) s
	 GROUP BY GROUPING SETS ((s.queue), ())
	 ORDER BY s.queue NULLS LAST
$$;

-- The backlog at the range's end by age (time since the ticket was
-- created): every bucket, zeros included.
CREATE OR REPLACE FUNCTION pd_report_backlog(p_since date, p_until date, p_tz text,
					      p_queue text, p_category text, p_agent text)
RETURNS TABLE (age text, tickets bigint)
LANGUAGE sql STABLE
AS $$
	WITH open AS (
		SELECT CASE WHEN a < interval '1 day' THEN 1 WHEN a < interval '3 days' THEN 2
			    WHEN a < interval '7 days' THEN 3 WHEN a < interval '30 days' THEN 4
			    ELSE 5 END AS n, count(*) AS tickets
		  FROM (SELECT s.hi - s.created_at AS a
			  FROM pd_report_tickets(p_since, p_until, p_tz, p_queue, p_category,
						 p_agent) s
			 WHERE s.closed_at IS NULL OR s.closed_at >= s.hi) o
		 GROUP BY 1)
	SELECT b.age, coalesce(o.tickets, 0)
	  FROM (VALUES (1, 'under 1 day'), (2, '1 to 3 days'), (3, '3 to 7 days'),
		       (4, '7 to 30 days'), (5, '30 days or more')) b(n, age)
	  LEFT JOIN open o ON o.n = b.n
	 ORDER BY b.n
$$;

-- Who opened the most tickets in the range (p_limit of them; ties by
-- address), with their account and how many of those are still open.
CREATE OR REPLACE FUNCTION pd_report_requesters(p_since date, p_until date, p_tz text,
						 p_queue text, p_category text, p_agent text,
						 p_limit integer)
RETURNS TABLE (requester text, account text, tickets bigint, open bigint)
LANGUAGE sql STABLE
AS $$
	SELECT s.requester, min(s.account), count(*),
	       count(*) FILTER (WHERE s.closed_at IS NULL OR s.closed_at >= s.hi)
	  FROM pd_report_tickets(p_since, p_until, p_tz, p_queue, p_category, p_agent) s
	 WHERE s.created_at >= s.lo AND s.requester IS NOT NULL
	 GROUP BY s.requester
	 ORDER BY count(*) DESC, s.requester
	 LIMIT p_limit
$$;

-- The same per account (tickets of no account are left out).
CREATE OR REPLACE FUNCTION pd_report_accounts(p_since date, p_until date, p_tz text,
					       p_queue text, p_category text, p_agent text,
					       p_limit integer)
RETURNS TABLE (account text, tickets bigint, open bigint, requesters bigint)
LANGUAGE sql STABLE
AS $$
	SELECT s.account, count(*),
	       count(*) FILTER (WHERE s.closed_at IS NULL OR s.closed_at >= s.hi),
	       count(DISTINCT s.requester)
	  FROM pd_report_tickets(p_since, p_until, p_tz, p_queue, p_category, p_agent) s
	 WHERE s.created_at >= s.lo AND s.account IS NOT NULL
	 GROUP BY s.account
	 ORDER BY count(*) DESC, s.account
	 LIMIT p_limit
$$;

-- Per queue, then all queues (queue NULL): of the tickets opened in the
-- range, how many needed an authorization (a contact's permission, or an
-- unverified requester), how many asked the account's primary holder and
-- what became of it (approved, refused, still waiting), how many are
-- held now; and the mail the filter rules kept out of the tickets in the
-- range (quarantined, and released since).  Quarantined mail has no
-- ticket: it is counted only without the category and agent filters.
CREATE OR REPLACE FUNCTION pd_report_requests(p_since date, p_until date, p_tz text,
					       p_queue text, p_category text, p_agent text)
RETURNS TABLE (queue text, needs_authorization bigint, authorization_asked bigint,
	       approved bigint, refused bigint, waiting bigint, held bigint,
	       quarantined bigint, released bigint)
LANGUAGE sql STABLE
AS $$
	WITH b AS (SELECT p_since::timestamp AT TIME ZONE p_tz AS lo,
			  (p_until + 1)::timestamp AT TIME ZONE p_tz AS hi)
	SELECT x.queue, coalesce(sum(x.needs), 0)::bigint, coalesce(sum(x.asked), 0)::bigint,
	       coalesce(sum(x.approved), 0)::bigint, coalesce(sum(x.refused), 0)::bigint,
	       coalesce(sum(x.waiting), 0)::bigint, coalesce(sum(x.held), 0)::bigint,
	       coalesce(sum(x.quarantined), 0)::bigint, coalesce(sum(x.released), 0)::bigint
	  FROM (SELECT q.name AS queue, t.needs_authorization::int AS needs,
		       (t.authorization_state IS NOT NULL)::int AS asked,
		       (t.authorization_state = 'approved')::int AS approved,
		       (t.authorization_state = 'refused')::int AS refused,
		       (t.authorization_state = 'requested')::int AS waiting,
		       (t.held IS NOT NULL)::int AS held, 0 AS quarantined, 0 AS released
		  FROM b JOIN tickets t ON t.created_at >= b.lo AND t.created_at < b.hi
		  JOIN queues q ON q.id = t.queue_id
		 WHERE (p_queue IS NULL OR q.name = p_queue)
		   AND (p_category IS NULL OR t.category = p_category)
		   AND (p_agent IS NULL OR t.assignee_agent_id IN
			(SELECT aa.agent_id FROM agent_addresses aa
			  WHERE aa.address = lower(p_agent)))
		UNION ALL
		SELECT qr.queue, 0, 0, 0, 0, 0, 0, 1, (qr.released_at IS NOT NULL)::int
		  FROM b JOIN quarantine qr ON qr.created_at >= b.lo AND qr.created_at < b.hi
		 WHERE (p_queue IS NULL OR qr.queue = p_queue)
		   AND p_category IS NULL AND p_agent IS NULL) x
	 GROUP BY GROUPING SETS ((x.queue), ())
	 ORDER BY x.queue NULLS LAST
$$;

-- Per agent (the main address), of the tickets in scope: the answers
-- (mail from the agent relayed to the ticket) and notes received in the
-- range, how many tickets those answers went to, and how many open tickets
-- are assigned to the agent at the range's end.  Agents with none of them
-- are left out; the most answers first.
CREATE OR REPLACE FUNCTION pd_report_agents(p_since date, p_until date, p_tz text,
					     p_queue text, p_category text, p_agent text)
RETURNS TABLE (agent text, name text, answers bigint, notes bigint, tickets bigint,
	       assigned_open bigint)
LANGUAGE sql STABLE
AS $$
	WITH b AS (SELECT p_since::timestamp AT TIME ZONE p_tz AS lo,
			  (p_until + 1)::timestamp AT TIME ZONE p_tz AS hi),
	scope AS (
		SELECT t.id, t.assignee_agent_id, t.created_at, t.closed_at
		  FROM tickets t JOIN queues q ON q.id = t.queue_id
		 WHERE (p_queue IS NULL OR q.name = p_queue)
		   AND (p_category IS NULL OR t.category = p_category)),
	work AS (
		SELECT aa.agent_id, (m.kind = 'agent')::int AS answer, (m.kind = 'note')::int AS note,
		       CASE WHEN m.kind = 'agent' THEN m.ticket_id END AS ticket, 0 AS assigned
		  FROM b JOIN messages m ON m.received_at >= b.lo AND m.received_at < b.hi
		  JOIN scope s ON s.id = m.ticket_id
		  JOIN agent_addresses aa ON aa.address = lower(m.from_address)
		 WHERE m.direction = 'in' AND m.kind IN ('agent', 'note')
		UNION ALL
		SELECT s.assignee_agent_id, 0, 0, NULL, 1
		  FROM b JOIN scope s ON s.created_at < b.hi
		   AND (s.closed_at IS NULL OR s.closed_at >= b.hi)
		 WHERE s.assignee_agent_id IS NOT NULL),
	main AS (SELECT DISTINCT ON (aa.agent_id) aa.agent_id, aa.address
		   FROM agent_addresses aa ORDER BY aa.agent_id, aa.position, aa.address)
	SELECT main.address, a.name, sum(w.answer)::bigint, sum(w.note)::bigint,
	       count(DISTINCT w.ticket), sum(w.assigned)::bigint
	  FROM work w JOIN agents a ON a.id = w.agent_id
	  JOIN main ON main.agent_id = w.agent_id
	 WHERE p_agent IS NULL OR main.agent_id IN
		(SELECT x.agent_id FROM agent_addresses x WHERE x.address = lower(p_agent))
	 GROUP BY main.address, a.name
	 ORDER BY sum(w.answer) DESC, main.address
$$;
