CREATE TABLE t (id int);

CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
BEGIN
    RETURN 1;
END;
$body;
