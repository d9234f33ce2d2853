-- 0007_desk: tickets worked by people (issue 14, section 1).
--
--   messages_search_idx    `postdesk ticket list --search WORDS`: PostgreSQL
--                          full text ('simple' configuration: no stemming,
--                          any language) over each message's subject and
--                          the first 4,000 characters of its text.  The
--                          statement (lib/store/pd-store.c, pd_ticket_list)
--                          uses this very expression.  Why 4,000: measured
--                          on 1,000 synthetic 6.3 KB bodies (Zipf-like
--                          words), one commit each, the whole text cost
--                          +8 ms and +11 KB of WAL per message, the first
--                          4,000 characters +2.6 ms and +7.5 KB; what a
--                          mail is about is almost always in its start,
--                          and a reply's new text is short.
--   tickets.merged_into    `postdesk ticket merge FROM INTO`: FROM is closed
--                          and points at INTO, where its messages went;
--                          mail threading into FROM (a token, [#FROM])
--                          joins INTO (pd_thread_decide).
CREATE INDEX messages_search_idx ON messages USING gin
	(to_tsvector('simple'::regconfig, subject || ' ' || left(coalesce(text_body, ''), 4000)));

ALTER TABLE tickets ADD COLUMN merged_into bigint REFERENCES tickets (id);
CREATE INDEX tickets_merged_into_idx ON tickets (merged_into) WHERE merged_into IS NOT NULL;
