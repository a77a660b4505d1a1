-- Dev-only seed data (environment: ${strata:env}).
INSERT INTO accounts (email) VALUES ('alice@example.com'), ('bob@example.com');
INSERT INTO invoices (account_id, amount, issued_on) VALUES (1, 1200, '2026-11-01'), (1, 800, '2026-11-15');
