-- Repeatable: re-applied whenever this file (or a placeholder it uses) changes.
DROP VIEW IF EXISTS account_totals;
CREATE VIEW account_totals AS
SELECT a.email, a.plan, COALESCE(SUM(i.amount), 0) AS total
FROM accounts a
LEFT JOIN invoices i ON i.account_id = a.id
GROUP BY a.email, a.plan;
