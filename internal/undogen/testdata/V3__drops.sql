CREATE TABLE app.notes (id int);
-- the old table goes
DROP TABLE app.legacy;
UPDATE app.customers SET name = upper(name);
ALTER TABLE app.customers ALTER COLUMN name TYPE varchar(100);
DO $$ BEGIN PERFORM 1; END $$;
COMMENT ON TABLE app.customers IS 'people';
CREATE TABLE oops (;
