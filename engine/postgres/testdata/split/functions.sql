/*
 * Functions, procedures and DO blocks.
 * /* Nested comments: a ; in here ends nothing; */ and neither does this ;
 */
CREATE SCHEMA IF NOT EXISTS app;

CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now(); -- a ; in a comment inside the body
    RETURN NEW;
END;
$$;

CREATE FUNCTION app.quote_it(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    q text := $q$'$q$;          -- another dollar quote inside: q is not fn
BEGIN
    IF s IS NULL THEN
        RETURN 'NULL';
    END IF;
    RETURN q || replace(s, q, q || q) || q; /* $$ is not the end either */
END
$fn$;

-- SQL-standard body (PostgreSQL 14+): semicolons inside BEGIN ATOMIC ... END.
CREATE FUNCTION app.sign_label(n int) RETURNS text
    LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE
        WHEN n < 0 THEN 'negative'
        WHEN n = 0 THEN CASE WHEN true THEN 'zero' END
        ELSE 'positive'
    END;
END;

CREATE PROCEDURE app.log_twice(msg text)
LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO app.log (message) VALUES (msg);
    INSERT INTO app.log (message) VALUES (msg || ';again');
END;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader') THEN
        CREATE ROLE reader;
    END IF;
END
$$;

do $body$ begin perform 1; end $body$ language plpgsql;

SELECT E'it\'s; escaped', e'back\\slash;', 'plain: no escapes here \', ';', U&'d\0061t\+000061;' AS "weird;""name";

PREPARE get_user(int) AS SELECT * FROM app.users WHERE id = $1 AND tag <> '$1$';

SELECT price$usd FROM app.items WHERE note = $tag$ ; $tag$;
