-- Triggers stay one statement: their bodies hold semicolons.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'new', -- 'new', 'paid'; 'shipped'
    total REAL NOT NULL,
    "updated at" TEXT
);

CREATE TABLE [order log] (order_id INTEGER, note TEXT, `at` TEXT DEFAULT CURRENT_TIMESTAMP);

CREATE TRIGGER orders_status AFTER UPDATE OF status ON orders
FOR EACH ROW WHEN old.status <> new.status
BEGIN
    INSERT INTO [order log] (order_id, note)
    VALUES (new.id, CASE new.status
        WHEN 'paid' THEN 'paid; thanks'
        WHEN 'shipped' THEN 'on its way'
        ELSE 'status: ' || new.status
    END);
    UPDATE orders SET "updated at" = datetime('now') WHERE id = new.id;
END;

create temp trigger if not exists orders_guard
before delete on orders
begin
    select case when old.status = 'shipped'
        then raise(abort, 'cannot delete a shipped order; sorry')
    end;
end;

/* A comment between statements; with a semicolon. */
CREATE TRIGGER orders_total_check BEFORE INSERT ON orders
BEGIN
    SELECT RAISE(FAIL, 'negative total') WHERE new.total < 0; -- inline comment; END
END

;
CREATE VIEW trigger_names AS SELECT name AS "trigger" FROM sqlite_master WHERE type = 'trigger';
