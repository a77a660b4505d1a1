CREATE TABLE invoices (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    issued_on  TEXT NOT NULL
);

CREATE INDEX invoices_account_idx ON invoices (account_id);
