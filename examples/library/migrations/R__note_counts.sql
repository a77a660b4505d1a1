-- Repeatable: applied after the versioned files, and again whenever this
-- file (or a placeholder it uses) changes.
DROP VIEW IF EXISTS note_counts;
CREATE VIEW note_counts AS
SELECT u.email, COUNT(n.id) AS notes
FROM users u
LEFT JOIN notes n ON n.user_id = u.id
GROUP BY u.email;
