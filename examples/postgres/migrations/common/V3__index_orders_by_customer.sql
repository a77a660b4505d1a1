-- CREATE INDEX CONCURRENTLY cannot run inside a transaction. Strata sees it
-- and runs this file outside one, statement by statement, recording its
-- progress in the history table. If the build is interrupted (killed, timed
-- out), running migrate again with the file unchanged drops the INVALID
-- index left behind and builds it again. No directive needed.
CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id, created_at DESC);
