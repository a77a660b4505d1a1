-- A stored procedure holds ';' in its body: DELIMITER, as in the mysql
-- client, says where the statement ends.
DELIMITER $$
CREATE PROCEDURE purge_old_customers()
BEGIN
    DELETE FROM orders
    WHERE customer_id IN (SELECT id FROM customers WHERE created_at < NOW() - INTERVAL ${retention_days} DAY);
    DELETE FROM customers WHERE created_at < NOW() - INTERVAL ${retention_days} DAY;
END$$
DELIMITER ;
