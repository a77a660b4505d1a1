-- Hotfix: totals below zero slipped in; reject them from now on.
CREATE TRIGGER orders_total_not_negative
BEFORE INSERT ON orders
WHEN NEW.total < 0
BEGIN
    SELECT RAISE(ABORT, 'total must not be negative');
END;
