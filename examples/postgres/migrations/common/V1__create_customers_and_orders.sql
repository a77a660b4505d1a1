-- ${strata:schema} is the target schema as a quoted identifier ("app").
-- The search_path already starts with it, so plain names work too; the
-- qualified names just make the placement explicit.
COMMENT ON SCHEMA ${strata:schema} IS 'Tables of ${app_name}, managed by Strata';

CREATE TABLE ${strata:schema}.customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    country    char(2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ${strata:schema}.orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES ${strata:schema}.customers (id),
    amount      numeric(12, 2) NOT NULL CHECK (amount >= 0),
    currency    char(3) NOT NULL DEFAULT '${default_currency}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
