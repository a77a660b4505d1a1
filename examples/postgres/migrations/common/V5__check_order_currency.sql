-- Fine on small tables: validates every row while holding a lock that
-- blocks writes to orders. Production replaces this file (see
-- migrations/prod-overrides/V5__check_order_currency.sql).
ALTER TABLE orders ADD CONSTRAINT orders_currency_check CHECK (currency ~ '^[A-Z]{3}$');
