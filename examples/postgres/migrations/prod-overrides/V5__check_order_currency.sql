-- Replaces migrations/common/V5__check_order_currency.sql in env "prod": the
-- same constraint, added without blocking writes for the whole scan.
-- NOT VALID takes a brief lock and checks new rows only; VALIDATE then scans
-- the existing rows under a lock that lets writes through.
ALTER TABLE orders ADD CONSTRAINT orders_currency_check CHECK (currency ~ '^[A-Z]{3}$') NOT VALID;

ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_check;
