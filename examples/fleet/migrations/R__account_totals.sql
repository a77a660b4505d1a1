CREATE OR REPLACE VIEW account_totals AS
SELECT a.id, a.email, COALESCE(sum(i.total_cents), 0) AS total_cents
FROM accounts a
LEFT JOIN invoices i ON i.account_id = a.id
GROUP BY a.id, a.email;
