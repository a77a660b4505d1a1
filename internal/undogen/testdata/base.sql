-- The schema before the migration: what the V script changes and the U
-- script must give back exactly.
CREATE SCHEMA app;
CREATE TABLE app.customers (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    mail text
);
CREATE INDEX customers_mail ON app.customers (mail);
