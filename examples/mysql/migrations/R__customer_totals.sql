-- Repeatable: re-applied whenever this file changes.
CREATE OR REPLACE VIEW customer_totals AS
SELECT c.email, COALESCE(SUM(o.total_cents), 0) AS total_cents
FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.email;
