-- Not applied until copied to migrations/tenant (see README.md, "A migration
-- that fails for some tenants").
--
-- Emails become case-insensitive: Ann@example.com and ann@example.com are
-- the same user. Creating the unique index fails in every tenant that
-- already has two users whose emails differ only by case; the transaction
-- is rolled back there, and the other tenants are migrated.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

ALTER TABLE users DROP CONSTRAINT users_email_key;
