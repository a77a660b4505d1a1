-- A script written for psql that manages its own transaction.
BEGIN;

CREATE TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL);
SAVEPOINT before_seed;
INSERT INTO accounts VALUES (1, 100), (2, 0);
ROLLBACK TO SAVEPOINT before_seed;
INSERT INTO accounts VALUES (1, 50);
RELEASE SAVEPOINT before_seed;

COMMIT;

start transaction isolation level serializable;
UPDATE accounts SET balance = CASE WHEN id = 1 THEN balance - 10 ELSE balance END;
end;

Begin Work;
ABORT;

BEGIN TRANSACTION READ WRITE;
ROLLBACK;

BEGIN;
PREPARE TRANSACTION 'tx1';
COMMIT PREPARED 'tx1';
ROLLBACK PREPARED 'tx2';
ROLLBACK AND NO CHAIN;
