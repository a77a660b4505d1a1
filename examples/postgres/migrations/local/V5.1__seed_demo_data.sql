-- Demo data for env ${strata:env} only: this location is listed by env "local".
INSERT INTO customers (email, country) VALUES
    ('alice@example.com', 'DE'),
    ('bob@example.com', 'FR');

INSERT INTO orders (customer_id, amount)
SELECT id, 19.90 FROM customers WHERE email = 'alice@example.com'
UNION ALL
SELECT id, 5.00 FROM customers WHERE email = 'alice@example.com'
UNION ALL
SELECT id, 42.00 FROM customers WHERE email = 'bob@example.com';
