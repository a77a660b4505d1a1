-- strata:transaction=false
-- Every statement has a known inverse (CREATE INDEX CONCURRENTLY needs no transaction).
SET lock_timeout = '5s';
CREATE SCHEMA billing;
CREATE TYPE billing.status AS ENUM ('open', 'paid', 'void');
CREATE TYPE billing.money_pair AS (amount numeric, currency char(3));
CREATE DOMAIN billing.positive AS numeric CHECK (VALUE > 0);
CREATE SEQUENCE billing.invoice_no START 1000;
CREATE TABLE ${schema}.invoices (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL,
    no bigint NOT NULL DEFAULT nextval('billing.invoice_no'),
    status billing.status NOT NULL DEFAULT 'open',
    total billing.positive
);
CREATE INDEX CONCURRENTLY invoices_customer ON ${schema}.invoices (customer_id);
CREATE UNIQUE INDEX invoices_no ON billing.invoices (no) WHERE status <> 'void';
ALTER TABLE app.customers ADD COLUMN phone text, ADD COLUMN vip boolean NOT NULL DEFAULT false;
ALTER TABLE billing.invoices ADD CONSTRAINT invoices_customer_fk FOREIGN KEY (customer_id) REFERENCES app.customers (id);
ALTER TABLE app.customers ADD CONSTRAINT customers_name_len CHECK (length(name) < 200) NOT VALID;
ALTER TABLE app.customers RENAME COLUMN mail TO email;
ALTER INDEX app.customers_mail RENAME TO customers_email;
CREATE VIEW billing.open_invoices AS SELECT id, customer_id, total FROM billing.invoices WHERE status = 'open';
CREATE MATERIALIZED VIEW billing.totals AS SELECT customer_id, sum(total) AS total FROM billing.invoices GROUP BY customer_id;
CREATE FUNCTION billing.touch(inv bigint, OUT touched boolean) LANGUAGE sql AS $$ SELECT inv > 0 $$;
CREATE FUNCTION billing.no_void() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'void' THEN RAISE EXCEPTION 'void'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER invoices_no_void BEFORE INSERT ON billing.invoices FOR EACH ROW EXECUTE FUNCTION billing.no_void();
ALTER TABLE billing.invoices DISABLE TRIGGER invoices_no_void;
ALTER TABLE billing.invoices RENAME TO bills;
