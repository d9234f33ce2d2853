-- 0002_authorization_explain: pd_authorization_explain takes the
-- acknowledgement request (p_ack jsonb) instead of the loop policy's reason
-- (p_suppressed text), so `postdesk test` checks the holder's cap as the
-- delivery does (sql/functions/authorization.sql).  The function itself is
-- defined in sql/functions/; a changed signature needs its old one dropped.
DROP FUNCTION IF EXISTS pd_authorization_explain(bigint, jsonb, jsonb, text, text);
