-- Data backfill: tasks finished before V3 have no completed_at. Their last
-- update is the best estimate. A fresh tenant has no tasks and updates
-- nothing; a tenant with data gets its rows fixed in the same transaction
-- as the constraint that depends on them.
UPDATE tasks
SET completed_at = updated_at
WHERE status = 'done'
  AND completed_at IS NULL;

-- From now on: a task is done exactly when it has a completion time.
ALTER TABLE tasks
    ADD CONSTRAINT tasks_completed_at_check
    CHECK ((status = 'done') = (completed_at IS NOT NULL));
