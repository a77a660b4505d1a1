-- Repeatable: applied in every tenant after the versioned migrations, and
-- again whenever this file changes. CREATE OR REPLACE VIEW may add columns
-- at the end but not drop, rename or retype them: for that, DROP VIEW first.
CREATE OR REPLACE VIEW project_progress AS
SELECT p.id                                                        AS project_id,
       p.name,
       count(t.id)                                                 AS tasks,
       count(t.id) FILTER (WHERE t.status = 'done')                AS done,
       count(t.id) FILTER (WHERE t.status <> 'done'
                             AND t.due_date < current_date)        AS overdue,
       round(100.0 * count(t.id) FILTER (WHERE t.status = 'done')
             / nullif(count(t.id), 0), 1)                          AS percent_done
FROM projects p
LEFT JOIN tasks t ON t.project_id = p.id
WHERE p.archived_at IS NULL
GROUP BY p.id, p.name;
