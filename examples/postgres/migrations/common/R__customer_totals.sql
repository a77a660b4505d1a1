-- Repeatable: applied after the versioned migrations, and again whenever
-- this file or a placeholder it uses changes (checksums are taken after
-- placeholder replacement).
CREATE OR REPLACE VIEW customer_totals AS
SELECT c.id,
       c.email,
       co.name                       AS country,
       count(o.id)                   AS orders,
       coalesce(sum(o.amount), 0)    AS total,
       '${default_currency}'::char(3) AS currency
FROM customers c
JOIN countries co ON co.code = c.country
LEFT JOIN orders o ON o.customer_id = c.id AND o.currency = '${default_currency}'
GROUP BY c.id, c.email, co.name;
