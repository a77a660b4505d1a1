CREATE TABLE invoices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    total_cents bigint NOT NULL CHECK (total_cents >= 0),
    issued_on   date NOT NULL DEFAULT current_date
);

CREATE INDEX invoices_account_id_idx ON invoices (account_id);
