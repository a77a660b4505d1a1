-- Stored programs need DELIMITER, as in the mysql client.
CREATE TABLE accounts (
  id INT PRIMARY KEY AUTO_INCREMENT,
  balance DECIMAL(12, 2) NOT NULL DEFAULT 0 -- never negative
);

DELIMITER $$

CREATE PROCEDURE deposit(IN account INT, IN amount DECIMAL(12, 2))
BEGIN
  DECLARE current DECIMAL(12, 2);
  SELECT balance INTO current FROM accounts WHERE id = account FOR UPDATE;
  UPDATE accounts SET balance = current + amount WHERE id = account;
END$$

CREATE FUNCTION greeting(who VARCHAR(40)) RETURNS VARCHAR(60) DETERMINISTIC
BEGIN
  RETURN CONCAT('Hello; ', who, '$$ is not the end here');
END $$

CREATE TRIGGER accounts_guard BEFORE UPDATE ON accounts FOR EACH ROW
BEGIN
  IF NEW.balance < 0 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'balance; below zero';
  END IF;
END$$

CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DO
BEGIN
  DELETE FROM accounts WHERE balance = 0; # tidy
END$$

DELIMITER ;

CALL deposit(1, 10.00);
SELECT greeting('world');
