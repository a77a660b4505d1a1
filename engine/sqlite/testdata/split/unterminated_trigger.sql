CREATE TABLE t (id INTEGER);

CREATE TRIGGER t_ins AFTER INSERT ON t
BEGIN
    INSERT INTO log VALUES (new.id);
-- END; is missing: the comment does not count
