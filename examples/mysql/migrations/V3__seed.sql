-- Only DML: one transaction together with its history row, all or nothing.
INSERT INTO customers (email) VALUES ('ada@example.com'), ('grace@example.com');
INSERT INTO orders (customer_id, total_cents)
SELECT id, 1250 FROM customers WHERE email = 'ada@example.com';
